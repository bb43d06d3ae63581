package searchplan_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/indexes/searchplan"
	"github.com/quarrydb/quarry/internal/testserver"
)

// TestSearchKeysDifferential compares, over random data and random
// searches, the rows of the index-only primary key path (SearchKeys) with
// those of the general path (the same statement planned with the path
// off: rows read through the search lookup and filtered), row for row and
// in order: MATCH in natural and boolean mode and exactly pushed-down
// WHERE clauses; integer, composite and binary-string primary keys
// selected in any order and aliased; after updates, deletes and primary
// key changes once the index was built; inside a transaction with
// uncommitted writes to the table, and in a REPEATABLE READ transaction
// whose snapshot is older than the index (both not exact: the fallback
// runs). A case-insensitive string key column is not decodable and never
// takes the path.
func TestSearchKeysDifferential(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	root := srv.Open("")
	if _, err := root.Exec("CREATE DATABASE d"); err != nil {
		t.Fatal(err)
	}
	db := srv.Open("d")
	db.SetMaxOpenConns(4)
	exec := func(c execer, q string, args ...any) {
		t.Helper()
		if _, err := c.ExecContext(context.Background(), q, args...); err != nil {
			t.Fatalf("%.200s: %v", q, err)
		}
	}
	// Mapped columns: title (MATCH), st (keyword), n (long).
	for _, ddl := range []string{
		`CREATE TABLE a (id BIGINT PRIMARY KEY, title VARCHAR(64), st VARCHAR(8), n INT,
			FULLTEXT KEY ft (title), FULLTEXT KEY s (st, n) COMMENT 'st=keyword n=long')`,
		`CREATE TABLE b (k1 INT, k2 VARCHAR(8) COLLATE utf8mb4_bin, title VARCHAR(64), st VARCHAR(8), n INT,
			PRIMARY KEY (k1, k2), FULLTEXT KEY ft (title), FULLTEXT KEY s (st, n) COMMENT 'st=keyword n=long')`,
		`CREATE TABLE c (k VARCHAR(8) PRIMARY KEY, title VARCHAR(64), st VARCHAR(8), n INT,
			FULLTEXT KEY ft (title), FULLTEXT KEY s (st, n) COMMENT 'st=keyword n=long')`,
	} {
		exec(db, ddl)
	}
	r := rand.New(rand.NewPCG(7, 9))
	words := []string{"red", "green", "blue", "apple", "pear", "drone", "tripod", "black", "case", "lamp"}
	sts := []string{"'paid'", "'PAID'", "'new'", "'shipped'", "NULL"}
	title := func() string {
		if r.IntN(10) == 0 {
			return "NULL"
		}
		var w []string
		for range 1 + r.IntN(4) {
			w = append(w, words[r.IntN(len(words))])
		}
		return "'" + strings.Join(w, " ") + "'"
	}
	strKey := func(i int) string { return fmt.Sprintf("'%c%d'", "aAbB"[i%4], i/4) }
	row := func(table string, i int) string {
		rest := fmt.Sprintf("%s, %s, %d", title(), sts[r.IntN(len(sts))], r.IntN(100))
		switch table {
		case "a":
			return fmt.Sprintf("(%d, %s)", i*7-300, rest)
		case "b":
			return fmt.Sprintf("(%d, %s, %s)", i%5, strKey(i), rest)
		}
		return fmt.Sprintf("('c%d', %s)", i, rest)
	}
	const rows = 300
	for _, tb := range []string{"a", "b", "c"} {
		var vals []string
		for i := range rows {
			vals = append(vals, row(tb, i))
		}
		exec(db, "INSERT INTO "+tb+" VALUES "+strings.Join(vals, ","))
	}
	selects := map[string][]string{
		"a": {"id", "id AS x", "id, id"},
		"b": {"k1, k2", "k2, k1", "k2", "k1 AS one"},
		"c": {"k"},
	}
	where := func() string {
		w := words[r.IntN(len(words))]
		switch r.IntN(5) {
		case 0:
			return fmt.Sprintf("MATCH(title) AGAINST('%s %s')", w, words[r.IntN(len(words))])
		case 1:
			return fmt.Sprintf("MATCH(title) AGAINST('+%s -%s' IN BOOLEAN MODE)", w, words[r.IntN(len(words))])
		case 2:
			return fmt.Sprintf("MATCH(title) AGAINST('%s*' IN BOOLEAN MODE)", w[:2])
		case 3:
			return fmt.Sprintf("st = %s AND n BETWEEN %d AND %d", sts[r.IntN(4)], r.IntN(50), 50+r.IntN(50))
		}
		return fmt.Sprintf("st IN (%s, %s) AND n >= %d", sts[r.IntN(4)], sts[r.IntN(4)], r.IntN(100))
	}
	// compare runs a statement with the path on and off on c and
	// compares the rows; it reports whether the plan had the path.
	compare := func(c querier, label, q string) bool {
		t.Helper()
		prev := searchplan.SetIndexOnly(false)
		off := rowsOf(c, q)
		searchplan.SetIndexOnly(true)
		on := rowsOf(c, q)
		plan := rowsOf(c, "EXPLAIN PLAN "+q)
		searchplan.SetIndexOnly(prev)
		if on != off {
			t.Errorf("%s: %s\n index-only:\n%s general:\n%s", label, q, on, off)
		}
		return strings.Contains(plan, "SearchKeys")
	}
	planned := 0
	answered0 := searchplan.KeysAnswered()
	round := func(label string, c querier) {
		t.Helper()
		for _, tb := range []string{"a", "b", "c"} {
			for range 40 {
				sel := selects[tb][r.IntN(len(selects[tb]))]
				q := fmt.Sprintf("SELECT %s FROM %s WHERE %s", sel, tb, where())
				if compare(c, label, q) {
					if tb == "c" {
						t.Errorf("%s: %s: a case-insensitive key column took the index-only path", label, q)
					}
					planned++
				}
			}
		}
	}
	round("after build", db)
	// Updates (indexed and key columns), deletes and inserts.
	change := func(c execer) {
		for range 60 {
			tb := []string{"a", "b", "c"}[r.IntN(3)]
			i := r.IntN(rows + 50)
			switch r.IntN(4) {
			case 0:
				exec(c, "REPLACE INTO "+tb+" VALUES "+row(tb, i))
			case 1:
				exec(c, fmt.Sprintf("UPDATE %s SET title = %s, st = %s WHERE title LIKE '%%%s%%'", tb, title(), sts[r.IntN(len(sts))], words[r.IntN(len(words))]))
			case 2:
				exec(c, fmt.Sprintf("DELETE FROM %s WHERE n = %d", tb, r.IntN(100)))
			default:
				switch tb {
				case "a":
					exec(c, fmt.Sprintf("UPDATE a SET id = id + 100000 WHERE n = %d", r.IntN(100)))
				case "b":
					exec(c, fmt.Sprintf("UPDATE b SET k2 = CONCAT(k2, 'z') WHERE n = %d", r.IntN(100)))
				}
			}
		}
	}
	change(db)
	round("after changes", db)

	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Uncommitted writes: the planner takes the table path.
	exec(conn, "BEGIN")
	change(conn)
	round("uncommitted writes", conn)
	exec(conn, "ROLLBACK")

	// A REPEATABLE READ snapshot older than the index: not exact.
	exec(conn, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
	exec(conn, "BEGIN")
	exec(conn, "SELECT COUNT(*) FROM a")
	exec(conn, "SELECT COUNT(*) FROM b")
	change(db)
	round("older snapshot", conn)
	exec(conn, "COMMIT")
	round("after commit", conn)

	answered := searchplan.KeysAnswered() - answered0
	t.Logf("%d statements planned with SearchKeys, %d answered from the index", planned, answered)
	if planned < 100 || answered < 50 {
		t.Errorf("only %d statements planned with SearchKeys and %d answered from the index: the comparison says little", planned, answered)
	}
}

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// rowsOf is rows for any querier (a pool or one connection).
func rowsOf(c querier, q string) string {
	rs, err := c.QueryContext(context.Background(), q)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	defer rs.Close()
	return formatRows(rs)
}
