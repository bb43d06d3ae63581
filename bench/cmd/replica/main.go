// Command replica measures Quarry as a binlog replica of MariaDB under a
// sustained sysbench oltp_write_only-like load: source commit rate,
// replica apply rate, and replication lag (a heartbeat row the source
// updates every 100 ms, read on the replica every 100 ms; also
// Seconds_Behind_Source), then the time to catch up after the load.
//
//	go run ./bench/cmd/replica -duration 60s -workers 4 [-rate 500]
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/internal/gctune"
	"github.com/quarrydb/quarry/internal/mariadbtest"
	"github.com/quarrydb/quarry/replication"
	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

func main() {
	duration := flag.Duration("duration", 60*time.Second, "load duration")
	workers := flag.Int("workers", 4, "source client connections")
	rate := flag.Float64("rate", 0, "source transactions/s across workers (0 = as fast as possible)")
	tables := flag.Int("tables", 4, "sbtest tables")
	rows := flag.Int("rows", 10000, "rows per table")
	flag.Parse()
	if err := run(*duration, *workers, *rate, *tables, *rows); err != nil {
		fmt.Fprintln(os.Stderr, "replica:", err)
		os.Exit(1)
	}
}

func must(db *sql.DB, qs ...string) error {
	for _, q := range qs {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("%.80s: %w", q, err)
		}
	}
	return nil
}

func run(d time.Duration, workers int, rate float64, tables, rows int) error {
	tmp, err := os.MkdirTemp("", "quarry-replica-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	m, err := mariadbtest.Start(mariadbtest.Options{Binlog: true, ServerID: 1, BufferPool: "512M"}, nil)
	if err != nil {
		return err
	}
	defer m.Stop()
	src, err := sql.Open("mysql", "root@tcp("+m.Addr()+")/")
	if err != nil {
		return err
	}
	src.SetMaxOpenConns(workers + 2)
	if err := must(src, "CREATE DATABASE sb", "CREATE TABLE sb.hb (id INT PRIMARY KEY, ts DATETIME(6))", "INSERT INTO sb.hb VALUES (1, NOW(6))"); err != nil {
		return err
	}
	for i := 1; i <= tables; i++ {
		if err := must(src, fmt.Sprintf("CREATE TABLE sb.sbtest%d (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL DEFAULT 0, c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '', KEY k_%d (k))", i, i)); err != nil {
			return err
		}
		for lo := 1; lo <= rows; lo += 1000 {
			var b strings.Builder
			fmt.Fprintf(&b, "INSERT INTO sb.sbtest%d (id, k, c, pad) VALUES ", i)
			for r := lo; r < lo+1000 && r <= rows; r++ {
				if r > lo {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "(%d,%d,'%0120d','%060d')", r, rand.Intn(rows), r, r)
			}
			if err := must(src, b.String()); err != nil {
				return err
			}
		}
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sqlserver.RouteLibraryLogs(log)
	gctune.Apply() // as quarry serve does
	store, err := storage.Open(storage.Options{Dir: filepath.Join(tmp, "quarry"), Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	eng, err := sqlserver.NewEngine(store, sqlserver.EngineOptions{Logger: log})
	if err != nil {
		return err
	}
	ctl, err := replication.Attach(replication.Options{Engine: eng, Store: store, Logger: log})
	if err != nil {
		return err
	}
	defer ctl.Close()
	srv, err := sqlserver.New(store, eng, sqlserver.Config{Listen: "127.0.0.1:0"}, log)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Shutdown(context.Background())
	dst, err := sql.Open("mysql", "root@tcp("+srv.Addr().String()+")/?parseTime=true&loc=UTC")
	if err != nil {
		return err
	}
	if err := must(dst, "SET GLOBAL server_id = 2",
		fmt.Sprintf("CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT=%d, SOURCE_USER='root', SOURCE_CONNECT_RETRY=1", m.Port),
		"START REPLICA"); err != nil {
		return err
	}
	t0 := time.Now()
	if err := waitCaughtUp(src, dst, 10*time.Minute); err != nil {
		return err
	}
	fmt.Printf("initial sync: %d tables x %d rows in %s\n", tables, rows, time.Since(t0).Round(time.Millisecond))

	// Load.
	var committed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var limiter <-chan time.Time
	if rate > 0 {
		tk := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer tk.Stop()
		limiter = tk.C
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if limiter != nil {
					select {
					case <-limiter:
					case <-stop:
						return
					}
				}
				tb := fmt.Sprintf("sb.sbtest%d", 1+rng.Intn(tables))
				id := 1 + rng.Intn(rows)
				tx, err := src.Begin()
				if err != nil {
					continue
				}
				ok := true
				for _, q := range []struct {
					s string
					a []any
				}{
					{"UPDATE " + tb + " SET k = k + 1 WHERE id = ?", []any{id}},
					{"UPDATE " + tb + " SET c = ? WHERE id = ?", []any{fmt.Sprintf("%0120d", rng.Int63()), 1 + rng.Intn(rows)}},
					{"DELETE FROM " + tb + " WHERE id = ?", []any{id}},
					{"INSERT INTO " + tb + " (id, k, c, pad) VALUES (?, ?, ?, ?)", []any{id, rng.Intn(rows), "c", "p"}},
				} {
					if _, err := tx.Exec(q.s, q.a...); err != nil {
						ok = false
						break
					}
				}
				if !ok {
					_ = tx.Rollback()
					continue
				}
				if tx.Commit() == nil {
					committed.Add(1)
				}
			}
		}(w)
	}
	// Heartbeat and lag sampling.
	var lags []time.Duration
	var sbs []int
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
			}
			_, _ = src.Exec("UPDATE sb.hb SET ts = NOW(6) WHERE id = 1")
			var ts time.Time
			if err := dst.QueryRow("SELECT ts FROM sb.hb WHERE id = 1").Scan(&ts); err == nil {
				lags = append(lags, time.Since(ts))
			}
			var sbsv sql.NullInt64
			if st, err := status(dst); err == nil {
				if _, e := fmt.Sscan(st["Seconds_Behind_Source"], &sbsv.Int64); e == nil {
					sbs = append(sbs, int(sbsv.Int64))
				}
			}
		}
	}()
	start := time.Now()
	time.Sleep(d)
	close(stop)
	wg.Wait()
	<-hbDone
	loadTime := time.Since(start)
	t1 := time.Now()
	if err := waitCaughtUp(src, dst, 10*time.Minute); err != nil {
		return err
	}
	catchUp := time.Since(t1)
	n := committed.Load()
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	pct := func(p float64) time.Duration {
		if len(lags) == 0 {
			return 0
		}
		return lags[int(p*float64(len(lags)-1))].Round(time.Millisecond)
	}
	maxSBS := 0
	for _, s := range sbs {
		maxSBS = max(maxSBS, s)
	}
	fmt.Printf("load: %d workers, %s, target rate %v tx/s (4 statements/tx: 2 updates, delete, insert)\n", workers, loadTime.Round(time.Millisecond), rate)
	fmt.Printf("source committed: %d tx = %.0f tx/s (%.0f row changes/s)\n", n, float64(n)/loadTime.Seconds(), 4*float64(n)/loadTime.Seconds())
	fmt.Printf("replica applied:  %d tx in %s = %.0f tx/s\n", n, (loadTime + catchUp).Round(time.Millisecond), float64(n)/(loadTime+catchUp).Seconds())
	fmt.Printf("heartbeat lag over %d samples: p50 %s, p90 %s, p99 %s, max %s\n", len(lags), pct(0.5), pct(0.9), pct(0.99), pct(1))
	fmt.Printf("Seconds_Behind_Source max: %d; catch-up after the load: %s\n", maxSBS, catchUp.Round(time.Millisecond))
	return nil
}

func status(db *sql.DB) (map[string]string, error) {
	rows, err := db.Query("SHOW REPLICA STATUS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := map[string]string{}
	if !rows.Next() {
		return out, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, c := range cols {
		out[c] = vals[i].String
	}
	return out, nil
}

func waitCaughtUp(src, dst *sql.DB, limit time.Duration) error {
	var want string
	if err := src.QueryRow("SELECT @@GLOBAL.gtid_binlog_pos").Scan(&want); err != nil {
		return err
	}
	deadline := time.Now().Add(limit)
	for {
		st, err := status(dst)
		if err != nil {
			return err
		}
		if e := st["Last_SQL_Error"]; e != "" {
			return fmt.Errorf("replication stopped: %s", e)
		}
		if st["Executed_Gtid_Set"] == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not caught up after %s: %q vs %q", limit, st["Executed_Gtid_Set"], want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
