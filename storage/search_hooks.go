package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/fulltext"

	"github.com/quarrydb/quarry/storage/catalog"
	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/kv"
)

// Search indexes (FULLTEXT and multi-field, see package indexes) are kept
// outside Pebble by a SearchBackend. Storage's part is:
//
//   - the catalog record (catalog.Index with FullText set);
//   - the change log: every write to a row of a table with a search index
//     also writes, through the same transaction overlay and hence in the
//     same commit batch, the key
//     0x02 <table u32> <searchLogIndex u32> <primary key> <nonce u64> -> empty.
//     A committed row change therefore always has a log entry, statement
//     and savepoint rollback drop it with the row, and DROP TABLE drops it
//     with the table's keyspace. The backend re-reads the row for each
//     logged key (the log says which rows changed, not how), applies it to
//     its index and then deletes the entries it applied;
//   - sql.Index values for the search indexes, and the plumbing from an
//     IndexLookup whose Ranges is a SearchRanges to point reads by primary
//     key, in the order the backend gives.
//
// Invariant: a log entry exists for every committed row change the backend
// has not yet durably applied. For a keyless table the "primary key" is
// the row's content hash (its data key): inserting a row's first copy and
// deleting its last change the key set and are logged; other copies
// change only the stored count, which the backend does not index (a
// lookup repeats the row by its count).

// searchLogIndex is the reserved index ID of a table's search change log.
const searchLogIndex = 0xFFFFFFFF

// searchNonce makes log keys of different transactions distinct, so the
// backend deletes only the entries it read. It starts at the wall clock so
// keys stay unique across restarts too.
var searchNonce atomic.Uint64

func init() { searchNonce.Store(uint64(time.Now().UnixNano())) }

// SearchBackend maintains and queries the search indexes.
type SearchBackend interface {
	// Build (re)builds one index from the table's committed rows.
	Build(ctx *sql.Context, idx SearchIndexDef) error
	// Drop forgets an index and removes its files.
	Drop(tableID, indexID uint32)
	// LookupForExpressions implements sql.IndexSearchable for tables
	// with search indexes.
	LookupForExpressions(ctx *sql.Context, t *Table, exprs ...sql.Expression) (sql.IndexLookup, *sql.FuncDepSet, sql.Expression, bool, error)
}

// SearchRanges is the sql.RangeCollection of a search index lookup: Keys
// runs the search and returns the primary keys (encoded as in data keys,
// without the 9-byte prefix), or all: read the whole table instead.
type SearchRanges interface {
	sql.RangeCollection
	Keys(ctx *sql.Context) (keys [][]byte, all bool, err error)
}

// GrowingSearchRanges is a SearchRanges whose keys can grow while reads
// of the latest rows (locking reads, and the reads of UPDATE and DELETE)
// go through them: such a read sees commits made after its search ran,
// which may have made other rows match. When every key so far has been
// read, the lookup asks MoreKeys for the keys the search matches now (it
// skips those whose rows it has read); none left ends the lookup.
// Rows read this way stay locked, so at that point every matching row
// has been read in its current version.
type GrowingSearchRanges interface {
	SearchRanges
	MoreKeys(ctx *sql.Context) ([][]byte, error)
}

// SearchColumn is a column of a search index.
type SearchColumn struct {
	Name string
	Ord  int // ordinal in the table schema
	ID   uint32
	Type sql.Type
}

// SearchIndexDef describes a search index to the backend.
type SearchIndexDef struct {
	DB, Table string
	TableID   uint32
	IndexID   uint32
	Name      string
	Comment   string
	Columns   []SearchColumn
	// PK lists the schema ordinals of the columns that make up a row's
	// key: the primary key columns, or for a keyless table every column
	// (its rows are keyed by a hash of all their values, and a row stored
	// N times is one key, one document, and N rows).
	PK      []int
	Keyless bool
	Schema  sql.Schema
}

// SearchValidator is implemented by a SearchBackend that checks a new
// search index's definition before the catalog changes (column types,
// COMMENT syntax).
type SearchValidator interface {
	Validate(d SearchIndexDef) error
}

// Search positions. Every commit batch that holds search change-log
// entries increments begun before it is applied and done after; commits
// without such entries (and log deletions) touch neither. A snapshot taken
// between a load of done = d and a load of begun = d sees exactly the
// first d such commits, in whatever order they were applied: each of them
// finished before the snapshot, and any other began after it (had one
// been in flight, begun would exceed d). Such a snapshot has the position
// d; one whose loads differ has no known position.
//
// The search backend reads its change log from positioned snapshots, so
// when an index has applied every entry of a snapshot at position d, and
// nothing else, it holds exactly the search-indexed tables' rows as of
// every snapshot at position d. Positions are per process: they start at
// zero on open, after the backend has replayed the log.
type searchPositions struct {
	begun, done atomic.Uint64
}

// SearchPosition is the position of a snapshot (see searchPositions);
// Known is false when a commit with search log entries was in flight.
type SearchPosition struct {
	Pos   uint64
	Known bool
}

// Same reports whether p and o are both known and equal.
func (p SearchPosition) Same(o SearchPosition) bool { return p.Known && o.Known && p.Pos == o.Pos }

func (e *Engine) positionedSnapshot() (kv.Snapshot, SearchPosition) {
	d := e.spos.done.Load()
	s := e.kv.NewSnapshot()
	b := e.spos.begun.Load()
	return s, SearchPosition{Pos: d, Known: b == d}
}

// isSearchLogKey reports whether a key is a search change-log entry.
func isSearchLogKey(k string) bool {
	return len(k) >= 9 && k[0] == prefixData && k[5] == 0xFF && k[6] == 0xFF && k[7] == 0xFF && k[8] == 0xFF
}

// SearchReads reports whether the statement's reads of the table are
// plain snapshot reads of committed rows: the transaction has no
// uncommitted writes to the table, and the reads are not locking or
// current reads.
func (t *Table) SearchReads(ctx *sql.Context) bool {
	if t.latest || t.ownWrites || t.TxnWritesTable(ctx) {
		return false
	}
	txn := t.e.txnFor(ctx)
	pid := ctxPid(ctx)
	if p, ok := txn.lockingReads[t.m.id()]; ok && p == pid {
		return false
	}
	if s, ok := ctx.Session.(*Session); ok && (s.lockPid == pid && pid != 0 || s.pendingLock != NoLock) {
		return false
	}
	return true
}

// SearchSnapshot returns the search position of the snapshot the
// session's statement reads from; ok is false when it has none yet (the
// next read takes one).
func (t *Table) SearchSnapshot(ctx *sql.Context) (pos SearchPosition, ok bool) {
	txn := t.e.txnFor(ctx)
	if txn.snap == nil || txn.iso == ReadCommitted && txn.snapPid != ctxPid(ctx) {
		return SearchPosition{}, false
	}
	return txn.snapPos, true
}

// SearchSnapshotReads reports whether the statement reads the table from
// its transaction's snapshot (with the transaction's own writes over it),
// rather than the latest committed rows (locking reads, DDL copies).
func (t *Table) SearchSnapshotReads(ctx *sql.Context) bool {
	return !t.latest && !t.lockingScan(ctx)
}

// SearchCommitsBegun returns how many commits with search log entries
// have begun (see searchPositions). Loaded after a snapshot X was taken,
// it bounds what X sees: every commit X sees began before the load. So
// when the value b loaded after X and the position d of a snapshot S
// (loaded before S) satisfy b <= d, S sees every commit X sees: either
// S's load came after X's, so S was taken after X, or it came before,
// and then the d commits done by then are among the b begun before X's
// load, hence all of them.
func (e *Engine) SearchCommitsBegun() uint64 { return e.spos.begun.Load() }

// TakeSearchSnapshot makes the statement read from a snapshot taken now
// and returns it with its search position; the transaction owns it. The
// caller must have seen SearchSnapshot report none.
func (t *Table) TakeSearchSnapshot(ctx *sql.Context) (kv.Snapshot, SearchPosition) {
	txn := t.e.txnFor(ctx)
	txn.reader(ctx)
	return txn.snap, txn.snapPos
}

// SetSearchBackend installs the backend (once, before serving).
func (e *Engine) SetSearchBackend(b SearchBackend) {
	e.mu.Lock()
	e.search = b
	e.mu.Unlock()
}

func (e *Engine) searchBackend() SearchBackend {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.search
}

func searchDefs(m *tableMeta) []SearchIndexDef {
	var out []SearchIndexDef
	for i := range m.def.Indexes {
		idx := &m.def.Indexes[i]
		if !idx.FullText {
			continue
		}
		d := searchDef(m, idx.ID, idx.Name, idx.Comment)
		for _, ic := range idx.Columns {
			ord := m.def.ColumnByID(ic.ColumnID)
			if ord < 0 {
				continue
			}
			c := m.schema.Schema[ord]
			d.Columns = append(d.Columns, SearchColumn{Name: c.Name, Ord: ord, ID: ic.ColumnID, Type: c.Type})
		}
		out = append(out, d)
	}
	return out
}

// searchDef is the definition of a search index of m without its columns.
func searchDef(m *tableMeta, id uint32, name, comment string) SearchIndexDef {
	d := SearchIndexDef{DB: m.db, Table: m.def.Name, TableID: m.id(), IndexID: id, Name: name,
		Comment: comment, PK: m.pkOrd, Keyless: m.keyless, Schema: m.schema.Schema}
	if m.keyless {
		d.PK = allOrdinals(len(m.schema.Schema))
	}
	return d
}

func hasSearch(m *tableMeta) bool {
	for i := range m.def.Indexes {
		if m.def.Indexes[i].FullText {
			return true
		}
	}
	return false
}

// SearchIndexes lists every search index of every table.
func (e *Engine) SearchIndexes() []SearchIndexDef {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []SearchIndexDef
	for _, s := range e.dbs {
		for _, m := range s.tables {
			out = append(out, searchDefs(m)...)
		}
	}
	return out
}

// SearchIndexesOf lists the search indexes of one table (by ID).
func (e *Engine) SearchIndexesOf(tableID uint32) []SearchIndexDef {
	for _, d := range e.SearchIndexes() {
		if d.TableID == tableID {
			return searchDefsOfTable(e, d.DB, d.Table)
		}
	}
	return nil
}

func searchDefsOfTable(e *Engine, db, table string) []SearchIndexDef {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s, ok := e.dbs[strings.ToLower(db)]
	if !ok {
		return nil
	}
	m, ok := s.tables[strings.ToLower(table)]
	if !ok {
		return nil
	}
	return searchDefs(m)
}

// SearchIndexesOfTable lists the search indexes of db.table.
func (e *Engine) SearchIndexesOfTable(db, table string) []SearchIndexDef {
	return searchDefsOfTable(e, db, table)
}

// noteSearch logs a change to the row at dataKey (see searchLogIndex).
func (ed *editor) noteSearch(dataKey []byte) {
	if !hasSearch(ed.m) {
		return
	}
	ed.txn.put(searchLogKey(ed.m, dataKey), nil)
}

// searchLogKey returns a new change-log key for the row at dataKey.
func searchLogKey(m *tableMeta, dataKey []byte) []byte {
	k := indexPrefix(m.id(), searchLogIndex)
	k = append(k, m.pkSuffix(dataKey)...)
	return binary.BigEndian.AppendUint64(k, searchNonce.Add(1))
}

// SearchLogEntry is one change-log entry: Key is the log key (for
// DeleteSearchLog), PK the changed row's primary key.
type SearchLogEntry struct {
	Key, PK []byte
}

// ReadSearchLog returns up to limit committed log entries of a table
// (after the key after, if not nil), the search position of the snapshot
// it read them from, and a function reading rows by primary key from that
// snapshot: rows have the full schema's width, with only the ordinals
// cols decoded (nil: all). Reads are fastest in ascending key order.
// release must be called when done.
//
// at, if not nil, is the snapshot to read (see TakeSearchSnapshot; pos is
// then unknown, and release leaves it open).
func (e *Engine) ReadSearchLog(at kv.Snapshot, tableID uint32, after []byte, limit int, cols []int) (entries []SearchLogEntry, pos SearchPosition, read func(pk []byte) (sql.Row, bool, error), release func(), err error) {
	var snap kv.Snapshot
	closeSnap := func() {}
	if at != nil {
		snap = at
	} else {
		snap, pos = e.positionedSnapshot()
		closeSnap = func() { _ = snap.Close() }
	}
	release = closeSnap
	pre := indexPrefix(tableID, searchLogIndex)
	lower := pre
	if after != nil {
		lower = append(bytes.Clone(after), 0)
	}
	it, err := snap.NewIter(lower, keycodec.PrefixEnd(pre))
	if err != nil {
		release()
		return nil, pos, nil, nil, err
	}
	for ok := it.First(); ok && (limit <= 0 || len(entries) < limit); ok = it.Next() {
		k := append([]byte(nil), it.Key()...)
		if len(k) < len(pre)+8 {
			continue
		}
		entries = append(entries, SearchLogEntry{Key: k, PK: k[len(pre) : len(k)-8]})
	}
	if err := it.Error(); err != nil {
		_ = it.Close()
		release()
		return nil, pos, nil, nil, err
	}
	_ = it.Close()
	m, err := e.metaByID(tableID)
	if err != nil {
		release()
		return nil, pos, nil, nil, err
	}
	width := len(m.schema.Schema)
	if cols == nil {
		cols = allOrdinals(width)
	}
	for _, o := range cols {
		if o < 0 || o >= width {
			release()
			return nil, pos, nil, nil, fmt.Errorf("storage: search log of %s: no column %d", m.def.Name, o)
		}
	}
	dec, err := newRowDecoder(m, cols)
	if err != nil {
		release()
		return nil, pos, nil, nil, err
	}
	// Entries ascend by primary key, so one iterator seeking forward reads
	// the rows (Pebble turns increasing seeks into nexts).
	rows := indexPrefix(tableID, primaryIndexID)
	var rit kv.Iterator
	release = func() {
		if rit != nil {
			_ = rit.Close()
		}
		closeSnap()
	}
	read = func(pk []byte) (sql.Row, bool, error) {
		if rit == nil {
			it, err := snap.NewIter(rows, keycodec.PrefixEnd(rows))
			if err != nil {
				return nil, false, err
			}
			rit = it
		}
		dk := append(rows[:len(rows):len(rows)], pk...)
		if !rit.SeekGE(dk) || !bytes.Equal(rit.Key(), dk) {
			return nil, false, rit.Error()
		}
		v, err := rit.Value()
		if err != nil {
			return nil, false, err
		}
		vals, _, err := dec.decode(dk, v)
		if err != nil {
			return nil, false, err
		}
		row := make(sql.Row, width)
		for i, o := range cols {
			row[o] = vals[i]
		}
		return row, true, nil
	}
	return entries, pos, read, release, nil
}

// SyncSearchReads makes durable every commit that rows read so far can
// show. A search backend calls it after reading rows (ReadSearchLog's read,
// ScanRowsLatest) and before its index may persist them: a commit is
// visible before its WAL sync completes, and a bulk transaction's early
// parts are not synced at all, so a crash could otherwise leave a
// persisted index holding a row the table lost, with no log entry left to
// correct it.
func (e *Engine) SyncSearchReads() error {
	if err := e.kv.SyncWAL(); err != nil {
		return fmt.Errorf("storage: sync before search indexing: %w", err)
	}
	return nil
}

// DeleteSearchLog removes applied log entries. It need not be synced: a
// lost delete only makes the backend apply the row again.
func (e *Engine) DeleteSearchLog(keys [][]byte) error {
	if len(keys) == 0 {
		return nil
	}
	b := e.kv.NewBatch()
	defer b.Close()
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return b.Commit(false)
}

// ScanRowsLatest calls fn for every committed row of a table (full schema)
// from one snapshot, in primary key order.
func (e *Engine) ScanRowsLatest(tableID uint32, fn func(pk []byte, row sql.Row) error) error {
	m, err := e.metaByID(tableID)
	if err != nil {
		return err
	}
	dec, err := newRowDecoder(m, allOrdinals(len(m.schema.Schema)))
	if err != nil {
		return err
	}
	snap := e.kv.NewSnapshot()
	defer snap.Close()
	pre := indexPrefix(tableID, primaryIndexID)
	it, err := snap.NewIter(pre, keycodec.PrefixEnd(pre))
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.Value()
		if err != nil {
			return err
		}
		row, _, err := dec.decode(it.Key(), v)
		if err != nil {
			return err
		}
		if err := fn(append([]byte(nil), it.Key()[len(pre):]...), row); err != nil {
			return err
		}
	}
	return it.Error()
}

func (e *Engine) metaByID(tableID uint32) (*tableMeta, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, s := range e.dbs {
		for _, m := range s.tables {
			if m.id() == tableID {
				return m, nil
			}
		}
	}
	return nil, fmt.Errorf("storage: no table with id %d", tableID)
}

// TableID returns the table's stable keyspace ID.
func (t *Table) TableID() uint32 { return t.m.id() }

// SearchIndexDefs lists the table's search indexes.
func (t *Table) SearchIndexDefs() []SearchIndexDef { return searchDefs(t.m) }

// Engine returns the storage engine of the table.
func (t *Table) Engine() *Engine { return t.e }

// PKOf returns the encoded primary key of a full-schema row.
func (t *Table) PKOf(row sql.Row) ([]byte, error) {
	k, err := t.m.rowKey(row)
	if err != nil {
		return nil, err
	}
	return t.m.pkSuffix(k), nil
}

// TxnWritesTable reports whether the session's transaction holds
// uncommitted writes to the table.
func (t *Table) TxnWritesTable(ctx *sql.Context) bool {
	txn := t.e.txnFor(ctx)
	txn.materializeLoad()
	pre := tablePrefix(t.m.id())
	return txn.ov.firstGE(string(pre), keycodec.PrefixEnd(pre)) != nil
}

// TxnTouched reports whether the session's transaction holds an
// uncommitted write to the row with primary key pk.
func (t *Table) TxnTouched(ctx *sql.Context, pk []byte) bool {
	txn := t.e.txnFor(ctx)
	txn.materializeLoad()
	_, ok := txn.ov.get(append(indexPrefix(t.m.id(), primaryIndexID), pk...))
	return ok
}

// SkipIndexCosting implements sql.IndexSearchable.
func (t *Table) SkipIndexCosting() bool { return false }

// LookupForExpressions implements sql.IndexSearchable: the search backend
// claims MATCH ... AGAINST (and, for multi-field indexes, other
// predicates); anything else goes to GMS's costing.
func (t *Table) LookupForExpressions(ctx *sql.Context, exprs ...sql.Expression) (sql.IndexLookup, *sql.FuncDepSet, sql.Expression, bool, error) {
	b := t.e.searchBackend()
	if b == nil || !hasSearch(t.m) {
		return sql.IndexLookup{}, nil, nil, false, nil
	}
	return b.LookupForExpressions(ctx, t, exprs...)
}

// SearchIndex is the sql.Index of a search index. It is a fulltext.Index so
// that GMS's MATCH ... AGAINST binds to it; the pseudo tables GMS asks for
// resolve to the parent table (see searchPseudoTable) and are never read:
// the search backend replaces every MatchAgainst over a SearchIndex.
type SearchIndex struct {
	m   *tableMeta
	def *catalog.Index
}

var (
	_ sql.Index            = (*SearchIndex)(nil)
	_ fulltext.Index       = (*SearchIndex)(nil)
	_ sql.OrderedIndex     = (*SearchIndex)(nil)
	_ sql.IndexAddressable = (*Table)(nil)
)

// Def returns the index's description for the backend.
func (i *SearchIndex) Def() SearchIndexDef {
	for _, d := range searchDefs(i.m) {
		if d.IndexID == i.def.ID {
			return d
		}
	}
	return SearchIndexDef{}
}

func (i *SearchIndex) ID() string       { return i.def.Name }
func (i *SearchIndex) Database() string { return i.m.db }
func (i *SearchIndex) Table() string    { return i.m.def.Name }
func (i *SearchIndex) Expressions() []string {
	return i.m.def.IndexExpressions(i.def)
}
func (i *SearchIndex) IsUnique() bool    { return false }
func (i *SearchIndex) IsSpatial() bool   { return false }
func (i *SearchIndex) IsFullText() bool  { return true }
func (i *SearchIndex) IsVector() bool    { return false }
func (i *SearchIndex) IsGenerated() bool { return false }
func (i *SearchIndex) Comment() string   { return i.def.Comment }
func (i *SearchIndex) IndexType() string { return "FULLTEXT" }

// CanSupport implements sql.Index: only search lookups (SearchRanges, which
// have no sql.Range form) are ever built on a SearchIndex.
func (i *SearchIndex) CanSupport(_ *sql.Context, r ...sql.Range) bool { return len(r) == 0 }
func (i *SearchIndex) CanSupportOrderBy(sql.Expression) bool          { return false }
func (i *SearchIndex) PrefixLengths() []uint16                        { return nil }
func (i *SearchIndex) ColumnExpressionTypes() []sql.ColumnExpressionType {
	exprs := i.Expressions()
	out := make([]sql.ColumnExpressionType, 0, len(exprs))
	for j, c := range i.Def().Columns {
		out = append(out, sql.ColumnExpressionType{Expression: exprs[j], Type: c.Type})
	}
	return out
}

// Order implements sql.OrderedIndex: search results have no key order.
func (i *SearchIndex) Order() sql.IndexOrder { return sql.IndexOrderNone }

// Reversible implements sql.OrderedIndex.
func (i *SearchIndex) Reversible() bool { return false }

// FullTextTableNames implements fulltext.Index with names no client can
// type (they contain NUL); they resolve to the parent table.
func (i *SearchIndex) FullTextTableNames(*sql.Context) (fulltext.IndexTableNames, error) {
	n := func(s string) string { return searchPseudoPrefix + i.m.def.Name + "\x00" + i.def.Name + "\x00" + s }
	return fulltext.IndexTableNames{Config: n("config"), Position: n("position"), DocCount: n("doc_count"),
		GlobalCount: n("global_count"), RowCount: n("row_count")}, nil
}

// FullTextKeyColumns implements fulltext.Index.
func (i *SearchIndex) FullTextKeyColumns(*sql.Context) (fulltext.KeyColumns, error) {
	kc := fulltext.KeyColumns{Type: fulltext.KeyType_Primary, Name: "PRIMARY"}
	for _, o := range i.m.pkOrd {
		kc.Positions = append(kc.Positions, o)
	}
	return kc, nil
}

const searchPseudoPrefix = "\x00quarry_search\x00"

// searchPseudoTable resolves one of the names FullTextTableNames returns.
func searchPseudoTable(name string) (parent string, ok bool) {
	if !strings.HasPrefix(name, searchPseudoPrefix) {
		return "", false
	}
	rest := name[len(searchPseudoPrefix):]
	p, _, ok := strings.Cut(rest, "\x00")
	return p, ok
}

// SearchIndexNames lists the table's search (FULLTEXT) indexes.
func (t *Table) SearchIndexNames() []string {
	var out []string
	for _, idx := range t.searchIndexes() {
		out = append(out, idx.ID())
	}
	return out
}

// searchIndexes returns the sql.Index values of the table's search indexes.
func (t *Table) searchIndexes() []sql.Index {
	var out []sql.Index
	for i := range t.m.def.Indexes {
		if t.m.def.Indexes[i].FullText {
			out = append(out, &SearchIndex{m: t.m, def: &t.m.def.Indexes[i]})
		}
	}
	return out
}

// CreateSearchIndex adds a search index to the table and builds it.
func (t *Table) CreateSearchIndex(ctx *sql.Context, indexDef sql.IndexDef) error {
	b := t.e.searchBackend()
	if b == nil {
		return fmt.Errorf("storage: FULLTEXT indexes need the search backend")
	}
	d := searchDef(t.m, 0, indexDef.Name, indexDef.Comment)
	for _, c := range indexDef.Columns {
		ord := t.m.schema.Schema.IndexOfColName(c.Name)
		if ord < 0 {
			return sql.ErrKeyColumnDoesNotExist.New(c.Name)
		}
		col := t.m.schema.Schema[ord]
		d.Columns = append(d.Columns, SearchColumn{Name: col.Name, Ord: ord, Type: col.Type})
	}
	if v, ok := b.(SearchValidator); ok {
		if err := v.Validate(d); err != nil {
			return err
		}
	}
	indexDef.Constraint = sql.IndexConstraint_Fulltext
	var newID uint32
	err := t.alter(ctx, func(def *catalog.Table) error {
		idx, err := def.AddIndex(indexDef)
		if err != nil {
			return err
		}
		newID = idx.ID
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range searchDefs(t.m) {
		if d.IndexID == newID {
			if err := b.Build(ctx, d); err != nil {
				_ = t.DropIndex(ctx, indexDef.Name)
				b.Drop(d.TableID, d.IndexID)
				return err
			}
		}
	}
	return nil
}

// droppedSearchIndex tells the backend an index (by its key prefix) is gone.
func (e *Engine) droppedSearchIndex(prefix []byte) {
	if b := e.searchBackend(); b != nil {
		b.Drop(binary.BigEndian.Uint32(prefix[1:]), binary.BigEndian.Uint32(prefix[5:]))
	}
}

// CreateFulltextTableNames implements fulltext.Database. Quarry's search
// indexes have no pseudo tables; GMS's FULLTEXT DDL is routed to
// Table.CreateSearchIndex before it gets here (package indexes/searchplan).
func (d *Database) CreateFulltextTableNames(ctx *sql.Context, parentTable string, parentIndexName string) (fulltext.IndexTableNames, error) {
	return fulltext.IndexTableNames{}, sql.ErrFullTextNotSupported.New()
}

func (it *IndexedTable) searchPartitions(ctx *sql.Context, lookup sql.IndexLookup) (sql.PartitionIter, error) {
	p := &partition{}
	if !lookup.IsEmptyRange {
		sr, ok := lookup.Ranges.(SearchRanges)
		if !ok {
			return nil, fmt.Errorf("storage: search index lookup with ranges %T", lookup.Ranges)
		}
		// The search runs when the rows are first read (pointIter.start):
		// only then is it known whether they are read from the
		// statement's snapshot or, locking, in their latest versions (a
		// DELETE's deleter, which makes them locking, is opened after its
		// source's partitions).
		p.search = sr
	} else {
		p.points = [][]byte{}
	}
	return &partitionIter{p: p}, nil
}

// dataKeys returns the data keys of primary keys pks, ascending: the rows
// are read by seeks forward through one iterator. (A lookup promises no
// order: the search index is not ordered, and ranking sorts above it.)
func (m *tableMeta) dataKeys(pks [][]byte) [][]byte {
	pre := indexPrefix(m.id(), primaryIndexID)
	keys := make([][]byte, len(pks))
	for i, pk := range pks {
		keys[i] = append(append(make([]byte, 0, len(pre)+len(pk)), pre...), pk...)
	}
	slices.SortFunc(keys, bytes.Compare)
	return keys
}

// pointIter reads a search lookup's rows by primary key (with the same
// visibility and locking as rowIter); keys whose row is gone (deleted
// after the search) are skipped. The keys ascend: snapshot reads seek one
// iterator forward (Pebble turns increasing seeks into nexts) instead of
// a point get per key, each of which builds an iterator of its own.
type pointIter struct {
	r   *rowIter
	i   int
	it  *mergedIter // nil until the first snapshot read of several keys
	buf []byte
	// scan: the search asked for the whole table, which r reads.
	scan bool
	// read holds the keys of the rows read, when more keys may come
	// (GrowingSearchRanges).
	read map[string]struct{}
}

// start runs the partition's pending search: its keys become the points,
// or (all) the partition becomes a scan of the whole table.
func (p *pointIter) start(ctx *sql.Context) error {
	part := p.r.part
	sr := part.search
	if sr == nil {
		return nil
	}
	keys, all, err := sr.Keys(ctx)
	if err != nil {
		return err
	}
	part.search = nil
	if all {
		part.spans, p.scan = p.r.t.m.wholeTable(), true
		return nil
	}
	part.points = p.r.t.m.dataKeys(keys)
	if g, ok := sr.(GrowingSearchRanges); ok {
		part.more = g.MoreKeys
	}
	return nil
}

func (p *pointIter) Next(ctx *sql.Context) (sql.Row, error) {
	r := p.r
	if !r.started {
		if err := p.start(ctx); err != nil {
			return nil, err
		}
		if !p.scan {
			r.start(ctx)
		}
	}
	if p.scan {
		return r.Next(ctx)
	}
	mode := readMode{current: r.locking || r.t.latest, rows: !r.t.ownWrites}
	if r.dupLeft > 0 { // a keyless row stored several times
		r.dupLeft--
		return r.dupRow.Copy(), nil
	}
	for {
		if p.i == len(r.part.points) {
			// Reads of the latest rows take the keys that match by now
			// (GrowingSearchRanges).
			if !mode.current || r.part.more == nil {
				break
			}
			more, err := r.part.more(ctx)
			if err != nil {
				return nil, err
			}
			keys := r.t.m.dataKeys(more)
			keys = slices.DeleteFunc(keys, func(k []byte) bool {
				_, done := p.read[string(k)]
				return done
			})
			if len(keys) == 0 {
				break
			}
			r.part.points, p.i = keys, 0
		}
		key := r.part.points[p.i]
		p.i++
		v, ok, err := p.get(ctx, key, mode)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		row, card, ok, err := r.fetch(ctx, key, v)
		if err != nil {
			return nil, err
		}
		if ok {
			if mode.current && r.part.more != nil {
				if p.read == nil {
					p.read = map[string]struct{}{}
				}
				p.read[string(key)] = struct{}{}
			}
			row = row[:r.width]
			if card > 1 {
				r.dupRow, r.dupLeft = row, card-1
			}
			return row, nil
		}
	}
	return nil, io.EOF
}

// get reads key as Txn.get does, through the seek iterator when it can.
func (p *pointIter) get(ctx *sql.Context, key []byte, mode readMode) ([]byte, bool, error) {
	r := p.r
	pts := r.part.points
	if mode.current || len(pts) < 2 {
		return r.txn.get(ctx, key, mode)
	}
	if v, found, ok := r.txn.ovGet(key, mode); ok {
		return v, found, nil
	}
	if p.it == nil {
		last := pts[len(pts)-1]
		it, err := r.txn.scan(ctx, pts[0], append(bytes.Clone(last), 0), false, mode)
		if err != nil {
			return nil, false, err
		}
		p.it = it
	}
	if p.it.closed { // the transaction ended under the scan
		return r.txn.get(ctx, key, mode)
	}
	b := p.it.base
	if !b.SeekGE(key) || !bytes.Equal(b.Key(), key) {
		return nil, false, b.Error()
	}
	v, err := b.Value()
	if err != nil {
		return nil, false, err
	}
	p.buf = append(p.buf[:0], v...)
	return p.buf, true, nil
}

func (p *pointIter) Close(ctx *sql.Context) error {
	if p.it != nil {
		_ = p.it.close()
		p.it = nil
	}
	return p.r.Close(ctx)
}

// Dir returns the data directory.
func (e *Engine) Dir() string { return e.opts.Dir }

// closeSearch closes the backend, if it can be closed (Engine.Close).
func (e *Engine) closeSearch() {
	if c, ok := e.searchBackend().(interface{ Close() error }); ok {
		if err := c.Close(); err != nil {
			e.log.Error("close search indexes", "err", err)
		}
	}
}

// Searcher returns the installed search backend (nil if none).
func (e *Engine) Searcher() SearchBackend { return e.searchBackend() }
