package sqlserver

import "testing"

// TestUpdateWritesByteChanges updates values to collation-equal ones: MySQL
// writes them and counts the rows as changed.
func TestUpdateWritesByteChanges(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE u")
	mustExec(t, db, "USE u")
	mustExec(t, db, `CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(20) COLLATE utf8mb4_0900_ai_ci,
		pad VARCHAR(20) COLLATE utf8mb4_general_ci, txt TEXT, ch CHAR(5), k INT, KEY (note))`)
	mustExec(t, db, "INSERT INTO t VALUES (1, 'SHIPPED', 'a', 'Text', 'x', 1), (2, 'new', 'b', 'x', 'y', 2)")
	step := func(q string, wantAffected int64) {
		t.Helper()
		res, err := db.Exec(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n, _ := res.RowsAffected(); n != wantAffected {
			t.Errorf("%s: %d rows affected, want %d", q, n, wantAffected)
		}
	}
	step("UPDATE t SET note = 'shipped' WHERE id = 1", 1)
	step("UPDATE t SET note = 'shipped' WHERE id = 1", 0)
	step("UPDATE t SET pad = 'a ' WHERE id = 1", 1) // PAD SPACE: equal, but other bytes
	step("UPDATE t SET txt = 'TEXT' WHERE k = 1", 1)
	step("UPDATE t SET note = 'NEW' WHERE note = 'new'", 1)
	step("UPDATE t SET note = UPPER(note)", 1) // row 1 changes, row 2 is already 'NEW'
	got := queryString(t, db, "SELECT GROUP_CONCAT(CONCAT(id, ':', note, ':', pad, '|', txt) ORDER BY id) FROM t")
	if want := "1:SHIPPED:a |TEXT,2:NEW:b|x"; got != want {
		t.Errorf("rows %q, want %q", got, want)
	}
	// The index on note follows the new bytes.
	if got := queryString(t, db, "SELECT COUNT(*) FROM t WHERE note = 'shipped'"); got != "1" {
		t.Errorf("lookup found %s rows", got)
	}
	// The same through GMS's foreign key handler (a child table), whose
	// reference checks still compare by collation.
	mustExec(t, db, "CREATE TABLE p (code VARCHAR(10) COLLATE utf8mb4_0900_ai_ci PRIMARY KEY)")
	mustExec(t, db, "INSERT INTO p VALUES ('AB'), ('CD')")
	mustExec(t, db, "CREATE TABLE c (id INT PRIMARY KEY, code VARCHAR(10) COLLATE utf8mb4_0900_ai_ci, memo VARCHAR(10), FOREIGN KEY (code) REFERENCES p (code))")
	mustExec(t, db, "INSERT INTO c VALUES (1, 'AB', 'x')")
	step("UPDATE c SET memo = 'X' WHERE id = 1", 1)
	step("UPDATE c SET memo = 'X' WHERE id = 1", 0)  // no change: not counted
	step("UPDATE c SET code = 'ab' WHERE id = 1", 1) // matches parent 'AB' by collation
	if _, err := db.Exec("UPDATE c SET code = 'zz' WHERE id = 1"); mysqlErrNumber(err) != 1452 {
		t.Errorf("a missing parent: %v, want error 1452", err)
	}
	if got := queryString(t, db, "SELECT CONCAT(code, memo) FROM c"); got != "abX" {
		t.Errorf("child row %q, want abX", got)
	}
	if err := ts.store.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// TestUpdateJoinAndTriggersWriteByteChanges: UPDATE with joins (inner and
// LEFT, one or both tables written) and UPDATE of a table with triggers
// also write case-only and trailing-space changes, and count them.
func TestUpdateJoinAndTriggersWriteByteChanges(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE u")
	mustExec(t, db, "USE u")
	mustExec(t, db, "CREATE TABLE o (id INT PRIMARY KEY, status VARCHAR(20), KEY (status))")
	mustExec(t, db, "CREATE TABLE s (id INT PRIMARY KEY, label VARCHAR(20), memo TEXT)")
	mustExec(t, db, "INSERT INTO o VALUES (1, 'SHIPPED'), (2, 'new'), (3, 'Paid')")
	mustExec(t, db, "INSERT INTO s VALUES (1, 'Alpha', 'm'), (2, 'beta', 'M')")
	step := func(q string, wantAffected int64) {
		t.Helper()
		res, err := db.Exec(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n, _ := res.RowsAffected(); n != wantAffected {
			t.Errorf("%s: %d rows affected, want %d", q, n, wantAffected)
		}
	}
	step("UPDATE o JOIN s ON o.id = s.id SET o.status = 'shipped' WHERE o.id = 1", 1)
	step("UPDATE o JOIN s ON o.id = s.id SET o.status = 'shipped' WHERE o.id = 1", 0)
	step("UPDATE o JOIN s ON o.id = s.id SET o.status = UPPER(o.status), s.label = LOWER(s.label)", 3)
	step("UPDATE o LEFT JOIN s ON o.id = s.id SET o.status = LOWER(o.status), s.memo = 'm'", 4)
	mustExec(t, db, "CREATE TABLE audit (n INT)")
	mustExec(t, db, "CREATE TRIGGER tr BEFORE UPDATE ON o FOR EACH ROW SET NEW.status = CONCAT(NEW.status, '')")
	mustExec(t, db, "CREATE TRIGGER ta AFTER UPDATE ON o FOR EACH ROW INSERT INTO audit VALUES (NEW.id)")
	step("UPDATE o SET status = 'Shipped' WHERE id = 1", 1)
	step("UPDATE o SET status = 'Shipped' WHERE id = 1", 0)
	got := queryString(t, db, "SELECT GROUP_CONCAT(CONCAT(id, ':', status) ORDER BY id) FROM o")
	if want := "1:Shipped,2:new,3:paid"; got != want {
		t.Errorf("o rows %q, want %q", got, want)
	}
	got = queryString(t, db, "SELECT GROUP_CONCAT(CONCAT(id, ':', label, ':', memo) ORDER BY id) FROM s")
	if want := "1:alpha:m,2:beta:m"; got != want {
		t.Errorf("s rows %q, want %q", got, want)
	}
	if got := queryString(t, db, "SELECT COUNT(*) FROM o WHERE status = 'SHIPPED'"); got != "1" {
		t.Errorf("lookup found %s rows", got)
	}
	if err := ts.store.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}
