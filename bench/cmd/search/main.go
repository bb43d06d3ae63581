// Command search compares Quarry's bleve-backed FULLTEXT index with
// MariaDB's InnoDB FULLTEXT on the shared orders dataset: it loads the same
// rows into both, times CREATE FULLTEXT INDEX (indexing rows/s), reports
// the index sizes, and prints the median time of each query on both and
// the MariaDB/Quarry ratio (above 1: Quarry is faster). It also runs
// multi-field filters (status + region + amount and created_at ranges,
// their COUNT and a GROUP BY; both sides have single-column keys on status
// and region, and Quarry a typed multi-field search index declared through
// the COMMENT mapping), LIKE '%...%' answered from a substring n-gram
// index (s_title_sub) against MariaDB's scan, and the wire floor: as many
// ids as "natural all ids" by a primary-key range, without a search. It
// reports p50/p99 of a selective search.
//
//	go run ./bench/cmd/search -rows 1000000
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/bench/orders"
	"github.com/quarrydb/quarry/bench/procstat"
	"github.com/quarrydb/quarry/internal/gctune"
	"github.com/quarrydb/quarry/internal/mariadbtest"
	"github.com/quarrydb/quarry/internal/schedtune"
	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

type query struct {
	name string
	// quarry and maria are the statements; maria empty = same as quarry.
	quarry, maria string
}

var queries = []query{
	{name: "natural top-10 'drone tripod'",
		quarry: "SELECT order_id, MATCH(title) AGAINST('drone tripod') AS s FROM orders WHERE MATCH(title) AGAINST('drone tripod') ORDER BY s DESC LIMIT 10"},
	{name: "natural all ids 'tripod'",
		quarry: "SELECT order_id FROM orders WHERE MATCH(title) AGAINST('tripod')"},
	{name: "boolean '+drone +tripod -black'",
		quarry: "SELECT order_id FROM orders WHERE MATCH(title) AGAINST('+drone +tripod -black' IN BOOLEAN MODE)"},
	{name: "boolean phrase '\"coffee maker\"' top-10",
		quarry: "SELECT order_id, MATCH(title) AGAINST('\"coffee maker\"' IN BOOLEAN MODE) AS s FROM orders WHERE MATCH(title) AGAINST('\"coffee maker\"' IN BOOLEAN MODE) ORDER BY s DESC LIMIT 10"},
	{name: "boolean prefix 'trip*' count",
		quarry: "SELECT COUNT(*) FROM orders WHERE MATCH(title) AGAINST('trip*' IN BOOLEAN MODE)"},
	{name: "LIKE '%tripod%' count (both: table scan)",
		quarry: "SELECT COUNT(*) FROM orders IGNORE INDEX (s_title_sub) WHERE title LIKE '%tripod%'",
		maria:  "SELECT COUNT(*) FROM orders WHERE title LIKE '%tripod%'"},
	// Quarry answers LIKE '%...%' from the substring n-grams of s_title_sub
	// (candidates it verifies on the rows; exact for a run of at most 3
	// characters, counted or listed from the index); MariaDB scans.
	{name: "LIKE '%tripod%' count (Quarry: n-grams)",
		quarry: "SELECT COUNT(*) FROM orders WHERE title LIKE '%tripod%'"},
	{name: "LIKE '%无人机%' count (Quarry: exact n-grams)",
		quarry: "SELECT COUNT(*) FROM orders WHERE title LIKE '%无人机%'"},
	{name: "LIKE '%pod%' ids (Quarry: exact n-grams)",
		quarry: "SELECT order_id FROM orders WHERE title LIKE '%pod%'"},
	{name: "Quarry MATCH vs MariaDB LIKE, '+drone +tripod'",
		quarry: "SELECT order_id FROM orders WHERE MATCH(title) AGAINST('+drone +tripod' IN BOOLEAN MODE)",
		maria:  "SELECT order_id FROM orders WHERE title LIKE '%drone%' AND title LIKE '%tripod%'"},
	{name: "Chinese '+无人机 +相机' (MariaDB: LIKE)",
		quarry: "SELECT order_id FROM orders WHERE MATCH(title) AGAINST('+无人机 +相机' IN BOOLEAN MODE)",
		maria:  "SELECT order_id FROM orders WHERE title LIKE '%无人机%' AND title LIKE '%相机%'"},
	// Multi-field filters: both sides have single-column keys on status
	// and region, none of which fits the whole filter.
	{name: "multi-field filter ids", quarry: "SELECT order_id FROM orders WHERE " + multiFilter},
	{name: "multi-field filter COUNT(*)", quarry: "SELECT COUNT(*) FROM orders WHERE " + multiFilter},
	{name: "multi-field GROUP BY status",
		quarry: "SELECT status, COUNT(*) FROM orders WHERE region IN ('north', 'south') AND amount_cents >= 50000 AND created_at >= '2025-01-01' GROUP BY status"},
	// The wire floor: as many single-column rows as "natural all ids"
	// returns, by a primary-key range, without any search.
	{name: "floor: 57186 ids by PK range (no search)",
		quarry: "SELECT order_id FROM orders WHERE order_id <= 57186"},
}

// multiFilter is the status + region + amount range + created_at range filter.
const multiFilter = "status = 'paid' AND region = 'north' AND amount_cents BETWEEN 10000 AND 20000 AND created_at >= '2024-06-01' AND created_at < '2024-09-01'"

// extraIndex is an index Quarry's side adds after the FULLTEXT index.
type extraIndex struct{ name, stmt string }

// quarryExtra are Quarry's other search indexes, built after ft_title
// (so that MATCH(title) resolves to ft_title, the first FULLTEXT index
// over exactly its columns).
var quarryExtra = []extraIndex{
	// The typed multi-field search index (COMMENT mapping); MariaDB
	// cannot put a FULLTEXT index on numbers and dates.
	{"s_multi", "CREATE FULLTEXT INDEX s_multi ON orders(status, region, amount_cents, created_at) COMMENT 'status=keyword region=keyword amount_cents=long created_at=date'"},
	// Substring n-grams of the title, for LIKE '%...%'.
	{"s_title_sub", "CREATE FULLTEXT INDEX s_title_sub ON orders(title) COMMENT 'title=ngram'"},
}

// selective is the search whose latency percentiles are reported.
const selective = "SELECT order_id FROM orders WHERE MATCH(title) AGAINST('+drone +tripod +black' IN BOOLEAN MODE)"

// pointLookup is the latency floor the selective search is compared with.
const pointLookup = "SELECT order_id FROM orders WHERE order_id = 4242"

// selectiveRuns is how many times the selective search runs for its p99.
var selectiveRuns = 200

// cpuProfile, when set, is where the CPU profile of Quarry's selective
// search runs goes (Quarry runs in this process).
var cpuProfile string

// memProfile, when set, is where the allocations of Quarry's query runs
// are written.
var memProfile string

// only, when set, selects the queries whose name contains it.
var only string

// keepDir, when set, is Quarry's data directory, kept after the run; a
// directory that already holds the loaded orders table is reused (no
// load or index build: only the queries run), for iterating on queries.
var keepDir string

// explain prints EXPLAIN of each of Quarry's queries.
var explain bool

func main() {
	if err := schedtune.Reexec(); err != nil { // as quarry serve does
		slog.Warn("sysmon keeps its default idle behaviour", "err", err)
	}
	rows := flag.Int64("rows", 1_000_000, "rows in the orders table")
	runs := flag.Int("runs", 7, "timed runs per query (median reported)")
	noMaria := flag.Bool("no-mariadb", false, "measure Quarry only")
	flag.IntVar(&selectiveRuns, "selective-runs", selectiveRuns, "runs of the selective search (p50/p99)")
	flag.StringVar(&memProfile, "memprofile", "", "write the allocations of Quarry's query runs to this file (compare with this file + .base: go tool pprof -base)")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write CPU profiles of Quarry's query runs to this file, of its selective-search runs to this file + .selective and of building the typed search index to this file + .extra")
	flag.StringVar(&only, "only", "", "run only the queries whose name contains this")
	flag.StringVar(&keepDir, "dir", "", "Quarry's data directory, kept; reused (no load, no index build) when it holds the orders table already")
	flag.BoolVar(&explain, "explain", false, "print EXPLAIN of each of Quarry's queries")
	flag.Parse()
	if err := run(*rows, *runs, !*noMaria); err != nil {
		fmt.Fprintln(os.Stderr, "search:", err)
		os.Exit(1)
	}
}

type side struct {
	name     string
	dsn      func(db string) string
	p50, p99 time.Duration
	selRows  int
	gcs      uint32 // GC cycles during the selective runs (Quarry)
	// floor50, floor99: latency of a point lookup in the same loop.
	floor50, floor99 time.Duration
	db               *sql.DB
	load             time.Duration
	build            time.Duration
	indexSize        int64
	med              []time.Duration
	first            []time.Duration // medians of the time to the first row
	counts           []int
	// cpu is this process's CPU time per run of each query: for Quarry,
	// which runs in this process, the server's work plus the client's
	// (a load-independent measure on a shared machine).
	cpu []time.Duration
}

func run(n int64, runs int, maria bool) error {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sqlserver.RouteLibraryLogs(log)
	dir, reuse := keepDir, false
	if dir == "" {
		d, err := os.MkdirTemp("", "quarry-bench-search-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if _, err := os.Stat(filepath.Join(dir, "search")); err == nil {
		reuse = true
	}
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
	defer srv.Shutdown(ctx)
	q := &side{name: "Quarry", dsn: func(db string) string {
		return fmt.Sprintf("root@tcp(%s)/%s?maxAllowedPacket=0", srv.Addr(), db)
	}}
	if reuse {
		if q.db, err = sql.Open("mysql", q.dsn("bench")); err != nil {
			return err
		}
		q.db.SetMaxOpenConns(4)
		if err := q.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM orders").Scan(&n); err != nil {
			return fmt.Errorf("quarry: reusing %s: %w", dir, err)
		}
		// A directory loaded before an extra index existed gets it now.
		for _, x := range quarryExtra {
			var cnt int
			if err := q.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = 'bench' AND table_name = 'orders' AND index_name = ?", x.name).Scan(&cnt); err != nil {
				return fmt.Errorf("quarry: reusing %s: %w", dir, err)
			}
			if cnt > 0 {
				continue
			}
			start := time.Now()
			if _, err := q.db.ExecContext(ctx, x.stmt); err != nil {
				return fmt.Errorf("quarry: reusing %s: %w", dir, err)
			}
			fmt.Fprintf(os.Stderr, "Quarry: %s: %s\n", x.stmt, time.Since(start).Round(time.Millisecond))
		}
	} else if err := prepare(ctx, q, n, "COMMENT 'analyzer=cjk'", quarryExtra...); err != nil {
		return fmt.Errorf("quarry: %w", err)
	}
	if q.indexSize, err = dirSize(filepath.Join(dir, "search"), ""); err != nil {
		return err
	}
	defer q.db.Close()
	sides := []*side{q}
	if maria {
		ms, err := mariadbtest.Start(mariadbtest.Options{BufferPool: "1G"}, nil)
		if err != nil {
			return fmt.Errorf("mariadb: %w", err)
		}
		defer ms.Stop()
		m := &side{name: "MariaDB", dsn: func(db string) string { return ms.DSN(db) + "&maxAllowedPacket=0" }}
		if err := prepare(ctx, m, n, ""); err != nil {
			return fmt.Errorf("mariadb: %w", err)
		}
		defer m.db.Close()
		if m.indexSize, err = dirSize(filepath.Join(ms.Dir, "data", "bench"), "fts_"); err != nil {
			return err
		}
		sides = append(sides, m)
	}
	if only != "" {
		var sel []query
		for _, qq := range queries {
			if strings.Contains(qq.name, only) {
				sel = append(sel, qq)
			}
		}
		queries = sel
	}
	if explain {
		for _, qq := range queries {
			if err := printExplain(ctx, q.db, qq.quarry); err != nil {
				return err
			}
		}
	}
	for _, s := range sides {
		stop, err := startProfile(s, "")
		if err != nil {
			return err
		}
		for _, qq := range queries {
			stmt := qq.quarry
			if s.name == "MariaDB" && qq.maria != "" {
				stmt = qq.maria
			}
			d, first, cnt, cpu, err := measure(ctx, s.db, stmt, runs)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", s.name, stmt, err)
			}
			s.cpu = append(s.cpu, cpu)
			s.med = append(s.med, d)
			s.first = append(s.first, first)
			s.counts = append(s.counts, cnt)
		}
		stop()
		if stop, err = startProfile(s, ".selective"); err != nil {
			return err
		}
		var gc0 runtime.MemStats
		runtime.ReadMemStats(&gc0)
		s.p50, s.p99, s.selRows, err = percentiles(ctx, s.db, selective, selectiveRuns)
		var gc1 runtime.MemStats
		runtime.ReadMemStats(&gc1)
		s.gcs = gc1.NumGC - gc0.NumGC
		stop()
		if err != nil {
			return fmt.Errorf("%s: %s: %w", s.name, selective, err)
		}
		// The latency floor of the same loop: a primary-key point lookup.
		if s.floor50, s.floor99, _, err = percentiles(ctx, s.db, pointLookup, selectiveRuns); err != nil {
			return fmt.Errorf("%s: %s: %w", s.name, pointLookup, err)
		}
	}
	fmt.Printf("orders rows: %d, %d runs per query, medians\n\n", n, runs)
	fmt.Printf("%-48s %12s %12s %12s %8s", "query", "Quarry", "Q first row", "Quarry CPU", "rows")
	if maria {
		fmt.Printf(" %12s %8s %9s", "MariaDB", "rows", "Maria/Q")
	}
	fmt.Println()
	for i, qq := range queries {
		fmt.Printf("%-48s %12s %12s %12s %8d", qq.name, q.med[i].Round(10*time.Microsecond), q.first[i].Round(10*time.Microsecond), q.cpu[i].Round(10*time.Microsecond), q.counts[i])
		if maria {
			m := sides[1]
			fmt.Printf(" %12s %8d %8.1fx", m.med[i].Round(10*time.Microsecond), m.counts[i], float64(m.med[i])/float64(q.med[i]))
		}
		fmt.Println()
	}
	fmt.Println()
	for _, s := range sides {
		fmt.Printf("%-8s selective search (%d rows), %d runs: p50 %s, p99 %s", s.name, s.selRows, selectiveRuns,
			s.p50.Round(10*time.Microsecond), s.p99.Round(10*time.Microsecond))
		if s.name == "Quarry" {
			fmt.Printf(" (%d GC cycles in this process during the runs)", s.gcs)
		}
		fmt.Printf("; point lookup by primary key: p50 %s, p99 %s\n", s.floor50.Round(10*time.Microsecond), s.floor99.Round(10*time.Microsecond))
	}
	fmt.Println()
	for _, s := range sides {
		if s.load == 0 { // a reused data directory (-dir)
			fmt.Printf("%-8s reused %s, full-text index size %.1f MiB\n", s.name, keepDir, float64(s.indexSize)/(1<<20))
			continue
		}
		fmt.Printf("%-8s load %s (%.0f rows/s), CREATE FULLTEXT INDEX %s (%.0f rows/s), full-text index size %.1f MiB\n",
			s.name, s.load.Round(time.Millisecond), float64(n)/s.load.Seconds(), s.build.Round(time.Millisecond),
			float64(n)/s.build.Seconds(), float64(s.indexSize)/(1<<20))
	}
	return nil
}

// printExplain prints stmt and its EXPLAIN.
func printExplain(ctx context.Context, db *sql.DB, stmt string) error {
	rows, err := db.QueryContext(ctx, "EXPLAIN FORMAT=TREE "+stmt)
	if err != nil {
		return fmt.Errorf("EXPLAIN %s: %w", stmt, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	fmt.Println(stmt)
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		var parts []string
		for _, v := range vals {
			if v.Valid {
				parts = append(parts, v.String)
			}
		}
		fmt.Println("    " + strings.Join(parts, " | "))
	}
	fmt.Println()
	return rows.Err()
}

// startProfile starts a CPU profile into cpuProfile+suffix when one is
// asked for and s is Quarry (which runs in this process); stop ends it.
func startProfile(s *side, suffix string) (stop func(), err error) {
	if s.name != "Quarry" {
		return func() {}, nil
	}
	stopMem := func() {}
	if memProfile != "" && suffix == "" {
		if err := writeAllocs(memProfile + ".base"); err != nil {
			return nil, err
		}
		stopMem = func() {
			if err := writeAllocs(memProfile); err != nil {
				fmt.Fprintf(os.Stderr, "memprofile: %v\n", err)
			}
		}
	}
	if cpuProfile == "" {
		return stopMem, nil
	}
	f, err := os.Create(cpuProfile + suffix)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close(); stopMem() }, nil
}

// writeAllocs writes the allocations profile (cumulative since the
// process started) to path.
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// prepare creates and loads the orders table, then times the FULLTEXT
// index build.
func prepare(ctx context.Context, s *side, n int64, opts string, extra ...extraIndex) error {
	root, err := sql.Open("mysql", s.dsn(""))
	if err != nil {
		return err
	}
	_, err = root.ExecContext(ctx, "CREATE DATABASE bench")
	root.Close()
	if err != nil {
		return err
	}
	if s.db, err = sql.Open("mysql", s.dsn("bench")); err != nil {
		return err
	}
	s.db.SetMaxOpenConns(4)
	if _, err := s.db.ExecContext(ctx, orders.CreateTableWith("KEY idx_status (status)", "KEY idx_region (region)")); err != nil {
		return err
	}
	start := time.Now()
	if err := orders.New(n).Load(ctx, s.db, 1000, 2, nil); err != nil {
		return err
	}
	s.load = time.Since(start)
	fmt.Fprintf(os.Stderr, "%s: loaded %d rows in %s\n", s.name, n, s.load.Round(time.Millisecond))
	start = time.Now()
	if _, err := s.db.ExecContext(ctx, "CREATE FULLTEXT INDEX ft_title ON orders(title) "+opts); err != nil {
		return err
	}
	s.build = time.Since(start)
	fmt.Fprintf(os.Stderr, "%s: FULLTEXT index built in %s\n", s.name, s.build.Round(time.Millisecond))
	stop, err := startProfile(s, ".extra")
	if err != nil {
		return err
	}
	defer stop()
	for _, x := range extra {
		start := time.Now()
		if _, err := s.db.ExecContext(ctx, x.stmt); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s: %s: %s\n", s.name, x.stmt, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// percentiles runs stmt runs times (after one warm-up) and returns the
// median and 99th percentile latency and the row count.
func percentiles(ctx context.Context, db *sql.DB, stmt string, runs int) (p50, p99 time.Duration, rows int, err error) {
	var ds []time.Duration
	for r := 0; r <= runs; r++ {
		start := time.Now()
		rs, err := db.QueryContext(ctx, stmt)
		if err != nil {
			return 0, 0, 0, err
		}
		c := 0
		for rs.Next() {
			c++
		}
		err = rs.Err()
		rs.Close()
		if err != nil {
			return 0, 0, 0, err
		}
		if r > 0 {
			ds = append(ds, time.Since(start))
		}
		rows = c
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[(len(ds)*99+99)/100-1], rows, nil
}

func measure(ctx context.Context, db *sql.DB, stmt string, runs int) (time.Duration, time.Duration, int, time.Duration, error) {
	var ds, firsts []time.Duration
	cnt := 0
	var cpu time.Duration
	for r := 0; r <= runs; r++ { // the first run warms up and is not counted
		start := time.Now()
		cpu0 := procstat.CPU()
		rows, err := db.QueryContext(ctx, stmt)
		if err != nil {
			return 0, 0, 0, 0, err
		}
		c := 0
		var first time.Duration
		for rows.Next() {
			if c == 0 {
				first = time.Since(start)
			}
			c++
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return 0, 0, 0, 0, err
		}
		rows.Close()
		if r > 0 {
			ds = append(ds, time.Since(start))
			firsts = append(firsts, first)
			cpu += procstat.CPU() - cpu0
		} else if time.Since(start) > 3*time.Second {
			runs = min(runs, 3) // slow scans: three timed runs
		}
		cnt = c
	}
	slices.Sort(ds)
	slices.Sort(firsts)
	return ds[len(ds)/2], firsts[len(firsts)/2], cnt, cpu / time.Duration(len(ds)), nil
}

func dirSize(dir, prefix string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if prefix != "" && !strings.HasPrefix(strings.ToLower(d.Name()), prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	return total, err
}
