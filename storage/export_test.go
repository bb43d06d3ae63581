package storage

import (
	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/kv/pebblekv"
)

// CountKeys returns, for tests, the number of committed data keys (rows
// and index entries of every table) and of temporary table registrations.
func CountKeys(e *Engine) (data, temps int, err error) {
	lower := []byte{prefixData}
	it, err := e.kv.NewIter(lower, keycodec.PrefixEnd(lower))
	if err != nil {
		return 0, 0, err
	}
	for ok := it.First(); ok; ok = it.Next() {
		data++
	}
	if err := it.Close(); err != nil {
		return 0, 0, err
	}
	temps, err = e.TemporaryTableCount()
	return data, temps, err
}

// SetBulkRunBytes sets the run size of bulk index builds for a test and
// returns a function restoring it.
func SetBulkRunBytes(n int) (restore func()) {
	old := bulkRunBytes
	bulkRunBytes = n
	return func() { bulkRunBytes = old }
}

// SetIterReuse turns the reuse of a transaction's spare iterator on or off
// for a test and returns a function restoring the setting.
func SetIterReuse(on bool) (restore func()) {
	old := noIterReuse.Swap(!on)
	return func() { noIterReuse.Store(old) }
}

// SetGetReuse turns storeGet's reuse of a transaction's last read on or off
// for a test and returns a function restoring the setting.
func SetGetReuse(on bool) (restore func()) {
	old := noGetReuse.Swap(!on)
	return func() { noGetReuse.Store(old) }
}

// IterReuses returns how many scans have reused a spare iterator.
func IterReuses() uint64 { return iterReuses.Load() }

// SetSnapshotSharing turns the sharing of Pebble snapshots between
// transactions on or off (see pebblekv.Store.NewSnapshot).
func SetSnapshotSharing(e *Engine, on bool) {
	e.kv.(*pebblekv.Store).SetSnapshotSharing(on)
}

// SetCommitVisibleHook makes every commit of e whose batch has become
// visible call f before it finishes (stamps the column cache), for a test;
// nil removes the hook.
func SetCommitVisibleHook(e *Engine, f func()) {
	if f == nil {
		e.visibleHook.Store(nil)
		return
	}
	e.visibleHook.Store(&f)
}
