package sqlserver_test

import (
	"strings"
	"testing"
)

// TestTruncateKeepsFulltextIndex truncates a table with a FULLTEXT index
// and AUTO_INCREMENT column: the index must survive (GMS's own TRUNCATE
// dropped it), find nothing of the old rows and find the new ones, and the
// counter restarts at 1.
func TestTruncateKeepsFulltextIndex(t *testing.T) {
	db := startWith(t, "CREATE DATABASE ft",
		"CREATE TABLE ft.t (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT, FULLTEXT KEY fb (body))",
		"INSERT INTO ft.t (body) VALUES ('red lamp'), ('blue lamp')")
	count := func(q string) string {
		t.Helper()
		got, err := firstColumn(db, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return got
	}
	if got := count("SELECT COUNT(*) FROM ft.t WHERE MATCH(body) AGAINST('lamp')"); got != "2" {
		t.Fatalf("before TRUNCATE: %s matches", got)
	}
	if _, err := db.Exec("TRUNCATE TABLE ft.t"); err != nil {
		t.Fatal(err)
	}
	if got := count("SELECT COUNT(*) FROM ft.t WHERE MATCH(body) AGAINST('lamp')"); got != "0" {
		t.Fatalf("after TRUNCATE: %s matches", got)
	}
	if _, err := db.Exec("INSERT INTO ft.t (body) VALUES ('green lamp')"); err != nil {
		t.Fatal(err)
	}
	if got := count("SELECT id FROM ft.t WHERE MATCH(body) AGAINST('green')"); got != "1" {
		t.Fatalf("new row after TRUNCATE: id %q, want 1", got)
	}
	var name, stmt string
	if err := db.QueryRow("SHOW CREATE TABLE ft.t").Scan(&name, &stmt); err != nil {
		t.Fatal(err)
	}
	if want := "FULLTEXT KEY `fb` (`body`)"; !strings.Contains(stmt, want) {
		t.Fatalf("SHOW CREATE TABLE lost %s:\n%s", want, stmt)
	}
}
