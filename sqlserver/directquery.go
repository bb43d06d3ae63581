package sqlserver

import (
	"context"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/dolthub/vitess/go/vt/sqlparser"
)

// Text-protocol SELECTs (COM_QUERY without multi-statements: JDBC,
// PyMySQL, mysql2, go-sql-driver without parameters) run on the
// connection's goroutine. GMS's doQuery hands every row of a result set
// from a reading goroutine to an encoding one over a channel, with a
// select and a timer reset per row; for a 57,000-row result that was a
// third of the statement's CPU (runtime.selectgo alone 21%).
//
// runDirectQuery is GMS's Handler.ComQuery (errorWrappedDoQuery, doQuery,
// executeQuery) on one goroutine, as runLearnedPlan is for bound plans:
// the context GMS's session manager would build, the process list entry
// and session command bracket, QueryWithBindings with the deferred
// projections flag, the result sent as GMS sends it (spoolRows and its
// siblings), the connection status flags and GMS's error cast. It takes
// only SELECT-like statements: they use neither LOAD DATA LOCAL nor KILL
// (the session manager's services, which a Quarry context lacks), and a
// connection read timeout keeps GMS's path (direct).

// directQueryOff makes text SELECTs run through GMS's handler (tests
// compare the two).
var directQueryOff atomic.Bool

// directQueryRuns counts executions through runDirectQuery (tests).
var directQueryRuns atomic.Uint64

// tryDirectQuery runs query through runDirectQuery when it may. multi
// says whether query may hold several statements (COM_QUERY with
// CLIENT_MULTI_STATEMENTS): the first is run and rest is the text left,
// as GMS's ComMultiQuery returns it.
func (h *handler) tryDirectQuery(ctx context.Context, c *mysql.Conn, query string, multi bool, spool mysql.ResultSpoolFn) (done bool, rest string, err error) {
	if directQueryOff.Load() || h.s.cfg.ConnReadTimeout != 0 || classifyStatement(query) != stmtSelect {
		return false, "", nil
	}
	cs := h.s.connState(c)
	sess := cs.session()
	if sess == nil {
		return false, "", nil
	}
	// GMS's doQuery: the text of a statement the session has prepared is
	// one statement.
	if multi {
		if _, cached := h.s.engine.PreparedDataCache.GetCachedStmt(sess.ID(), query); cached {
			return false, "", nil
		}
	}
	if tq, learnable := maskText(query, multi); learnable {
		if done, err := h.tryTextPlan(ctx, c, cs, sess, query, tq, spool); done {
			return true, "", err
		}
		capt := &pointCapture{query: query, shape: shapePlan}
		cs.capture = capt
		defer func() { cs.capture = nil }()
		gen := h.s.store.SystemGeneration()
		spool = capt.wrapSpool(spool)
		defer func() {
			// As stmtExecute: learn only if no system write (DDL,
			// grants) ran while the statement did.
			if done && err == nil && rest == "" && h.s.store.SystemGeneration() == gen {
				h.learnText(ctx, cs, sess, query, tq, capt)
			}
		}()
	}
	return h.runDirectQuery(ctx, c, sess, query, multi, spool)
}

// runDirectQuery runs the first statement of the text query of session
// sess and sends its result to spool; done is false (and nothing was run
// or sent) when a multi-statement query does not parse, which GMS's path
// then reports. The statement's context carries the whole text, which the
// plan cache and a capture (tryDirectQuery) see, also when the first
// statement's text is handed to GMS.
func (h *handler) runDirectQuery(ctx context.Context, c *mysql.Conn, sess sql.Session, query string, multi bool, spool mysql.ResultSpoolFn) (done bool, rest string, err error) {
	sctx, end, err := beginStatement(h.fastPathContext(ctx, sess, query))
	if err != nil {
		return true, "", sql.CastSQLError(err)
	}
	defer end()
	var parsed sqlparser.Statement
	if multi {
		// Parsed with the statement's context, as doQuery parses: parser
		// steps note what they find by its process id (storage's locking
		// reads for FOR UPDATE / FOR SHARE).
		var first string
		if parsed, first, rest, err = h.s.engine.Parser.Parse(sctx, query, true); err != nil {
			return false, "", nil
		}
		if first != "" {
			query = first
		}
	}
	directQueryRuns.Add(1)
	more := rest != ""
	return true, rest, runStatement(sctx, c, query, &sql.QueryFlags{}, func(flags *sql.QueryFlags) (sql.Schema, sql.RowIter, *sql.QueryFlags, error) {
		return h.s.engine.QueryWithBindings(sctx, query, parsed, nil, flags)
	}, func(schema sql.Schema) []*querypb.Field { return resultFields(sctx, schema) },
		func(res *sqltypes.Result) error { return spool(res, more) }, true)
}

// sendResult sends the result of iter, whose rows have schema, as GMS's
// doQuery does after running a statement: the one-row, empty and OK
// shortcuts, else batches (spoolRows); then the connection status flags.
func sendResult(sctx *sql.Context, c *mysql.Conn, schema sql.Schema, iter sql.RowIter, flags *sql.QueryFlags, fields []*querypb.Field, callback func(*sqltypes.Result) error, written bool) (err error) {
	buf := sql.ByteBufPool.Get().(*sql.ByteBuffer)
	defer func() {
		buf.Reset()
		sql.ByteBufPool.Put(buf)
	}()
	var r *sqltypes.Result
	sent := false
	switch {
	case types.IsOkResultSchema(schema):
		r, err = okResult(sctx, iter)
	case schema == nil:
		r, err = emptyResult(sctx, iter, fields)
	case flags.IsSet(sql.QFlagMax1Row):
		r, err = max1RowResult(sctx, schema, iter, fields, buf)
	default:
		r, sent, err = spoolRows(sctx, c, schema, iter, fields, buf, callback, written)
	}
	if err != nil {
		return err
	}
	return sendRest(sctx, c, r, sent, callback)
}

// sendRest finishes a result as GMS's handler does: the connection's
// status flags, then r, the rows not yet sent, unless r is empty and a
// batch was sent (sent).
func sendRest(sctx *sql.Context, c *mysql.Conn, r *sqltypes.Result, sent bool, callback func(*sqltypes.Result) error) error {
	if err := setStatusFlags(sctx, c); err != nil {
		return err
	}
	if r.RowsAffected == 0 && sent {
		return nil
	}
	return callback(r)
}

// resultFields is GMS's schemaToFields (server/handler.go, unexported):
// the column definitions of a result with schema s.
// TestDirectQueryMatchesGMS compares them with GMS's on the wire.
func resultFields(ctx *sql.Context, s sql.Schema) []*querypb.Field {
	charSetResults := ctx.GetCharacterSetResults()
	fields := make([]*querypb.Field, len(s))
	for i, c := range s {
		charset := uint32(sql.Collation_Default.CharacterSet())
		if collated, ok := c.Type.(sql.TypeWithCollation); ok {
			charset = uint32(collated.Collation().CharacterSet())
		}
		// Binary types always use a binary collation; others follow
		// character_set_results when it is set.
		if types.IsBinaryType(c.Type) {
			charset = uint32(sql.Collation_binary)
		} else if charSetResults != sql.CharacterSet_Unspecified {
			charset = uint32(charSetResults)
		}
		var flags querypb.MySqlFlag
		if !c.Nullable {
			flags |= querypb.MySqlFlag_NOT_NULL_FLAG
		}
		if c.AutoIncrement {
			flags |= querypb.MySqlFlag_AUTO_INCREMENT_FLAG
		}
		if c.PrimaryKey {
			flags |= querypb.MySqlFlag_PRI_KEY_FLAG
		}
		if types.IsUnsigned(c.Type) {
			flags |= querypb.MySqlFlag_UNSIGNED_FLAG
		}
		f := &querypb.Field{
			Name:         c.Name,
			OrgName:      c.Name,
			Table:        c.Source,
			OrgTable:     c.Source,
			Database:     c.DatabaseSource,
			Type:         c.Type.Type(),
			Charset:      charset,
			ColumnLength: c.Type.MaxTextResponseByteLength(ctx),
			Flags:        uint32(flags),
		}
		if types.IsDecimal(c.Type) {
			f.Decimals = uint32(c.Type.(sql.DecimalType).Scale())
		} else if types.IsDatetimeType(c.Type) {
			f.Decimals = uint32(c.Type.(sql.DatetimeType).Precision())
		}
		fields[i] = f
	}
	return fields
}
