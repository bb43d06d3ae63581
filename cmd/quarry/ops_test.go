package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// runningServer is `quarry serve` running in this process.
type runningServer struct {
	addr, metricsAddr string
	signals           chan os.Signal
	done              chan int
	lines             <-chan map[string]any
}

// startServe runs serve with opts (JSON logs, random ports) until stop.
func startServe(t *testing.T, opts serveOptions) *runningServer {
	t.Helper()
	opts.Listen, opts.LogFormat = "127.0.0.1:0", "json"
	if opts.MetricsListen != "" {
		opts.MetricsListen, opts.MetricsListenIsDefault = "127.0.0.1:0", false
	}
	pr, pw := io.Pipe()
	rs := &runningServer{signals: make(chan os.Signal, 2), done: make(chan int, 1), lines: logLines(t, pr)}
	go func() {
		code := serve(opts, pw, rs.signals)
		pw.Close()
		rs.done <- code
	}()
	if opts.MetricsListen != "" {
		m, _ := waitForLog(t, rs.lines, "metrics listening", 30*time.Second)
		rs.metricsAddr, _ = m["addr"].(string)
	}
	l, _ := waitForLog(t, rs.lines, "quarry listening", 30*time.Second)
	rs.addr, _ = l["addr"].(string)
	t.Cleanup(func() { rs.stop(t) })
	return rs
}

// stop sends SIGTERM and waits for a clean exit; idempotent.
func (rs *runningServer) stop(t *testing.T) {
	t.Helper()
	if rs.signals == nil {
		return
	}
	rs.signals <- syscall.SIGTERM
	rs.signals = nil
	select {
	case code := <-rs.done:
		if code != 0 {
			t.Errorf("serve exit code %d", code)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not stop")
	}
	for range rs.lines {
	}
}

func openDB(t *testing.T, addr string) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "tcp", addr
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 5*time.Second, 30*time.Second, 30*time.Second
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExecDB(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// tableChecksums hashes every table of the user databases: the sorted,
// encoded rows of SELECT * (CHECKSUM TABLE is not supported by GMS).
func tableChecksums(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN ('information_schema','mysql','performance_schema','sys')")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var s, n string
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, "`"+s+"`.`"+n+"`")
	}
	rows.Close()
	out := make(map[string]string)
	for _, tbl := range tables {
		rows, err := db.Query("SELECT * FROM " + tbl)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, v := range vals {
				if v == nil {
					b.WriteString("\\N")
				} else {
					b.WriteString(hex.EncodeToString(v))
				}
				b.WriteByte(',')
			}
			lines = append(lines, b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		sort.Strings(lines)
		h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
		out[tbl] = fmt.Sprintf("%d rows %x", len(lines), h[:8])
	}
	return out
}

const accounts, startBalance = 20, 1000

// checkBank verifies the invariants the transfer workload keeps in every
// committed state: money is conserved and each balance matches the ledger.
func checkBank(t *testing.T, db *sql.DB) int {
	t.Helper()
	var total, n int64
	if err := db.QueryRow("SELECT SUM(balance), COUNT(*) FROM bank.accounts").Scan(&total, &n); err != nil {
		t.Fatal(err)
	}
	if n != accounts || total != accounts*startBalance {
		t.Errorf("accounts %d, total balance %d; want %d, %d", n, total, accounts, accounts*startBalance)
	}
	rows, err := db.Query(`SELECT a.id, a.balance,
		COALESCE((SELECT SUM(amount) FROM bank.transfers WHERE dst = a.id), 0) -
		COALESCE((SELECT SUM(amount) FROM bank.transfers WHERE src = a.id), 0)
		FROM bank.accounts a`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, bal, delta int64
		if err := rows.Scan(&id, &bal, &delta); err != nil {
			t.Fatal(err)
		}
		if bal != startBalance+delta {
			t.Errorf("account %d: balance %d, ledger says %d", id, bal, startBalance+delta)
		}
	}
	var transfers int
	if err := db.QueryRow("SELECT COUNT(*) FROM bank.transfers").Scan(&transfers); err != nil {
		t.Fatal(err)
	}
	return transfers
}

// transferLoad runs transfers on workers connections until stop is closed.
func transferLoad(t *testing.T, db *sql.DB, workers int, stop <-chan struct{}) (wait func() int64) {
	var wg sync.WaitGroup
	var committed atomic.Int64
	var firstErr atomic.Value
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				src, dst := r.IntN(accounts)+1, r.IntN(accounts)+1
				if src == dst {
					continue
				}
				amount := r.IntN(50) + 1
				err := transfer(db, src, dst, amount)
				var me *mysql.MySQLError
				switch {
				case err == nil:
					committed.Add(1)
				case errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205):
				default:
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}(uint64(w))
	}
	return func() int64 {
		wg.Wait()
		if err, ok := firstErr.Load().(error); ok {
			t.Fatalf("transfer: %v", err)
		}
		return committed.Load()
	}
}

func transfer(db *sql.DB, src, dst, amount int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec("UPDATE bank.accounts SET balance = balance - ? WHERE id = ?", amount, src); err != nil {
		return err
	}
	if _, err := tx.Exec("UPDATE bank.accounts SET balance = balance + ? WHERE id = ?", amount, dst); err != nil {
		return err
	}
	if _, err := tx.Exec("INSERT INTO bank.transfers (src, dst, amount, note) VALUES (?, ?, ?, ?)", src, dst, amount, strings.Repeat("n", amount)); err != nil {
		return err
	}
	return tx.Commit()
}

func TestBackupUnderLoadAndRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs several servers")
	}
	base := t.TempDir()
	o := defaultServeOptions()
	o.DataDir = filepath.Join(base, "live")
	rs := startServe(t, o)
	db := openDB(t, rs.addr)
	mustExecDB(t, db, "CREATE DATABASE bank")
	mustExecDB(t, db, "CREATE TABLE bank.accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL)")
	mustExecDB(t, db, "CREATE TABLE bank.transfers (id BIGINT AUTO_INCREMENT PRIMARY KEY, src INT, dst INT, amount INT, note VARCHAR(64), KEY by_src (src), KEY by_dst (dst))")
	for i := 1; i <= accounts; i++ {
		mustExecDB(t, db, "INSERT INTO bank.accounts VALUES (?, ?)", i, startBalance)
	}
	mustExecDB(t, db, "CREATE DATABASE misc")
	mustExecDB(t, db, "CREATE TABLE misc.notes (k VARCHAR(20) PRIMARY KEY, v TEXT, d DECIMAL(10,2), ts DATETIME)")
	mustExecDB(t, db, "INSERT INTO misc.notes VALUES ('a', 'alpha', 1.50, '2024-01-02 03:04:05'), ('b', NULL, NULL, NULL)")

	// Back up while transfers commit.
	stop := make(chan struct{})
	wait := transferLoad(t, db, 4, stop)
	time.Sleep(300 * time.Millisecond)
	underLoad := filepath.Join(base, "backup-under-load")
	var out, errOut bytes.Buffer
	if code := run([]string{"backup", "--to", underLoad, "--admin-addr", rs.metricsAddr}, &out, &errOut, envFunc(nil)); code != 0 {
		t.Fatalf("backup under load: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "backup written to "+underLoad) {
		t.Errorf("backup output: %q", out.String())
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	if n := wait(); n < 10 {
		t.Fatalf("only %d transfers committed", n)
	}
	liveTransfers := checkBank(t, db)

	// A second backup of the quiet server must equal it table by table.
	quiet := filepath.Join(base, "backup-quiet")
	if code := run([]string{"backup", "--to", quiet, "--admin-addr", rs.metricsAddr}, &out, &errOut, envFunc(nil)); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, errOut.String())
	}
	// The target must be new.
	errOut.Reset()
	if code := run([]string{"backup", "--to", quiet, "--admin-addr", rs.metricsAddr}, &out, &errOut, envFunc(nil)); code == 0 {
		t.Error("backup into a non-empty directory succeeded")
	}
	live := tableChecksums(t, db)
	rs.stop(t)

	// Restore the quiet backup into a new directory and compare.
	restored := filepath.Join(base, "restored")
	errOut.Reset()
	if code := run([]string{"restore", "--from", quiet, "--data-dir", restored}, &out, &errOut, envFunc(nil)); code != 0 {
		t.Fatalf("restore: exit %d: %s", code, errOut.String())
	}
	o.DataDir = restored
	rs2 := startServe(t, o)
	db2 := openDB(t, rs2.addr)
	got := tableChecksums(t, db2)
	if len(got) != 3 {
		t.Errorf("restored tables: %v", got)
	}
	for tbl, sum := range live {
		if got[tbl] != sum {
			t.Errorf("%s: restored %s, live %s", tbl, got[tbl], sum)
		}
	}
	// The restored server takes writes (auto-increment resumes).
	mustExecDB(t, db2, "INSERT INTO bank.transfers (src, dst, amount) VALUES (1, 2, 0)")
	rs2.stop(t)

	// The backup taken under load is a consistent state: a server started
	// directly on it finds the invariants intact.
	o.DataDir = underLoad
	rs3 := startServe(t, o)
	db3 := openDB(t, rs3.addr)
	if n := checkBank(t, db3); n == 0 || n > liveTransfers {
		t.Errorf("backup under load has %d transfers (live ended with %d)", n, liveTransfers)
	}
	rs3.stop(t)

	// Offline backup of a stopped data directory.
	offline := filepath.Join(base, "offline")
	errOut.Reset()
	if code := run([]string{"backup", "--data-dir", restored, "--to", offline}, &out, &errOut, envFunc(nil)); code != 0 {
		t.Fatalf("offline backup: exit %d: %s", code, errOut.String())
	}
	if code := run([]string{"restore", "--from", offline, "--data-dir", filepath.Join(base, "restored2")}, &out, &errOut, envFunc(nil)); code != 0 {
		t.Fatalf("restore of the offline backup: exit %d: %s", code, errOut.String())
	}
	if code := run([]string{"restore", "--from", offline, "--data-dir", restored}, &out, &errOut, envFunc(nil)); code == 0 {
		t.Error("restore into a non-empty directory succeeded")
	}
}

// metricNameRE finds metric names in PromQL.
var metricNameRE = regexp.MustCompile(`\b((?:quarry|mysql|go|process)_[a-zA-Z0-9_]+)\b`)

func TestMetricsEndpointAndDashboard(t *testing.T) {
	o := defaultServeOptions()
	o.DataDir = t.TempDir()
	rs := startServe(t, o)
	db := openDB(t, rs.addr)
	mustExecDB(t, db, "CREATE DATABASE d")
	mustExecDB(t, db, "CREATE TABLE d.t (id INT PRIMARY KEY, v INT)")
	mustExecDB(t, db, "INSERT INTO d.t VALUES (1, 1), (2, 2)")
	mustExecDB(t, db, "SELECT * FROM d.t WHERE id = 1")

	resp, err := http.Get("http://" + rs.metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("/metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	exported := map[string]bool{} // series names, as PromQL sees them
	for name, f := range families {
		exported[name] = true
		if f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				exported[name+s] = true
			}
		}
	}
	for _, want := range []string{"quarry_server_connections", "go_goroutines", "process_resident_memory_bytes", "quarry_backup_total"} {
		if !exported[want] {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if resp, err := http.Get("http://" + rs.metricsAddr + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %v", err)
	} else {
		resp.Body.Close()
	}
	// Backups need the admin header.
	resp, err = http.Post("http://"+rs.metricsAddr+"/admin/backup?to="+filepath.Join(t.TempDir(), "b"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("backup without the admin header: %s", resp.Status)
	}

	// Every series the Grafana dashboard queries is exported.
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "quarry.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash any
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	var exprs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && (k == "expr" || k == "definition") {
					exprs = append(exprs, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(dash)
	if len(exprs) < 20 {
		t.Fatalf("only %d PromQL expressions in the dashboard", len(exprs))
	}
	for _, e := range exprs {
		names := metricNameRE.FindAllString(e, -1)
		if len(names) == 0 {
			t.Errorf("no metric in %q", e)
		}
		for _, n := range names {
			if !exported[n] {
				t.Errorf("dashboard queries %s, which /metrics does not export (in %q)", n, e)
			}
		}
	}
}

// TestStopOnStorageFailure: serve's OnFatal logs the failure as an error
// and exits with exitStorageFailure.
func TestStopOnStorageFailure(t *testing.T) {
	var logs bytes.Buffer
	code := -1
	stop := stopOnStorageFailure(newLogger(&logs, slog.LevelInfo, "json"), func(c int) { code = c })
	stop(errors.New("fdatasync: input/output error"))
	if code != exitStorageFailure || code == 0 || code == 1 || code == 2 {
		t.Errorf("exit code %d, want exitStorageFailure (3), distinct from 0, 1 and 2", code)
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line["level"] != "ERROR" || line["err"] != "fdatasync: input/output error" || line["exit_code"] != float64(3) {
		t.Errorf("log line %v", line)
	}
}
