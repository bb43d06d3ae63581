package stats

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	gmsstats "github.com/dolthub/go-mysql-server/sql/stats"
)

func statNames(stats []sql.Statistic) []string {
	var out []string
	for _, s := range stats {
		out = append(out, s.Qualifier().String()+"("+strings.ToLower(strings.Join(s.Columns(), ","))+")")
	}
	return out
}

func assertNames(t *testing.T, what string, got []sql.Statistic, want ...string) {
	t.Helper()
	if g := statNames(got); !reflect.DeepEqual(g, want) && !(len(g) == 0 && len(want) == 0) {
		t.Errorf("%s: statistics %v, want %v", what, g, want)
	}
}

func setupSmall(h *harness, db, table string) {
	h.t.Helper()
	h.query("CREATE TABLE " + db + "." + table + " (id INT PRIMARY KEY, a INT, KEY ia (a))")
	h.query("INSERT INTO " + db + "." + table + " VALUES (1, 10), (2, 20), (3, 30), (4, 30)")
}

func TestDropStatsPersists(t *testing.T) {
	pro, store := newDB("mydb", "other"), newMemStore()
	h := newHarness(t, pro, store)
	setupSmall(h, "mydb", "t")
	setupSmall(h, "mydb", "t2") // shares the "t" name prefix
	setupSmall(h, "other", "t")
	h.analyze("t")
	h.analyze("t2")
	h.analyze("other.t")
	all := []string{"mydb.t.ia(a)", "mydb.t.primary(id)"}
	assertNames(t, "mydb.t", h.tableStats("mydb", "t"), all...)
	assertNames(t, "mydb.t2", h.tableStats("mydb", "t2"), "mydb.t2.ia(a)", "mydb.t2.primary(id)")
	// ANALYZE TABLE other.t from mydb is stored under other, not the
	// session's database.
	assertNames(t, "other.t", h.tableStats("other", "t"), "other.t.ia(a)", "other.t.primary(id)")

	// ANALYZE TABLE ... DROP HISTOGRAM goes through DropStats with an empty
	// index: exactly the (a) column list goes, for every index.
	rows := h.query("ANALYZE TABLE t DROP HISTOGRAM ON a")
	if rows[0][3] != "OK" {
		t.Fatalf("drop histogram: %v", rows)
	}
	assertNames(t, "after drop histogram", h.tableStats("mydb", "t"), "mydb.t.primary(id)")
	assertNames(t, "after drop histogram, reloaded", newHarness(t, pro, store).tableStats("mydb", "t"), "mydb.t.primary(id)")
	assertNames(t, "t2 untouched", newHarness(t, pro, store).tableStats("mydb", "t2"), "mydb.t2.ia(a)", "mydb.t2.primary(id)")

	// Dropping a table's statistics, as the storage layer does on DROP TABLE.
	if err := h.prov.DropStats(h.ctx, sql.StatQualifier{Database: "MyDB", Tab: "T"}, nil); err != nil {
		t.Fatal(err)
	}
	assertNames(t, "after DropStats", h.tableStats("mydb", "t"))
	h2 := newHarness(t, pro, store)
	assertNames(t, "after DropStats, reloaded", h2.tableStats("mydb", "t"))
	assertNames(t, "t2 after DropStats(t)", h2.tableStats("mydb", "t2"), "mydb.t2.ia(a)", "mydb.t2.primary(id)")
	if keys := store.keys("stats/mydb/t/"); len(keys) != 0 {
		t.Errorf("keys left: %v", keys)
	}

	// By index only.
	if err := h2.prov.DropStats(h2.ctx, sql.StatQualifier{Database: "mydb", Tab: "t2", Idx: "IA"}, nil); err != nil {
		t.Fatal(err)
	}
	assertNames(t, "t2 after dropping ia", newHarness(t, pro, store).tableStats("mydb", "t2"), "mydb.t2.primary(id)")

	// A whole database, as on DROP DATABASE.
	if err := h2.prov.DropDbStats(h2.ctx, "MYDB", true); err != nil {
		t.Fatal(err)
	}
	assertNames(t, "mydb.t2 after DropDbStats", h2.tableStats("mydb", "t2"))
	h3 := newHarness(t, pro, store)
	assertNames(t, "mydb.t2 after DropDbStats, reloaded", h3.tableStats("mydb", "t2"))
	assertNames(t, "other.t after DropDbStats(mydb)", h3.tableStats("other", "t"), "other.t.ia(a)", "other.t.primary(id)")
	if keys := store.keys(""); len(keys) != 2 || !strings.HasPrefix(keys[0], "stats/other/t/") {
		t.Errorf("keys left: %v", keys)
	}
}

func TestUpdateHistogramPersists(t *testing.T) {
	pro, store := newDB("mydb"), newMemStore()
	h := newHarness(t, pro, store)
	setupSmall(h, "mydb", "t")
	rows := h.query(`ANALYZE TABLE t UPDATE HISTOGRAM ON (a) USING DATA '{"row_count": 40, "distinct_count": 40, "null_count": 1, "buckets": [{"row_count": 20, "distinct_count": 20, "upper_bound": [50], "bound_count": 1, "mcvs": [[7]], "mcv_counts": [3]}, {"row_count": 20, "distinct_count": 20, "upper_bound": [80], "bound_count": 1}]}'`)
	if rows[0][3] != "OK" {
		t.Fatalf("update histogram: %v", rows)
	}
	before := h.tableStats("mydb", "t")
	assertNames(t, "after update", before, "mydb.t.primary(a)")
	if b := before[0].Histogram()[0]; !reflect.DeepEqual(b.UpperBound(), sql.Row{float64(50)}) || !reflect.DeepEqual(b.Mcvs(), []sql.Row{{float64(7)}}) {
		t.Errorf("bucket 0: %#v %#v", b.UpperBound(), b.Mcvs())
	}
	h2 := newHarness(t, pro, store)
	assertAllEqual(t, before, h2.tableStats("mydb", "t"))
	if cs1, cs2 := h.columnStatistics(), h2.columnStatistics(); !reflect.DeepEqual(cs1, cs2) || len(cs1) != 1 {
		t.Errorf("column_statistics: %v / %v", cs1, cs2)
	}

	// ANALYZE TABLE replaces everything stored for the table.
	h2.analyze("t")
	assertNames(t, "after analyze", h2.tableStats("mydb", "t"), "mydb.t.ia(a)", "mydb.t.primary(id)")
	assertNames(t, "after analyze, reloaded", newHarness(t, pro, store).tableStats("mydb", "t"), "mydb.t.ia(a)", "mydb.t.primary(id)")
}

func TestAnalyzeEmptyTable(t *testing.T) {
	pro, store := newDB("mydb"), newMemStore()
	h := newHarness(t, pro, store)
	setupSmall(h, "mydb", "t")
	h.analyze("t")
	assertNames(t, "analyzed", h.tableStats("mydb", "t"), "mydb.t.ia(a)", "mydb.t.primary(id)")
	h.query("DELETE FROM t")
	h.analyze("t") // memory.StatsProv alone panics on an empty table
	assertNames(t, "empty", h.tableStats("mydb", "t"))
	if keys := store.keys(""); len(keys) != 0 {
		t.Errorf("keys left: %v", keys)
	}
}

func TestRowCountDelegatesToTable(t *testing.T) {
	pro, store := newDB("mydb"), newMemStore()
	h := newHarness(t, pro, store)
	setupSmall(h, "mydb", "t")
	h.analyze("t")
	h.query("INSERT INTO t VALUES (5, 50), (6, 60)")
	tbl := h.table("mydb", "t")
	// The table is a sql.StatisticsTable: its live count wins over the
	// 4 rows recorded by ANALYZE.
	if n, err := h.prov.RowCount(h.ctx, "mydb", tbl); err != nil || n != 6 {
		t.Errorf("RowCount = %d, %v; want 6", n, err)
	}
	want, _ := tbl.(sql.StatisticsTable).DataLength(h.ctx)
	if n, err := h.prov.DataLength(h.ctx, "mydb", tbl); err != nil || n != want {
		t.Errorf("DataLength = %d, %v; want %d", n, err, want)
	}
	// Without sql.StatisticsTable the persisted statistics answer.
	plain := plainTable{tbl}
	if n, err := newHarness(t, pro, store).prov.RowCount(h.ctx, "mydb", plain); err != nil || n != 4 {
		t.Errorf("RowCount(plain) = %d, %v; want 4", n, err)
	}
}

// plainTable hides everything but sql.Table.
type plainTable struct{ sql.Table }

func TestCorruptRecord(t *testing.T) {
	pro, store := newDB("mydb"), newMemStore()
	h := newHarness(t, pro, store)
	setupSmall(h, "mydb", "t")
	h.analyze("t")
	key := "stats/mydb/t/ia/a"
	good := store.data[key]
	if good == nil {
		t.Fatalf("no record under %q: %v", key, store.keys(""))
	}
	replace := func(old, new string) []byte {
		if !strings.Contains(string(good), old) {
			t.Fatalf("record has no %q: %s", old, good)
		}
		return []byte(strings.Replace(string(good), old, new, 1))
	}
	for name, bad := range map[string][]byte{
		"garbage":        []byte("\x00\xffnot json"),
		"truncated":      good[:len(good)/2],
		"empty":          {},
		"version":        replace(`"v":1`, `"v":99`),
		"wrong key":      replace(`"index":"ia"`, `"index":"ib"`),
		"value tag":      replace(`["i32",`, `["zz",`),
		"value text":     replace(`["i32","`, `["i32","x`),
		"value shape":    replace(`["i32",`, `["i32","1",`),
		"types":          replace(`"types":["int"]`, `"types":[]`),
		"created":        replace(`"created_at":"`, `"created_at":"x`),
		"bucket numbers": replace(`"row_count":`, `"row_count":-`),
	} {
		t.Run(name, func(t *testing.T) {
			store.data[key] = bad
			h := newHarness(t, pro, store)
			_, err := h.prov.GetTableStats(h.ctx, "mydb", h.table("mydb", "t"))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("GetTableStats error = %v, want ErrCorrupt", err)
			}
			if s, ok := h.prov.GetStats(h.ctx, sql.StatQualifier{Database: "mydb", Tab: "t", Idx: "ia"}, []string{"a"}); ok || s != nil {
				t.Errorf("GetStats = %v, %v", s, ok)
			}
			if _, err = h.prov.RowCount(h.ctx, "mydb", plainTable{h.table("mydb", "t")}); !errors.Is(err, ErrCorrupt) {
				t.Errorf("RowCount error = %v", err)
			}
			// Queries that cost the table's indexes report the error (the
			// optimizer propagates GetTableStats errors).
			ctx := h.newCtx()
			var iter sql.RowIter
			_, iter, _, err = h.eng.Query(ctx, "SELECT * FROM t WHERE a = 10")
			if err == nil {
				_, err = sql.RowIterToRows(ctx, iter)
			}
			if !errors.Is(err, ErrCorrupt) && (err == nil || !strings.Contains(err.Error(), "corrupt")) {
				t.Errorf("query error = %v", err)
			}
			// ANALYZE TABLE repairs it.
			h.analyze("t")
			assertNames(t, "repaired", h.tableStats("mydb", "t"), "mydb.t.ia(a)", "mydb.t.primary(id)")
			assertNames(t, "repaired, reloaded", newHarness(t, pro, store).tableStats("mydb", "t"), "mydb.t.ia(a)", "mydb.t.primary(id)")
			// So does dropping the statistics, which does not decode them.
			store.data[key] = bad
			h = newHarness(t, pro, store)
			if err := h.prov.DropStats(h.ctx, sql.StatQualifier{Database: "mydb", Tab: "t"}, nil); err != nil {
				t.Fatal(err)
			}
			assertNames(t, "dropped", h.tableStats("mydb", "t"))
			h.analyze("t")
			good = store.data[key]
		})
	}
}

func TestStaleStatisticsSkipped(t *testing.T) {
	pro, store := newDB("mydb"), newMemStore()
	h := newHarness(t, pro, store)
	h.query("CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, KEY ia (a), KEY ib (b))")
	h.query("INSERT INTO t VALUES (1, 1, 1), (2, 2, 2)")
	h.analyze("t")
	// Columns changed behind the provider's back (the storage layer should
	// have called DropStats): a dropped column's statistic and one whose
	// column type changed are not handed out.
	h.query("ALTER TABLE t DROP INDEX ib")
	h.query("ALTER TABLE t DROP COLUMN b")
	h.query("ALTER TABLE t MODIFY COLUMN a BIGINT")
	h2 := newHarness(t, pro, store)
	assertNames(t, "stale", h2.tableStats("mydb", "t"), "mydb.t.primary(id)")
	h2.query("SELECT * FROM t WHERE a = 1")
}

func TestGetStatsWithoutTable(t *testing.T) {
	pro, store := newDB("mydb"), newMemStore()
	h := newHarness(t, pro, store)
	setupSmall(h, "mydb", "t")
	h.analyze("t")
	p := New(store)
	s, ok := p.GetStats(h.ctx, sql.NewStatQualifier("mydb", "", "t", "ia"), []string{"a"})
	if !ok {
		t.Fatal("not found")
	}
	if len(s.Types()) != 1 || s.Types()[0].String() != "int" || s.FuncDeps() == nil {
		t.Errorf("types %v, fds %v", s.Types(), s.FuncDeps())
	}
	if _, ok := p.GetStats(h.ctx, sql.NewStatQualifier("mydb", "", "t", "ia"), []string{"id"}); ok {
		t.Error("found statistics for a column list that has none")
	}
	if _, ok := s.(*gmsstats.Statistic); !ok {
		t.Errorf("GetStats returned %T", s)
	}
}

func TestConcurrentUse(t *testing.T) {
	pro, store := newDB("mydb"), newMemStore()
	h := newHarness(t, pro, store)
	setupSmall(h, "mydb", "t")
	setupSmall(h, "mydb", "t2")
	tables := []sql.Table{h.table("mydb", "t"), h.table("mydb", "t2")}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			ctx := h.newCtx()
			tbl := tables[g%2]
			for i := 0; i < 20; i++ {
				switch (g + i) % 4 {
				case 0:
					if err := h.prov.AnalyzeTable(ctx, tbl, "mydb"); err != nil {
						t.Error(err)
					}
				case 1:
					if _, err := h.prov.GetTableStats(ctx, "mydb", tbl); err != nil {
						t.Error(err)
					}
				case 2:
					h.prov.GetStats(ctx, sql.NewStatQualifier("mydb", "", tbl.Name(), "ia"), []string{"a"})
				case 3:
					if err := h.prov.DropStats(ctx, sql.StatQualifier{Database: "mydb", Tab: tbl.Name(), Idx: "ia"}, nil); err != nil {
						t.Error(err)
					}
				}
			}
		}(g)
	}
	wg.Wait()
	// Cache and store agree.
	for _, tbl := range tables {
		assertAllEqual(t, h.tableStats("mydb", tbl.Name()), newHarness(t, pro, store).tableStats("mydb", tbl.Name()))
	}
}
