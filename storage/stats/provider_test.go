package stats

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/sql"
	gmsstats "github.com/dolthub/go-mysql-server/sql/stats"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// memStore is an in-memory Store.
type memStore struct {
	mu   sync.Mutex
	data map[string][]byte
}

func newMemStore() *memStore { return &memStore{data: make(map[string][]byte)} }

func (m *memStore) Put(key, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[string(key)] = bytes.Clone(value)
	return nil
}

func (m *memStore) Delete(key []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, string(key))
	return nil
}

func (m *memStore) Scan(prefix []byte, fn func(key, value []byte) error) error {
	m.mu.Lock()
	var keys []string
	for k := range m.data {
		if strings.HasPrefix(k, string(prefix)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	vals := make([][]byte, len(keys))
	for i, k := range keys {
		vals[i] = m.data[k]
	}
	m.mu.Unlock()
	for i, k := range keys {
		if err := fn([]byte(k), vals[i]); err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) keys(prefix string) []string {
	var out []string
	_ = m.Scan([]byte(prefix), func(k, _ []byte) error {
		out = append(out, string(k))
		return nil
	})
	return out
}

// harness is one "server process": a GMS engine over a shared memory
// database provider, with its own stats Provider over a shared Store.
type harness struct {
	t     *testing.T
	pro   *memory.DbProvider
	prov  *Provider
	eng   *sqle.Engine
	ctx   *sql.Context
	store *memStore
}

func newHarness(t *testing.T, pro *memory.DbProvider, store *memStore) *harness {
	t.Helper()
	prov := New(store)
	eng := sqle.NewDefault(pro)
	eng.Analyzer.Catalog.StatsProvider = prov
	eng.Analyzer.Catalog.MySQLDb.AddRootAccount()
	h := &harness{t: t, pro: pro, prov: prov, eng: eng, store: store}
	h.ctx = h.newCtx()
	return h
}

func newDB(dbs ...string) *memory.DbProvider {
	var list []sql.Database
	for _, name := range dbs {
		db := memory.NewDatabase(name)
		db.EnablePrimaryKeyIndexes()
		list = append(list, db)
	}
	return memory.NewDBProvider(list...)
}

func (h *harness) newCtx() *sql.Context {
	base := sql.NewBaseSessionWithClientServer("address", sql.Client{Address: "localhost", User: "root"}, 1)
	ctx := sql.NewContext(context.Background(), sql.WithSession(memory.NewSession(base, h.pro)))
	ctx.SetCurrentDatabase("mydb")
	return ctx
}

func (h *harness) query(q string) []sql.Row {
	h.t.Helper()
	ctx := h.newCtx()
	_, iter, _, err := h.eng.Query(ctx, q)
	if err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	rows, err := sql.RowIterToRows(ctx, iter)
	if err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	return rows
}

func (h *harness) analyze(table string) {
	h.t.Helper()
	rows := h.query("ANALYZE TABLE " + table)
	if len(rows) != 1 || rows[0][2] != "status" || rows[0][3] != "OK" {
		h.t.Fatalf("ANALYZE TABLE %s: %v", table, rows)
	}
}

func (h *harness) table(db, name string) sql.Table {
	h.t.Helper()
	d, err := h.pro.Database(h.ctx, db)
	if err != nil {
		h.t.Fatal(err)
	}
	tbl, ok, err := d.GetTableInsensitive(h.ctx, name)
	if err != nil || !ok {
		h.t.Fatalf("table %s.%s: %v %v", db, name, ok, err)
	}
	return tbl
}

func (h *harness) tableStats(db, name string) []sql.Statistic {
	h.t.Helper()
	st, err := h.prov.GetTableStats(h.ctx, db, h.table(db, name))
	if err != nil {
		h.t.Fatalf("GetTableStats(%s.%s): %v", db, name, err)
	}
	return st
}

func setupT(h *harness) {
	h.t.Helper()
	h.query(`CREATE TABLE t (
		id BIGINT PRIMARY KEY,
		a INT,
		b VARCHAR(20),
		c DECIMAL(10,2),
		d DATETIME(6),
		e DOUBLE,
		f VARBINARY(16),
		KEY idx_ab (a, b),
		KEY idx_c (c),
		KEY idx_d (d)
	)`)
	var vals []string
	for i := 0; i < 300; i++ {
		a := fmt.Sprint(i % 37)
		if i%10 == 0 {
			a = "NULL"
		}
		vals = append(vals, fmt.Sprintf("(%d, %s, 'v%03d', %d.%02d, '2024-01-%02d 10:%02d:%02d.%06d', %d.25, x'%04x')",
			i, a, i%50, i%97, i%100, 1+i%28, i%60, (i*7)%60, i*13, i, i))
	}
	h.query("INSERT INTO t VALUES " + strings.Join(vals, ","))
}

// assertStatsEqual compares everything a statistic carries.
func assertStatsEqual(t *testing.T, what string, want, got sql.Statistic) {
	t.Helper()
	if want.Qualifier() != got.Qualifier() {
		t.Errorf("%s: qualifier %v != %v", what, got.Qualifier(), want.Qualifier())
	}
	if !reflect.DeepEqual(want.Columns(), got.Columns()) {
		t.Errorf("%s: columns %v != %v", what, got.Columns(), want.Columns())
	}
	if want.RowCount() != got.RowCount() || want.DistinctCount() != got.DistinctCount() ||
		want.NullCount() != got.NullCount() || want.AvgSize() != got.AvgSize() || want.IndexClass() != got.IndexClass() {
		t.Errorf("%s: counts (%d,%d,%d,%d,%d) != (%d,%d,%d,%d,%d)", what,
			got.RowCount(), got.DistinctCount(), got.NullCount(), got.AvgSize(), got.IndexClass(),
			want.RowCount(), want.DistinctCount(), want.NullCount(), want.AvgSize(), want.IndexClass())
	}
	if !want.CreatedAt().Equal(got.CreatedAt()) {
		t.Errorf("%s: created %v != %v", what, got.CreatedAt(), want.CreatedAt())
	}
	if len(want.Types()) != len(got.Types()) {
		t.Errorf("%s: %d types != %d", what, len(got.Types()), len(want.Types()))
	} else {
		for i := range want.Types() {
			if want.Types()[i].String() != got.Types()[i].String() {
				t.Errorf("%s: type %d %s != %s", what, i, got.Types()[i], want.Types()[i])
			}
		}
	}
	if !reflect.DeepEqual(want.LowerBound(), got.LowerBound()) {
		t.Errorf("%s: lower bound %#v != %#v", what, got.LowerBound(), want.LowerBound())
	}
	wh, gh := want.Histogram(), got.Histogram()
	if len(wh) != len(gh) {
		t.Fatalf("%s: %d buckets != %d", what, len(gh), len(wh))
	}
	for i := range wh {
		w, g := wh[i], gh[i]
		if w.RowCount() != g.RowCount() || w.DistinctCount() != g.DistinctCount() || w.NullCount() != g.NullCount() || w.BoundCount() != g.BoundCount() {
			t.Errorf("%s: bucket %d counts differ", what, i)
		}
		if !reflect.DeepEqual(w.UpperBound(), g.UpperBound()) {
			t.Errorf("%s: bucket %d upper bound %#v != %#v", what, i, g.UpperBound(), w.UpperBound())
		}
		if !reflect.DeepEqual(w.McvCounts(), g.McvCounts()) || !reflect.DeepEqual(w.Mcvs(), g.Mcvs()) {
			t.Errorf("%s: bucket %d mcvs %#v/%v != %#v/%v", what, i, g.Mcvs(), g.McvCounts(), w.Mcvs(), w.McvCounts())
		}
	}
	if (want.FuncDeps() == nil) != (got.FuncDeps() == nil) || (got.FuncDeps() != nil && want.FuncDeps().String() != got.FuncDeps().String()) {
		t.Errorf("%s: fds %v != %v", what, got.FuncDeps(), want.FuncDeps())
	}
	if want.ColSet() != got.ColSet() {
		t.Errorf("%s: colset %v != %v", what, got.ColSet(), want.ColSet())
	}
}

func assertAllEqual(t *testing.T, want, got []sql.Statistic) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%d statistics != %d", len(got), len(want))
	}
	for i := range want {
		assertStatsEqual(t, fmt.Sprintf("%s(%s)", want[i].Qualifier(), strings.Join(want[i].Columns(), ",")), want[i], got[i])
	}
}

// columnStatistics returns information_schema.column_statistics with the
// histogram rendered as JSON text.
func (h *harness) columnStatistics() []string {
	h.t.Helper()
	var out []string
	for _, r := range h.query("SELECT schema_name, table_name, column_name, histogram FROM information_schema.column_statistics ORDER BY 1, 2, 3") {
		js, err := types.MarshallJson(r[3].(sql.JSONWrapper))
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%v|%v|%v|%s", r[0], r[1], r[2], js))
	}
	return out
}

func TestAnalyzePersistsAndReloads(t *testing.T) {
	pro, store := newDB("mydb"), newMemStore()
	h1 := newHarness(t, pro, store)
	setupT(h1)
	h1.analyze("t")

	got1 := h1.tableStats("mydb", "t")
	// idx_ab gives (a) and (a,b); primary, idx_c and idx_d one each.
	if len(got1) != 5 {
		t.Fatalf("got %d statistics, want 5", len(got1))
	}
	if n := len(store.keys("stats/mydb/t/")); n != 5 {
		t.Fatalf("%d records stored, want 5: %v", n, store.keys(""))
	}
	for _, s := range got1 {
		if s.RowCount() != 300 || len(s.Histogram()) == 0 {
			t.Errorf("%s: row count %d, %d buckets", s.Qualifier(), s.RowCount(), len(s.Histogram()))
		}
	}

	// What GMS builds itself (a 300-row table is sampled completely, so this
	// is deterministic): the persisted statistics must be identical, value
	// types included, except for the creation time.
	ref := memory.NewStatsProv()
	if err := ref.AnalyzeTable(h1.ctx, h1.table("mydb", "t"), "mydb"); err != nil {
		t.Fatal(err)
	}
	refStats, err := ref.GetTableStats(h1.ctx, "mydb", h1.table("mydb", "t"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(refStats, func(i, j int) bool {
		return string(statKey(refStats[i].Qualifier(), refStats[i].Columns())) < string(statKey(refStats[j].Qualifier(), refStats[j].Columns()))
	})
	for i := range refStats {
		s := *refStats[i].(*gmsstats.Statistic)
		s.Created = got1[i].CreatedAt()
		refStats[i] = &s
	}
	assertAllEqual(t, refStats, got1)

	// "Restart": a new provider (and engine) over the same store.
	h2 := newHarness(t, pro, store)
	got2 := h2.tableStats("mydb", "t")
	assertAllEqual(t, got1, got2)

	for _, s := range got1 {
		a, ok1 := h1.prov.GetStats(h1.ctx, s.Qualifier(), s.Columns())
		b, ok2 := h2.prov.GetStats(h2.ctx, s.Qualifier(), s.Columns())
		if !ok1 || !ok2 {
			t.Fatalf("GetStats(%s %v): %v %v", s.Qualifier(), s.Columns(), ok1, ok2)
		}
		if a.FuncDeps() == nil || b.FuncDeps() == nil {
			t.Fatal("GetStats returned nil functional dependencies")
		}
		assertStatsEqual(t, "GetStats "+s.Qualifier().String(), a, b)
	}
	// Column and qualifier case do not matter.
	if _, ok := h2.prov.GetStats(h2.ctx, sql.StatQualifier{Database: "MyDB", Tab: "T", Idx: "IDX_AB"}, []string{"A", "B"}); !ok {
		t.Error("GetStats is case sensitive")
	}

	cs1, cs2 := h1.columnStatistics(), h2.columnStatistics()
	if len(cs1) != 5 {
		t.Fatalf("information_schema.column_statistics has %d rows, want 5: %v", len(cs1), cs1)
	}
	if !reflect.DeepEqual(cs1, cs2) {
		t.Errorf("column_statistics differ after reload:\n%v\n%v", cs1, cs2)
	}

	// The optimizer uses the reloaded statistics and gets the same answers
	// as an engine without statistics.
	base := &harness{t: t, pro: pro, eng: sqle.NewDefault(pro)}
	base.eng.Analyzer.Catalog.MySQLDb.AddRootAccount()
	base.ctx = base.newCtx()
	for _, q := range []string{
		"SELECT count(*) FROM t WHERE a = 5",
		"SELECT count(*) FROM t WHERE a > 30 AND b < 'v020'",
		"SELECT count(*) FROM t WHERE c BETWEEN 10 AND 20",
		"SELECT count(*) FROM t WHERE d >= '2024-01-27'",
		"SELECT count(*) FROM t WHERE id = 17",
		"SELECT count(*) FROM t t1 JOIN t t2 ON t1.a = t2.a WHERE t1.id < 10",
	} {
		want := base.query(q)
		if r1, r2 := h1.query(q), h2.query(q); !reflect.DeepEqual(r1, want) || !reflect.DeepEqual(r2, want) {
			t.Errorf("%s: %v / %v, want %v", q, r1, r2, want)
		}
	}
}

// TestAnalyzeSkipsSpatialIndexes: ANALYZE of a table with a SPATIAL index
// builds the other indexes' statistics (none over geometries, which GMS's
// builder cannot order).
func TestAnalyzeSkipsSpatialIndexes(t *testing.T) {
	h := newHarness(t, newDB("mydb"), newMemStore())
	h.query("CREATE TABLE g (id INT PRIMARY KEY, a INT, p GEOMETRY NOT NULL SRID 0, INDEX ia (a), SPATIAL INDEX sp (p))")
	for i := 0; i < 50; i++ {
		h.query(fmt.Sprintf("INSERT INTO g VALUES (%d, %d, LINESTRING(POINT(%d, 0), POINT(0, %d)))", i, i%7, i, i+1))
	}
	h.analyze("g")
	var got []string
	for _, s := range h.tableStats("mydb", "g") {
		got = append(got, s.Qualifier().Index())
	}
	sort.Strings(got)
	if fmt.Sprint(got) != "[ia primary]" {
		t.Errorf("statistics for %v, want [ia primary]", got)
	}
}
