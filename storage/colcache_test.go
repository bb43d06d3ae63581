package storage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage"
	"github.com/quarrydb/quarry/storage/rowcodec"
)

// colSession is one client session of a column cache test.
type colSession struct {
	d     *testDB
	ses   sql.Session
	inTxn bool
	wrote bool // wrote in its open transaction (holds row locks)
}

var colPids atomic.Uint64

func (s *colSession) ctx(q string) *sql.Context {
	ctx := sql.NewContext(context.Background(), sql.WithSession(s.ses), sql.WithQuery(q), sql.WithPid(colPids.Add(1)+1000))
	ctx.SetCurrentDatabase("d")
	return ctx
}

func (s *colSession) query(q string) error {
	ctx := s.ctx(q)
	_, iter, _, err := s.d.eng.Query(ctx, q)
	if err != nil {
		return err
	}
	for {
		if _, err := iter.Next(ctx); err != nil {
			cerr := iter.Close(ctx) // commits an autocommit statement
			if err == io.EOF {
				return cerr
			}
			return err
		}
	}
}

func (s *colSession) must(t testing.TB, q string) {
	t.Helper()
	if err := s.query(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// scanBoth reads table t in the session's current transaction twice,
// through ScanColumns (the column cache) and ScanTyped (Pebble), and
// returns both row lists in key order and the columnar scan's stats.
func (s *colSession) scanBoth(t testing.TB, cols []int, parts int) (got, want []string, st storage.ScanStats) {
	t.Helper()
	return s.scanBothReq(t, "scan", cols, func(*sql.Context, sql.Table) storage.ScanRequest {
		return storage.ScanRequest{Columns: cols, Parts: parts, Workers: 3}
	})
}

// scanBothReq scans the columns cols of d.t with ScanColumns and with
// ScanTyped, as request says, and renders the rows of both.
func (s *colSession) scanBothReq(t testing.TB, label string, cols []int, request func(*sql.Context, sql.Table) storage.ScanRequest) (got, want []string, st storage.ScanStats) {
	t.Helper()
	ctx := s.ctx(label)
	db, err := s.d.e.Provider().Database(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	tbl, _, err := db.GetTableInsensitive(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	dec, ok := storage.TypedDecoderFor(tbl, cols)
	if !ok {
		t.Fatal("no typed decoder")
	}
	render := func(row []rowcodec.Slot) string {
		vals := make([]string, len(row))
		for i := range row {
			v, err := dec.Value(i, &row[i])
			if err != nil {
				t.Error(err)
			}
			vals[i] = fmt.Sprintf("%T:%v", v, v)
		}
		return strings.Join(vals, "|")
	}
	var mu sync.Mutex
	byPart := map[int][]string{}
	req := request(ctx, tbl)
	st, ok, err = storage.ScanColumns(ctx, tbl, req, dec, func(_, part int, b *storage.ColBatch) error {
		row := make([]rowcodec.Slot, len(cols))
		var out []string
		for r := 0; r < b.Rows; r++ {
			for i, v := range b.Cols {
				v.Fill(r, &row[i])
			}
			out = append(out, render(row))
		}
		mu.Lock()
		byPart[part] = append(byPart[part], out...)
		mu.Unlock()
		return nil
	})
	if err != nil || !ok {
		t.Fatalf("ScanColumns: ok=%v err=%v", ok, err)
	}
	got = flatten(byPart)
	byPart = map[int][]string{}
	_, ok, err = storage.ScanTyped(ctx, tbl, req, dec, func(_, part int, row []rowcodec.Slot) error {
		r := render(row)
		mu.Lock()
		byPart[part] = append(byPart[part], r)
		mu.Unlock()
		return nil
	})
	if err != nil || !ok {
		t.Fatalf("ScanTyped: ok=%v err=%v", ok, err)
	}
	return got, flatten(byPart), st
}

func flatten(byPart map[int][]string) []string {
	var keys []int
	for k := range byPart {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var out []string
	for _, k := range keys {
		out = append(out, byPart[k]...)
	}
	return out
}

func sameList(a, b []string) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d rows, want %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return fmt.Sprintf("row %d: %s, want %s", i, a[i], b[i])
		}
	}
	return ""
}

const colTable = `CREATE TABLE t (id INT NOT NULL PRIMARY KEY, a BIGINT, s VARCHAR(8), f DOUBLE, ts DATETIME(6), dm DECIMAL(8,2), u INT UNSIGNED)`

func colRow(r *rand.Rand, id int) string {
	null := func(v string) string {
		if r.IntN(8) == 0 {
			return "NULL"
		}
		return v
	}
	return fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s)", id,
		null(fmt.Sprint(r.Int64N(1<<40)-1<<39)),
		null(fmt.Sprintf("'s%d'", r.IntN(5))),
		null(fmt.Sprintf("%g", r.Float64()*100)),
		null(fmt.Sprintf("'2024-03-%02d 10:00:00.%06d'", 1+r.IntN(28), r.IntN(3)*r.IntN(1e6))),
		null(fmt.Sprintf("%d.%02d", r.IntN(2000)-1000, r.IntN(100))),
		null(fmt.Sprint(r.Uint32())))
}

// colWrite runs one random write in s (in its transaction, if any) on
// ids in [base, base+n).
func colWrite(t testing.TB, r *rand.Rand, s *colSession, base, n int) {
	var q string
	hi := base + n - 1
	switch r.IntN(4) {
	case 0:
		var vals []string
		for i := 0; i < 1+r.IntN(5); i++ {
			vals = append(vals, colRow(r, base+r.IntN(n)))
		}
		q = "INSERT IGNORE INTO t VALUES " + strings.Join(vals, ",")
	case 1:
		lo := base + r.IntN(n)
		q = fmt.Sprintf("UPDATE t SET a = a + %d, s = 's%d' WHERE id BETWEEN %d AND %d", r.IntN(10), r.IntN(5), lo, min(lo+r.IntN(20), hi))
	case 2:
		lo := base + r.IntN(n)
		q = fmt.Sprintf("DELETE FROM t WHERE id BETWEEN %d AND %d", lo, min(lo+r.IntN(6), hi))
	default:
		q = fmt.Sprintf("UPDATE t SET ts = NULL, f = f * 2 WHERE id = %d", base+r.IntN(n))
	}
	if err := s.query(q); err != nil {
		// Lock waits between the test's own sessions are expected.
		if testing.Verbose() {
			t.Logf("%s: %v", q, err)
		}
		if !strings.Contains(err.Error(), "Lock wait timeout") && !strings.Contains(err.Error(), "Deadlock") {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestColumnCacheProperty: random inserts, updates, deletes, commits and
// rollbacks in several sessions (REPEATABLE READ and READ COMMITTED),
// interleaved with scans at their various snapshots; every scan through
// the column cache returns exactly what the Pebble scan of the same
// transaction returns, and the cache does serve segments.
func TestColumnCacheProperty(t *testing.T) {
	// Small segments: many of them, splits and evictions.
	r := rand.New(rand.NewPCG(3, 17))
	const maxID = 400
	e, d := openColTable(t, 8, r, 250, maxID)

	d.mustQuery("SET GLOBAL innodb_lock_wait_timeout = 1")
	// Each session writes its own ids (no lock waits in one goroutine).
	sessions := make([]*colSession, 4)
	for i := range sessions {
		sessions[i] = d.session()
	}
	sessions[3].must(t, "SET SESSION transaction_isolation = 'READ-COMMITTED'")
	colSets := [][]int{{1, 2, 3, 4, 5, 6}, {1}, {2, 4}, {3, 1}, {6, 5, 2}}
	cached, scans := 0, 0
	var changed, changedRead int64
	for step := 0; step < 1500; step++ {
		si := r.IntN(len(sessions))
		s := sessions[si]
		switch x := r.IntN(20); {
		case x < 7:
			// One goroutine: no write may wait for another session's
			// locks.
			blocked := false
			for _, o := range sessions {
				if o != s && o.inTxn && o.wrote {
					blocked = true
				}
			}
			if !blocked {
				colWrite(t, r, s, si*maxID/4, maxID/4)
				s.wrote = s.wrote || s.inTxn
			}
		case x < 9:
			if !s.inTxn {
				s.must(t, "BEGIN")
				s.inTxn = true
			}
		case x < 11:
			if s.inTxn {
				if r.IntN(3) == 0 {
					s.must(t, "ROLLBACK")
				} else {
					s.must(t, "COMMIT")
				}
				s.inTxn, s.wrote = false, false
			}
		case x == 11:
			e.SetColumnCacheLimit(1 + int64(r.IntN(3))*16384) // evictions, refused installs
		case x == 12:
			e.SetColumnCacheLimit(1 << 30)
		default:
			if !s.inTxn {
				s.must(t, "BEGIN")
			}
			cols := colSets[r.IntN(len(colSets))]
			got, want, st := s.scanBoth(t, cols, 1+r.IntN(6))
			if msg := sameList(got, want); msg != "" {
				t.Fatalf("step %d, columns %v: column cache scan differs from Pebble: %s", step, cols, msg)
			}
			// A second scan in the same snapshot (hits what the first built).
			got, want, st2 := s.scanBoth(t, cols, 3)
			if msg := sameList(got, want); msg != "" {
				t.Fatalf("step %d, columns %v, second scan: %s", step, cols, msg)
			}
			// A range of it (the changed keys of part of a segment).
			lo := int32(r.IntN(maxID))
			got, want, st3 := s.rangeScanBoth(t, cols, lo, lo+int32(r.IntN(40)))
			if msg := sameList(got, want); msg != "" {
				t.Fatalf("step %d, columns %v, range scan: %s", step, cols, msg)
			}
			scans += 3
			cached += st.CachedSegments + st2.CachedSegments + st3.CachedSegments
			changed += st.ChangedKeys + st2.ChangedKeys + st3.ChangedKeys
			changedRead += st.ChangedRead + st2.ChangedRead + st3.ChangedRead
			if !s.inTxn {
				s.must(t, "COMMIT")
			}
		}
	}
	compactions := e.Stats().ColumnCompactions.Load()
	t.Logf("%d scans, %d segments served from the cache, %d changed keys, %d of them read from Pebble, %d compactions", scans, cached, changed, changedRead, compactions)
	if cached == 0 || changedRead == 0 || changed == changedRead || compactions == 0 {
		t.Fatal("the column cache served no segment, none with rows written since it was built from its change record and from Pebble, or never compacted one")
	}
}

// TestColumnCacheConcurrentWriters: writers commit in parallel (bounded
// in time) while readers scan in transactions; the cached scan always
// equals the Pebble scan of the same snapshot. Run it with -race.
func TestColumnCacheConcurrentWriters(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	const maxID = 600
	e, d := openColTable(t, 16, r, maxID/2, maxID)

	d.mustQuery("SET GLOBAL innodb_lock_wait_timeout = 1")
	deadline := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	var writes atomic.Int64
	for w := 0; w < 3; w++ {
		s := d.session()
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 1))
			for time.Now().Before(deadline) {
				if r.IntN(4) == 0 {
					if err := s.query("BEGIN"); err != nil {
						t.Error(err)
						return
					}
					for i := 0; i < 3; i++ {
						colWrite(t, r, s, 0, maxID)
					}
					if err := s.query("COMMIT"); err != nil {
						t.Error(err)
						return
					}
				} else {
					colWrite(t, r, s, 0, maxID)
				}
				writes.Add(1)
			}
		}(uint64(w) + 100)
	}
	var cached, scans, changed atomic.Int64
	for rd := 0; rd < 2; rd++ {
		s := d.session()
		if rd == 1 {
			s.must(t, "SET SESSION transaction_isolation = 'READ-COMMITTED'")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := s.query("BEGIN"); err != nil {
					t.Error(err)
					return
				}
				for i := 0; i < 3; i++ {
					got, want, st := s.scanBoth(t, []int{1, 2, 4}, 4)
					if msg := sameList(got, want); msg != "" {
						t.Errorf("concurrent scan differs from Pebble: %s", msg)
						return
					}
					scans.Add(1)
					cached.Add(int64(st.CachedSegments))
					changed.Add(st.ChangedKeys)
				}
				if err := s.query("COMMIT"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d writes, %d scans, %d segments from the cache, %d changed keys, %d compactions", writes.Load(), scans.Load(), cached.Load(), changed.Load(), e.Stats().ColumnCompactions.Load())
	if scans.Load() == 0 || writes.Load() == 0 {
		t.Fatal("no scans or no writes ran")
	}
}

// TestColumnCacheDDL: schema changes, TRUNCATE and DROP/CREATE never let
// a scan read vectors cached for the table's earlier definition or data.
func TestColumnCacheDDL(t *testing.T) {
	e, err := storage.Open(storage.Options{Dir: t.TempDir(), ColumnSegmentRows: 8})
	if err != nil {
		t.Fatal(err)
	}
	d := &testDB{t: t, e: e, eng: sqle.NewDefault(e.Provider()), ses: e.NewSession(sql.NewBaseSession())}
	t.Cleanup(d.close)
	d.mustQuery("CREATE DATABASE d")
	s := d.session()
	r := rand.New(rand.NewPCG(9, 9))
	fill := func() {
		var vals []string
		for id := 0; id < 60; id++ {
			vals = append(vals, colRow(r, id))
		}
		s.must(t, "INSERT INTO t VALUES "+strings.Join(vals, ","))
	}
	check := func(label string, cols []int) {
		t.Helper()
		for run := 0; run < 2; run++ {
			s.must(t, "BEGIN")
			got, want, _ := s.scanBoth(t, cols, 3)
			s.must(t, "COMMIT")
			if msg := sameList(got, want); msg != "" {
				t.Fatalf("%s (run %d): %s", label, run, msg)
			}
		}
	}
	s.must(t, colTable)
	fill()
	check("initial", []int{1, 2, 5})
	s.must(t, "ALTER TABLE t ADD COLUMN z INT DEFAULT 7 AFTER id")
	check("after ADD COLUMN", []int{1, 2, 3, 6})
	s.must(t, "ALTER TABLE t MODIFY COLUMN a VARCHAR(40)")
	check("after MODIFY", []int{2, 3})
	s.must(t, "TRUNCATE TABLE t")
	check("after TRUNCATE", []int{2, 3})
	s.must(t, "DROP TABLE t")
	s.must(t, colTable)
	fill()
	check("after DROP and CREATE", []int{1, 2, 5})
	s.must(t, "DELETE FROM t")
	check("after DELETE", []int{1, 2, 5})
}

// TestColumnCacheBulkLoad: a bulk load's ingest (which bypasses the
// commit batch) makes the table's cached segments stale; a reader whose
// snapshot predates it still reads its own snapshot.
func TestColumnCacheBulkLoad(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	e, d := openColTable(t, 8, r, 50, 100)
	reader := d.session()
	scan := func(label string, s *colSession) {
		t.Helper()
		for run := 0; run < 2; run++ {
			got, want, _ := s.scanBoth(t, []int{1, 2}, 3)
			if msg := sameList(got, want); msg != "" {
				t.Fatalf("%s (run %d): %s", label, run, msg)
			}
		}
	}
	fresh := d.session()
	fresh.must(t, "BEGIN")
	scan("before the load", fresh)
	fresh.must(t, "COMMIT")
	reader.must(t, "BEGIN")
	scan("old snapshot, before the load", reader)

	// Odd ids, bulk-loaded: they land inside every segment.
	l := newBulkLoader(t, d, "t")
	if !l.tbl.BeginBulkLoad(l.ctx) {
		t.Fatal("BeginBulkLoad refused the table")
	}
	ed := l.tbl.Inserter(l.ctx)
	ed.StatementBegin(l.ctx)
	for id := 1; id < 100; id += 2 {
		if err := ed.Insert(l.ctx, sql.Row{int32(id), int64(id), "bulk", nil, nil, nil, nil}); err != nil {
			t.Fatal(err)
		}
	}
	ed.StatementComplete(l.ctx)
	if err := ed.Close(l.ctx); err != nil {
		t.Fatal(err)
	}
	loads0 := e.Stats().BulkLoads.Load()
	l.commit()
	if e.Stats().BulkLoads.Load() == loads0 {
		t.Fatal("the load was not ingested")
	}
	scan("old snapshot, after the load", reader)
	reader.must(t, "COMMIT")
	fresh.must(t, "BEGIN")
	got, _, _ := fresh.scanBoth(t, []int{1, 2}, 3)
	fresh.must(t, "COMMIT")
	if len(got) != 100 {
		t.Fatalf("after the load the cached scan reads %d rows, want 100", len(got))
	}
	fresh.must(t, "BEGIN")
	scan("after the load", fresh)
	fresh.must(t, "COMMIT")
}

// openColTable opens an engine with column segments of segRows rows and
// creates d.t (colTable) with rows random rows from r, ids spread over
// [0, maxID): i*maxID/rows.
func openColTable(t *testing.T, segRows int, r *rand.Rand, rows, maxID int) (*storage.Engine, *testDB) {
	t.Helper()
	e, err := storage.Open(storage.Options{Dir: t.TempDir(), ColumnSegmentRows: segRows})
	if err != nil {
		t.Fatal(err)
	}
	d := &testDB{t: t, e: e, eng: sqle.NewDefault(e.Provider()), ses: e.NewSession(sql.NewBaseSession())}
	t.Cleanup(d.close)
	d.mustQuery("CREATE DATABASE d")
	d.ses.SetCurrentDatabase("d")
	d.mustQuery(colTable)
	var vals []string
	for i := 0; i < rows; i++ {
		vals = append(vals, colRow(r, i*maxID/rows))
	}
	d.mustQuery("INSERT INTO t VALUES " + strings.Join(vals, ","))
	return e, d
}

// session opens a client session of d on database d.
func (d *testDB) session() *colSession {
	s := &colSession{d: d, ses: d.e.NewSession(sql.NewBaseSession())}
	s.ses.SetCurrentDatabase("d")
	return s
}

// rangeScanBoth is scanBoth restricted to the primary key range [lo, hi].
func (s *colSession) rangeScanBoth(t testing.TB, cols []int, lo, hi int32) (got, want []string, st storage.ScanStats) {
	t.Helper()
	return s.scanBothReq(t, "range scan", cols, func(ctx *sql.Context, tbl sql.Table) storage.ScanRequest {
		idxs, err := tbl.(sql.IndexAddressableTable).GetIndexes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var pk sql.Index
		for _, ix := range idxs {
			if ix.ID() == "PRIMARY" {
				pk = ix
			}
		}
		col := pk.Expressions()[0]
		lookup, err := sql.NewMySQLIndexBuilder(pk).GreaterOrEqual(ctx, col, lo).LessOrEqual(ctx, col, hi).Build(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return storage.ScanRequest{Lookup: &lookup, Columns: cols, Parts: 1, Workers: 1}
	})
}

// TestColumnCacheRentOrBuy: a short range scan of a segment the cache
// cannot serve reads just its range while the rows such reads took since
// the segment last changed are fewer than the segment's, then reads the
// segment whole and caches it. A segment written between every scan (hot
// rows) is never read whole; an unchanged one is cached after about a
// segment's worth of range reads. Cached data then outlives writes to the
// segment: scans read the rows written since from Pebble and the rest
// from the cache, until the segment's change record overflows. Every
// scan equals the Pebble scan.
func TestColumnCacheRentOrBuy(t *testing.T) {
	const segRows = 64
	e, d := openColTable(t, segRows, rand.New(rand.NewPCG(5, 9)), 4*segRows, 4*segRows)
	s := d.session()
	cols := []int{1, 2}
	// The first scan lays out the segments (of the whole table: the
	// first segment holds about ids 0-63).
	rows := 8
	scan := func(step string) storage.ScanStats {
		got, want, st := s.rangeScanBoth(t, cols, 10, 17)
		if msg := sameList(got, want); msg != "" {
			t.Fatalf("%s: column cache range scan differs from Pebble: %s", step, msg)
		}
		if len(got) != rows {
			t.Fatalf("%s: %d rows, want %d", step, len(got), rows)
		}
		return st
	}
	expect := func(step string, st storage.ScanStats, cached int, store, changed, read int64) {
		t.Helper()
		if st.CachedSegments != cached || st.StoreRows != store || st.ChangedKeys != changed || st.ChangedRead != read {
			t.Fatalf("%s: %+v, want %d cached segments, %d store rows, %d changed keys, %d of them read", step, st, cached, store, changed, read)
		}
	}
	scan("layout")

	// Hot: before every scan, a commit overflows the segment's change
	// record (9 keys, at most segRows/8 entries), so no data built before
	// it is usable. Scans rent until the rows they read add up to the
	// segment's, then one reads it whole: at most one whole read per
	// segRows rows of part reads.
	wholes := 0
	var rented int64
	for i := 0; i < 30; i++ {
		s.must(t, fmt.Sprintf("UPDATE t SET s = 'h%d' WHERE id BETWEEN 30 AND 38", i))
		step := fmt.Sprintf("hot scan %d", i)
		st := scan(step)
		switch {
		case st.CachedSegments != 0:
			t.Fatalf("%s: %+v: served data the record lost", step, st)
		case st.StoreRows == int64(rows):
			rented += st.StoreRows
		default:
			wholes++
		}
	}
	if wholes < 1 || int64(wholes) > rented/segRows+1 {
		t.Fatalf("hot scans: %d whole reads after %d rows of part reads (segment of ~%d rows)", wholes, rented, segRows)
	}

	// Cold: no more writes. Range reads until they add up to the
	// segment's rows, then one whole read, then cache hits.
	s.must(t, "UPDATE t SET s = 'cold' WHERE id BETWEEN 30 AND 38")
	cold := func(phase string) {
		t.Helper()
		var stored int64
		cachedAt := -1
		for i := 0; i < 2*segRows/8+2 && cachedAt < 0; i++ {
			st := scan(fmt.Sprintf("%s scan %d", phase, i))
			if st.CachedSegments > 0 {
				cachedAt = i
				break
			}
			stored += st.StoreRows
		}
		if cachedAt < 1 || stored > 3*segRows {
			t.Fatalf("%s scans: cached at scan %d after %d rows read from the store (segment of ~%d rows)", phase, cachedAt, stored, segRows)
		}
		expect(phase+": cached", scan(phase+": cached"), 1, 0, 0, 0)
	}
	cold("cold")

	// Cached data outlives writes: rows written outside the range change
	// nothing; those inside it come from the segment's change record,
	// updated, deleted and inserted again.
	s.must(t, "UPDATE t SET a = 1 WHERE id = 20")
	expect("write outside the range", scan("write outside the range"), 1, 0, 0, 0)
	s.must(t, "UPDATE t SET a = 7, s = 'new' WHERE id = 12")
	expect("updated row", scan("updated row"), 1, 0, 1, 0)
	s.must(t, "DELETE FROM t WHERE id = 13")
	rows = 7
	expect("deleted row", scan("deleted row"), 1, 0, 2, 0)
	s.must(t, "INSERT INTO t (id, a, s) VALUES (13, 1, 'back')")
	rows = 8
	expect("inserted row", scan("inserted row"), 1, 0, 2, 0)
	// In a transaction that has not written: its snapshot, without
	// another session's later commit, whose row the scan reads from its
	// snapshot instead of the record.
	s.must(t, "BEGIN")
	expect("in a transaction", scan("in a transaction"), 1, 0, 2, 0)
	other := d.session()
	other.must(t, "UPDATE t SET s = 'later' WHERE id = 14")
	expect("after another session's commit", scan("after another session's commit"), 1, 1, 3, 1)
	s.must(t, "COMMIT")
	expect("after the transaction", scan("after the transaction"), 1, 0, 3, 0)

	// The record holds 4 keys now (20, 12, 13, 14) and at most 8
	// (segRows/8): a ninth key overflows it, and scans rent again until
	// the segment is cached anew.
	for id := 30; id < 35; id++ {
		s.must(t, fmt.Sprintf("UPDATE t SET s = 'full' WHERE id = %d", id))
	}
	expect("record overflowed", scan("record overflowed"), 0, 8, 0, 0)
	cold("after the overflow")

	// Compaction: once scans have taken segRows/4 changed rows instead of
	// the data's, the scan that reaches it folds the record's rows into
	// new data, and the next scans take none.
	compactions := e.Stats().ColumnCompactions.Load()
	for i := 0; i < 2; i++ {
		s.must(t, fmt.Sprintf("UPDATE t SET s = 'c%d' WHERE id BETWEEN 10 AND 17", i))
		expect(fmt.Sprintf("rewritten range %d", i), scan(fmt.Sprintf("rewritten range %d", i)), 1, 0, 8, 0)
	}
	if got := e.Stats().ColumnCompactions.Load() - compactions; got != 1 {
		t.Fatalf("%d compactions after 16 changed rows, want 1", got)
	}
	expect("compacted", scan("compacted"), 1, 0, 0, 0)
	s.must(t, "UPDATE t SET s = 'after' WHERE id = 11")
	expect("write after compacting", scan("write after compacting"), 1, 0, 1, 0)
}

// TestColumnCacheInFlightCommit: a commit whose batch is visible but that
// has not yet stamped the column cache (between applying and finishing)
// is still registered as pending, and a scan at a snapshot that sees its
// rows reads them from Pebble, not from the segment data built before.
func TestColumnCacheInFlightCommit(t *testing.T) {
	const segRows = 64
	e, d := openColTable(t, segRows, rand.New(rand.NewPCG(3, 4)), 4*segRows, 4*segRows)
	reader := d.session()
	cols := []int{1, 2}
	var seen []string
	scan := func(step string) storage.ScanStats {
		t.Helper()
		reader.must(t, "BEGIN") // a snapshot taken at the scan
		got, want, st := reader.scanBoth(t, cols, 2)
		reader.must(t, "COMMIT")
		if msg := sameList(got, want); msg != "" {
			t.Fatalf("%s: column cache scan differs from Pebble: %s", step, msg)
		}
		seen = want
		return st
	}
	scan("build")
	if st := scan("cached"); st.CachedSegments == 0 || st.StoreRows != 0 {
		t.Fatalf("cached: %+v, want every segment from the cache", st)
	}

	writer := d.session()
	for i, q := range []string{
		"UPDATE t SET a = -1, s = 'inflight' WHERE id = 12",
		"DELETE FROM t WHERE id = 70",
		"INSERT INTO t (id, a, s) VALUES (1000, 5, 'new')",
	} {
		visible, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		storage.SetCommitVisibleHook(e, func() {
			once.Do(func() {
				close(visible)
				<-release
			})
		})
		done := make(chan error, 1)
		go func() { done <- writer.query(q) }()
		select {
		case <-visible:
		case err := <-done:
			t.Fatalf("%s finished without reaching the hook: %v", q, err)
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: commit never became visible", q)
		}
		before := seen
		st := scan(fmt.Sprintf("during commit %d", i))
		close(release)
		if err := <-done; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		storage.SetCommitVisibleHook(e, nil)
		if sameList(seen, before) == "" {
			t.Fatalf("during %s: the scan's snapshot does not see the visible commit", q)
		}
		if st.ChangedKeys == 0 && st.CachedSegments > 0 {
			t.Fatalf("during %s: %+v: cached data used without reading the pending key", q, st)
		}
		scan(fmt.Sprintf("after commit %d", i))
	}
}

// TestColumnCacheFailedCommit checks that commits which fail before their
// batch is applied leave the cache as Pebble is: their keys are stamped,
// but their rows are never served, and later commits of the same keys are.
func TestColumnCacheFailedCommit(t *testing.T) {
	const segRows = 64
	e, d := openColTable(t, segRows, rand.New(rand.NewPCG(5, 6)), 4*segRows, 4*segRows)
	reader := d.session()
	cols := []int{1, 2}
	scan := func(step string) ([]string, storage.ScanStats) {
		t.Helper()
		reader.must(t, "BEGIN")
		got, want, st := reader.scanBoth(t, cols, 2)
		reader.must(t, "COMMIT")
		if msg := sameList(got, want); msg != "" {
			t.Fatalf("%s: column cache scan differs from Pebble: %s", step, msg)
		}
		return want, st
	}
	before, _ := scan("build")
	if _, st := scan("cached"); st.CachedSegments == 0 || st.StoreRows != 0 {
		t.Fatalf("cached: %+v, want every segment from the cache", st)
	}

	const touched = "SELECT id, a, s FROM t WHERE id IN (12, 70, 1000) ORDER BY id"
	untouched := fmt.Sprint(d.mustQuery(touched))
	if !strings.HasPrefix(untouched, "[[12 ") || !strings.Contains(untouched, "[70 ") || strings.Contains(untouched, "[1000 ") {
		t.Fatalf("table rows %s, want ids 12 and 70 and no 1000", untouched)
	}
	injected := errors.New("injected commit failure")
	e.InjectCommitFault(func() error { return injected })
	writer := d.session()
	writes := []string{
		"UPDATE t SET a = -1, s = 'failed' WHERE id = 12",
		"DELETE FROM t WHERE id = 70",
		"INSERT INTO t (id, a, s) VALUES (1000, 5, 'failed')",
	}
	for _, q := range writes {
		if err := writer.query(q); !errors.Is(err, injected) || !errors.Is(err, storage.ErrCommitFailed) {
			t.Fatalf("%s with failing commits: %v, want the injected error", q, err)
		}
	}
	writer.must(t, "BEGIN")
	writer.must(t, "UPDATE t SET a = -2, s = 'failtxn' WHERE id = 130")
	if err := writer.query("COMMIT"); !errors.Is(err, injected) {
		t.Fatalf("COMMIT with failing commits: %v, want the injected error", err)
	}
	e.InjectCommitFault(nil)
	// The failed COMMIT ended the transaction: the next statement
	// autocommits, and releases no lock it would still hold.
	writer.must(t, "UPDATE t SET s = 'auto' WHERE id = 131")
	other := d.session()
	other.must(t, "UPDATE t SET s = 'other' WHERE id = 130")
	other.must(t, "UPDATE t SET s = 'other' WHERE id = 131")

	after, st := scan("after failed commits")
	if st.ChangedKeys == 0 && st.StoreRows == 0 {
		t.Fatalf("after failed commits: %+v, want their stamped keys read from Pebble", st)
	}
	if msg := sameList(after, before); msg == "" {
		t.Fatal("after failed commits: the other session's updates are not seen")
	}
	if got := fmt.Sprint(d.mustQuery(touched)); got != untouched {
		t.Fatalf("after failed commits: rows %s, want %s", got, untouched)
	}
	if got := fmt.Sprint(d.mustQuery("SELECT id, s FROM t WHERE id IN (130, 131) ORDER BY id")); got != "[[130 other] [131 other]]" {
		t.Fatalf("after failed commits: rows %s, want the other session's updates", got)
	}

	// The same keys commit for real afterwards, and the cache serves that.
	writer.must(t, "UPDATE t SET a = -3, s = 'ok' WHERE id = 12")
	writer.must(t, "DELETE FROM t WHERE id = 70")
	writer.must(t, "INSERT INTO t (id, a, s) VALUES (1000, 7, 'ok')")
	final, _ := scan("after real commits")
	if sameList(final, before) == "" {
		t.Fatal("the real commits are not seen")
	}
}
