package sqlserver

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// Learned text plans. Text-protocol clients (JDBC without server-side
// prepares, PyMySQL, mysql2, PHP, sysbench --db-ps-mode=disable) send every
// statement as text with its values inlined. The plan cache already serves
// texts that differ only in integer literals from one entry
// (normalizeIntegers), but GMS parses and binds each text to find it:
// about a third of a text point SELECT's CPU. So a connection learns a
// text as it learns a prepared statement (prepplan.go), the text's integer
// tokens standing in for the parameters, and keeps the plan under the
// text with those tokens masked (maskIntegers). A later text with the same
// masked text runs from the plan with its own tokens, without parse, bind
// or cache lookup.
//
// Soundness: texts with one masked text differ only in the values of
// their integer tokens. A text is learned only when it is a plain SELECT
// (planStmtShape) that one plan cache entry served, and each of its
// tokens either maps by value to exactly one literal of the bound plan,
// no two tokens to the same one and every literal from one token, or
// maps to none (a fixed token: ORDER BY 1, COUNT(1), a LIMIT row count,
// which the cache keys by value), on every execution seen while learning.
// The vitess parse of the text must agree: its integer literals are the
// tokens (-5 parses as the literal -5, not 5), and it holds no bit
// literal (the one integer literal that is no token). So each literal
// came from the one token with its value, which a new value replaces
// exactly as a parameter's would, and a fixed token is no literal: the
// plan serves only texts where it has the learned value. The plan then
// serves only while the connection's learnedState holds.

// textPlansOff makes text SELECTs skip learned text plans (tests compare).
var textPlansOff atomic.Bool

// textPlanRuns counts executions from learned text plans (tests).
var textPlanRuns atomic.Uint64

// textQuery is a text SELECT's masked text and integer token values.
type textQuery struct {
	masked string
	tokens []uint64
}

// val is token i as a parameter value (paramInt's form): int64, or uint64
// above MaxInt64.
func (tq textQuery) val(i int) any {
	if v := tq.tokens[i]; v > math.MaxInt64 {
		return v
	}
	return int64(tq.tokens[i])
}

// maskText masks query for the learned text plans; ok is false when the
// text cannot have one. A multi-statement packet is refused whole unless it
// holds no ';' at all.
func maskText(query string, multi bool) (tq textQuery, ok bool) {
	if textPlansOff.Load() {
		return tq, false
	}
	var buf [8]uint64
	masked, tokens, ok := maskIntegers(query, buf[:0])
	if !ok || len(tokens) == 0 || multi && strings.IndexByte(masked, ';') >= 0 {
		return tq, false
	}
	return textQuery{masked: masked, tokens: tokens}, true
}

// tryTextPlan runs query from the connection's plan learned for its masked
// text; done is false when GMS's path must run it.
func (h *handler) tryTextPlan(ctx context.Context, c *mysql.Conn, cs *connState, sess sql.Session, query string, tq textQuery, spool mysql.ResultSpoolFn) (done bool, err error) {
	ps := cs.texts[tq.masked]
	if ps == nil {
		return false, nil
	}
	if !ps.usable(h, sess) || len(tq.tokens) != len(ps.param) {
		delete(cs.texts, tq.masked)
		return false, nil
	}
	lits, ok := ps.bind(func(i int) (any, bool) { return tq.val(i), true })
	if !ok {
		return false, nil
	}
	done, err = h.runPlanStmt(ctx, c, sess, ps, query, lits, func(res *sqltypes.Result) error { return spool(res, false) })
	if done {
		textPlanRuns.Add(1)
	}
	return done, err
}

// learnText learns the text query, which GMS's path just ran successfully
// with capt capturing it, if it is sound to (see above).
func (h *handler) learnText(ctx context.Context, cs *connState, sess sql.Session, query string, tq textQuery, capt *pointCapture) {
	if capt.fields == nil || capt.plans != 1 || capt.entries > 1 ||
		capt.entries == 1 && len(capt.lits) > len(tq.tokens) ||
		capt.entries == 0 && (capt.unkeyed == nil || len(capt.unkeyed.lits) > len(tq.tokens)) {
		return
	}
	if !h.textParsesAsMasked(sess, query, tq.tokens) {
		return
	}
	vals := make([]any, len(tq.tokens))
	for i := range vals {
		vals[i] = tq.val(i)
	}
	h.learnPlanOf(ctx, cs, query, tq.masked, vals, capt, true, &cs.textCands, &cs.texts)
}

// textParsesAsMasked reports whether query parses, under the session's
// sql_mode, as a plain SELECT whose integer literals are, as a multiset,
// tokens (so -5, parsed as one literal -5, does not pass for 5), and that
// holds no bit or hex literal and no backslash (so the masking and the
// lexer agree on where strings end).
func (h *handler) textParsesAsMasked(sess sql.Session, query string, tokens []uint64) bool {
	if strings.IndexByte(query, '\\') >= 0 {
		return false
	}
	sctx := sql.NewContext(context.Background(), sql.WithSession(sess))
	st, err := ast.ParseWithOptions(sctx, query, sql.LoadSqlMode(sctx).ParserOptions())
	if err != nil || !planStmtShape(st) {
		return false
	}
	var ints []uint64
	ok := true
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		if v, isVal := n.(*ast.SQLVal); isVal {
			switch v.Type {
			case ast.IntVal:
				u, err := strconv.ParseUint(string(v.Val), 10, 64)
				ints = append(ints, u)
				ok = ok && err == nil
			case ast.BitVal, ast.HexNum, ast.HexVal, ast.ValArg:
				ok = false
			}
		}
		return ok, nil
	}, st)
	if !ok || len(ints) != len(tokens) {
		return false
	}
	want := slices.Clone(tokens)
	slices.Sort(ints)
	slices.Sort(want)
	return slices.Equal(ints, want)
}
