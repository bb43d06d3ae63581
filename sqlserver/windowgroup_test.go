package sqlserver_test

import (
	"strings"
	"testing"
)

// TestWindowFunctionsInGroupedQuery: window functions over a grouped
// query's groups (share of total, rank of groups, running count), which
// GMS alone rejects with 1140; names, HAVING with an alias, ORDER BY a
// window alias, LIMIT, a prepared parameter; and 1140 still where MySQL
// reports it (a non-grouped column under a window).
func TestWindowFunctionsInGroupedQuery(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE wg",
		"USE wg",
		"CREATE TABLE c (id INT PRIMARY KEY, name VARCHAR(10))",
		"CREATE TABLE o (id INT PRIMARY KEY, cid INT, amount DECIMAL(10,2), qty INT)",
		"INSERT INTO c VALUES (1, 'a'), (2, 'b'), (3, 'c')",
		"INSERT INTO o VALUES (1, 1, 1.10, 1), (2, 1, 11.25, 2), (3, 2, 50.00, 3), (4, 3, 0.10, 2), (5, 3, 0.20, 2), (6, 3, 0.30, 1)",
	)
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("USE wg"); err != nil {
		t.Fatal(err)
	}
	rowsOf := func(q string, args ...any) (string, string) {
		t.Helper()
		cols, rows := queryText(t, db, q, args...)
		return strings.Join(cols, ","), joinRows(rows, "|", " ")
	}
	for _, c := range []struct {
		q        string
		args     []any
		cols, rs string
	}{
		{"SELECT cid, COUNT(*) AS n, ROUND(100 * COUNT(*) / SUM(COUNT(*)) OVER (), 1) AS pct FROM o GROUP BY cid ORDER BY cid", nil,
			"cid,n,pct", "1|2|33.3 2|1|16.7 3|3|50.0"},
		{"SELECT c.name, SUM(o.amount) AS total, RANK() OVER (ORDER BY SUM(o.amount) DESC) AS rk FROM o JOIN c ON c.id = o.cid GROUP BY c.name ORDER BY rk", nil,
			"name,total,rk", "b|50.00|1 a|12.35|2 c|0.60|3"},
		{"SELECT o.cid, COUNT(*), SUM(COUNT(*)) OVER (ORDER BY o.cid) FROM o WHERE qty > ? GROUP BY o.cid HAVING COUNT(*) > 0 ORDER BY cid LIMIT 2", []any{1},
			"cid,COUNT(*),SUM(COUNT(*)) OVER (ORDER BY o.cid)", "1|1|1 2|1|2"},
		{"SELECT qty AS q, COUNT(*) AS n, LAG(COUNT(*)) OVER (ORDER BY qty) AS prev FROM o GROUP BY q HAVING n > 1 ORDER BY q", nil,
			"q,n,prev", "1|2|NULL 2|3|2"},
		{"SELECT COUNT(*), SUM(COUNT(*)) OVER () FROM o", nil,
			"COUNT(*),SUM(COUNT(*)) OVER ()", "6|6"},
	} {
		cols, rs := rowsOf(c.q, c.args...)
		if cols != c.cols || rs != c.rs {
			t.Errorf("%s:\ngot  %s: %s\nwant %s: %s", c.q, cols, rs, c.cols, c.rs)
		}
	}
	// A column neither grouped nor aggregated under a window: 1140, as MySQL.
	_, err := db.Query("SELECT AVG(qty), LAST_VALUE(qty) OVER (ORDER BY id) FROM o")
	if err == nil || !strings.Contains(err.Error(), "1140") {
		t.Errorf("non-aggregated column with a window: err %v, want 1140", err)
	}
}
