package sqlserver

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// Prepared BEGIN and COMMIT. OLTP clients (sysbench) prepare them and
// execute them around every transaction, and GMS bound and analysed each
// execution again to build the same one-node plan: plan.StartTransaction
// (read-write) for BEGIN / START TRANSACTION, plan.Commit for COMMIT
// (planbuilder's build of ast.Begin and ast.Commit; the analyzer leaves
// both as they are). tryTxnStmt builds that node itself and runs it as
// GMS's handler and QueryWithBindings run the analysed plan: process list
// entry and session command bracket, Questions, ValidateSession, a
// transaction begun when none is open, warnings cleared, then
// PrepQueryPlanForExecution (GMS's executor: BEGIN commits an open
// transaction and starts one that autocommit leaves alone, COMMIT commits
// and ends it; the transaction-committing and tracking iterators), the
// empty result, the connection status flags, query metrics and errors cast
// as errorWrappedDoQuery casts them.
//
// Only the plain statements are taken: START TRANSACTION READ ONLY or READ
// WRITE (a transaction characteristic in the AST), statements with
// parameters, and everything else go to GMS. The plan depends on nothing
// the session or catalog may change, so nothing is learned or invalidated.

// txnStmtNode returns the plan GMS builds for a prepared BEGIN or COMMIT,
// or nil when the statement is neither, or not the plain form.
func txnStmtNode(st ast.Statement) sql.Node {
	switch s := st.(type) {
	case *ast.Begin:
		if s.TransactionCharacteristic == "" {
			return plan.NewStartTransaction(sql.ReadWrite)
		}
	case *ast.Commit:
		return plan.NewCommit()
	}
	return nil
}

// tryTxnStmt runs a prepared plain BEGIN or COMMIT; done is false when GMS
// must run the statement (nothing has been done then).
func (h *handler) tryTxnStmt(ctx context.Context, c *mysql.Conn, cs *connState, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) (done bool, err error) {
	if len(prepare.BindVars) != 0 || planCaches.get(h.s.engine) == nil {
		return false, nil
	}
	sess := cs.session()
	if sess == nil {
		return false, nil
	}
	parsed, ok := h.s.engine.PreparedDataCache.GetCachedStmt(sess.ID(), sql.RemoveSpaceAndDelimiter(prepare.PrepareStmt, ';'))
	if !ok {
		return false, nil
	}
	n := txnStmtNode(parsed)
	if n == nil {
		return false, nil
	}
	return true, h.runTxnStmt(h.fastPathContext(ctx, sess, prepare.PrepareStmt), c, n, callback)
}

// textTxnNode is txnStmtNode for a text statement: exactly BEGIN, START
// TRANSACTION or COMMIT in any case, with surrounding spaces and one ';'
// (comments, WORK and characteristics go to GMS), or nil.
func textTxnNode(query string) sql.Node {
	q := strings.TrimSpace(query)
	q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	switch {
	case strings.EqualFold(q, "BEGIN"), strings.EqualFold(q, "START TRANSACTION"):
		return plan.NewStartTransaction(sql.ReadWrite)
	case strings.EqualFold(q, "COMMIT"):
		return plan.NewCommit()
	}
	return nil
}

// tryTextTxn runs a text plain BEGIN or COMMIT (COM_QUERY, with or without
// multi-statements) as tryTxnStmt runs a prepared one; done is false when
// GMS must run the statement.
func (h *handler) tryTextTxn(ctx context.Context, c *mysql.Conn, query string, spool mysql.ResultSpoolFn) (done bool, err error) {
	n := textTxnNode(query)
	if n == nil || textTxnOff.Load() || planCaches.get(h.s.engine) == nil {
		return false, nil
	}
	sess := h.s.connState(c).session()
	if sess == nil {
		return false, nil
	}
	return true, h.runTxnStmt(h.fastPathContext(ctx, sess, query), c, n, func(res *sqltypes.Result) error { return spool(res, false) })
}

// textTxnOff makes text BEGIN and COMMIT go through GMS (tests compare).
var textTxnOff atomic.Bool

// runTxnStmt does for n what GMS's handler (doQuery) and QueryWithBindings
// do for a prepared statement whose analysed plan is n, and counts it;
// errors are cast as errorWrappedDoQuery casts them.
func (h *handler) runTxnStmt(sctx *sql.Context, c *mysql.Conn, n sql.Node, callback func(*sqltypes.Result) error) (err error) {
	h.s.m.learnedTxn.Add(1)
	defer func() {
		if err != nil {
			err = sql.CastSQLError(err)
		}
	}()
	sess := sctx.Session
	query := sctx.Query()
	sctx, end, err := beginStatement(sctx)
	if err != nil {
		return err
	}
	defer end()
	defer func() { observeQuery(query, err) }()

	if err := startPrepared(sctx, sess); err != nil {
		return err
	}

	qFlags := &sql.QueryFlags{}
	qFlags.Set(sql.QFlagDeferProjections)
	schema, iter, _, err := h.s.engine.PrepQueryPlanForExecution(sctx, query, n, qFlags)
	if err != nil {
		return err
	}
	if schema != nil {
		iter.Close(sctx)
		return fmt.Errorf("%s: unexpected result schema", query)
	}
	// schemaToFields of the nil schema.
	res, err := emptyResult(sctx, iter, []*querypb.Field{})
	if err != nil {
		return err
	}
	if err := setStatusFlags(sctx, c); err != nil {
		return err
	}
	return callback(res)
}
