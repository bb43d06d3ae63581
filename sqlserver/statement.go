package sqlserver

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/quarrydb/quarry/internal/insertparse"
	"github.com/quarrydb/quarry/storage"
)

// peerCheckInterval is how often a running statement checks whether its
// client went away (then the statement is cancelled, like KILL QUERY).
const peerCheckInterval = time.Second

// errClientGone is the cancellation cause of a statement whose client
// closed the connection.
var errClientGone = errors.New("client closed the connection")

// connState is what the server tracks per client connection.
type connState struct {
	id   uint32
	conn *mysql.Conn
	sc   *serverConn // nil if the connection did not come from our listener

	sess atomic.Pointer[sessionRef]

	// user and host are the authenticated account, set at login.
	user, host atomic.Pointer[string]

	inStatement atomic.Bool
	stmt        stmtState

	// The check for clients that go away (checkPeer): one timer per
	// connection, armed by a statement when it is not armed already, so
	// back-to-back short statements do not each make and stop a timer.
	// peerRun is the connection's latest statement.
	peerTimer atomic.Pointer[time.Timer]
	peerArmed atomic.Bool
	peerRun   atomic.Pointer[stmtRun]

	// Learned prepared point SELECTs (pointselect.go), by statement text,
	// and which texts have the shape; used on the connection's goroutine.
	points      map[string]*pointStmt
	plans       map[string]*planStmt
	dmls        map[string]*dmlStmt
	inserts     map[string]*insertparse.Insert // parsedInsert; nil: not of the form
	bulks       map[string]*bulkStmt           // INSERTs' table bindings (prepared text or textInsertKey)
	pointShapes map[string]stmtShape
	planCands   map[string]*planCands // learnPlan's evidence so far
	// Learned text SELECTs (textplan.go), by masked text.
	texts     map[string]*planStmt
	textCands map[string]*planCands
	capture   *pointCapture // set while GMS runs a candidate
	vars      stmtVars      // see stmtVars; used on the connection's goroutine
}

type sessionRef struct{ s sql.Session }

// stmtVars are the session variables every statement reads, as sessionInt
// reads them.
type stmtVars struct {
	sess        *storage.Session // whose variables these are, at generation gen
	gen         uint64
	maxPacket   int64 // max_allowed_packet
	memLimit    int64 // quarry_query_memory_limit
	maxExec     int64 // max_execution_time
	waitTimeout int64 // wait_timeout
}

// stmtVars returns sess's stmtVars, from the connection's cache while the
// session's variables are unchanged (storage.Session.VarGeneration). A
// value read from the global fallback of sessionInt is never cached: a
// global can change without the session noticing.
func (cs *connState) stmtVars(sess sql.Session) stmtVars {
	s, ok := sess.(*storage.Session)
	if cs == nil || !ok {
		v, _ := readStmtVars(sess)
		return v
	}
	gen := s.VarGeneration()
	if cs.vars.sess == s && cs.vars.gen == gen {
		return cs.vars
	}
	v, fromSession := readStmtVars(sess)
	if fromSession {
		v.sess, v.gen = s, gen
		cs.vars = v
	}
	return v
}

// readStmtVars reads the stmtVars of sess; fromSession is false if any
// came from a global value instead.
func readStmtVars(sess sql.Session) (v stmtVars, fromSession bool) {
	fromSession = true
	read := func(name string, def int64) int64 {
		n, own := sessionIntFrom(sess, name, def)
		fromSession = fromSession && own
		return n
	}
	v.maxPacket = read("max_allowed_packet", 0)
	v.memLimit = read(quarryQueryMemoryLimit, DefaultQueryMemoryLimit)
	v.maxExec = read("max_execution_time", 0)
	v.waitTimeout = read("wait_timeout", 28800)
	return v, fromSession
}

func (cs *connState) session() sql.Session {
	if cs == nil {
		return nil
	}
	if r := cs.sess.Load(); r != nil {
		return r.s
	}
	return nil
}

func (cs *connState) account() (user, host string) {
	if p := cs.user.Load(); p != nil {
		user = *p
	}
	if p := cs.host.Load(); p != nil {
		host = *p
	}
	return user, host
}

func (s *Server) connState(c *mysql.Conn) *connState {
	if v, ok := s.conns.Load(c.ConnectionID); ok {
		return v.(*connState)
	}
	return nil
}

// setSession records the session GMS built for cs (on first use and after
// COM_RESET_CONNECTION) and applies interactive_timeout to interactive
// clients, as MySQL does at connect.
func (s *Server) setSession(ctx context.Context, cs *connState, sess sql.Session) {
	if old := cs.session(); old != nil {
		sessions.Delete(old)
	}
	cs.sess.Store(&sessionRef{s: sess})
	sessions.Store(sess, cs)
	if cs.conn != nil && cs.conn.Capabilities&capabilityClientInteractive != 0 {
		sctx := sql.NewContext(ctx, sql.WithSession(sess))
		if err := sess.SetSessionVariable(sctx, "wait_timeout", globalInt("interactive_timeout", 28800)); err != nil {
			s.log.Debug("cannot apply interactive_timeout", "conn_id", cs.id, "err", err)
		}
	}
}

// stmtRunKey is the context key of a statement's stmtRun (from
// Server.beginStatement). Under it, results pass through spool/spool1
// (fixFspFields), and procList's KILL cancels the stmtRun's context.
type stmtRunKey struct{}

// stmtRun is one statement in flight.
type stmtRun struct {
	s      *Server
	cs     *connState
	typ    stmtType
	start  time.Time
	err    error // refused before running
	ctx    context.Context
	cancel context.CancelCauseFunc
	stop   context.CancelFunc // of the max_execution_time deadline
	done   atomic.Bool

	rowsSent     atomic.Int64
	rowsAffected atomic.Int64
}

// beginCommand marks a connection busy with a command that is not a
// statement (COM_INIT_DB, COM_PREPARE, ...); endCommand makes it idle.
func (s *Server) beginCommand(c *mysql.Conn) *connState {
	cs := s.connState(c)
	if cs != nil && cs.sc != nil {
		cs.sc.enterCommand()
	}
	return cs
}

func (s *Server) endCommand(cs *connState) {
	if cs != nil && cs.sc != nil {
		cs.sc.enterIdle(time.Duration(cs.stmtVars(cs.session()).waitTimeout) * time.Second)
	}
}

// beginStatement prepares a statement for running: metrics, logs,
// max_execution_time, the memory bound, max_allowed_packet and the check
// for clients that go away. The caller runs the statement with the
// returned context unless r.err is set, then calls r.end.
func (s *Server) beginStatement(ctx context.Context, c *mysql.Conn, query string) (*stmtRun, context.Context) {
	cs := s.beginCommand(c)
	r := &stmtRun{s: s, cs: cs, typ: classifyStatement(query), start: time.Now()}
	sess := cs.session()
	vars := cs.stmtVars(sess)
	if limit := vars.maxPacket; limit > 0 && int64(len(query)) > limit {
		r.err = errPacketTooLarge(limit)
		return r, ctx
	}
	if cs != nil {
		limit := vars.memLimit
		cs.stmt.reset(r.typ, uint64(max(limit, 0)))
		cs.inStatement.Store(true)
	}
	if r.typ == stmtShow {
		s.refreshStatus()
	}
	if v := r.typ.comStatusVar(); v != "" {
		sql.StatusVariables.IncrementGlobal(v, 1)
		if sess != nil {
			sess.IncrementStatusVariable(nil, v, 1)
		}
	}
	if globalInt("general_log", 0) != 0 {
		s.logs.logGeneral(c.ConnectionID, "Query", query)
	}

	ctx = context.WithValue(ctx, stmtRunKey{}, r)
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	if r.typ == stmtSelect {
		ms, ok := maxExecutionTimeHint(query)
		if !ok {
			ms = uint64(max(vars.maxExec, 0))
		}
		if ms > 0 {
			sql.StatusVariables.IncrementGlobal("Max_execution_time_set", 1)
			r.ctx, r.stop = context.WithTimeoutCause(r.ctx, time.Duration(ms)*time.Millisecond, errQueryTimeout)
		}
	}
	if cs != nil && cs.sc != nil {
		cs.peerRun.Store(r)
		cs.armPeerCheck()
	}
	return r, r.ctx
}

// armPeerCheck starts the connection's peer check timer unless it is
// armed. A statement is thus first checked at most peerCheckInterval after
// it starts, then every peerCheckInterval while it runs.
func (cs *connState) armPeerCheck() {
	if !cs.peerArmed.CompareAndSwap(false, true) {
		return
	}
	if t := cs.peerTimer.Load(); t != nil {
		t.Reset(peerCheckInterval)
		return
	}
	cs.peerTimer.Store(time.AfterFunc(peerCheckInterval, cs.checkPeer))
}

// checkPeer cancels the connection's running statement if its client has
// closed the connection; while the statement runs it checks again later.
// With no statement running the timer stays disarmed until the next one.
//
// Invariant: a statement that begins while the timer is disarmed arms it.
// checkPeer disarms before it reads peerRun and beginStatement stores
// peerRun before it arms, so either beginStatement arms the timer or
// checkPeer sees the new statement and re-arms it.
func (cs *connState) checkPeer() {
	cs.peerArmed.Store(false)
	r := cs.peerRun.Load()
	if r == nil || r.done.Load() {
		return
	}
	if peerClosed(cs.sc.Conn) {
		r.s.log.Info("client went away; cancelling its statement", "conn_id", cs.id)
		r.cancel(errClientGone)
		return
	}
	cs.armPeerCheck()
}

// stopPeerCheck stops the connection's peer check timer (the connection
// closed).
func (cs *connState) stopPeerCheck() {
	cs.peerRun.Store(nil)
	if t := cs.peerTimer.Load(); t != nil {
		t.Stop()
	}
}

// spool wraps a result callback to count the rows sent and affected.
func (r *stmtRun) spool(cb mysql.ResultSpoolFn) mysql.ResultSpoolFn {
	return func(res *sqltypes.Result, more bool) error {
		r.count(res)
		if res != nil {
			fixFspFields(res.Fields)
		}
		padDatetimeFields(res)
		dropShortOKInfo(res)
		return cb(res, more)
	}
}

// okInfoLengthByte is the byte vitess writes before an OK packet's info
// text ('#'). MySQL's and MariaDB's client libraries read the info as a
// length-encoded string, so they take that byte for the length 35.
const okInfoLengthByte = '#'

// dropShortOKInfo drops the info text of an OK packet that is shorter than
// okInfoLengthByte says: the client would read past the packet's end, and
// the mysql and mariadb CLIs failed with 2027 "Received malformed packet"
// (PREPARE's "Statement prepared"). Longer texts (UPDATE's "Rows matched:
// ...") read as their first 35 bytes and are kept.
func dropShortOKInfo(res *sqltypes.Result) {
	if res != nil && len(res.Fields) == 0 && res.Info != "" && len(res.Info) < okInfoLengthByte {
		res.Info = ""
	}
}

// spool1 is spool for COM_STMT_EXECUTE's callback.
func (r *stmtRun) spool1(cb func(*sqltypes.Result) error) func(*sqltypes.Result) error {
	return func(res *sqltypes.Result) error {
		r.count(res)
		if res != nil {
			fixFspFields(res.Fields)
		}
		return cb(res)
	}
}

func (r *stmtRun) count(res *sqltypes.Result) {
	if res == nil {
		return
	}
	if len(res.Fields) > 0 {
		r.rowsSent.Add(int64(len(res.Rows)))
	} else {
		r.rowsAffected.Add(int64(res.RowsAffected))
	}
}

// end finishes the statement: err is what running it returned; query is
// the statement text (for logs). It returns the error for the client.
func (r *stmtRun) end(err error, query string) error {
	r.done.Store(true)
	s, cs := r.s, r.cs
	if r.err != nil {
		err = r.err
	}
	if err != nil && r.ctx != nil {
		switch cause := context.Cause(r.ctx); {
		case r.ctx.Err() != nil && errors.Is(cause, errQueryTimeout):
			err = errQueryTimeout
			s.m.queryTimeouts.Inc()
			sql.StatusVariables.IncrementGlobal("Max_execution_time_exceeded", 1)
		case cs != nil && cs.stmt.memExceeded.Load():
			err = errMemoryLimit(&cs.stmt)
			s.m.memLimitExceeded.Inc()
		}
	}
	if r.stop != nil {
		r.stop()
	}
	if r.cancel != nil {
		r.cancel(nil)
	}
	err = clientError(err)
	d := time.Since(r.start)

	s.m.observeDuration(r.typ, err != nil, d.Seconds())
	sent, affected := r.rowsSent.Load(), r.rowsAffected.Load()
	s.m.rowsSent.Add(float64(sent))
	var examined int64
	if cs != nil {
		examined = cs.stmt.rowsExamined.Load()
		s.m.rowsExamined.Add(float64(examined))
		sql.StatusVariables.IncrementGlobal("Innodb_rows_read", int(examined))
		switch r.typ {
		case stmtSelect, stmtInsert, stmtUpdate, stmtDelete, stmtReplace:
			s.m.paths[cs.stmt.worstPath()].Inc()
		}
	}
	switch r.typ {
	case stmtInsert, stmtReplace, stmtLoad:
		s.m.affected[r.typ].Add(float64(affected))
		sql.StatusVariables.IncrementGlobal("Innodb_rows_inserted", int(affected))
	case stmtUpdate:
		s.m.affected[r.typ].Add(float64(affected))
		sql.StatusVariables.IncrementGlobal("Innodb_rows_updated", int(affected))
	case stmtDelete:
		s.m.affected[r.typ].Add(float64(affected))
		sql.StatusVariables.IncrementGlobal("Innodb_rows_deleted", int(affected))
	}

	if d.Seconds() > globalFloat("long_query_time", 10) {
		s.m.slowQueries.Inc()
		if globalInt("slow_query_log", 0) != 0 {
			e := slowEntry{
				start: r.start, duration: d, rowsSent: sent, rowsExamined: examined,
				rowsAffected: affected, accessPath: "none", err: err, query: query,
			}
			if cs != nil {
				e.accessPath = cs.stmt.pathsString()
				e.connID = cs.id
				e.user, e.host = cs.account()
				if sess := cs.session(); sess != nil {
					e.db = sess.GetCurrentDatabase()
				}
			}
			s.logs.logSlow(e)
		}
	}
	if cs != nil {
		cs.inStatement.Store(false)
	}
	s.endCommand(cs)
	return err
}

// refreshStatus brings the status variables GMS does not maintain up to
// date: Uptime, the byte counts and the storage engine's counters.
func (s *Server) refreshStatus() {
	set := func(name string, v uint64) { _ = sql.StatusVariables.SetGlobal(name, v) }
	set("Uptime", uint64(time.Since(s.startAt).Seconds()))
	set("Uptime_since_flush_status", uint64(time.Since(s.startAt).Seconds()))
	set("Bytes_received", s.bytesReceived.Load())
	set("Bytes_sent", s.bytesSent.Load())
	st := s.store.Stats()
	set("Handler_commit", st.Commits.Load())
	set("Handler_rollback", st.Rollbacks.Load())
	set("Innodb_row_lock_waits", st.LockWaits.Load())
}
