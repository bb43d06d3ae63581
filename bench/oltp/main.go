// Command oltp runs the standard sysbench OLTP tests against MariaDB (at its
// default durability, innodb_flush_log_at_trx_commit=1) and an in-process
// Quarry server on loopback, interleaved in rounds, and prints QPS, p95
// latency and the Quarry/MariaDB ratio per test (medians over rounds), and
// each server's CPU time per query (Quarry: this process; MariaDB: mariadbd
// from /proc), which on a shared, loaded machine compares the servers'
// work better than QPS does. Quarry's lines also give the p95/p99 time its
// goroutines waited runnable for a processor during the run (Go's
// /sched/latencies:seconds), the scheduling share of its latency tail.
//
//	bench/oltp/run.sh                      # installs sysbench/mariadb-server if missing
//	go run ./bench/oltp -table-size 1000000 -time 30
//
// Quarry runs in this process so -cpuprofile profiles only Quarry's side.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // database/sql driver

	"github.com/quarrydb/quarry/bench/procstat"
	"github.com/quarrydb/quarry/internal/gctune"
	"github.com/quarrydb/quarry/internal/mariadbtest"
	"github.com/quarrydb/quarry/internal/schedtune"
	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
	"github.com/quarrydb/quarry/storage/kv/pebblekv"
)

var defaultTests = "oltp_point_select,oltp_read_only,oltp_read_write,oltp_write_only,oltp_insert,select_random_ranges"

type options struct {
	tableSize  int
	threads    int
	seconds    int
	rounds     int
	tests      []string
	servers    []string
	cpuprofile string
	trace      string
	psMode     string
	extra      []string // more sysbench options
	verbose    bool     // print sysbench's output
	kvstats    bool     // print Quarry's Pebble activity per run
	walSyscall bool     // WAL syncs as system calls, not on an io_uring
}

func main() {
	if err := schedtune.Reexec(); err != nil { // as quarry serve does
		slog.Warn("sysmon keeps its default idle behaviour", "err", err)
	}
	var o options
	var tests, servers string
	flag.IntVar(&o.tableSize, "table-size", 10000, "rows in sbtest1 (1000000 for the large run)")
	flag.IntVar(&o.threads, "threads", 4, "sysbench client threads")
	flag.IntVar(&o.seconds, "time", 10, "seconds per test per server per round")
	flag.IntVar(&o.rounds, "rounds", 1, "rounds; each round runs every test on both servers, alternating which goes first")
	flag.StringVar(&tests, "tests", defaultTests, "comma-separated sysbench tests")
	flag.StringVar(&servers, "servers", "mariadb,quarry", "servers to run: mariadb, quarry or both")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of Quarry's side (all Quarry runs) to this file")
	flag.StringVar(&o.trace, "trace", "", "write a Go execution trace of Quarry's side (all Quarry runs) to this file; `go tool trace -pprof=sched` shows where goroutines waited for a processor")
	flag.StringVar(&o.psMode, "db-ps-mode", "auto", "sysbench --db-ps-mode (auto = server-side prepared statements, disable = text queries)")
	var extra string
	flag.StringVar(&extra, "sysbench-args", "", "space-separated extra sysbench options, e.g. --histogram")
	flag.BoolVar(&o.verbose, "v", false, "print each sysbench run's output to stderr")
	flag.BoolVar(&o.kvstats, "kvstats", false, "print Quarry's Pebble activity (flushes, compactions, WAL syncs) per run to stderr")
	flag.BoolVar(&o.walSyscall, "wal-sync-syscalls", false, "make Quarry's WAL syncs blocking system calls instead of io_uring requests (for comparison)")
	flag.Parse()
	o.extra = strings.Fields(extra)
	o.tests = strings.Split(tests, ",")
	o.servers = strings.Split(servers, ",")
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "oltp:", err)
		os.Exit(1)
	}
}

// target is one server under test.
type target struct {
	name string
	host string
	port int
	stop func()
	cpu  func() time.Duration // the server's CPU time so far
	// kv, for Quarry, reads the store's Pebble metrics.
	kv func() (pebblekv.Metrics, bool)
	// sched reads the Go scheduler latency histogram (Quarry only).
	sched func() *metrics.Float64Histogram
}

// result is one sysbench run.
type result struct {
	qps float64
	p95 float64 // milliseconds
	cpu float64 // server CPU microseconds per query
	// Quarry: p95 and p99 of the time goroutines waited runnable for a
	// processor during the run (runtime/metrics /sched/latencies:seconds), ms.
	sched95, sched99 float64
}

func run(o options) error {
	if _, err := exec.LookPath("sysbench"); err != nil {
		return errors.New("sysbench is not installed (bench/oltp/run.sh installs it)")
	}
	var targets []*target
	defer func() {
		for _, t := range targets {
			t.stop()
		}
	}()
	for _, name := range o.servers {
		var t *target
		var err error
		switch name {
		case "mariadb":
			t, err = startMariaDB(o)
		case "quarry":
			t, err = startQuarry(o.walSyscall)
		default:
			err = fmt.Errorf("unknown server %q", name)
		}
		if err != nil {
			return err
		}
		targets = append(targets, t)
		fmt.Fprintf(os.Stderr, "preparing %s: sbtest1 with %d rows\n", t.name, o.tableSize)
		if err := prepare(o, t); err != nil {
			return fmt.Errorf("%s: prepare: %w", t.name, err)
		}
	}
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if o.trace != "" {
		f, err := os.Create(o.trace)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	res := map[string]map[string][]result{} // test -> server -> rounds
	for r := 0; r < o.rounds; r++ {
		for ti, test := range o.tests {
			order := slices.Clone(targets)
			if (r+ti)%2 == 1 {
				slices.Reverse(order)
			}
			for _, t := range order {
				rr, err := runTest(o, t, test)
				if err != nil {
					return fmt.Errorf("%s: %s: %w", t.name, test, err)
				}
				sched := ""
				if t.sched != nil {
					sched = fmt.Sprintf("  runnable wait p95 %.3f p99 %.3f ms", rr.sched95, rr.sched99)
				}
				fmt.Fprintf(os.Stderr, "round %d %-22s %-8s %10.0f qps  p95 %7.2f ms  server CPU %6.1f µs/query%s\n", r+1, test, t.name, rr.qps, rr.p95, rr.cpu, sched)
				if res[test] == nil {
					res[test] = map[string][]result{}
				}
				res[test][t.name] = append(res[test][t.name], rr)
			}
		}
	}
	fmt.Printf("sysbench %s: table-size %d, %d threads, %d s per test, %d round(s), db-ps-mode=%s (medians); Quarry GOMAXPROCS %d\n\n",
		sysbenchVersion(), o.tableSize, o.threads, o.seconds, o.rounds, o.psMode, runtime.GOMAXPROCS(0))
	fmt.Printf("| test | MariaDB QPS | MariaDB p95 ms | Quarry QPS | Quarry p95 ms | QPS ratio Q/M | p95 ratio Q/M | MariaDB CPU µs/q | Quarry CPU µs/q | CPU ratio Q/M |\n")
	fmt.Printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, test := range o.tests {
		m, mok := median(res[test]["mariadb"])
		q, qok := median(res[test]["quarry"])
		cell := func(ok bool, f string, v float64) string {
			if !ok {
				return "-"
			}
			return fmt.Sprintf(f, v)
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", test,
			cell(mok, "%.0f", m.qps), cell(mok, "%.2f", m.p95),
			cell(qok, "%.0f", q.qps), cell(qok, "%.2f", q.p95),
			cell(mok && qok, "%.2f", q.qps/m.qps), cell(mok && qok && m.p95 > 0, "%.2f", q.p95/m.p95),
			cell(mok && m.cpu > 0, "%.1f", m.cpu), cell(qok && q.cpu > 0, "%.1f", q.cpu),
			cell(mok && qok && m.cpu > 0 && q.cpu > 0, "%.2f", q.cpu/m.cpu))
	}
	return nil
}

func median(rs []result) (result, bool) {
	if len(rs) == 0 {
		return result{}, false
	}
	q := make([]float64, len(rs))
	p := make([]float64, len(rs))
	c := make([]float64, len(rs))
	for i, r := range rs {
		q[i], p[i], c[i] = r.qps, r.p95, r.cpu
	}
	slices.Sort(q)
	slices.Sort(p)
	slices.Sort(c)
	return result{qps: q[len(q)/2], p95: p[len(p)/2], cpu: c[len(c)/2]}, true
}

func startMariaDB(o options) (*target, error) {
	bp := "512M"
	if o.tableSize > 200000 {
		bp = "1G"
	}
	s, err := mariadbtest.Start(mariadbtest.Options{BufferPool: bp}, func(f string, a ...any) {
		fmt.Fprintf(os.Stderr, f+"\n", a...)
	})
	if err != nil {
		return nil, err
	}
	if err := s.Exec(context.Background(), "CREATE DATABASE sbtest"); err != nil {
		_ = s.Stop()
		return nil, err
	}
	pid := s.Pid()
	return &target{name: "mariadb", host: "127.0.0.1", port: s.Port, stop: func() { _ = s.Stop() },
		cpu: func() time.Duration { return procstat.ProcessCPU(pid) }}, nil
}

func startQuarry(walSyncSyscalls bool) (*target, error) {
	dir, err := os.MkdirTemp("", "quarry-oltp-")
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	sqlserver.RouteLibraryLogs(log)
	gctune.Apply() // as quarry serve does
	store, err := storage.Open(storage.Options{Dir: dir, Logger: log, WALSyncSyscalls: walSyncSyscalls})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	eng, err := sqlserver.NewEngine(store, sqlserver.EngineOptions{Logger: log})
	if err != nil {
		store.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	srv, err := sqlserver.New(store, eng, sqlserver.Config{Listen: "127.0.0.1:0"}, log)
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		store.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = sqlserver.CloseEngine(eng)
		_ = store.Close()
		os.RemoveAll(dir)
	}
	// Quarry runs in this process; sysbench is a child, not counted.
	t := &target{name: "quarry", host: "127.0.0.1", port: srv.Addr().(*net.TCPAddr).Port, stop: stop, cpu: procstat.CPU,
		kv: store.KVMetrics, sched: schedLatencies}
	fmt.Fprintf(os.Stderr, "quarry on %s (dir %s)\n", srv.Addr(), dir)
	if err := mysqlExec(t, "CREATE DATABASE sbtest"); err != nil {
		stop()
		return nil, err
	}
	return t, nil
}

func sysbenchArgs(o options, t *target, test string) []string {
	return []string{
		test,
		"--db-driver=mysql",
		"--mysql-host=" + t.host,
		"--mysql-port=" + strconv.Itoa(t.port),
		"--mysql-user=root",
		"--mysql-password=",
		"--mysql-db=sbtest",
		"--tables=1",
		"--table-size=" + strconv.Itoa(o.tableSize),
		"--threads=" + strconv.Itoa(o.threads),
		"--time=" + strconv.Itoa(o.seconds),
		"--db-ps-mode=" + o.psMode,
		"--percentile=95",
		"--report-interval=0",
		"--rand-seed=1",
	}
}

func prepare(o options, t *target) error {
	args := sysbenchArgs(o, t, "oltp_common")
	args = append(args, "--threads=1", "prepare")
	out, err := exec.Command("sysbench", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

var (
	qpsRe = regexp.MustCompile(`queries:\s+(\d+)\s+\(([0-9.]+) per sec\.\)`)
	p95Re = regexp.MustCompile(`95th percentile:\s+([0-9.]+)`)
)

func runTest(o options, t *target, test string) (result, error) {
	args := append(sysbenchArgs(o, t, test), o.extra...)
	args = append(args, "run")
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(o.seconds+120)*time.Second)
	defer cancel()
	cpu0 := t.cpu()
	var kv0 pebblekv.Metrics
	if o.kvstats && t.kv != nil {
		kv0, _ = t.kv()
	}
	var sched0 *metrics.Float64Histogram
	if t.sched != nil {
		sched0 = t.sched()
	}
	out, err := exec.CommandContext(ctx, "sysbench", args...).CombinedOutput()
	cpu := t.cpu() - cpu0
	if o.kvstats && t.kv != nil {
		if kv1, ok := t.kv(); ok {
			printKVDelta(t.name, test, kv0, kv1)
		}
	}
	if err != nil {
		return result{}, fmt.Errorf("%v\n%s", err, out)
	}
	if o.verbose {
		fmt.Fprintf(os.Stderr, "%s %s:\n%s\n", t.name, test, out)
	}
	qm := qpsRe.FindSubmatch(out)
	pm := p95Re.FindSubmatch(out)
	if qm == nil || pm == nil {
		return result{}, fmt.Errorf("cannot parse sysbench output:\n%s", out)
	}
	if bytes.Contains(out, []byte("FATAL")) {
		return result{}, fmt.Errorf("sysbench reported an error:\n%s", out)
	}
	queries, _ := strconv.ParseFloat(string(qm[1]), 64)
	qps, _ := strconv.ParseFloat(string(qm[2]), 64)
	p95, _ := strconv.ParseFloat(string(pm[1]), 64)
	r := result{qps: qps, p95: p95}
	if sched0 != nil {
		d := histDiff(t.sched(), sched0)
		r.sched95, r.sched99 = histQuantile(d, 0.95)*1e3, histQuantile(d, 0.99)*1e3
	}
	if queries > 0 && cpu > 0 {
		r.cpu = float64(cpu.Microseconds()) / queries
	}
	return r, nil
}

// printKVDelta prints what Pebble did during one run: memtable flushes,
// compactions and their bytes, WAL syncs and their mean latency, WALs made
// from a spare, and the LSM shape at the end.
func printKVDelta(server, test string, a, b pebblekv.Metrics) {
	var levels []string
	for i, l := range b.Levels {
		if l.Files > 0 {
			levels = append(levels, fmt.Sprintf("L%d %d/%.0fMiB", i, l.Files, float64(l.Bytes)/(1<<20)))
		}
	}
	syncs := b.WALFsync.Count - a.WALFsync.Count
	var syncMean float64
	if syncs > 0 {
		syncMean = (b.WALFsync.SumSeconds - a.WALFsync.SumSeconds) / float64(syncs) * 1e6
	}
	fmt.Fprintf(os.Stderr, "  %s %s kv: flushes %d (%.1f MiB), compactions %d (%.1f MiB written), WAL %.1f MiB in %d syncs of %.0f µs mean, %d WALs from a spare; %s\n",
		server, test, b.Flushes-a.Flushes, float64(b.BytesFlushed-a.BytesFlushed)/(1<<20),
		b.Compactions-a.Compactions, float64(b.BytesCompacted-a.BytesCompacted)/(1<<20),
		float64(b.WALBytesWritten-a.WALBytesWritten)/(1<<20), syncs, syncMean,
		b.WALsFromSpare-a.WALsFromSpare, strings.Join(levels, " "))
}

func sysbenchVersion() string {
	out, err := exec.Command("sysbench", "--version").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(strings.TrimPrefix(string(out), "sysbench "))
}

func mysqlExec(t *target, stmt string) error {
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s:%d)/", t.host, t.port))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(stmt)
	return err
}

// schedLatencies reads this process's scheduler latency histogram.
func schedLatencies() *metrics.Float64Histogram {
	sample := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	h := sample[0].Value.Float64Histogram()
	return &metrics.Float64Histogram{Counts: slices.Clone(h.Counts), Buckets: h.Buckets}
}

// histDiff returns the counts of b minus a's (same buckets).
func histDiff(b, a *metrics.Float64Histogram) *metrics.Float64Histogram {
	if a == nil || b == nil || len(a.Counts) != len(b.Counts) {
		return nil
	}
	d := &metrics.Float64Histogram{Counts: make([]uint64, len(b.Counts)), Buckets: b.Buckets}
	for i := range b.Counts {
		d.Counts[i] = b.Counts[i] - a.Counts[i]
	}
	return d
}

// histQuantile returns the upper bound of the bucket holding quantile q.
func histQuantile(h *metrics.Float64Histogram, q float64) float64 {
	if h == nil {
		return 0
	}
	var total uint64
	for _, c := range h.Counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	want := uint64(q * float64(total))
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen > want {
			return h.Buckets[i+1]
		}
	}
	return h.Buckets[len(h.Buckets)-1]
}
