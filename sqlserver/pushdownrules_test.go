package sqlserver

import (
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// TestPushdownAppliesAfterAllRules runs aggregates and ORDER BY ... LIMIT
// whose expressions Quarry's after-all rules fix (integer overflow,
// CAST of strings to integers, TIME read as text) with the analytics
// pushdown on (AggScan and TopKScan, which those rules cannot see into:
// planner.Config.Rewrite applies them) and off (GMS's nodes), and
// requires the same rows, errors and warnings, and that the pushdown
// ran.
func TestPushdownAppliesAfterAllRules(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE pr")
	mustExec(t, db, "USE pr")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, a BIGINT, b BIGINT, u BIGINT UNSIGNED, s VARCHAR(10), tm TIME)")
	mustExec(t, db, `INSERT INTO t VALUES (1, 9223372036854775807, 1, 0, 'x', '10:00:00'), (2, 5, 6, 3, 'y', '11:30:00'),
		(3, 1, 2, 18446744073709551615, '12abc', NULL), (4, -9223372036854775807, -2, 7, ' 7y', '00:00:01')`)
	queries := []string{
		"SELECT SUM(a+b) FROM t",
		"SELECT SUM(a+b) FROM t WHERE id > 1",
		"SELECT s, MAX(a*2) FROM t GROUP BY s ORDER BY s",
		"SELECT s, MAX(a*2) FROM t WHERE id IN (2, 3) GROUP BY s ORDER BY s",
		"SELECT COUNT(*) FROM t WHERE a + b > 0",
		"SELECT COUNT(*) FROM t WHERE id <> 1 AND a + b > 0",
		"SELECT SUM(u + 1) FROM t",
		"SELECT SUM(u - 3) FROM t WHERE id <> 3",
		"SELECT MAX(CAST(s AS SIGNED)), MIN(CAST(s AS UNSIGNED)) FROM t",
		"SELECT CAST(s AS SIGNED) AS v, COUNT(*) FROM t GROUP BY v ORDER BY v",
		"SELECT MAX(CONCAT(tm, '!')), COUNT(*) FROM t GROUP BY CONCAT(tm, '') ORDER BY 1",
		"SELECT id, a + b FROM t ORDER BY a + b LIMIT 2",
		"SELECT id FROM t WHERE id <> 1 ORDER BY a + b DESC LIMIT 2",
		// (ORDER BY CAST(s AS SIGNED) LIMIT k warns once per comparison
		// on both paths, and they compare differently often.)
	}
	run := func(pushdown string) []string {
		mustExec(t, db, "SET quarry_analytics_pushdown = "+pushdown)
		var out []string
		for _, q := range queries {
			res := rawResult(db.Query(q))
			// GMS's sort prefixes its errors; MySQL and the pushdown do not.
			res = strings.Replace(res, "unable to sort: ", "", 1)
			// The parallel scan raises a statement's warnings in partition
			// order, not row order: compared as a set.
			out = append(out, fmt.Sprintf("%s => %s; warnings %s", q, res, sortedWarnings(t, db)))
		}
		return out
	}
	on, off := run("ON"), run("OFF")
	for i := range on {
		if on[i] != off[i] {
			t.Errorf("pushdown on:  %s\npushdown off: %s", on[i], off[i])
		}
	}
	all := strings.Join(on, "\n")
	if !strings.Contains(all, "1690") || !strings.Contains(all, "1292") {
		t.Errorf("the queries raised neither overflow nor truncation:\n%s", all)
	}
	mustExec(t, db, "SET quarry_analytics_pushdown = ON")
	for _, q := range []string{queries[0], queries[11]} {
		plan := rawResult(db.Query("EXPLAIN FORMAT=TREE " + q))
		if !strings.Contains(plan, "AggScan") && !strings.Contains(plan, "TopKScan") {
			t.Errorf("%s is not pushed down:\n%s", q, plan)
		}
	}
}

// sortedWarnings returns SHOW WARNINGS' rows, sorted.
func sortedWarnings(t *testing.T, db *sql.DB) string {
	t.Helper()
	var ws []string
	for _, w := range showWarnings(t, db, "SHOW WARNINGS") {
		ws = append(ws, w.String())
	}
	sort.Strings(ws)
	return strings.Join(ws, "; ")
}
