// Package kv is the narrow ordered key-value interface that Quarry's storage
// layer is written against. It owns the contracts (ordering, byte-slice
// ownership, durability) and nothing else; pebblekv is the implementation.
//
// Ownership: keys and values returned by an Iterator are valid only until the
// next positioning call or Close; callers copy what they keep. Slices passed
// to Batch methods are copied by the batch.
package kv

import "errors"

// ErrClosed is returned by operations on a closed store.
var ErrClosed = errors.New("kv: store is closed")

// Reader reads a consistent view of the keyspace.
type Reader interface {
	// Get returns a copy of the value stored at key, and whether it exists.
	Get(key []byte) (value []byte, ok bool, err error)
	// NewIter returns an iterator over keys in [lower, upper). A nil bound
	// is unbounded. The iterator is unpositioned.
	NewIter(lower, upper []byte) (Iterator, error)
}

// Iterator walks keys in bytewise ascending order (or descending via Last/Prev).
type Iterator interface {
	First() bool
	Last() bool
	SeekGE(key []byte) bool
	SeekLT(key []byte) bool
	Next() bool
	Prev() bool
	Valid() bool
	Key() []byte
	Value() ([]byte, error)
	Error() error
	// SetBounds makes the iterator walk [lower, upper) instead, from the
	// same consistent view; it is unpositioned until the next positioning
	// call. Reusing an iterator costs less than closing it and opening
	// another. The iterator copies the bounds.
	SetBounds(lower, upper []byte)
	Close() error
}

// Snapshot is a point-in-time Reader. It must be closed.
type Snapshot interface {
	Reader
	Close() error
}

// WriteGenerations is implemented by stores that count their writes.
// WriteGen returns how many writes (batch commits, ingests) have completed,
// and quiet: no write was in flight. Invariant: if WriteGen returned gen
// before a read began and returns gen and quiet at a later time T, no
// write became visible between the read and T, so the read's answer is
// still the store's answer at T.
type WriteGenerations interface {
	WriteGen() (gen uint64, quiet bool)
}

// Batch collects writes that commit atomically. Set, Delete, AddInt64 and
// DeleteRange copy their arguments: the caller may reuse them (and pass
// read-only views of strings) once the call returns.
type Batch interface {
	Set(key, value []byte) error
	Delete(key []byte) error
	// AddInt64 adds delta to the little-endian int64 counter at key (a
	// missing counter is zero). Concurrent batches commute.
	AddInt64(key []byte, delta int64) error
	// DeleteRange deletes every key in [start, end).
	DeleteRange(start, end []byte) error
	Empty() bool
	// Commit applies the batch. With sync, it returns only after the write
	// is durable in the WAL; concurrent synced commits share one fsync.
	Commit(sync bool) error
	Close() error
}

// IngestWriter receives the writes of an ingest, in strictly increasing
// key order.
type IngestWriter interface {
	Set(key, value []byte) error
	// AddInt64 adds delta to the counter at key, as Batch.AddInt64 does.
	AddInt64(key []byte, delta int64) error
}

// Store is an opened key-value store.
type Store interface {
	Reader
	NewSnapshot() Snapshot
	NewBatch() Batch
	// Flush forces memtables to disk (used by tests and shutdown).
	Flush() error
	// DiskUsage reports the bytes the store occupies on disk.
	DiskUsage() uint64
	// SyncWAL makes every write visible before the call durable. A
	// synced commit is visible before its sync completes (group commit),
	// and a bulk transaction's intermediate writes are not synced at all.
	SyncWAL() error
	// Checkpoint writes a consistent, openable copy of the store into dir,
	// which must not exist yet. Writes committed before the call are in it;
	// the store stays online.
	Checkpoint(dir string) error
	// Ingest adds the pairs fill passes to add, in strictly increasing key
	// order, to the store in one atomic step, bypassing the write-ahead
	// log and the memtable (bulk index builds). Nothing else may write
	// those keys meanwhile.
	Ingest(fill func(add func(key, value []byte) error) error) error
	// IngestWith is Ingest with counter updates, in parts: each part
	// passes its pairs and counter deltas, together in strictly
	// increasing key order, to its writer, and every key of a part is
	// below every key of the next. Parts may run concurrently. All the
	// writes become visible (and durable) in one atomic step. Counters
	// merge with concurrent AddInt64 batches as usual.
	IngestWith(parts ...func(w IngestWriter) error) error
	Close() error
}
