package sqlserver

import (
	"strings"
	"testing"
)

// TestTimeAsString: a TIME value is its text ('12:34:56', '-838:59:59')
// in CAST(... AS CHAR), CONCAT, LIKE, string functions, GROUP_CONCAT, in
// UPDATE ... SET string_col = time and INSERT ... SELECT into a string
// column, also in server-side prepared statements, as in MySQL 8.0; MIN,
// MAX and comparisons still compare times. (GMS failed with
// "incompatible conversion to SQL type" or returned NULL.)
func TestTimeAsString(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	mustExec(t, root, "CREATE DATABASE ts")
	db := openDB(t, "root", "", ts.addr, "ts")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, tm TIME, v VARCHAR(20))")
	mustExec(t, db, "INSERT INTO t VALUES (1, '12:34:56', NULL), (2, '-838:59:59', NULL), (3, NULL, NULL), (4, '09:00:00', NULL), (5, '10:00:00', NULL)")
	mustExec(t, db, "CREATE TABLE s (id INT PRIMARY KEY AUTO_INCREMENT, v TEXT)")

	col := func(q string, args ...any) string {
		t.Helper()
		rows, err := db.Query(q, args...)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			return ""
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var v *string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v == nil {
				out = append(out, "NULL")
			} else {
				out = append(out, *v)
			}
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %v", q, err)
		}
		return strings.Join(out, "|")
	}
	for _, c := range []struct {
		q    string
		args []any
		want string
	}{
		{q: "SELECT CAST(tm AS CHAR) FROM t ORDER BY id", want: "12:34:56|-838:59:59|NULL|09:00:00|10:00:00"},
		{q: "SELECT CONVERT(tm, CHAR(20)) FROM t WHERE id = 2", want: "-838:59:59"},
		{q: "SELECT CONCAT(tm, '!') FROM t WHERE id < 3 ORDER BY id", want: "12:34:56!|-838:59:59!"},
		{q: "SELECT CONCAT_WS('/', tm, tm) FROM t WHERE id = 1", want: "12:34:56/12:34:56"},
		{q: "SELECT id FROM t WHERE tm LIKE '%:59:%' ORDER BY id", want: "2"},
		{q: "SELECT CONCAT(LENGTH(tm), LEFT(tm, 3), UPPER(tm), REPLACE(tm, ':', '')) FROM t WHERE id = 2", want: "10-83-838:59:59-8385959"},
		{q: "SELECT GROUP_CONCAT(tm ORDER BY id) FROM t", want: "12:34:56,-838:59:59,09:00:00,10:00:00"},
		{q: "SELECT CONCAT(tm, ?) FROM t WHERE id = ?", args: []any{"?", 4}, want: "09:00:00?"},
		// Times still compare as times.
		{q: "SELECT MAX(tm) FROM t WHERE id > 3", want: "10:00:00"},
		{q: "SELECT MIN(tm) FROM t", want: "-838:59:59"},
		{q: "SELECT id FROM t WHERE tm > '09:30:00' ORDER BY id", want: "1|5"},
	} {
		if got := col(c.q, c.args...); got != c.want {
			t.Errorf("%s = %q, want %q", c.q, got, c.want)
		}
	}
	mustExec(t, db, "UPDATE t SET v = tm WHERE id <= 2")
	if got := col("SELECT v FROM t WHERE id <= 2 ORDER BY id"); got != "12:34:56|-838:59:59" {
		t.Errorf("UPDATE SET v = tm stored %q", got)
	}
	mustExec(t, db, "INSERT INTO s (v) SELECT tm FROM t WHERE id IN (1, 2) ORDER BY id")
	mustExec(t, db, "INSERT INTO s (v) SELECT MAX(tm) FROM t")
	if got := col("SELECT v FROM s ORDER BY id"); got != "12:34:56|-838:59:59|12:34:56" {
		t.Errorf("INSERT ... SELECT stored %q", got)
	}
}
