package sqlserver

import (
	"fmt"
	"strings"
	"testing"
)

// TestShowCreateTableDefaults: ENUM, SET and empty binary defaults print as
// MySQL prints them, and the statement loads back with the same defaults
// (mysqldump copies SHOW CREATE TABLE into dumps).
func TestShowCreateTableDefaults(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE sc")
	mustExec(t, db, "USE sc")
	mustExec(t, db, `CREATE TABLE t (id INT PRIMARY KEY, e ENUM('new','paid','it''s') NOT NULL DEFAULT 'paid',
		s SET('x','y','z') DEFAULT 'x,z', vb VARBINARY(10) NOT NULL DEFAULT '', e2 ENUM('a','b') DEFAULT NULL)`)
	var name, stmt string
	if err := db.QueryRow("SHOW CREATE TABLE t").Scan(&name, &stmt); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"`e` enum('new','paid','it''s') NOT NULL DEFAULT 'paid',",
		"`s` set('x','y','z') DEFAULT 'x,z',",
		"`vb` varbinary(10) NOT NULL DEFAULT '',",
	} {
		if !strings.Contains(stmt, want) {
			t.Errorf("SHOW CREATE TABLE lacks %q:\n%s", want, stmt)
		}
	}
	// Round trip: the printed statement creates a table with the same defaults.
	mustExec(t, db, strings.Replace(stmt, "CREATE TABLE `t`", "CREATE TABLE `t_copy`", 1))
	mustExec(t, db, "INSERT INTO t (id) VALUES (1)")
	mustExec(t, db, "INSERT INTO t_copy (id) VALUES (1)")
	row := func(table string) string {
		var e, s, vb string
		var e2 *string
		if err := db.QueryRow("SELECT e, s, HEX(vb), e2 FROM "+table).Scan(&e, &s, &vb, &e2); err != nil {
			t.Fatal(err)
		}
		return strings.Join([]string{e, s, vb, fmt.Sprint(e2 == nil)}, "|")
	}
	if a, b := row("t"), row("t_copy"); a != "paid|x,z||true" || a != b {
		t.Fatalf("defaults: original %q, reloaded %q, want paid|x,z||true", a, b)
	}
}
