package sqlserver

import (
	"context"
	"testing"
)

// TestReadOnly: with read_only on, users without SUPER or CONNECTION_ADMIN
// get 1290 (HY000) for DML, DDL and account management, also through the
// bulk INSERT path, prepared statements and a learned prepared UPDATE, but
// may read and use temporary tables; SUPER may write. super_read_only
// refuses writes from everyone. (GMS enforced neither variable.)
func TestReadOnly(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	mustExec(t, root, "CREATE DATABASE r")
	mustExec(t, root, "CREATE TABLE r.t (id INT PRIMARY KEY, v INT)")
	mustExec(t, root, "INSERT INTO r.t VALUES (1, 1)")
	mustExec(t, root, "CREATE USER w IDENTIFIED BY 'pw'")
	mustExec(t, root, "GRANT ALL ON *.* TO w")
	mustExec(t, root, "REVOKE SUPER ON *.* FROM w")
	t.Cleanup(func() {
		_, _ = root.Exec("SET GLOBAL super_read_only = 0")
		_, _ = root.Exec("SET GLOBAL read_only = 0")
	})
	w := openDB(t, "w", "pw", ts.addr, "r")
	w.SetMaxOpenConns(1)
	// A prepared UPDATE the connection learns before read_only is set.
	ctx := context.Background()
	conn, err := w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	upd, err := conn.PrepareContext(ctx, "UPDATE t SET v = ? WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	defer upd.Close()
	for i := 0; i < 3; i++ {
		if _, err := upd.Exec(i, 1); err != nil {
			t.Fatal(err)
		}
	}
	mustExec(t, root, "SET GLOBAL read_only = 1")
	const roMsg = "The MySQL server is running with the --read-only option so it cannot execute this statement"
	refused := func(who string, msg string, q string, args ...any) {
		t.Helper()
		_, err := conn.ExecContext(ctx, q, args...)
		if me := checkMySQLError(t, who+": "+q, err, 1290, "HY000"); me != nil && me.Message != msg {
			t.Errorf("%s: %s: message %q", who, q, me.Message)
		}
	}
	for _, q := range []string{
		"INSERT INTO t VALUES (2, 2)",
		"INSERT INTO t VALUES (2, 2), (3, 3)",
		"REPLACE INTO t VALUES (1, 5)",
		"UPDATE t SET v = 9",
		"DELETE FROM t",
		"TRUNCATE t",
		"CREATE TABLE t2 (id INT PRIMARY KEY)",
		"ALTER TABLE t ADD COLUMN c INT",
		"CREATE INDEX iv ON t (v)",
		"DROP TABLE t",
		"CREATE DATABASE r2",
		"CREATE VIEW vt AS SELECT * FROM t",
		"CREATE USER x",
		"GRANT SELECT ON r.* TO w",
	} {
		refused("read_only", roMsg, q)
	}
	if _, err := upd.Exec(7, 1); err == nil {
		t.Error("learned prepared UPDATE ran under read_only")
	} else {
		checkMySQLError(t, "learned prepared UPDATE", err, 1290, "HY000")
	}
	// Reads, SET and temporary tables are allowed.
	for _, q := range []string{
		"SELECT * FROM t",
		"SET @x = 1",
		"CREATE TEMPORARY TABLE tmp (id INT PRIMARY KEY, v INT)",
		"INSERT INTO tmp VALUES (1, 1), (2, 2)",
		"INSERT INTO tmp SELECT id + 10, v FROM t",
		"UPDATE tmp SET v = v + 1",
		"DELETE FROM tmp WHERE id = 2",
		"DROP TEMPORARY TABLE tmp",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Errorf("read_only: %s: %v", q, err)
		}
	}
	// SUPER may write under read_only, not under super_read_only.
	mustExec(t, root, "UPDATE r.t SET v = 10 WHERE id = 1")
	mustExec(t, root, "SET GLOBAL super_read_only = 1")
	_, err = root.Exec("INSERT INTO r.t VALUES (5, 5)")
	if me := checkMySQLError(t, "super_read_only", err, 1290, "HY000"); me != nil && me.Message != "The MySQL server is running with the --super-read-only option so it cannot execute this statement" {
		t.Errorf("super_read_only message %q", me.Message)
	}
	mustExec(t, root, "SET GLOBAL super_read_only = 0")
	mustExec(t, root, "SET GLOBAL read_only = 0")
	mustExec(t, root, "INSERT INTO r.t VALUES (5, 5)")
	if _, err := conn.ExecContext(ctx, "INSERT INTO t VALUES (6, 6)"); err != nil {
		t.Errorf("after read_only off: %v", err)
	}
	if got := queryString(t, root, "SELECT GROUP_CONCAT(CONCAT(id, ':', v) ORDER BY id) FROM r.t"); got != "1:10,5:5,6:6" {
		t.Errorf("rows %q, want 1:10,5:5,6:6", got)
	}
}
