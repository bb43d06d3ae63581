package sqlserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gmssql "github.com/dolthub/go-mysql-server/sql"
	vtmysql "github.com/dolthub/vitess/go/mysql"
	"github.com/go-sql-driver/mysql"
)

// pinned returns one dedicated connection of db.
func pinned(t *testing.T, db *sql.DB) *sql.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("db.Conn: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func connExec(t *testing.T, c *sql.Conn, query string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.ExecContext(ctx, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func connQueryErr(c *sql.Conn, query string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := c.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

func connID(t *testing.T, c *sql.Conn) int64 {
	t.Helper()
	var id int64
	if err := c.QueryRowContext(context.Background(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func wantErrno(t *testing.T, what string, err error, want uint16) *mysql.MySQLError {
	t.Helper()
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		t.Fatalf("%s: err = %v, want MySQL error %d", what, err, want)
	}
	if me.Number != want {
		t.Fatalf("%s: error %d %q, want %d", what, me.Number, me.Message, want)
	}
	return me
}

func statusValue(t *testing.T, db *sql.DB, name string) int64 {
	t.Helper()
	var n string
	var v int64
	if err := db.QueryRow("SHOW GLOBAL STATUS LIKE '"+name+"'").Scan(&n, &v); err != nil {
		t.Fatalf("SHOW GLOBAL STATUS LIKE %s: %v", name, err)
	}
	return v
}

func TestMaxConnectionsError1040(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{MaxConnections: 3})
	admin := mustConnect(t, "root", "", ts.addr)
	admin.SetMaxOpenConns(1)
	admin.SetMaxIdleConns(1)
	// Two more connections fill the limit.
	var held []*sql.Conn
	var heldDBs []*sql.DB
	for i := 0; i < 2; i++ {
		db := mustConnect(t, "root", "", ts.addr)
		db.SetMaxOpenConns(1)
		heldDBs = append(heldDBs, db)
		held = append(held, pinned(t, db))
	}

	_, err := connect(t, "root", "", ts.addr)
	me := wantErrno(t, "connection over max_connections", err, 1040)
	if me.Message != "Too many connections" {
		t.Errorf("message = %q", me.Message)
	}
	// The server keeps serving the connections it has.
	if err := held[0].PingContext(context.Background()); err != nil {
		t.Fatalf("held connection: %v", err)
	}
	// Freeing a slot lets a new client in.
	held[1].Close()
	heldDBs[1].Close()
	waitFor(t, "a free connection slot", func() bool {
		db, err := connect(t, "root", "", ts.addr)
		if err != nil {
			return false
		}
		db.Close()
		return true
	})
	// max_connections is dynamic.
	c := held[0]
	connExec(t, c, "SET GLOBAL max_connections = 10")
	t.Cleanup(func() { setGlobalNow("max_connections", int64(DefaultMaxConnections)) })
	for i := 0; i < 3; i++ {
		mustConnect(t, "root", "", ts.addr)
	}
	var n int64
	if err := c.QueryRowContext(context.Background(), "SHOW GLOBAL STATUS LIKE 'Connection_errors_max_connections'").Scan(new(string), &n); err != nil {
		t.Fatal(err)
	}
	if n < 1 {
		t.Errorf("Connection_errors_max_connections = %d, want >= 1", n)
	}
}

func TestMaxExecutionTime(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	c := pinned(t, db)
	before := statusValue(t, db, "Max_execution_time_exceeded")

	connExec(t, c, "SET SESSION max_execution_time = 100")
	start := time.Now()
	err := connQueryErr(c, "SELECT SLEEP(5)")
	me := wantErrno(t, "SELECT over max_execution_time", err, 3024)
	if !strings.Contains(me.Message, "maximum statement execution time exceeded") {
		t.Errorf("message = %q", me.Message)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("interrupted after %v", d)
	}
	// Only SELECT is bounded, and the connection stays usable.
	connExec(t, c, "SET @x = SLEEP(0.3)")
	if err := connQueryErr(c, "SELECT 1"); err != nil {
		t.Fatalf("after timeout: %v", err)
	}

	// The optimizer hint overrides the session value.
	connExec(t, c, "SET SESSION max_execution_time = 0")
	err = connQueryErr(c, "SELECT /*+ MAX_EXECUTION_TIME(100) */ SLEEP(5)")
	wantErrno(t, "SELECT with MAX_EXECUTION_TIME hint", err, 3024)
	if err := connQueryErr(c, "SELECT /*+ MAX_EXECUTION_TIME(5000) */ SLEEP(0.1)"); err != nil {
		t.Fatalf("hinted SELECT within its limit: %v", err)
	}

	// A scan over a real table is interrupted too.
	connExec(t, c, "CREATE DATABASE met")
	connExec(t, c, "CREATE TABLE met.t (id INT PRIMARY KEY, v INT)")
	var b strings.Builder
	b.WriteString("INSERT INTO met.t VALUES (0,0)")
	for i := 1; i < 300; i++ {
		fmt.Fprintf(&b, ",(%d,%d)", i, i)
	}
	connExec(t, c, b.String())
	connExec(t, c, "SET SESSION max_execution_time = 200")
	start = time.Now()
	err = connQueryErr(c, "SELECT COUNT(*) FROM met.t a, met.t b, met.t c WHERE a.v + b.v + c.v = -1")
	wantErrno(t, "cross join over max_execution_time", err, 3024)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cross join interrupted after %v", d)
	}

	if after := statusValue(t, db, "Max_execution_time_exceeded"); after-before < 3 {
		t.Errorf("Max_execution_time_exceeded moved by %d, want 3", after-before)
	}
}

func TestKillAndProcessList(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	mustExec(t, root, "CREATE USER 'app'@'%' IDENTIFIED BY 'pw'")
	victimDB := mustConnect(t, "root", "", ts.addr)
	victim := pinned(t, victimDB)
	vid := connID(t, victim)

	// A long statement shows up in SHOW PROCESSLIST and in
	// information_schema.PROCESSLIST.
	done := make(chan error, 1)
	go func() { done <- connQueryErr(victim, "SELECT SLEEP(20)") }()
	waitFor(t, "the statement in SHOW PROCESSLIST", func() bool {
		for _, p := range showProcessList(t, root, "SHOW FULL PROCESSLIST") {
			if p.id == vid && p.command == "Query" && strings.Contains(p.info.String, "SLEEP(20)") {
				return true
			}
		}
		return false
	})
	var info string
	if err := root.QueryRow("SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = ?", vid).Scan(&info); err != nil {
		t.Fatalf("information_schema.PROCESSLIST: %v", err)
	}
	if !strings.Contains(info, "SLEEP(20)") {
		t.Errorf("PROCESSLIST.INFO = %q", info)
	}

	// Another user sees only their own threads and cannot kill root's.
	app := mustConnect(t, "app", "pw", ts.addr)
	var n int
	if err := app.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER <> 'app'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("app sees %d threads of other users in information_schema.PROCESSLIST", n)
	}
	for _, p := range showProcessList(t, app, "SHOW PROCESSLIST") {
		if p.user != "app" {
			t.Errorf("app sees thread %d of %s in SHOW PROCESSLIST", p.id, p.user)
		}
	}
	_, err := app.Exec(fmt.Sprintf("KILL QUERY %d", vid))
	wantErrno(t, "KILL of another user's thread", err, 1095)
	_, err = root.Exec("KILL 999999")
	wantErrno(t, "KILL of an unknown thread", err, 1094)

	// KILL QUERY interrupts the statement (1317); the connection lives on.
	start := time.Now()
	mustExec(t, root, fmt.Sprintf("KILL QUERY %d", vid))
	select {
	case err := <-done:
		wantErrno(t, "killed statement", err, 1317)
	case <-time.After(10 * time.Second):
		t.Fatal("KILL QUERY did not interrupt the statement")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("KILL QUERY took %v", d)
	}
	if err := connQueryErr(victim, "SELECT 1"); err != nil {
		t.Fatalf("connection after KILL QUERY: %v", err)
	}

	// KILL CONNECTION closes it.
	mustExec(t, root, fmt.Sprintf("KILL CONNECTION %d", vid))
	waitFor(t, "the killed connection to go away", func() bool {
		var c int
		_ = root.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", vid).Scan(&c)
		return c == 0
	})
	if err := connQueryErr(victim, "SELECT 1"); err == nil {
		t.Fatal("killed connection still answers")
	}

	// A user may kill their own connection.
	appConn := pinned(t, app)
	aid := connID(t, appConn)
	app2 := mustConnect(t, "app", "pw", ts.addr)
	if _, err := app2.Exec(fmt.Sprintf("KILL %d", aid)); err != nil {
		t.Fatalf("app killing its own connection: %v", err)
	}
}

func TestQueryMemoryLimit(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	c := pinned(t, db)
	connExec(t, c, "CREATE DATABASE mem")
	connExec(t, c, "CREATE TABLE mem.t (id INT PRIMARY KEY, v VARCHAR(300))")
	pad := strings.Repeat("x", 200)
	for chunk := 0; chunk < 10; chunk++ {
		var b strings.Builder
		b.WriteString("INSERT INTO mem.t VALUES ")
		for i := 0; i < 500; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			id := chunk*500 + i
			fmt.Fprintf(&b, "(%d,'%05d%s')", id, (id*7919)%5000, pad)
		}
		connExec(t, c, b.String())
	}

	// ~5000 rows of ~250 bytes do not fit in 256 KiB.
	connExec(t, c, "SET SESSION quarry_query_memory_limit = 262144")
	for _, q := range []string{
		"SELECT id, v FROM mem.t ORDER BY v",
		"SELECT v, COUNT(*) FROM mem.t GROUP BY v",
	} {
		err := connQueryErr(c, q)
		me := wantErrno(t, q, err, 3170)
		if !strings.Contains(me.Message, "quarry_query_memory_limit") {
			t.Errorf("%s: message %q does not name the limit", q, me.Message)
		}
	}
	// DISTINCT streams rows while it deduplicates: the limit trips after
	// rows were sent, and vitess cannot put an error packet in the middle of
	// a result, so the client loses its connection (2013). The server and
	// the other connections carry on.
	other := pinned(t, db)
	if err := connQueryErr(other, "SET SESSION quarry_query_memory_limit = 262144"); err != nil {
		t.Fatal(err)
	}
	if err := connQueryErr(other, "SELECT DISTINCT v FROM mem.t"); err == nil {
		t.Error("DISTINCT over the limit succeeded")
	}
	// Small statements still run, on the same connection.
	if err := connQueryErr(c, "SELECT id FROM mem.t WHERE id < 100 ORDER BY v"); err != nil {
		t.Fatalf("small sort under the limit: %v", err)
	}
	if err := connQueryErr(c, "SELECT COUNT(*) FROM mem.t"); err != nil {
		t.Fatalf("after the limit: %v", err)
	}
	// Raising the limit lets the big sort through.
	connExec(t, c, "SET SESSION quarry_query_memory_limit = 0")
	if err := connQueryErr(c, "SELECT id, v FROM mem.t ORDER BY v"); err != nil {
		t.Fatalf("unlimited sort: %v", err)
	}
	if v := testutilCounter(ts.srv.m.memLimitExceeded); v < 3 {
		t.Errorf("memory_limit_exceeded_total = %v, want 3", v)
	}
}

func TestWaitTimeout(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	idle := pinned(t, db)
	connExec(t, idle, "SET SESSION wait_timeout = 1")
	pinging := pinned(t, db)
	connExec(t, pinging, "SET SESSION wait_timeout = 1")

	// A connection that pings five times a second stays; the idle one is closed
	// after its wait_timeout.
	deadline := time.Now().Add(2500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if err := pinging.PingContext(context.Background()); err != nil {
			t.Fatalf("ping: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := connQueryErr(idle, "SELECT 1"); err == nil {
		t.Fatal("connection idle past wait_timeout still answers")
	}
	if err := connQueryErr(pinging, "SELECT 1"); err != nil {
		t.Fatalf("pinged connection: %v", err)
	}
	if v := testutilCounter(ts.srv.m.idleTimeouts); v < 1 {
		t.Errorf("idle_timeouts_total = %v", v)
	}
	// Sessions start with the global value.
	connExec(t, pinging, "SET GLOBAL wait_timeout = 1")
	t.Cleanup(func() { setGlobalNow("wait_timeout", int64(28800)) })
	fresh := pinned(t, mustConnect(t, "root", "", ts.addr))
	if err := connQueryErr(fresh, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if err := connQueryErr(fresh, "SELECT 1"); err == nil {
		t.Fatal("new connection ignored the global wait_timeout")
	}
}

func TestMaxAllowedPacket(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{
		SystemVariables: map[string]any{"max_allowed_packet": int64(1 << 20)},
	})
	t.Cleanup(func() { setGlobalNow("max_allowed_packet", int64(64<<20)) })
	db := mustConnect(t, "root", "", ts.addr)
	if v := queryString(t, db, "SELECT @@max_allowed_packet"); v != "1048576" {
		t.Fatalf("@@max_allowed_packet = %s", v)
	}
	big := "SELECT '" + strings.Repeat("a", 2<<20) + "'"
	_, err := db.Exec(big)
	me := wantErrno(t, "statement over max_allowed_packet", err, 1153)
	if !strings.Contains(me.Message, "max_allowed_packet") {
		t.Errorf("message = %q", me.Message)
	}
	if v := queryString(t, db, "SELECT LENGTH('"+strings.Repeat("a", 1000)+"')"); v != "1000" {
		t.Errorf("small statement: %s", v)
	}
}

func TestStatementCancelledWhenClientGoesAway(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	db := mustConnect(t, "root", "", ts.addr)
	// The driver closes the connection when the context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := db.ExecContext(ctx, "SELECT SLEEP(30)")
	if err == nil {
		t.Fatal("SELECT SLEEP(30) finished within 300ms")
	}
	start := time.Now()
	waitFor(t, "the abandoned statement to be cancelled", func() bool {
		var n int
		if err := root.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(30)%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("cancelled after %v", d)
	}
}

// The peer check timer is one per connection and disarms itself while
// the connection is idle: statements before the abandoned one, and an idle
// gap longer than the check interval, must not keep it from being checked.
func TestStatementCancelledWhenClientGoesAwayAfterShortOnes(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	for i := 0; i < 50; i++ {
		if v := queryString(t, db, "SELECT 1"); v != "1" {
			t.Fatalf("SELECT 1 = %s", v)
		}
	}
	time.Sleep(peerCheckInterval + 200*time.Millisecond) // the timer fires with no statement running
	for i := 0; i < 5; i++ {
		queryString(t, db, "SELECT 1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := db.ExecContext(ctx, "SELECT SLEEP(31)"); err == nil {
		t.Fatal("SELECT SLEEP(31) finished within 300ms")
	}
	start := time.Now()
	waitFor(t, "the abandoned statement to be cancelled", func() bool {
		var n int
		if err := root.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(31)%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("cancelled after %v", d)
	}
}

// Interactive clients (CLIENT_INTERACTIVE, set by the mysql CLI but by no Go
// driver) start with wait_timeout = interactive_timeout.
func TestInteractiveTimeoutAppliesToInteractiveClients(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	setGlobal(t, "interactive_timeout", int64(77))
	for _, c := range []struct {
		caps uint32
		want int64
	}{{capabilityClientInteractive, 77}, {0, 28800}} {
		cs := &connState{id: 4242, conn: &vtmysql.Conn{Capabilities: c.caps}}
		sess := ts.store.NewSession(gmssql.NewBaseSessionWithClientServer("", gmssql.Client{User: "root", Address: "localhost"}, 4242))
		ts.srv.setSession(context.Background(), cs, sess)
		if got := sessionInt(sess, "wait_timeout", -1); got != c.want {
			t.Errorf("capabilities %#x: wait_timeout = %d, want %d", c.caps, got, c.want)
		}
		sessions.Delete(sess)
	}
}
