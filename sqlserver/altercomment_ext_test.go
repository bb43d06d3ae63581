package sqlserver_test

import "testing"

// TestAlterTableComment: ALTER TABLE ... COMMENT changes the comment that
// SHOW CREATE TABLE, SHOW TABLE STATUS and information_schema report, as
// in MySQL (GMS's parser drops the option and did nothing).
func TestAlterTableComment(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE d",
		"CREATE TABLE d.t (id INT PRIMARY KEY) COMMENT 'first'",
		"USE d",
	)
	comment := func() string {
		t.Helper()
		_, rows := queryText(t, db, "SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'd' AND TABLE_NAME = 't'")
		return joinRows(rows, ",", ";")
	}
	steps := []struct{ stmt, want string }{
		{"ALTER TABLE d.t COMMENT = 'orders of 2026'", "orders of 2026"},
		{"ALTER TABLE t ENGINE=InnoDB, COMMENT 'it''s'", "it's"},
		{"ALTER TABLE t COMMENT ''", ""},
	}
	for _, s := range steps {
		if _, err := db.Exec(s.stmt); err != nil {
			t.Fatalf("%s: %v", s.stmt, err)
		}
		if got := comment(); got != s.want {
			t.Fatalf("after %s: TABLE_COMMENT = %q, want %q", s.stmt, got, s.want)
		}
	}
	if _, err := db.Exec("ALTER TABLE t COMMENT 'x'"); err != nil {
		t.Fatal(err)
	}
	_, rows := queryText(t, db, "SHOW CREATE TABLE t")
	if got := rows[0][1]; got != "CREATE TABLE `t` (\n  `id` int NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci COMMENT='x'" {
		t.Fatalf("SHOW CREATE TABLE = %q", got)
	}
	if _, err := db.Exec("ALTER TABLE nosuch COMMENT 'x'"); err == nil {
		t.Fatal("ALTER TABLE of a missing table succeeded")
	}
}
