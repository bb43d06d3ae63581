package e2e

import (
	"reflect"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/internal/testserver"
)

func TestAutoIncrement(t *testing.T) {
	dir := t.TempDir()
	s := testserver.Start(t, dir)
	mustExec(t, s.Open(""), "CREATE DATABASE d")
	db := s.Open("d")
	c := conn(t, db)
	mustExec(t, c, "CREATE TABLE o (id BIGINT PRIMARY KEY AUTO_INCREMENT, v INT)")
	res := mustExec(t, c, "INSERT INTO o (v) VALUES (1), (2), (3)")
	// MySQL: LAST_INSERT_ID() is the first id of the multi-row insert.
	if id, _ := res.LastInsertId(); id != 1 {
		t.Errorf("OK packet last insert id %d, want 1", id)
	}
	if id := queryInt(t, c, "SELECT LAST_INSERT_ID()"); id != 1 {
		t.Errorf("LAST_INSERT_ID() = %d, want 1", id)
	}
	mustExec(t, c, "INSERT INTO o (v) VALUES (4), (5)")
	if id := queryInt(t, c, "SELECT LAST_INSERT_ID()"); id != 4 {
		t.Errorf("LAST_INSERT_ID() = %d, want 4", id)
	}
	// Explicit values move the counter; rolled back ids are not reused.
	mustExec(t, c, "INSERT INTO o VALUES (100, 0)")
	mustExec(t, c, "START TRANSACTION")
	mustExec(t, c, "INSERT INTO o (v) VALUES (6)")
	mustExec(t, c, "ROLLBACK")
	mustExec(t, c, "INSERT INTO o (v) VALUES (7)")
	if got := queryStrings(t, c, "SELECT id, v FROM o WHERE v = 7"); !reflect.DeepEqual(got, [][]string{{"102", "7"}}) {
		t.Errorf("after explicit 100 and a rolled back insert: %v, want id 102", got)
	}

	// AUTO_INCREMENT on the second primary key column: ordered ids per shop.
	mustExec(t, c, "CREATE TABLE p (shop INT, seq BIGINT AUTO_INCREMENT, v INT, PRIMARY KEY (shop, seq), KEY (seq))")
	mustExec(t, c, "INSERT INTO p (shop, v) VALUES (2, 1), (1, 1), (2, 2)")
	if got := queryStrings(t, c, "SELECT shop, seq FROM p ORDER BY shop, seq"); !reflect.DeepEqual(got, [][]string{{"1", "2"}, {"2", "1"}, {"2", "3"}}) {
		t.Errorf("composite auto_increment: %v", got)
	}
	s.Stop()

	// After a restart the counter continues; values are never reused.
	s2 := testserver.Start(t, dir)
	db2 := s2.Open("d")
	mustExec(t, db2, "INSERT INTO o (v) VALUES (8)")
	if id := queryInt(t, db2, "SELECT id FROM o WHERE v = 8"); id != 103 {
		t.Errorf("after restart got id %d, want 103", id)
	}
	mustExec(t, db2, "ALTER TABLE o AUTO_INCREMENT = 500")
	mustExec(t, db2, "INSERT INTO o (v) VALUES (9)")
	if id := queryInt(t, db2, "SELECT id FROM o WHERE v = 9"); id != 500 {
		t.Errorf("after ALTER AUTO_INCREMENT got %d, want 500", id)
	}
	if got := queryStrings(t, db2, "SHOW CREATE TABLE o"); len(got) != 1 || !strings.Contains(got[0][1], "AUTO_INCREMENT=501") {
		t.Errorf("SHOW CREATE TABLE: %v", got)
	}
}
