package sqlserver

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// Learned prepared plans. A prepared SELECT whose plan the plan cache
// serves (an index range read or range aggregate, the parameters choosing
// only the ranges) still went through GMS's binder on every execution,
// only to compute the cache key and find the same entry. When such a
// statement runs through GMS, the connection remembers the entry and which
// of the bound plan's literals each parameter became (by value, refused
// when two are equal); later executions rebuild the plan from the entry
// with the new parameter values, as a cache hit does, and run it through
// GMS's executor (Handler.ComExecuteBound), doing what QueryWithBindings
// does around it: Questions, warnings cleared, Com_select.
//
// The plan is only reused while the learnedState holds (see pointselect.go):
// same session, system generation, database, session settings and
// privileges. A parameter that is not an integer, or values the entry cannot
// take (crossed ranges, out of the column's range), go to GMS.

// stmtShape is what a prepared statement's text can be learned as.
type stmtShape uint8

const (
	shapeNone  stmtShape = iota
	shapePoint           // pointStmtShape
	shapePlan            // planStmtShape
	shapeDML             // dmlStmtShape
)

// planStmt is a learned prepared plan of one connection.
type planStmt struct {
	learnedState
	pc    *planCache
	entry *planEntry
	lits  []boundLiteral // the bound literals of the learning execution
	param []int          // parameter i (v<i+1>) is literal param[i], or fixedParam
	fixed []any          // the value of each fixed parameter (nil for the others)
	// fields are the column definitions GMS sent (nil if it sent none):
	// the plan's, the same for every instantiation (see prepexec.go).
	fields []*querypb.Field
	// rr reads the plan's result directly (rangeread.go); nil when it
	// cannot. rrKnown says it was worked out.
	rr      *rangeRead
	rrKnown bool
}

// planStmtShape reports whether a parsed statement may be served from the
// plan cache: a plain SELECT without locking clause or INTO.
func planStmtShape(st ast.Statement) bool {
	sel, ok := st.(*ast.Select)
	return ok && sel.Lock == "" && sel.Into == nil
}

// observeEntry is called by the plan cache when an entry served the
// analysis of the statement in ctx, or was made from it.
func observeEntry(ctx *sql.Context, pc *planCache, e *planEntry, lits []boundLiteral) {
	capt := captureOf(ctx)
	if capt == nil {
		return
	}
	capt.entries++
	capt.pc, capt.entry, capt.lits = pc, e, lits
}

// learnPlan keeps a planStmt for prepare if its successful GMS execution
// was served by (or made) one plan cache entry and every parameter maps to
// exactly one literal.
//
// An execution whose analysis made no entry because of its values
// (overlapping ranges, equal literals) makes one from other values
// (unkeyedPlan.synthEntry). A parameter maps to the literal positions
// holding its value; when two parameters have equal values that is
// ambiguous, so the positions consistent with every execution so far are
// kept (planCands) and the statement is learned once each parameter has
// exactly one, distinct from the others'. Literal positions are those of
// the bound plan, which has one shape per cache entry.
func (h *handler) learnPlan(ctx context.Context, cs *connState, prepare *mysql.PrepareData, capt *pointCapture) {
	vals := make([]any, len(prepare.BindVars))
	for i := range vals {
		v, ok := paramValue(prepare.BindVars["v"+strconv.Itoa(i+1)])
		if !ok {
			return
		}
		vals[i] = v
	}
	h.learnPlanOf(ctx, cs, prepare.PrepareStmt, prepare.PrepareStmt, vals, capt, false, &cs.planCands, &cs.plans)
}

// fixedParam is the literal position of a fixed parameter: one that is no
// literal of the plan (a LIMIT row count, which the plan cache keys by
// value, or a value the analyzer folded away). The plan serves only
// executions that give it the same value.
const fixedParam = -1

// learnPlanOf is learnPlan for the statement query, whose values (its
// parameters, or the integer tokens of a text) are vals; the evidence and
// the learned plan are kept under key in *candsOf and *plans. With cover,
// every literal of the plan must be some value's.
func (h *handler) learnPlanOf(ctx context.Context, cs *connState, query, key string, vals []any, capt *pointCapture, cover bool, candsOf *map[string]*planCands, plans *map[string]*planStmt) {
	sess := cs.session()
	if sess == nil || capt.shape == shapeNone || capt.plans != 1 || sess.WarningCount() != 0 {
		return
	}
	if capt.entries == 0 && capt.unkeyed != nil {
		sctx := contextFactory(ctx, sql.WithSession(sess), sql.WithQuery(query))
		if e := capt.unkeyed.synthEntry(sctx); e != nil {
			capt.pc, capt.entry, capt.lits, capt.entries = capt.unkeyed.pc, e, capt.unkeyed.lits, 1
		}
	}
	if capt.entries != 1 || capt.entry == nil {
		return
	}
	cands := make([][]int, len(vals))
	for i, v := range vals {
		for j, l := range capt.lits {
			if sameLiteralValue(l.val, v) {
				cands[i] = append(cands[i], j)
			}
		}
		if len(cands[i]) == 0 {
			cands[i] = []int{fixedParam}
		}
	}
	if prev := (*candsOf)[key]; prev != nil && prev.entry == capt.entry && len(prev.cands) == len(cands) {
		for i := range cands {
			cands[i] = slices.DeleteFunc(cands[i], func(j int) bool { return !slices.Contains(prev.cands[i], j) })
			if len(cands[i]) == 0 {
				delete(*candsOf, key)
				return // no fixed mapping: the shape is not what it seemed
			}
		}
	}
	param, decided := decideParams(cands)
	if !decided {
		if *candsOf == nil || len(*candsOf) >= maxPointStmts {
			*candsOf = make(map[string]*planCands)
		}
		(*candsOf)[key] = &planCands{entry: capt.entry, cands: cands}
		return
	}
	delete(*candsOf, key)
	ps := &planStmt{pc: capt.pc, entry: capt.entry, lits: capt.lits, param: param, fields: capt.fields}
	covered := make([]bool, len(capt.lits))
	for i, j := range param {
		if j == fixedParam {
			if ps.fixed == nil {
				ps.fixed = make([]any, len(param))
			}
			ps.fixed[i] = vals[i]
		} else {
			covered[j] = true
		}
	}
	if cover && slices.Contains(covered, false) {
		return
	}
	if !ps.snapshot(h, sess) {
		return
	}
	if *plans == nil || len(*plans) >= maxPointStmts {
		*plans = make(map[string]*planStmt)
	}
	(*plans)[key] = ps
}

// planCands is what learnPlan knows of a statement's parameters so far:
// the literal positions of entry's bound plan each one may be (fixedParam:
// none).
type planCands struct {
	entry *planEntry
	cands [][]int
}

// decideParams returns the literal position of each parameter when every
// one has exactly one candidate and no two share a literal.
func decideParams(cands [][]int) ([]int, bool) {
	param := make([]int, len(cands))
	seen := make(map[int]bool, len(cands))
	for i, c := range cands {
		if len(c) != 1 || c[0] != fixedParam && seen[c[0]] {
			return nil, false
		}
		seen[c[0]] = true
		param[i] = c[0]
	}
	return param, true
}

// bind returns ps's literals with the values of an execution (vals[i] is
// parameter i's), or false when a fixed parameter has another value.
func (ps *planStmt) bind(vals func(i int) (any, bool)) ([]boundLiteral, bool) {
	lits := append([]boundLiteral(nil), ps.lits...)
	for i, j := range ps.param {
		v, ok := vals(i)
		if !ok {
			return nil, false
		}
		if j == fixedParam {
			if v != ps.fixed[i] {
				return nil, false
			}
			continue
		}
		lits[j].val = v
	}
	return lits, true
}

// paramValue returns a parameter's value as the binder's literal holds it:
// an integer (paramInt), or the string of a quoted value (GMS makes a
// string literal of every quoted type: CHAR, VARCHAR, BLOB, dates).
func paramValue(bv *querypb.BindVariable) (any, bool) {
	if v, ok := paramInt(bv); ok {
		return v, true
	}
	if bv == nil {
		return nil, false
	}
	v, err := sqltypes.BindVariableToValue(bv)
	if err != nil || !v.IsQuoted() {
		return nil, false
	}
	return v.ToString(), true
}

// sameLiteralValue reports whether parameter (or token) value v is the
// value of a literal: equal strings, or integers with the same decimal
// form (the binder types integer literals by magnitude).
func sameLiteralValue(lit, v any) bool {
	ls, lstr := lit.(string)
	vs, vstr := v.(string)
	if lstr || vstr {
		return lstr && vstr && ls == vs
	}
	return fmt.Sprint(lit) == fmt.Sprint(v)
}

// paramInt returns an integer parameter's value as the binder's literal
// holds it (int64, or uint64 above MaxInt64).
func paramInt(bv *querypb.BindVariable) (any, bool) {
	if bv == nil {
		return nil, false
	}
	v, err := sqltypes.BindVariableToValue(bv)
	if err != nil || !v.IsIntegral() {
		return nil, false
	}
	if v.IsSigned() {
		n, err := strconv.ParseInt(v.ToString(), 10, 64)
		return n, err == nil
	}
	n, err := strconv.ParseUint(v.ToString(), 10, 64)
	if err != nil {
		return nil, false
	}
	if n <= math.MaxInt64 {
		return int64(n), true
	}
	return n, true
}

// tryPlanStmt runs prepare from its learned plan; done is false when GMS
// must run it.
func (h *handler) tryPlanStmt(ctx context.Context, c *mysql.Conn, cs *connState, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) (done bool, err error) {
	ps := cs.plans[prepare.PrepareStmt]
	if ps == nil {
		return false, nil
	}
	sess := cs.session()
	if sess == nil || !ps.usable(h, sess) || len(prepare.BindVars) != len(ps.param) {
		delete(cs.plans, prepare.PrepareStmt)
		return false, nil
	}
	lits, ok := ps.bind(func(i int) (any, bool) { return paramValue(prepare.BindVars["v"+strconv.Itoa(i+1)]) })
	if !ok {
		return false, nil
	}
	return h.runPlanStmt(ctx, c, sess, ps, prepare.PrepareStmt, lits, callback)
}

// runPlanStmt runs the learned plan ps with literals lits for query, as
// GMS's QueryWithBindings would run the statement; done is false when the
// values do not fit the plan (GMS must run it).
func (h *handler) runPlanStmt(ctx context.Context, c *mysql.Conn, sess sql.Session, ps *planStmt, query string, lits []boundLiteral, callback func(*sqltypes.Result) error) (done bool, err error) {
	sctx := contextFactory(ctx, sql.WithSession(sess), sql.WithQuery(query))
	p := ps.entry.instantiate(sctx, lits)
	if p == nil {
		return false, nil
	}
	ps.pc.hits.Add(1)
	h.s.m.learnedPlans.Add(1)
	// What QueryWithBindings does around binding and analysis.
	sql.IncrementStatusVariable(sctx, "Questions", 1)
	sctx.ClearWarnings()
	if plan.NodeRepresentsSelect(p) {
		sql.IncrementStatusVariable(sctx, "Com_select", 1)
	}
	if _, _, err := recordAccessPaths(sctx, nil, p, nil, nil, nil); err != nil {
		return true, err
	}
	if ps.direct(h) {
		return true, h.runLearnedPlan(ctx, c, sess, ps, query, p, callback)
	}
	return true, h.Handler.ComExecuteBound(ctx, c, query, p, func(res *sqltypes.Result, _ bool) error {
		return callback(res)
	})
}
