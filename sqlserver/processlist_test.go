package sqlserver

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gsql "github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/variables"
)

// processRow is one row of SHOW [FULL] PROCESSLIST.
type processRow struct {
	id                         int64
	user, host, command, state string
	db, info                   sql.NullString
	secs                       int64
}

// showProcessList runs query, SHOW PROCESSLIST or SHOW FULL PROCESSLIST.
func showProcessList(t *testing.T, db *sql.DB, query string) []processRow {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []processRow
	for rows.Next() {
		var p processRow
		if err := rows.Scan(&p.id, &p.user, &p.host, &p.db, &p.command, &p.secs, &p.state, &p.info); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKillLearnedStatement: a statement on a learned path (here a prepared
// UPDATE waiting for a row lock) is in the process list while it runs and
// KILL QUERY interrupts it with 1317, as on GMS's path; the connection and
// the status counters are fine afterwards.
func TestKillLearnedStatement(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	mustExec(t, root, "CREATE DATABASE pk")
	mustExec(t, root, "CREATE TABLE pk.t (id INT PRIMARY KEY, v INT)")
	mustExec(t, root, "INSERT INTO pk.t VALUES (1, 0), (2, 0)")

	victim := newRawStmtConn(t, ts.addr, "pk", false)
	vid := int64(victim.c.ConnectionID) // from the server's handshake
	upd := victim.prepare("UPDATE t SET v = v + 1 WHERE id = ?")
	for i := 0; i < 3; i++ {
		if got := victim.exec(upd, 2); !strings.HasPrefix(got, "ok affected 1") {
			t.Fatalf("UPDATE: %s", got)
		}
	}
	learned := ts.srv.LearnedDML()
	if learned == 0 {
		t.Fatal("the prepared UPDATE was not learned")
	}
	if got := victim.text("SET innodb_lock_wait_timeout = 60"); strings.HasPrefix(got, "error") {
		t.Fatal(got)
	}

	holder := pinned(t, root)
	connExec(t, holder, "BEGIN")
	connExec(t, holder, "UPDATE pk.t SET v = 10 WHERE id = 1")

	victim.send(upd, 1) // waits for holder's row lock
	waitFor(t, "the learned UPDATE in SHOW PROCESSLIST", func() bool {
		for _, p := range showProcessList(t, root, "SHOW FULL PROCESSLIST") {
			if p.id == vid && p.command == "Query" && strings.Contains(p.info.String, "UPDATE t SET v = v + 1") {
				return p.state == "running"
			}
		}
		return false
	})
	if got := ts.srv.LearnedDML(); got != learned+1 {
		t.Fatalf("LearnedDML = %d, want %d: the waiting UPDATE is not on the learned path", got, learned+1)
	}
	start := time.Now()
	mustExec(t, root, fmt.Sprintf("KILL QUERY %d", vid))
	if got := victim.response(); !strings.HasPrefix(got, "error 1317 ") {
		t.Fatalf("killed UPDATE: %s", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("KILL QUERY took %v", d)
	}
	connExec(t, holder, "ROLLBACK")

	// The connection goes on, on the learned path, and is idle afterwards.
	if got := victim.exec(upd, 1); !strings.HasPrefix(got, "ok affected 1") {
		t.Fatalf("UPDATE after KILL QUERY: %s", got)
	}
	var v int
	if err := root.QueryRow("SELECT v FROM pk.t WHERE id = 1").Scan(&v); err != nil || v != 1 {
		t.Fatalf("row 1: v = %d, %v; want 1 (the killed UPDATE must not apply)", v, err)
	}
	for _, p := range showProcessList(t, root, "SHOW FULL PROCESSLIST") {
		if p.id == vid && (p.command != "Sleep" || p.info.Valid && p.info.String != "") {
			t.Errorf("victim after its statements: %+v", p)
		}
	}
	// Only the SHOW itself runs.
	if n := statusValue(t, root, "Threads_running"); n != 1 {
		t.Errorf("Threads_running = %d, want 1", n)
	}
}

// TestProcessListProgress: a statement GMS runs shows its tables'
// progress in SHOW PROCESSLIST's State, and KILL QUERY ends it.
func TestProcessListProgress(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	mustExec(t, root, "CREATE DATABASE pg")
	mustExec(t, root, "CREATE TABLE pg.slow (id INT PRIMARY KEY)")
	mustExec(t, root, "INSERT INTO pg.slow VALUES (1), (2), (3)")

	victim := pinned(t, root)
	vid := connID(t, victim)
	done := make(chan error, 1)
	go func() { done <- connQueryErr(victim, "SELECT SLEEP(5) FROM pg.slow") }()
	waitFor(t, "the SELECT's progress in SHOW PROCESSLIST", func() bool {
		for _, p := range showProcessList(t, root, "SHOW FULL PROCESSLIST") {
			if p.id == vid && p.command == "Query" {
				return strings.Contains(p.state, "slow (0/")
			}
		}
		return false
	})
	mustExec(t, root, fmt.Sprintf("KILL QUERY %d", vid))
	select {
	case err := <-done:
		wantErrno(t, "killed SELECT", err, 1317)
	case <-time.After(10 * time.Second):
		t.Fatal("KILL QUERY did not interrupt the SELECT")
	}
	if err := connQueryErr(victim, "SELECT 1"); err != nil {
		t.Fatalf("connection after KILL QUERY: %v", err)
	}
}

// TestProcListConcurrent runs statements on several connections against
// Processes, progress reports and KILL from other goroutines (run it with
// -race): every statement ends idle, unindexed and counted once.
func TestProcListConcurrent(t *testing.T) {
	variables.InitSystemVariables()
	variables.InitStatusVariables()
	pl := newProcList(&Server{log: slog.New(slog.DiscardHandler)})
	running := func() string {
		_, v, _ := gsql.StatusVariables.GetGlobal("Threads_running")
		return fmt.Sprint(v)
	}
	before := running()
	const conns, stmts = 4, 2000
	sessions := make([]*gsql.BaseSession, conns)
	for i := range sessions {
		sessions[i] = gsql.NewBaseSession()
		sessions[i].SetConnectionId(uint32(i + 1))
		pl.AddConnection(uint32(i+1), "127.0.0.1:1")
	}
	var pids atomic.Uint64
	stop := make(chan struct{})
	var observers sync.WaitGroup
	observers.Add(1)
	go func() {
		defer observers.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			for _, p := range pl.Processes() {
				if p.Command == gsql.ProcessCommandQuery && p.QueryPid == 0 {
					t.Errorf("running process without a pid: %+v", p)
				}
			}
			pl.Kill(uint32(i%conns + 1))
		}
	}()
	var wg sync.WaitGroup
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range stmts {
				pid := pids.Add(1)
				ctx := gsql.NewContext(context.Background(), gsql.WithSession(sessions[c]), gsql.WithPid(pid))
				qctx, err := pl.BeginQuery(ctx, "SELECT 1")
				if err != nil {
					t.Error(err)
					return
				}
				pl.AddTableProgress(pid, "t", 2)
				pl.AddPartitionProgress(pid, "t", "p1", -1)
				pl.UpdatePartitionProgress(pid, "t", "p1", 1)
				pl.UpdateTableProgress(pid, "t", 1)
				pl.RemovePartitionProgress(pid, "t", "p1")
				pl.EndQuery(qctx)
				pl.EndQuery(qctx) // GMS ends a query twice
				if qctx.Err() == nil {
					t.Error("the query's own context is live after EndQuery")
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	observers.Wait()

	for _, p := range pl.Processes() {
		if p.Command != gsql.ProcessCommandSleep || p.QueryPid != 0 || p.Query != "" || len(p.Progress) != 0 {
			t.Errorf("idle connection: %+v", p)
		}
	}
	pl.pids.Range(func(k, _ any) bool {
		t.Errorf("pid %v still indexed", k)
		return true
	})
	if got := running(); got != before {
		t.Errorf("Threads_running = %s after the statements, want %s", got, before)
	}
	for i := range conns {
		pl.RemoveConnection(uint32(i + 1))
	}
	if n := len(pl.Processes()); n != 0 {
		t.Errorf("%d processes after RemoveConnection", n)
	}
}

// TestProcListProgressCounts: progress reports add up as GMS's list adds
// them, and only for the running query's pid.
func TestProcListProgressCounts(t *testing.T) {
	variables.InitSystemVariables()
	variables.InitStatusVariables()
	pl := newProcList(&Server{log: slog.New(slog.DiscardHandler)})
	sess := gsql.NewBaseSession()
	sess.SetConnectionId(7)
	pl.AddConnection(7, "127.0.0.1:1")
	defer pl.RemoveConnection(7)
	ctx, err := pl.BeginQuery(gsql.NewContext(context.Background(), gsql.WithSession(sess), gsql.WithPid(41)), "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	pl.AddPartitionProgress(41, "t", "p0", 5) // no table progress yet: ignored
	pl.AddTableProgress(41, "t", 2)
	pl.AddPartitionProgress(41, "t", "p1", 10)
	pl.UpdatePartitionProgress(41, "t", "p1", 3)
	pl.UpdatePartitionProgress(41, "t", "p2", 1) // new partition: total unknown
	pl.UpdateTableProgress(41, "t", 1)
	pl.UpdateTableProgress(41, "u", 4) // new table: total unknown
	pl.AddTableProgress(41, "u", 9)
	pl.UpdateTableProgress(42, "t", 1) // not the running query
	got := pl.Processes()[0].Progress
	want := map[string]gsql.TableProgress{
		"t": {Progress: gsql.Progress{Name: "t", Done: 1, Total: 2}, PartitionsProgress: map[string]gsql.PartitionProgress{
			"p1": {Progress: gsql.Progress{Name: "p1", Done: 3, Total: 10}},
			"p2": {Progress: gsql.Progress{Name: "p2", Done: 1, Total: -1}},
		}},
		"u": {Progress: gsql.Progress{Name: "u", Done: 4, Total: 9}, PartitionsProgress: map[string]gsql.PartitionProgress{}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("progress = %v, want %v", got, want)
	}
	pl.RemovePartitionProgress(41, "t", "p1")
	pl.RemoveTableProgress(41, "u")
	if got := fmt.Sprint(pl.Processes()[0].Progress); got != "map[t:t (1/2 partitions)]" {
		t.Errorf("progress after removals = %s", got)
	}
	if n := len(pl.Processes()[0].Progress["t"].PartitionsProgress); n != 1 {
		t.Errorf("%d partitions after removing p1, want 1", n)
	}
	pl.EndQuery(ctx)
	if n := len(pl.Processes()[0].Progress); n != 0 {
		t.Errorf("%d tables of progress after EndQuery", n)
	}
}
