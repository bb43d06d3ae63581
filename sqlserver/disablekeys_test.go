package sqlserver_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestDisableEnableKeys loads a table between DISABLE KEYS and ENABLE KEYS
// as a dump does and checks MyISAM's meaning: while disabled, the
// non-unique indexes are neither maintained nor used (results and EXPLAIN),
// unique ones still reject duplicates, SHOW CREATE TABLE still lists them
// and the state survives a restart; ENABLE KEYS builds them (the
// consistency check compares every entry with the rows) and the planner
// uses them again.
func TestDisableEnableKeys(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, dir)
	db := srv.Open("")
	exec := func(db *sql.DB, q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	query := func(db *sql.DB, q string) string {
		t.Helper()
		_, rows := queryText(t, db, q)
		return joinRows(rows, " ", "\n")
	}
	exec(db, "CREATE DATABASE dk")
	exec(db, "CREATE TABLE dk.t (id INT PRIMARY KEY, u INT, k INT, s VARCHAR(20), UNIQUE KEY uq (u), KEY ik (k), KEY isk (s, k))")
	exec(db, "INSERT INTO dk.t VALUES (1, 1, 10, 'a'), (2, 2, 20, 'b')")
	exec(db, "ALTER TABLE dk.t DISABLE KEYS")
	var inserts []string
	for i := 3; i <= 3000; i++ {
		inserts = append(inserts, fmt.Sprintf("(%d, %d, %d, 's%d')", i, i, i%50, i%7))
	}
	exec(db, "INSERT INTO dk.t VALUES "+strings.Join(inserts, ","))
	exec(db, "UPDATE dk.t SET k = 99 WHERE id = 1")
	exec(db, "DELETE FROM dk.t WHERE id = 2")

	if _, err := db.Exec("INSERT INTO dk.t VALUES (5000, 3, 0, 'x')"); err == nil {
		t.Fatal("the unique index accepted a duplicate while keys were disabled")
	}
	countK := "SELECT COUNT(*) FROM dk.t WHERE k = 10"
	if got := query(db, countK); got != "60" {
		t.Fatalf("%s = %s with keys disabled, want 60", countK, got)
	}
	if plan := query(db, "EXPLAIN FORMAT=TREE SELECT id FROM dk.t WHERE k = 10"); strings.Contains(plan, "index: [t.k]") {
		t.Fatalf("a disabled index is used:\n%s", plan)
	}
	if got := query(db, "SHOW CREATE TABLE dk.t"); !strings.Contains(got, "KEY `ik` (`k`)") || !strings.Contains(got, "KEY `isk` (`s`,`k`)") {
		t.Fatalf("SHOW CREATE TABLE lost the disabled indexes:\n%s", got)
	}
	if err := srv.Store().CheckConsistency(); err != nil {
		t.Fatal(err)
	}

	// The state is in the catalog.
	db.Close()
	srv.Stop()
	srv = testserver.Start(t, dir)
	db = srv.Open("")
	if got := query(db, countK); got != "60" {
		t.Fatalf("after restart: %s = %s, want 60", countK, got)
	}
	exec(db, "INSERT INTO dk.t VALUES (4000, 4000, 10, 's1')")

	exec(db, "ALTER TABLE dk.t ENABLE KEYS")
	if err := srv.Store().CheckConsistency(); err != nil {
		t.Fatalf("after ENABLE KEYS: %v", err)
	}
	if plan := query(db, "EXPLAIN FORMAT=TREE SELECT id FROM dk.t WHERE k = 10"); !strings.Contains(plan, "index: [t.k]") {
		t.Fatalf("ENABLE KEYS: index ik is not used:\n%s", plan)
	}
	if got := query(db, countK); got != "61" {
		t.Fatalf("after ENABLE KEYS: %s = %s, want 61", countK, got)
	}
	var want []string
	for i := 3; i <= 3000; i++ {
		if i%50 == 10 && i%7 == 1 {
			want = append(want, fmt.Sprint(i))
		}
	}
	want = append(want, "4000")
	if got := query(db, "SELECT id FROM dk.t WHERE s = 's1' AND k = 10 ORDER BY id"); got != strings.Join(want, "\n") {
		t.Fatalf("composite index read: %q, want %q", got, want)
	}
	if got := query(db, "SELECT id FROM dk.t WHERE k = 99"); got != "1" {
		t.Fatalf("the row updated while disabled: %q", got)
	}
	// Writes maintain the rebuilt indexes again.
	exec(db, "UPDATE dk.t SET k = 10 WHERE id = 3")
	exec(db, "DELETE FROM dk.t WHERE id = 10")
	if err := srv.Store().CheckConsistency(); err != nil {
		t.Fatal(err)
	}
	// ENABLE KEYS on enabled keys changes nothing.
	exec(db, "ALTER TABLE dk.t ENABLE KEYS")

	// A table in a foreign key keeps its indexes, with InnoDB's warning.
	exec(db, "CREATE TABLE dk.p (id INT PRIMARY KEY)")
	exec(db, "CREATE TABLE dk.c (id INT PRIMARY KEY, pid INT, KEY ip (pid), FOREIGN KEY (pid) REFERENCES dk.p (id))")
	for _, tbl := range []string{"dk.p", "dk.c"} {
		conn, err := db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(t.Context(), "ALTER TABLE "+tbl+" DISABLE KEYS"); err != nil {
			t.Fatal(err)
		}
		var level, msg string
		var code int
		if err := conn.QueryRowContext(t.Context(), "SHOW WARNINGS").Scan(&level, &code, &msg); err != nil || code != 1031 {
			t.Fatalf("DISABLE KEYS on %s: warning %d %q (%v), want 1031", tbl, code, msg, err)
		}
		conn.Close()
	}
	exec(db, "INSERT INTO dk.p VALUES (1)")
	exec(db, "INSERT INTO dk.c VALUES (1, 1)")
	if plan := query(db, "EXPLAIN FORMAT=TREE SELECT id FROM dk.c WHERE pid = 1"); !strings.Contains(plan, "index: [c.pid]") {
		t.Fatalf("the foreign key table's index was disabled:\n%s", plan)
	}
	if err := srv.Store().CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}
