package indexes

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"

	"github.com/quarrydb/quarry/storage"
	"github.com/quarrydb/quarry/storage/kv"
)

// Manager is the storage.SearchBackend over bleve.
type Manager struct {
	e   *storage.Engine
	dir string
	log *slog.Logger

	mu   sync.Mutex
	open map[ikey]*Index
	// apply serialises applying a table's log (per table ID).
	apply map[uint32]*sync.Mutex
	// state holds each table's index position (per table ID).
	state map[uint32]*tableState

	stop    chan struct{}
	done    chan struct{}
	started bool

	// inflight holds the log keys applied to bleve whose batches are not
	// yet persisted (they stay in the log, and are skipped by later
	// rounds); persisted the keys whose batches are, to delete from the
	// log. Guarded by pmu.
	pmu       sync.Mutex
	inflight  map[string]bool
	persisted [][]byte

	// covered and uncovered count the searches that were not exact for
	// their statement's snapshot, by whether the documents changed since
	// it were known (see Search.changedRows).
	covered, uncovered atomic.Int64
	// applied counts the documents apply rounds indexed or deleted.
	applied atomic.Int64

	// alone holds the in-memory indexes that evaluate a query on one row.
	alone alonePool
}

// AppliedDocs returns how many documents apply rounds have indexed or
// deleted (per round and table, whatever the number of indexes).
func (m *Manager) AppliedDocs() int64 { return m.applied.Load() }

// VerifiedSearches returns how many searches were not exact for their
// statement's snapshot, with the documents changed since known (covered)
// or not (uncovered: the slow path).
func (m *Manager) VerifiedSearches() (covered, uncovered int64) {
	return m.covered.Load(), m.uncovered.Load()
}

// bleveConfig opens scorch with unsafe_batch: Batch returns once the
// segment is searchable, and persistence, which the change log covers,
// is reported through the batch's persisted callback.
func bleveConfig() map[string]interface{} {
	return map[string]interface{}{"unsafe_batch": true, "bolt_timeout": "10s"}
}

// applyInterval is how often the background applier drains the change
// logs, so the logs stay short when nobody searches and searches rarely
// find much to catch up.
const applyInterval = 100 * time.Millisecond

type ikey struct{ table, index uint32 }

// tableState is the position of a table's search indexes. Invariant:
// while pos is known, the table's indexes hold exactly the table's
// committed rows as of every snapshot at that position (see
// storage.searchPositions): the last apply round read the whole change
// log from a snapshot at pos and applied every entry (entries applied by
// earlier rounds are older, and any later change of their rows has an
// entry of its own). Everything that changes the indexes holds mu for
// writing and sets pos; searches that rely on pos hold it for reading.
type tableState struct {
	mu  sync.RWMutex
	pos storage.SearchPosition
	// changes retains the documents recent apply rounds changed, for
	// searches from snapshots the index is ahead of (changes.go).
	changes changeRecord
}

// Index is one open search index.
type Index struct {
	Spec Spec
	b    bleve.Index
	docs *docBuilder
}

func newIndex(sp Spec, b bleve.Index) (*Index, error) {
	docs, err := newDocBuilder(sp, b.Mapping())
	if err != nil {
		return nil, err
	}
	return &Index{Spec: sp, b: b, docs: docs}, nil
}

// Attach opens (building where needed) every search index of the engine,
// applies the change logs left by a crash, and installs the Manager as the
// engine's search backend.
func Attach(e *storage.Engine, dir string, log *slog.Logger) (*Manager, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("indexes: %w", err)
	}
	if m, ok := e.Searcher().(*Manager); ok {
		return m, nil // already attached (one engine, several GMS engines)
	}
	m := &Manager{e: e, dir: dir, log: log, open: map[ikey]*Index{}, apply: map[uint32]*sync.Mutex{}, state: map[uint32]*tableState{},
		stop: make(chan struct{}), done: make(chan struct{}), inflight: map[string]bool{}}
	e.SetSearchBackend(m)
	defs := e.SearchIndexes()
	live := map[string]bool{}
	tables := map[uint32]bool{}
	for _, d := range defs {
		live[dirName(d.TableID, d.IndexID)] = true
		tables[d.TableID] = true
		if _, err := m.get(d); err != nil {
			_ = m.Close()
			return nil, err
		}
	}
	// Remove the files of indexes whose table or index was dropped.
	if ents, err := os.ReadDir(dir); err == nil {
		for _, de := range ents {
			if !live[de.Name()] {
				_ = os.RemoveAll(filepath.Join(dir, de.Name()))
			}
		}
	}
	for t := range tables {
		if err := m.CatchUp(t); err != nil {
			_ = m.Close()
			return nil, err
		}
	}
	m.started = true
	go m.applier()
	return m, nil
}

// applier drains every table's change log in the background.
func (m *Manager) applier() {
	defer close(m.done)
	tick := time.NewTicker(applyInterval)
	defer tick.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		seen := map[uint32]bool{}
		for _, d := range m.e.SearchIndexes() {
			if seen[d.TableID] {
				continue
			}
			seen[d.TableID] = true
			if err := m.CatchUp(d.TableID); err != nil {
				m.log.Error("search index apply", "table", d.Table, "err", err)
			}
		}
	}
}

func dirName(table, index uint32) string { return fmt.Sprintf("t%d_i%d", table, index) }

// builtMarker marks a completely built index of the current document
// format; an index without it is rebuilt on open. Version 2 added the
// sort-key and NULL-marker fields of typed columns; version 3 the
// case-preserving analyzers and the token length limit (analyzers are
// named quarry_<analyzer>[_cs] in the mapping); version 4 every substring
// gram with its position (phrases of grams).
const builtMarker = "quarry_built_v4"

// Close stops the applier and closes every open index.
func (m *Manager) Close() error {
	select {
	case <-m.stop:
	default:
		close(m.stop)
		if m.started {
			<-m.done
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for k, ix := range m.open {
		errs = append(errs, closeBleve(ix.b))
		delete(m.open, k)
	}
	errs = append(errs, m.deletePersisted())
	m.alone.drop(0, 0, true)
	return errors.Join(errs...)
}

func (m *Manager) tableLock(table uint32) *sync.Mutex {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.apply[table]
	if !ok {
		l = &sync.Mutex{}
		m.apply[table] = l
	}
	return l
}

// stateOf returns the table's index state.
func (m *Manager) stateOf(table uint32) *tableState {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.state[table]
	if !ok {
		st = &tableState{}
		m.state[table] = st
	}
	return st
}

// forgetPosition marks the table's index position unknown (the indexes
// changed other than by a complete apply round); the caller holds the
// table's apply lock.
func (m *Manager) forgetPosition(table uint32) {
	st := m.stateOf(table)
	st.mu.Lock()
	st.pos = storage.SearchPosition{}
	st.mu.Unlock()
}

// get returns the open index for d, opening it, or building it when its
// files are missing or incomplete.
func (m *Manager) get(d storage.SearchIndexDef) (*Index, error) {
	k := ikey{d.TableID, d.IndexID}
	m.mu.Lock()
	ix, ok := m.open[k]
	m.mu.Unlock()
	if ok {
		return ix, nil
	}
	l := m.tableLock(d.TableID)
	l.Lock()
	defer l.Unlock()
	m.mu.Lock()
	ix, ok = m.open[k]
	m.mu.Unlock()
	if ok {
		return ix, nil
	}
	path := filepath.Join(m.dir, dirName(d.TableID, d.IndexID))
	if _, err := os.Stat(filepath.Join(path, builtMarker)); err == nil {
		sp, err := ParseSpec(d)
		if err != nil {
			return nil, err
		}
		b, err := bleve.OpenUsing(path, bleveConfig())
		if err == nil {
			ix, err = newIndex(sp, b)
		}
		if err == nil {
			m.mu.Lock()
			m.open[k] = ix
			m.mu.Unlock()
			return ix, nil
		}
		m.log.Warn("search index unreadable; rebuilding", "index", d.Name, "table", d.Table, "err", err)
	}
	return m.buildLocked(d)
}

// Build implements storage.SearchBackend: (re)build the index from the
// table's committed rows.
func (m *Manager) Build(_ *sql.Context, d storage.SearchIndexDef) error {
	l := m.tableLock(d.TableID)
	l.Lock()
	_, err := m.buildLocked(d)
	l.Unlock()
	if err != nil {
		return err
	}
	return m.CatchUp(d.TableID)
}

// Rebuild drops and rebuilds one index (the `quarry search-rebuild` command).
func (m *Manager) Rebuild(d storage.SearchIndexDef) error { return m.Build(nil, d) }

// buildLocked builds an index from a snapshot of the table; the caller
// holds the table's apply lock. Log entries written before the snapshot
// stay in the log and are applied again afterwards, which is harmless.
func (m *Manager) buildLocked(d storage.SearchIndexDef) (*Index, error) {
	m.forgetPosition(d.TableID)
	k := ikey{d.TableID, d.IndexID}
	m.mu.Lock()
	if old, ok := m.open[k]; ok {
		_ = closeBleve(old.b)
		delete(m.open, k)
	}
	m.mu.Unlock()
	sp, err := ParseSpec(d)
	if err != nil {
		return nil, err
	}
	im, err := sp.Mapping()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(m.dir, dirName(d.TableID, d.IndexID))
	if err := os.RemoveAll(path); err != nil {
		return nil, fmt.Errorf("indexes: %w", err)
	}
	b, err := bleve.NewUsing(path, im, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, bleveConfig())
	if err != nil {
		return nil, fmt.Errorf("indexes: create %s: %w", d.Name, err)
	}
	ix, err := newIndex(sp, b)
	if err != nil {
		_ = closeBleve(b)
		return nil, err
	}
	start := time.Now()
	batch := b.NewBatch()
	n := 0
	err = m.e.ScanRowsLatest(d.TableID, func(pk []byte, row sql.Row) error {
		if err := batch.IndexAdvanced(ix.docs.document(DocID(pk), row)); err != nil {
			return err
		}
		n++
		if batch.Size() >= buildBatch {
			if err := b.Batch(batch); err != nil {
				return err
			}
			batch.Reset()
		}
		return nil
	})
	// The index holds the rows of the scan's snapshot, which older
	// snapshots may not see, and the retained changes do not say which.
	st := m.stateOf(d.TableID)
	st.mu.Lock()
	st.changes.reset(m.e.SearchCommitsBegun())
	st.mu.Unlock()
	if err == nil {
		// The marker, written once this batch persisted, must not mark
		// rows the table could still lose (a crash before it rebuilds).
		err = m.e.SyncSearchReads()
	}
	if err == nil {
		// Batches are persisted in order: once the last one is, all are.
		persisted := make(chan error, 1)
		batch.SetPersistedCallback(func(err error) { persisted <- err })
		if err = b.Batch(batch); err == nil {
			err = <-persisted
		}
	}
	if err == nil {
		err = writeMarker(path)
	}
	if err != nil {
		_ = closeBleve(b)
		return nil, fmt.Errorf("indexes: build %s: %w", d.Name, err)
	}
	m.log.Info("search index built", "index", d.Name, "table", d.Table, "rows", n, "took", time.Since(start))
	m.mu.Lock()
	m.open[k] = ix
	m.mu.Unlock()
	return ix, nil
}

func writeMarker(dir string) error {
	f, err := os.Create(filepath.Join(dir, builtMarker))
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// Validate implements storage.SearchValidator: a new index's COMMENT
// must parse, and every text field must be a CHAR, VARCHAR or TEXT
// column with a character set (typed fields declared in the COMMENT may
// be of other types).
func (m *Manager) Validate(d storage.SearchIndexDef) error {
	sp, err := ParseSpec(d)
	if err != nil {
		return err
	}
	for _, f := range sp.Fields {
		if f.Kind == KindText && !textColumn(f.Col.Type) {
			return sql.ErrFullTextInvalidColumnType.New()
		}
	}
	return nil
}

// Drop implements storage.SearchBackend.
func (m *Manager) Drop(table, index uint32) {
	st := m.stateOf(table)
	st.mu.Lock()
	st.pos = storage.SearchPosition{}
	st.changes.reset(m.e.SearchCommitsBegun()) // free them; a rebuild resets anyway
	st.mu.Unlock()
	k := ikey{table, index}
	m.mu.Lock()
	if ix, ok := m.open[k]; ok {
		_ = closeBleve(ix.b)
		delete(m.open, k)
	}
	m.mu.Unlock()
	m.alone.drop(table, index, false)
	_ = os.RemoveAll(filepath.Join(m.dir, dirName(table, index)))
}

// logBatch bounds how many log entries one apply round reads.
const logBatch = 16384

// parallelApplyMin is the round size from which a round's documents are
// indexed in parallel parts.
const parallelApplyMin = 2048

// CatchUp applies every committed change-log entry of the table, so the
// table's search indexes reflect every commit made before the call.
func (m *Manager) CatchUp(table uint32) error {
	l := m.tableLock(table)
	l.Lock()
	defer l.Unlock()
	if err := m.deletePersisted(); err != nil {
		return err
	}
	return m.catchUpLocked(table, nil)
}

// catchUpLocked applies the table's change log as of snapshot at (nil:
// fresh snapshots); the caller holds the table's apply lock. Afterwards
// the indexes' position is that of the round's snapshot when one round
// from a fresh positioned snapshot read the whole log, and unknown
// otherwise. With at, the indexes hold exactly the rows at sees (every
// earlier round read an older snapshot, as the apply lock orders them).
// The caller deletes the persisted log entries first (deletePersisted),
// before at is taken: entries deleted later would still be in at, no
// longer in flight, and the round would index their rows again.
func (m *Manager) catchUpLocked(table uint32, at kv.Snapshot) error {
	var after []byte
	for {
		n, last, pos, err := m.applyOnce(at, table, after)
		if err != nil {
			m.forgetPosition(table)
			return err
		}
		if n < logBatch {
			if after != nil || at != nil {
				pos = storage.SearchPosition{}
			}
			st := m.stateOf(table)
			st.mu.Lock()
			st.pos = pos
			st.mu.Unlock()
			return nil
		}
		after = last
	}
}

// searchFrom catches the table's indexes up to exactly the statement's
// snapshot, taking that snapshot now (the statement must not have one),
// and calls fn with the index state held: the index then holds exactly
// the rows the statement reads.
func (m *Manager) searchFrom(ctx *sql.Context, t *storage.Table, d storage.SearchIndexDef, fn func(ix *Index) error) error {
	l := m.tableLock(d.TableID)
	l.Lock()
	if err := m.deletePersisted(); err != nil { // before the snapshot (catchUpLocked)
		l.Unlock()
		return err
	}
	snap, _ := t.TakeSearchSnapshot(ctx)
	err := m.catchUpLocked(d.TableID, snap)
	var ix *Index
	if err == nil {
		m.mu.Lock()
		ix = m.open[ikey{d.TableID, d.IndexID}]
		m.mu.Unlock()
		if ix == nil {
			ix, err = m.buildLocked(d) // built from a newer snapshot: not exact
			if err == nil {
				err = errNotExact
			}
		}
	}
	if err != nil {
		l.Unlock()
		return err
	}
	st := m.stateOf(d.TableID)
	st.mu.RLock()
	l.Unlock()
	defer st.mu.RUnlock()
	return fn(ix)
}

// errNotExact reports that searchFrom could not bring the index to the
// statement's snapshot (the caller searches the verified way).
var errNotExact = errors.New("indexes: index not at the statement's snapshot")

// deletePersisted removes the log entries whose bleve batches persisted.
func (m *Manager) deletePersisted() error {
	m.pmu.Lock()
	keys := m.persisted
	m.persisted = nil
	m.pmu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	if err := m.e.DeleteSearchLog(keys); err != nil {
		m.pmu.Lock()
		m.persisted = append(m.persisted, keys...)
		m.pmu.Unlock()
		return err
	}
	m.pmu.Lock()
	for _, k := range keys {
		delete(m.inflight, string(k))
	}
	m.pmu.Unlock()
	return nil
}

// indexedColumns returns the schema ordinals the table's open search
// indexes read, or nil (all columns) if one is not open yet.
func (m *Manager) indexedColumns(table uint32) []int {
	defs := m.e.SearchIndexesOf(table) // before m.mu: DDL holds the engine's lock, then m.mu
	m.mu.Lock()
	defer m.mu.Unlock()
	var cols []int
	for _, d := range defs {
		ix, ok := m.open[ikey{d.TableID, d.IndexID}]
		if !ok {
			return nil
		}
		for _, f := range ix.Spec.Fields {
			if !slices.Contains(cols, f.Col.Ord) {
				cols = append(cols, f.Col.Ord)
			}
		}
	}
	slices.Sort(cols)
	return cols
}

// applyOnce applies up to logBatch log entries after the key after (nil:
// from the start). A round from the start that reads the whole log leaves
// the table's indexes at its snapshot's position; any other round, or a
// failed one, leaves the position unknown.
func (m *Manager) applyOnce(at kv.Snapshot, table uint32, after []byte) (int, []byte, storage.SearchPosition, error) {
	entries, pos, read, release, err := m.e.ReadSearchLog(at, table, after, logBatch, m.indexedColumns(table))
	if err != nil {
		return 0, nil, pos, err
	}
	// Loaded after the round's snapshot was taken (changes.go).
	begun := m.e.SearchCommitsBegun()
	defer release()
	st := m.stateOf(table)
	if len(entries) == 0 {
		return 0, nil, pos, nil
	}
	last := entries[len(entries)-1].Key
	var todo []storage.SearchLogEntry
	m.pmu.Lock()
	for _, en := range entries {
		if !m.inflight[string(en.Key)] {
			todo = append(todo, en)
		}
	}
	m.pmu.Unlock()
	if len(todo) == 0 {
		return len(entries), last, pos, nil
	}
	defs := m.e.SearchIndexesOf(table)
	idxs := make([]*Index, 0, len(defs))
	for _, d := range defs {
		m.mu.Lock()
		ix, ok := m.open[ikey{d.TableID, d.IndexID}]
		m.mu.Unlock()
		if !ok {
			// Not yet opened: open or build under our lock.
			var err error
			if ix, err = m.buildLocked(d); err != nil {
				return 0, nil, pos, err
			}
		}
		idxs = append(idxs, ix)
	}
	// Large rounds are split into parts indexed concurrently: bleve builds
	// each batch's segment on the calling goroutine, so one batch uses one
	// core. A document is in one part only, so the parts commute.
	parts := 1
	if len(todo) >= parallelApplyMin {
		parts = runtime.GOMAXPROCS(0)
	}
	batches := make([][]*bleve.Batch, len(idxs))
	for i, ix := range idxs {
		batches[i] = make([]*bleve.Batch, parts)
		for p := range batches[i] {
			batches[i][p] = ix.b.NewBatch()
		}
	}
	seen := map[string]bool{}
	ids := make([]string, 0, len(todo))
	keys := make([][]byte, 0, len(todo))
	docs := 0
	for _, en := range todo {
		keys = append(keys, en.Key)
		id := DocID(en.PK)
		if seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
		row, ok, err := read(en.PK)
		if err != nil {
			return 0, nil, pos, err
		}
		part := docs * parts / len(todo)
		docs++
		for i, ix := range idxs {
			b := batches[i][part]
			if ok {
				if err := b.IndexAdvanced(ix.docs.document(id, row)); err != nil {
					return 0, nil, pos, err
				}
			} else {
				b.Delete(id)
			}
		}
	}
	// The index must not persist rows the table could still lose.
	if err := m.e.SyncSearchReads(); err != nil {
		return 0, nil, pos, err
	}
	m.applied.Add(int64(docs))
	m.pmu.Lock()
	for _, k := range keys {
		m.inflight[string(k)] = true
	}
	m.pmu.Unlock()
	// The keys can leave the log once every batch is persisted.
	var mu sync.Mutex
	left, failed := len(idxs)*parts, false
	done := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		left--
		failed = failed || err != nil
		if left > 0 {
			return
		}
		m.pmu.Lock()
		defer m.pmu.Unlock()
		if failed {
			for _, k := range keys {
				delete(m.inflight, string(k)) // apply again
			}
			return
		}
		m.persisted = append(m.persisted, keys...)
	}
	if len(idxs) == 0 { // the table's indexes are gone
		m.pmu.Lock()
		m.persisted = append(m.persisted, keys...)
		m.pmu.Unlock()
	}
	errs := make([]error, len(idxs)*parts)
	// The batches change what searches see: exclude the searches that
	// rely on the position, which is unknown until the catch-up ends.
	st.mu.Lock()
	st.pos = storage.SearchPosition{}
	st.changes.add(begun, ids)
	defer st.mu.Unlock()
	var wg sync.WaitGroup
	for i, ix := range idxs {
		for p, b := range batches[i] {
			b.SetPersistedCallback(done)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := ix.b.Batch(b); err != nil {
					done(err) // never persisted: counts as failed
					errs[i*parts+p] = fmt.Errorf("indexes: apply to %s: %w", ix.Spec.Def.Name, err)
				}
			}()
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, nil, pos, err
	}
	return len(entries), last, pos, nil
}

// Lookup returns the open index for (table, index), catching the table's
// log up first.
func (m *Manager) Lookup(d storage.SearchIndexDef) (*Index, error) {
	if err := m.CatchUp(d.TableID); err != nil {
		return nil, err
	}
	return m.get(d)
}

// DocID is the bleve document ID of a row: its encoded primary key.
func DocID(pk []byte) string { return string(pk) }

// Doc builds the bleve document of a row (full table schema).
func (s Spec) Doc(row sql.Row) map[string]interface{} {
	doc := make(map[string]interface{}, len(s.Fields)+1)
	for _, f := range s.Fields {
		v := row[f.Col.Ord]
		if v == nil {
			continue
		}
		if fv, ok := fieldValue(f, v); ok {
			doc[f.Name()] = fv
		}
	}
	doc[hashField] = s.Hash(row)
	return doc
}

func fieldValue(f Field, v interface{}) (interface{}, bool) {
	switch f.Kind {
	case KindText, KindKeyword:
		return toString(v), true
	case KindLong, KindDouble:
		x, ok := toFloat(v)
		return x, ok
	case KindDate:
		t, ok := v.(time.Time)
		return t, ok
	}
	return nil, false
}

func toString(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

func toFloat(v interface{}) (float64, bool) {
	switch x := v.(type) {
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case decimal.Decimal:
		f, _ := x.Float64()
		return f, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return math.NaN(), false
}

// Hash is a digest of the indexed values of a row: equal hashes mean the
// index holds exactly this row's content.
func (s Spec) Hash(row sql.Row) string {
	h := fnv.New64a()
	for _, f := range s.Fields {
		v := row[f.Col.Ord]
		if v == nil {
			h.Write([]byte{0})
			continue
		}
		h.Write([]byte{1})
		h.Write([]byte(toString(v)))
		h.Write([]byte{0xff})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// Hit is one search result.
type Hit struct {
	PK    []byte
	Score float64
	// Hash is the stored hash of the indexed values; empty when the hit
	// came from a search known to be exact (Exact), which needs no check.
	Hash  string
	Exact bool
}

// Search runs q and returns up to k hits by descending score (k <= 0: all),
// with their stored hashes when withHash is set.
func (ix *Index) Search(q query.Query, k int, withHash bool) ([]Hit, error) {
	if k <= 0 {
		n, err := ix.b.DocCount()
		if err != nil {
			return nil, err
		}
		k = int(n)
		if k == 0 {
			return nil, nil
		}
	}
	req := bleve.NewSearchRequestOptions(q, k, 0, false)
	if withHash {
		req.Fields = []string{hashField}
	}
	res, err := ix.b.Search(req)
	if err != nil {
		return nil, fmt.Errorf("indexes: search %s: %w", ix.Spec.Def.Name, err)
	}
	out := make([]Hit, 0, len(res.Hits))
	for _, h := range res.Hits {
		hs, _ := h.Fields[hashField].(string)
		out = append(out, Hit{PK: []byte(h.ID), Score: h.Score, Hash: hs})
	}
	return out, nil
}

// Matches calls fn with the document ID of every match of q, unranked
// and unscored (bleve's unscored searchers intersect and unite postings
// as bitmaps), and returns how many there were. fn nil only counts.
func (ix *Index) Matches(ctx context.Context, q query.Query, fn func(id []byte)) (int, error) {
	return ix.matchesUpTo(ctx, q, 0, fn, nil)
}

// MatchIDs returns the document ID of every match of q, unranked, as
// Matches reports them (the slice sized once when the count is known
// beforehand).
func (ix *Index) MatchIDs(ctx context.Context, q query.Query) ([][]byte, error) {
	var ids [][]byte
	_, err := ix.matchesUpTo(ctx, q, 0, func(id []byte) { ids = append(ids, id) },
		func(n int) { ids = slices.Grow(ids, n) })
	return ids, err
}

// CountUpTo returns min(matches of q, limit) (limit <= 0: no limit),
// stopping the search at the limit.
func (ix *Index) CountUpTo(ctx context.Context, q query.Query, limit int) (int, error) {
	return ix.matchesUpTo(ctx, q, limit, nil, nil)
}

func (ix *Index) matchesUpTo(ctx context.Context, q query.Query, limit int, fn func(id []byte), grow func(n int)) (int, error) {
	ii, err := ix.b.Advanced()
	if err != nil {
		return 0, err
	}
	r, err := ii.Reader()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	uq := unscoredForm(q, ix.b.Mapping())
	_, isTerm := uq.(*query.TermQuery)
	if bp := planBitmaps(uq); bp != nil && (bp.hasRange() || fn != nil || !isTerm) {
		// Ranges: on the postings bitmaps, within the candidates of the
		// other clauses (bitmaps.go). Counts of composite queries too:
		// bleve's searcher would be iterated match by match. And lists
		// of IDs: bleve's searcher builds a DocumentMatch per match and
		// ExternalID copies each ID twice (string, then bytes).
		if n, ok, err := bitmapMatches(ctx, r, bp, limit, fn, grow); ok {
			if err != nil {
				return n, fmt.Errorf("indexes: search %s: %w", ix.Spec.Def.Name, err)
			}
			return n, nil
		}
	}
	sr, err := uq.Searcher(ctx, r, ix.b.Mapping(), search.SearcherOptions{Score: "none"})
	if err != nil {
		return 0, fmt.Errorf("indexes: search %s: %w", ix.Spec.Def.Name, err)
	}
	defer sr.Close()
	if isTerm && fn == nil {
		// One term: its postings' count (live documents only; scorch
		// subtracts the deleted and updated-away ones per segment).
		if ts, ok := sr.(*searcher.TermSearcher); ok {
			n := int(min(ts.Count(), math.MaxInt32))
			if limit > 0 && n > limit {
				n = limit
			}
			return n, nil
		}
	}
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(sr.DocumentMatchPoolSize(), 0)}
	n := 0
	for {
		dm, err := sr.Next(sctx)
		if err != nil {
			return n, fmt.Errorf("indexes: search %s: %w", ix.Spec.Def.Name, err)
		}
		if dm == nil {
			return n, nil
		}
		n++
		if n == limit {
			return n, nil
		}
		if fn != nil {
			id, err := r.ExternalID(dm.IndexInternalID)
			if err != nil {
				return n, err
			}
			fn([]byte(id))
		}
		sctx.DocumentMatchPool.Put(dm)
	}
}

// DocCount returns the number of documents in the index.
func (ix *Index) DocCount() (uint64, error) { return ix.b.DocCount() }

// Indexes returns the open index of each search index of the engine (for
// tests and the rebuild command), after catching up.
func (m *Manager) Indexes() ([]*Index, error) {
	var out []*Index
	for _, d := range m.e.SearchIndexes() {
		ix, err := m.Lookup(d)
		if err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	return out, nil
}

// Find returns the definition of db.table's search index name.
func (m *Manager) Find(db, table, name string) (storage.SearchIndexDef, bool) {
	for _, d := range m.e.SearchIndexesOfTable(db, table) {
		if strings.EqualFold(d.Name, name) {
			return d, true
		}
	}
	return storage.SearchIndexDef{}, false
}

// AllDocIDs lists every document ID of the index (tests, consistency checks).
func (ix *Index) AllDocIDs() (map[string]string, error) {
	n, err := ix.b.DocCount()
	if err != nil || n == 0 {
		return map[string]string{}, err
	}
	req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), int(n), 0, false)
	req.Fields = []string{hashField}
	res, err := ix.b.Search(req)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(res.Hits))
	for _, h := range res.Hits {
		hs, _ := h.Fields[hashField].(string)
		out[h.ID] = hs
	}
	return out, nil
}

// buildBatch is the number of documents per bleve batch in a build: fewer,
// larger segments leave less merging to do.
const buildBatch = 20000

// closeBleve closes a bleve index once its persister and merger are idle,
// waiting at most two seconds: bleve v2.5.7's scorch races with itself
// when closed while a snapshot is being persisted (persistSnapshotDirect's
// cleanup reads the segment map its introducer is deleting from).
func closeBleve(b bleve.Index) error {
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline) && bleveBusy(b); {
		time.Sleep(5 * time.Millisecond)
	}
	return b.Close()
}

// bleveBusy reports whether scorch's background persister or merger is
// still working towards the current snapshot.
func bleveBusy(b bleve.Index) bool {
	st, ok := b.StatsMap()["index"].(map[string]interface{})
	if !ok {
		return false
	}
	active, _ := st["index_bgthreads_active"].(bool)
	return active
}
