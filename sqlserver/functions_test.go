package sqlserver_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestQuarryFunctions checks the functions Quarry adds to or corrects in
// GMS against MySQL 8.0's documented results.
func TestQuarryFunctions(t *testing.T) {
	// Without parseTime: the values as the server formats them.
	db, err := sql.Open("mysql", strings.Replace(testserver.Start(t, t.TempDir()).DSN(""), "parseTime=true&", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct{ q, want string }{
		{"SELECT INSERT('Quadratic', 3, 4, 'What')", "QuWhattic"},
		{"SELECT INSERT('Quadratic', -1, 4, 'What')", "Quadratic"},
		{"SELECT INSERT('Quadratic', 3, 100, 'What')", "QuWhat"},
		{"SELECT INSERT('东京都', 2, 1, 'x')", "东x都"},
		{"SELECT INSERT(NULL, 2, 1, 'x') IS NULL", "1"},
		{"SELECT TRUNCATE(1.223, 1)", "1.2"},
		{"SELECT TRUNCATE(1.999, 1)", "1.9"},
		{"SELECT TRUNCATE(1.999, 0)", "1"},
		{"SELECT TRUNCATE(-1.999, 1)", "-1.9"},
		{"SELECT TRUNCATE(122, -2)", "100"},
		{"SELECT TRUNCATE(-129, -1)", "-120"},
		{"SELECT TRUNCATE(10.28 * 100, 0)", "1028"},
		{"SELECT TRUNCATE(CAST(123.456 AS DECIMAL(6,3)), -1)", "120"},
		{"SELECT MAKEDATE(2011, 31)", "2011-01-31"},
		{"SELECT MAKEDATE(2011, 32)", "2011-02-01"},
		{"SELECT MAKEDATE(2011, 365)", "2011-12-31"},
		{"SELECT MAKEDATE(2014, 0) IS NULL", "1"},
		{"SELECT MAKEDATE(11, 1)", "2011-01-01"},
		{"SELECT LPAD('hi', 4, '??')", "??hi"},
		{"SELECT LPAD('hi', 1, '??')", "h"},
		{"SELECT RPAD('hi', 5, '?')", "hi???"},
		{"SELECT LPAD('请尽快', 5, '*')", "**请尽快"},
		{"SELECT LPAD('请尽快', 2, '*')", "请尽"},
		{"SELECT RPAD('Zoë', 5, 'éa')", "Zoëéa"},
		{"SELECT LPAD('hi', -1, '?') IS NULL", "1"},
		{"SELECT COALESCE(CAST(1.377 AS DECIMAL(5,3)), 0.5)", "1.377"},
		{"SELECT COALESCE(NULL, 382.87, 0.5) - 3", "379.87"},
		{"SELECT COALESCE(NULL, 0.5, 12345)", "0.5"},
		{"SELECT COALESCE(NULL, 'a', 1)", "a"},
		{"SELECT SIGN(-0.25)", "-1"},
		{"SELECT SIGN(CAST(0.3 AS DECIMAL(5,3)))", "1"},
		{"SELECT SIGN(0)", "0"},
		{"SELECT SIGN(-7)", "-1"},
		{"SELECT SIGN(-1.5e0)", "-1"},
		{"SELECT GREATEST(1, 2.5, -3)", "2.5"},
		{"SELECT GREATEST(1, NULL, 2.5) IS NULL", "1"},
		{"SELECT GREATEST(3, 7, 5)", "7"},
		{"SELECT GREATEST(3, CEIL(2.5))", "3"},
		{"SELECT LEAST(3, CEIL(2.5))", "3"},
		{"SELECT LEAST(3, 1.5e0)", "1.5"},
		{"SELECT LEAST('b', 'a')", "a"},
		{"SELECT LOCATE('bar', 'foobarbar')", "4"},
		{"SELECT LOCATE('xbar', 'foobar')", "0"},
		{"SELECT LOCATE('bar', 'foobarbar', 5)", "7"},
		{"SELECT LOCATE('BAR', 'foobar')", "4"},
		{"SELECT LOCATE('a', '请a')", "2"},
		{"SELECT LOCATE('张', '王张伟', 2)", "2"},
		{"SELECT LOCATE('a', 'abc', -1)", "0"},
		{"SELECT LOCATE('', 'abc')", "1"},
		{"SELECT LOCATE('1', 213)", "2"},
		{"SELECT LOCATE('a', NULL) IS NULL", "1"},
		{"SELECT IFNULL(CAST(NULL AS CHAR(3)), 'a longer text')", "a longer text"},
		{"SELECT IFNULL(NULL, 'x')", "x"},
		{"SELECT IFNULL(1, 2)", "1"},
	} {
		var got sql.NullString
		if err := db.QueryRow(c.q).Scan(&got); err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if got.String != c.want {
			t.Errorf("%s = %q, want %q", c.q, got.String, c.want)
		}
	}
}

// TestIfNullType: IFNULL's result holds either argument (GMS typed it as
// the first and failed with 1406 when grouping by a longer second value).
func TestIfNullType(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE fn",
		"CREATE TABLE fn.o (id INT PRIMARY KEY, pcode VARCHAR(3), status VARCHAR(20))",
		"INSERT INTO fn.o VALUES (1, NULL, 'cancelled'), (2, 'A1', 'paid')",
	)
	rows, err := db.Query("SELECT IFNULL(pcode, status) AS g, COUNT(*) FROM fn.o GROUP BY g ORDER BY g")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var g string
		var n int
		if err := rows.Scan(&g, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, g)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "A1,cancelled" {
		t.Fatalf("groups %v, want [A1 cancelled]", got)
	}
}
