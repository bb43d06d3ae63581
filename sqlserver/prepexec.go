package sqlserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// Learned plans run on the connection's goroutine. GMS's handler
// (Handler.ComExecuteBound → doQuery → resultForDefaultIter) runs every
// result set on an errgroup of four goroutines: one pulls rows from the
// iterator and sends them over a channel to one that encodes them, one
// polls the socket for a closed client, one closes the iterator. For a
// sysbench range read that is most of the statement's overhead: goroutine
// starts, stack growth of the fresh goroutines under Pebble's deep calls,
// channel hand-offs and a timer reset per row. ComExecuteBound also passes
// no query flags, so aggregates that GMS's own path answers through the
// one-row shortcut (QFlagMax1Row) took the goroutines too.
//
// runLearnedPlan does what doQuery does for a bound plan, in order, on the
// calling goroutine: a context with the session, query, memory manager and
// process list; the process list entry and session command bracket; the
// query metrics; PrepQueryPlanForExecution with the plan's analysis flags
// (the flags a plan cache hit hands GMS's own path), which begins the
// transaction and wraps the iterator in the transaction-committing and
// row-tracking iterators; then the rows, encoded with GMS's RowToSQL
// (deferred projections included) and sent in batches of 128 as
// resultForDefaultIter sends them; the iterator closed (commit under
// autocommit, FOUND_ROWS, ROW_COUNT) before the last batch; the connection
// status flags; errors cast as errorWrappedComExec casts them.
//
// What the goroutines did besides is done elsewhere or not needed: Quarry's
// statement bracket (beginStatement) already cancels the statement's
// context when the client goes away or max_execution_time passes, and the
// loop checks the context before each row as GMS's reader does; GMS's
// per-row timer only acts with a connection read timeout, so servers
// configured with one keep GMS's path (Config.ConnReadTimeout).

// learnedDirectOff makes learned plans run through GMS's executor
// (tests compare the two).
var learnedDirectOff atomic.Bool

// learnedDirectRuns counts executions through runLearnedPlan (tests).
var learnedDirectRuns atomic.Uint64

// resultBatch is GMS's rowsBatch: rows per result packet batch.
const resultBatch = 128

// direct reports whether ps may run through runLearnedPlan.
func (ps *planStmt) direct(h *handler) bool {
	return !learnedDirectOff.Load() && ps.fields != nil && h.s.cfg.ConnReadTimeout == 0
}

// runLearnedPlan runs the instantiated plan p of ps for query and sends
// its result to callback, as GMS's ComExecuteBound would.
func (h *handler) runLearnedPlan(ctx context.Context, c *mysql.Conn, sess sql.Session, ps *planStmt, query string, p sql.Node, callback func(*sqltypes.Result) error) error {
	learnedDirectRuns.Add(1)
	sctx, end, err := beginStatement(h.fastPathContext(ctx, sess, query))
	if err != nil {
		return sql.CastSQLError(err)
	}
	defer end()
	flags := &sql.QueryFlags{Flags: ps.entry.flags.Copy()}
	if rr := ps.rangeReadFor(p); rr != nil {
		if done, err := runRangeRead(sctx, c, rr, p, flags, ps.fields, callback); done {
			return finishStatement(query, err)
		}
	}
	return runStatement(sctx, c, query, flags, func(flags *sql.QueryFlags) (sql.Schema, sql.RowIter, *sql.QueryFlags, error) {
		return h.s.engine.PrepQueryPlanForExecution(sctx, query, p, flags)
	}, func(sql.Schema) []*querypb.Field { return ps.fields }, callback, false)
}

// runStatement is the part of GMS's doQuery after the statement's context
// is made: exec runs the statement with flags (deferred projections set),
// its result goes to callback with the column definitions fields gives,
// the outcome is counted in GMS's query metrics and errors are cast as
// GMS casts them. written says that callback has written a batch's rows
// when it returns (see pullRows).
func runStatement(sctx *sql.Context, c *mysql.Conn, query string, flags *sql.QueryFlags,
	exec func(*sql.QueryFlags) (sql.Schema, sql.RowIter, *sql.QueryFlags, error),
	fields func(sql.Schema) []*querypb.Field, callback func(*sqltypes.Result) error, written bool) error {
	flags.Set(sql.QFlagDeferProjections)
	schema, iter, flags, err := exec(flags)
	if err != nil {
		return finishStatement(query, err)
	}
	return finishStatement(query, sendResult(sctx, c, schema, iter, flags, fields(schema), callback, written))
}

// finishStatement counts a statement's outcome in GMS's query metrics and
// casts its error as GMS casts them.
func finishStatement(query string, err error) error {
	observeQuery(query, err)
	if err != nil {
		err = sql.CastSQLError(err)
	}
	return err
}

// observeQuery counts a statement's outcome in GMS's query counters, as
// GMS's handler (observeQuery) does.
func observeQuery(query string, err error) {
	if err != nil {
		server.QueryErrorCounter.With("query", query, "error", err.Error()).Add(1)
	} else {
		server.QueryCounter.With("query", query).Add(1)
	}
}

// startPrepared does what GMS's QueryWithBindings does before it runs a
// prepared statement's plan: counts Questions, validates the session,
// begins a transaction when none is open and clears the warnings.
func startPrepared(sctx *sql.Context, sess sql.Session) error {
	sql.IncrementStatusVariable(sctx, "Questions", 1)
	if err := beginExecution(sctx, sess); err != nil {
		return err
	}
	sctx.ClearWarnings()
	return nil
}

// beginExecution does what PrepQueryPlanForExecution does before it builds
// a plan's iterator: validates the session and begins a transaction when
// none is open.
func beginExecution(sctx *sql.Context, sess sql.Session) error {
	if err := sess.ValidateSession(sctx); err != nil {
		return err
	}
	if sctx.GetTransaction() == nil {
		if ts, ok := sess.(sql.TransactionSession); ok {
			tx, err := ts.StartTransaction(sctx, sql.ReadWrite)
			if err != nil {
				return err
			}
			sctx.SetTransaction(tx)
		}
	}
	return nil
}

// spoolRows is resultForDefaultIter on one goroutine: rows in batches of
// resultBatch to callback, the iterator closed after the last full batch
// was sent and before the remainder is returned. sent reports whether a
// batch went to callback; written, that callback has written the batch
// when it returns (resultBatcher).
func spoolRows(ctx *sql.Context, c *mysql.Conn, schema sql.Schema, iter sql.RowIter, fields []*querypb.Field, buf *sql.ByteBuffer, callback func(*sqltypes.Result) error, written bool) (r *sqltypes.Result, sent bool, err error) {
	iter, projs := server.GetDeferredProjections(iter)
	b := newResultBatcher(c, fields, buf, callback, written)
	if err := pullRowsRecovered(ctx, schema, iter, projs, b); err != nil {
		// GMS's closing goroutine still closes the iterator; the read's
		// error, the errgroup's first, is the statement's.
		_ = iter.Close(ctx)
		return nil, false, err
	}
	if err := iter.Close(ctx); err != nil {
		return nil, false, err
	}
	r, sent = b.rest()
	return r, sent, nil
}

// pullRowsRecovered is pullRows with a panic turned into the statement's
// error, as GMS's reading and encoding goroutines turn theirs (pan2err):
// the client gets 1105 "handler caught panic: ..." and the iterator is
// still closed.
func pullRowsRecovered(ctx *sql.Context, schema sql.Schema, iter sql.RowIter, projs []sql.Expression, b *resultBatcher) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler caught panic: %v", p)
		}
	}()
	return pullRows(ctx, schema, iter, projs, b)
}

// pullRows reads iter to its end into b.
func pullRows(ctx *sql.Context, schema sql.Schema, iter sql.RowIter, projs []sql.Expression, b *resultBatcher) error {
	for {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		row, err := iter.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if types.IsOkResult(row) {
			if r := b.batch(); len(r.Rows) > 0 {
				return errors.New("handler caught panic: Got OkResult mixed with RowResult") // GMS panics, and recovers
			}
			ok := row[0].(types.OkResult)
			info := ""
			if ok.Info != nil {
				info = ok.Info.String()
			}
			b.r = &sqltypes.Result{RowsAffected: ok.RowsAffected, InsertID: ok.InsertID, Info: info}
			continue
		}
		out, err := rowToSQL(ctx, schema, row, projs, b.buf, &b.vals)
		if err != nil {
			return err
		}
		if err := b.add(out); err != nil {
			return err
		}
	}
}

// resultBatcher collects a result's encoded rows as resultForDefaultIter
// does: batches of resultBatch rows, each sent to callback when full.
//
// When written is set, callback has written a batch's rows to the
// connection when it returns (vitess's text-protocol result callback
// does), and the batch's result, values and buffer space are used again
// for the next batch. Otherwise (a prepared statement's callback may
// hand the batch to a server-side cursor, which writes it on a later
// COM_STMT_FETCH) every batch is new memory.
type resultBatcher struct {
	c        *mysql.Conn
	fields   []*querypb.Field
	buf      *sql.ByteBuffer // the values' bytes
	callback func(*sqltypes.Result) error
	written  bool

	vals  rowValues        // the rows' value slices
	r     *sqltypes.Result // the batch being filled; nil before its first row
	spare *sqltypes.Result // a sent batch's result, when written
	sent  bool             // a batch went to callback
}

func newResultBatcher(c *mysql.Conn, fields []*querypb.Field, buf *sql.ByteBuffer, callback func(*sqltypes.Result) error, written bool) *resultBatcher {
	return &resultBatcher{c: c, fields: fields, buf: buf, callback: callback, written: written}
}

// batch returns the batch being filled, starting one.
func (b *resultBatcher) batch() *sqltypes.Result {
	if b.r == nil {
		if b.spare != nil {
			b.r, b.spare = b.spare, nil
		} else {
			b.r = &sqltypes.Result{Fields: b.fields}
		}
	}
	return b.r
}

// add appends one row (its values from b.vals, their bytes in b.buf),
// sending the batch when it is full.
func (b *resultBatcher) add(out []sqltypes.Value) error {
	r := b.batch()
	if r.Rows == nil && b.sent {
		// After a full batch, the next is likely full too.
		r.Rows = make([][]sqltypes.Value, 0, resultBatch)
	}
	r.Rows = append(r.Rows, out)
	r.RowsAffected++
	if r.RowsAffected < resultBatch {
		return nil
	}
	if err := b.callback(r); err != nil {
		return err
	}
	// GMS resets the buffer after a batch only under a cursor.
	if b.written || b.c.StatusFlags&uint16(mysql.ServerCursorExists) != 0 {
		b.buf.Reset()
	}
	if b.written {
		r.Rows, r.RowsAffected = r.Rows[:0], 0
		b.spare = r
		b.vals.reuse()
	}
	b.r = nil
	b.sent = true
	return nil
}

// rest returns the result still to send (the last, partial batch, or an
// empty result) and whether a batch was sent.
func (b *resultBatcher) rest() (*sqltypes.Result, bool) {
	if b.r == nil {
		return &sqltypes.Result{Fields: b.fields}, b.sent
	}
	return b.r, b.sent
}

// max1RowResult is GMS's resultForMax1RowIter (which ignores the error
// of closing the iterator).
func max1RowResult(ctx *sql.Context, schema sql.Schema, iter sql.RowIter, fields []*querypb.Field, buf *sql.ByteBuffer) (*sqltypes.Result, error) {
	defer iter.Close(ctx)
	row, err := iter.Next(ctx)
	if err == io.EOF {
		return &sqltypes.Result{Fields: fields}, nil
	} else if err != nil {
		return nil, err
	}
	if _, err = iter.Next(ctx); err != io.EOF {
		return nil, errMoreThanOneRow
	}
	out, err := server.RowToSQL(ctx, schema, row, nil, buf)
	if err != nil {
		return nil, err
	}
	return &sqltypes.Result{Fields: fields, Rows: [][]sqltypes.Value{out}, RowsAffected: 1}, nil
}

// okResult is GMS's resultForOkIter.
func okResult(ctx *sql.Context, iter sql.RowIter) (*sqltypes.Result, error) {
	row, err := iter.Next(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := iter.Next(ctx); err != io.EOF {
		return nil, fmt.Errorf("result schema iterator returned more than one row")
	}
	if err := iter.Close(ctx); err != nil {
		return nil, err
	}
	ok := row[0].(types.OkResult)
	info := ""
	if ok.Info != nil {
		info = ok.Info.String()
	}
	return &sqltypes.Result{RowsAffected: ok.RowsAffected, InsertID: ok.InsertID, Info: info}, nil
}

// emptyResult is GMS's resultForEmptyIter.
func emptyResult(ctx *sql.Context, iter sql.RowIter, fields []*querypb.Field) (*sqltypes.Result, error) {
	if _, err := iter.Next(ctx); err != io.EOF {
		return nil, fmt.Errorf("result schema iterator returned more than zero rows")
	}
	if err := iter.Close(ctx); err != nil {
		return nil, err
	}
	return &sqltypes.Result{Fields: fields}, nil
}
