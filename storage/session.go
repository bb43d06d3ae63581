package storage

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
)

// Session is a client session; it owns the session's current transaction.
type Session struct {
	*sql.BaseSession
	e   *Engine
	txn *Txn
	// lockPid is the process id of the current SELECT ... FOR UPDATE/SHARE
	// statement (see LockingParser).
	lockPid   uint64
	lockShare bool
	// explainPid is the process id of the current EXPLAIN statement.
	explainPid uint64
	// pendingLock carries the lock clause of a prepared statement about to
	// execute (EXECUTE does not parse): the statement's first read adopts it.
	pendingLock LockClause
	// temp holds the session's temporary tables (temptables.go); guarded
	// by the engine's mu.
	temp *tempTables
	// hadTemp is set, and stays set, once the session creates a temporary
	// table (readable without the engine's mu).
	hadTemp atomic.Bool
	// warnMu guards the session's warnings: the workers of a parallel scan
	// (planner's AggScan, TopKScan) evaluate expressions that warn, such
	// as CAST(string AS SIGNED), at once, and GMS's BaseSession appends to
	// its list unguarded.
	warnMu sync.Mutex
	// varGen counts calls that may change the session's system variables
	// (see VarGeneration); vars caches what storage reads of them on every
	// statement, as of generation vars.gen.
	varGen atomic.Uint64
	varsMu sync.Mutex
	vars   sessionVars
}

// sessionVars are the system variables storage reads on every statement
// or lock, decoded.
type sessionVars struct {
	valid    bool
	gen      uint64
	iso      Isolation     // transaction_isolation
	mdlWait  time.Duration // lock_wait_timeout
	lockWait time.Duration // innodb_lock_wait_timeout
	auto     bool          // autocommit, as plan.IsSessionAutocommit reads it
	autoErr  error
}

// varsOf returns ctx's session variables that storage reads often: from
// the session's cache while its variables are unchanged.
func varsOf(ctx *sql.Context) sessionVars {
	if ctx == nil {
		return readVars(nil)
	}
	s, ok := ctx.Session.(*Session)
	if !ok {
		return readVars(ctx)
	}
	s.varsMu.Lock()
	defer s.varsMu.Unlock()
	if gen := s.varGen.Load(); !s.vars.valid || s.vars.gen != gen {
		s.vars = readVars(ctx)
		s.vars.valid, s.vars.gen = true, gen
	}
	return s.vars
}

func readVars(ctx *sql.Context) sessionVars {
	v := sessionVars{
		iso:      readIsolation(ctx),
		mdlWait:  sysvarSeconds(ctx, "lock_wait_timeout", 31536000*time.Second),
		lockWait: sysvarSeconds(ctx, "innodb_lock_wait_timeout", 50*time.Second),
	}
	if ctx != nil {
		v.auto, v.autoErr = plan.IsSessionAutocommit(ctx)
	}
	return v
}

// SessionAutocommit is plan.IsSessionAutocommit, from the session's cache
// while its variables are unchanged.
func SessionAutocommit(ctx *sql.Context) (bool, error) {
	v := varsOf(ctx)
	return v.auto, v.autoErr
}

// SetSessionVariable implements sql.Session; it counts the change (see
// VarGeneration).
func (s *Session) SetSessionVariable(ctx *sql.Context, name string, value any) error {
	defer s.varGen.Add(1)
	return s.BaseSession.SetSessionVariable(ctx, name, value)
}

// InitSessionVariable implements sql.Session; it counts the change (see
// VarGeneration).
func (s *Session) InitSessionVariable(ctx *sql.Context, name string, value any) error {
	defer s.varGen.Add(1)
	return s.BaseSession.InitSessionVariable(ctx, name, value)
}

// VarGeneration returns a number that changes whenever the session's
// system variables may have changed. GMS's BaseSession changes them only
// in SetSessionVariable and InitSessionVariable, which count here, so a
// value derived from them while the number was g is current as long as
// VarGeneration still returns g. Safe for concurrent use.
func (s *Session) VarGeneration() uint64 { return s.varGen.Load() }

// Warn implements sql.Session; safe for concurrent use.
func (s *Session) Warn(w *sql.Warning) {
	s.warnMu.Lock()
	defer s.warnMu.Unlock()
	s.BaseSession.Warn(w)
}

// Warnings implements sql.Session; safe for concurrent use.
func (s *Session) Warnings() []*sql.Warning {
	s.warnMu.Lock()
	defer s.warnMu.Unlock()
	return s.BaseSession.Warnings()
}

// WarningCount implements sql.Session; safe for concurrent use.
func (s *Session) WarningCount() uint16 {
	s.warnMu.Lock()
	defer s.warnMu.Unlock()
	return s.BaseSession.WarningCount()
}

// ClearWarnings implements sql.Session; safe for concurrent use.
func (s *Session) ClearWarnings() {
	s.warnMu.Lock()
	defer s.warnMu.Unlock()
	s.BaseSession.ClearWarnings()
}

// HadTemporaryTables reports whether the session ever created a temporary
// table, which may hide a permanent table of the same name.
func (s *Session) HadTemporaryTables() bool { return s.hadTemp.Load() }

// LockClause is the row-locking clause of a SELECT.
type LockClause uint8

const (
	// NoLock is a plain consistent read.
	NoLock LockClause = iota
	// ForUpdate is SELECT ... FOR UPDATE.
	ForUpdate
	// ForShare is SELECT ... FOR SHARE / LOCK IN SHARE MODE.
	ForShare
)

// LockClauseOf returns the locking clause of a parsed statement.
func LockClauseOf(st ast.Statement) LockClause {
	var lock string
	switch n := st.(type) {
	case *ast.Select:
		lock = n.Lock
	case *ast.SetOp:
		lock = n.Lock
	}
	lock = strings.ToLower(lock)
	switch {
	case strings.Contains(lock, "update"):
		return ForUpdate
	case strings.Contains(lock, "share"):
		return ForShare
	}
	return NoLock
}

// SetPendingLock declares the lock clause of the prepared statement the
// session is about to execute; NoLock clears it. The wire handler calls it
// around COM_STMT_EXECUTE.
func (s *Session) SetPendingLock(c LockClause) { s.pendingLock = c }

var _ sql.TransactionSession = (*Session)(nil)

// NewSession wraps a base session in a storage session.
func (e *Engine) NewSession(base *sql.BaseSession) sql.Session {
	return &Session{BaseSession: base, e: e}
}

func isolationOf(ctx *sql.Context) Isolation { return varsOf(ctx).iso }

// readIsolation reads transaction_isolation; isolationOf caches it.
func readIsolation(ctx *sql.Context) Isolation {
	if ctx == nil {
		return RepeatableRead
	}
	v, err := ctx.GetSessionVariable(ctx, "transaction_isolation")
	if err != nil {
		return RepeatableRead
	}
	s, _ := v.(string)
	switch strings.ToUpper(s) {
	case "READ-COMMITTED", "READ-UNCOMMITTED":
		return ReadCommitted
	default: // REPEATABLE-READ; SERIALIZABLE is served as REPEATABLE-READ
		return RepeatableRead
	}
}

// StartTransaction implements sql.TransactionSession. It is cheap: the
// snapshot is taken at the first read.
//
// A call while the session's transaction is still open joins it: GMS
// detaches the transaction from the context while a stored procedure runs
// (CALL), and the procedure's statements must run inside it, as in MySQL.
// BEGIN, COMMIT and ROLLBACK end the open transaction before starting one.
func (s *Session) StartTransaction(ctx *sql.Context, c sql.TransactionCharacteristic) (sql.Transaction, error) {
	if s.txn != nil && !s.txn.closed {
		return s.txn, nil
	}
	s.txn = s.e.newTxn(c == sql.ReadOnly, isolationOf(ctx))
	return s.txn, nil
}

// CommitTransaction implements sql.TransactionSession. A failed commit
// rolls the transaction back and ends it for the session. A commit asked for
// while a statement of the transaction is still running is deferred to
// that statement's own commit (see Txn.deferred): GMS commits the
// statements of a procedure that a trigger calls in autocommit mode in the
// middle of the triggering statement.
func (s *Session) CommitTransaction(ctx *sql.Context, tx sql.Transaction) error {
	t, ok := tx.(*Txn)
	if !ok || t == nil {
		return nil
	}
	if len(t.stmts) > 0 {
		t.deferred = true
		return nil
	}
	err := t.commit()
	if s.txn == t {
		s.txn = nil
	}
	if err != nil && ctx != nil {
		// The transaction is over (rolled back, as MySQL does when a
		// commit fails), so the session leaves it: GMS clears it only
		// after a commit succeeds, and statements would otherwise run in
		// the ended transaction and never be committed.
		ctx.SetTransaction(nil)
		ctx.SetIgnoreAutoCommit(false)
	}
	return err
}

// Rollback implements sql.TransactionSession.
func (s *Session) Rollback(ctx *sql.Context, tx sql.Transaction) error {
	if t, ok := tx.(*Txn); ok && t != nil {
		t.rollback()
		if s.txn == t {
			s.txn = nil
		}
	}
	return nil
}

// CreateSavepoint implements sql.TransactionSession.
func (s *Session) CreateSavepoint(ctx *sql.Context, tx sql.Transaction, name string) error {
	if t, ok := tx.(*Txn); ok && t != nil {
		t.createSavepoint(name)
	}
	return nil
}

// RollbackToSavepoint implements sql.TransactionSession.
func (s *Session) RollbackToSavepoint(ctx *sql.Context, tx sql.Transaction, name string) error {
	t, ok := tx.(*Txn)
	if !ok || t == nil {
		return sql.ErrSavepointDoesNotExist.New(name)
	}
	return t.rollbackToSavepoint(name)
}

// ReleaseSavepoint implements sql.TransactionSession.
func (s *Session) ReleaseSavepoint(ctx *sql.Context, tx sql.Transaction, name string) error {
	t, ok := tx.(*Txn)
	if !ok || t == nil || !t.releaseSavepoint(name) {
		return sql.ErrSavepointDoesNotExist.New(name)
	}
	return nil
}

// txnFor returns the transaction that ctx's statement runs in. GMS starts a
// transaction before every statement; code paths that run outside one (plan
// time, internal contexts) get a short-lived read transaction.
func (e *Engine) txnFor(ctx *sql.Context) *Txn {
	if ctx != nil {
		if t, ok := ctx.GetTransaction().(*Txn); ok && t != nil && !t.closed {
			return t
		}
		if s, ok := ctx.Session.(*Session); ok && s.txn != nil && !s.txn.closed {
			return s.txn
		}
		if s, ok := ctx.Session.(*Session); ok {
			t := e.newTxn(false, isolationOf(ctx))
			s.txn = t
			ctx.SetTransaction(t)
			return t
		}
	}
	t := e.newTxn(false, RepeatableRead)
	t.orphan = true
	return t
}

var _ sql.LifecycleAwareSession = (*Session)(nil)

// CommandBegin implements sql.LifecycleAwareSession.
func (s *Session) CommandBegin() error { return nil }

// CommandEnd implements sql.LifecycleAwareSession. Under autocommit a
// statement's transaction ends with the statement; GMS commits it when the
// result iterator closes, but after most errors it leaves it open (or only
// detaches it from the session), so a failed statement's transaction kept
// its metadata and row locks while the session sat idle: other sessions'
// DDL on the table, and writes to its locked rows, waited. Such a
// transaction, with no writes left (a failed statement's writes are undone
// when it fails) and no statement running, is rolled back here. Explicit
// transactions (BEGIN, autocommit off) are not touched.
func (s *Session) CommandEnd() {
	t := s.txn
	if t == nil || t.closed || t.deferred || len(t.stmts) > 0 || t.hasWrites() || s.GetIgnoreAutoCommit() {
		return
	}
	v, err := s.GetSessionVariable(nil, sql.AutoCommitSessionVar)
	if err != nil {
		return
	}
	if auto, err := sql.ConvertToBool(nil, v); err != nil || !auto {
		return
	}
	t.rollback()
	s.txn = nil
	if s.GetTransaction() == sql.Transaction(t) {
		s.SetTransaction(nil)
	}
}

// SessionEnd implements sql.LifecycleAwareSession: a client that goes away
// rolls back its open transaction and releases its locks.
func (s *Session) SessionEnd() {
	if s.txn != nil {
		s.txn.end()
		s.txn = nil
	}
	s.e.dropTempTables(s)
}
