package sqlserver

import (
	"strings"
	"testing"
)

// TestShowWarningsOrder: SHOW WARNINGS lists the warnings in the order
// they were raised, LIMIT and OFFSET counting from the first, as MySQL
// 8.0 does (GMS listed them newest first).
func TestShowWarningsOrder(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	mustExec(t, root, "CREATE DATABASE w")
	db := openDB(t, "root", "", ts.addr, "w")
	db.SetMaxOpenConns(1) // SHOW WARNINGS is about the connection's last statement
	mustExec(t, db, "CREATE TABLE t (v TINYINT)")
	for _, c := range []struct{ show, want string }{
		{"SHOW WARNINGS", "at row 1|at row 2|at row 3"},
		{"SHOW WARNINGS LIMIT 1", "at row 1"},
		{"SHOW WARNINGS LIMIT 1, 1", "at row 2"},
		{"SHOW WARNINGS LIMIT 2 OFFSET 1", "at row 2|at row 3"},
	} {
		mustExec(t, db, "INSERT IGNORE INTO t VALUES (300), (-300), (1000)")
		var got []string
		for _, w := range showWarnings(t, db, c.show) {
			if w.level != "Warning" || w.code != 1264 || !strings.HasPrefix(w.msg, "Out of range value for column 'v' ") {
				t.Errorf("%s: row %s %d %q", c.show, w.level, w.code, w.msg)
			}
			got = append(got, strings.TrimPrefix(w.msg, "Out of range value for column 'v' "))
		}
		if g := strings.Join(got, "|"); g != c.want {
			t.Errorf("%s = %q, want %q", c.show, g, c.want)
		}
	}
}
