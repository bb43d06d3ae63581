package sqlserver_test

import (
	"strings"
	"testing"
)

// TestAlterTableWithFulltextIndexes changes the columns and primary key of
// a table with FULLTEXT indexes (this used to be refused): the indexes
// follow the change as in MySQL and keep answering MATCH, also without a
// primary key.
func TestAlterTableWithFulltextIndexes(t *testing.T) {
	db := startWith(t, "CREATE DATABASE fa",
		"CREATE TABLE fa.t (id INT PRIMARY KEY, a VARCHAR(50), b VARCHAR(50), FULLTEXT KEY fab (a, b), FULLTEXT KEY fb (b))",
		"INSERT INTO fa.t VALUES (1, 'red lamp', 'desk'), (2, 'blue chair', 'lamp shade')")
	ids := func(q string) string {
		t.Helper()
		got, err := firstColumn(db, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return got
	}
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	createTable := func() string {
		t.Helper()
		var name, stmt string
		if err := db.QueryRow("SHOW CREATE TABLE fa.t").Scan(&name, &stmt); err != nil {
			t.Fatal(err)
		}
		return stmt
	}
	// A new first column rewrites the table (new ordinals).
	exec("ALTER TABLE fa.t ADD COLUMN n INT DEFAULT 7 FIRST")
	if got := ids("SELECT id FROM fa.t WHERE MATCH(a, b) AGAINST('lamp') ORDER BY id"); got != "1,2" {
		t.Fatalf("after ADD COLUMN FIRST: %q", got)
	}
	if got := ids("SELECT n FROM fa.t WHERE MATCH(b) AGAINST('shade')"); got != "7" {
		t.Fatalf("after ADD COLUMN FIRST, MATCH(b): %q", got)
	}
	// Renaming an indexed column renames it in the indexes.
	exec("ALTER TABLE fa.t CHANGE COLUMN b body VARCHAR(60)")
	if got := ids("SELECT id FROM fa.t WHERE MATCH(body) AGAINST('desk')"); got != "1" {
		t.Fatalf("after CHANGE COLUMN: %q", got)
	}
	if s := createTable(); !strings.Contains(s, "FULLTEXT KEY `fab` (`a`,`body`)") || !strings.Contains(s, "FULLTEXT KEY `fb` (`body`)") {
		t.Fatalf("after CHANGE COLUMN:\n%s", s)
	}
	// A type that cannot be full-text indexed is refused before any change.
	if _, err := db.Exec("ALTER TABLE fa.t MODIFY COLUMN body VARBINARY(60)"); err == nil {
		t.Fatal("MODIFY COLUMN to VARBINARY accepted on a FULLTEXT column")
	}
	if got := ids("SELECT id FROM fa.t WHERE MATCH(a, body) AGAINST('chair')"); got != "2" {
		t.Fatalf("after the refused MODIFY: %q", got)
	}
	// Dropping a column drops it from every index; an index left empty goes.
	exec("ALTER TABLE fa.t DROP COLUMN body")
	s := createTable()
	if !strings.Contains(s, "FULLTEXT KEY `fab` (`a`)") || strings.Contains(s, "`fb`") {
		t.Fatalf("after DROP COLUMN:\n%s", s)
	}
	if got := ids("SELECT id FROM fa.t WHERE MATCH(a) AGAINST('red')"); got != "1" {
		t.Fatalf("after DROP COLUMN: %q", got)
	}
	if _, err := db.Exec("SELECT id FROM fa.t WHERE MATCH(body) AGAINST('desk')"); err == nil {
		t.Fatal("MATCH on a dropped column succeeded")
	}
	// Writes after the changes reach the rebuilt index.
	exec("INSERT INTO fa.t (n, id, a) VALUES (1, 3, 'green lamp')")
	if got := ids("SELECT id FROM fa.t WHERE MATCH(a) AGAINST('lamp') ORDER BY id"); got != "1,3" {
		t.Fatalf("after INSERT: %q", got)
	}
	// Dropping the primary key re-keys the index by row content (as MySQL,
	// which accepts it too); duplicates are then each found.
	exec("ALTER TABLE fa.t DROP PRIMARY KEY")
	exec("INSERT INTO fa.t (n, id, a) VALUES (1, 3, 'green lamp')")
	if got := ids("SELECT id FROM fa.t WHERE MATCH(a) AGAINST('lamp') ORDER BY id"); got != "1,3,3" {
		t.Fatalf("after DROP PRIMARY KEY and a duplicate INSERT: %q", got)
	}
	exec("DELETE FROM fa.t WHERE id = 3 LIMIT 1")
	exec("ALTER TABLE fa.t ADD PRIMARY KEY (id)")
	if got := ids("SELECT id FROM fa.t WHERE MATCH(a) AGAINST('lamp') ORDER BY id"); got != "1,3" {
		t.Fatalf("after ADD PRIMARY KEY: %q", got)
	}
}
