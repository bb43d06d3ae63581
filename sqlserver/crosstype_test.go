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

// TestIntegerColumnComparedOutOfRange compares integer key columns with
// constants their types cannot hold, as literals and as prepared
// parameters, through the primary key, a secondary index and no index:
// the answers must agree. GMS's index builder clamped the constant, so
// `id = 300` on a TINYINT key read the row 127 and DELETE deleted it.
func TestIntegerColumnComparedOutOfRange(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE u")
	mustExec(t, db, "USE u")
	mustExec(t, db, "CREATE TABLE t (id TINYINT PRIMARY KEY, u TINYINT UNSIGNED, b BIGINT UNSIGNED, KEY (u), KEY (b))")
	mustExec(t, db, "CREATE TABLE plain (id TINYINT, u TINYINT UNSIGNED, b BIGINT UNSIGNED)")
	mustExec(t, db, "INSERT INTO t VALUES (-128, 0, 0), (-1, 1, 1), (0, 128, 9223372036854775808), (1, 254, 18446744073709551614), (126, NULL, NULL), (127, 255, 18446744073709551615)")
	mustExec(t, db, "INSERT INTO plain SELECT * FROM t")
	conds := []string{
		"id = 300", "id = -300", "id <> 300", "id >= 300", "id <= -300", "id > -300", "id < 300",
		"id IN (1, 300)", "id NOT IN (300)", "id BETWEEN 100 AND 300", "id BETWEEN -300 AND -100", "id <=> 300",
		"u = -1", "u = 256", "u >= 256", "u <= -1", "u > -1", "u IN (-1, 1, 256)",
		"b = -1", "b <= -1", "b >= 18446744073709551616", "b = 18446744073709551616", "b > -1",
		"id = 127", "u = 255", "b = 18446744073709551615",
	}
	for _, cond := range conds {
		q := "SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(id), 0)) FROM %s WHERE " + cond
		want := queryString(t, db, fmt.Sprintf(q, "plain"))
		for run := 0; run < 3; run++ { // cold, then through the plan caches
			if got := queryString(t, db, fmt.Sprintf(q, "t")); got != want {
				t.Errorf("%s (run %d): indexed %s, plain %s", cond, run, got, want)
			}
		}
	}
	// Prepared parameters, executed repeatedly (learned paths included).
	for _, c := range []struct {
		cond string
		arg  any
	}{
		// In-range values first, so that the statements are learned and
		// cached before the out-of-range ones run.
		{"id = ?", 127}, {"u = ?", 255}, {"b = ?", 1}, {"id >= ?", 1},
		{"id = ?", 300}, {"id = ?", -300}, {"id >= ?", 300}, {"id <= ?", -300}, {"u = ?", 256}, {"u = ?", -1}, {"b = ?", -1},
	} {
		q := "SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(id), 0)) FROM %s WHERE " + c.cond
		want := queryString(t, db, fmt.Sprintf(q, "plain"), c.arg)
		for run := 0; run < 4; run++ {
			if got := queryString(t, db, fmt.Sprintf(q, "t"), c.arg); got != want {
				t.Errorf("prepared %s [%v] (run %d): indexed %s, plain %s", c.cond, c.arg, run, got, want)
			}
		}
	}
	// Writes must not touch the clamped key.
	for _, q := range []string{"DELETE FROM t WHERE id = 300", "UPDATE t SET u = 7 WHERE id = -300", "DELETE FROM t WHERE u = 256"} {
		res, err := db.Exec(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("%s: %d rows affected, want 0", q, n)
		}
	}
	for run := 0; run < 3; run++ {
		mustExec(t, db, "DELETE FROM t WHERE id = ?", 42) // learned with an in-range key
	}
	for run := 0; run < 3; run++ {
		res, err := db.Exec("DELETE FROM t WHERE id = ?", 300)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("prepared DELETE id = 300 (run %d): %d rows affected, want 0", run, n)
		}
	}
	if got := queryString(t, db, "SELECT COUNT(*) FROM t"); got != "6" {
		t.Errorf("rows left: %s, want 6", got)
	}
}
