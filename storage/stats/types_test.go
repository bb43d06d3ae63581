package stats

import (
	"fmt"
	"strings"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/sql"
)

// TestIndexedColumnTypes analyzes indexes over many column types and checks
// that the reloaded statistics are identical.
func TestIndexedColumnTypes(t *testing.T) {
	pro, store := newDB("mydb"), newMemStore()
	h := newHarness(t, pro, store)
	h.query(`CREATE TABLE ty (
		id INT PRIMARY KEY,
		u BIGINT UNSIGNED, ti TINYINT, f FLOAT, dt DATE, tm TIME(6), y YEAR,
		e ENUM('x','y','z'), s SET('p','q'), bt BIT(7), ch CHAR(4), bo BOOLEAN, ts TIMESTAMP(3),
		KEY (u), KEY (ti), KEY (f), KEY (dt), KEY (tm), KEY (y), KEY (e), KEY (s), KEY (bt), KEY (ch), KEY (bo), KEY (ts), KEY (u, e, dt)
	)`)
	var vals []string
	for i := 0; i < 120; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d, %d, %d.5, '2023-%02d-%02d', '%02d:%02d:01.25', %d, '%s', '%s', %d, 'c%d', %d, '2020-01-01 00:00:%02d.125')",
			i, uint64(1<<63)+uint64(i*3), i%100-50, i, 1+i%12, 1+i%28, i%24, i%60, 1990+i%30, []string{"x", "y", "z"}[i%3], []string{"p", "q", "p,q"}[i%3], i%128, i%9, i%2, i%60))
	}
	h.query("INSERT INTO ty VALUES " + strings.Join(vals, ","))
	h.analyze("ty")
	got1 := h.tableStats("mydb", "ty")
	if len(got1) != 16 {
		t.Fatalf("%d statistics: %v", len(got1), statNames(got1))
	}
	h2 := newHarness(t, pro, store)
	assertAllEqual(t, got1, h2.tableStats("mydb", "ty"))
	if cs1, cs2 := h.columnStatistics(), h2.columnStatistics(); fmt.Sprint(cs1) != fmt.Sprint(cs2) {
		t.Errorf("column_statistics differ:\n%v\n%v", cs1, cs2)
	}
	for _, q := range []string{"SELECT count(*) FROM ty WHERE u > 9223372036854775900", "SELECT count(*) FROM ty WHERE e = 'y' AND dt < '2023-06-01'", "SELECT count(*) FROM ty WHERE tm BETWEEN '03:00:00' AND '05:00:00'"} {
		if a, b := h.query(q), h2.query(q); fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: %v != %v", q, a, b)
		}
	}
}

// TestBinaryIndex: memory.StatsProv compares key values with ==, which
// panics for []byte; the provider presents them to it as strings and
// restores them.
func TestBinaryIndex(t *testing.T) {
	pro, store := newDB("mydb"), newMemStore()
	h := newHarness(t, pro, store)
	h.query("CREATE TABLE tb (id VARBINARY(16) PRIMARY KEY, b BLOB, n INT, KEY (b(4)), KEY (n, id))")
	h.query("INSERT INTO tb VALUES (x'01', x'0a', 1), (x'02', x'0b', 2), (x'03', x'0b', 2), (x'ff00', NULL, 3)")
	h.analyze("tb")
	st := h.tableStats("mydb", "tb")
	if len(st) != 4 {
		t.Fatalf("statistics %v", statNames(st))
	}
	for _, s := range st {
		for _, b := range s.Histogram() {
			for i, v := range b.UpperBound() {
				if _, isStr := v.(string); isStr {
					t.Errorf("%s: bound %d is a string: %#v", s.Qualifier(), i, b.UpperBound())
				}
			}
		}
	}
	assertAllEqual(t, st, newHarness(t, pro, store).tableStats("mydb", "tb"))

	base := &harness{t: t, pro: pro, eng: sqle.NewDefault(pro)}
	base.eng.Analyzer.Catalog.MySQLDb.AddRootAccount()
	for _, q := range []string{"SELECT hex(id) FROM tb WHERE id = x'02'", "SELECT count(*) FROM tb WHERE id > x'01'", "SELECT hex(id) FROM tb WHERE n = 2 AND id < x'03'"} {
		if want, got := base.query(q), h.query(q); fmt.Sprint(want) != fmt.Sprint(got) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
}

func TestWithBuilder(t *testing.T) {
	pro, store := newDB("mydb"), newMemStore()
	h := newHarness(t, pro, store)
	calls := 0
	h.prov = New(store, WithBuilder(func() sql.StatsProvider { calls++; return memory.NewStatsProv() }))
	h.eng.Analyzer.Catalog.StatsProvider = h.prov
	setupSmall(h, "mydb", "t")
	h.analyze("t")
	if calls != 1 {
		t.Errorf("builder called %d times", calls)
	}
	assertAllEqual(t, h.tableStats("mydb", "t"), newHarness(t, pro, store).tableStats("mydb", "t"))
}
