// Command analytics runs the report queries of an order system against
// Quarry (in-process server over loopback) and MariaDB (a private mariadbd
// started by internal/mariadbtest), both loaded with the same bench/orders
// dataset, and prints each query's median time on both, the ratio
// Quarry/MariaDB and Quarry's scanned rows per second per core, by wall
// time and by the process's CPU time.
//
//	go run ./bench/cmd/analytics -rows 1000000
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/bench/orders"
	"github.com/quarrydb/quarry/bench/procstat"
	"github.com/quarrydb/quarry/internal/gctune"
	"github.com/quarrydb/quarry/internal/mariadbtest"
	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

// report is one benchmark query; scanned returns how many rows it must
// read for a dataset of n rows (for rows/s/core).
type report struct {
	name    string
	query   string
	scanned func(n int64) int64
}

func all(n int64) int64 { return n }

var reports = []report{
	{"count", "SELECT COUNT(*) FROM orders", all},
	{"sum_avg_by_status", "SELECT status, SUM(amount_cents), AVG(amount_cents) FROM orders GROUP BY status ORDER BY status", all},
	{"region_category_top10", "SELECT region, category, SUM(amount_cents) AS s FROM orders GROUP BY region, category ORDER BY s DESC, region, category LIMIT 10", all},
	{"revenue_by_month", "SELECT DATE_FORMAT(created_at, '%Y-%m') AS m, SUM(amount_cents) FROM orders WHERE created_at >= '2024-03-01' AND created_at < '2025-03-01' GROUP BY m ORDER BY m", all},
	{"distinct_users", "SELECT COUNT(DISTINCT user_id) FROM orders", all},
	{"top10_sellers", "SELECT seller_id, SUM(amount_cents) AS s FROM orders GROUP BY seller_id ORDER BY s DESC, seller_id LIMIT 10", all},
	{"pk_range_agg", "SELECT COUNT(*), SUM(amount_cents), MAX(created_at) FROM orders WHERE order_id BETWEEN %d AND %d", func(n int64) int64 { return n/5 + 1 }},
}

func main() {
	rows := flag.Int64("rows", 1_000_000, "rows in the orders table")
	runs := flag.Int("runs", 5, "timed runs per query (after one warm-up)")
	only := flag.String("only", "", "run only queries whose name contains this")
	noMaria := flag.Bool("no-mariadb", false, "skip MariaDB")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of Quarry's timed runs to this file")
	flag.IntVar(&writers, "writers", 0, "concurrent writer connections against the database being timed (order updates and new orders)")
	flag.IntVar(&writeRate, "write-rate", 200, "commits per second of each writer (with -writers)")
	flag.Parse()
	if err := run(*rows, *runs, *only, *noMaria, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "analytics:", err)
		os.Exit(1)
	}
}

// writers and writeRate configure the write load (see writeLoad).
var writers, writeRate int

func run(n int64, runs int, only string, noMaria bool, cpuprofile string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "quarry-analytics")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sqlserver.RouteLibraryLogs(log)
	gctune.Apply() // as quarry serve does
	store, err := storage.Open(storage.Options{Dir: dir, Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	eng, err := sqlserver.NewEngine(store, sqlserver.EngineOptions{Logger: log})
	if err != nil {
		return err
	}
	srv, err := sqlserver.New(store, eng, sqlserver.Config{Listen: "127.0.0.1:0"}, log)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	qdb, err := open(ctx, func(db string) string {
		return fmt.Sprintf("root@tcp(%s)/%s?maxAllowedPacket=0", srv.Addr(), db)
	})
	if err != nil {
		return err
	}
	defer qdb.Close()
	if err := load(ctx, "quarry", qdb, n); err != nil {
		return err
	}
	if err := settle(store); err != nil {
		return err
	}

	var mdb *sql.DB
	if !noMaria {
		m, err := mariadbtest.Start(mariadbtest.Options{BufferPool: "2G"}, func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) })
		if err != nil {
			return fmt.Errorf("start mariadb: %w", err)
		}
		defer m.Stop()
		mdb, err = open(ctx, func(db string) string { return strings.Replace(m.DSN(db), "parseTime=true&", "", 1) })
		if err != nil {
			return err
		}
		defer mdb.Close()
		if err := load(ctx, "mariadb", mdb, n); err != nil {
			return err
		}
	}

	cores := runtime.GOMAXPROCS(0)
	fmt.Printf("\n%d rows, %d runs per query (median), GOMAXPROCS=%d\n", n, runs, cores)
	if writers > 0 {
		fmt.Printf("write load: %d writers x %d commits/s against the database being timed (results then differ between the two)\n", writers, writeRate)
	}
	fmt.Println()
	qload := &writeLoad{db: qdb, next: n + 1}
	mload := &writeLoad{db: mdb, next: n + 1}
	fmt.Printf("| %-22s | %10s | %10s | %8s | %16s | %12s | %14s | %s\n", "query", "quarry ms", "mariadb ms", "q/m", "rows/s/core (Q)", "Q cpu ms", "rows/cpu-s (Q)", "same result")
	fmt.Printf("|%s|%s|%s|%s|%s|%s|%s|%s\n", strings.Repeat("-", 24), strings.Repeat("-", 12), strings.Repeat("-", 12), strings.Repeat("-", 10), strings.Repeat("-", 18), strings.Repeat("-", 14), strings.Repeat("-", 16), strings.Repeat("-", 12))
	var prof *os.File
	if cpuprofile != "" {
		if prof, err = os.Create(cpuprofile); err != nil {
			return err
		}
		defer prof.Close()
	}
	for _, r := range reports {
		if only != "" && !strings.Contains(r.name, only) {
			continue
		}
		q := r.query
		if strings.Contains(q, "%d") {
			q = fmt.Sprintf(q, 2*n/5, 3*n/5)
		}
		if prof != nil {
			if err := pprof.StartCPUProfile(prof); err != nil {
				return err
			}
		}
		cpu0 := procstat.CPU()
		qload.start(n)
		qt, qres, err := timeQuery(ctx, qdb, q, runs)
		qcommits := qload.stop()
		qcpu := (procstat.CPU() - cpu0) / time.Duration(runs+1)
		if prof != nil {
			pprof.StopCPUProfile()
			prof = nil // one profile: the first query run
		}
		if err != nil {
			return fmt.Errorf("quarry %s: %w", r.name, err)
		}
		mcol, ratio, same := "-", "-", "-"
		if mdb != nil {
			mload.start(n)
			mt, mres, err := timeQuery(ctx, mdb, q, runs)
			mload.stop()
			if err != nil {
				return fmt.Errorf("mariadb %s: %w", r.name, err)
			}
			mcol = fmt.Sprintf("%.1f", ms(mt))
			ratio = fmt.Sprintf("%.3f", ms(qt)/ms(mt))
			same = fmt.Sprint(qres == mres)
			if qres != mres && writers == 0 {
				fmt.Fprintf(os.Stderr, "%s: results differ\nquarry:  %s\nmariadb: %s\n", r.name, qres, mres)
			}
		}
		rate := float64(r.scanned(n)) / qt.Seconds() / float64(cores)
		cpuRate := float64(r.scanned(n)) / qcpu.Seconds()
		if writers > 0 {
			same = fmt.Sprintf("%d commits", qcommits)
		}
		fmt.Printf("| %-22s | %10.1f | %10s | %8s | %16s | %12.1f | %14s | %s\n", r.name, ms(qt), mcol, ratio, human(rate), ms(qcpu), human(cpuRate), same)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// open creates database bench through dsn("") and returns a handle on it.
func open(ctx context.Context, dsn func(db string) string) (*sql.DB, error) {
	root, err := sql.Open("mysql", dsn(""))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if _, err := root.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS bench"); err != nil {
		return nil, err
	}
	return sql.Open("mysql", dsn("bench"))
}

func load(ctx context.Context, name string, db *sql.DB, n int64) error {
	start := time.Now()
	if _, err := db.ExecContext(ctx, orders.CreateTable); err != nil {
		return fmt.Errorf("%s: create: %w", name, err)
	}
	if err := orders.New(n).Load(ctx, db, 1000, 2, nil); err != nil {
		return fmt.Errorf("%s: load: %w", name, err)
	}
	if _, err := db.ExecContext(ctx, "ANALYZE TABLE orders"); err != nil {
		return fmt.Errorf("%s: analyze: %w", name, err)
	}
	fmt.Fprintf(os.Stderr, "%s: loaded %d rows in %s\n", name, n, time.Since(start).Round(time.Millisecond))
	return nil
}

// timeQuery runs q once to warm up, then runs times, and returns the
// median duration (fetching every row) and the result rendered as text.
func timeQuery(ctx context.Context, db *sql.DB, q string, runs int) (time.Duration, string, error) {
	var res string
	var times []time.Duration
	for i := 0; i <= runs; i++ {
		start := time.Now()
		s, err := fetch(ctx, db, q)
		if err != nil {
			return 0, "", err
		}
		if i == 0 {
			res = s
			continue
		}
		times = append(times, time.Since(start))
	}
	sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
	return times[len(times)/2], res, nil
}

func fetch(ctx context.Context, db *sql.DB, q string) (string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var b strings.Builder
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(v)
		}
		b.WriteByte(';')
	}
	return b.String(), rows.Err()
}

// settle flushes Quarry's memtables and waits (at most a minute) for
// running compactions to finish, so the timed runs read sstables, as a
// loaded table is read, rather than racing the compactions the load
// started. (Pebble leaves some compaction debt it does not act on.)
func settle(store *storage.Engine) error {
	start := time.Now()
	if err := store.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	for time.Since(start) < time.Minute {
		m, ok := store.KVMetrics()
		if !ok || m.CompactionsInProgress == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if m, ok := store.KVMetrics(); ok {
		fmt.Fprintf(os.Stderr, "quarry: settled in %s (L0 files %d, compactions in progress %d, debt %d bytes)\n",
			time.Since(start).Round(time.Millisecond), m.L0Files, m.CompactionsInProgress, m.CompactionDebtBytes)
	}
	return nil
}

// writeLoad runs the order system's writes against one database while
// its queries are timed: each of writers connections commits writeRate
// times a second, alternately an UPDATE of a random existing order
// (status and amount) and an INSERT of a new order after the last id.
// CPU spent by Quarry's writers counts in Quarry's CPU column.
type writeLoad struct {
	db      *sql.DB
	next    int64 // next new order id (shared by the writers)
	mu      sync.Mutex
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	commits atomic.Int64
}

func (l *writeLoad) start(n int64) {
	if writers == 0 || l.db == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.commits.Store(0)
	g := orders.New(n)
	for w := 0; w < writers; w++ {
		l.wg.Add(1)
		go func(w int) {
			defer l.wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), uint64(n)))
			tick := time.NewTicker(time.Second / time.Duration(max(writeRate, 1)))
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				var err error
				if i%2 == 0 {
					_, err = l.db.ExecContext(ctx, "UPDATE orders SET status = ?, amount_cents = amount_cents + 1 WHERE order_id = ?",
						orders.Statuses[r.IntN(len(orders.Statuses))], 1+r.Int64N(n))
				} else {
					l.mu.Lock()
					id := l.next
					l.next++
					l.mu.Unlock()
					o := g.Row(id)
					_, err = l.db.ExecContext(ctx, "INSERT INTO orders VALUES "+o.Values())
				}
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					fmt.Fprintln(os.Stderr, "writer:", err)
					continue
				}
				l.commits.Add(1)
			}
		}(w)
	}
}

// stop ends the writers and returns how many commits they made.
func (l *writeLoad) stop() int64 {
	if l.cancel == nil {
		return 0
	}
	l.cancel()
	l.wg.Wait()
	l.cancel = nil
	return l.commits.Load()
}
