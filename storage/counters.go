package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/quarrydb/quarry/storage/kv/pebblekv"
)

// Counters are cumulative counts of engine events since Open, read by the
// metrics exporter (package sqlserver). Every field is safe for concurrent
// use; the engine only ever adds to them.
type Counters struct {
	// Transactions started (including the implicit per-statement ones GMS
	// begins under autocommit), committed and rolled back.
	Transactions atomic.Uint64
	Commits      atomic.Uint64
	Rollbacks    atomic.Uint64
	// LockWaits counts row-lock requests that had to wait for another
	// transaction (kept by the lock manager, copied in by Stats).
	LockWaits atomic.Uint64
	// LockWaitTimeouts (error 1205) and Deadlocks (error 1213, the victim's
	// transaction is rolled back).
	LockWaitTimeouts atomic.Uint64
	Deadlocks        atomic.Uint64
	// BulkLoads counts bulk-loading statements committed by ingesting
	// their runs; BulkLoadSpills those whose runs moved to the overlay.
	BulkLoads      atomic.Uint64
	BulkLoadSpills atomic.Uint64
	// ColumnCompactions counts column cache segments whose change record
	// was folded into their data (see colCache.compact).
	ColumnCompactions atomic.Uint64
}

// Stats returns the engine's event counters (not the optimizer statistics;
// see StatsProvider for those).
func (e *Engine) Stats() *Counters {
	e.counters.LockWaits.Store(e.locks.Waited())
	return &e.counters
}

// KVMetrics returns the Pebble metrics of the store, or false if the store
// is not Pebble.
func (e *Engine) KVMetrics() (pebblekv.Metrics, bool) {
	if s, ok := e.kv.(*pebblekv.Store); ok {
		return s.Metrics(), true
	}
	return pebblekv.Metrics{}, false
}

// Checkpoint writes a consistent copy of the data directory into dir while
// the engine stays online: every transaction committed before the call is
// in it, none that commits later is. dir must not exist or be empty; it
// becomes a data directory that Open accepts as it is (auto-increment
// counters resume past their durable reservation, as after a crash).
func (e *Engine) Checkpoint(dir string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("storage: checkpoint: %s is not empty", dir)
	} else if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("storage: checkpoint: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("storage: checkpoint: %w", err)
	}
	return e.kv.Checkpoint(filepath.Join(dir, "kv"))
}
