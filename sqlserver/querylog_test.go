package sqlserver

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSlowAndGeneralLogFiles(t *testing.T) {
	slow, general := &syncBuffer{}, &syncBuffer{}
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{
		SlowLog:    slow,
		GeneralLog: general,
		SystemVariables: map[string]any{
			"slow_query_log": int8(1), "general_log": int8(1), "long_query_time": float64(10),
		},
	})
	t.Cleanup(func() {
		setGlobalNow("slow_query_log", int8(0))
		setGlobalNow("general_log", int8(0))
		setGlobalNow("long_query_time", float64(10))
	})
	db := mustConnect(t, "root", "", ts.addr)
	c := pinned(t, db)
	connExec(t, c, "CREATE DATABASE sl")
	connExec(t, c, "CREATE TABLE sl.t (id INT PRIMARY KEY, v INT)")
	connExec(t, c, "INSERT INTO sl.t VALUES (1,1),(2,2),(3,3),(4,4),(5,5)")
	if err := connQueryErr(c, "SELECT SLEEP(0.3)"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(slow.String(), "SLEEP") {
		t.Fatalf("statement under long_query_time logged:\n%s", slow)
	}

	// long_query_time is read at each statement: SET GLOBAL applies at once.
	connExec(t, c, "SET GLOBAL long_query_time = 0.2")
	before := statusValue(t, db, "Slow_queries")
	if err := connQueryErr(c, "SELECT SLEEP(0.3) AS slept"); err != nil {
		t.Fatal(err)
	}
	if err := connQueryErr(c, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	log := slow.String()
	for _, want := range []string{"# Time: ", "# User@Host: root[root] @ 127.0.0.1", "# Query_time: 0.3", "Rows_sent: 1", "Rows_examined: 0", "SET timestamp=", "SELECT SLEEP(0.3) AS slept;\n"} {
		if !strings.Contains(log, want) {
			t.Errorf("slow log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "SELECT 1;") {
		t.Errorf("fast statement in the slow log:\n%s", log)
	}
	if after := statusValue(t, db, "Slow_queries"); after <= before {
		t.Errorf("Slow_queries did not move (%d -> %d)", before, after)
	}

	// With long_query_time = 0 every statement is logged, with its access
	// path and the rows it examined.
	connExec(t, c, "SET GLOBAL long_query_time = 0")
	if err := connQueryErr(c, "SELECT * FROM sl.t WHERE v > 2"); err != nil {
		t.Fatal(err)
	}
	if err := connQueryErr(c, "SELECT * FROM sl.t WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	connExec(t, c, "UPDATE sl.t SET v = 20 WHERE id = 2")
	connExec(t, c, "DELETE FROM sl.t WHERE v > 100")
	log = slow.String()
	for _, want := range []string{
		"Rows_sent: 3  Rows_examined: 5", "# Quarry_access_path: sl.t:full_scan", "SELECT * FROM sl.t WHERE v > 2;",
		"Rows_sent: 1  Rows_examined: 1", "# Quarry_access_path: sl.t:pk_point", "SELECT * FROM sl.t WHERE id = 2;",
		"Rows_examined: 1  Rows_affected: 1\n# Quarry_access_path: sl.t:pk_point  Errno: 0\nSET timestamp=",
		"Rows_examined: 5  Rows_affected: 0\n# Quarry_access_path: sl.t:full_scan  Errno: 0\nSET timestamp=",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("slow log lacks %q:\n%s", want, log)
		}
	}

	// The general log has connects and statements, without passwords.
	connExec(t, c, "CREATE USER 'u1'@'%' IDENTIFIED BY 'TopSecret1'")
	connExec(t, c, "ALTER USER 'u1'@'%' IDENTIFIED BY 'TopSecret2'")
	gl := general.String()
	for _, want := range []string{" Connect\troot@127.0.0.1 using TCP/IP", " Query\tCREATE DATABASE sl", "IDENTIFIED BY <secret>"} {
		if !strings.Contains(gl, want) {
			t.Errorf("general log lacks %q:\n%s", want, gl)
		}
	}
	for _, l := range []string{gl, slow.String()} {
		if strings.Contains(l, "TopSecret") {
			t.Errorf("a password reached a log:\n%s", l)
		}
	}
}

func TestSlowLogToSlog(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ts := startServerWithLogger(t, t.TempDir(), EngineOptions{}, Config{
		SystemVariables: map[string]any{"slow_query_log": int8(1), "long_query_time": float64(0.1)},
	}, logger)
	t.Cleanup(func() {
		setGlobalNow("slow_query_log", int8(0))
		setGlobalNow("long_query_time", float64(10))
	})
	db := mustConnect(t, "root", "", ts.addr)
	if _, err := db.Exec("SELECT SLEEP(0.2)"); err != nil {
		t.Fatal(err)
	}
	// A failed login is logged with user and address, without password.
	if _, err := connect(t, "root", "WrongPassword9", ts.addr); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	out := buf.String()
	for _, want := range []string{`"msg":"slow query"`, `"query":"SELECT SLEEP(0.2)"`, `"rows_sent":1`, `"access_path":"none"`,
		`"msg":"login failed"`, `"user":"root"`, `"remote_addr":"127.0.0.1:`, `"reason":"access_denied"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "WrongPassword9") {
		t.Errorf("password in the log")
	}
	if v := testutilCounter(ts.srv.m.failedLogins.WithLabelValues("access_denied")); v < 1 {
		t.Errorf("failed_logins_total{reason=access_denied} = %v", v)
	}
}

func TestShowStatus(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	names := []string{"Questions", "Threads_connected", "Com_select", "Com_insert", "Com_update", "Com_delete",
		"Com_commit", "Uptime", "Slow_queries", "Connections", "Aborted_connects", "Innodb_row_lock_waits",
		"Innodb_rows_read", "Innodb_rows_inserted", "Bytes_received", "Bytes_sent", "Handler_commit", "Threads_running",
		"Max_used_connections"}
	read := func() map[string]int64 {
		t.Helper()
		rows, err := db.Query("SHOW GLOBAL STATUS")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := make(map[string]int64)
		for rows.Next() {
			var n, v string
			if err := rows.Scan(&n, &v); err != nil {
				t.Fatal(err)
			}
			var x int64
			if _, err := fmt.Sscan(v, &x); err == nil {
				m[n] = x
			}
		}
		return m
	}
	before := read()
	for _, n := range names {
		if _, ok := before[n]; !ok {
			t.Errorf("SHOW GLOBAL STATUS lacks %s", n)
		}
	}
	mustExec(t, db, "CREATE DATABASE st")
	mustExec(t, db, "CREATE TABLE st.t (id INT PRIMARY KEY, v INT)")
	mustExec(t, db, "INSERT INTO st.t VALUES (1,1),(2,2)")
	mustExec(t, db, "UPDATE st.t SET v = 3 WHERE id = 1")
	mustExec(t, db, "DELETE FROM st.t WHERE id = 2")
	queryString(t, db, "SELECT v FROM st.t WHERE id = 1")
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	mustConnect(t, "root", "", ts.addr)
	if _, err := connect(t, "nobody", "x", ts.addr); err == nil {
		t.Fatal("unknown user logged in")
	}

	// A lock wait that times out, and a deadlock.
	a, b := pinned(t, db), pinned(t, db)
	connExec(t, a, "BEGIN")
	connExec(t, a, "UPDATE st.t SET v = 10 WHERE id = 1")
	connExec(t, b, "SET SESSION innodb_lock_wait_timeout = 1")
	_, err = b.ExecContext(context.Background(), "UPDATE st.t SET v = 11 WHERE id = 1")
	wantErrno(t, "lock wait", err, 1205)
	connExec(t, a, "ROLLBACK")
	mustExec(t, db, "INSERT INTO st.t VALUES (2,2)")
	connExec(t, a, "BEGIN")
	connExec(t, b, "BEGIN")
	connExec(t, a, "UPDATE st.t SET v = 20 WHERE id = 1")
	connExec(t, b, "UPDATE st.t SET v = 21 WHERE id = 2")
	connExec(t, b, "SET SESSION innodb_lock_wait_timeout = 10")
	errs := make(chan error, 1)
	go func() {
		_, err := b.ExecContext(context.Background(), "UPDATE st.t SET v = 22 WHERE id = 1")
		errs <- err
	}()
	time.Sleep(200 * time.Millisecond)
	_, errA := a.ExecContext(context.Background(), "UPDATE st.t SET v = 23 WHERE id = 2")
	errB := <-errs
	if mysqlErrNumber(errA) != 1213 && mysqlErrNumber(errB) != 1213 {
		t.Errorf("no deadlock reported: %v / %v", errA, errB)
	}
	_, _ = a.ExecContext(context.Background(), "ROLLBACK")
	_, _ = b.ExecContext(context.Background(), "ROLLBACK")
	time.Sleep(1100 * time.Millisecond) // Uptime has second resolution

	after := read()
	for n, min := range map[string]int64{
		"Questions": 6, "Com_select": 1, "Com_insert": 1, "Com_update": 1, "Com_delete": 1, "Com_commit": 1,
		"Connections": 1, "Aborted_connects": 1, "Innodb_row_lock_waits": 1, "Innodb_rows_read": 1,
		"Innodb_rows_inserted": 2, "Bytes_received": 100, "Bytes_sent": 100, "Handler_commit": 3, "Uptime": 1,
	} {
		if d := after[n] - before[n]; d < min {
			t.Errorf("%s moved by %d, want at least %d", n, d, min)
		}
	}
	if after["Threads_connected"] < 2 {
		t.Errorf("Threads_connected = %d", after["Threads_connected"])
	}
	st := ts.store.Stats()
	if st.LockWaitTimeouts.Load() < 1 || st.Deadlocks.Load() < 1 {
		t.Errorf("storage counters: lock wait timeouts %d, deadlocks %d", st.LockWaitTimeouts.Load(), st.Deadlocks.Load())
	}

	// Session status counts this session only.
	c := pinned(t, db)
	var name string
	var n0, n1 int64
	if err := c.QueryRowContext(context.Background(), "SHOW SESSION STATUS LIKE 'Com_select'").Scan(&name, &n0); err != nil {
		t.Fatal(err)
	}
	if err := connQueryErr(c, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRowContext(context.Background(), "SHOW SESSION STATUS LIKE 'Com_select'").Scan(&name, &n1); err != nil {
		t.Fatal(err)
	}
	if n1-n0 != 1 {
		t.Errorf("session Com_select moved by %d, want 1", n1-n0)
	}
}
