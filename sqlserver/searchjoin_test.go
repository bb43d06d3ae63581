package sqlserver

import (
	"fmt"
	"testing"
)

// TestJoinOnSearchIndexedColumn joins on columns that lead a FULLTEXT
// index (GMS's join planner built a range lookup on the search index and
// failed with "failed to replan join") and compares every answer with the
// same tables without the FULLTEXT index: inner, left, self and semi/anti
// joins (IN, EXISTS, NOT EXISTS), with and without MATCH ... AGAINST.
func TestJoinOnSearchIndexedColumn(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE u")
	mustExec(t, db, "USE u")
	for _, name := range []string{"doc", "plain"} {
		ft := ", FULLTEXT KEY ft (title, body), FULLTEXT KEY ftb (body)"
		if name == "plain" {
			ft = ""
		}
		mustExec(t, db, fmt.Sprintf("CREATE TABLE %s (id INT PRIMARY KEY, title VARCHAR(100), body TEXT, cat INT%s)", name, ft))
		mustExec(t, db, fmt.Sprintf(`INSERT INTO %s VALUES (1, 'hello world', 'a b', 1), (2, 'b', 'hello there', 2), (3, 'x', 'hello world', 1),
			(4, 'a', 'x', NULL), (5, NULL, 'b', 2)`, name))
	}
	mustExec(t, db, "CREATE TABLE cat (id INT PRIMARY KEY, name VARCHAR(20), KEY (name))")
	mustExec(t, db, "INSERT INTO cat VALUES (1, 'a'), (2, 'b'), (3, 'x'), (4, NULL)")
	for _, q := range []string{
		"SELECT d.id, c.id FROM %[1]s d JOIN cat c ON d.title = c.name",
		"SELECT d.id, c.id FROM cat c JOIN %[1]s d ON c.name = d.body",
		"SELECT d.id, c.id FROM %[1]s d LEFT JOIN cat c ON c.name = d.title",
		"SELECT d.id, c.id FROM cat c LEFT JOIN %[1]s d ON c.name = d.title",
		"SELECT d1.id, d2.id FROM %[1]s d1 JOIN %[1]s d2 ON d1.title = d2.title",
		"SELECT d1.id, d2.id FROM %[1]s d1 JOIN %[1]s d2 ON d1.title = d2.body",
		"SELECT d1.id, d2.id FROM %[1]s d1 JOIN %[1]s d2 ON d1.title <=> d2.body",
		"SELECT id, 0 FROM %[1]s d WHERE d.title IN (SELECT name FROM cat)",
		"SELECT id, 0 FROM cat c WHERE c.name IN (SELECT body FROM %[1]s)",
		"SELECT id, 0 FROM %[1]s WHERE EXISTS (SELECT 1 FROM cat WHERE cat.name = %[1]s.title)",
		"SELECT id, 0 FROM %[1]s WHERE NOT EXISTS (SELECT 1 FROM cat WHERE cat.name = %[1]s.title)",
		"SELECT id, 0 FROM cat WHERE EXISTS (SELECT 1 FROM %[1]s WHERE %[1]s.body = cat.name)",
		"SELECT d.id, c.id FROM %[1]s d JOIN cat c ON d.title = c.name AND d.cat = c.id",
		"SELECT d.id, c.id FROM %[1]s d, cat c WHERE d.title = c.name AND d.title = 'a'",
	} {
		got := queryString(t, db, "SELECT COALESCE(GROUP_CONCAT(CONCAT_WS(':', a, b) ORDER BY a, b), '') FROM ("+fmt.Sprintf(q, "doc")+") AS r (a, b)")
		want := queryString(t, db, "SELECT COALESCE(GROUP_CONCAT(CONCAT_WS(':', a, b) ORDER BY a, b), '') FROM ("+fmt.Sprintf(q, "plain")+") AS r (a, b)")
		if got != want {
			t.Errorf("%s: with FULLTEXT %q, without %q", fmt.Sprintf(q, "doc"), got, want)
		}
	}
	// MATCH still reads the search index inside the join.
	if got := queryString(t, db, "SELECT GROUP_CONCAT(doc.id ORDER BY doc.id) FROM doc JOIN cat c ON doc.body = c.name WHERE MATCH(body) AGAINST ('b')"); got != "5" {
		t.Errorf("MATCH in a join on the searched column: %s, want 5", got)
	}
}
