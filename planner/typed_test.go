package planner_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql/analyzer"

	"github.com/quarrydb/quarry/planner"
)

// TestTypedScanMatchesGeneric runs randomized pushed-down aggregations
// with typed scans on and off (Config.GenericScan) and requires the very
// same rows: same order, same Go types, same printed values (float sums
// within rounding, as workers add them in any order). Columns cover
// every typed class, NULLs, unsigned and signed overflow into DECIMAL,
// fractional datetimes and binary keys; part of the queries run inside a
// transaction with uncommitted writes. (storage's TestScanTypedMatchesScan
// covers typed reads through uncommitted writes.)
func TestTypedScanMatchesGeneric(t *testing.T) {
	p := newPair(t, &planner.Config{Workers: 3, PartsPerWorker: 3})
	b := analyzer.NewBuilder(p.store.Provider())
	planner.AddRules(b, &planner.Config{Workers: 3, PartsPerWorker: 3, GenericScan: true})
	generic := sqle.New(b.Build(), &sqle.Config{})
	// Typed scans row by row over Pebble, without the column cache.
	b = analyzer.NewBuilder(p.store.Provider())
	planner.AddRules(b, &planner.Config{Workers: 3, PartsPerWorker: 3, NoColumnCache: true})
	rowTyped := sqle.New(b.Build(), &sqle.Config{})

	p.exec("CREATE DATABASE d")
	p.ses.SetCurrentDatabase("d")
	p.exec(`CREATE TABLE t (
		id BIGINT NOT NULL PRIMARY KEY,
		i8 TINYINT,
		u64 BIGINT UNSIGNED,
		big BIGINT,
		g VARCHAR(8) COLLATE utf8mb4_0900_ai_ci,
		vb VARBINARY(8),
		fl FLOAT,
		dbl DOUBLE,
		dt DATE,
		ts DATETIME(6),
		dm DECIMAL(8,2))`)
	r := rand.New(rand.NewPCG(21, 5))
	val := func(nullPct int, gen func() string) string {
		if r.IntN(100) < nullPct {
			return "NULL"
		}
		return gen()
	}
	strs := []string{"a", "A", "b", "é", "e", "ab"}
	insert := func(from, to int) {
		var vals []string
		for id := from; id < to; id++ {
			day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(90*24*3600)) * time.Second)
			vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", id,
				val(10, func() string { return fmt.Sprint(r.IntN(256) - 128) }),
				val(10, func() string { return fmt.Sprint(math.MaxUint64 - r.Uint64N(1<<20)) }),
				val(10, func() string { return fmt.Sprint(math.MaxInt64 - r.Int64N(1<<20)) }),
				val(10, func() string { return "'" + strs[r.IntN(len(strs))] + "'" }),
				val(10, func() string { return fmt.Sprintf("x'%02x'", r.IntN(4)) }),
				val(10, func() string { return fmt.Sprint(float32(r.IntN(1000)) / 8) }),
				val(10, func() string { return fmt.Sprintf("%g", r.Float64()*100-50) }),
				val(10, func() string { return "'" + day.Format(time.DateOnly) + "'" }),
				val(10, func() string {
					return "'" + day.Add(time.Duration(r.IntN(1e6))*time.Microsecond).Format("2006-01-02 15:04:05.000000") + "'"
				}),
				val(10, func() string { return fmt.Sprintf("%d.%02d", r.IntN(2000)-1000, r.IntN(100)) }),
			))
		}
		p.exec("INSERT INTO t VALUES " + strings.Join(vals, ","))
	}
	insert(1, 500)

	groups := []string{"", "i8", "g", "vb", "dt", "ts", "DATE_FORMAT(ts, '%Y-%m')", "DATE_FORMAT(dt, '%x-%v')", "g, vb", "i8 % 4", "fl", "u64"}
	aggs := []string{"COUNT(*)", "COUNT(i8)", "SUM(i8)", "AVG(i8)", "SUM(u64)", "AVG(u64)", "SUM(big)", "AVG(big)",
		"SUM(fl)", "AVG(dbl)", "SUM(dm)", "MIN(i8)", "MAX(u64)", "MIN(dt)", "MAX(ts)", "MIN(ts)", "MAX(g)",
		"COUNT(DISTINCT i8)", "COUNT(DISTINCT u64)", "COUNT(DISTINCT g)", "COUNT(DISTINCT i8, vb)", "MIN(dm)", "g", "ts"}
	conds := []string{"", "i8 > 10", "10 >= i8", "i8 = -3", "u64 < 18446744073709000000", "ts >= '2024-02-01'",
		"ts >= '2024-01-15 12:00:00.5' AND ts < '2024-03-01'", "dt <= '2024-02-10'", "g = 'a'", "i8 > 0 AND g = 'a'", "id BETWEEN 50 AND 300", "big IS NULL"}

	query := func() string {
		grp := groups[r.IntN(len(groups))]
		var sel []string
		if grp != "" {
			sel = append(sel, grp)
		}
		for i := 0; i < 1+r.IntN(4); i++ {
			sel = append(sel, aggs[r.IntN(len(aggs))])
		}
		q := "SELECT " + strings.Join(sel, ", ") + " FROM t"
		if c := conds[r.IntN(len(conds))]; c != "" {
			q += " WHERE " + c
		}
		if grp != "" {
			q += " GROUP BY " + grp
		}
		return q
	}
	typed := 0
	check := func(q string) {
		t.Helper()
		_, want, werr := p.run(generic, q)
		// The column cache path (twice: filled, then read) and the
		// row-typed path.
		for _, eng := range []*sqle.Engine{p.on, p.on, rowTyped} {
			_, got, gerr := p.run(eng, q)
			if (werr != nil) != (gerr != nil) {
				t.Fatalf("%s:\ntyped err %v\ngeneric err %v", q, gerr, werr)
			}
			if werr != nil {
				return
			}
			if len(got) != len(want) {
				t.Fatalf("%s: %d rows, want %d\ntyped   %v\ngeneric %v", q, len(got), len(want), got, want)
			}
			for i := range got {
				for j := range got[i] {
					if a, b := got[i][j], want[i][j]; !sameExact(a, b) {
						t.Fatalf("%s: row %d col %d: typed %v (%T), generic %v (%T)", q, i, j, a, a, b, b)
					}
				}
			}
		}
		_, plan, err := p.run(p.on, "EXPLAIN ANALYZE "+q)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(fmt.Sprint(plan), "parallel typed") {
			typed++
		} else if testing.Verbose() {
			t.Logf("not typed: %s\n%v", q, plan)
		}
	}
	const n = 120
	for i := 0; i < n; i++ {
		check(query())
	}
	// Aliased group keys.
	check("SELECT DATE_FORMAT(ts, '%Y-%m') AS m, SUM(i8), MAX(ts) FROM t WHERE ts >= '2024-01-10' GROUP BY m ORDER BY m")
	check("SELECT vb AS x, g AS y, COUNT(*), MIN(u64) FROM t GROUP BY x, y ORDER BY x, y")
	check("SELECT i8 AS x, COUNT(DISTINCT big) FROM t WHERE 0 < i8 GROUP BY x")
	// A non-aggregate expression that is not a group key.
	check("SELECT i8 % 3, DATE(ts), COUNT(*) FROM t GROUP BY i8 % 3")
	t.Logf("typed scans ran for %d of %d queries", typed, n+4)
	if typed < n*9/10 {
		t.Fatalf("typed scans ran for only %d of %d queries", typed, n)
	}
	// In a transaction with writes (its statements run serially, as
	// locking reads, so this checks the fallback to the generic scan).
	p.exec("BEGIN")
	insert(1000, 1100)
	p.exec("UPDATE t SET i8 = -i8, g = 'B', ts = NULL WHERE id % 7 = 0")
	p.exec("DELETE FROM t WHERE id % 11 = 0")
	for i := 0; i < n/3; i++ {
		check(query())
	}
	p.exec("ROLLBACK")
	check("SELECT COUNT(*), SUM(i8), MIN(ts), COUNT(DISTINCT u64) FROM t WHERE id > 100000")
}

// sameExact: equal Go types and printed values; floats within rounding.
func sameExact(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && math.Abs(fa-fb) <= 1e-9*math.Max(1, math.Max(math.Abs(fa), math.Abs(fb)))
	}
	return fmt.Sprintf("%T %v", a, a) == fmt.Sprintf("%T %v", b, b)
}

// TestDistinctBitmap: a whole-table COUNT(DISTINCT) of an integer column
// counts through a bitmap sized from the first batch; values of later
// batches outside it go to the hash set, and workers' bitmaps with
// different ranges merge; the count equals the generic path's.
func TestDistinctBitmap(t *testing.T) {
	p := newPair(t, &planner.Config{Workers: 3, PartsPerWorker: 3})
	p.exec("CREATE DATABASE d")
	p.ses.SetCurrentDatabase("d")
	p.exec("CREATE TABLE t (id INT PRIMARY KEY, a BIGINT, u BIGINT UNSIGNED, s SMALLINT)")
	r := rand.New(rand.NewPCG(4, 4))
	var vals []string
	for id := 0; id < 3000; id++ {
		// Narrow ranges that drift with id, outliers, NULLs, negatives.
		a := fmt.Sprint(int64(id/10) + r.Int64N(40) - 20)
		if r.IntN(50) == 0 {
			a = fmt.Sprint(r.Int64N(1<<50) - 1<<49)
		}
		if r.IntN(20) == 0 {
			a = "NULL"
		}
		u := fmt.Sprint(uint64(math.MaxUint64) - uint64(r.IntN(200)) - uint64(id/3))
		vals = append(vals, fmt.Sprintf("(%d, %s, %s, %d)", id, a, u, r.IntN(100)-50))
	}
	p.exec("INSERT INTO t VALUES " + strings.Join(vals, ","))
	for _, q := range []string{
		"SELECT COUNT(DISTINCT a) FROM t",
		"SELECT COUNT(DISTINCT u), COUNT(DISTINCT s) FROM t",
		"SELECT COUNT(DISTINCT a), COUNT(*) FROM t WHERE id > 1500",
		"SELECT COUNT(DISTINCT s) FROM t WHERE id < 100",
	} {
		_, want, err := p.run(p.off, q)
		if err != nil {
			t.Fatal(err)
		}
		for run := 0; run < 2; run++ {
			_, got, err := p.run(p.on, q)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameRows(got, want); err != nil {
				t.Fatalf("%s (run %d): %v: %v, want %v", q, run, err, got, want)
			}
		}
	}
}
