package sqlserver

import (
	"fmt"
	"strings"
	"testing"
)

// TestStringColumnComparedWithNumber compares a string column with numbers
// through an index and without: the answers must agree (MySQL compares as
// numbers and uses no index).
func TestStringColumnComparedWithNumber(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE u")
	mustExec(t, db, "USE u")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(10), KEY (s))")
	mustExec(t, db, "CREATE TABLE plain (id INT PRIMARY KEY, s VARCHAR(10))")
	mustExec(t, db, "INSERT INTO t VALUES (1, 'abc'), (2, '0'), (3, '1'), (4, '0.0'), (5, ' 0'), (6, '1e0'), (7, NULL), (8, '2')")
	mustExec(t, db, "INSERT INTO plain SELECT * FROM t")
	for _, cond := range []string{"s = 0", "s = 1", "0 = s", "s > 0", "s >= 1", "s < 1", "s BETWEEN 0 AND 1", "s <=> 0", "s = 1.0", "s = '0'", "s > '0'"} {
		q := "SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(id), 0)) FROM %s WHERE " + cond
		got := queryString(t, db, fmt.Sprintf(q, "t"))
		want := queryString(t, db, fmt.Sprintf(q, "plain"))
		if got != want {
			t.Errorf("%s: indexed %s, plain %s", cond, got, want)
		}
	}
	// A string compared with a string still uses the index.
	rows, err := db.Query("EXPLAIN FORMAT=TREE SELECT id FROM t WHERE s = '0'")
	if err != nil {
		t.Fatal(err)
	}
	plan := ""
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan += line + "\n"
	}
	if !strings.Contains(plan, "IndexedTableAccess") {
		t.Errorf("s = '0' no longer uses the index:\n%s", plan)
	}
}
