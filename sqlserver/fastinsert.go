package sqlserver

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/quarrydb/quarry/internal/insertparse"
	"github.com/quarrydb/quarry/storage"
)

// Bulk INSERT path. A dump is mostly extended INSERTs of literals, and GMS
// spends most of their time parsing them into syntax trees, binding and
// analysing thousands of literal expressions and evaluating them one by
// one. For a statement that insertparse recognises, into a plain Quarry
// table, the path below converts the literals with the column types' own
// Convert (what GMS's insert does), writes the rows through the table's
// inserter in the session's transaction, and answers with GMS's OK packet.
//
// Anything it does not handle exactly as GMS would falls back to GMS before
// a row is written: an unrecognised statement, sql_mode ANSI_QUOTES or
// NO_BACKSLASH_ESCAPES, a missing privilege, triggers, CHECK constraints,
// generated columns, checked foreign keys, an incomplete column list, a
// value that does not convert, NULL for a NOT NULL column, a negative
// AUTO_INCREMENT value or 0 under NO_AUTO_VALUE_ON_ZERO, a read-only
// transaction. NULL or 0 for an AUTO_INCREMENT column draws the next value,
// as GMS's AutoIncrement expression does, and the first drawn value becomes
// LAST_INSERT_ID. A write that fails (a duplicate key, say) is rolled back
// to the statement's start, the drawn values are given back, and the
// statement is run again by GMS, which reports the error as usual.

// quarryBulkInsert is the system variable (session and global, default ON)
// that enables the path; the differential tests turn it off.
const quarryBulkInsert = "quarry_bulk_insert"

func bulkInsertVar() sql.SystemVariable {
	return &sql.MysqlSystemVariable{
		Name:    quarryBulkInsert,
		Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Both),
		Dynamic: true,
		Type:    types.NewSystemBoolType(quarryBulkInsert),
		Default: int8(1),
	}
}

// bulkPids numbers the contexts of the path, apart from GMS's.
var bulkPids atomic.Uint64

func init() { bulkPids.Store(1 << 62) }

// fastPathContext is the context of a statement that a fast path runs
// without GMS's handler (bulk INSERT, learned point SELECT, DML and plans).
func (h *handler) fastPathContext(ctx context.Context, sess sql.Session, query string) *sql.Context {
	return contextFactory(ctx,
		sql.WithSession(sess),
		sql.WithPid(bulkPids.Add(1)),
		sql.WithQuery(query),
		sql.WithMemoryManager(h.s.engine.MemoryManager),
		sql.WithProcessList(h.s.engine.ProcessList),
	)
}

// beginStatement does what GMS's handler does as a fast path's statement
// starts: its process list entry, then the session's command bracket; end
// closes both, in reverse order.
func beginStatement(sctx *sql.Context) (_ *sql.Context, end func(), err error) {
	sctx, err = sctx.ProcessList.BeginQuery(sctx, sctx.Query())
	if err != nil {
		return nil, nil, err
	}
	if err := sql.SessionCommandBegin(sctx.Session); err != nil {
		sctx.ProcessList.EndQuery(sctx)
		return nil, nil, err
	}
	return sctx, func() {
		sql.SessionCommandEnd(sctx.Session)
		sctx.ProcessList.EndQuery(sctx)
	}, nil
}

// bulkInsertOutcome says what tryBulkInsert did.
type bulkInsertOutcome uint8

const (
	bulkNotHandled bulkInsertOutcome = iota // GMS must run the statement
	bulkDone                                // executed and answered
)

// tryBulkInsert runs query if it is a bulk INSERT the path handles; multi
// says whether query may hold more statements (COM_QUERY with
// CLIENT_MULTI_STATEMENTS). With bulkDone, rest is the remaining text of a multi-statement query and err
// the statement's error (after the OK packet was sent, only a commit can
// fail).
func (h *handler) tryBulkInsert(ctx context.Context, c *mysql.Conn, query string, multi bool, callback mysql.ResultSpoolFn) (outcome bulkInsertOutcome, rest string, err error) {
	if !insertparse.LooksLikeInsert(query) {
		return bulkNotHandled, "", nil
	}
	cs := h.s.connState(c)
	sess := cs.session()
	if sess == nil || sessionInt(sess, quarryBulkInsert, 1) == 0 {
		return bulkNotHandled, "", nil
	}
	ins, ok := insertparse.Parse(query)
	if !ok || !multi && ins.Rest != "" {
		return bulkNotHandled, "", nil
	}
	return h.runBulkInsert(ctx, c, sess, cs, textInsertKey(ins), query[:len(query)-len(ins.Rest)], ins, callback)
}

// textInsertKey is the key in connState.bulks of the binding of text
// INSERTs into ins's table and columns: what planBulkInsert reads of ins.
// It starts with a NUL byte, so it is never a prepared statement's text.
func textInsertKey(ins *insertparse.Insert) string {
	var b strings.Builder
	b.WriteByte(0)
	name := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	name(ins.Database)
	name(ins.Table)
	for _, c := range ins.Columns {
		name(c)
	}
	if ins.Columns == nil {
		b.WriteByte('*')
	}
	return b.String()
}

// tryBulkInsertPrepared is tryBulkInsert for COM_STMT_EXECUTE of a
// prepared INSERT whose values are literals and ? placeholders: each
// parameter becomes the literal GMS's binder makes of it
// (sqlparser.ExprFromValue).
func (h *handler) tryBulkInsertPrepared(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) (bulkInsertOutcome, error) {
	if !insertparse.LooksLikeInsert(prepare.PrepareStmt) {
		return bulkNotHandled, nil
	}
	cs := h.s.connState(c)
	sess := cs.session()
	if sess == nil || sessionInt(sess, quarryBulkInsert, 1) == 0 {
		return bulkNotHandled, nil
	}
	ins, ok := cs.parsedInsert(prepare.PrepareStmt)
	if !ok {
		return bulkNotHandled, nil
	}
	bound := *ins
	bound.Rows = make([][]insertparse.Literal, len(ins.Rows))
	params := 0
	for r, row := range ins.Rows {
		bound.Rows[r] = make([]insertparse.Literal, len(row))
		for i, lit := range row {
			if lit.Kind == insertparse.Param {
				params++
				if lit, ok = paramLiteral(prepare.BindVars["v"+strconv.Itoa(lit.Value.(int)+1)]); !ok {
					return bulkNotHandled, nil
				}
			}
			bound.Rows[r][i] = lit
		}
	}
	if params != len(prepare.BindVars) {
		return bulkNotHandled, nil
	}
	outcome, _, err := h.runBulkInsert(ctx, c, sess, cs, prepare.PrepareStmt, prepare.PrepareStmt, &bound, func(res *sqltypes.Result, _ bool) error { return callback(res) })
	return outcome, err
}

// parsedInsert is insertparse.ParsePrepared(query), kept per connection
// for the statement texts it prepared: executions bind copies of its rows
// and never change it. A statement with a _binary literal is parsed anew
// each time (its []byte value could end up in a row).
func (cs *connState) parsedInsert(query string) (*insertparse.Insert, bool) {
	if ins, ok := cs.inserts[query]; ok {
		return ins, ins != nil
	}
	ins, ok := insertparse.ParsePrepared(query)
	if !ok {
		ins = nil
	} else {
		for _, row := range ins.Rows {
			for _, lit := range row {
				if lit.Kind == insertparse.Bytes {
					return ins, true
				}
			}
		}
	}
	if cs.inserts == nil || len(cs.inserts) >= maxPointStmts {
		cs.inserts = make(map[string]*insertparse.Insert)
	}
	cs.inserts[query] = ins
	return ins, ok
}

// paramLiteral is the literal GMS binds for a parameter value: NULL, an
// integer, a float (sqlparser.ExprFromValue writes it with an exponent) or
// a string for every quoted type. Other types are not handled.
func paramLiteral(bv *querypb.BindVariable) (insertparse.Literal, bool) {
	if bv == nil {
		return insertparse.Literal{}, false
	}
	v, err := sqltypes.BindVariableToValue(bv)
	if err != nil {
		return insertparse.Literal{}, false
	}
	switch typ := v.Type(); {
	case typ == sqltypes.Null:
		return insertparse.Literal{Kind: insertparse.Null}, true
	case v.IsIntegral():
		n, ok := paramInt(bv)
		return insertparse.Literal{Kind: insertparse.Int, Value: n}, ok
	case v.IsFloat():
		f, err := strconv.ParseFloat(v.ToString(), 64)
		return insertparse.Literal{Kind: insertparse.Float, Value: f}, err == nil
	case typ == sqltypes.VarChar, typ == sqltypes.Char, typ == sqltypes.Text,
		typ == sqltypes.VarBinary, typ == sqltypes.Binary, typ == sqltypes.Blob,
		typ == sqltypes.Datetime, typ == sqltypes.Date, typ == sqltypes.Timestamp:
		return insertparse.Literal{Kind: insertparse.String, Value: v.ToString()}, true
	}
	return insertparse.Literal{}, false
}

// runBulkInsert runs a recognised statement; query is its SQL text, for
// the process list and logs. Its binding to the table is kept in cs under
// key (bulkStmt).
func (h *handler) runBulkInsert(ctx context.Context, c *mysql.Conn, sess sql.Session, cs *connState, key, query string, ins *insertparse.Insert, callback mysql.ResultSpoolFn) (outcome bulkInsertOutcome, rest string, err error) {
	sctx := h.fastPathContext(ctx, sess, query)
	defer func() {
		if outcome == bulkDone {
			h.s.m.bulkInsertsRun.Add(1)
		} else {
			h.s.m.bulkInsertsFellBack.Add(1)
		}
	}()
	plan, ok := h.planBulkInsertKept(sctx, cs, key, ins)
	if !ok {
		return bulkNotHandled, "", nil
	}
	if err := sql.SessionCommandBegin(sess); err != nil {
		return bulkNotHandled, "", nil
	}
	defer sql.SessionCommandEnd(sess)
	sctx, err = sctx.ProcessList.BeginQuery(sctx, sctx.Query())
	if err != nil {
		return bulkNotHandled, "", nil
	}
	defer sctx.ProcessList.EndQuery(sctx)

	res, ok, err := plan.run(sctx)
	if err != nil {
		return bulkDone, ins.Rest, err
	}
	if !ok {
		return bulkNotHandled, "", nil
	}
	sql.IncrementStatusVariable(sctx, "Questions", 1)
	sql.IncrementStatusVariable(sctx, "Com_insert", 1)
	sctx.SetLastQueryInfoInt(sql.RowCount, int64(res.RowsAffected))
	if auto, err := sctx.GetSessionVariable(sctx, sql.AutoCommitSessionVar); err == nil {
		if on, _ := sql.ConvertToBool(sctx, auto); on {
			c.StatusFlags |= uint16(mysql.ServerStatusAutocommit)
		} else {
			c.StatusFlags &^= uint16(mysql.ServerStatusAutocommit)
		}
	}
	if sctx.GetTransaction() != nil {
		c.StatusFlags |= uint16(mysql.ServerInTransaction)
	} else {
		c.StatusFlags &^= uint16(mysql.ServerInTransaction)
	}
	return bulkDone, ins.Rest, callback(res, ins.Rest != "")
}

// bulkPlan is a recognised statement bound to its table.
type bulkPlan struct {
	table   *storage.Table
	schema  sql.Schema
	ins     *insertparse.Insert
	order   []int // order[i] is the schema ordinal of the statement's column i
	autoInc int   // schema ordinal of the AUTO_INCREMENT column, or -1
}

// bulkStmt is an INSERT's binding to its table (a bulkPlan without rows),
// kept per connection by prepared statement text or by textInsertKey.
// Invariant: it is used only while what planBulkInsert read to make it is
// unchanged: the learnedState (session, system generation — DDL, triggers,
// checks, foreign keys, grants —, current database, sql_mode, privileges,
// no temporary table) and foreign_key_checks. What can change without those (read_only, a
// read-only transaction) is checked on every execution, as planBulkInsert
// checks it.
type bulkStmt struct {
	learnedState
	fkChecks any
	plan     bulkPlan // plan.ins is nil
}

// planBulkInsertKept is planBulkInsert through the binding cs keeps under
// key, when it is usable.
func (h *handler) planBulkInsertKept(ctx *sql.Context, cs *connState, key string, ins *insertparse.Insert) (*bulkPlan, bool) {
	sess := ctx.Session
	if bs := cs.bulks[key]; bs != nil {
		fk, err := sess.GetSessionVariable(nil, "foreign_key_checks")
		if err == nil && fk == bs.fkChecks && bs.usable(h, sess) && bulkRowsFit(ins, len(bs.plan.schema)) {
			if !h.fastWritable(ctx) {
				return nil, false
			}
			p := bs.plan
			p.ins = ins
			return &p, true
		}
		delete(cs.bulks, key)
	}
	// A system write by another connection while planning could leave the
	// binding older than the generation snapshot records: keep it only if
	// there was none.
	gen := h.s.store.SystemGeneration()
	p, ok := h.planBulkInsert(ctx, ins)
	if !ok {
		return nil, false
	}
	bs := &bulkStmt{plan: *p}
	bs.plan.ins = nil
	if !bs.snapshot(h, sess) || bs.sysGen != gen || h.s.store.SystemGeneration() != gen {
		return p, true
	}
	var err error
	if bs.fkChecks, err = sess.GetSessionVariable(nil, "foreign_key_checks"); err != nil {
		return p, true
	}
	if cs.bulks == nil || len(cs.bulks) >= maxPointStmts {
		cs.bulks = make(map[string]*bulkStmt)
	}
	cs.bulks[key] = bs
	return p, true
}

// bulkRowsFit reports whether every row of ins has n values.
func bulkRowsFit(ins *insertparse.Insert, n int) bool {
	for _, r := range ins.Rows {
		if len(r) != n {
			return false
		}
	}
	return true
}

// planBulkInsert binds ins to its table, or reports false.
func (h *handler) planBulkInsert(ctx *sql.Context, ins *insertparse.Insert) (*bulkPlan, bool) {
	mode := sql.LoadSqlMode(ctx)
	if mode.AnsiQuotes() || mode.ModeEnabled("NO_BACKSLASH_ESCAPES") {
		return nil, false
	}
	if !h.fastWritable(ctx) {
		return nil, false
	}
	dbName := ins.Database
	if dbName == "" {
		dbName = ctx.GetCurrentDatabase()
	}
	if dbName == "" {
		return nil, false
	}
	cat := h.s.engine.Analyzer.Catalog
	if privs := cat.MySQLDb; privs != nil && privs.Enabled() {
		op := sql.NewPrivilegedOperation(sql.PrivilegeCheckSubject{Database: dbName, Table: ins.Table}, sql.PrivilegeType_Insert)
		if !privs.UserHasPrivileges(ctx, op) {
			return nil, false
		}
	}
	db, err := cat.Database(ctx, dbName)
	if err != nil {
		return nil, false
	}
	if tdb, ok := db.(sql.TriggerDatabase); ok {
		if trigs, err := tdb.GetTriggers(ctx); err != nil || len(trigs) > 0 {
			return nil, false
		}
	}
	tbl, ok, err := db.GetTableInsensitive(ctx, ins.Table)
	if err != nil || !ok {
		return nil, false
	}
	st, ok := tbl.(*storage.Table)
	if !ok {
		return nil, false
	}
	if checks, err := st.GetChecks(ctx); err != nil || len(checks) > 0 {
		return nil, false
	}
	if fkChecks := sessionInt(ctx.Session, "foreign_key_checks", 1); fkChecks != 0 {
		if fks, err := st.GetDeclaredForeignKeys(ctx); err != nil || len(fks) > 0 {
			return nil, false
		}
	}
	sch := st.Schema()
	p := &bulkPlan{table: st, schema: sch, ins: ins, autoInc: -1}
	for i, col := range sch {
		if col.Generated != nil || col.Virtual {
			return nil, false
		}
		if col.AutoIncrement {
			p.autoInc = i
		}
	}
	if ins.Columns == nil {
		p.order = make([]int, len(sch))
		for i := range p.order {
			p.order[i] = i
		}
	} else {
		if len(ins.Columns) != len(sch) {
			return nil, false
		}
		seen := make([]bool, len(sch))
		for _, name := range ins.Columns {
			o := sch.IndexOfColName(name)
			if o < 0 || seen[o] {
				return nil, false
			}
			seen[o] = true
			p.order = append(p.order, o)
		}
	}
	if !bulkRowsFit(ins, len(sch)) {
		return nil, false
	}
	return p, true
}

// acceptsLiteral reports whether a literal of kind k is converted by the
// column type's Convert alone on GMS's path too.
func acceptsLiteral(t sql.Type, k insertparse.Kind) bool {
	switch k {
	case insertparse.Int, insertparse.Decimal, insertparse.Float:
		return types.IsInteger(t) || types.IsFloat(t) || types.IsDecimal(t)
	case insertparse.String:
		return types.IsText(t) || types.IsBinaryType(t) || types.IsEnum(t) || types.IsSet(t) ||
			types.IsInteger(t) || types.IsFloat(t) || types.IsDecimal(t) ||
			isDateOrDatetime(t)
	case insertparse.Bytes:
		return types.IsBinaryType(t)
	}
	return false
}

// run converts and writes the rows. ok is false when the statement must go
// to GMS (nothing was written).
func (p *bulkPlan) run(ctx *sql.Context) (_ *sqltypes.Result, ok bool, _ error) {
	rows := make([]sql.Row, len(p.ins.Rows))
	// generate[r]: row r's AUTO_INCREMENT value is NULL or 0, so the
	// sequence supplies it (GMS's AutoIncrement expression).
	var generate []bool
	noAutoValueOnZero := sql.LoadSqlMode(ctx).ModeEnabled(sql.NoAutoValueOnZero)
	for r, lits := range p.ins.Rows {
		row := make(sql.Row, len(p.schema))
		for i, lit := range lits {
			o := p.order[i]
			col := p.schema[o]
			if lit.Kind == insertparse.Null {
				if o == p.autoInc {
					if generate == nil {
						generate = make([]bool, len(p.ins.Rows))
					}
					generate[r] = true
					continue
				}
				if !col.Nullable {
					return nil, false, nil
				}
				continue
			}
			if !acceptsLiteral(col.Type, lit.Kind) {
				return nil, false, nil
			}
			val := lit.Value
			if lit.Kind == insertparse.String && isDateOrDatetime(col.Type) {
				// The column type's Convert of the parsed time.Time is its
				// Convert of the string, without trying time layouts.
				if t, ok := insertparse.CanonicalDatetime(val.(string)); ok {
					val = t
				}
			}
			if _, out := intOutOfRange(col.Type, val); out {
				return nil, false, nil // GMS's path: error or clamp (intRange)
			}
			v, inRange, err := col.Type.Convert(ctx, val)
			if err != nil || inRange != sql.InRange || v == nil {
				return nil, false, nil
			}
			if o == p.autoInc {
				// GMS's AutoIncrement: a positive value advances the
				// sequence, zero asks for the next value unless
				// NO_AUTO_VALUE_ON_ZERO; a negative one is left to GMS.
				cmp, err := col.Type.Compare(ctx, v, col.Type.Zero())
				if err != nil || cmp < 0 || cmp == 0 && noAutoValueOnZero {
					return nil, false, nil
				}
				if cmp == 0 {
					if generate == nil {
						generate = make([]bool, len(p.ins.Rows))
					}
					generate[r] = true
					continue
				}
			}
			row[o] = v
		}
		rows[r] = row
	}
	// firstGenerated is the first row whose value the sequence supplied:
	// its value becomes LAST_INSERT_ID (GMS's FirstGeneratedAutoIncRowIdx).
	firstGenerated := -1
	if p.autoInc >= 0 {
		// Values drawn here are given back if the statement goes to GMS
		// after all, so that GMS draws the same ones.
		before, err := p.table.PeekNextAutoIncrementValue(ctx)
		if err != nil {
			return nil, false, nil
		}
		defer func() {
			if !ok {
				if after, err := p.table.PeekNextAutoIncrementValue(ctx); err == nil {
					_ = p.table.RewindAutoIncrement(before, after)
				}
			}
		}()
		typ := p.schema[p.autoInc].Type
		for r, row := range rows {
			if generate != nil && generate[r] {
				seq, err := p.table.GetNextAutoIncrementValue(ctx, nil)
				if err != nil {
					return nil, false, nil
				}
				v, inRange, err := typ.Convert(ctx, seq)
				if err != nil || inRange != sql.InRange {
					return nil, false, nil
				}
				row[p.autoInc] = v
				if firstGenerated < 0 {
					firstGenerated = r
				}
				continue
			}
			if _, err := p.table.GetNextAutoIncrementValue(ctx, row[p.autoInc]); err != nil {
				return nil, false, nil
			}
		}
	}
	if ctx.GetTransaction() == nil {
		ts, ok := ctx.Session.(sql.TransactionSession)
		if !ok {
			return nil, false, nil
		}
		tx, err := ts.StartTransaction(ctx, sql.ReadWrite)
		if err != nil {
			return nil, false, nil
		}
		ctx.SetTransaction(tx)
	}
	ctx.ClearWarnings()
	ed := p.table.Inserter(ctx)
	ed.StatementBegin(ctx)
	for _, row := range rows {
		if err := ed.Insert(ctx, row); err != nil {
			// GMS runs the statement again in the same transaction and
			// reports the error its way.
			_ = ed.DiscardChanges(ctx, err)
			_ = ed.Close(ctx)
			return nil, false, nil
		}
	}
	if err := ed.StatementComplete(ctx); err != nil {
		_ = ed.DiscardChanges(ctx, err)
		_ = ed.Close(ctx)
		return nil, true, sql.CastSQLError(err)
	}
	if err := ed.Close(ctx); err != nil {
		return nil, true, sql.CastSQLError(err)
	}
	if firstGenerated >= 0 {
		if n, _, err := types.Int64.Convert(ctx, rows[firstGenerated][p.autoInc]); err == nil {
			if i, ok := n.(int64); ok {
				ctx.SetLastQueryInfoInt(sql.LastInsertId, i)
			}
		}
	}
	res := &sqltypes.Result{RowsAffected: uint64(len(rows))}
	if p.autoInc >= 0 && len(rows) > 0 {
		if n, ok := rows[0][p.autoInc].(uint64); ok {
			res.InsertID = n
		} else if n, _, err := types.Int64.Convert(ctx, rows[0][p.autoInc]); err == nil {
			if i, ok := n.(int64); ok {
				res.InsertID = uint64(i)
			}
		}
	}
	if err := commitAutocommit(ctx); err != nil {
		return nil, true, sql.CastSQLError(err)
	}
	return res, true, nil
}

func isDateOrDatetime(t sql.Type) bool {
	return t.Type() == sqltypes.Date || t.Type() == sqltypes.Datetime
}
