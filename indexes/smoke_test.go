package indexes_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/quarrydb/quarry/internal/testserver"
)

var _ = fmt.Sprint

// execer is a *sql.DB, *sql.Conn or *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func mustExec(t *testing.T, db execer, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func queryStrings(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		s := ""
		for i, v := range vals {
			if i > 0 {
				s += "|"
			}
			s += string(v)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func TestSmoke(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	db := srv.Open("")
	mustExec(t, db, "CREATE DATABASE d")
	db = srv.Open("d")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, title VARCHAR(200), note TEXT, FULLTEXT KEY ft (title, note))")
	mustExec(t, db, "INSERT INTO t VALUES (1, 'red apple pie', 'sweet'), (2, 'green apple', 'sour'), (3, 'banana bread', 'sweet apple')")
	for _, q := range []string{
		"SHOW CREATE TABLE t",
		"SHOW INDEX FROM t",
		"SELECT id FROM t WHERE MATCH(title, note) AGAINST('apple')",
		"SELECT id, MATCH(title, note) AGAINST('apple pie') AS s FROM t WHERE MATCH(title, note) AGAINST('apple pie') ORDER BY s DESC LIMIT 2",
		"EXPLAIN PLAN SELECT id, MATCH(title, note) AGAINST('apple pie') AS s FROM t WHERE MATCH(title, note) AGAINST('apple pie') ORDER BY s DESC LIMIT 2",
		"SELECT id FROM t WHERE MATCH(title, note) AGAINST('+apple -sour' IN BOOLEAN MODE)",
		"SELECT id FROM t WHERE MATCH(title, note) AGAINST('\"apple pie\"' IN BOOLEAN MODE)",
		"SELECT id FROM t WHERE MATCH(title, note) AGAINST('ban*' IN BOOLEAN MODE)",
	} {
		t.Logf("%s\n%v", q, queryStrings(t, db, q))
	}
	mustExec(t, db, "UPDATE t SET title = 'cherry' WHERE id = 1")
	t.Log(queryStrings(t, db, "SELECT id FROM t WHERE MATCH(title, note) AGAINST('apple')"))
	mustExec(t, db, "DELETE FROM t WHERE MATCH(title, note) AGAINST('banana')")
	t.Log(queryStrings(t, db, "SELECT id FROM t WHERE MATCH(title, note) AGAINST('apple')"))
	mustExec(t, db, "CREATE FULLTEXT INDEX ft2 ON t(title)")
	t.Log(queryStrings(t, db, "SELECT id FROM t WHERE MATCH(title) AGAINST('cherry')"))
	mustExec(t, db, "DROP INDEX ft2 ON t")
	t.Log(queryStrings(t, db, "SHOW CREATE TABLE t"))
	mustExec(t, db, "DROP TABLE t")
}
