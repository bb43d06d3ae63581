package storage_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
)

// vecDistances evaluates q (whose rows are id, v) and returns, per row,
// the squared L2 distance of v to target computed here (-Inf for NULL),
// checking that the rows come nearest first.
func vecDistances(t *testing.T, d *testDB, q string, target []float64) []float64 {
	t.Helper()
	rows, err := d.query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out []float64
	for _, r := range rows {
		dist := math.Inf(-1)
		if r[1] != nil {
			v, err := sql.ConvertToVector(r[1])
			if err != nil {
				t.Fatalf("%s: row %v: %v", q, r, err)
			}
			dist = 0
			for i := range v {
				dist += (v[i] - target[i]) * (v[i] - target[i])
			}
		}
		if n := len(out); n > 0 && dist < out[n-1] {
			t.Fatalf("%s: rows not nearest first: %v", q, rows)
		}
		out = append(out, dist)
	}
	return out
}

func randVec(rng *rand.Rand) string {
	return fmt.Sprintf("[%.3f,%.3f,%.3f]", rng.Float64()*20-10, rng.Float64()*20-10, rng.Float64()*20-10)
}

// TestVectorIndexDifferential compares ORDER BY VEC_DISTANCE(...) LIMIT n
// answered by a VECTOR index lookup (with a primary key, keyless with
// duplicates, and an index added to a filled table) with the same query on
// a table without the index, across writes and a rolled-back transaction:
// the same distances in the same order (rows at equal distances may
// differ), NULL vectors first.
func TestVectorIndexDifferential(t *testing.T) {
	d := openDatabase(t, "vec")
	d.mustQuery("CREATE TABLE plain (id INT PRIMARY KEY, v JSON)")
	d.mustQuery("CREATE TABLE idx (id INT PRIMARY KEY, v JSON, VECTOR INDEX vi (v))")
	d.mustQuery("CREATE TABLE kl (id INT, v JSON)")
	d.mustQuery("CREATE VECTOR INDEX vk ON kl (v)")
	d.mustQuery("CREATE TABLE late (id INT PRIMARY KEY, v JSON)")
	tables := []string{"plain", "idx", "kl", "late"}
	rng := rand.New(rand.NewSource(5))
	exec := func(q string) {
		t.Helper()
		for _, tb := range tables {
			if tb == "kl" && strings.HasPrefix(q, "INSERT") {
				// Keyless: every row twice.
				d.mustQuery(strings.ReplaceAll(q, "$t", tb))
			}
			d.mustQuery(strings.ReplaceAll(q, "$t", tb))
		}
	}
	var vals []string
	for i := 0; i < 200; i++ {
		v := "'" + randVec(rng) + "'"
		if i%37 == 0 {
			v = "NULL"
		}
		vals = append(vals, fmt.Sprintf("(%d, %s)", i, v))
	}
	exec("INSERT INTO $t VALUES " + strings.Join(vals, ", "))
	d.mustQuery("CREATE VECTOR INDEX vl ON late (v)")

	check := func(round int) {
		t.Helper()
		if err := d.e.CheckConsistency(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for q := 0; q < 8; q++ {
			target := []float64{rng.Float64()*20 - 10, rng.Float64()*20 - 10, rng.Float64()*20 - 10}
			lit := fmt.Sprintf("'[%g,%g,%g]'", target[0], target[1], target[2])
			order := []string{"VEC_DISTANCE(%s, v)", "VEC_DISTANCE(v, %s)", "VEC_DISTANCE_L2_SQUARED(%s, v)"}[q%3]
			for _, k := range []int{0, 1, 5, 50, 1000} {
				tail := fmt.Sprintf(" ORDER BY "+order+" LIMIT %d", lit, k)
				want := vecDistances(t, d, "SELECT id, v FROM plain"+tail, target)
				for _, tb := range tables[1:] {
					got := vecDistances(t, d, "SELECT id, v FROM "+tb+tail, target)
					if tb == "kl" {
						// Each row twice: the first k of the doubled list.
						var dbl []float64
						for _, x := range vecDistances(t, d, "SELECT id, v FROM plain ORDER BY "+fmt.Sprintf(order, lit), target) {
							dbl = append(dbl, x, x)
						}
						if k < len(dbl) {
							dbl = dbl[:k]
						}
						if fmt.Sprint(got) != fmt.Sprint(dbl) {
							t.Fatalf("round %d, kl%s:\n got %v\nwant %v", round, tail, got, dbl)
						}
						continue
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("round %d, %s%s:\n got %v\nwant %v", round, tb, tail, got, want)
					}
				}
			}
		}
	}
	check(0)

	for i := 0; i < 80; i++ {
		id := rng.Intn(200)
		switch rng.Intn(3) {
		case 0:
			exec(fmt.Sprintf("UPDATE $t SET v = '%s' WHERE id = %d", randVec(rng), id))
		case 1:
			exec(fmt.Sprintf("DELETE FROM $t WHERE id = %d", id))
		case 2:
			exec(fmt.Sprintf("INSERT INTO $t VALUES (%d, '%s')", 300+i, randVec(rng)))
		}
	}
	check(1)

	// A transaction's own rows are candidates; rolled back, they are gone.
	d.mustQuery("BEGIN")
	exec("INSERT INTO $t VALUES (5000, '[100,100,100]')")
	for _, tb := range tables[1:] {
		// NULL vectors come first, then the nearest.
		var nearest any
		for _, r := range d.mustQuery("SELECT id, v FROM " + tb + " ORDER BY VEC_DISTANCE('[100,100,100]', v) LIMIT 20") {
			if r[1] != nil {
				nearest = r[0]
				break
			}
		}
		if fmt.Sprint(nearest) != "5000" {
			t.Fatalf("in the transaction, %s: nearest %v, want 5000", tb, nearest)
		}
	}
	d.mustQuery("ROLLBACK")
	check(2)
}

// TestVectorIndexPlan: the lookup shows in EXPLAIN (index, order and
// limit) and only ORDER BY a VEC_DISTANCE to a constant with a LIMIT uses
// it; a vector of another length fails the statement as the sort does;
// SHOW CREATE TABLE and SHOW INDEX list the index.
func TestVectorIndexPlan(t *testing.T) {
	d := openDatabase(t, "vec")
	d.mustQuery("CREATE TABLE t (id INT PRIMARY KEY, v JSON, w JSON)")
	d.mustQuery("INSERT INTO t VALUES (1, '[1,1]', '[0,0]'), (2, '[0,0]', '[5,5]'), (3, NULL, NULL)")
	d.mustQuery("CREATE VECTOR INDEX vi ON t (v)")
	plan := func(q string) string {
		var b strings.Builder
		for _, r := range d.mustQuery("EXPLAIN PLAN " + q) {
			b.WriteString(fmt.Sprint(r[0]) + "\n")
		}
		return b.String()
	}
	p := plan("SELECT id FROM t ORDER BY VEC_DISTANCE('[0,0]', v) LIMIT 2")
	if !strings.Contains(p, "IndexedTableAccess(t)") || !strings.Contains(p, "index: [t.v]") || !strings.Contains(p, "order: VEC_DISTANCE_L2_SQUARED('[0,0]', t.v) LIMIT 2") {
		t.Errorf("vector lookup not shown:\n%s", p)
	}
	for _, q := range []string{
		"SELECT id FROM t ORDER BY VEC_DISTANCE('[0,0]', v)",         // no limit
		"SELECT id FROM t ORDER BY VEC_DISTANCE('[0,0]', w) LIMIT 2", // another column
		"SELECT id FROM t ORDER BY VEC_DISTANCE(v, w) LIMIT 2",       // not a constant
		"SELECT id FROM t ORDER BY v LIMIT 2",
	} {
		if p := plan(q); strings.Contains(p, "index: [t.v]") {
			t.Errorf("%s uses the vector index:\n%s", q, p)
		}
	}
	got := d.mustQuery("SELECT id FROM t ORDER BY VEC_DISTANCE('[0,0]', v) LIMIT 3")
	if fmt.Sprint(got) != "[[3] [2] [1]]" {
		t.Errorf("nearest to [0,0]: %v, want 3 (NULL), 2, 1", got)
	}
	_, errIdx := d.query("SELECT id FROM t ORDER BY VEC_DISTANCE('[0,0,0]', v) LIMIT 2")
	_, errSort := d.query("SELECT id FROM t ORDER BY VEC_DISTANCE('[0,0,0]', v)")
	if errIdx == nil || errSort == nil || errIdx.Error() != errSort.Error() {
		t.Errorf("vector of another length: index %v, sort %v; want the same error", errIdx, errSort)
	}
	sc := d.mustQuery("SHOW CREATE TABLE t")
	if !strings.Contains(fmt.Sprint(sc[0][1]), "VECTOR KEY `vi` (`v`)") {
		t.Errorf("SHOW CREATE TABLE: %v", sc[0][1])
	}
	for _, bad := range []string{
		"CREATE VECTOR INDEX bad ON t (id)",
		"CREATE VECTOR INDEX bad ON t (v, w)",
	} {
		if _, err := d.query(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	d.mustQuery("DROP INDEX vi ON t")
	if p := plan("SELECT id FROM t ORDER BY VEC_DISTANCE('[0,0]', v) LIMIT 2"); strings.Contains(p, "index: [t.v]") {
		t.Errorf("dropped index still used:\n%s", p)
	}
}

// BenchmarkVectorTopK: ORDER BY VEC_DISTANCE(...) LIMIT 10 over 5,000
// rows of 8-dimensional vectors, by the VECTOR index's exact scan
// (index) and by GMS's TopN over a plain scan (sort).
func BenchmarkVectorTopK(b *testing.B) {
	d := openTestDB(b, b.TempDir())
	defer d.close()
	d.mustQuery("CREATE DATABASE vb")
	d.ses.SetCurrentDatabase("vb")
	d.mustQuery("CREATE TABLE plain (id INT PRIMARY KEY, v JSON)")
	d.mustQuery("CREATE TABLE idx (id INT PRIMARY KEY, v JSON, VECTOR INDEX vi (v))")
	rng := rand.New(rand.NewSource(1))
	for start := 0; start < 5000; start += 500 {
		var vals []string
		for i := start; i < start+500; i++ {
			var c []string
			for j := 0; j < 8; j++ {
				c = append(c, fmt.Sprintf("%.3f", rng.Float64()))
			}
			vals = append(vals, fmt.Sprintf("(%d, '[%s]')", i, strings.Join(c, ",")))
		}
		for _, tb := range []string{"plain", "idx"} {
			d.mustQuery("INSERT INTO " + tb + " VALUES " + strings.Join(vals, ","))
		}
	}
	for _, tb := range []string{"idx", "plain"} {
		b.Run(map[string]string{"idx": "index", "plain": "sort"}[tb], func(b *testing.B) {
			q := "SELECT id FROM " + tb + " ORDER BY VEC_DISTANCE('[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]', v) LIMIT 10"
			for i := 0; i < b.N; i++ {
				if rows := d.mustQuery(q); len(rows) != 10 {
					b.Fatalf("%d rows", len(rows))
				}
			}
		})
	}
}
