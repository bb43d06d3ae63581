package pebblekv

import (
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/quarrydb/quarry/storage/kv"
)

// Snapshot sharing. A transaction takes a snapshot at its first read and
// closes it at its end: for an autocommit point SELECT, one snapshot per
// statement. Taking and closing a Pebble snapshot goes through the DB
// mutex, and closing the earliest one asks the compaction picker to look
// for work (Snapshot.closeLocked calls maybeScheduleCompaction): a few
// percent of sysbench's point-select CPU, all of it under the one mutex.
//
// A snapshot taken when no write has completed since and none is in flight
// shows exactly what a snapshot taken now would show, so NewSnapshot hands
// out one shared Pebble snapshot, reference counted, until a write
// completes. Every write that changes what reads see (batch commits and
// ingests) brackets its apply:
//
//	writes.Add(1); apply; gen.Add(1); writes.Add(-1)
//
// and NewSnapshot reuses the shared snapshot S only if it reads
// writes == 0 and then gen == S.gen, where S.gen was read before S was
// taken. Proof that S holds every write W visible before the check: if W
// finished (writes.Add(-1)) before writes was read, its gen.Add(1) came
// before gen was read, and gen unchanged since S.gen was read puts it
// before that read, so W's apply came before S was taken. If W had not
// finished, it was in flight (its apply came after writes.Add(1)), and
// writes was not 0.
//
// An idle shared snapshot (no references) is closed by the next write that
// completes (or, should that write see it still referenced, by the next
// snapshot taken): it does not pin versions the writes overwrite against
// compaction.

// sharedSnap is a Pebble snapshot shared by the readers that took it while
// nothing was written.
type sharedSnap struct {
	ps   *pebble.Snapshot
	gen  uint64 // Store.gen read before ps was taken
	refs int    // under Store.snapMu
	pts  pointIters
}

// snapState is the Store's snapshot sharing state.
type snapState struct {
	writes atomic.Int64  // writes in flight
	gen    atomic.Uint64 // writes completed
	// idle is set while the current shared snapshot has no references
	// (writers then close it).
	idle   atomic.Bool
	mu     sync.Mutex
	shared *sharedSnap // the snapshot readers may share; under mu
	off    bool        // sharing disabled (tests compare); under mu
}

// beginWrite and endWrite bracket the apply of a write.
func (s *Store) beginWrite() { s.snaps.writes.Add(1) }

func (s *Store) endWrite() {
	s.snaps.gen.Add(1)
	s.snaps.writes.Add(-1)
	if s.snaps.idle.Load() {
		s.retireIdle()
	}
}

// WriteGen implements kv.WriteGenerations with the counters of snapshot
// sharing, read in the order NewSnapshot reads them (writes, then gen).
// Proof of the invariant: a write W that a read missed was applied after
// the read began, so after gen was first read, and its gen.Add(1) came
// later still. At T, either W is in flight (writes is not 0) or it
// finished: its gen.Add(1) came before its writes.Add(-1), before T's read
// of writes, before T's read of gen, which therefore moved.
func (s *Store) WriteGen() (gen uint64, quiet bool) {
	quiet = s.snaps.writes.Load() == 0
	return s.snaps.gen.Load(), quiet
}

// retireIdle closes the shared snapshot if nobody holds it: the write that
// just completed makes it stale.
func (s *Store) retireIdle() {
	st := &s.snaps
	st.mu.Lock()
	defer st.mu.Unlock()
	if sh := st.shared; sh != nil && sh.refs == 0 && sh.gen != st.gen.Load() {
		st.shared = nil
		st.idle.Store(false)
		_ = sh.close()
	}
}

// NewSnapshot implements kv.Store (see Snapshot sharing above).
func (s *Store) NewSnapshot() kv.Snapshot {
	st := &s.snaps
	quiet := st.writes.Load() == 0
	g := st.gen.Load()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.off {
		return &snapshot{s: s.db.NewSnapshot()}
	}
	if sh := st.shared; sh != nil && quiet && sh.gen == g {
		sh.refs++
		st.idle.Store(false)
		return &snapshot{s: sh.ps, sh: sh, st: s}
	}
	sh := &sharedSnap{ps: s.db.NewSnapshot(), gen: g, refs: 1}
	if old := st.shared; old != nil {
		if old.refs == 0 {
			_ = old.close()
		} else {
			old.pts.retire() // its holders read on without reuse
		}
	}
	st.shared = sh
	st.idle.Store(false)
	return &snapshot{s: sh.ps, sh: sh, st: s}
}

// release drops a reference to sh, closing it once unreferenced unless it
// is still the one readers may share.
func (s *Store) release(sh *sharedSnap) error {
	st := &s.snaps
	st.mu.Lock()
	defer st.mu.Unlock()
	sh.refs--
	if sh.refs > 0 {
		return nil
	}
	if st.shared != sh || sh.gen != st.gen.Load() {
		if st.shared == sh {
			st.shared = nil
		}
		return sh.close()
	}
	st.idle.Store(true)
	return nil
}

// closeShared closes an idle shared snapshot (Close).
func (s *Store) closeShared() {
	st := &s.snaps
	st.mu.Lock()
	defer st.mu.Unlock()
	if sh := st.shared; sh != nil && sh.refs == 0 {
		st.shared = nil
		_ = sh.close()
	}
}

// close closes the snapshot and its idle point iterators. There are no
// others: it runs with no references, and only holders of one read.
func (sh *sharedSnap) close() error {
	sh.pts.retire()
	return sh.ps.Close()
}

// SetSnapshotSharing turns snapshot sharing on or off (tests compare);
// snapshots already shared stay valid.
func (s *Store) SetSnapshotSharing(on bool) {
	s.snaps.mu.Lock()
	s.snaps.off = !on
	s.snaps.mu.Unlock()
}
