// Package pebblekv implements kv.Store on github.com/cockroachdb/pebble/v2.
// It is the only package in Quarry that imports Pebble.
package pebblekv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/quarrydb/quarry/storage/kv"
)

// Options configure Open.
type Options struct {
	// CacheSize is the block cache size in bytes (default 256 MiB).
	CacheSize int64
	// MemTableSize is the memtable size in bytes (default 16 MiB). Smaller
	// memtables flush more often, and with random keys every L0 file
	// overlaps all of Lbase: at 1M rows, 4 MiB made compaction rewrite
	// 50-80 MiB per 10 s of sysbench writes, against 9-32 MiB at 16 MiB.
	// Every version of a key stays in the memtable until it is flushed;
	// forward steps seek past a key's versions (iter.Next), reverse steps
	// still walk them, which made 64 MiB slow for hot, often-updated rows.
	// A WAL holds one memtable's writes; walSpareFS keeps new WALs from
	// growing their files.
	MemTableSize uint64
	Logger       *slog.Logger
	// FS is the file system (nil: the operating system's); tests pass a
	// crashable in-memory one.
	FS vfs.FS
	// WALSyncSyscalls makes WAL syncs plain system calls even where they
	// could run on an io_uring (see newWALSyncFS).
	WALSyncSyscalls bool
	// OnFatal, if set, gets the errors after which the store cannot go
	// on: Pebble's fatal errors, and the first failed WAL write or sync
	// before Pebble sees it (walGuard). It should not return (quarry
	// serve logs and exits); if it does, a WAL error goes on to Pebble and
	// a fatal error panics.
	OnFatal func(error)
}

// Store is a Pebble-backed kv.Store.
type Store struct {
	db    *pebble.DB
	opts  *pebble.Options
	dir   string
	cache *pebble.Cache
	spare *walSpareFS
	ring  *uringSyncer // nil: WAL syncs are system calls
	snaps snapState
}

var (
	_ kv.Store            = (*Store)(nil)
	_ kv.WriteGenerations = (*Store)(nil)
)

// Open opens or creates the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	if opts.CacheSize == 0 {
		opts.CacheSize = 256 << 20
	}
	if opts.MemTableSize == 0 {
		opts.MemTableSize = 16 << 20
	}
	cache := pebble.NewCache(opts.CacheSize)
	fs := opts.FS
	if fs == nil {
		fs = vfs.Default
	}
	plog := slogLogger{l: opts.Logger, onFatal: opts.OnFatal}
	log := plog.logger()
	spare := newWALSpareFS(fs, dir, int64(opts.MemTableSize), log)
	var walFS vfs.FS = spare
	var ring *uringSyncer
	if !opts.WALSyncSyscalls {
		var err error
		if ring, err = newUringSyncer(); err != nil {
			log.Info("pebblekv: WAL syncs are system calls", "reason", err)
		} else {
			walFS = newWALSyncFS(spare, ring)
		}
	}
	if opts.OnFatal != nil {
		walFS = newWALGuardFS(walFS, opts.OnFatal)
	}
	po := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                opts.MemTableSize,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       1000,
		MaxOpenFiles:                1000,
		FormatMajorVersion:          pebble.FormatNewest,
		Logger:                      plog,
		Merger:                      counterMerger,
		FS:                          walFS,
	}
	// Bloom filters let point gets of absent keys (uniqueness checks on
	// insert, lookups of missing rows) skip sstables.
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	po.EnsureDefaults()
	// Balanced: fast compression on upper levels, zstd on the bottom ones,
	// where most of the data lives.
	po.ApplyCompressionSettings(func() pebble.DBCompressionSettings { return pebble.DBCompressionBalanced })
	db, err := pebble.Open(dir, po)
	cache.Unref()
	if err != nil {
		spare.close()
		ring.close()
		return nil, fmt.Errorf("pebblekv: open %s: %w", dir, err)
	}
	// Ingest's directories are on the operating system's file system.
	if opts.FS == nil {
		if err := removeIngestLeftovers(dir); err != nil {
			spare.close()
			_ = db.Close()
			ring.close()
			return nil, fmt.Errorf("pebblekv: open %s: %w", dir, err)
		}
	}
	spare.setRotate(func() {
		if _, err := db.AsyncFlush(); err != nil {
			spare.log.Warn("pebblekv: rotating to the spare WAL", "err", err)
		}
	})
	return &Store{db: db, opts: po, dir: dir, spare: spare, ring: ring}, nil
}

// Get implements kv.Reader.
func (s *Store) Get(key []byte) ([]byte, bool, error) { return get(s.db, key) }

// NewIter implements kv.Reader.
func (s *Store) NewIter(lower, upper []byte) (kv.Iterator, error) {
	return newIter(s.db, lower, upper)
}

// NewBatch implements kv.Store.
func (s *Store) NewBatch() kv.Batch { return &batch{b: s.db.NewBatch(), s: s} }

// SyncWAL implements kv.Store: a synced empty log record is written after
// every visible write, and the WAL is synced in order.
func (s *Store) SyncWAL() error { return s.db.LogData(nil, pebble.Sync) }

// Flush implements kv.Store.
func (s *Store) Flush() error { return s.db.Flush() }

// DiskUsage implements kv.Store.
func (s *Store) DiskUsage() uint64 { return s.db.Metrics().DiskSpaceUsage() }

// Close implements kv.Store.
func (s *Store) Close() error {
	s.closeShared()
	s.spare.close()
	err := s.db.Close()
	s.ring.close() // after the last WAL sync
	return err
}

func get(r pebble.Reader, key []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(key)
	if err == pebble.ErrNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), v...)
	if err := closer.Close(); err != nil {
		return nil, false, err
	}
	return out, true, nil
}

func newIter(r pebble.Reader, lower, upper []byte) (kv.Iterator, error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	return &iter{it: it}, nil
}

// snapshot is a kv.Snapshot: a Pebble snapshot of its own, or a reference
// to a shared one (sh set until Close).
type snapshot struct {
	s  *pebble.Snapshot
	sh *sharedSnap
	st *Store
}

// Get implements kv.Reader; a shared snapshot's reads reuse its iterators
// (pointIters) until a write completes.
func (s *snapshot) Get(key []byte) ([]byte, bool, error) {
	sh := s.sh
	if sh == nil {
		return get(s.s, key)
	}
	if s.st.snaps.gen.Load() != sh.gen {
		sh.pts.retire()
		return get(s.s, key)
	}
	return sh.pts.get(s.s, key)
}
func (s *snapshot) NewIter(lower, upper []byte) (kv.Iterator, error) {
	return newIter(s.s, lower, upper)
}
func (s *snapshot) Close() error {
	if s.sh != nil {
		sh := s.sh
		s.sh = nil
		return s.st.release(sh)
	}
	return s.s.Close()
}

type iter struct{ it *pebble.Iterator }

// Next steps to the next key with NextPrefix, which is Next here: the
// store's comparer splits no suffix off (DefaultSplit), so a key's prefix
// is the whole key, and no upper bound has a suffix. Next walks every
// version of the current key the memtables and sstables hold, one skiplist
// or block step each; NextPrefix seeks past them after one step, so the
// rows of a scan cost about the same whatever the number of versions
// (sysbench's hot rows kept ~30 versions in the memtable, and range scans
// of them spent most of their time stepping over those).
func (i *iter) Next() bool { return i.it.NextPrefix() }

func (i *iter) First() bool            { return i.it.First() }
func (i *iter) Last() bool             { return i.it.Last() }
func (i *iter) SeekGE(k []byte) bool   { return i.it.SeekGE(k) }
func (i *iter) SeekLT(k []byte) bool   { return i.it.SeekLT(k) }
func (i *iter) Prev() bool             { return i.it.Prev() }
func (i *iter) Valid() bool            { return i.it.Valid() }
func (i *iter) Key() []byte            { return i.it.Key() }
func (i *iter) Value() ([]byte, error) { return i.it.ValueAndErr() }
func (i *iter) Error() error           { return i.it.Error() }
func (i *iter) Close() error           { return i.it.Close() }

// SetBounds implements kv.Iterator (Pebble copies the bounds).
func (i *iter) SetBounds(lower, upper []byte) { i.it.SetBounds(lower, upper) }

type batch struct {
	b *pebble.Batch
	s *Store
}

func (b *batch) Set(k, v []byte) error { return b.b.Set(k, v, nil) }
func (b *batch) AddInt64(k []byte, d int64) error {
	var v [8]byte
	binary.LittleEndian.PutUint64(v[:], uint64(d))
	return b.b.Merge(k, v[:], nil)
}
func (b *batch) Delete(k []byte) error         { return b.b.Delete(k, nil) }
func (b *batch) DeleteRange(s, e []byte) error { return b.b.DeleteRange(s, e, nil) }
func (b *batch) Empty() bool                   { return b.b.Empty() }
func (b *batch) Close() error                  { return b.b.Close() }

// CommitNoSyncWait applies the batch and queues its WAL sync; SyncWait
// waits for that sync. Together they are Commit(true).
func (b *batch) CommitNoSyncWait() error {
	b.s.beginWrite()
	defer b.s.endWrite()
	b.s.spare.wrote(b.b.Len())
	return b.s.db.ApplyNoSyncWait(b.b, pebble.Sync)
}

// SyncWait waits for the WAL sync of a CommitNoSyncWait.
func (b *batch) SyncWait() error { return b.b.SyncWait() }

func (b *batch) Commit(sync bool) error {
	opt := pebble.NoSync
	if sync {
		opt = pebble.Sync
	}
	b.s.beginWrite()
	defer b.s.endWrite()
	b.s.spare.wrote(b.b.Len())
	return b.b.Commit(opt)
}

// slogLogger adapts pebble's logger to slog.
type slogLogger struct {
	l       *slog.Logger
	onFatal func(error) // Options.OnFatal
}

func (s slogLogger) logger() *slog.Logger {
	if s.l == nil {
		return slog.Default()
	}
	return s.l
}
func (s slogLogger) Infof(format string, args ...any) {
	s.logger().Debug(fmt.Sprintf(format, args...), "component", "pebble")
}
func (s slogLogger) Errorf(format string, args ...any) {
	s.logger().Error(fmt.Sprintf(format, args...), "component", "pebble")
}
func (s slogLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.logger().Error(msg, "component", "pebble", "fatal", true)
	if s.onFatal != nil {
		s.onFatal(errors.New(msg))
	}
	panic(msg)
}

// counterMerger sums little-endian int64 operands. Its name is recorded in
// the store and must never change.
var counterMerger = &pebble.Merger{
	Name: "quarry.int64add.v1",
	Merge: func(key, value []byte) (pebble.ValueMerger, error) {
		m := &int64Merger{}
		return m, m.MergeNewer(value)
	},
}

type int64Merger struct{ sum int64 }

func (m *int64Merger) add(v []byte) error {
	if len(v) != 8 {
		return fmt.Errorf("pebblekv: counter operand has %d bytes, want 8", len(v))
	}
	m.sum += int64(binary.LittleEndian.Uint64(v))
	return nil
}

func (m *int64Merger) MergeNewer(v []byte) error { return m.add(v) }
func (m *int64Merger) MergeOlder(v []byte) error { return m.add(v) }
func (m *int64Merger) Finish(bool) ([]byte, io.Closer, error) {
	out := make([]byte, 8)
	binary.LittleEndian.PutUint64(out, uint64(m.sum))
	return out, nil, nil
}
