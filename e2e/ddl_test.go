package e2e

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestSchemaChangesOnPopulatedTable runs every ALTER kind against a table
// with rows and secondary indexes, checking the data after each step and
// after a restart, and that indexes stay consistent with the rows.
func TestSchemaChangesOnPopulatedTable(t *testing.T) {
	dir := t.TempDir()
	s := testserver.Start(t, dir)
	mustExec(t, s.Open(""), "CREATE DATABASE d")
	db := s.Open("d")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20), qty INT, KEY by_qty (qty))")
	var values []string
	for i := 1; i <= 200; i++ {
		values = append(values, fmt.Sprintf("(%d, 'n%03d', %d)", i, i, i%10))
	}
	mustExec(t, db, "INSERT INTO t VALUES "+strings.Join(values, ","))

	steps := []struct {
		ddl   string
		query string
		want  [][]string
	}{
		{"ALTER TABLE t ADD COLUMN note VARCHAR(10) DEFAULT 'none'", "SELECT id, note FROM t WHERE id IN (1, 200) ORDER BY id",
			[][]string{{"1", "none"}, {"200", "none"}}},
		{"ALTER TABLE t ADD COLUMN extra INT", "SELECT COUNT(*) FROM t WHERE extra IS NULL", [][]string{{"200"}}},
		{"ALTER TABLE t MODIFY COLUMN qty BIGINT NOT NULL", "SELECT SUM(qty) FROM t WHERE qty = 3", [][]string{{"60"}}},
		{"ALTER TABLE t RENAME COLUMN name TO label", "SELECT label FROM t WHERE id = 7", [][]string{{"n007"}}},
		{"ALTER TABLE t DROP COLUMN extra", "SELECT COUNT(*) FROM t", [][]string{{"200"}}},
		{"ALTER TABLE t ADD INDEX by_label (label)", "SELECT id FROM t WHERE label = 'n150'", [][]string{{"150"}}},
		{"ALTER TABLE t ADD UNIQUE INDEX by_label_u (label)", "SELECT COUNT(*) FROM t WHERE label >= 'n190'", [][]string{{"11"}}},
		{"ALTER TABLE t DROP INDEX by_qty", "SELECT COUNT(*) FROM t WHERE qty = 0", [][]string{{"20"}}},
		{"ALTER TABLE t DROP PRIMARY KEY", "SELECT COUNT(*) FROM t", [][]string{{"200"}}},
		{"ALTER TABLE t ADD PRIMARY KEY (qty, id)", "SELECT id FROM t WHERE qty = 5 ORDER BY id LIMIT 2", [][]string{{"5"}, {"15"}}},
		{"RENAME TABLE t TO t2", "SELECT COUNT(*) FROM t2", [][]string{{"200"}}},
	}
	for _, st := range steps {
		mustExec(t, db, st.ddl)
		if got := queryStrings(t, db, st.query); !reflect.DeepEqual(got, st.want) {
			t.Fatalf("after %q: %s = %v, want %v", st.ddl, st.query, got, st.want)
		}
		if err := s.Store().CheckConsistency(); err != nil {
			t.Fatalf("after %q: %v", st.ddl, err)
		}
	}
	if _, err := db.Exec("ALTER TABLE t2 ADD UNIQUE INDEX dup (qty)"); mysqlCode(err) != 1062 {
		t.Fatalf("unique index over duplicates: want 1062, got %v", err)
	}
	if _, err := db.Exec("INSERT INTO t2 (id, label, qty) VALUES (500, 'n001', 1)"); mysqlCode(err) != 1062 {
		t.Fatalf("built unique index not enforced: %v", err)
	}
	before := queryStrings(t, db, "SELECT * FROM t2 ORDER BY qty, id")
	s.Stop()
	s2 := testserver.Start(t, dir)
	db2 := s2.Open("d")
	if after := queryStrings(t, db2, "SELECT * FROM t2 ORDER BY qty, id"); !reflect.DeepEqual(before, after) {
		t.Fatalf("rows changed across restart")
	}
	if err := s2.Store().CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}
