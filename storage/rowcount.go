package storage

import (
	"fmt"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/kv"
)

// rowCountCollapseEvery is how many committed deltas a table's row-count
// key may collect before they are folded into one value.
const rowCountCollapseEvery = 64

// rowCounts keeps the chain of merge operands on each table's row-count key
// short. Every committing write transaction adds one AddInt64 operand, and
// a Get of the key (RowCount, which the planner calls for every statement)
// walks all operands still in the memtable: without folding, point queries
// slow down linearly with the number of writes since the last flush.
//
// Folding reads the merged value and writes it back as a plain Set, which
// ends the chain for newer readers. It is exact only if no delta commits
// between the read and the Set, so commits that carry row-count deltas (and
// system writes, which delete counters) hold gate shared, and a fold holds
// it exclusively. Group commit is unaffected: shared holders commit
// concurrently.
type rowCounts struct {
	gate sync.RWMutex

	mu      sync.Mutex
	pending map[uint32]int // deltas committed since the last fold
}

// asyncCommitter is a batch that can apply its writes and wait for the WAL
// sync separately (pebblekv's batches).
type asyncCommitter interface {
	CommitNoSyncWait() error
	SyncWait() error
}

// commitCounted commits b; a batch carrying row-count deltas holds the
// fold gate shared while it is applied, but not while it waits for its
// fsync, so a fold never waits for the disk.
//
// applied, if not nil, is called once the batch is visible to new
// snapshots (before the fsync wait when the store allows it), or failed.
func (e *Engine) commitCounted(b kv.Batch, sync, counted bool, applied func(visible bool)) error {
	done := func(visible bool) {
		if applied != nil {
			if h := e.visibleHook.Load(); h != nil && visible {
				(*h)()
			}
			applied(visible)
			applied = nil
		}
	}
	defer done(false) // (a panic)
	if f := e.commitFault.Load(); f != nil {
		if err := (*f)(); err != nil {
			return err
		}
	}
	if ab, ok := b.(asyncCommitter); ok && sync {
		if counted {
			e.rc.gate.RLock()
		}
		err := ab.CommitNoSyncWait()
		if counted {
			e.rc.gate.RUnlock()
		}
		done(err == nil)
		if err != nil {
			return err
		}
		return ab.SyncWait()
	}
	err := func() error {
		if counted {
			e.rc.gate.RLock()
			defer e.rc.gate.RUnlock()
		}
		return b.Commit(sync)
	}()
	done(err == nil)
	return err
}

// noteCommitted records that the deltas in counts committed and folds the
// keys whose chains grew long.
func (e *Engine) noteCommitted(counts map[uint32]int64) {
	var fold []uint32
	e.rc.mu.Lock()
	if e.rc.pending == nil {
		e.rc.pending = make(map[uint32]int)
	}
	for table, d := range counts {
		if d == 0 {
			continue
		}
		e.rc.pending[table]++
		if e.rc.pending[table] >= rowCountCollapseEvery {
			delete(e.rc.pending, table)
			fold = append(fold, table)
		}
	}
	e.rc.mu.Unlock()
	for _, table := range fold {
		if err := e.foldRowCount(table); err != nil {
			e.log.Warn("fold row count", "table_id", table, "err", err)
		}
	}
}

// foldRowCount replaces the operand chain of a table's row count by its
// value. The Set is not synced: it equals the sum of operands that are
// already durable, and the WAL replays a prefix, so losing it changes
// nothing.
func (e *Engine) foldRowCount(table uint32) error {
	e.rc.gate.Lock()
	defer e.rc.gate.Unlock()
	key := rowCountKey(table)
	v, ok, err := e.kv.Get(key)
	if err != nil || !ok {
		// A missing counter belongs to a dropped table: leave it gone.
		return err
	}
	if len(v) != 8 {
		return fmt.Errorf("storage: corrupt row count for table %d", table)
	}
	b := e.kv.NewBatch()
	defer b.Close()
	if err := b.Set(key, v); err != nil {
		return err
	}
	return b.Commit(false)
}

// committedRowCount returns the committed row count of table as of the
// snapshot the statement in ctx reads, cached for that snapshot.
func (t *Txn) committedRowCount(ctx *sql.Context, table uint32) (int64, error) {
	r := t.reader(ctx)
	snap, _ := r.(kv.Snapshot)
	t.snapCountsMu.Lock()
	if snap != nil && t.snapCountsOf == snap {
		if n, ok := t.snapCounts[table]; ok {
			t.snapCountsMu.Unlock()
			return n, nil
		}
	}
	t.snapCountsMu.Unlock()
	n, err := rowCountAt(r, table)
	if err != nil || snap == nil {
		return n, err
	}
	t.snapCountsMu.Lock()
	if t.snapCountsOf != snap {
		t.snapCountsOf, t.snapCounts = snap, make(map[uint32]int64)
	}
	t.snapCounts[table] = n
	t.snapCountsMu.Unlock()
	return n, nil
}
