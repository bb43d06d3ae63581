package replication

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	_ "github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quarrydb/quarry/internal/checksum"
	"github.com/quarrydb/quarry/internal/mariadbtest"
	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

// replica is an in-process Quarry server with a replica controller.
type replica struct {
	t     *testing.T
	dir   string
	store *storage.Engine
	eng   *sqle.Engine
	srv   *sqlserver.Server
	ctl   *Controller
	db    *sql.DB
	reg   *prometheus.Registry
}

// metric returns the value of a gauge or counter (summed over labels).
func (r *replica) metric(name string) float64 {
	r.t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		r.t.Fatal(err)
	}
	var v float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				v += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				v += m.GetGauge().GetValue()
			}
		}
	}
	return v
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func startReplica(t *testing.T, dir string) *replica {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	store, err := storage.Open(storage.Options{Dir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := sqlserver.NewEngine(store, sqlserver.EngineOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	ctl, err := Attach(Options{Engine: eng, Store: store, Logger: log, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sqlserver.New(store, eng, sqlserver.Config{Listen: "127.0.0.1:0"}, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{t: t, dir: dir, store: store, eng: eng, srv: srv, ctl: ctl, reg: reg}
	r.db, err = sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/", srv.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stop)
	return r
}

func (r *replica) stop() {
	if r.srv == nil {
		return
	}
	r.db.Close()
	r.ctl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil {
		r.t.Errorf("shutdown: %v", err)
	}
	if err := sqlserver.CloseEngine(r.eng); err != nil {
		r.t.Errorf("close engine: %v", err)
	}
	if err := r.store.Close(); err != nil {
		r.t.Errorf("close storage: %v", err)
	}
	r.srv = nil
}

// openSource opens root on src without parseTime, so checksums see the
// same text rendering as on Quarry.
func openSource(t testing.TB, src *mariadbtest.Server) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/", src.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// replicaStatus returns SHOW REPLICA STATUS as a column map.
func replicaStatus(t testing.TB, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query("SHOW REPLICA STATUS")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := map[string]string{}
	if !rows.Next() {
		return out
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	for i, c := range cols {
		if vals[i].Valid {
			out[c] = vals[i].String
		} else {
			out[c] = "NULL"
		}
	}
	return out
}

// configure points the replica at src and starts it.
func configure(t testing.TB, db *sql.DB, src *mariadbtest.Server) {
	t.Helper()
	mustExec(t, db,
		"SET GLOBAL server_id = 2",
		fmt.Sprintf("CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT=%d, SOURCE_USER='root', SOURCE_PASSWORD='', SOURCE_CONNECT_RETRY=1, SOURCE_AUTO_POSITION=1", src.Port),
		"START REPLICA")
}

// waitCaughtUp waits until the replica has executed the source's GTID
// position, failing on a replication error.
func waitCaughtUp(t testing.TB, src, dst *sql.DB, limit time.Duration) {
	t.Helper()
	var want string
	if err := src.QueryRow("SELECT @@GLOBAL.gtid_binlog_pos").Scan(&want); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(limit)
	for {
		st := replicaStatus(t, dst)
		if st["Last_SQL_Error"] != "" && st["Last_SQL_Error"] != "NULL" {
			t.Fatalf("replication stopped: %s", st["Last_SQL_Error"])
		}
		if st["Executed_Gtid_Set"] == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica did not catch up in %v: executed %q, source %q, status %v", limit, st["Executed_Gtid_Set"], want, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func compareDB(t testing.TB, src, dst *sql.DB, db string) {
	t.Helper()
	ctx := context.Background()
	want, err := checksum.Database(ctx, src, db)
	if err != nil {
		t.Fatal(err)
	}
	got, err := checksum.Database(ctx, dst, db)
	if err != nil {
		t.Fatal(err)
	}
	if d := checksum.Diff(want, got); d != "" {
		t.Fatalf("checksums differ:\n%s", d)
	}
	if len(want) == 0 {
		t.Fatalf("no tables in %s", db)
	}
	t.Logf("checksums equal for %d tables of %s", len(want), db)
}

// sbSchema is a sysbench oltp-like schema.
func sbSchema(tables int) []string {
	out := []string{"CREATE DATABASE sb"}
	for i := 1; i <= tables; i++ {
		out = append(out, fmt.Sprintf(`CREATE TABLE sb.sbtest%d (
  id INT NOT NULL AUTO_INCREMENT,
  k INT NOT NULL DEFAULT 0,
  c CHAR(120) NOT NULL DEFAULT '',
  pad CHAR(60) NOT NULL DEFAULT '',
  note VARCHAR(200) NULL,
  amount DECIMAL(12,2) NULL,
  ts DATETIME NULL,
  PRIMARY KEY (id),
  KEY k_%d (k)
) ENGINE=InnoDB`, i, i))
	}
	return out
}

// writeLoad runs a sysbench oltp_write_only-like load on src for d with
// the given workers: per transaction an index update, a non-index update,
// a delete and an insert of the same id, plus a fresh insert. It returns
// the number of committed transactions.
func writeLoad(t testing.TB, src *sql.DB, tables, rowsPerTable, workers int, d time.Duration) int64 {
	t.Helper()
	var mu sync.Mutex
	var total int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			var n int64
			for time.Now().Before(deadline) {
				tb := fmt.Sprintf("sb.sbtest%d", 1+rng.Intn(tables))
				id := 1 + rng.Intn(rowsPerTable)
				tx, err := src.Begin()
				if err != nil {
					t.Error(err)
					return
				}
				stmts := []struct {
					q    string
					args []any
				}{
					{"UPDATE " + tb + " SET k = k + 1 WHERE id = ?", []any{id}},
					{"UPDATE " + tb + " SET c = ?, note = NULL WHERE id = ?", []any{fmt.Sprintf("c-%d-%d", w, rng.Int()), 1 + rng.Intn(rowsPerTable)}},
					{"DELETE FROM " + tb + " WHERE id = ?", []any{id}},
					{"INSERT INTO " + tb + " (id, k, c, pad, note, amount, ts) VALUES (?, ?, ?, ?, ?, ?, NOW())", []any{id, rng.Intn(1000), "re-inserted", "p", "n", "12.34"}},
					{"INSERT INTO " + tb + " (k, c, pad, note, amount, ts) VALUES (?, ?, ?, ?, ?, '2024-05-06 07:08:09')", []any{rng.Intn(1000), "new", "p", "", "-1.50"}},
				}
				ok := true
				for _, s := range stmts {
					if _, err := tx.Exec(s.q, s.args...); err != nil {
						ok = false // deadlocks between workers are expected
						break
					}
				}
				if !ok {
					_ = tx.Rollback()
					continue
				}
				if err := tx.Commit(); err == nil {
					n++
				}
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	return total
}

func seedSB(t testing.TB, src *sql.DB, tables, rows int) {
	t.Helper()
	mustExec(t, src, sbSchema(tables)...)
	for i := 1; i <= tables; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO sb.sbtest%d (id, k, c, pad, note, amount, ts) VALUES ", i)
		for r := 1; r <= rows; r++ {
			if r > 1 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "(%d, %d, 'c%d', 'pad', 'n%d', %d.25, '2023-01-02 03:04:05')", r, r%97, r, r, r)
		}
		mustExec(t, src, b.String())
	}
}
