package planner_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"

	"github.com/quarrydb/quarry/planner"
)

// TestDifferentialPushdown runs randomized GROUP BY queries over
// randomized data with the pushdown rules on and off and requires equal
// results: same groups in the same order, equal values. GMS types SUM and
// AVG as DOUBLE where the pushdown returns MySQL's exact DECIMAL, so
// numbers compare as numbers (AVG within its 4 decimals of rounding).
// Part of the queries run inside a transaction with uncommitted writes,
// which the parallel scan must see exactly as GMS's row iterator does.
func TestDifferentialPushdown(t *testing.T) {
	p := newPair(t, &planner.Config{Workers: 3, PartsPerWorker: 3})
	p.exec("CREATE DATABASE d")
	p.ses.SetCurrentDatabase("d")
	p.exec(`CREATE TABLE t (
		id INT NOT NULL PRIMARY KEY,
		g VARCHAR(8) COLLATE utf8mb4_0900_ai_ci,
		h INT,
		v BIGINT,
		u INT UNSIGNED,
		dm DECIMAL(10,2),
		f DOUBLE,
		ts DATETIME,
		KEY kh (h))`)
	r := rand.New(rand.NewPCG(7, 11))
	strs := []string{"a", "A", "b", "B", "é", "e", "c", "ab"}
	val := func(nullPct int, gen func() string) string {
		if r.IntN(100) < nullPct {
			return "NULL"
		}
		return gen()
	}
	insert := func(from, to int) {
		var vals []string
		for id := from; id < to; id++ {
			vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s, %s)", id,
				val(10, func() string { return "'" + strs[r.IntN(len(strs))] + "'" }),
				val(10, func() string { return fmt.Sprint(r.IntN(7) - 2) }),
				val(15, func() string { return fmt.Sprint(r.Int64N(2_000_000_000_000) - 1_000_000_000_000) }),
				val(10, func() string { return fmt.Sprint(r.Uint32()) }),
				val(10, func() string { return fmt.Sprintf("%d.%02d", r.IntN(20000)-10000, r.IntN(100)) }),
				val(10, func() string { return fmt.Sprintf("%g", r.Float64()*1000-500) }),
				val(5, func() string {
					return "'" + time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(400*24))*time.Hour).Format(time.DateTime) + "'"
				}),
			))
		}
		p.exec("INSERT INTO t VALUES " + strings.Join(vals, ","))
	}
	insert(1, 400)
	insert(1000, 1300)

	groups := []string{"g", "h", "DATE(ts)", "DATE_FORMAT(ts, '%Y-%m')", "g, h", "u % 3", "DATE_FORMAT(ts, '%x-%v %a %%')", "DATE_FORMAT(ts, '%Y-%m-%d %H')"}
	aggs := []string{"COUNT(*)", "COUNT(v)", "SUM(v)", "AVG(v)", "SUM(u)", "AVG(u)", "SUM(dm)", "AVG(dm)", "SUM(f)",
		"MIN(g)", "MAX(g)", "MIN(v)", "MAX(dm)", "MIN(ts)", "MAX(f)", "COUNT(DISTINCT h)", "COUNT(DISTINCT v, h)", "SUM(h)"}
	conds := []string{"", "id BETWEEN %d AND %d", "h > %d", "v IS NULL", "g = 'a'", "dm < %d", "id < %d AND f > 0", "h = %d", "ts >= '2024-06-01'"}
	query := func() string {
		var sel []string
		grp := ""
		if r.IntN(5) > 0 {
			grp = groups[r.IntN(len(groups))]
			sel = append(sel, grp)
		}
		for i := 0; i < 1+r.IntN(4); i++ {
			sel = append(sel, aggs[r.IntN(len(aggs))])
		}
		from := " FROM t"
		if r.IntN(4) == 0 { // through a derived table that filters and projects
			from = " FROM (SELECT id, g, h, v, u, dm, f, ts FROM t WHERE id % 3 <> 1) t"
		}
		q := "SELECT " + strings.Join(sel, ", ") + from
		if c := conds[r.IntN(len(conds))]; c != "" {
			n := strings.Count(c, "%d")
			args := []any{r.IntN(1300), 0}
			args[1] = args[0].(int) + r.IntN(600)
			if n == 1 {
				q += " WHERE " + fmt.Sprintf(c, r.IntN(5)-1)
				if strings.HasPrefix(c, "id") || strings.HasPrefix(c, "dm") {
					q = "SELECT " + strings.Join(sel, ", ") + from + " WHERE " + fmt.Sprintf(c, args[0])
				}
			} else if n == 2 {
				q += " WHERE " + fmt.Sprintf(c, args...)
			} else {
				q += " WHERE " + c
			}
		}
		if grp != "" {
			q += " GROUP BY " + grp
		}
		return q
	}

	orders := []string{"v", "v DESC", "g", "g DESC", "dm", "ts DESC", "f", "h, v DESC", "u"}
	topk := func() string {
		q := "SELECT * FROM t"
		if r.IntN(2) == 0 {
			q = "SELECT id, g, v FROM t"
		}
		if r.IntN(2) == 0 {
			q += fmt.Sprintf(" WHERE h > %d", r.IntN(4)-2)
		}
		// id last: ties in the other keys are in no defined order.
		return q + fmt.Sprintf(" ORDER BY %s, id LIMIT %d", orders[r.IntN(len(orders))], r.IntN(30))
	}

	fired, cacheHits := 0, 0
	check := func(q string) {
		t.Helper()
		_, want, werr := p.run(p.off, q)
		// Twice: the first run may fill the column cache, the second
		// reads what it cached.
		for run := 0; run < 2; run++ {
			_, got, gerr := p.run(p.on, q)
			if (werr != nil) != (gerr != nil) {
				t.Fatalf("%s (run %d):\npushdown err %v\ngeneric err %v", q, run, gerr, werr)
			}
			if werr != nil {
				return
			}
			if err := sameRows(got, want); err != nil {
				t.Fatalf("%s (run %d): %v\npushdown %v\ngeneric  %v", q, run, err, got, want)
			}
		}
		_, plan, err := p.run(p.on, "EXPLAIN ANALYZE "+q)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(fmt.Sprint(plan), "QuarryAggScan") || strings.Contains(fmt.Sprint(plan), "QuarryTopKScan") {
			fired++
		}
		if m := cachedRe.FindStringSubmatch(fmt.Sprint(plan)); m != nil && m[1] != "0" {
			cacheHits++
		}
	}
	// Committed writes between queries: segments go stale and are rebuilt.
	write := func() {
		id := r.IntN(1300)
		p.exec(fmt.Sprintf("UPDATE t SET v = v + 1, g = 'b', ts = NULL WHERE id BETWEEN %d AND %d", id, id+r.IntN(3)))
		if r.IntN(2) == 0 {
			p.exec(fmt.Sprintf("DELETE FROM t WHERE id = %d", r.IntN(1300)))
		}
	}
	const n = 150
	for i := 0; i < n; i++ {
		if i%5 == 4 {
			write()
		}
		check(query())
		if i%3 == 0 {
			check(topk())
		}
	}
	// Inside a transaction: uncommitted inserts, updates and deletes.
	p.exec("BEGIN")
	insert(2000, 2100)
	p.exec("UPDATE t SET v = v + 1, g = 'B' WHERE id % 7 = 0")
	p.exec("DELETE FROM t WHERE id % 11 = 0")
	for i := 0; i < n/3; i++ {
		check(query())
	}
	p.exec("ROLLBACK")
	for i := 0; i < n/3; i++ {
		check(query())
	}
	// Empty input: a whole-table aggregate still returns one row.
	check("SELECT COUNT(*), SUM(v), AVG(dm), MIN(g), COUNT(DISTINCT h) FROM t WHERE id > 100000")
	check("SELECT h, COUNT(*) FROM t WHERE id > 100000 GROUP BY h")
	t.Logf("pushdown fired for %d queries, %d read column cache segments", fired, cacheHits)
	if cacheHits < n/2 {
		t.Fatalf("only %d queries read column cache segments", cacheHits)
	}
	if fired < n {
		t.Fatalf("the pushdown fired for only %d of %d queries", fired, n+2*(n/3)+2)
	}
}

var cachedRe = regexp.MustCompile(`column_segments=\d+ cached=(\d+)`)

// sameRows compares pushdown rows with generic rows value by value.
func sameRows(got, want []sql.Row) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d rows, want %d", len(got), len(want))
	}
	for i := range got {
		if len(got[i]) != len(want[i]) {
			return fmt.Errorf("row %d: %d columns, want %d", i, len(got[i]), len(want[i]))
		}
		for j := range got[i] {
			if !sameValue(got[i][j], want[i][j]) {
				return fmt.Errorf("row %d col %d: %v (%T), want %v (%T)", i, j, got[i][j], got[i][j], want[i][j], want[i][j])
			}
		}
	}
	return nil
}

func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	da, aok := asDecimal(a)
	db, bok := asDecimal(b)
	if aok && bok {
		if da.Equal(db) {
			return true
		}
		fa, _ := da.Float64()
		fb, _ := db.Float64()
		// Float sums differ in the last bits; AVG is rounded to 4 decimals.
		return math.Abs(fa-fb) <= 1e-4+1e-9*math.Max(math.Abs(fa), math.Abs(fb))
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func asDecimal(v any) (decimal.Decimal, bool) {
	switch x := v.(type) {
	case decimal.Decimal:
		return x, true
	case float64:
		return decimal.NewFromFloat(x), true
	case float32:
		return decimal.NewFromFloat32(x), true
	case int64:
		return decimal.NewFromInt(x), true
	case int32:
		return decimal.NewFromInt(int64(x)), true
	case uint32:
		return decimal.NewFromInt(int64(x)), true
	case uint64:
		return decimal.RequireFromString(fmt.Sprint(x)), true
	}
	return decimal.Decimal{}, false
}
