package sqlserver

import "testing"

// TestGroupConcatManyExpressions: GROUP_CONCAT of several expressions
// concatenates them per row, as MySQL does (GMS kept only the first). The
// expected values are MariaDB 10.11's for the same data.
func TestGroupConcatManyExpressions(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	mustExec(t, db, "CREATE DATABASE g")
	mustExec(t, db, "CREATE TABLE g.t (id INT PRIMARY KEY, k INT, name VARCHAR(10), note TEXT)")
	mustExec(t, db, "INSERT INTO g.t VALUES (1, 1, 'a', 'x'), (2, 1, 'b', NULL), (3, 2, 'c', 'z'), (4, 2, 'a', 'x')")
	for _, c := range []struct{ query, want string }{
		{"SELECT GROUP_CONCAT(id, ':', name ORDER BY id) FROM g.t", "1:a,2:b,3:c,4:a"},
		// A NULL expression skips the row.
		{"SELECT GROUP_CONCAT(id, '=', note ORDER BY id) FROM g.t", "1=x,3=z,4=x"},
		{"SELECT GROUP_CONCAT(name, id ORDER BY id DESC SEPARATOR '|') FROM g.t", "a4|c3|b2|a1"},
		{"select group_concat(DISTINCT name, '-', note order by name) from g.t", "a-x,c-z"},
		{"SELECT GROUP_CONCAT(k, name ORDER BY k, name) FROM g.t WHERE id > 1", "1b,2a,2c"},
		// Per group, and inside a subquery.
		{"SELECT GROUP_CONCAT(s ORDER BY s SEPARATOR ';') FROM (SELECT GROUP_CONCAT(id, name ORDER BY id) AS s FROM g.t GROUP BY k) AS d", "1a,2b;3c,4a"},
		// One expression is unchanged.
		{"SELECT GROUP_CONCAT(name ORDER BY id) FROM g.t", "a,b,c,a"},
	} {
		if got := queryString(t, db, c.query); got != c.want {
			t.Errorf("%s = %q, want %q", c.query, got, c.want)
		}
	}
	// Prepared statements parse through the same rewrite.
	var got string
	if err := db.QueryRow("SELECT GROUP_CONCAT(id, ?, name ORDER BY id) FROM g.t WHERE k = ?", "/", 2).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "3/c,4/a" {
		t.Errorf("prepared: %q, want %q", got, "3/c,4/a")
	}
}
