package sqlserver

import (
	"context"
	"errors"
	"io"
	"reflect"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/quarrydb/quarry/planner"
	"github.com/quarrydb/quarry/storage"
)

// Prepared point SELECT path. The hottest statement of an order system (and
// of sysbench's oltp_point_select) is one prepared statement executed over
// and over: SELECT cols FROM t WHERE pk = ?. Even with the plan cache, GMS
// binds the statement again on every execution, analyses it and runs it
// through its generic iterators: most of the server's CPU for a one-row read.
//
// The path learns the statement from GMS. When a prepared statement whose
// text is exactly that shape (pointStmtShape) runs through GMS, the plan
// cache hands the analyzed plan to the connection (observeAnalyzed). If the
// plan is a projection of plain columns over an IndexedTableAccess that
// reads the PRIMARY key point given by the parameter, and the execution
// succeeded without warnings, the connection keeps a pointStmt: the table
// node, the projection, the result schema and the column definitions GMS
// sent. Later executions of that statement on that connection read the row
// through the same storage table with the partition GMS's lookup would
// produce, and answer as GMS's handler does: the same row encoding and
// column definitions, Questions and Com_select, warnings cleared, a process
// list entry, a transaction started if none runs and committed under
// autocommit, ROW_COUNT -1 and FOUND_ROWS, and the connection status flags.
//
// Invariant: a pointStmt serves an execution only while everything the plan
// and the column definitions were derived from is unchanged — the session,
// the store's system generation (DDL, statistics, grants, views, routines),
// the current database, sql_mode, sql_select_limit, character_set_results,
// the session's privilege set counter, and no temporary table in the
// session (one could hide the table) — and only for one integer parameter
// that the key column's type holds exactly. Anything else runs through GMS.

// learnedState is what a learned statement's plan was derived from; the
// statement may skip GMS's binder and analyzer only while it is unchanged.
type learnedState struct {
	sess     sql.Session
	sysGen   uint64
	db       string
	mode     any // sql_mode
	limit    any // sql_select_limit
	pushdown any // quarry_analytics_pushdown
	charset  sql.CharacterSetID
	privs    uint64
	// varsChecked says usable found the variables above as recorded while
	// sess's VarGeneration was varsGen; they cannot have changed since.
	varsChecked bool
	varsGen     uint64
}

// snapshot records the state of sess now; ok is false when the session has
// no cached privilege set to compare with later.
func (ls *learnedState) snapshot(h *handler, sess sql.Session) bool {
	ls.sess = sess
	ls.varsChecked = false
	ls.sysGen = h.s.store.SystemGeneration()
	ls.db = sess.GetCurrentDatabase()
	ls.mode, _ = sess.GetSessionVariable(nil, "sql_mode")
	ls.limit, _ = sess.GetSessionVariable(nil, "sql_select_limit")
	ls.pushdown, _ = sess.GetSessionVariable(nil, planner.EnabledVar)
	ls.charset = sess.GetCharacterSetResults()
	_, ls.privs = sess.GetPrivilegeSet()
	return ls.privs != 0
}

// usable reports whether sess is still in the recorded state.
func (ls *learnedState) usable(h *handler, sess sql.Session) bool {
	if sess != ls.sess || h.s.store.SystemGeneration() != ls.sysGen || sess.GetCurrentDatabase() != ls.db ||
		sess.GetCharacterSetResults() != ls.charset {
		return false
	}
	s, ok := sess.(*storage.Session)
	if !ok || s.HadTemporaryTables() {
		return false
	}
	if _, privs := sess.GetPrivilegeSet(); privs != ls.privs {
		return false
	}
	gen := s.VarGeneration()
	if ls.varsChecked && ls.varsGen == gen {
		return true
	}
	for _, v := range []struct {
		name string
		want any
	}{{"sql_mode", ls.mode}, {"sql_select_limit", ls.limit}, {planner.EnabledVar, ls.pushdown}} {
		if got, err := sess.GetSessionVariable(nil, v.name); err != nil || got != v.want {
			return false
		}
	}
	ls.varsChecked, ls.varsGen = true, gen
	return true
}

// pointStmt is a learned prepared point SELECT of one connection.
type pointStmt struct {
	learnedState

	table   sql.IndexedTable // the plan's table (projected)
	base    *storage.Table   // the Quarry table under it
	keyType sql.Type         // the primary key column's type
	project []int            // output column i is table row column project[i]
	schema  sql.Schema       // result schema, for RowToSQL
	fields  []*querypb.Field // column definitions GMS sent
	path    learnedPath
}

// learnedPath is the access path walkAccessPaths records for a learned
// plan's table access (a static lookup, so always the same), worked out on
// the first execution.
type learnedPath struct {
	ita   *plan.IndexedTableAccess
	known bool
	table string // "" when the table is not a user table
	path  accessPath
}

// record records the path in st as walkAccessPaths would.
func (p *learnedPath) record(ctx *sql.Context, st *stmtState) {
	if !p.known {
		if name, ok := userTable(p.ita.Database(), p.ita.Name()); ok {
			p.table, p.path = name, indexPath(ctx, p.ita)
		}
		p.known = true
	}
	if p.table != "" {
		st.addPath(p.table, p.path)
	}
}

// pointCapture collects, during one GMS execution of a candidate
// statement, the analyzed plan and the column definitions sent.
type pointCapture struct {
	query  string
	shape  stmtShape
	plans  int // analyses seen; more than one (triggers, subqueries) refuses
	plan   sql.Node
	flags  *sql.QueryFlags
	fields []*querypb.Field
	rows   int

	// The plan cache entry that served or was made from the analysis.
	pc      *planCache
	entry   *planEntry
	lits    []boundLiteral
	entries int
	// The analysis that made no entry because of its values, if any.
	unkeyed *unkeyedPlan

	// The analyzed UPDATE or DELETE (observeDML).
	dmlPlan  sql.Node
	dmlPlans int
}

// maxPointStmts bounds a connection's learned statements; the map is
// cleared when full.
const maxPointStmts = 256

// pointStmtShape reports whether a parsed statement is exactly
// SELECT <columns> FROM <table> WHERE <column> = ? with nothing else: no
// DISTINCT, SQL_CALC_FOUND_ROWS, hints, locking clause, INTO, GROUP BY,
// HAVING, ORDER BY, LIMIT, window, CTE, join, index hint or partition.
func pointStmtShape(st ast.Statement) bool {
	sel, ok := st.(*ast.Select)
	if !ok || len(sel.Comments) != 0 || sel.With != nil || sel.Into != nil || sel.Lock != "" ||
		sel.GroupBy != nil || sel.Having != nil || sel.Window != nil || sel.OrderBy != nil || sel.Limit != nil ||
		sel.QueryOpts.Distinct || sel.QueryOpts.SQLCalcFoundRows || sel.QueryOpts.StraightJoinHint {
		return false
	}
	if len(sel.From) != 1 || sel.Where == nil {
		return false
	}
	from, ok := sel.From[0].(*ast.AliasedTableExpr)
	if !ok || from.Hints != nil || from.AsOf != nil || len(from.Partitions) != 0 || from.Lateral {
		return false
	}
	if _, ok := from.Expr.(ast.TableName); !ok {
		return false
	}
	for _, se := range sel.SelectExprs {
		ae, ok := se.(*ast.AliasedExpr)
		if !ok {
			return false
		}
		if _, ok := ae.Expr.(*ast.ColName); !ok {
			return false
		}
	}
	cmp, ok := sel.Where.Expr.(*ast.ComparisonExpr)
	if !ok || cmp.Operator != ast.EqualStr || cmp.Escape != nil {
		return false
	}
	col, arg := cmp.Left, cmp.Right
	if _, isCol := col.(*ast.ColName); !isCol {
		col, arg = arg, col
	}
	if _, isCol := col.(*ast.ColName); !isCol {
		return false
	}
	v, ok := arg.(*ast.SQLVal)
	return ok && v.Type == ast.ValArg
}

// observeAnalyzed is called by the plan cache with every top-level
// analyzed plan; it records the plan for a connection capturing one.
func observeAnalyzed(ctx *sql.Context, n sql.Node, qFlags *sql.QueryFlags) {
	capt := captureOf(ctx)
	if capt == nil {
		return
	}
	capt.plans++
	capt.plan = n
	if qFlags != nil {
		capt.flags = &sql.QueryFlags{Flags: qFlags.Flags.Copy()}
	}
}

// captureOf returns the capture of the connection running the statement
// in ctx, if it is capturing that statement.
func captureOf(ctx *sql.Context) *pointCapture {
	if ctx == nil || ctx.Session == nil {
		return nil
	}
	v, ok := sessions.Load(ctx.Session)
	if !ok {
		return nil
	}
	capt := v.(*connState).capture
	if capt == nil || ctx.Query() != capt.query {
		return nil
	}
	return capt
}

// pointCandidate returns a capture for a GMS execution of prepare if the
// statement could become a pointStmt, or nil.
func (h *handler) pointCandidate(cs *connState, prepare *mysql.PrepareData) *pointCapture {
	if cs == nil || len(prepare.BindVars) == 0 {
		return nil
	}
	sess := cs.session()
	if sess == nil {
		return nil
	}
	if s, ok := sess.(*storage.Session); !ok || s.HadTemporaryTables() {
		return nil
	}
	shape, seen := cs.pointShapes[prepare.PrepareStmt]
	if !seen {
		// GMS caches the statement under its text without surrounding
		// spaces and ';' (Engine.PrepareQuery).
		parsed, ok := h.s.engine.PreparedDataCache.GetCachedStmt(sess.ID(), sql.RemoveSpaceAndDelimiter(prepare.PrepareStmt, ';'))
		if !ok {
			return nil
		}
		switch {
		case pointStmtShape(parsed):
			shape = shapePoint
		case planStmtShape(parsed):
			shape = shapePlan
		default:
			if _, ok := dmlStmtShape(parsed); ok {
				shape = shapeDML
			}
		}
		if cs.pointShapes == nil || len(cs.pointShapes) >= maxPointStmts {
			cs.pointShapes = make(map[string]stmtShape)
		}
		cs.pointShapes[prepare.PrepareStmt] = shape
	}
	if shape == shapeNone || shape == shapePoint && len(prepare.BindVars) != 1 {
		return nil
	}
	return &pointCapture{query: prepare.PrepareStmt, shape: shape}
}

// wrap returns callback, also recording the result's column definitions.
func (capt *pointCapture) wrap(callback func(*sqltypes.Result) error) func(*sqltypes.Result) error {
	return func(res *sqltypes.Result) error {
		capt.record(res)
		return callback(res)
	}
}

// wrapSpool is wrap for a text statement's result spool.
func (capt *pointCapture) wrapSpool(spool mysql.ResultSpoolFn) mysql.ResultSpoolFn {
	return func(res *sqltypes.Result, more bool) error {
		capt.record(res)
		return spool(res, more)
	}
}

// record notes a result sent: its column definitions and rows.
func (capt *pointCapture) record(res *sqltypes.Result) {
	if res != nil {
		capt.fields = res.Fields
		capt.rows += len(res.Rows)
	}
}

// learn makes a pointStmt from a successful GMS execution of a candidate,
// if its plan is the point lookup the statement's shape promises.
func (h *handler) learn(cs *connState, prepare *mysql.PrepareData, capt *pointCapture) {
	sess := cs.session()
	if capt.plans != 1 || capt.plan == nil || capt.fields == nil || capt.flags == nil ||
		!capt.flags.IsSet(sql.QFlagMax1Row) || sess == nil || sess.WarningCount() != 0 {
		return
	}
	ps := &pointStmt{fields: capt.fields, schema: capt.plan.Schema()}
	n := capt.plan
	var getFields []*expression.GetField
	if p, ok := n.(*plan.Project); ok {
		for _, e := range p.Projections {
			if a, ok := e.(*expression.Alias); ok {
				e = a.Child
			}
			gf, ok := e.(*expression.GetField)
			if !ok {
				return
			}
			getFields = append(getFields, gf)
		}
		n = p.Child
	}
	ita, ok := n.(*plan.IndexedTableAccess)
	if !ok || !ita.IsStatic() || ita.Table == nil {
		return
	}
	base, ok := learnableTable(ita)
	if !ok {
		return
	}
	pk := base.PrimaryKeySchema()
	if len(pk.PkOrdinals) != 1 {
		return
	}
	ps.keyType = pk.Schema[pk.PkOrdinals[0]].Type
	if !isIntegerType(ps.keyType) {
		return
	}
	// The lookup must be the one point [param, param] on PRIMARY.
	sctx := sql.NewContext(context.Background(), sql.WithSession(sess))
	lookup, err := ita.GetLookup(sctx, nil)
	if err != nil || lookup.Index == nil || lookup.Index.ID() != "PRIMARY" || lookup.IsEmptyRange ||
		lookup.IsReverse || lookup.IsSpatialLookup || lookup.VectorOrderAndLimit.OrderBy != nil {
		return
	}
	ranges, ok := lookup.Ranges.(sql.MySQLRangeCollection)
	if !ok || len(ranges) != 1 || len(ranges[0]) != 1 {
		return
	}
	ce := ranges[0][0]
	lo, lok := ce.LowerBound.(sql.Below)
	hi, hok := ce.UpperBound.(sql.Above)
	if !lok || !hok {
		return
	}
	param, ok := pointParam(sctx, prepare, ps.keyType)
	if !ok {
		return
	}
	for _, k := range []any{lo.Key, hi.Key} {
		if reflect.TypeOf(k) != reflect.TypeOf(param) {
			return
		}
		if c, err := ps.keyType.Compare(sctx, k, param); err != nil || c != 0 {
			return
		}
	}
	// Map the projection onto the table's row.
	tsch := ita.Schema()
	if getFields == nil {
		for i := range tsch {
			ps.project = append(ps.project, i)
		}
	} else {
		for _, gf := range getFields {
			i := gf.Index()
			if i < 0 || i >= len(tsch) || !tsch[i].Type.Equals(gf.Type()) {
				return
			}
			ps.project = append(ps.project, i)
		}
	}
	if len(ps.project) != len(ps.schema) || len(ps.fields) != len(ps.schema) {
		return
	}
	ps.table, ps.base, ps.path.ita = ita.Table, base, ita
	if !ps.snapshot(h, sess) {
		return // no cached privilege set to compare with
	}
	if cs.points == nil || len(cs.points) >= maxPointStmts {
		cs.points = make(map[string]*pointStmt)
	}
	cs.points[prepare.PrepareStmt] = ps
}

// learnableTable returns the Quarry table an IndexedTableAccess of a
// learned plan reads: not a temporary table, and none with virtual
// columns (GMS computes those above the table).
func learnableTable(ita *plan.IndexedTableAccess) (*storage.Table, bool) {
	if _, virtual := plan.FindVirtualColumnTable(ita.Table); virtual {
		return nil, false
	}
	base, ok := storage.AsTable(ita.Table)
	if !ok || base.IsTemporary() {
		return nil, false
	}
	return base, true
}

func isIntegerType(t sql.Type) bool {
	switch t.Type() {
	case sqltypes.Int8, sqltypes.Uint8, sqltypes.Int16, sqltypes.Uint16, sqltypes.Int24, sqltypes.Uint24,
		sqltypes.Int32, sqltypes.Uint32, sqltypes.Int64, sqltypes.Uint64:
		return true
	}
	return false
}

// pointParam converts the statement's one parameter to the key type,
// failing unless it is an integer the type holds exactly.
func pointParam(ctx *sql.Context, prepare *mysql.PrepareData, keyType sql.Type) (any, bool) {
	if len(prepare.BindVars) != 1 {
		return nil, false
	}
	v, ok := paramInt(prepare.BindVars["v1"])
	if !ok {
		return nil, false
	}
	return convertExact(ctx, boundLiteral{val: v}, keyType)
}

// tryPointSelect runs prepare through its learned pointStmt; done is false
// when GMS must run it.
func (h *handler) tryPointSelect(ctx context.Context, c *mysql.Conn, cs *connState, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) (done bool, err error) {
	ps := cs.points[prepare.PrepareStmt]
	if ps == nil {
		return false, nil
	}
	sess := cs.session()
	if sess == nil || !ps.usable(h, sess) {
		delete(cs.points, prepare.PrepareStmt)
		return false, nil
	}
	sctx := h.fastPathContext(ctx, sess, prepare.PrepareStmt)
	key, ok := pointParam(sctx, prepare, ps.keyType)
	if !ok {
		return false, nil
	}
	part, err := ps.base.PrimaryKeyPoint(key)
	if err != nil {
		return false, nil
	}
	h.s.m.pointSelects.Add(1)
	return true, runLearned(sctx, c, "Com_select", &ps.path, func(sctx *sql.Context, st *stmtState) (*sqltypes.Result, error) {
		res, err := ps.read(sctx, part)
		if err == nil && st != nil && len(res.Rows) > 0 {
			st.rowsExamined.Add(1) // what countingIter counts on GMS's path
		}
		return res, err
	}, callback)
}

// runLearned runs body, the work of a statement learned on its connection,
// inside what GMS's handler (doQuery), QueryWithBindings and its executor
// do around a prepared statement's plan: before, the statement bracket,
// Questions, the session check, a transaction begun when none is open,
// warnings cleared, the statement's Com_ counter and its access path
// (body gets the statement's state, nil outside a server); after, the
// autocommit commit, the connection's status flags and the result sent to
// callback.
func runLearned(sctx *sql.Context, c *mysql.Conn, comVar string, path *learnedPath,
	body func(*sql.Context, *stmtState) (*sqltypes.Result, error), callback func(*sqltypes.Result) error) error {
	sess := sctx.Session
	sctx, end, err := beginStatement(sctx)
	if err != nil {
		return err
	}
	defer end()

	if err := startPrepared(sctx, sess); err != nil {
		return err
	}
	sql.IncrementStatusVariable(sctx, comVar, 1)
	st := stmtOf(sctx)
	if st != nil {
		path.record(sctx, st)
	}
	res, err := body(sctx, st)
	if err != nil {
		return err
	}
	if err := commitAutocommit(sctx); err != nil {
		return err
	}
	if err := setStatusFlags(sctx, c); err != nil {
		return err
	}
	return callback(res)
}

// read reads the row of part and encodes the result as GMS's
// resultForMax1RowIter does, setting ROW_COUNT and FOUND_ROWS as its
// TrackedRowIter does.
func (ps *pointStmt) read(ctx *sql.Context, part sql.Partition) (*sqltypes.Result, error) {
	iter, err := ps.table.PartitionRows(ctx, part)
	if err != nil {
		return nil, err
	}
	row, err := iter.Next(ctx)
	if err == io.EOF {
		err = nil
	}
	if err != nil {
		iter.Close(ctx)
		return nil, err
	}
	found := row != nil
	if found {
		if _, err := iter.Next(ctx); err != io.EOF {
			iter.Close(ctx)
			if err == nil {
				err = errMoreThanOneRow
			}
			return nil, err
		}
	}
	if err := iter.Close(ctx); err != nil {
		return nil, err
	}
	ctx.SetLastQueryInfoInt(sql.RowCount, -1)
	res := &sqltypes.Result{Fields: ps.fields}
	if !found {
		ctx.SetLastQueryInfoInt(sql.FoundRows, 0)
		return res, nil
	}
	ctx.SetLastQueryInfoInt(sql.FoundRows, 1)
	out := make(sql.Row, len(ps.project))
	for i, o := range ps.project {
		out[i] = row[o]
	}
	vals, err := server.RowToSQL(ctx, ps.schema, out, nil, nil)
	if err != nil {
		return nil, err
	}
	res.Rows = [][]sqltypes.Value{vals}
	res.RowsAffected = 1
	return res, nil
}

// commitAutocommit commits the statement's transaction under autocommit,
// as GMS's TransactionCommittingIter does when it is closed.
func commitAutocommit(sctx *sql.Context) error {
	tx := sctx.GetTransaction()
	if tx == nil || sctx.GetIgnoreAutoCommit() {
		return nil
	}
	auto, err := storage.SessionAutocommit(sctx)
	if err != nil || !auto {
		return err
	}
	if ts, ok := sctx.Session.(sql.TransactionSession); ok {
		if err := ts.CommitTransaction(sctx, tx); err != nil {
			return err
		}
		sctx.SetTransaction(nil)
	}
	return nil
}

// setStatusFlags sets the autocommit and in-transaction flags of the
// connection from the session, as GMS's handler does after a statement.
func setStatusFlags(ctx *sql.Context, c *mysql.Conn) error {
	auto, err := storage.SessionAutocommit(ctx)
	if err != nil {
		return err
	}
	if auto {
		c.StatusFlags |= uint16(mysql.ServerStatusAutocommit)
	} else {
		c.StatusFlags &^= uint16(mysql.ServerStatusAutocommit)
	}
	if ctx.GetTransaction() != nil {
		c.StatusFlags |= uint16(mysql.ServerInTransaction)
	} else {
		c.StatusFlags &^= uint16(mysql.ServerInTransaction)
	}
	return nil
}

// errMoreThanOneRow is GMS's error for a max-one-row plan that found more.
var errMoreThanOneRow = errors.New("result max1Row iterator returned more than one row")

// stmtExecute runs a COM_STMT_EXECUTE: through a learned pointStmt if the
// statement has one, else through GMS, learning the statement if it is a
// candidate.
func (h *handler) stmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	cs := h.s.connState(c)
	if cs == nil {
		return h.Handler.ComStmtExecute(ctx, c, prepare, callback)
	}
	if done, err := h.tryPointSelect(ctx, c, cs, prepare, callback); done {
		return err
	}
	if done, err := h.tryTxnStmt(ctx, c, cs, prepare, callback); done {
		return err
	}
	if done, err := h.tryPlanStmt(ctx, c, cs, prepare, callback); done {
		return err
	}
	if done, err := h.tryDMLStmt(ctx, c, cs, prepare, callback); done {
		return err
	}
	if done, err := h.tryBulkInsertPrepared(ctx, c, prepare, callback); done == bulkDone {
		return err
	}
	capt := h.pointCandidate(cs, prepare)
	if capt == nil {
		return h.Handler.ComStmtExecute(ctx, c, prepare, callback)
	}
	// A system write (DDL, grants) by another connection while GMS runs
	// the statement could leave its plan older than the generation that
	// snapshot would record: learn only if there was none.
	gen := h.s.store.SystemGeneration()
	cs.capture = capt
	err := h.Handler.ComStmtExecute(ctx, c, prepare, capt.wrap(callback))
	cs.capture = nil
	if err == nil && h.s.store.SystemGeneration() == gen {
		switch capt.shape {
		case shapeDML:
			h.learnDML(cs, prepare, capt)
		case shapePoint:
			h.learn(cs, prepare, capt)
		}
		if capt.shape != shapeDML && cs.points[prepare.PrepareStmt] == nil {
			h.learnPlan(ctx, cs, prepare, capt)
		}
	}
	return err
}
