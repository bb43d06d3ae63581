package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/lock"
)

// Table is the sql.Table over one catalog table. It is an immutable handle:
// WithProjections and IndexedAccess return modified copies.
type Table struct {
	e    *Engine
	m    *tableMeta
	proj []int // projected ordinals; nil means all columns
	// projSchema is the schema of the projected columns.
	projSchema sql.Schema
	// latest makes scans read the latest committed rows instead of the
	// transaction's snapshot (schema changes that rewrite the table).
	latest bool
	// ownWrites makes scans see writes of running statements too (foreign
	// key checks).
	ownWrites bool
}

var (
	_ sql.Table                 = (*Table)(nil)
	_ sql.PrimaryKeyTable       = (*Table)(nil)
	_ sql.ProjectedTable        = (*Table)(nil)
	_ sql.IndexAddressableTable = (*Table)(nil)
	_ sql.StatisticsTable       = (*Table)(nil)
	_ sql.CommentedTable        = (*Table)(nil)
	_ sql.Databaseable          = (*Table)(nil)
)

func newTable(e *Engine, m *tableMeta) *Table {
	return &Table{e: e, m: m, projSchema: m.schema.Schema}
}

// Name implements sql.Nameable.
func (t *Table) Name() string { return t.m.def.Name }

// String implements fmt.Stringer.
func (t *Table) String() string { return t.m.def.Name }

// Database implements sql.Databaseable.
func (t *Table) Database() string { return t.m.db }

// Schema implements sql.Table: the projected columns.
func (t *Table) Schema() sql.Schema { return t.projSchema }

// Collation implements sql.Table.
func (t *Table) Collation() sql.CollationID {
	if t.m.def.Collation == sql.Collation_Unspecified {
		return sql.Collation_Default
	}
	return t.m.def.Collation
}

// Comment implements sql.CommentedTable.
func (t *Table) Comment() string { return t.m.def.Comment }

// PrimaryKeySchema implements sql.PrimaryKeyTable.
func (t *Table) PrimaryKeySchema() sql.PrimaryKeySchema { return t.m.schema }

// WithProjections implements sql.ProjectedTable.
func (t *Table) WithProjections(colNames []string) sql.Table {
	nt := *t
	if colNames == nil {
		nt.proj, nt.projSchema = nil, t.m.schema.Schema
		return &nt
	}
	nt.proj = make([]int, 0, len(colNames))
	nt.projSchema = make(sql.Schema, 0, len(colNames))
	for _, name := range colNames {
		i := t.m.schema.Schema.IndexOfColName(name)
		if i < 0 {
			continue
		}
		nt.proj = append(nt.proj, i)
		nt.projSchema = append(nt.projSchema, t.m.schema.Schema[i])
	}
	return &nt
}

// Projections implements sql.ProjectedTable.
func (t *Table) Projections() []string {
	if t.proj == nil {
		return nil
	}
	names := make([]string, len(t.proj))
	for i, o := range t.proj {
		names[i] = strings.ToLower(t.m.schema.Schema[o].Name)
	}
	return names
}

func (t *Table) outputOrdinals() []int {
	if t.proj != nil {
		return t.proj
	}
	all := make([]int, len(t.m.schema.Schema))
	for i := range all {
		all[i] = i
	}
	return all
}

// partition is the single partition of a scan: the spans to read.
type partition struct {
	spans   []span
	reverse bool
	index   *indexMeta // nil: the primary data
	// lookup is set for an index lookup (LookupPartitions), whose rows
	// must come in index order (see order.go).
	lookup bool
	// points, if not nil, are data keys to read one by one, in order,
	// instead of spans (search index lookups, see search_hooks.go).
	points [][]byte
	// search, if set, is a search lookup not run yet; the first read runs
	// it and sets points (or spans, for the whole table).
	search SearchRanges
	// more, if set, returns further points for reads of the latest rows
	// once points are read (GrowingSearchRanges).
	more func(*sql.Context) ([][]byte, error)
	// vector, if set, makes the partition return the rows nearest to a
	// vector (VECTOR index lookups, see vector.go).
	vector *vectorOrder
}

type span struct {
	start, end []byte
	resid      []residCheck // conditions the key bounds do not enforce
	// exact: the span holds at most the one key start (a primary key
	// equality on every column), so it is read with a point get.
	exact bool
}

func (p *partition) Key() []byte { return []byte("p") }

type partitionIter struct {
	p    *partition
	done bool
}

func (i *partitionIter) Next(*sql.Context) (sql.Partition, error) {
	if i.done {
		return nil, io.EOF
	}
	i.done = true
	return i.p, nil
}

func (i *partitionIter) Close(*sql.Context) error { return nil }

// Partitions implements sql.Table: one partition covering the table.
func (t *Table) Partitions(ctx *sql.Context) (sql.PartitionIter, error) {
	return &partitionIter{p: &partition{spans: t.m.wholeTable()}}, nil
}

// wholeTable is the span of every row of the table.
func (m *tableMeta) wholeTable() []span {
	pre := indexPrefix(m.id(), primaryIndexID)
	return []span{{start: pre, end: keycodec.PrefixEnd(pre)}}
}

// PrimaryKeyPoint returns the partition that an index lookup of the range
// [v, v] on PRIMARY reads, for a table whose primary key is the one column
// whose value v is (already of the column's type): one point get.
func (t *Table) PrimaryKeyPoint(v any) (sql.Partition, error) {
	m := t.m
	if m.keyless || len(m.pkCols) != 1 || m.pkCols[0].prefix > 0 {
		return nil, fmt.Errorf("storage: %s has no single-column primary key", m.def.Name)
	}
	key, err := m.pkCols[0].appendKey(indexPrefix(m.id(), primaryIndexID), v)
	if err != nil {
		return nil, fmt.Errorf("storage: encode key of %s: %w", m.def.Name, err)
	}
	return &partition{spans: []span{{start: key, end: keycodec.PrefixEnd(key), exact: true}}}, nil
}

// PartitionRows implements sql.Table.
func (t *Table) PartitionRows(ctx *sql.Context, p sql.Partition) (sql.RowIter, error) {
	part, ok := p.(*partition)
	if !ok {
		return nil, fmt.Errorf("storage: unexpected partition %T", p)
	}
	out := t.outputOrdinals()
	if part.vector != nil {
		// The rows carry the vector column, after the output columns if
		// it is not one of them.
		need, pos := out, slices.Index(out, part.vector.ord)
		if pos < 0 {
			need, pos = append(append([]int(nil), out...), part.vector.ord), len(out)
		}
		dec, err := newRowDecoder(t.m, need)
		if err != nil {
			return nil, err
		}
		r := &rowIter{t: t, part: part, dec: dec, txn: t.e.txnFor(ctx), width: len(need), need: need}
		return newVectorIter(ctx, r, part.vector, len(out), pos)
	}
	need := out
	// sortOrds: the index columns rows must be sorted by (order.go).
	var sortOrds []int
	runSegs := -1
	switch {
	case part.index != nil && part.index.spatial:
		sortOrds = part.index.ord
	case part.index != nil && part.index.prefixed:
		sortOrds, runSegs = part.index.ord, firstPrefixed(part.index.keyCols)+1
	case part.index == nil && part.lookup && firstPrefixed(t.m.pkCols) >= 0:
		sortOrds, runSegs = t.m.pkOrd, firstPrefixed(t.m.pkCols)+1
	}
	for _, o := range sortOrds {
		if !containsInt(need, o) {
			if len(need) == len(out) {
				need = append([]int(nil), out...)
			}
			need = append(need, o)
		}
	}
	for _, s := range part.spans {
		for _, rc := range s.resid {
			if !containsInt(need, rc.ord) {
				if len(need) == len(out) {
					need = append([]int(nil), out...)
				}
				need = append(need, rc.ord)
			}
		}
	}
	dec, err := newRowDecoder(t.m, need)
	if err != nil {
		return nil, err
	}
	txn := t.e.txnFor(ctx)
	if err := txn.useTable(ctx, t.m, false); err != nil {
		return nil, err
	}
	if err := txn.checkIndexReadable(ctx, t.m, part.index, !t.latest && !t.lockingScan(ctx)); err != nil {
		return nil, err
	}
	r := &rowIter{t: t, part: part, dec: dec, txn: txn, width: len(out), need: need}
	if part.points != nil || part.search != nil {
		return &pointIter{r: r}, nil
	}
	if sortOrds != nil {
		return newOrderIter(r, sortOrds, runSegs, part.reverse), nil
	}
	if part.index != nil {
		r.cover = newCoverDecoder(t.m, part.index, need)
	}
	return r, nil
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// RowCount implements sql.StatisticsTable: exact, as of the transaction's
// snapshot plus its own writes. It takes no metadata lock (SHOW TABLE
// STATUS and information_schema ask for every table); when the handle or
// the snapshot predates a schema change (see Txn.readable), the count is
// an estimate (exact = false, so GMS does not answer COUNT(*) with it and
// the scan reports the change).
func (t *Table) RowCount(ctx *sql.Context) (uint64, bool, error) {
	txn := t.e.txnFor(ctx)
	m, exact := t.m, true
	if !txn.readable(ctx, m) {
		exact = false
		if cur := t.e.currentOf(m); cur != nil {
			m = cur
		}
	}
	n, err := txn.committedRowCount(ctx, m.id())
	if err != nil {
		return 0, false, err
	}
	n += txn.counts[m.id()]
	if n < 0 {
		n = 0
	}
	return uint64(n), exact, nil
}

// DataLength implements sql.StatisticsTable with an estimate: the row
// count times the declared width of a row (see rowDataBytes), which SHOW
// TABLE STATUS and information_schema.TABLES report as DATA_LENGTH and
// AVG_ROW_LENGTH, and GMS's coster uses as the average row size.
func (t *Table) DataLength(ctx *sql.Context) (uint64, error) {
	n, _, err := t.RowCount(ctx)
	if err != nil {
		return 0, err
	}
	return n * t.m.rowBytes, nil
}

// GetIndexes implements sql.IndexAddressable.
func (t *Table) GetIndexes(ctx *sql.Context) ([]sql.Index, error) {
	var out []sql.Index
	if !t.m.keyless {
		out = append(out, &Index{m: t.m})
	}
	start := len(out)
	for _, im := range t.m.indexes {
		out = append(out, (&Index{m: t.m, im: im}).sqlIndex())
	}
	for _, im := range t.m.disabled {
		out = append(out, (&Index{m: t.m, im: im}).sqlIndex())
	}
	// By name, as GMS's engine lists them (SHOW CREATE TABLE order).
	out = append(out, t.searchIndexes()...)
	out = append(out, t.vectorIndexes()...)
	sec := out[start:]
	sort.Slice(sec, func(a, b int) bool { return sec[a].ID() < sec[b].ID() })
	return out, nil
}

// PreciseMatch implements sql.IndexAddressable: a lookup returns exactly
// the rows of its ranges (see Index.spans), so GMS may drop the filters
// the ranges cover.
func (t *Table) PreciseMatch() bool { return true }

// IndexedAccess implements sql.IndexAddressable.
func (t *Table) IndexedAccess(ctx *sql.Context, lookup sql.IndexLookup) sql.IndexedTable {
	return &IndexedTable{Table: t}
}

// AsTable returns the Quarry table behind t: t itself, the table of an
// index access, or the table under GMS's table wrappers.
func AsTable(t sql.Table) (*Table, bool) {
	switch x := sql.GetUnderlyingTable(t).(type) {
	case *Table:
		return x, true
	case *IndexedTable:
		return x.Table, true
	}
	return nil, false
}

// IndexedTable is a Table read through index lookups.
type IndexedTable struct{ *Table }

var _ sql.IndexedTable = (*IndexedTable)(nil)

// LookupPartitions implements sql.IndexedTable. The lookup passed here, not
// the one given to IndexedAccess, is authoritative (lookup joins).
func (it *IndexedTable) LookupPartitions(ctx *sql.Context, lookup sql.IndexLookup) (sql.PartitionIter, error) {
	var idx *Index
	switch x := lookup.Index.(type) {
	case *Index:
		idx = x
	case extendedIndex:
		idx = x.Index
	case *SearchIndex:
		return it.searchPartitions(ctx, lookup)
	case *VectorIndex:
		return it.vectorPartitions(x, lookup)
	default:
		return nil, fmt.Errorf("storage: lookup on foreign index %T", lookup.Index)
	}
	p := &partition{reverse: lookup.IsReverse, index: idx.im, lookup: true}
	// GMS decides IsEmptyRange by comparing a spatial lookup's corner
	// points as geometries (MySQLRange.IsEmpty), which says nothing about
	// the box: a spatial index reads its ranges regardless, as GMS's
	// memory engine does.
	if !lookup.IsEmptyRange || idx.IsSpatial() {
		ranges, ok := lookup.Ranges.(sql.MySQLRangeCollection)
		if !ok {
			return nil, fmt.Errorf("storage: unsupported range collection %T", lookup.Ranges)
		}
		spans, err := idx.spans(ranges)
		if err != nil {
			return nil, err
		}
		p.spans = spans
	}
	return &partitionIter{p: p}, nil
}

// WithProjections keeps the IndexedTable type.
func (it *IndexedTable) WithProjections(colNames []string) sql.Table {
	return &IndexedTable{Table: it.Table.WithProjections(colNames).(*Table)}
}

// rowIter streams rows of one partition lazily, span by span.
type rowIter struct {
	t    *Table
	part *partition
	dec  *rowDecoder
	txn  *Txn

	started bool
	locking bool
	mode    lock.Mode
	spanIdx int
	cur     *mergedIter

	dupRow  sql.Row // keyless: row to repeat
	dupLeft uint64

	// need lists the decoded ordinals: the output columns (the first
	// width) followed by columns only residual checks read.
	need  []int
	width int
	resid []residCheck // of the span being read

	lastKey []byte // the key of the last entry read

	// cover, when set, decodes rows from the index entries alone
	// (covering.go); locking and rewrite reads still read the row.
	cover *coverDecoder
}

// resume reopens the interrupted span after lastKey in the session's
// current transaction.
func (r *rowIter) resume(ctx *sql.Context, old *mergedIter) error {
	r.txn = r.t.e.txnFor(ctx)
	lo, hi := old.lower, old.upper
	if r.lastKey != nil {
		if r.part.reverse {
			hi = append([]byte(nil), r.lastKey...)
		} else {
			lo = append(append([]byte(nil), r.lastKey...), 0)
		}
	}
	if bytes.Compare(lo, hi) >= 0 {
		return nil
	}
	it, err := r.txn.scan(ctx, lo, hi, r.part.reverse, readMode{current: r.locking || r.t.latest, rows: !r.t.ownWrites})
	if err != nil {
		return err
	}
	r.cur = it
	return nil
}

func (r *rowIter) start(ctx *sql.Context) {
	r.started = true
	pid := ctxPid(ctx)
	if p, ok := r.txn.lockingReads[r.t.m.id()]; ok && p == pid {
		r.locking, r.mode = true, lock.Exclusive
	} else if s, ok := ctx.Session.(*Session); ok && (s.lockPid == pid && pid != 0 || s.pendingLock != NoLock) {
		if s.lockPid != pid { // a prepared statement's first read
			s.lockPid, s.lockShare = pid, s.pendingLock == ForShare
		}
		r.locking, r.mode = true, lock.Exclusive
		if s.lockShare {
			r.mode = lock.Shared
		}
	}
	if r.part.reverse {
		r.spanIdx = len(r.part.spans) - 1
	}
}

// Next implements sql.RowIter.
func (r *rowIter) Next(ctx *sql.Context) (sql.Row, error) {
	if !r.started {
		r.start(ctx)
	}
	if r.dupLeft > 0 {
		r.dupLeft--
		return r.dupRow.Copy(), nil
	}
	for {
		if r.cur == nil {
			if r.spanIdx < 0 || r.spanIdx >= len(r.part.spans) {
				return nil, io.EOF
			}
			s := r.part.spans[r.spanIdx]
			r.resid = s.resid
			if r.part.reverse {
				r.spanIdx--
			} else {
				r.spanIdx++
			}
			if bytes.Compare(s.start, s.end) >= 0 {
				continue
			}
			if s.exact && r.part.index == nil {
				row, ok, err := r.point(ctx, s.start)
				if err != nil {
					return nil, err
				}
				if ok {
					return row, nil
				}
				continue
			}
			it, err := r.txn.scan(ctx, s.start, s.end, r.part.reverse, readMode{current: r.locking || r.t.latest, rows: !r.t.ownWrites})
			if err != nil {
				return nil, err
			}
			r.cur = it
		}
		if !r.cur.next() {
			err := r.cur.close()
			cur := r.cur
			r.cur = nil
			if errors.Is(err, errTxnClosed) {
				// The transaction ended under an open scan (a cursor across
				// a procedure's autocommitted statements): resume after the
				// last key in the session's current transaction.
				if err := r.resume(ctx, cur); err != nil {
					return nil, err
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		r.lastKey = append(r.lastKey[:0], r.cur.key...)
		row, card, ok, err := r.fetch(ctx, r.cur.key, r.cur.value)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if len(r.resid) > 0 {
			if ok, err := r.residualMatch(ctx, row); err != nil {
				return nil, err
			} else if !ok {
				continue
			}
		}
		row = row[:r.width]
		if card > 1 {
			r.dupRow, r.dupLeft = row, card-1
		}
		return row, nil
	}
}

// point reads the row at primary key key with one get instead of a scan;
// ok is false when there is no such row (or it fails the residuals).
func (r *rowIter) point(ctx *sql.Context, key []byte) (sql.Row, bool, error) {
	v, found, err := r.txn.get(ctx, key, readMode{current: r.locking || r.t.latest, rows: !r.t.ownWrites})
	if err != nil || !found {
		return nil, false, err
	}
	r.lastKey = append(r.lastKey[:0], key...)
	row, card, ok, err := r.fetch(ctx, key, v)
	if err != nil || !ok {
		return nil, false, err
	}
	if len(r.resid) > 0 {
		if ok, err := r.residualMatch(ctx, row); err != nil || !ok {
			return nil, false, err
		}
	}
	row = row[:r.width]
	if card > 1 {
		r.dupRow, r.dupLeft = row, card-1
	}
	return row, true, nil
}

// fetch turns the entry at key into a row: for a secondary index it reads
// the row by primary key; for locking reads it locks the row and reads its
// latest committed version. ok is false when the row vanished meanwhile.
func (r *rowIter) fetch(ctx *sql.Context, key, value []byte) (sql.Row, uint64, bool, error) {
	m := r.t.m
	dataKey := key
	if r.cover != nil && !r.locking && !r.t.latest && !r.t.ownWrites {
		row, err := r.cover.decode(key)
		if err != nil {
			return nil, 0, false, err
		}
		return row, 1, true, nil
	}
	if r.part.index != nil {
		dk, err := r.part.index.dataKey(m, key)
		if err != nil {
			return nil, 0, false, fmt.Errorf("storage: index %s entry: %w", r.part.index.def.Name, err)
		}
		dataKey = dk
		v, ok, err := r.txn.get(ctx, dataKey, readMode{current: r.locking || r.t.latest, rows: !r.t.ownWrites})
		if err != nil {
			return nil, 0, false, err
		}
		if !ok {
			if r.locking || r.t.latest {
				return nil, 0, false, nil
			}
			return nil, 0, false, fmt.Errorf("storage: index %s of %s points at a missing row (corruption)", r.part.index.def.Name, m.def.Name)
		}
		value = v
	}
	if r.locking {
		if err := r.txn.lockKey(ctx, dataKey, r.mode); err != nil {
			return nil, 0, false, err
		}
		v, ok, err := r.txn.get(ctx, dataKey, readMode{current: true, rows: !r.t.ownWrites})
		if err != nil || !ok {
			return nil, 0, false, err
		}
		value = v
	}
	row, card, err := r.dec.decode(dataKey, value)
	if err != nil {
		return nil, 0, false, err
	}
	return row, card, true, nil
}

func (r *rowIter) residualMatch(ctx *sql.Context, row sql.Row) (bool, error) {
	for _, rc := range r.resid {
		pos := 0
		for i, o := range r.need {
			if o == rc.ord {
				pos = i
				break
			}
		}
		ok, err := rc.matches(ctx, row[pos])
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// Close implements sql.RowIter.
func (r *rowIter) Close(*sql.Context) error {
	if r.cur != nil {
		err := r.cur.close()
		r.cur = nil
		return err
	}
	return nil
}

// IsTemporary implements sql.TemporaryTable (GMS's read-only transaction
// check requires every table to implement it).
func (t *Table) IsTemporary() bool { return t.m.temp != nil }
