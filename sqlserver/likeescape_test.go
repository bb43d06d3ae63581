package sqlserver

import (
	"database/sql"
	"strings"
	"testing"
)

// TestLikeBackslashEscapes: \_ and \% keep their backslash in string
// literals, as in MySQL, so LIKE '%\_%' matches only a literal underscore
// (the parser dropped the backslash and it matched any character), in
// SELECT, WHERE, prepared statements and multi-statement queries; other
// escapes, \\, comments and identifiers are unchanged.
func TestLikeBackslashEscapes(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE u")
	mustExec(t, db, "USE u")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(20))")
	mustExec(t, db, `INSERT INTO t VALUES (1, 'a_c'), (2, 'abc'), (3, '50%'), (4, '5x'), (5, 'a\\_c')`)
	for _, c := range []struct{ q, want string }{
		{`SELECT CONCAT('abc' LIKE '%\_%', 'a_c' LIKE '%\_%', '50%' LIKE '%\%', '5x' LIKE '5\%')`, "0110"},
		{`SELECT '\_\%'`, `\_\%`},
		{`SELECT CONCAT(LENGTH('\_'), LENGTH('\\_'), LENGTH('\n'), LENGTH("\_"))`, "2212"},
		{`SELECT GROUP_CONCAT(id ORDER BY id) FROM t WHERE s LIKE '%\_%'`, "1,5"},
		{`SELECT GROUP_CONCAT(id ORDER BY id) FROM t WHERE s LIKE '%\%'`, "3"},
		{"SELECT /* '\\_ */ 'it''s \\_' -- '\\_\n", `it's \_`},
		{"SELECT `id` FROM t WHERE s = 'a\\\\_c'", "5"},
	} {
		if got := queryString(t, db, c.q); got != c.want {
			t.Errorf("%s: %q, want %q", c.q, got, c.want)
		}
	}
	// SHOW ... LIKE patterns are matched by GMS without escapes: left as
	// they were, so mysqldump's SHOW TABLES LIKE 'a\_b' finds its table.
	mustExec(t, db, "CREATE TABLE a_b (id INT PRIMARY KEY)")
	for _, q := range []string{`SHOW TABLES LIKE 'a\_b'`, `/* x */ SHOW FULL TABLES LIKE 'a\_b'`, `SHOW TABLE STATUS LIKE 'a\_b'`} {
		if got := firstColumn(t, db, q); got != "a_b" {
			t.Errorf("%s: %q, want a_b", q, got)
		}
	}
	var n string
	if err := db.QueryRow(`SELECT GROUP_CONCAT(id ORDER BY id) FROM t WHERE s LIKE ? AND s <> '\_'`, `%\_%`).Scan(&n); err != nil || n != "1,5" {
		t.Errorf("prepared LIKE ?: %q, %v; want 1,5", n, err)
	}
	multi := mustConnectDSN(t, "root:@tcp("+ts.addr+")/u?multiStatements=true")
	rows, err := multi.Query(`SELECT '\_' AS a; SELECT 'x\%' AS b`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for {
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		if !rows.NextResultSet() {
			break
		}
	}
	if len(got) != 2 || got[0] != `\_` || got[1] != `x\%` {
		t.Errorf("multi-statement: %q, want [\\_ x\\%%]", got)
	}
}

func mustConnectDSN(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// firstColumn returns the first column of q's rows, joined by commas.
func firstColumn(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		out = append(out, string(vals[0]))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, ",")
}

// TestLikeEscapeArgument: an empty ESCAPE string is no escape character (GMS panicked:
// 1105), a single character escapes, and more than one character or a
// column is error 1210 (HY000), for literals and variables, in SELECT lists
// and WHERE.
func TestLikeEscapeArgument(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE u")
	mustExec(t, db, "USE u")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(20), e VARCHAR(4))")
	mustExec(t, db, `INSERT INTO t VALUES (1, 'a_b', ''), (2, 'axb', ''), (3, 'a|_b', '|'), (4, 'a\\b', '')`)
	mustExec(t, db, "SET @none = '', @bar = '|', @two = 'ab'")
	for _, c := range []struct{ q, want string }{
		{`SELECT CONCAT('a_b' LIKE 'a|_b' ESCAPE '', 'a|_b' LIKE 'a|_b' ESCAPE '', 'a|xb' LIKE 'a|_b' ESCAPE '')`, "011"},
		{`SELECT CONCAT('a_b' LIKE 'a|_b' ESCAPE '|', 'axb' LIKE 'a|_b' ESCAPE '|', 'a%' LIKE 'a\\%' ESCAPE '')`, "100"},
		{`SELECT CONCAT('a\\b' LIKE 'a\\b' ESCAPE '', 'a_b' LIKE 'a|_b' ESCAPE @none, 'a_b' LIKE 'a|_b' ESCAPE @bar)`, "101"},
		{`SELECT GROUP_CONCAT(id ORDER BY id) FROM t WHERE s LIKE 'a|_b' ESCAPE ''`, "3"},
		{`SELECT GROUP_CONCAT(id ORDER BY id) FROM t WHERE s LIKE 'a\\b' ESCAPE ''`, "4"},
	} {
		if got := queryString(t, db, c.q); got != c.want {
			t.Errorf("%s: %q, want %q", c.q, got, c.want)
		}
	}
	for _, q := range []string{
		`SELECT 'a_b' LIKE 'a|_b' ESCAPE 'ab'`,
		`SELECT 'a_b' LIKE 'a|_b' ESCAPE @two`,
		`SELECT s FROM t WHERE s LIKE 'a%' ESCAPE CONCAT(e, 'xy')`,
		`SELECT s FROM t WHERE s LIKE "a_b" ESCAPE e`,
	} {
		// (The message is GMS's "Invalid argument to ESCAPE", which GMS's
		// tests expect; MySQL says "Incorrect arguments to ESCAPE".)
		_, err := db.Exec(q)
		checkMySQLError(t, q, err, 1210, "HY000")
	}
}
