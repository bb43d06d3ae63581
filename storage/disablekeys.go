package storage

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"gopkg.in/src-d/go-errors.v1"

	"github.com/quarrydb/quarry/storage/keycodec"
)

// ALTER TABLE ... DISABLE KEYS / ENABLE KEYS, with MyISAM's meaning (InnoDB
// ignores them): while keys are disabled the table's non-unique secondary
// indexes are not maintained, and ENABLE KEYS rebuilds them from the rows
// in one pass, sorting the entries and ingesting them below the memtable.
// mysqldump and mariadb-dump wrap every table's INSERTs in the pair, so a
// dump loads its rows without index writes and builds each index once.
//
// Disabled indexes stay in the catalog (SHOW CREATE TABLE lists them) but
// are unreadable: CanSupport is false, so the analyzer does not choose
// them, and any read that gets through fails (Index.spans). Unique indexes
// are always maintained (their checks need them), and tables in a foreign
// key relationship keep all their indexes.

// ErrIndexDisabled is returned by a read of an index under DISABLE KEYS.
var ErrIndexDisabled = errors.NewKind("index %s of table %s is disabled; ALTER TABLE ... ENABLE KEYS rebuilds it")

// DisableKeys stops maintaining the table's non-unique secondary indexes
// and drops their entries. It reports false, changing nothing, when the
// table takes part in a foreign key or is temporary.
func (t *Table) DisableKeys(ctx *sql.Context) (bool, error) {
	e := t.e
	if err := e.lockForDDL(ctx, t.m.db, t.m.def.Name); err != nil {
		return false, err
	}
	e.mu.Lock()
	s, m, err := e.currentLocked(t.m)
	if err != nil {
		e.mu.Unlock()
		return false, err
	}
	if m.temp != nil || e.inForeignKeyLocked(s, m) {
		e.mu.Unlock()
		return false, nil
	}
	def := m.def.Clone()
	var dropped [][]byte
	for i := range def.Indexes {
		idx := &def.Indexes[i]
		if idx.Unique || idx.FullText || idx.Spatial || idx.Vector || idx.Disabled {
			continue
		}
		idx.Disabled = true
		dropped = append(dropped, indexPrefix(def.ID, idx.ID))
	}
	if len(dropped) > 0 {
		err = e.replaceTableLocked(s, m, def)
		if err == nil {
			t.m = s.tables[strings.ToLower(def.Name)]
		}
	}
	e.mu.Unlock()
	if err != nil {
		return false, err
	}
	for _, p := range dropped {
		e.clearIndexKeys(p)
	}
	return true, nil
}

// EnableKeys builds the table's disabled indexes from its committed rows
// and publishes them, under the table's Exclusive metadata lock.
func (t *Table) EnableKeys(ctx *sql.Context) error {
	e := t.e
	if err := e.lockForDDL(ctx, t.m.db, t.m.def.Name); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, m, err := e.currentLocked(t.m)
	if err != nil {
		return err
	}
	if len(m.disabled) == 0 {
		return nil
	}
	def := m.def.Clone()
	for i := range def.Indexes {
		def.Indexes[i].Disabled = false
	}
	nm, err := newTableMeta(m.db, def)
	if err != nil {
		return err
	}
	var build []*indexMeta
	for _, im := range nm.indexes {
		for _, d := range m.disabled {
			if d.def.ID == im.def.ID {
				build = append(build, im)
			}
		}
	}
	for _, im := range build {
		// Writers holding an older definition may have left entries.
		e.clearIndexKeys(im.prefix)
	}
	if err := e.bulkBuildIndexes(ctx, nm, build); err != nil {
		for _, im := range build {
			e.dropIndexKeys(im.prefix)
		}
		return err
	}
	if err := e.replaceTableLocked(s, m, def); err != nil {
		return err
	}
	t.m = s.tables[strings.ToLower(def.Name)]
	epoch := e.nextDDLEpoch()
	for _, im := range build {
		t.m.markBuilt(im.def.ID, epoch)
	}
	return nil
}

// clearIndexKeys drops the entries under an index prefix, writing a range
// deletion only when there are some: one in the memtable would make a
// later ingest of the range wait for a flush.
func (e *Engine) clearIndexKeys(prefix []byte) {
	it, err := e.kv.NewIter(prefix, keycodec.PrefixEnd(prefix))
	if err == nil {
		empty := !it.First() && it.Error() == nil
		_ = it.Close()
		if empty {
			return
		}
	}
	e.dropIndexKeys(prefix)
}

// inForeignKeyLocked reports whether m declares or is referenced by a
// foreign key. The caller holds e.mu.
func (e *Engine) inForeignKeyLocked(s *dbState, m *tableMeta) bool {
	if len(m.def.ForeignKeys) > 0 {
		return true
	}
	for _, ds := range e.dbs {
		for _, other := range ds.tables {
			for _, fk := range other.def.ForeignKeys {
				pdb := fk.ParentDatabase
				if pdb == "" {
					pdb = ds.def.Name
				}
				if strings.EqualFold(pdb, s.def.Name) && strings.EqualFold(fk.ParentTable, m.def.Name) {
					return true
				}
			}
		}
	}
	return false
}

// bulkRunBytes bounds the entry bytes a bulk index build sorts in memory
// at a time; each full run is ingested on its own.
var bulkRunBytes = 128 << 20

// bulkBuildIndexes writes the entries of ims (non-unique indexes of m) for
// every committed row: it scans the rows once, decoding only the indexed
// and key columns, collects each index's entries apart, and every
// bulkRunBytes sorts the runs in parallel and ingests them as sstables.
func (e *Engine) bulkBuildIndexes(ctx *sql.Context, m *tableMeta, ims []*indexMeta) error {
	if len(ims) == 0 {
		return nil
	}
	ims = slices.Clone(ims)
	slices.SortFunc(ims, func(a, b *indexMeta) int { return bytes.Compare(a.prefix, b.prefix) })
	need := make([]bool, len(m.schema.Schema))
	for _, im := range ims {
		for _, o := range im.ord {
			need[o] = true
		}
	}
	for _, o := range m.pkOrd {
		need[o] = true
	}
	var proj []int
	for o, ok := range need {
		if ok {
			proj = append(proj, o)
		}
	}
	dec, err := newRowDecoder(m, proj)
	if err != nil {
		return err
	}
	pre := indexPrefix(m.id(), primaryIndexID)
	it, err := e.kv.NewIter(pre, keycodec.PrefixEnd(pre))
	if err != nil {
		return err
	}
	defer it.Close()
	runs := make([]entryRun, len(ims))
	size := 0
	row := make(sql.Row, len(m.schema.Schema))
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n++; n%4096 == 0 && ctx != nil {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		v, err := it.Value()
		if err != nil {
			return err
		}
		vals, _, err := dec.decode(it.Key(), v)
		if err != nil {
			return fmt.Errorf("storage: build indexes of %s: %w", m.def.Name, err)
		}
		for i, o := range proj {
			row[o] = vals[i]
		}
		for i, im := range ims {
			ek, err := im.entryKey(m, row, it.Key())
			if err != nil {
				return err
			}
			runs[i].add(ek)
			size += len(ek)
		}
		if size >= bulkRunBytes {
			if err := e.ingestRuns(runs); err != nil {
				return err
			}
			size = 0
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	return e.ingestRuns(runs)
}

// ingestRuns sorts the runs (of indexes in prefix order) in parallel,
// ingests them in one step and empties them.
func (e *Engine) ingestRuns(runs []entryRun) error {
	orders := make([][]int, len(runs))
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			orders[i] = runs[i].sorted()
		}()
	}
	wg.Wait()
	err := e.kv.Ingest(func(add func(key, value []byte) error) error {
		for i := range runs {
			for _, j := range orders[i] {
				if err := add(runs[i].key(j), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	for i := range runs {
		runs[i].buf, runs[i].ends = runs[i].buf[:0], runs[i].ends[:0]
	}
	if err != nil {
		return fmt.Errorf("storage: ingest index entries: %w", err)
	}
	return nil
}

// entryRun collects index entries (keys with empty values) in one buffer.
type entryRun struct {
	buf  []byte
	ends []int // ends[i] is where entry i ends in buf
}

func (r *entryRun) add(k []byte) {
	if len(r.buf)+len(k) > cap(r.buf) {
		// Double: append grows large slices by a quarter, which copies
		// a run of hundreds of megabytes many times over.
		nb := make([]byte, len(r.buf), max(2*cap(r.buf), len(r.buf)+len(k), 64<<10))
		copy(nb, r.buf)
		r.buf = nb
	}
	if len(r.ends) == cap(r.ends) {
		ne := make([]int, len(r.ends), max(2*cap(r.ends), 1024))
		copy(ne, r.ends)
		r.ends = ne
	}
	r.buf = append(r.buf, k...)
	r.ends = append(r.ends, len(r.buf))
}

func (r *entryRun) key(i int) []byte {
	start := 0
	if i > 0 {
		start = r.ends[i-1]
	}
	return r.buf[start:r.ends[i]]
}

// sorted returns the run's entry numbers in key order. Entries are
// compared by the 8 bytes after the prefix all keys share, then whole.
func (r *entryRun) sorted() []int {
	return sortedOrder(len(r.ends), r.key)
}

// sortedOrder returns 0..n-1 ordered by key.
func sortedOrder(n int, key func(i int) []byte) []int {
	if n == 0 {
		return nil
	}
	first := key(0)
	skip := len(first)
	for i := 1; i < n && skip > 0; i++ {
		k := key(i)
		j := 0
		for j < skip && j < len(k) && k[j] == first[j] {
			j++
		}
		skip = j
	}
	type item struct {
		p uint64
		i int
	}
	items := make([]item, n)
	for i := range items {
		var b [8]byte
		if k := key(i); len(k) > skip {
			copy(b[:], k[skip:])
		}
		items[i] = item{binary.BigEndian.Uint64(b[:]), i}
	}
	slices.SortFunc(items, func(a, b item) int {
		if a.p != b.p {
			return cmp.Compare(a.p, b.p)
		}
		return bytes.Compare(key(a.i), key(b.i))
	})
	order := make([]int, n)
	for i, it := range items {
		order[i] = it.i
	}
	return order
}
