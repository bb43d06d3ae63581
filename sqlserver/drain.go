package sqlserver

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/netutil"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/quarrydb/quarry/storage"
)

// errShutdown is what clients get for statements sent once shutdown began.
var errShutdown = mysql.NewSQLError(mysql.ERServerShutdown, mysql.SSServerShutdown, "Server shutdown in progress")

// tracker follows connections and running statements for graceful shutdown.
type tracker struct {
	mu       sync.Mutex
	draining bool // new statements are rejected
	closed   bool // new connections and sessions are refused, reads stopped
	conns    map[uint32]*mysql.Conn
	running  int
	changed  chan struct{} // closed and replaced on a change once watched
	watched  bool          // a waiter holds changed
}

func newTracker() *tracker {
	return &tracker{conns: make(map[uint32]*mysql.Conn), changed: make(chan struct{})}
}

// notify wakes the waiters; t.mu must be held. Without waiters (every
// statement's end, outside shutdown) there is no channel to replace.
func (t *tracker) notify() {
	if !t.watched {
		return
	}
	close(t.changed)
	t.changed = make(chan struct{})
	t.watched = false
}

// wait blocks until cond (evaluated with t.mu held) is true or ctx is done.
func (t *tracker) wait(ctx context.Context, cond func() bool) error {
	for {
		t.mu.Lock()
		if cond() {
			t.mu.Unlock()
			return nil
		}
		ch := t.changed
		t.watched = true
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (t *tracker) beginStatement() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.draining {
		return errShutdown
	}
	t.running++
	return nil
}

func (t *tracker) endStatement() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running--
	t.notify()
}

// drain makes new statements fail with errShutdown.
func (t *tracker) drain() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.draining = true
	t.notify()
}

func (t *tracker) waitIdle(ctx context.Context) error {
	return t.wait(ctx, func() bool { return t.running == 0 })
}

func (t *tracker) waitNoConns(ctx context.Context) error {
	return t.wait(ctx, func() bool { return len(t.conns) == 0 })
}

// stopReading refuses further connections and sessions and shuts down the
// read side of every open connection. A connection blocked waiting for its
// next command gets EOF at once; one still writing a response (the
// handler has returned but vitess writes and flushes the final packets
// afterwards) finishes writing and then reads EOF. Either way the
// connection handler exits and calls ConnectionClosed, and no response is
// cut off.
func (t *tracker) stopReading() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	t.draining = true
	for _, c := range t.conns {
		if !closeRead(c.Conn) {
			c.Close()
		}
	}
	t.notify()
}

// forceClose closes every open connection.
func (t *tracker) forceClose() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.conns {
		c.Close()
	}
}

// closeRead shuts down the read side of the TCP connection under nc
// (unwrapping vitess's timeout wrapper and TLS). It reports false if nc
// has no such connection.
func closeRead(nc net.Conn) bool {
	for {
		switch x := nc.(type) {
		case interface{ CloseRead() error }:
			return x.CloseRead() == nil
		case netutil.ConnWithTimeouts:
			nc = x.Conn
		case *tls.Conn:
			nc = x.NetConn()
		default:
			return false
		}
	}
}

// isTracked reports whether connection id is registered (NewConnection
// ran while the server was open, ConnectionClosed has not finished).
func (t *tracker) isTracked(id uint32) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.conns[id]
	return ok
}

// connIDs returns the IDs of the open connections.
func (t *tracker) connIDs() []uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]uint32, 0, len(t.conns))
	for id := range t.conns {
		ids = append(ids, id)
	}
	return ids
}

func (t *tracker) stats() (conns, running int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns), t.running
}

// handler wraps GMS's handler to count connections and statements. It
// embeds the concrete *server.Handler so the optional vitess interfaces
// (ExtendedHandler, BinlogReplicaHandler) stay implemented; every method
// that runs a statement is overridden to go through the tracker (graceful
// shutdown) and the server's statement hooks (metrics, logs, limits; see
// beginStatement), and to return MySQL's error number and SQLSTATE
// (MySQLError) to vitess.
type handler struct {
	*server.Handler
	t *tracker
	s *Server
}

var (
	_ mysql.Handler              = (*handler)(nil)
	_ mysql.ExtendedHandler      = (*handler)(nil)
	_ mysql.BinlogReplicaHandler = (*handler)(nil)
)

// NewConnection implements mysql.Handler.
func (h *handler) NewConnection(c *mysql.Conn) {
	cs := &connState{id: c.ConnectionID, conn: c, sc: serverConnOf(c)}
	if cs.sc != nil {
		cs.sc.id.Store(c.ConnectionID)
	}
	h.s.conns.Store(c.ConnectionID, cs)
	h.Handler.NewConnection(c)
	// Sessions start in autocommit mode; drivers (PyMySQL, mysqlclient) read
	// this handshake flag and skip SET autocommit=0 if it looks off already.
	c.StatusFlags |= mysql.ServerStatusAutocommit
	h.t.mu.Lock()
	defer h.t.mu.Unlock()
	if h.t.closed {
		// Accepted just before the listener closed: not tracked, so the
		// session builder refuses it and it never reaches storage.
		c.Close()
		return
	}
	h.t.conns[c.ConnectionID] = c
	h.t.notify()
}

// ConnectionClosed implements mysql.Handler.
func (h *handler) ConnectionClosed(c *mysql.Conn) {
	h.Handler.ConnectionClosed(c)
	if cs := h.s.connState(c); cs != nil {
		cs.stopPeerCheck()
		if sess := cs.session(); sess != nil {
			sessions.Delete(sess)
		}
		h.s.conns.Delete(c.ConnectionID)
		if cs.user.Load() != nil && globalInt("general_log", 0) != 0 {
			h.s.logs.logGeneral(c.ConnectionID, "Quit", "")
		}
	}
	h.t.mu.Lock()
	defer h.t.mu.Unlock()
	if _, ok := h.t.conns[c.ConnectionID]; ok {
		delete(h.t.conns, c.ConnectionID)
		h.t.notify()
	}
}

// ComInitDB implements mysql.Handler.
func (h *handler) ComInitDB(c *mysql.Conn, schemaName string) error {
	if err := h.t.beginStatement(); err != nil {
		return err
	}
	defer h.t.endStatement()
	defer h.s.endCommand(h.s.beginCommand(c))
	return clientError(h.Handler.ComInitDB(c, schemaName))
}

// ComQuery implements mysql.Handler.
func (h *handler) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) error {
	if err := h.t.beginStatement(); err != nil {
		return err
	}
	defer h.t.endStatement()
	r, ctx := h.s.beginStatement(ctx, c, query)
	var err error
	if r.err == nil {
		err = h.catchPanic(c, query, func() error {
			spool := r.spool(callback)
			if done, _, err := h.tryBulkInsert(ctx, c, query, false, spool); done == bulkDone {
				return err
			}
			if done, err := h.tryTextTxn(ctx, c, query, spool); done {
				return err
			}
			if done, _, err := h.tryDirectQuery(ctx, c, query, false, spool); done {
				return err
			}
			return h.Handler.ComQuery(ctx, c, query, spool)
		})
	}
	return r.end(err, query)
}

// ComMultiQuery implements mysql.Handler. vitess calls it once per
// statement of a multi-statement packet with the statements left; it runs
// the first and returns the rest.
func (h *handler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (string, error) {
	if err := h.t.beginStatement(); err != nil {
		return "", err
	}
	defer h.t.endStatement()
	r, ctx := h.s.beginStatement(ctx, c, query)
	var (
		rest string
		err  error
	)
	if r.err == nil {
		err = h.catchPanic(c, query, func() (err error) {
			var done bulkInsertOutcome
			spool := r.spool(callback)
			if done, rest, err = h.tryBulkInsert(ctx, c, query, true, spool); done == bulkDone {
				return err
			}
			var direct bool
			if direct, err = h.tryTextTxn(ctx, c, query, spool); direct {
				return err
			}
			if direct, rest, err = h.tryDirectQuery(ctx, c, query, true, spool); direct {
				return err
			}
			rest, err = h.Handler.ComMultiQuery(ctx, c, query, spool)
			return err
		})
	}
	executed := query
	if len(rest) <= len(query) && strings.HasSuffix(query, rest) {
		executed = query[:len(query)-len(rest)]
	}
	return rest, r.end(err, executed)
}

// ComPrepare implements mysql.Handler.
func (h *handler) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) ([]*querypb.Field, error) {
	if err := h.t.beginStatement(); err != nil {
		return nil, err
	}
	defer h.t.endStatement()
	defer h.s.endCommand(h.s.beginCommand(c))
	fields, err := h.Handler.ComPrepare(ctx, c, query, prepare)
	fixFspFields(fields)
	return fields, clientError(err)
}

// ComStmtExecute implements mysql.Handler.
func (h *handler) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	if err := h.t.beginStatement(); err != nil {
		return err
	}
	defer h.t.endStatement()
	r, ctx := h.s.beginStatement(ctx, c, prepare.PrepareStmt)
	var err error
	if r.err == nil {
		// EXECUTE does not parse: tell storage about a FOR UPDATE/SHARE.
		if lc := lockClauseOf(prepare.PrepareStmt); lc != storage.NoLock {
			if sess, ok := h.s.connState(c).session().(*storage.Session); ok {
				sess.SetPendingLock(lc)
				defer sess.SetPendingLock(storage.NoLock)
			}
		}
		err = h.catchPanic(c, prepare.PrepareStmt, func() error { return h.stmtExecute(ctx, c, prepare, r.spool1(callback)) })
	}
	return r.end(err, prepare.PrepareStmt)
}

// ComResetConnection implements mysql.Handler.
func (h *handler) ComResetConnection(c *mysql.Conn) error {
	if err := h.t.beginStatement(); err != nil {
		return err
	}
	defer h.t.endStatement()
	defer h.s.endCommand(h.s.beginCommand(c))
	return clientError(h.Handler.ComResetConnection(c))
}

// ComParsedQuery implements mysql.ExtendedHandler.
func (h *handler) ComParsedQuery(ctx context.Context, c *mysql.Conn, query string, parsed sqlparser.Statement, callback mysql.ResultSpoolFn) error {
	if err := h.t.beginStatement(); err != nil {
		return err
	}
	defer h.t.endStatement()
	r, ctx := h.s.beginStatement(ctx, c, query)
	var err error
	if r.err == nil {
		err = h.catchPanic(c, query, func() error { return h.Handler.ComParsedQuery(ctx, c, query, parsed, r.spool(callback)) })
	}
	return r.end(err, query)
}

// ComPrepareParsed implements mysql.ExtendedHandler.
func (h *handler) ComPrepareParsed(ctx context.Context, c *mysql.Conn, query string, parsed sqlparser.Statement, prepare *mysql.PrepareData) (mysql.ParsedQuery, []*querypb.Field, error) {
	if err := h.t.beginStatement(); err != nil {
		return nil, nil, err
	}
	defer h.t.endStatement()
	defer h.s.endCommand(h.s.beginCommand(c))
	pq, fields, err := h.Handler.ComPrepareParsed(ctx, c, query, parsed, prepare)
	fixFspFields(fields)
	return pq, fields, clientError(err)
}

// ComBind implements mysql.ExtendedHandler.
func (h *handler) ComBind(ctx context.Context, c *mysql.Conn, query string, parsedQuery mysql.ParsedQuery, prepare *mysql.PrepareData) (mysql.BoundQuery, []*querypb.Field, error) {
	if err := h.t.beginStatement(); err != nil {
		return nil, nil, err
	}
	defer h.t.endStatement()
	defer h.s.endCommand(h.s.beginCommand(c))
	bq, fields, err := h.Handler.ComBind(ctx, c, query, parsedQuery, prepare)
	fixFspFields(fields)
	return bq, fields, clientError(err)
}

// ComExecuteBound implements mysql.ExtendedHandler.
func (h *handler) ComExecuteBound(ctx context.Context, c *mysql.Conn, query string, boundQuery mysql.BoundQuery, callback mysql.ResultSpoolFn) error {
	if err := h.t.beginStatement(); err != nil {
		return err
	}
	defer h.t.endStatement()
	r, ctx := h.s.beginStatement(ctx, c, query)
	var err error
	if r.err == nil {
		err = h.catchPanic(c, query, func() error { return h.Handler.ComExecuteBound(ctx, c, query, boundQuery, r.spool(callback)) })
	}
	return r.end(err, query)
}

// ComRegisterReplica implements mysql.BinlogReplicaHandler.
func (h *handler) ComRegisterReplica(c *mysql.Conn, replicaHost string, replicaPort uint16, replicaUser string, replicaPassword string) error {
	if err := h.t.beginStatement(); err != nil {
		return err
	}
	defer h.t.endStatement()
	return clientError(h.Handler.ComRegisterReplica(c, replicaHost, replicaPort, replicaUser, replicaPassword))
}

// ComBinlogDumpGTID implements mysql.BinlogReplicaHandler.
func (h *handler) ComBinlogDumpGTID(c *mysql.Conn, logFile string, logPos uint64, gtidSet mysql.GTIDSet) error {
	if err := h.t.beginStatement(); err != nil {
		return err
	}
	defer h.t.endStatement()
	return clientError(h.Handler.ComBinlogDumpGTID(c, logFile, logPos, gtidSet))
}

// lockClauseOf returns the row-locking clause of a statement's text,
// parsing only statements that can carry one.
func lockClauseOf(query string) storage.LockClause {
	if classifyStatement(query) != stmtSelect {
		return storage.NoLock // only a SELECT (or set operation) locks rows
	}
	if !containsASCIIFold(query, "update") && !containsASCIIFold(query, "share") {
		return storage.NoLock
	}
	st, err := sql.GlobalParser.ParseSimple(query)
	if err != nil {
		return storage.NoLock
	}
	return storage.LockClauseOf(st)
}

// containsASCIIFold reports whether s contains word (lower-case ASCII:
// letters match in any case, other bytes exactly); what
// strings.Contains(strings.ToLower(s), word) says without copying s (the
// only non-ASCII runes that lower-case to ASCII letters, U+0130 and
// U+212A, give i and k).
func containsASCIIFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		j := 0
		for j < len(word) && (s[i+j] == word[j] || 'a' <= word[j] && word[j] <= 'z' && s[i+j]|0x20 == word[j]) {
			j++
		}
		if j == len(word) {
			return true
		}
	}
	return false
}
