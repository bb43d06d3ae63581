package sqlserver

import (
	"strings"
	"testing"
)

// TestCastStringToInt: CAST(string AS SIGNED/UNSIGNED) reads the integer
// at the start of the string and raises warning 1292 "Truncated incorrect
// INTEGER value" when anything else is there, as MySQL 8.0 does (GMS gave
// 0, or rounded '1.7' to 2, without a warning); clean integers convert
// without a warning, also from a column and through a prepared statement.
func TestCastStringToInt(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	mustExec(t, root, "CREATE DATABASE ci")
	db := openDB(t, "root", "", ts.addr, "ci")
	db.SetMaxOpenConns(1) // SHOW WARNINGS reads the connection's last statement
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(30))")
	mustExec(t, db, "INSERT INTO t VALUES (1, '1y'), (2, ' 12abc'), (3, '42'), (4, '-9223372036854775808')")
	for _, c := range []struct {
		q        string
		args     []any
		want     string
		warnings string
	}{
		{q: "SELECT CAST('1y' AS SIGNED)", want: "1", warnings: "Truncated incorrect INTEGER value: '1y'"},
		{q: "SELECT CAST(' 12abc' AS UNSIGNED)", want: "12", warnings: "Truncated incorrect INTEGER value: ' 12abc'"},
		{q: "SELECT CAST('1.7' AS SIGNED)", want: "1", warnings: "Truncated incorrect INTEGER value: '1.7'"},
		{q: "SELECT CONVERT('-5x', SIGNED)", want: "-5", warnings: "Truncated incorrect INTEGER value: '-5x'"},
		{q: "SELECT CAST('1e3' AS SIGNED INTEGER)", want: "1", warnings: "Truncated incorrect INTEGER value: '1e3'"},
		{q: "SELECT CAST('abc' AS SIGNED)", want: "0", warnings: "Truncated incorrect INTEGER value: 'abc'"},
		{q: "SELECT CAST('' AS SIGNED)", want: "0", warnings: "Truncated incorrect INTEGER value: ''"},
		{q: "SELECT CAST(' +7' AS UNSIGNED)", want: "7"},
		{q: "SELECT CAST('-12' AS SIGNED)", want: "-12"},
		{q: "SELECT CAST('18446744073709551615' AS UNSIGNED)", want: "18446744073709551615"},
		{q: "SELECT CAST(s AS SIGNED) FROM t WHERE id = 4", want: "-9223372036854775808"},
		{q: "SELECT CAST(s AS SIGNED) FROM t WHERE id = 3", want: "42"},
		{q: "SELECT CAST(s AS UNSIGNED) * 2 FROM t WHERE id < 3 ORDER BY id DESC LIMIT 1", want: "24",
			warnings: "Truncated incorrect INTEGER value: ' 12abc'"},
		{q: "SELECT id FROM t WHERE CAST(s AS SIGNED) = 1", want: "1",
			warnings: "Truncated incorrect INTEGER value: '1y'|Truncated incorrect INTEGER value: ' 12abc'"},
		{q: "SELECT CAST(? AS SIGNED)", args: []any{"7 days"}, want: "7", warnings: "Truncated incorrect INTEGER value: '7 days'"},
		// Numbers (not strings) still round.
		{q: "SELECT CAST(1.7 AS SIGNED)", want: "2"},
	} {
		if got := queryString(t, db, c.q, c.args...); got != c.want {
			t.Errorf("%s = %s, want %s", c.q, got, c.want)
		}
		var got []string
		for _, w := range showWarnings(t, db, "SHOW WARNINGS") {
			if w.level != "Warning" || w.code != 1292 {
				t.Errorf("%s: warning %s %d %q", c.q, w.level, w.code, w.msg)
			}
			got = append(got, w.msg)
		}
		if g := strings.Join(got, "|"); g != c.warnings {
			t.Errorf("%s: warnings %q, want %q", c.q, g, c.warnings)
		}
	}
}
