// Package storage implements go-mysql-server's sql.* interfaces on an ordered
// key-value store (Pebble, through storage/kv). It owns the catalog, the
// table and index keyspaces, transactions and row locks, auto-increment
// counters and row counts.
//
// Concurrency: catalog state is guarded by Engine.mu; table data is only
// touched through transactions (see Txn), whose writes become visible
// atomically at commit.
package storage

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/quarrydb/quarry/storage/catalog"
	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/kv"
	"github.com/quarrydb/quarry/storage/kv/pebblekv"
	"github.com/quarrydb/quarry/storage/lock"
	"github.com/quarrydb/quarry/storage/stats"
)

// Options configure Open.
type Options struct {
	// Dir is the data directory; it is created if missing.
	Dir    string
	Logger *slog.Logger
	// CacheSize is the block cache size in bytes (0 = default).
	CacheSize int64
	// MemTableSize is Pebble's memtable size in bytes (0 = default, see
	// pebblekv.Options).
	MemTableSize uint64
	// ColumnCacheSize bounds the column cache of analytic scans in bytes
	// (see colCache): 0 means 1 GiB, a negative value turns it off.
	ColumnCacheSize int64
	// ColumnSegmentRows is the number of rows a column cache segment
	// aims at (0 = 4096); tests use small segments.
	ColumnSegmentRows int
	// WALSyncSyscalls makes WAL syncs plain system calls even where they
	// could run on an io_uring (see pebblekv.Options).
	WALSyncSyscalls bool
	// OnFatal, if set, gets the errors after which the store cannot go on
	// safely, such as a failed WAL write or sync, before any commit fails
	// with them. It should not return: quarry serve logs and exits (see
	// pebblekv.Options).
	OnFatal func(error)
}

// Engine is an opened Quarry data directory.
type Engine struct {
	opts  Options
	kv    kv.Store
	wgen  kv.WriteGenerations // kv's write counter (nil: none); see Txn.storeGet
	log   *slog.Logger
	locks *lock.Manager
	loads loadRegistry // bulk loads' reserved keys (see loadRuns)

	// visibleHook, for tests, runs in a commit whose batch has become
	// visible, before the commit's applied callback (commitCounted).
	visibleHook atomic.Pointer[func()]
	// commitFault fails commits before their batch is applied when it
	// returns an error (InjectCommitFault, commitCounted).
	commitFault atomic.Pointer[func() error]

	// ddlEpoch numbers schema changes that complete a keyspace (see
	// nextDDLEpoch).
	ddlEpoch atomic.Uint64

	mu          sync.RWMutex
	dbs         map[string]*dbState // by lower-case name
	nextTableID uint32
	temps       map[*tempTables]struct{} // sessions' temporary tables

	aiMu    sync.Mutex
	autoinc map[uint32]*autoIncState

	stats *stats.Provider

	txnMu sync.Mutex
	open  map[*Txn]struct{} // transactions not yet committed or rolled back

	counters Counters // see Stats
	times    tableTimes

	rc rowCounts // keeps row-count merge chains short (rowcount.go)

	objc objCache // stored-object records (objcache.go)

	tails pkTails // upper bounds of committed primary keys (tail.go)

	search SearchBackend // see search_hooks.go; guarded by mu
	spos   searchPositions

	cc colCache // decoded column segments for analytic scans (colcache.go)
}

type dbState struct {
	def    catalog.Database
	tables map[string]*tableMeta // by lower-case name
}

// Open opens (or initialises) the data directory.
func Open(opts Options) (*Engine, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("storage: create data dir: %w", err)
	}
	st, err := pebblekv.Open(filepath.Join(opts.Dir, "kv"), pebblekv.Options{Logger: opts.Logger, CacheSize: opts.CacheSize, MemTableSize: opts.MemTableSize, WALSyncSyscalls: opts.WALSyncSyscalls, OnFatal: opts.OnFatal})
	if err != nil {
		return nil, err
	}
	e := &Engine{
		opts:    opts,
		kv:      st,
		wgen:    st,
		log:     opts.Logger,
		locks:   lock.NewManager(),
		dbs:     make(map[string]*dbState),
		temps:   make(map[*tempTables]struct{}),
		autoinc: make(map[uint32]*autoIncState),
		open:    make(map[*Txn]struct{}),
	}
	e.stats = stats.New(statsStore{e: e})
	e.cc.none.c = &e.cc
	e.cc.segRows = defaultSegmentRows
	if opts.ColumnSegmentRows > 0 {
		e.cc.segRows = opts.ColumnSegmentRows
	}
	switch {
	case opts.ColumnCacheSize == 0:
		e.cc.limit.Store(defaultColumnCacheBytes)
	case opts.ColumnCacheSize > 0:
		e.cc.limit.Store(opts.ColumnCacheSize)
	}
	if err := e.loadCatalog(); err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := e.purgeTempTables(); err != nil {
		_ = st.Close()
		return nil, err
	}
	return e, nil
}

// Close ends transactions still open (making deferred commits), persists auto-increment
// counters exactly and closes the store.
func (e *Engine) Close() error {
	e.txnMu.Lock()
	open := make([]*Txn, 0, len(e.open))
	for t := range e.open {
		open = append(open, t)
	}
	e.txnMu.Unlock()
	for _, t := range open {
		t.end()
	}
	e.closeSearch()
	e.aiMu.Lock()
	b := e.kv.NewBatch()
	for id, st := range e.autoinc {
		st.mu.Lock()
		if st.loaded {
			_ = b.Set(autoIncKey(id), binary.BigEndian.AppendUint64(nil, st.next))
		}
		st.mu.Unlock()
	}
	e.aiMu.Unlock()
	err := b.Commit(true)
	_ = b.Close()
	if cerr := e.kv.Close(); err == nil {
		err = cerr
	}
	return err
}

// DiskUsage reports the bytes the data directory's store occupies.
func (e *Engine) DiskUsage() uint64 { return e.kv.DiskUsage() }

// Flush forces buffered data to sstables (tests and measurements).
func (e *Engine) Flush() error { return e.kv.Flush() }

var (
	catDBPrefix    = sysKey("db", "")
	catTablePrefix = sysKey("table", "")
	seqTableKey    = sysKey("seq", "table")
	privilegesKey  = sysKey("privileges")
)

func (e *Engine) loadCatalog() error {
	it, err := e.kv.NewIter(catDBPrefix, keycodec.PrefixEnd(catDBPrefix))
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.Value()
		if err != nil {
			_ = it.Close()
			return err
		}
		d, err := catalog.DecodeDatabase(v)
		if err != nil {
			_ = it.Close()
			return fmt.Errorf("storage: load database record: %w", err)
		}
		e.dbs[strings.ToLower(d.Name)] = &dbState{def: *d, tables: make(map[string]*tableMeta)}
	}
	if err := it.Close(); err != nil {
		return err
	}
	it, err = e.kv.NewIter(catTablePrefix, keycodec.PrefixEnd(catTablePrefix))
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		// key: sys "table" 0x00 <db> 0x00 <table>
		rest := it.Key()[len(catTablePrefix):]
		i := strings.IndexByte(string(rest), 0)
		if i < 0 {
			return fmt.Errorf("storage: malformed table record key %q", it.Key())
		}
		dbName := string(rest[:i])
		v, err := it.Value()
		if err != nil {
			return err
		}
		def, err := catalog.DecodeTable(v)
		if err != nil {
			return fmt.Errorf("storage: load table record: %w", err)
		}
		d := e.dbs[dbName]
		if d == nil {
			return fmt.Errorf("storage: table %s belongs to missing database %s", def.Name, dbName)
		}
		m, err := newTableMeta(d.def.Name, def)
		if err != nil {
			return err
		}
		d.tables[strings.ToLower(def.Name)] = m
	}
	if v, ok, err := e.kv.Get(seqTableKey); err != nil {
		return err
	} else if ok {
		e.nextTableID = binary.BigEndian.Uint32(v)
	}
	if e.nextTableID == 0 {
		e.nextTableID = 1
	}
	return nil
}

func dbKey(name string) []byte { return sysKey("db", strings.ToLower(name)) }
func tableKey(db, name string) []byte {
	return sysKey("table", strings.ToLower(db), strings.ToLower(name))
}

// writeSys applies catalog writes durably, outside any transaction (DDL is
// not transactional in MySQL either: it commits implicitly).
func (e *Engine) writeSys(fn func(b kv.Batch) error) error {
	b := e.kv.NewBatch()
	defer b.Close()
	if err := fn(b); err != nil {
		return err
	}
	// System writes may delete row counters: not while one is folded.
	e.rc.gate.RLock()
	defer e.rc.gate.RUnlock()
	defer e.objc.invalidate()
	return b.Commit(true)
}

// allocTableID returns a fresh table ID; the caller holds e.mu and persists
// the sequence in the same batch via putTableSeq.
func (e *Engine) allocTableID() uint32 {
	id := e.nextTableID
	e.nextTableID++
	return id
}

func (e *Engine) putTableSeq(b kv.Batch) error {
	return b.Set(seqTableKey, binary.BigEndian.AppendUint32(nil, e.nextTableID))
}

// LoadPrivileges returns the persisted mysql_db blob (users and grants), or nil.
func (e *Engine) LoadPrivileges() ([]byte, error) {
	v, ok, err := e.kv.Get(privilegesKey)
	if err != nil || !ok {
		return nil, err
	}
	return v, nil
}

// PersistPrivileges durably stores the mysql_db blob.
func (e *Engine) PersistPrivileges(data []byte) error {
	return e.writeSys(func(b kv.Batch) error { return b.Set(privilegesKey, data) })
}

// rowCount returns the committed row count of a table as of reader r.
func rowCountAt(r kv.Reader, table uint32) (int64, error) {
	v, ok, err := r.Get(rowCountKey(table))
	if err != nil || !ok {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("storage: corrupt row count for table %d", table)
	}
	return int64(binary.LittleEndian.Uint64(v)), nil
}

// InjectCommitFault is for fault-injection tests: every commit calls f
// before its batch is applied and, if f returns an error, fails with it
// (wrapped in ErrCommitFailed) without applying anything. nil removes it.
func (e *Engine) InjectCommitFault(f func() error) {
	if f == nil {
		e.commitFault.Store(nil)
		return
	}
	e.commitFault.Store(&f)
}
