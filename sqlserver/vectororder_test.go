package sqlserver_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// TestVectorOrderDifferential compares ORDER BY VEC_DISTANCE(...) LIMIT n
// [OFFSET m] with WHERE filters (indexable or not) and
// SQL_CALC_FOUND_ROWS on a table with a VECTOR index with the same
// queries on a copy without one (the plain sort): the same ids in the same
// order, and the same FOUND_ROWS(). GMS's rule alone would filter the n
// nearest rows of the whole table, let the OFFSET eat into the n rows,
// and count n found rows (see vectororder.go).
func TestVectorOrderDifferential(t *testing.T) {
	db := startWith(t, "CREATE DATABASE d",
		"CREATE TABLE d.vi (id INT PRIMARY KEY, tag INT, v JSON, VECTOR INDEX vx (v))",
		"CREATE TABLE d.plain (id INT PRIMARY KEY, tag INT, v JSON)")
	rng := rand.New(rand.NewSource(3))
	var vals []string
	for i := 0; i < 120; i++ {
		v := fmt.Sprintf("'[%.4f,%.4f]'", rng.Float64()*10, rng.Float64()*10)
		if i == 17 {
			v = "NULL" // one NULL: NULLs tie, and ties may come in any order
		}
		vals = append(vals, fmt.Sprintf("(%d, %d, %s)", i, rng.Intn(5), v))
	}
	for _, tb := range []string{"vi", "plain"} {
		if _, err := db.Exec("INSERT INTO d." + tb + " VALUES " + strings.Join(vals, ",")); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// one returns the first column of q's rows, joined with commas (NULL
	// as "NULL"), read on one connection (FOUND_ROWS() is per session).
	one := func(q string) string {
		t.Helper()
		rows, err := conn.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s sql.NullString
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			if !s.Valid {
				s.String = "NULL"
			}
			out = append(out, s.String)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return strings.Join(out, ",")
	}
	wheres := []string{"", "WHERE tag = 2", "WHERE id > 60", "WHERE id % 3 <> 0 AND tag < 4", "WHERE JSON_LENGTH(v) = 2"}
	for q := 0; q < 60; q++ {
		target := fmt.Sprintf("'[%.3f,%.3f]'", rng.Float64()*10, rng.Float64()*10)
		order := fmt.Sprintf([]string{"VEC_DISTANCE(%s, v)", "VEC_DISTANCE(v, %s)", "VEC_DISTANCE_L2_SQUARED(%s, v)"}[q%3], target)
		tail := fmt.Sprintf("%s ORDER BY %s LIMIT %d", wheres[q%len(wheres)], order, rng.Intn(12))
		if q%4 == 1 {
			tail += fmt.Sprintf(" OFFSET %d", rng.Intn(8))
		}
		calc := ""
		if q%5 == 2 {
			calc = "SQL_CALC_FOUND_ROWS "
		}
		want := one("SELECT " + calc + "id FROM d.plain " + tail)
		wantFound := one("SELECT FOUND_ROWS()")
		got := one("SELECT " + calc + "id FROM d.vi " + tail)
		gotFound := one("SELECT FOUND_ROWS()")
		if got != want || gotFound != wantFound {
			t.Fatalf("SELECT %sid ... %s:\n got %q (found %s)\nwant %q (found %s)", calc, tail, got, gotFound, want, wantFound)
		}
	}
	// The lookup shows in EXPLAIN: with its limit when nothing comes
	// between it and the LIMIT, without it under a filter.
	plan := one("EXPLAIN PLAN SELECT id FROM d.vi ORDER BY VEC_DISTANCE('[1,1]', v) LIMIT 3")
	if !strings.Contains(plan, "order: VEC_DISTANCE_L2_SQUARED('[1,1]', vi.v) LIMIT 3") {
		t.Errorf("plain top 3:\n%s", plan)
	}
	plan = one("EXPLAIN PLAN SELECT id FROM d.vi WHERE tag = 2 ORDER BY VEC_DISTANCE('[1,1]', v) LIMIT 3")
	if !strings.Contains(plan, "order: VEC_DISTANCE_L2_SQUARED('[1,1]', vi.v)") || strings.Contains(plan, "vi.v) LIMIT") {
		t.Errorf("filtered top 3:\n%s", plan)
	}
}
