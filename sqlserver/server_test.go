package sqlserver

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/storage"
)

func TestMain(m *testing.M) {
	RouteLibraryLogs(testLogger())
	_ = mysql.SetLogger(log.New(io.Discard, "", 0))
	os.Exit(m.Run())
}

// testLogger discards logs unless QUARRY_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("QUARRY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

type testServer struct {
	store *storage.Engine
	eng   *sqle.Engine
	srv   *Server
	addr  string
}

// startServer opens dir, builds the engine and serves it on a random
// loopback port (unless cfg.Listen is set). It stops on test cleanup.
func startServer(t testing.TB, dir string, eopts EngineOptions, cfg Config) *testServer {
	t.Helper()
	return startServerWithLogger(t, dir, eopts, cfg, testLogger())
}

// startServerWithLogger is startServer with the given logger.
func startServerWithLogger(t testing.TB, dir string, eopts EngineOptions, cfg Config, log *slog.Logger) *testServer {
	t.Helper()
	store, err := storage.Open(storage.Options{Dir: dir, Logger: log})
	if err != nil {
		t.Fatalf("storage.Open: %v", err)
	}
	eopts.Logger = log
	eng, err := NewEngine(store, eopts)
	if err != nil {
		store.Close()
		t.Fatalf("NewEngine: %v", err)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	srv, err := New(store, eng, cfg, log)
	if err != nil {
		_ = CloseEngine(eng)
		store.Close()
		t.Fatalf("New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	ts := &testServer{store: store, eng: eng, srv: srv, addr: srv.Addr().String()}
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

// stop shuts the server down and closes engine and store; idempotent.
func (ts *testServer) stop(t testing.TB) {
	t.Helper()
	if ts.store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := CloseEngine(ts.eng); err != nil {
		t.Errorf("engine Close: %v", err)
	}
	if err := ts.store.Close(); err != nil {
		t.Errorf("store Close: %v", err)
	}
	ts.store = nil
}

func dsn(user, password, addr, db string) string {
	cfg := mysql.NewConfig()
	cfg.User = user
	cfg.Passwd = password
	cfg.Net = "tcp"
	cfg.Addr = addr
	cfg.DBName = db
	cfg.Timeout = 5 * time.Second
	cfg.ReadTimeout = 30 * time.Second
	cfg.WriteTimeout = 30 * time.Second
	return cfg.FormatDSN()
}

// connect opens a pool and checks the login with a ping.
func connect(t testing.TB, user, password, addr string) (*sql.DB, error) {
	t.Helper()
	db, err := sql.Open("mysql", dsn(user, password, addr, ""))
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	t.Cleanup(func() { db.Close() })
	return db, nil
}

func mustConnect(t testing.TB, user, password, addr string) *sql.DB {
	t.Helper()
	db, err := connect(t, user, password, addr)
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	return db
}

func mustExec(t testing.TB, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// warning is one row of SHOW WARNINGS.
type warning struct {
	level string
	code  int
	msg   string
}

func (w warning) String() string { return fmt.Sprintf("%s %d %s", w.level, w.code, w.msg) }

// showWarnings runs show (SHOW WARNINGS, with any LIMIT) and returns its
// rows in order.
func showWarnings(t *testing.T, db *sql.DB, show string) []warning {
	t.Helper()
	rows, err := db.Query(show)
	if err != nil {
		t.Fatalf("%s: %v", show, err)
	}
	defer rows.Close()
	var ws []warning
	for rows.Next() {
		var w warning
		if err := rows.Scan(&w.level, &w.code, &w.msg); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", show, err)
	}
	return ws
}

func queryString(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()
	var s string
	if err := db.QueryRow(query, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return s
}

func mysqlErrNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// handshakeVersion reads the server version from the initial handshake
// packet (protocol 10: 1 byte protocol, NUL-terminated version).
func handshakeVersion(t *testing.T, addr string) string {
	v, _ := handshake(t, addr)
	return v
}

// handshake returns the version and the status flags of the initial
// handshake (after the version: connection id 4, auth data 8, filler 1,
// capabilities 2, charset 1, then status 2).
func handshake(t *testing.T, addr string) (string, uint16) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, 4)
	if _, err := io.ReadFull(c, hdr); err != nil {
		t.Fatalf("read handshake header: %v", err)
	}
	body := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatalf("read handshake: %v", err)
	}
	if body[0] != 10 {
		t.Fatalf("handshake protocol %d, want 10", body[0])
	}
	end := bytes.IndexByte(body[1:], 0)
	if end < 0 {
		t.Fatalf("handshake version not terminated")
	}
	pos := 1 + end + 1 + 4 + 8 + 1 + 2 + 1
	if len(body) < pos+2 {
		t.Fatalf("handshake too short")
	}
	return string(body[1 : 1+end]), uint16(body[pos]) | uint16(body[pos+1])<<8
}

func TestServerVersionAndVariables(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})

	if got, status := handshake(t, ts.addr); got != ServerVersion {
		t.Errorf("handshake version = %q, want %q", got, ServerVersion)
	} else if status&0x0002 == 0 {
		t.Errorf("handshake status %#04x lacks SERVER_STATUS_AUTOCOMMIT (PyMySQL then never disables autocommit)", status)
	}
	db := mustConnect(t, "root", "", ts.addr)
	for query, want := range map[string]string{
		"SELECT @@version":                       ServerVersion,
		"SELECT @@global.version":                ServerVersion,
		"SELECT VERSION()":                       ServerVersion,
		"SELECT @@version_comment":               VersionComment,
		"SELECT @@innodb_lock_wait_timeout":      "50",
		"SELECT @@transaction_isolation":         "REPEATABLE-READ",
		"SELECT @@tx_isolation":                  "REPEATABLE-READ",
		"SELECT @@character_set_server":          "utf8mb4",
		"SELECT @@collation_server":              DefaultCollation,
		"SELECT @@lower_case_table_names":        "0",
		"SELECT @@autocommit":                    "1",
		"SELECT @@max_connections":               fmt.Sprint(DefaultMaxConnections),
		"SELECT @@default_authentication_plugin": "mysql_native_password",
		"SELECT @@max_allowed_packet":            fmt.Sprint(64 << 20),
	} {
		if got := queryString(t, db, query); got != want {
			t.Errorf("%s = %q, want %q", query, got, want)
		}
	}

	// innodb_lock_wait_timeout is a session variable too (GMS: global only).
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = 5"); err != nil {
		t.Fatalf("SET SESSION innodb_lock_wait_timeout: %v", err)
	}
	var session, global int
	if err := conn.QueryRowContext(ctx, "SELECT @@session.innodb_lock_wait_timeout, @@global.innodb_lock_wait_timeout").Scan(&session, &global); err != nil {
		t.Fatal(err)
	}
	if session != 5 || global != 50 {
		t.Errorf("innodb_lock_wait_timeout session/global = %d/%d, want 5/50", session, global)
	}
}

func TestServerEndToEnd(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)

	mustExec(t, db, "CREATE DATABASE shop")
	mustExec(t, db, "CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)")
	mustExec(t, db, "INSERT INTO shop.items VALUES (2, 'bolt'), (1, 'nut'), (3, 'Washer')")

	rows, err := db.Query("SELECT id, name FROM shop.items ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id int
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%s", id, name))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if want := "1:nut,2:bolt,3:Washer"; strings.Join(got, ",") != want {
		t.Errorf("rows = %v, want %s", got, want)
	}

	// The default collation is MySQL 8.0's utf8mb4_0900_ai_ci.
	if n := queryString(t, db, "SELECT COUNT(*) FROM shop.items WHERE name = 'WASHER'"); n != "1" {
		t.Errorf("case-insensitive match count = %s, want 1", n)
	}
}

func TestNewRefusesNonLoopbackWithoutRootPassword(t *testing.T) {
	log := testLogger()
	store, err := storage.Open(storage.Options{Dir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	eng, err := NewEngine(store, EngineOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer CloseEngine(eng)

	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		srv, err := New(store, eng, Config{Listen: listen}, log)
		if !errors.Is(err, ErrRootPasswordRequired) {
			if srv != nil {
				_ = srv.Shutdown(context.Background())
			}
			t.Errorf("New(%s) without root password: err = %v, want ErrRootPasswordRequired", listen, err)
		}
	}
	// A password in Config alone is not enough while root@localhost has none.
	srv, err := New(store, eng, Config{Listen: "0.0.0.0:0", RootPassword: "pw"}, log)
	if !errors.Is(err, ErrRootPasswordRequired) {
		if srv != nil {
			_ = srv.Shutdown(context.Background())
		}
		t.Errorf("New with password not applied to root: err = %v, want ErrRootPasswordRequired", err)
	} else if !strings.Contains(err.Error(), "root@localhost") {
		t.Errorf("error should name the account: %v", err)
	}
}

func TestPrivilegesPersistAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	mustExec(t, root, "CREATE USER 'alice'@'%' IDENTIFIED BY 's3cret'")
	mustExec(t, root, "GRANT SELECT ON *.* TO 'alice'@'%'")
	mustExec(t, root, "GRANT INSERT, UPDATE ON app.* TO 'alice'@'%'")
	root.Close()
	ts.stop(t)

	ts = startServer(t, dir, EngineOptions{}, Config{})
	alice := mustConnect(t, "alice", "s3cret", ts.addr)
	if got := queryString(t, alice, "SELECT CURRENT_USER()"); got != "alice@%" {
		t.Errorf("CURRENT_USER() = %q, want alice@%%", got)
	}
	rows, err := alice.Query("SHOW GRANTS")
	if err != nil {
		t.Fatal(err)
	}
	var grants []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			t.Fatal(err)
		}
		grants = append(grants, g)
	}
	rows.Close()
	all := strings.Join(grants, "\n")
	for _, want := range []string{"GRANT SELECT ON *.* TO `alice`@`%`", "GRANT INSERT, UPDATE ON `app`.* TO `alice`@`%`"} {
		if !strings.Contains(all, want) {
			t.Errorf("SHOW GRANTS = %q, missing %q", all, want)
		}
	}
	// Privileges are enforced: SELECT only.
	if _, err := alice.Exec("CREATE DATABASE nope"); err == nil {
		t.Errorf("alice could CREATE DATABASE without the privilege")
	}
	// The password is checked.
	if _, err := connect(t, "alice", "wrong", ts.addr); mysqlErrNumber(err) != 1045 {
		t.Errorf("login with wrong password: err = %v, want error 1045", err)
	}
	if _, err := connect(t, "mallory", "", ts.addr); mysqlErrNumber(err) != 1045 {
		t.Errorf("login as unknown user: err = %v, want error 1045", err)
	}
	// root@localhost still works from loopback without a password.
	mustConnect(t, "root", "", ts.addr)
}

func TestRootPassword(t *testing.T) {
	dir := t.TempDir()

	// First start without a password: passwordless root@localhost.
	ts := startServer(t, dir, EngineOptions{}, Config{})
	mustConnect(t, "root", "", ts.addr)
	ts.stop(t)

	// A configured root password is applied to root@localhost and root@%.
	ts = startServer(t, dir, EngineOptions{RootPassword: "hunter2"}, Config{RootPassword: "hunter2"})
	if _, err := connect(t, "root", "", ts.addr); mysqlErrNumber(err) != 1045 {
		t.Errorf("root without password: err = %v, want error 1045", err)
	}
	db := mustConnect(t, "root", "hunter2", ts.addr)
	if got := queryString(t, db, "SELECT COUNT(*) FROM mysql.user WHERE user = 'root' AND authentication_string <> ''"); got != "2" {
		t.Errorf("root accounts with a password = %s, want 2", got)
	}
	// With every root account protected, a non-loopback address is allowed.
	wide, err := New(ts.store, ts.eng, Config{Listen: "0.0.0.0:0", RootPassword: "hunter2"}, testLogger())
	if err != nil {
		t.Errorf("New on 0.0.0.0 with root password: %v", err)
	} else if err := wide.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	db.Close()
	ts.stop(t)

	// The password persists when the server starts without one.
	ts = startServer(t, dir, EngineOptions{}, Config{})
	if _, err := connect(t, "root", "", ts.addr); mysqlErrNumber(err) != 1045 {
		t.Errorf("root without password after restart: err = %v, want error 1045", err)
	}
	mustConnect(t, "root", "hunter2", ts.addr)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestGracefulShutdownLetsRunningStatementFinish(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxIdleConns(4)
	ctx := context.Background()

	// An idle connection, which shutdown must close.
	idle, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if err := idle.PingContext(ctx); err != nil {
		t.Fatal(err)
	}

	type result struct {
		v   int
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	sent := time.Now()
	go func() {
		var v int
		err := db.QueryRowContext(ctx, "SELECT SLEEP(1)").Scan(&v)
		done <- result{v, err, time.Now()}
	}()
	waitFor(t, "the statement to start", func() bool {
		_, running := ts.srv.tracker.stats()
		return running == 1
	})

	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := ts.srv.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	returned := time.Now()

	select {
	case r := <-done:
		if r.err != nil || r.v != 0 {
			t.Fatalf("SELECT SLEEP(1) = %d, %v; want 0, nil", r.v, r.err)
		}
		// The server finishes SLEEP(1) no earlier than 1s after it was sent,
		// and Shutdown waited for it.
		if d := returned.Sub(sent); d < time.Second {
			t.Errorf("Shutdown returned %v after the statement was sent, before it could finish", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("statement did not finish")
	}
	if d := returned.Sub(start); d > 3*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	if conns, running := ts.srv.tracker.stats(); conns != 0 || running != 0 {
		t.Errorf("after Shutdown: %d connections, %d statements", conns, running)
	}
	// The idle connection was closed and new connections are refused.
	if err := idle.PingContext(ctx); err == nil {
		t.Errorf("idle connection still usable after Shutdown")
	}
	if c, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		c.Close()
		t.Errorf("listener still accepting after Shutdown")
	}
}

func TestShutdownDeadlineCancelsStatements(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	done := make(chan error, 1)
	go func() {
		var v int
		done <- db.QueryRow("SELECT SLEEP(30)").Scan(&v)
	}()
	waitFor(t, "the statement to start", func() bool {
		_, running := ts.srv.tracker.stats()
		return running == 1
	})
	sctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := ts.srv.Shutdown(sctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("cancelled statement succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("statement was not cancelled")
	}
	// Let cleanup's Shutdown return the recorded error without failing.
	ts.srv.shutdownErr = nil
}

func TestStatementsRejectedWhileDraining(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ts.srv.tracker.drain()
	var v int
	err = conn.QueryRowContext(ctx, "SELECT 1").Scan(&v)
	if mysqlErrNumber(err) != 1053 {
		t.Errorf("statement while draining: err = %v, want error 1053 (ER_SERVER_SHUTDOWN)", err)
	}
}
