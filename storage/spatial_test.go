package storage_test

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
)

// randWKT returns a random point, line string or polygon (a box ring)
// with coordinates at a few scales, both signs.
func randWKT(rng *rand.Rand) string {
	scale := []float64{0.01, 1, 10, 1000}[rng.Intn(4)]
	c := func() string {
		if rng.Intn(4) == 0 {
			return fmt.Sprint(rng.Intn(7) - 3)
		}
		return fmt.Sprintf("%.4f", (rng.Float64()-0.5)*scale)
	}
	switch rng.Intn(3) {
	case 0:
		return fmt.Sprintf("POINT(%s %s)", c(), c())
	case 1:
		return fmt.Sprintf("LINESTRING(%s %s,%s %s)", c(), c(), c(), c())
	default:
		x0, y0 := (rng.Float64()-0.5)*scale, (rng.Float64()-0.5)*scale
		w, h := rng.Float64()*scale, rng.Float64()*scale
		return fmt.Sprintf("POLYGON((%g %g,%g %g,%g %g,%g %g,%g %g))", x0, y0, x0+w, y0, x0+w, y0+h, x0, y0+h, x0, y0)
	}
}

// sortedRows returns q's rows sorted, or "error".
func sortedRows(d *testDB, q string) string {
	d.t.Helper()
	rows, err := d.query(q)
	if err != nil {
		return "error" // which row fails first depends on the order read
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r...))
	}
	sort.Strings(out)
	return strings.Join(out, "|")
}

// TestSpatialIndexDifferential compares spatial predicates on tables with
// a SPATIAL index (with a primary key, and keyless) with the same table
// without one, across inserts, updates, deletes, a rollback and an index
// added to a filled table; the index must agree with its table throughout.
func TestSpatialIndexDifferential(t *testing.T) {
	d := openDatabase(t, "sp")
	d.mustQuery("CREATE TABLE plain (id INT PRIMARY KEY, g GEOMETRY NOT NULL SRID 0)")
	d.mustQuery("CREATE TABLE idx (id INT PRIMARY KEY, g GEOMETRY NOT NULL SRID 0, SPATIAL INDEX sg (g))")
	d.mustQuery("CREATE TABLE kl (id INT, g GEOMETRY NOT NULL SRID 0, SPATIAL INDEX (g))")
	d.mustQuery("CREATE TABLE late (id INT PRIMARY KEY, g GEOMETRY NOT NULL SRID 0)")
	tables := []string{"plain", "idx", "kl", "late"}
	rng := rand.New(rand.NewSource(11))
	exec := func(q string) {
		t.Helper()
		for _, tb := range tables {
			d.mustQuery(strings.ReplaceAll(q, "$t", tb))
		}
	}
	for i := 0; i < 300; i++ {
		exec(fmt.Sprintf("INSERT INTO $t VALUES (%d, ST_GeomFromText('%s'))", i, randWKT(rng)))
	}
	// Duplicates in the keyless table, an empty collection and a NaN-free
	// far-away point.
	exec("INSERT INTO $t VALUES (1000, ST_GeomFromText('GEOMETRYCOLLECTION()'))")
	exec("INSERT INTO $t VALUES (1001, POINT(1e300, -1e300))")
	exec("INSERT INTO $t VALUES (1002, POINT(0, 0)), (1003, POINT(0, 0))")
	d.mustQuery("ALTER TABLE late ADD SPATIAL INDEX (g)")

	check := func(round int) {
		t.Helper()
		if err := d.e.CheckConsistency(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for q := 0; q < 40; q++ {
			lit := randWKT(rng)
			if q == 0 {
				lit = "POINT(0 0)"
			}
			for _, pred := range []string{"ST_Intersects(g, ST_GeomFromText('%s'))", "ST_Within(g, ST_GeomFromText('%s'))", "ST_Intersects(ST_GeomFromText('%s'), g)", "ST_Equals(g, ST_GeomFromText('%s'))"} {
				where := fmt.Sprintf(pred, lit)
				want := sortedRows(d, "SELECT id, ST_AsText(g) FROM plain WHERE "+where)
				if want == "error" {
					// GMS's ST_Within refuses some geometry types; with an
					// index, the rows it refuses may not be candidates.
					continue
				}
				for _, tb := range tables[1:] {
					got := sortedRows(d, "SELECT id, ST_AsText(g) FROM "+tb+" WHERE "+where)
					if got != want {
						t.Fatalf("round %d, %s WHERE %s:\n got %s\nwant %s", round, tb, where, got, want)
					}
				}
			}
		}
	}
	check(0)

	for i := 0; i < 100; i++ {
		id := rng.Intn(300)
		if rng.Intn(2) == 0 {
			exec(fmt.Sprintf("UPDATE $t SET g = ST_GeomFromText('%s') WHERE id = %d", randWKT(rng), id))
		} else {
			exec(fmt.Sprintf("DELETE FROM $t WHERE id = %d", id))
		}
	}
	check(1)

	d.mustQuery("BEGIN")
	exec("INSERT INTO $t VALUES (2000, POINT(1, 1))")
	exec("UPDATE $t SET g = POINT(5, 5) WHERE id < 50")
	d.mustQuery("ROLLBACK")
	check(2)
}

// TestSpatialIndexOrder checks the order GMS relies on: it drops ORDER BY
// the indexed column over a spatial lookup, so the lookup returns rows in
// the geometry type's order (descending for ORDER BY ... DESC).
func TestSpatialIndexOrder(t *testing.T) {
	d := openDatabase(t, "sp")
	d.mustQuery("CREATE TABLE t (id INT PRIMARY KEY, g GEOMETRY NOT NULL SRID 0, SPATIAL INDEX (g))")
	d.mustQuery("CREATE TABLE p (id INT PRIMARY KEY, g GEOMETRY NOT NULL SRID 0)")
	rng := rand.New(rand.NewSource(5))
	for i := 0; i < 200; i++ {
		w := randWKT(rng)
		d.mustQuery(fmt.Sprintf("INSERT INTO t VALUES (%d, ST_GeomFromText('%s'))", i, w))
		d.mustQuery(fmt.Sprintf("INSERT INTO p VALUES (%d, ST_GeomFromText('%s'))", i, w))
	}
	for _, dir := range []string{"", " DESC"} {
		for q := 0; q < 20; q++ {
			where := fmt.Sprintf("ST_Intersects(g, ST_GeomFromText('%s'))", randWKT(rng))
			// Ties (equal geometries) may come in any order: compare the
			// geometries only.
			got := fmt.Sprint(d.mustQuery("SELECT ST_AsText(g) FROM t WHERE " + where + " ORDER BY g" + dir))
			want := fmt.Sprint(d.mustQuery("SELECT ST_AsText(g) FROM p WHERE " + where + " ORDER BY g" + dir))
			if got != want {
				t.Fatalf("ORDER BY g%s WHERE %s:\n got %s\nwant %s", dir, where, got, want)
			}
		}
	}
}
