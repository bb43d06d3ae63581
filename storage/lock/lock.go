// Package lock is Quarry's in-memory row-lock manager for pessimistic
// transactions, with InnoDB-like semantics.
//
// It owns the lock table (which transactions hold which keys, in which mode),
// the per-key FIFO wait queues, the per-transaction lock sets that are
// released at commit/rollback, and the wait-for graph used for deadlock
// detection. It does not own key encoding (keys are opaque bytes, typically
// encoded primary keys or unique-index entries), the transaction lifecycle,
// or the mapping of its errors to MySQL error codes (callers map
// ErrLockWaitTimeout to 1205 and ErrDeadlock to 1213).
//
// Modes: Shared (SELECT ... FOR SHARE) is compatible with Shared; Exclusive
// (writes, SELECT ... FOR UPDATE) is compatible with nothing. Locks are
// re-entrant per transaction; a Shared holder may upgrade to Exclusive, at
// once if it is the only holder, otherwise by waiting for the other holders.
//
// Invariants, true whenever no internal mutex is held:
//
//   - The holders of a key are mode-compatible: any number of distinct
//     transactions holding Shared, or exactly one holding Exclusive. A
//     transaction appears at most once among a key's holders.
//   - Every queued waiter is blocked: it conflicts with a holder from another
//     transaction or with a waiter ahead of it in the queue. A request that
//     can be granted has been granted and its waiter woken (no lost wakeups).
//   - Upgrade waiters (Shared holders asking for Exclusive) come first in a
//     queue, in arrival order; all other waiters follow in arrival order. A
//     new request is never granted ahead of an earlier conflicting waiter
//     (no writer starvation), except that re-entrant requests already
//     covered by a held lock succeed at once.
//   - The wait-for graph (waiter -> conflicting holders and conflicting
//     waiters ahead of it) has no cycle among sleeping waiters: a request
//     that would close a cycle is refused with ErrDeadlock before it sleeps,
//     so each cycle has exactly one victim, the request that closed it.
//   - A key has a table entry iff it has at least one holder or waiter, and
//     a transaction's lock set lists each key it holds exactly once.
//
// Concurrency contract: a transaction is driven by one goroutine at a time;
// its Acquire calls are sequential and ReleaseAll is not called concurrently
// with its own Acquire. Different transactions may call concurrently.
//
// Lock ordering inside the package: the deadlock-detector mutex may be held
// while taking one key-shard mutex at a time; transaction-shard mutexes are
// never held together with any other mutex. The uncontended path takes only
// a key-shard mutex and a transaction-shard mutex.
package lock

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// TxnID identifies the transaction that owns locks.
type TxnID uint64

// Mode is a lock mode.
type Mode uint8

const (
	// Shared is the mode of SELECT ... FOR SHARE; compatible with Shared.
	Shared Mode = iota + 1
	// Exclusive is the mode of writes and SELECT ... FOR UPDATE; compatible
	// with nothing.
	Exclusive
)

// String returns "S", "X" or "invalid".
func (m Mode) String() string {
	switch m {
	case Shared:
		return "S"
	case Exclusive:
		return "X"
	}
	return "invalid"
}

func compatible(a, b Mode) bool { return a == Shared && b == Shared }

var (
	// ErrLockWaitTimeout is returned when a lock is not granted within the
	// timeout, or at once on conflict when the timeout is 0 (MySQL 1205).
	ErrLockWaitTimeout = errors.New("lock: lock wait timeout exceeded; try restarting transaction")
	// ErrDeadlock is returned to the request whose wait would have closed a
	// cycle in the wait-for graph (MySQL 1213). The transaction keeps the
	// locks it already holds; the caller is expected to roll it back.
	ErrDeadlock = errors.New("lock: deadlock found when trying to get lock; try restarting transaction")
	// ErrInvalidMode is returned by Acquire for a Mode other than Shared or
	// Exclusive.
	ErrInvalidMode = errors.New("lock: invalid lock mode")
)

const (
	numKeyShards    = 64 // power of two
	numTxnShards    = 64 // power of two
	maxFreeEntries  = 64 // recycled key entries kept per shard
	maxFreeTxnSets  = 64 // recycled transaction lock sets kept per shard
	maxRetainedKeys = 1024
	maxRetainedQ    = 16
)

type holder struct {
	txn  TxnID
	mode Mode
}

// entry is the lock state of one key. Guarded by its keyShard's mu.
type entry struct {
	key     string
	holders []holder
	queue   []*waiter // upgrade waiters first, then arrival order
	inline  [1]holder
}

func (e *entry) holderIndex(txn TxnID) int {
	for i := range e.holders {
		if e.holders[i].txn == txn {
			return i
		}
	}
	return -1
}

// holdersCompatible reports whether mode is compatible with every holder
// other than txn.
func (e *entry) holdersCompatible(txn TxnID, mode Mode) bool {
	for i := range e.holders {
		if h := e.holders[i]; h.txn != txn && !compatible(h.mode, mode) {
			return false
		}
	}
	return true
}

// grantable reports whether a request by txn for mode, positioned at queue
// index pos, conflicts with nothing: no other holder and no waiter ahead.
func (e *entry) grantable(txn TxnID, mode Mode, pos int) bool {
	if !e.holdersCompatible(txn, mode) {
		return false
	}
	for _, w := range e.queue[:pos] {
		if w.txn != txn && !compatible(w.mode, mode) {
			return false
		}
	}
	return true
}

func (e *entry) removeHolder(txn TxnID) {
	if i := e.holderIndex(txn); i >= 0 {
		last := len(e.holders) - 1
		e.holders[i] = e.holders[last]
		e.holders[last] = holder{}
		e.holders = e.holders[:last]
	}
}

func (e *entry) removeWaiter(w *waiter) {
	for i, q := range e.queue {
		if q == w {
			copy(e.queue[i:], e.queue[i+1:])
			e.queue[len(e.queue)-1] = nil
			e.queue = e.queue[:len(e.queue)-1]
			return
		}
	}
}

func (e *entry) empty() bool { return len(e.holders) == 0 && len(e.queue) == 0 }

// grant makes w a holder and wakes it. Caller holds the shard mutex and has
// already removed w from the queue.
func (e *entry) grant(w *waiter) {
	if i := e.holderIndex(w.txn); i >= 0 {
		if w.mode == Exclusive {
			e.holders[i].mode = Exclusive
		}
	} else {
		e.holders = append(e.holders, holder{txn: w.txn, mode: w.mode})
	}
	w.state = stateGranted
	close(w.ready)
}

// grantWaiters grants, in queue order, every waiter that no longer conflicts
// with a holder or with a waiter still ahead of it. It restores the "every
// waiter is blocked" invariant after holders or waiters were removed.
func (e *entry) grantWaiters() {
	n := 0
	aheadS, aheadX := false, false
	for i, w := range e.queue {
		if aheadX {
			// Everything behind a waiting Exclusive request conflicts with it.
			n += copy(e.queue[n:], e.queue[i:])
			break
		}
		if (w.mode == Shared || !aheadS) && e.holdersCompatible(w.txn, w.mode) {
			e.grant(w)
			continue
		}
		e.queue[n] = w
		n++
		if w.mode == Exclusive {
			aheadX = true
		} else {
			aheadS = true
		}
	}
	clear(e.queue[n:])
	e.queue = e.queue[:n]
}

type waitState uint8

const (
	stateWaiting waitState = iota
	stateGranted
	stateAbandoned
)

// waiter is one sleeping request. Its state is guarded by shard.mu.
type waiter struct {
	txn     TxnID
	mode    Mode
	upgrade bool // txn already holds Shared on the key
	shard   *keyShard
	e       *entry
	state   waitState
	ready   chan struct{} // closed when granted
}

type keyShard struct {
	mu      sync.Mutex
	entries map[string]*entry
	free    []*entry
	_       [64]byte // keep hot mutexes on separate cache lines
}

func (s *keyShard) newEntry() *entry {
	if n := len(s.free); n > 0 {
		e := s.free[n-1]
		s.free[n-1] = nil
		s.free = s.free[:n-1]
		return e
	}
	e := &entry{}
	e.holders = e.inline[:0]
	return e
}

func (s *keyShard) release(e *entry) {
	delete(s.entries, e.key)
	if len(s.free) >= maxFreeEntries {
		return
	}
	e.key = ""
	e.inline = [1]holder{}
	e.holders = e.inline[:0]
	if cap(e.queue) > maxRetainedQ {
		e.queue = nil
	}
	s.free = append(s.free, e)
}

// txnLocks is the set of keys a transaction holds, in acquisition order.
type txnLocks struct {
	keys []string
}

type txnShard struct {
	mu   sync.Mutex
	txns map[TxnID]*txnLocks
	free []*txnLocks
	_    [64]byte
}

// Manager is a row-lock manager. The zero value is not usable; use
// NewManager. A Manager must not be copied.
type Manager struct {
	seed maphash.Seed
	keys [numKeyShards]keyShard
	txns [numTxnShards]txnShard

	// dmu guards waits and serializes the slow path: registering a sleeping
	// waiter together with the cycle search it triggers.
	dmu   sync.Mutex
	waits map[TxnID]*waiter

	waited atomic.Uint64 // requests that had to wait (see Waited)
}

// Waited returns how many lock requests have had to wait for another
// transaction since the manager was created.
func (m *Manager) Waited() uint64 { return m.waited.Load() }

// NewManager returns an empty lock manager.
func NewManager() *Manager {
	m := &Manager{seed: maphash.MakeSeed(), waits: make(map[TxnID]*waiter)}
	for i := range m.keys {
		m.keys[i].entries = make(map[string]*entry)
	}
	for i := range m.txns {
		m.txns[i].txns = make(map[TxnID]*txnLocks)
	}
	return m
}

func (m *Manager) shardFor(key []byte) *keyShard {
	return &m.keys[maphash.Bytes(m.seed, key)&(numKeyShards-1)]
}

func (m *Manager) shardForString(key string) *keyShard {
	return &m.keys[maphash.String(m.seed, key)&(numKeyShards-1)]
}

func (m *Manager) txnShardFor(txn TxnID) *txnShard {
	return &m.txns[(uint64(txn)*0x9E3779B97F4A7C15)>>58&(numTxnShards-1)]
}

// Acquire locks key in mode on behalf of txn. It returns nil once the lock is
// held (at once if the key is free, compatible with its holders and nobody
// conflicting waits, or already held by txn in a covering mode).
//
// Otherwise it waits, in FIFO order, and returns ErrLockWaitTimeout when the
// timeout passes, ctx.Err() when ctx is done, or ErrDeadlock when waiting
// would close a cycle of waiting transactions. A timeout of 0 means do not
// wait (ErrLockWaitTimeout at once on conflict); a negative timeout means no
// time limit. On error no new lock is held and locks held before are kept.
// ctx must not be nil. The key bytes are copied if retained.
func (m *Manager) Acquire(ctx context.Context, txn TxnID, key []byte, mode Mode, timeout time.Duration) error {
	if mode != Shared && mode != Exclusive {
		return ErrInvalidMode
	}
	s := m.shardFor(key)
	s.mu.Lock()
	e := s.entries[string(key)]
	if e == nil {
		e = s.newEntry()
		e.key = string(key)
		e.holders = append(e.holders, holder{txn: txn, mode: mode})
		s.entries[e.key] = e
		k := e.key
		s.mu.Unlock()
		m.recordHeld(txn, k)
		return nil
	}
	upgrade := false
	if i := e.holderIndex(txn); i >= 0 {
		h := &e.holders[i]
		if h.mode == Exclusive || mode == Shared {
			s.mu.Unlock() // re-entrant: already covered
			return nil
		}
		if len(e.holders) == 1 {
			h.mode = Exclusive // sole holder upgrades at once
			s.mu.Unlock()
			return nil
		}
		upgrade = true // must wait for the other Shared holders
	} else if e.grantable(txn, mode, len(e.queue)) {
		e.holders = append(e.holders, holder{txn: txn, mode: mode})
		k := e.key
		s.mu.Unlock()
		m.recordHeld(txn, k)
		return nil
	}

	// Conflict: the slow path.
	if timeout == 0 {
		s.mu.Unlock()
		return ErrLockWaitTimeout
	}
	if err := ctx.Err(); err != nil {
		s.mu.Unlock()
		return err
	}
	w := &waiter{txn: txn, mode: mode, upgrade: upgrade, shard: s, e: e, ready: make(chan struct{})}
	if upgrade {
		pos := 0
		for pos < len(e.queue) && e.queue[pos].upgrade {
			pos++
		}
		e.queue = append(e.queue, nil)
		copy(e.queue[pos+1:], e.queue[pos:])
		e.queue[pos] = w
	} else {
		e.queue = append(e.queue, w)
	}
	s.mu.Unlock()
	m.waited.Add(1)
	return m.wait(ctx, w, timeout)
}

// wait registers w in the wait-for graph, refuses it if it closes a cycle,
// and otherwise sleeps until it is granted, times out or ctx is done.
func (m *Manager) wait(ctx context.Context, w *waiter, timeout time.Duration) error {
	m.dmu.Lock()
	m.waits[w.txn] = w
	if m.closesCycle(w.txn) {
		grantedMeanwhile := m.abandon(w)
		delete(m.waits, w.txn)
		m.dmu.Unlock()
		if grantedMeanwhile {
			m.finishGrant(w)
			return nil
		}
		return ErrDeadlock
	}
	m.dmu.Unlock()

	var timeC <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timeC = t.C
	}
	var err error
	select {
	case <-w.ready:
	case <-timeC:
		err = ErrLockWaitTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil && m.abandon(w) {
		err = nil // the grant won the race
	}
	m.dmu.Lock()
	if m.waits[w.txn] == w {
		delete(m.waits, w.txn)
	}
	m.dmu.Unlock()
	if err == nil {
		m.finishGrant(w)
	}
	return err
}

// abandon withdraws w from its queue and grants whatever that unblocks. It
// reports true, changing nothing, if w was granted first.
func (m *Manager) abandon(w *waiter) bool {
	s := w.shard
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.state == stateGranted {
		return true
	}
	w.state = stateAbandoned
	e := w.e
	e.removeWaiter(w)
	e.grantWaiters()
	if e.empty() {
		s.release(e)
	}
	return false
}

// finishGrant records a newly granted key in the transaction's lock set.
func (m *Manager) finishGrant(w *waiter) {
	if w.upgrade {
		return // the key is already in the set
	}
	m.recordHeld(w.txn, w.e.key) // w.txn holds the key, so e is live
}

func (m *Manager) recordHeld(txn TxnID, key string) {
	ts := m.txnShardFor(txn)
	ts.mu.Lock()
	tl := ts.txns[txn]
	if tl == nil {
		if n := len(ts.free); n > 0 {
			tl = ts.free[n-1]
			ts.free[n-1] = nil
			ts.free = ts.free[:n-1]
		} else {
			tl = &txnLocks{}
		}
		ts.txns[txn] = tl
	}
	tl.keys = append(tl.keys, key)
	ts.mu.Unlock()
}

// closesCycle reports whether start, a registered waiter, can reach itself
// in the wait-for graph. Only registered waiters are expanded: a waiter that
// has enqueued but not yet registered runs its own search when it registers,
// which (as every new edge is incident to the new waiter) finds any cycle it
// closes. Edges are read from the live queues, so granted or abandoned
// waiters contribute none. Caller holds m.dmu.
func (m *Manager) closesCycle(start TxnID) bool {
	visited := map[TxnID]struct{}{start: {}}
	stack := []TxnID{start}
	var buf []TxnID
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		w := m.waits[t]
		if w == nil {
			continue
		}
		buf = w.edges(buf[:0])
		for _, u := range buf {
			if u == start {
				return true
			}
			if _, seen := visited[u]; seen {
				continue
			}
			visited[u] = struct{}{}
			if m.waits[u] != nil {
				stack = append(stack, u)
			}
		}
	}
	return false
}

// edges appends the transactions w waits for: conflicting holders and
// conflicting waiters ahead of it. It appends nothing unless w still waits.
func (w *waiter) edges(buf []TxnID) []TxnID {
	s := w.shard
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.state != stateWaiting {
		return buf
	}
	e := w.e
	for _, h := range e.holders {
		if h.txn != w.txn && !compatible(h.mode, w.mode) {
			buf = append(buf, h.txn)
		}
	}
	for _, q := range e.queue {
		if q == w {
			break
		}
		if q.txn != w.txn && !compatible(q.mode, w.mode) {
			buf = append(buf, q.txn)
		}
	}
	return buf
}

// HeldByOther reports whether a transaction other than txn holds key or
// waits for it. It takes nothing: a caller that finds the key free and
// writes it without a lock must make conflicting lockers find its write
// some other way (see storage's bulk loads).
func (m *Manager) HeldByOther(txn TxnID, key []byte) bool {
	s := m.shardFor(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[string(key)]
	if e == nil {
		return false
	}
	for _, h := range e.holders {
		if h.txn != txn {
			return true
		}
	}
	for _, w := range e.queue {
		if w.txn != txn {
			return true
		}
	}
	return false
}

// ReleaseAll releases every lock held by txn and grants the waiters this
// unblocks. Call it at commit and rollback, including after ErrDeadlock. It
// is a no-op for a transaction that holds nothing.
func (m *Manager) ReleaseAll(txn TxnID) {
	ts := m.txnShardFor(txn)
	ts.mu.Lock()
	tl := ts.txns[txn]
	delete(ts.txns, txn)
	ts.mu.Unlock()
	if tl == nil {
		return
	}
	for _, k := range tl.keys {
		s := m.shardForString(k)
		s.mu.Lock()
		if e := s.entries[k]; e != nil {
			e.removeHolder(txn)
			if len(e.queue) > 0 {
				e.grantWaiters()
			}
			if e.empty() {
				s.release(e)
			}
		}
		s.mu.Unlock()
	}
	clear(tl.keys)
	if cap(tl.keys) > maxRetainedKeys {
		tl.keys = nil
	} else {
		tl.keys = tl.keys[:0]
	}
	ts.mu.Lock()
	if len(ts.free) < maxFreeTxnSets {
		ts.free = append(ts.free, tl)
	}
	ts.mu.Unlock()
}

// Held returns the number of keys txn holds a lock on.
func (m *Manager) Held(txn TxnID) int {
	ts := m.txnShardFor(txn)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if tl := ts.txns[txn]; tl != nil {
		return len(tl.keys)
	}
	return 0
}
