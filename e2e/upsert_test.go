package e2e

import (
	"reflect"
	"testing"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestUpsertAndReplace covers INSERT ... ON DUPLICATE KEY UPDATE, REPLACE
// and INSERT IGNORE against both the primary key and a unique secondary
// index; they rely on the storage returning the existing row with the
// duplicate-key error.
func TestUpsertAndReplace(t *testing.T) {
	s := testserver.Start(t, t.TempDir())
	mustExec(t, s.Open(""), "CREATE DATABASE d")
	db := s.Open("d")
	mustExec(t, db, "CREATE TABLE inv (sku VARCHAR(10) PRIMARY KEY, code INT NOT NULL, qty INT NOT NULL, UNIQUE KEY by_code (code))")
	mustExec(t, db, "INSERT INTO inv VALUES ('a', 1, 10), ('b', 2, 20)")
	res := mustExec(t, db, "INSERT INTO inv VALUES ('a', 1, 5) ON DUPLICATE KEY UPDATE qty = qty + VALUES(qty)")
	if n, _ := res.RowsAffected(); n != 2 {
		t.Errorf("ODKU update affected %d rows, want 2 (MySQL convention)", n)
	}
	// Conflict on the unique secondary index updates that row.
	mustExec(t, db, "INSERT INTO inv VALUES ('z', 2, 1) ON DUPLICATE KEY UPDATE qty = qty + 100")
	mustExec(t, db, "REPLACE INTO inv VALUES ('c', 1, 7)") // replaces 'a' through by_code
	mustExec(t, db, "INSERT IGNORE INTO inv VALUES ('b', 9, 9), ('d', 4, 4)")
	want := [][]string{{"b", "2", "120"}, {"c", "1", "7"}, {"d", "4", "4"}}
	if got := queryStrings(t, db, "SELECT sku, code, qty FROM inv ORDER BY sku"); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := queryStrings(t, db, "SELECT sku FROM inv WHERE code = 1"); !reflect.DeepEqual(got, [][]string{{"c"}}) {
		t.Fatalf("unique index after REPLACE: %v", got)
	}
	if err := s.Store().CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}
