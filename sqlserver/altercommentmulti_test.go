package sqlserver

import "testing"

// TestAlterClauseComment: the table COMMENT of a multi-clause ALTER TABLE
// is found; column comments are not the table's.
func TestAlterClauseComment(t *testing.T) {
	for _, c := range []struct {
		q, db, table, comment string
		ok                    bool
	}{
		{q: "ALTER TABLE t ADD COLUMN c INT, COMMENT = 'one'", table: "t", comment: "one", ok: true},
		{q: "alter table d.t comment 'x', add index i (c)", db: "d", table: "t", comment: "x", ok: true},
		{q: "ALTER TABLE t ADD COLUMN c INT COMMENT 'col'", table: "t"},
		{q: "ALTER TABLE t ADD COLUMN (c INT COMMENT 'a', d INT), ENGINE = InnoDB, COMMENT 'b'", table: "t", comment: "b", ok: true},
		{q: "ALTER TABLE t MODIFY c INT COMMENT 'a', CHANGE d e INT COMMENT 'b'", table: "t"},
		{q: "ALTER TABLE t ADD COLUMN c INT, COMMENT 'a', COMMENT 'b';", table: "t", comment: "b", ok: true},
		{q: "SELECT 'ALTER TABLE t COMMENT x'"},
	} {
		db, table, comment, ok := alterClauseComment(c.q)
		if ok != c.ok || (ok && (db != c.db || table != c.table || comment != c.comment)) {
			t.Errorf("%s: got %q %q %q %v, want %q %q %q %v", c.q, db, table, comment, ok, c.db, c.table, c.comment, c.ok)
		}
	}
}

// TestAlterCommentMulti: ALTER TABLE with other clauses and a table
// COMMENT applies both, as MySQL does; a column's COMMENT leaves the
// table's alone, and a failing ALTER does not set it.
func TestAlterCommentMulti(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	mustExec(t, root, "CREATE DATABASE ac")
	db := openDB(t, "root", "", ts.addr, "ac")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY)")
	comment := func() string {
		t.Helper()
		return queryString(t, db, "SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'ac' AND TABLE_NAME = 't'")
	}
	for _, c := range []struct{ alter, want string }{
		{"ALTER TABLE t ADD COLUMN c INT, COMMENT = 'one'", "one"},
		{"ALTER TABLE t ADD COLUMN d INT COMMENT 'col'", "one"},
		{"ALTER TABLE t COMMENT 'two', ADD INDEX ic (c)", "two"},
		{"ALTER TABLE ac.t ADD COLUMN e INT, ADD COLUMN f INT, COMMENT 'three'", "three"},
	} {
		mustExec(t, db, c.alter)
		if got := comment(); got != c.want {
			t.Errorf("after %s: comment %q, want %q", c.alter, got, c.want)
		}
	}
	if got := queryString(t, db, "SELECT GROUP_CONCAT(CONCAT(COLUMN_NAME, ':', COLUMN_COMMENT) ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'ac' AND TABLE_NAME = 't'"); got != "id:,c:,d:col,e:,f:" {
		t.Errorf("columns %q", got)
	}
	if got := queryString(t, db, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'ac' AND TABLE_NAME = 't' AND INDEX_NAME = 'ic'"); got != "1" {
		t.Errorf("index ic: %s rows", got)
	}
	_, err := db.Exec("ALTER TABLE t ADD COLUMN c INT, COMMENT 'four'")
	checkMySQLError(t, "duplicate column", err, 1060, "42S21")
	if got := comment(); got != "three" {
		t.Errorf("after a failed ALTER: comment %q, want three", got)
	}
}
