package planner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/planner"
)

// TestPushdownMixedArguments compares the pushdown with GMS on arguments
// whose values are not of the Go type their SQL type promises, and on
// DATE and DATETIME columns compared with strings their type cannot hold
// exactly:
//   - SUM(IF(c, 128, unsigned_col)) is typed UNSIGNED by GMS but 128 is
//     evaluated to a signed integer (the scan failed with "SUM over
//     unsigned column got int32"), and SUM(IF(c, -5, unsigned_col)) holds
//     negative values;
//   - d < '2024-01-03 10:00:00' compares as DATETIME, so it holds for
//     d = 2024-01-03 (the scan converted the string to a DATE first and
//     counted 60 rows of 300 where GMS counts 90).
func TestPushdownMixedArguments(t *testing.T) {
	p := newPair(t, &planner.Config{Workers: 2, PartsPerWorker: 2})
	p.exec("CREATE DATABASE d")
	p.ses.SetCurrentDatabase("d")
	p.exec("CREATE TABLE t (id INT UNSIGNED PRIMARY KEY, k INT, s INT, d DATE, dt DATETIME, dt2 DATETIME(2))")
	var vals []string
	for i := 1; i <= 300; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d, %d, '2024-01-%02d', '2024-01-01 00:00:00' + INTERVAL %d SECOND, '2024-01-01 00:00:00.25' + INTERVAL %d SECOND)",
			i, i%3, i%7-3, 1+i%10, i*3601, i))
	}
	p.exec("INSERT INTO t VALUES " + strings.Join(vals, ","))
	queries := []string{
		"SELECT k, SUM(IF(id > 100, 128, id)), AVG(IF(id > 100, 128, id)) FROM t GROUP BY k",
		"SELECT k, SUM(IF(id > 100, -5, id)), AVG(IF(id > 100, -5, id)), SUM(IF(s > 0, id, s)) FROM t GROUP BY k",
		"SELECT SUM(IF(id > 100, 18446744073709551615, id)), SUM(IF(id > 100, -9223372036854775808, id)) FROM t",
	}
	for _, c := range []string{"d < '2024-01-03 10:00:00'", "d <= '2024-01-03 10:00:00'", "d > '2024-01-03 10:00:00'",
		"d >= '2024-01-03 10:00:00'", "d = '2024-01-03 10:00:00'", "d < '2024-01-03 00:00:00'", "'2024-01-03 10:00:00' > d",
		"dt < '2024-01-02 10:00:00.7'", "dt > '2024-01-02 10:00:00.7'", "dt2 < '2024-01-01 00:01:00.251'", "dt2 >= '2024-01-01 00:01:00.251'"} {
		queries = append(queries, "SELECT COUNT(*), MIN(id), MAX(id) FROM t WHERE "+c, "SELECT k, COUNT(*) FROM t WHERE "+c+" GROUP BY k")
	}
	for _, q := range queries {
		_, want, werr := p.run(p.off, q)
		_, got, gerr := p.run(p.on, q)
		if werr != nil || gerr != nil {
			t.Fatalf("%s:\npushdown err %v\ngeneric err %v", q, gerr, werr)
		}
		if err := sameRows(got, want); err != nil {
			t.Fatalf("%s: %v\npushdown %v\ngeneric  %v", q, err, got, want)
		}
	}
	// The generic path's count, checked by hand: days 3 of the ten-day
	// cycle are included.
	_, rows, err := p.run(p.on, "SELECT COUNT(*) FROM t WHERE d < '2024-01-03 10:00:00'")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rows[0][0]) != "90" {
		t.Fatalf("COUNT(*) WHERE d < '2024-01-03 10:00:00' = %v, want 90", rows[0][0])
	}
}
