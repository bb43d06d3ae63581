package sqlserver

import (
	"context"
	"reflect"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/quarrydb/quarry/storage"
)

// Learned prepared point UPDATE and DELETE. The writes of an OLTP
// transaction are prepared statements such as
//
//	UPDATE t SET k = k + 1 WHERE id = ?
//	UPDATE t SET c = ? WHERE id = ?
//	DELETE FROM t WHERE id = ?
//
// and GMS binds and analyses each execution again (about a third of the
// server's CPU for a one-row write), only to produce the same plan with
// other values in it. When such a statement (dmlStmtShape) runs through GMS,
// the connection keeps the analyzed plan GMS executed (observeDML) if it is
// exactly Update(UpdateSource(IndexedTableAccess)) or
// DeleteFrom(IndexedTableAccess), the access reading the one PRIMARY key
// point given by the WHERE parameter, and the SET parameters being plain
// literals of the plan; learning checks that rebuilding the plan with the
// execution's key (a new static lookup, as the analyzer builds it) and SET
// literals (built by GMS's binder from the bind variables, as binding does)
// reproduces it. Later executions bind the new key and literals the same
// way and do what GMS's executor does with that plan (dmlRun, dmlexec.go):
// the same table editor, SET expressions, type conversions, strict-mode
// errors and warnings, CHECKs, affected/matched rows, CLIENT_FOUND_ROWS,
// index maintenance, duplicate-key errors, row locks and statement
// rollback. Around it the path does what GMS's handler and
// QueryWithBindings do: process list entry, Questions, warnings cleared,
// Com_update or Com_delete, a transaction begun, the access path and rows
// examined, commit under autocommit, connection status flags.
//
// Invariant: the plan is reused only while everything its analysis read is
// unchanged: the learnedState (session, system generation — DDL, triggers,
// grants —, current database, sql_mode, session privilege counter, no
// temporary table), foreign_key_checks, and no read-only transaction.
// Plans with triggers, foreign key handlers, RETURNING, IGNORE or anything
// else in them are not learned. A parameter the path cannot bind exactly
// as GMS would (a key that is not an integer the key type holds, a SET value
// whose literal type differs from the learned one) runs through GMS.

// dmlStmt is a learned prepared point UPDATE or DELETE of one connection.
type dmlStmt struct {
	learnedState
	fkChecks any // foreign_key_checks: applyForeignKeys reads it

	root    sql.Node                 // *plan.Update or *plan.DeleteFrom
	src     *plan.UpdateSource       // UPDATE only
	ita     *plan.IndexedTableAccess // the learned key read
	rawNode sql.TableNode            // ita.TableNode before Quarry's byte-compare wrapping
	base    *storage.Table           // the Quarry table under ita
	path    learnedPath

	// What GMS's executor writes through (dmlexec.go).
	updatable sql.UpdatableTable // UPDATE: plan.GetUpdatable of the source
	checks    sql.CheckConstraints
	deletable sql.DeletableTable // DELETE: plan.GetDeletable of the target
	lookup    sql.IndexLookup
	keyType   sql.Type
	key       string // the key's bind variable name (v<n>)
	set       []dmlSetParam
	nparams   int
	comVar    string
}

// dmlSetParam says that UpdateExprs[expr] is SET column = ? with bind
// variable name, and the literal type the learned plan has there.
type dmlSetParam struct {
	expr int
	name string
	typ  sql.Type
}

// dmlShape is what dmlStmtShape found in a statement's text.
type dmlShape struct {
	delete bool
	key    string   // bind variable of the WHERE
	set    []string // per assignment: its bind variable, or "" for an expression without one
}

// dmlStmtShape recognises UPDATE t SET col = <param or plain expression>
// [, ...] WHERE col = ? and DELETE FROM t WHERE col = ?, with nothing else:
// no comments, IGNORE, CTE, join, alias with hints, partition, ORDER BY,
// LIMIT or RETURNING. A SET expression without a parameter may only use
// columns, literals and arithmetic (no function, variable or subquery,
// which could be evaluated while planning).
func dmlStmtShape(st ast.Statement) (*dmlShape, bool) {
	var (
		tables ast.TableExprs
		where  *ast.Where
		shape  = &dmlShape{}
	)
	switch s := st.(type) {
	case *ast.Update:
		if len(s.Comments) != 0 || s.Ignore != "" || s.With != nil || s.OrderBy != nil || s.Limit != nil ||
			len(s.Returning) != 0 || len(s.Exprs) == 0 {
			return nil, false
		}
		for _, a := range s.Exprs {
			if a.Name == nil || a.Name.StoredProcVal != nil {
				return nil, false
			}
			if v, ok := a.Expr.(*ast.SQLVal); ok && v.Type == ast.ValArg {
				shape.set = append(shape.set, strings.TrimPrefix(string(v.Val), ":"))
				continue
			}
			if !plainExpr(a.Expr) {
				return nil, false
			}
			shape.set = append(shape.set, "")
		}
		tables, where = s.TableExprs, s.Where
	case *ast.Delete:
		if len(s.Comments) != 0 || len(s.Targets) != 0 || s.With != nil || len(s.Partitions) != 0 ||
			s.OrderBy != nil || s.Limit != nil || len(s.Returning) != 0 {
			return nil, false
		}
		shape.delete = true
		tables, where = s.TableExprs, s.Where
	default:
		return nil, false
	}
	if len(tables) != 1 || where == nil || where.Type != ast.WhereStr {
		return nil, false
	}
	from, ok := tables[0].(*ast.AliasedTableExpr)
	if !ok || from.Hints != nil || from.AsOf != nil || len(from.Partitions) != 0 || from.Lateral {
		return nil, false
	}
	if _, ok := from.Expr.(ast.TableName); !ok {
		return nil, false
	}
	cmp, ok := where.Expr.(*ast.ComparisonExpr)
	if !ok || cmp.Operator != ast.EqualStr || cmp.Escape != nil {
		return nil, false
	}
	col, arg := cmp.Left, cmp.Right
	if _, isCol := col.(*ast.ColName); !isCol {
		col, arg = arg, col
	}
	if c, isCol := col.(*ast.ColName); !isCol || c.StoredProcVal != nil {
		return nil, false
	}
	v, ok := arg.(*ast.SQLVal)
	if !ok || v.Type != ast.ValArg {
		return nil, false
	}
	shape.key = strings.TrimPrefix(string(v.Val), ":")
	return shape, true
}

// plainExpr reports whether e uses only columns, literals (no parameter),
// parentheses and arithmetic.
func plainExpr(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.ColName:
		return x.StoredProcVal == nil
	case *ast.SQLVal:
		return x.Type == ast.IntVal || x.Type == ast.StrVal || x.Type == ast.FloatVal
	case *ast.NullVal:
		return true
	case *ast.ParenExpr:
		return plainExpr(x.Expr)
	case *ast.UnaryExpr:
		return x.Operator == ast.UMinusStr && plainExpr(x.Expr)
	case *ast.BinaryExpr:
		switch x.Operator {
		case ast.PlusStr, ast.MinusStr, ast.MultStr, ast.DivStr:
			return plainExpr(x.Left) && plainExpr(x.Right)
		}
	}
	return false
}

// ruleObserveDML is the last rule of GMS's OnceAfterAll batch: it records
// a top-level analyzed UPDATE or DELETE's access paths and hands the plan
// to the connection capturing it.
const ruleObserveDML analyzer.RuleId = 1015

// installObserveDML appends the rule, once per process, after Quarry's
// other OnceAfterAll rules (NewEngine installs those first), so it sees the
// plan GMS executes. It runs in the simple UPDATE/DELETE pipeline
// (analyzer/node_batches.go) as well as the full one.
var installObserveDML = sync.OnceFunc(func() {
	analyzer.OnceAfterAll = append(analyzer.OnceAfterAll, analyzer.Rule{Id: ruleObserveDML, Apply: observeDML})
})

func observeDML(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, scope *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	switch n.(type) {
	case *plan.Update, *plan.DeleteFrom:
	default:
		return n, transform.SameTree, nil
	}
	if !scope.IsEmpty() {
		return n, transform.SameTree, nil
	}
	// GMS's simple UPDATE and DELETE pipelines skip the post-validation
	// rules, recordAccessPaths among them (recording twice is harmless).
	if _, _, err := recordAccessPaths(ctx, nil, n, scope, nil, nil); err != nil {
		return nil, transform.SameTree, err
	}
	if capt := captureOf(ctx); capt != nil && capt.shape == shapeDML {
		capt.dmlPlans++
		capt.dmlPlan = n
	}
	return n, transform.SameTree, nil
}

// learnDML keeps a dmlStmt for prepare if its successful GMS execution ran
// exactly one plan of the point shape.
func (h *handler) learnDML(cs *connState, prepare *mysql.PrepareData, capt *pointCapture) {
	if planCaches.get(h.s.engine) == nil {
		return // the learned paths are off with the plan cache (EngineOptions.DisablePlanCache)
	}
	sess := cs.session()
	if sess == nil || capt.dmlPlans != 1 || capt.dmlPlan == nil || sess.WarningCount() != 0 {
		return
	}
	parsed, ok := h.s.engine.PreparedDataCache.GetCachedStmt(sess.ID(), sql.RemoveSpaceAndDelimiter(prepare.PrepareStmt, ';'))
	if !ok {
		return
	}
	shape, ok := dmlStmtShape(parsed)
	if !ok {
		return
	}
	sctx := sql.NewContext(context.Background(), sql.WithSession(sess))
	ds := newDMLStmt(sctx, capt.dmlPlan, shape, prepare.BindVars)
	if ds == nil || !ds.snapshot(h, sess) {
		return
	}
	ds.fkChecks, _ = sess.GetSessionVariable(nil, "foreign_key_checks")
	if cs.dmls == nil || len(cs.dmls) >= maxPointStmts {
		cs.dmls = make(map[string]*dmlStmt)
	}
	cs.dmls[prepare.PrepareStmt] = ds
}

// newDMLStmt checks an analyzed plan against its statement's shape and
// returns the learned statement, or nil. It requires that rebuilding the
// plan from the learning execution's parameters reproduces it exactly.
func newDMLStmt(ctx *sql.Context, n sql.Node, shape *dmlShape, bind map[string]*querypb.BindVariable) *dmlStmt {
	ds := &dmlStmt{root: n, key: shape.key, nparams: 1}
	var access sql.Node
	switch x := n.(type) {
	case *plan.Update:
		if shape.delete || x.Ignore || x.IsJoin || !x.HasSingleRel || x.IsProcNested || len(x.Returning) != 0 {
			return nil
		}
		src, ok := x.Child.(*plan.UpdateSource)
		if !ok || src.Ignore || len(src.UpdateExprs) < len(shape.set) {
			return nil
		}
		ds.src, access = src, src.Child
		ds.comVar = "Com_update"
		// The statement's assignments come first; generated and ON UPDATE
		// columns follow (planbuilder.assignmentExprsToExpressions).
		for i, name := range shape.set {
			if name == "" {
				continue
			}
			sf, ok := src.UpdateExprs[i].(*expression.SetField)
			if !ok {
				return nil
			}
			right := sf.RightChild
			if c, ok := right.(*intRangeCheck); ok { // rebuilt around the new literal
				right = c.child
			}
			lit, ok := right.(*expression.Literal)
			if !ok {
				return nil
			}
			want, ok := bindLiteral(ctx, bind[name])
			if !ok || !sameLiteralType(want.Type(), lit.Type()) || sql.DebugString(want) != sql.DebugString(lit) {
				return nil
			}
			ds.set = append(ds.set, dmlSetParam{expr: i, name: name, typ: lit.Type()})
			ds.nparams++
		}
	case *plan.DeleteFrom:
		// (RefsSingleRel does not survive the analyzer's rebuilding.)
		if !shape.delete || x.HasExplicitTargets() || x.IsProcNested {
			return nil
		}
		access = x.Child
		ds.comVar = "Com_delete"
	default:
		return nil
	}
	ita, ok := access.(*plan.IndexedTableAccess)
	if !ok || !ita.IsStatic() || ita.Table == nil {
		return nil
	}
	ds.ita, ds.path.ita = ita, ita
	// Nothing in the plan but these nodes and plain expressions.
	clean := true
	transform.Inspect(n, func(n sql.Node) bool {
		switch n.(type) {
		case nil, *plan.Update, *plan.UpdateSource, *plan.DeleteFrom, *plan.IndexedTableAccess:
		default:
			clean = false
		}
		return clean
	})
	transform.InspectExpressions(n, func(e sql.Expression) bool {
		switch e.(type) {
		case nil, *expression.SetField, *expression.GetField, *expression.Literal, *expression.Arithmetic,
			*expression.UnaryMinus, *intRangeCheck, *intArith:
		default:
			clean = false
		}
		return clean
	})
	if !clean {
		return nil
	}
	base, ok := learnableTable(ita)
	if !ok {
		return nil
	}
	ds.base = base
	if !ds.openWriter(n) {
		return nil
	}
	pk := base.PrimaryKeySchema()
	if len(pk.PkOrdinals) != 1 {
		return nil
	}
	ds.keyType = pk.Schema[pk.PkOrdinals[0]].Type
	if !isIntegerType(ds.keyType) {
		return nil
	}
	// The table node as the analyzer made the access, before
	// updateByteCompare wrapped its table (it keeps ita.Table).
	ds.rawNode = ita.TableNode
	if rt, ok := ita.TableNode.(*plan.ResolvedTable); ok {
		if w, ok := rt.Table.(*byteCompareUpdateTable); ok {
			raw := *rt
			raw.Table = w.Table
			ds.rawNode = &raw
		}
	}
	// The lookup must be the one point [key, key] on PRIMARY.
	lookup, err := ita.GetLookup(ctx, nil)
	if err != nil || lookup.Index == nil || lookup.Index.ID() != "PRIMARY" || lookup.IsEmptyRange ||
		lookup.IsReverse || lookup.IsSpatialLookup || lookup.VectorOrderAndLimit.OrderBy != nil {
		return nil
	}
	ranges, ok := lookup.Ranges.(sql.MySQLRangeCollection)
	if !ok || len(ranges) != 1 || len(ranges[0]) != 1 {
		return nil
	}
	ce := ranges[0][0]
	lo, lok := ce.LowerBound.(sql.Below)
	hi, hok := ce.UpperBound.(sql.Above)
	if !lok || !hok {
		return nil
	}
	key, ok := dmlKey(ctx, bind[shape.key], ds.keyType)
	if !ok {
		return nil
	}
	for _, k := range []any{lo.Key, hi.Key} {
		if reflect.TypeOf(k) != reflect.TypeOf(key) {
			return nil
		}
		if c, err := ds.keyType.Compare(ctx, k, key); err != nil || c != 0 {
			return nil
		}
	}
	ds.lookup = lookup
	if len(bind) != ds.nparams {
		return nil
	}
	again, ok := ds.instantiate(ctx, bind)
	if !ok || sql.DebugString(again) != sql.DebugString(n) {
		return nil
	}
	return ds
}

// dmlKey converts the key parameter to the key column's type, failing
// unless it is an integer the type holds exactly.
func dmlKey(ctx *sql.Context, bv *querypb.BindVariable, keyType sql.Type) (any, bool) {
	v, ok := paramInt(bv)
	if !ok {
		return nil, false
	}
	return convertExact(ctx, boundLiteral{val: v}, keyType)
}

// bindLiteral is the literal GMS's binder makes of a bind variable: the
// handler turns the value into SQL text (sqlparser.ExprFromValue) and the
// builder converts that as it converts a literal of the statement.
func bindLiteral(ctx *sql.Context, bv *querypb.BindVariable) (lit *expression.Literal, ok bool) {
	if bv == nil {
		return nil, false
	}
	val, err := sqltypes.BindVariableToValue(bv)
	if err != nil {
		return nil, false
	}
	e, err := ast.ExprFromValue(val)
	if err != nil {
		return nil, false
	}
	switch x := e.(type) {
	case *ast.NullVal:
		return expression.NewLiteral(nil, types.Null), true
	case *ast.SQLVal:
		defer func() {
			if recover() != nil { // the builder reports errors by panicking
				lit, ok = nil, false
			}
		}()
		l, isLit := planbuilder.New(ctx, nil, nil, nil).ConvertVal(x).(*expression.Literal)
		return l, isLit
	}
	return nil, false
}

// sameLiteralType reports whether a literal of type got may stand where
// the learned plan had one of type learned: the same type, or integers
// (the binder types an integer by its magnitude; SetField converts the
// value to the column's type either way).
func sameLiteralType(got, learned sql.Type) bool {
	if types.IsInteger(got) && types.IsInteger(learned) {
		return true
	}
	return reflect.TypeOf(got) == reflect.TypeOf(learned) && got.Equals(learned)
}

// bindParams returns the key and, for an UPDATE, the SET expressions of
// bind, or false when a parameter must go through GMS's binder.
func (ds *dmlStmt) bindParams(ctx *sql.Context, bind map[string]*querypb.BindVariable) (key any, exprs []sql.Expression, ok bool) {
	if len(bind) != ds.nparams {
		return nil, nil, false
	}
	key, ok = dmlKey(ctx, bind[ds.key], ds.keyType)
	if !ok {
		return nil, nil, false
	}
	if ds.src == nil {
		return key, nil, true
	}
	exprs = ds.src.UpdateExprs
	if len(ds.set) > 0 {
		exprs = append([]sql.Expression(nil), exprs...)
		for _, p := range ds.set {
			lit, ok := bindLiteral(ctx, bind[p.name])
			if !ok || !sameLiteralType(lit.Type(), p.typ) {
				return nil, nil, false
			}
			sf := exprs[p.expr].(*expression.SetField)
			var right sql.Expression = lit
			if c, ok := sf.RightChild.(*intRangeCheck); ok {
				nc := *c
				nc.child = lit
				right = &nc
			}
			exprs[p.expr] = expression.NewSetField(sf.LeftChild, right)
		}
	}
	return key, exprs, true
}

// instantiate returns the plan GMS would analyse for bind: the learned
// plan with a new static lookup of the key, as the analyzer builds it, and
// the new SET expressions. Learning checks that it reproduces the plan
// GMS executed, which the direct execution (dmlRun) stands for.
func (ds *dmlStmt) instantiate(ctx *sql.Context, bind map[string]*querypb.BindVariable) (sql.Node, bool) {
	key, exprs, ok := ds.bindParams(ctx, bind)
	if !ok {
		return nil, false
	}
	lookup := ds.lookup
	ce := lookup.Ranges.(sql.MySQLRangeCollection)[0][0]
	ce.LowerBound, ce.UpperBound = sql.Below{Key: key}, sql.Above{Key: key}
	lookup.Ranges = sql.MySQLRangeCollection{{ce}}
	ita, err := plan.NewStaticIndexedAccessForTableNode(ctx, ds.rawNode, lookup)
	if err != nil {
		return nil, false
	}
	ita.TableNode = ds.ita.TableNode
	switch root := ds.root.(type) {
	case *plan.DeleteFrom:
		del := *root
		del.Child = ita
		return &del, true
	case *plan.Update:
		src := *ds.src
		src.Child = ita
		src.UpdateExprs = exprs
		upd := *root
		upd.Child = &src
		return &upd, true
	}
	return nil, false
}

// openWriter finds the table GMS's executor writes for the plan n and its
// CHECK constraints. The rows the access reads must be the written
// table's rows, with nothing to trim (updateSourceIter, deleteIter).
func (ds *dmlStmt) openWriter(n sql.Node) bool {
	width := len(ds.ita.Schema())
	switch x := n.(type) {
	case *plan.Update:
		u, err := plan.GetUpdatable(x.Child)
		if err != nil {
			return false
		}
		ds.updatable, ds.checks = u, x.Checks()
		child, err := ds.src.GetChildSchema()
		return err == nil && len(child) == width && len(u.Schema()) == width
	case *plan.DeleteFrom:
		targets := x.GetDeleteTargets()
		if len(targets) != 1 {
			return false
		}
		d, err := plan.GetDeletable(targets[0])
		if err != nil {
			return false
		}
		ds.deletable = d
		// deleteIter passes the deleter the columns of its source.
		for _, col := range x.Child.Schema() {
			if !strings.EqualFold(col.Source, d.Name()) {
				return false
			}
		}
		return len(x.Child.Schema()) == width
	}
	return false
}

// usableFor reports whether ds may run in sess now.
func (ds *dmlStmt) usableFor(h *handler, sess sql.Session) bool {
	if !ds.usable(h, sess) {
		return false
	}
	fk, err := sess.GetSessionVariable(nil, "foreign_key_checks")
	return err == nil && fk == ds.fkChecks
}

// tryDMLStmt runs prepare through its learned dmlStmt; done is false when
// GMS must run it (nothing has been done then).
func (h *handler) tryDMLStmt(ctx context.Context, c *mysql.Conn, cs *connState, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) (done bool, err error) {
	ds := cs.dmls[prepare.PrepareStmt]
	if ds == nil {
		return false, nil
	}
	sess := cs.session()
	if sess == nil || !ds.usableFor(h, sess) {
		delete(cs.dmls, prepare.PrepareStmt)
		return false, nil
	}
	sctx := h.fastPathContext(ctx, sess, prepare.PrepareStmt)
	if !h.fastWritable(sctx) {
		return false, nil
	}
	key, exprs, ok := ds.bindParams(sctx, prepare.BindVars)
	if !ok {
		return false, nil
	}
	part, err := ds.base.PrimaryKeyPoint(key)
	if err != nil {
		return false, nil
	}
	h.s.m.learnedDML.Add(1)
	run := &dmlRun{ds: ds, part: part, exprs: exprs}
	if err := h.runDML(sctx, c, ds, run, callback); err != nil {
		return true, sql.CastSQLError(err) // as errorWrappedDoQuery
	}
	return true, nil
}

// runDML does for a learned statement what GMS's handler (doQuery),
// QueryWithBindings and PrepQueryPlanForExecution do for a prepared
// statement after parsing, with run standing for the plan's iterators.
func (h *handler) runDML(sctx *sql.Context, c *mysql.Conn, ds *dmlStmt, run *dmlRun, callback func(*sqltypes.Result) error) error {
	// GMS's binder counts ds.comVar.
	return runLearned(sctx, c, ds.comVar, &ds.path, func(sctx *sql.Context, st *stmtState) (*sqltypes.Result, error) {
		run.st = st
		return run.run(sctx)
	}, callback)
}
