package sqlserver

import (
	"database/sql"
	"strings"
	"testing"
)

// TestCreateTableLikeCopiesIndexes: CREATE TABLE ... LIKE copies FULLTEXT
// and SPATIAL indexes and column prefix lengths (GMS dropped them and
// failed with 1170 on the FULLTEXT index over a TEXT column), so the new
// table's SHOW CREATE TABLE is the old one's, and the copied FULLTEXT
// index answers MATCH.
func TestCreateTableLikeCopiesIndexes(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE u")
	mustExec(t, db, "CREATE DATABASE other")
	mustExec(t, db, "USE u")
	mustExec(t, db, `CREATE TABLE doc (id INT PRIMARY KEY, title VARCHAR(100), body TEXT, b BLOB, g POINT NOT NULL SRID 0,
		FULLTEXT KEY ft (title, body), KEY kt (title(10), id), KEY kb (b(20)), SPATIAL KEY sg (g), UNIQUE KEY ut (title) COMMENT 'c')`)
	for _, q := range []string{"CREATE TABLE doc2 LIKE doc", "CREATE TABLE other.doc3 LIKE u.doc", "USE other", "CREATE TABLE doc4 LIKE u.doc", "USE u"} {
		mustExec(t, db, q)
	}
	want := showCreate(t, db, "u.doc", "doc")
	for _, name := range []string{"u.doc2", "other.doc3", "other.doc4"} {
		if got := showCreate(t, db, name, name[strings.IndexByte(name, '.')+1:]); got != want {
			t.Errorf("SHOW CREATE TABLE %s:\n%s\nwant (as doc's)\n%s", name, got, want)
		}
	}
	mustExec(t, db, "INSERT INTO doc2 VALUES (1, 'hello world', 'x', NULL, POINT(0, 0)), (2, 'b', 'hello', NULL, POINT(1, 1)), (3, 'c', 'd', NULL, POINT(2, 2))")
	if got := queryString(t, db, "SELECT GROUP_CONCAT(id ORDER BY id) FROM doc2 WHERE MATCH(title, body) AGAINST ('hello')"); got != "1,2" {
		t.Errorf("MATCH on the copied FULLTEXT index: %s, want 1,2", got)
	}
}

// showCreate returns SHOW CREATE TABLE of qualified with the table's own
// name replaced by NAME.
func showCreate(t *testing.T, db *sql.DB, qualified, name string) string {
	t.Helper()
	var tbl, ddl string
	if err := db.QueryRow("SHOW CREATE TABLE "+qualified).Scan(&tbl, &ddl); err != nil {
		t.Fatalf("SHOW CREATE TABLE %s: %v", qualified, err)
	}
	return strings.Replace(ddl, "`"+name+"`", "`NAME`", 1)
}
