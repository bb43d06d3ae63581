package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/quarrydb/quarry/storage/kv"
	"github.com/quarrydb/quarry/storage/lock"
)

// Isolation is a transaction isolation level.
type Isolation uint8

const (
	// RepeatableRead reads from one snapshot taken at the first read.
	RepeatableRead Isolation = iota
	// ReadCommitted reads from a fresh snapshot per statement.
	ReadCommitted
)

// Txn is a pessimistic transaction: consistent snapshot reads, buffered
// writes in an overlay, and row locks taken at write time (and by locking
// reads) and held until commit or rollback.
//
// Invariants:
//   - every key in the overlay is X-locked by this transaction, or
//     reserved by one of its bulk loads (see loadRuns);
//   - undo holds, in order, the previous overlay entry of every write, so a
//     savepoint is just a length of undo;
//   - a Txn is used by one session goroutine at a time.
type Txn struct {
	e        *Engine
	id       lock.TxnID
	readOnly bool
	iso      Isolation

	snap    kv.Snapshot
	snapPid uint64
	// lastRead is the last latest-committed read (storeGet).
	lastRead storeRead
	// spare is an iterator of snap that a closed scan left for the next
	// scan of snap, which moves it to its range with SetBounds: opening
	// and closing a Pebble iterator costs more than a short range read
	// (sysbench's ranges read 1 to 100 rows). Invariant: spare is nil or
	// an idle iterator of snap without error; it is closed before snap.
	spare kv.Iterator
	// snapPos is the search position of snap (see SearchPosition).
	snapPos SearchPosition
	// snapDDL is the schema change epoch read just before snap was taken
	// (see nextDDLEpoch).
	snapDDL uint64
	// snapV is the column cache clock read just before snap was taken
	// (see colCache).
	snapV uint64
	// openSnapV is snapV+1 while snap is open, 0 otherwise; other
	// goroutines read it (Engine.oldestSnapV).
	openSnapV atomic.Uint64
	// snapCounts caches committed row counts read in snapCountsOf, the
	// snapshot they are exact for (the planner asks several times per
	// statement, and each read merges the counter's operands).
	snapCountsMu sync.Mutex
	snapCountsOf kv.Snapshot
	snapCounts   map[uint32]int64

	ov         *overlay
	undo       []undoRec
	savepoints []savepoint
	counts     map[uint32]int64
	// epoch changes when the whole transaction is rolled back from inside
	// (deadlock victim), invalidating statement marks taken before.
	epoch uint64

	// mdl lists the table definitions whose metadata lock this
	// transaction holds and checked (see useTable).
	mdl    []*tableMeta
	mdlBuf [2]*tableMeta // mdl's first backing array
	// ddlLocked are the metadata lock keys held Exclusive (lockForDDL).
	ddlLocked map[string]struct{}

	// lockingReads maps a table ID to the process id of the statement that
	// opened a write editor on it: scans of that table in that statement are
	// current, locking reads (InnoDB's "locking read" for UPDATE/DELETE).
	lockingReads map[uint32]uint64

	// stmts are the statements running in this transaction, innermost
	// last (editors begin and end them); writes are tagged with the
	// innermost one, and row reads skip writes of running statements, so a
	// statement never reads its own changes (GMS relies on it: UPDATE of a
	// key it scans, multi-table UPDATE de-duplication).
	stmts   []uint64
	stmtSeq uint64

	// deferred is set when a commit was asked for while a statement of the
	// transaction was still running (a procedure's statements inside a
	// trigger); the running statement's own commit makes it.
	deferred bool

	// iters are the scans still open; GMS does not close every iterator on
	// error paths, so the transaction closes leftovers when it ends.
	iters map[*mergedIter]struct{}

	// bulk transactions write into keyspaces no one else can see yet
	// (table rewrites, index builds): they take no locks and flush their
	// overlay to the store as it grows.
	bulk bool

	// forgotten are dropped temporary tables whose buffered writes must
	// not be committed (see forget).
	forgotten map[uint32]struct{}

	// load holds the rows of a bulk-loading statement (see loadRuns),
	// written by loadEditor; loadWanted is the table whose next editor
	// is to load that way (BeginBulkLoad).
	load       *loadRuns
	loadEditor *editor
	loadWanted uint32
	// loads are the bulk loads registered by this transaction (their keys
	// stay reserved until it ends, even once moved to the overlay).
	loads []*loadRuns

	closed bool
	// orphan transactions belong to no session (internal contexts); nobody
	// ends them, so they take no metadata locks.
	orphan bool
}

type undoRec struct {
	key     string
	prev    *wentry // nil: the key was not in the overlay
	isCount bool
	table   uint32
	delta   int64
}

type savepoint struct {
	name string
	mark int
}

// mark identifies a point in a transaction to roll back to.
type mark struct {
	epoch uint64
	n     int
}

var txnIDs atomic.Uint64

func (e *Engine) newTxn(readOnly bool, iso Isolation) *Txn {
	t := &Txn{
		e:        e,
		id:       lock.TxnID(txnIDs.Add(1)),
		readOnly: readOnly,
		iso:      iso,
		ov:       newOverlay(),
	}
	e.txnMu.Lock()
	e.open[t] = struct{}{}
	e.txnMu.Unlock()
	e.counters.Transactions.Add(1)
	return t
}

// String implements sql.Transaction.
func (t *Txn) String() string { return fmt.Sprintf("quarry txn %d", t.id) }

// IsReadOnly implements sql.Transaction.
func (t *Txn) IsReadOnly() bool { return t.readOnly }

var _ sql.Transaction = (*Txn)(nil)

// reader returns the snapshot for a consistent read in the statement ctx.
func (t *Txn) reader(ctx *sql.Context) kv.Reader {
	t.materializeLoad()
	pid := ctxPid(ctx)
	if t.snap != nil && t.iso == ReadCommitted && pid != t.snapPid {
		t.closeSnap()
	}
	if t.snap == nil {
		t.snapV = t.e.cc.clock.Load()
		t.openSnapV.Store(t.snapV + 1)
		t.snapDDL = t.e.ddlEpoch.Load()
		t.snap, t.snapPos = t.e.positionedSnapshot()
		t.snapPid = pid
	}
	return t.snap
}

func ctxPid(ctx *sql.Context) uint64 {
	if ctx == nil {
		return 0
	}
	return ctx.Pid()
}

// readMode says which writes of the transaction a read sees.
type readMode struct {
	// current reads the latest committed state instead of the snapshot.
	current bool
	// rows hides writes of running statements (reads that return rows to
	// the executor); editors' own checks see every write.
	rows bool
}

func (t *Txn) beginStmt() uint64 {
	t.stmtSeq++
	t.stmts = append(t.stmts, t.stmtSeq)
	return t.stmtSeq
}

func (t *Txn) endStmt(id uint64) {
	for i := len(t.stmts) - 1; i >= 0; i-- {
		if t.stmts[i] == id {
			t.stmts = append(t.stmts[:i], t.stmts[i+1:]...)
			return
		}
	}
}

func (t *Txn) curStmt() uint64 {
	if n := len(t.stmts); n > 0 {
		return t.stmts[n-1]
	}
	return 0
}

func (t *Txn) running(id uint64) bool {
	for _, s := range t.stmts {
		if s == id {
			return true
		}
	}
	return false
}

// committedView returns the newest version of e written by no running
// statement (nil if none: the read falls through to the store).
func (t *Txn) committedView(e *wentry) *wentry {
	for e != nil && e.stmt != 0 && t.running(e.stmt) {
		e = e.prev
	}
	return e
}

func (t *Txn) visFor(m readMode) func(*wentry) *wentry {
	if !m.rows || len(t.stmts) == 0 {
		return nil
	}
	return t.committedView
}

// get reads key with the transaction's writes applied as m says.
func (t *Txn) get(ctx *sql.Context, key []byte, m readMode) ([]byte, bool, error) {
	if v, found, ok := t.ovGet(key, m); ok {
		return v, found, nil
	}
	current := m.current
	if current {
		return t.storeGet(key)
	}
	return t.reader(ctx).Get(key)
}

// storeRead is the last latest-committed read of a transaction (storeGet).
type storeRead struct {
	key, value []byte
	found      bool
	gen        uint64 // the store's write count before the read
	valid      bool
}

// noGetReuse turns off storeGet's reuse of its last read (tests compare).
var noGetReuse atomic.Bool

// storeGet reads key's latest committed value. A locking read of a row
// reads it before locking it and again after, and the editor that then
// updates or deletes the row checks it once more: when the store has
// completed no write since the last read of the same key and has none in
// flight (kv.WriteGenerations), that read's answer is still the store's
// answer, and storeGet returns it without a lookup. The value is shared
// between those reads; values of reads are never modified (overlay values
// are shared the same way).
func (t *Txn) storeGet(key []byte) ([]byte, bool, error) {
	wg := t.e.wgen
	if wg == nil || noGetReuse.Load() {
		return t.e.kv.Get(key)
	}
	last := &t.lastRead
	gen, quiet := wg.WriteGen()
	if last.valid && quiet && gen == last.gen && string(last.key) == string(key) {
		return last.value, last.found, nil
	}
	// gen was read before this read began.
	v, found, err := t.e.kv.Get(key)
	if err != nil {
		last.valid = false
		return nil, false, err
	}
	last.key = append(last.key[:0], key...)
	last.value, last.found, last.gen, last.valid = v[:len(v):len(v)], found, gen, true
	return v, found, nil
}

// ovGet reads key from the transaction's writes as m says; ok is false
// when the read falls through to the store.
func (t *Txn) ovGet(key []byte, m readMode) (value []byte, found, ok bool) {
	t.materializeLoad()
	e, ok := t.ov.get(key)
	if !ok {
		return nil, false, false
	}
	if vis := t.visFor(m); vis != nil {
		e = vis(e)
	}
	if e == nil {
		return nil, false, false
	}
	if e.del {
		return nil, false, true
	}
	return e.value, true, true
}

// closeSnap closes the snapshot and its spare iterator, if any.
func (t *Txn) closeSnap() {
	if t.spare != nil {
		_ = t.spare.Close()
		t.spare = nil
	}
	if t.snap != nil {
		_ = t.snap.Close()
		t.snap = nil
		t.openSnapV.Store(0)
	}
}

// oldestSnapV returns the smallest snapV of the open transactions'
// snapshots, or the clock when none has one: a snapshot taken after the
// call reads a snapV at least as large.
func (e *Engine) oldestSnapV() uint64 {
	v := e.cc.clock.Load()
	e.txnMu.Lock()
	defer e.txnMu.Unlock()
	for t := range e.open {
		if s := t.openSnapV.Load(); s != 0 {
			v = min(v, s-1)
		}
	}
	return v
}

// scan iterates [lower, upper) with the transaction's writes applied as m says.
func (t *Txn) scan(ctx *sql.Context, lower, upper []byte, reverse bool, m readMode) (*mergedIter, error) {
	t.materializeLoad()
	var base kv.Iterator
	var snap kv.Snapshot
	if m.current {
		var err error
		if base, err = t.e.kv.NewIter(lower, upper); err != nil {
			return nil, err
		}
	} else {
		t.reader(ctx)
		snap = t.snap
		if t.spare != nil && !noIterReuse.Load() {
			base, t.spare = t.spare, nil
			base.SetBounds(lower, upper)
			iterReuses.Add(1)
		} else {
			var err error
			if base, err = snap.NewIter(lower, upper); err != nil {
				return nil, err
			}
		}
	}
	it := newMergedIter(base, t.ov, lower, upper, reverse, t.visFor(m))
	it.snap = snap
	if t.iters == nil {
		t.iters = make(map[*mergedIter]struct{})
	}
	t.iters[it] = struct{}{}
	it.owner = t
	return it, nil
}

// noIterReuse makes every scan open its own iterator (tests compare);
// iterReuses counts the scans that reused a spare.
var (
	noIterReuse atomic.Bool
	iterReuses  atomic.Uint64
)

// closeIters closes scans left open (before their snapshot is released).
func (t *Txn) closeIters() {
	for m := range t.iters {
		_ = m.close()
	}
}

// lockKey takes a row lock, translating lock errors into MySQL errors. A
// deadlock victim has its whole transaction rolled back, as in InnoDB.
func (t *Txn) lockKey(ctx *sql.Context, key []byte, mode lock.Mode) error {
	if t.bulk {
		return nil
	}
	if err := t.acquire(ctx, key, mode, lockWaitTimeout(ctx)); err != nil {
		return err
	}
	if t.e.loads.active.Load() > 0 {
		return t.waitForLoads(ctx, key)
	}
	return nil
}

// ErrLockWaitTimeout is MySQL error 1205.
func ErrLockWaitTimeout() error {
	return mysql.NewSQLError(mysql.ERLockWaitTimeout, mysql.SSUnknownSQLState, "Lock wait timeout exceeded; try restarting transaction")
}

// ErrDeadlock is MySQL error 1213.
func ErrDeadlock() error {
	return mysql.NewSQLError(mysql.ERLockDeadlock, mysql.SSLockDeadlock, "Deadlock found when trying to get lock; try restarting transaction")
}

// lockWaitTimeout is innodb_lock_wait_timeout, the bound on row lock waits.
func lockWaitTimeout(ctx *sql.Context) time.Duration {
	return varsOf(ctx).lockWait
}

// sysvarSeconds reads an integer session variable of seconds.
func sysvarSeconds(ctx *sql.Context, name string, def time.Duration) time.Duration {
	if ctx == nil {
		return def
	}
	v, err := ctx.GetSessionVariable(ctx, name)
	if err != nil {
		return def
	}
	switch n := v.(type) {
	case int64:
		return time.Duration(n) * time.Second
	case int:
		return time.Duration(n) * time.Second
	case uint64:
		return time.Duration(n) * time.Second
	}
	return def
}

// ErrCommitFailed wraps the store's error when a transaction's writes
// could not be committed (MySQL's ER_ERROR_DURING_COMMIT). Either none
// of them were applied, or they were applied but their WAL sync failed,
// so they may not survive a crash; Pebble then fails every later write.
// In both cases the transaction is over.
var ErrCommitFailed = errors.New("storage: commit failed")

// errTxnClosed reports a write through a transaction that already ended.
var errTxnClosed = errors.New("storage: the transaction has already ended")

func (t *Txn) checkWritable() error {
	if t.closed {
		return errTxnClosed
	}
	if t.readOnly {
		return sql.ErrReadOnlyTransaction.New()
	}
	return nil
}

// put buffers a write; the caller holds the key's X lock.
func (t *Txn) put(key, value []byte) {
	e := &wentry{key: string(key), value: value, stmt: t.curStmt()}
	e.prev = t.ov.put(e)
	t.undo = append(t.undo, undoRec{key: e.key, prev: e.prev})
}

// del buffers a delete; the caller holds the key's X lock.
func (t *Txn) del(key []byte) {
	e := &wentry{key: string(key), del: true, stmt: t.curStmt()}
	e.prev = t.ov.put(e)
	t.undo = append(t.undo, undoRec{key: e.key, prev: e.prev})
}

// addCount records a row-count change of a table.
func (t *Txn) addCount(table uint32, delta int64) {
	if t.counts == nil {
		t.counts = make(map[uint32]int64)
	}
	t.counts[table] += delta
	t.undo = append(t.undo, undoRec{isCount: true, table: table, delta: delta})
}

func (t *Txn) mark() mark { return mark{epoch: t.epoch, n: len(t.undo)} }

// rollbackTo undoes every write after m. A mark from an earlier epoch (the
// transaction was rolled back meanwhile) is a no-op.
func (t *Txn) rollbackTo(m mark) {
	if m.epoch != t.epoch {
		return
	}
	for len(t.undo) > m.n {
		u := t.undo[len(t.undo)-1]
		t.undo = t.undo[:len(t.undo)-1]
		switch {
		case u.isCount:
			if t.counts[u.table] -= u.delta; t.counts[u.table] == 0 {
				delete(t.counts, u.table) // so hasWrites says none are left
			}
		case u.prev == nil:
			t.ov.remove(u.key)
		default:
			t.ov.put(u.prev)
		}
	}
}

// rollbackAll discards every write and lock; the transaction stays usable.
func (t *Txn) rollbackAll() {
	t.release()
	t.savepoints = nil
	t.epoch++
}

func (t *Txn) hasWrites() bool {
	return t.ov.len() > 0 || len(t.counts) > 0 || t.load != nil && t.load.rows() > 0
}

// bulkFlushEntries bounds the overlay of a bulk transaction.
const bulkFlushEntries = 64 << 10

// maybeFlush writes a bulk transaction's overlay out once it is large.
func (t *Txn) maybeFlush() error {
	if !t.bulk || t.ov.len() < bulkFlushEntries {
		return nil
	}
	return t.flush(false)
}

// flush writes the overlay and counters to the store and clears them.
func (t *Txn) flush(sync bool) error {
	if t.load != nil {
		if t.ov.len() > 0 || len(t.counts) > 0 {
			t.materializeLoad()
		} else {
			if err := t.ingestLoad(); err != nil {
				return err
			}
			t.loadEditor = nil
			t.undo = nil
			t.epoch++
			return nil
		}
	}
	if !t.hasWrites() {
		return nil
	}
	b := t.e.kv.NewBatch()
	defer b.Close()
	var err error
	var written writtenTables
	var tails map[uint32]string // the largest primary key put, per table
	searchLog := false          // the batch holds search change-log entries
	t.ov.ascend(func(e *wentry) bool {
		if t.isForgotten(e.key) {
			return true
		}
		written.note(e.key)
		searchLog = searchLog || isSearchLogKey(e.key)
		// The batch copies keys (kv.Batch), so it may read the entry's
		// key in place.
		key := unsafe.Slice(unsafe.StringData(e.key), len(e.key))
		if e.del {
			err = b.Delete(key)
		} else {
			err = b.Set(key, e.value)
			if id, ok := primaryKeyTable(e.key); ok {
				if tails == nil {
					tails = make(map[uint32]string, 1)
				}
				tails[id] = e.key // keys ascend
			}
		}
		return err == nil
	})
	if err != nil {
		return fmt.Errorf("storage: build commit batch: %w", err)
	}
	for table, d := range t.counts {
		if _, gone := t.forgotten[table]; d == 0 || gone {
			continue
		}
		if err := b.AddInt64(rowCountKey(table), d); err != nil {
			return fmt.Errorf("storage: build commit batch: %w", err)
		}
	}
	counts := t.counts
	// The column cache sees the commit's primary keys before the batch
	// applies and stamps their segments once it is visible.
	cm := t.e.cc.beginCommit(func(fn func(string, ccRow)) {
		t.ov.ascend(func(e *wentry) bool {
			if !t.isForgotten(e.key) {
				fn(e.key, ccRow{val: e.value, del: e.del})
			}
			return true
		})
	})
	if searchLog {
		t.e.spos.begun.Add(1)
	}
	err = t.e.commitCounted(b, sync, len(counts) > 0, cm.finishCommit)
	if searchLog {
		t.e.spos.done.Add(1)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCommitFailed, err)
	}
	t.e.noteWritten(written.ids)
	t.e.raiseTails(tails)
	if len(counts) > 0 {
		t.e.noteCommitted(counts)
	}
	t.ov = newOverlay()
	t.undo = nil
	t.counts = nil
	t.forgotten = nil
	t.epoch++
	return nil
}

// forget makes the transaction drop, instead of committing, its writes to
// the table ID (a temporary table dropped while they were buffered: its
// keyspace is already deleted, and its ID is never used again).
func (t *Txn) forget(table uint32) {
	if t.forgotten == nil {
		t.forgotten = make(map[uint32]struct{})
	}
	t.forgotten[table] = struct{}{}
}

func (t *Txn) isForgotten(key string) bool {
	if len(t.forgotten) == 0 || len(key) < 5 || key[0] != prefixData {
		return false
	}
	_, gone := t.forgotten[binary.BigEndian.Uint32([]byte(key[1:5]))]
	return gone
}

// commit makes the writes durable (fsync through the WAL; Pebble's commit
// pipeline lets concurrent commits share one sync) and releases all locks.
func (t *Txn) commit() error {
	if t.closed {
		return nil
	}
	defer t.finish()
	if err := t.flush(true); err != nil {
		return err
	}
	t.e.counters.Commits.Add(1)
	return nil
}

// end finishes a transaction nobody will use again: a deferred commit is
// made (the client was told it committed), anything else rolls back.
func (t *Txn) end() {
	if t.deferred {
		if err := t.commit(); err != nil {
			t.e.log.Error("deferred commit failed", "err", err)
		}
		return
	}
	t.rollback()
}

func (t *Txn) rollback() {
	if t.closed {
		return
	}
	t.e.counters.Rollbacks.Add(1)
	t.finish()
}

func (t *Txn) finish() {
	t.closed = true
	t.e.txnMu.Lock()
	delete(t.e.open, t)
	t.e.txnMu.Unlock()
	t.release()
}

// release drops the transaction's locks, scans, snapshot and writes.
func (t *Txn) release() {
	for _, r := range t.loads {
		if r.registered {
			t.e.loads.remove(r)
		}
	}
	t.loads = nil
	t.e.locks.ReleaseAll(t.id)
	t.mdl, t.ddlLocked = nil, nil
	t.closeIters()
	t.closeSnap()
	t.lastRead = storeRead{key: t.lastRead.key[:0]}
	t.ov = newOverlay()
	t.undo = nil
	t.counts = nil
	t.forgotten = nil
	t.load, t.loadEditor, t.loadWanted = nil, nil, 0
}

func (t *Txn) createSavepoint(name string) {
	t.materializeLoad()
	t.releaseSavepoint(name)
	t.savepoints = append(t.savepoints, savepoint{name: name, mark: len(t.undo)})
}

func (t *Txn) findSavepoint(name string) int {
	for i := len(t.savepoints) - 1; i >= 0; i-- {
		if equalFoldASCII(t.savepoints[i].name, name) {
			return i
		}
	}
	return -1
}

func (t *Txn) rollbackToSavepoint(name string) error {
	t.materializeLoad()
	i := t.findSavepoint(name)
	if i < 0 {
		return sql.ErrSavepointDoesNotExist.New(name)
	}
	t.rollbackTo(mark{epoch: t.epoch, n: t.savepoints[i].mark})
	t.savepoints = t.savepoints[:i+1]
	return nil
}

func (t *Txn) releaseSavepoint(name string) bool {
	i := t.findSavepoint(name)
	if i < 0 {
		return false
	}
	t.savepoints = append(t.savepoints[:i], t.savepoints[i+1:]...)
	return true
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// editorRead is how editors check keys: the latest committed state plus
// every write of the transaction, including the running statement's.
var editorRead = readMode{current: true}
