package sqlserver

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// sample is one series of a scrape, as one line of the text exposition
// carries it.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

type scrapeResult []sample

// scrapeMetrics GETs url and parses the text exposition.
func scrapeMetrics(t *testing.T, url string) scrapeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape %s: %s: %s", url, resp.Status, b)
	}
	return parseExposition(t, resp.Body)
}

func parseExposition(t *testing.T, r io.Reader) scrapeResult {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	var out scrapeResult
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			out = append(out, flattenMetric(name, f.GetType(), m, labels)...)
		}
	}
	return out
}

// flattenMetric turns one metric into the samples its exposition lines
// carry: histograms and summaries become their _bucket or quantile, _sum
// and _count series.
func flattenMetric(name string, typ dto.MetricType, m *dto.Metric, labels map[string]string) []sample {
	with := func(k, v string) map[string]string {
		l := maps.Clone(labels)
		l[k] = v
		return l
	}
	switch typ {
	case dto.MetricType_COUNTER:
		return []sample{{name, labels, m.GetCounter().GetValue()}}
	case dto.MetricType_GAUGE:
		return []sample{{name, labels, m.GetGauge().GetValue()}}
	case dto.MetricType_UNTYPED:
		return []sample{{name, labels, m.GetUntyped().GetValue()}}
	case dto.MetricType_HISTOGRAM:
		h := m.GetHistogram()
		var out []sample
		for _, b := range h.GetBucket() { // the +Inf line included
			le := strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)
			out = append(out, sample{name + "_bucket", with("le", le), float64(b.GetCumulativeCount())})
		}
		return append(out, sample{name + "_sum", labels, h.GetSampleSum()},
			sample{name + "_count", labels, float64(h.GetSampleCount())})
	case dto.MetricType_SUMMARY:
		q := m.GetSummary()
		var out []sample
		for _, qv := range q.GetQuantile() {
			ql := strconv.FormatFloat(qv.GetQuantile(), 'g', -1, 64)
			out = append(out, sample{name, with("quantile", ql), qv.GetValue()})
		}
		return append(out, sample{name + "_sum", labels, q.GetSampleSum()},
			sample{name + "_count", labels, float64(q.GetSampleCount())})
	}
	return nil
}

// sum adds the samples of name whose labels include want (k, v pairs).
func (r scrapeResult) sum(name string, want ...string) (float64, bool) {
	total, found := 0.0, false
	for _, s := range r {
		if s.name != name {
			continue
		}
		ok := true
		for i := 0; i+1 < len(want); i += 2 {
			if s.labels[want[i]] != want[i+1] {
				ok = false
				break
			}
		}
		if ok {
			total += s.value
			found = true
		}
	}
	return total, found
}

func (r scrapeResult) names() map[string]bool {
	m := make(map[string]bool)
	for _, s := range r {
		m[s.name] = true
	}
	return m
}

// setGlobal sets a global system variable for the test and restores it.
func setGlobal(t *testing.T, name string, v any) {
	t.Helper()
	_, old, ok := sql.SystemVariables.GetGlobal(name)
	if !ok {
		t.Fatalf("no system variable %s", name)
	}
	if err := sql.SystemVariables.AssignValues(map[string]any{name: v}); err != nil {
		t.Fatalf("set %s: %v", name, err)
	}
	t.Cleanup(func() { _ = sql.SystemVariables.AssignValues(map[string]any{name: old}) })
}

// metricsServer starts a server whose metrics are served over HTTP.
func metricsServer(t *testing.T, cfg Config) (*testServer, string) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	cfg.Metrics = reg
	ts := startServer(t, t.TempDir(), EngineOptions{}, cfg)
	h, err := NewHTTPHandler(HTTPOptions{Gatherer: reg, Registerer: reg, Store: ts.store, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return ts, hs.URL
}

func TestMetricsMoveUnderLoad(t *testing.T) {
	ts, url := metricsServer(t, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	before := scrapeMetrics(t, url+"/metrics")

	// Every family the dashboard and the docs promise exists at once.
	for _, name := range []string{
		"quarry_server_connections", "quarry_server_connections_total", "quarry_server_connections_refused_total",
		"quarry_server_failed_logins_total", "quarry_server_idle_timeouts_total",
		"quarry_query_rows_examined_total", "quarry_query_rows_sent_total",
		"quarry_query_rows_affected_total", "quarry_query_access_path_total", "quarry_query_slow_total",
		"quarry_query_timeouts_total", "quarry_query_memory_limit_exceeded_total",
		"quarry_storage_transactions_total", "quarry_storage_commits_total", "quarry_storage_rollbacks_total",
		"quarry_storage_lock_waits_total", "quarry_storage_lock_wait_timeouts_total", "quarry_storage_deadlocks_total",
		"quarry_pebble_compactions_total", "quarry_pebble_l0_files", "quarry_pebble_l0_sublevels",
		"quarry_pebble_block_cache_hits_total", "quarry_pebble_block_cache_misses_total",
		"quarry_pebble_wal_fsync_duration_seconds_bucket", "quarry_pebble_wals_from_spare_total",
		"quarry_pebble_wal_ring_syncs_total",
		"quarry_pebble_disk_usage_bytes",
		"quarry_pebble_level_files", "quarry_pebble_read_amplification",
		"quarry_backup_total", "quarry_backup_last_success_timestamp_seconds",
		"mysql_up", "mysql_global_status_questions", "mysql_global_status_threads_connected",
		"mysql_global_status_uptime", "mysql_global_status_commands_total", "mysql_global_status_slow_queries",
		"mysql_global_status_connections", "mysql_global_status_aborted_connects",
		"mysql_global_status_innodb_row_lock_waits", "mysql_global_status_innodb_row_ops_total",
		"mysql_global_variables_max_connections",
	} {
		if !before.names()[name] {
			t.Errorf("series %s not exported", name)
		}
	}

	// A short load: DDL, writes, the four access paths, a commit and a
	// rollback.
	db2 := mustConnect(t, "root", "", ts.addr) // a second connection
	mustExec(t, db2, "CREATE DATABASE m")
	mustExec(t, db, "CREATE TABLE m.t (id INT PRIMARY KEY, k INT, v VARCHAR(64), KEY by_k (k))")
	var b strings.Builder
	b.WriteString("INSERT INTO m.t VALUES ")
	for i := 1; i <= 200; i++ {
		if i > 1 {
			b.WriteString(",")
		}
		b.WriteString("(" + strconv.Itoa(i) + "," + strconv.Itoa(i%10) + ",'value " + strconv.Itoa(i) + "')")
	}
	mustExec(t, db, b.String())
	for _, q := range []string{
		"SELECT v FROM m.t WHERE id = 5",
		"SELECT v FROM m.t WHERE id BETWEEN 10 AND 20",
		"SELECT id FROM m.t WHERE k = 7",
		"SELECT id FROM m.t WHERE v LIKE '%5%'",
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
		}
		rows.Close()
	}
	mustExec(t, db, "UPDATE m.t SET v = 'x' WHERE id <= 10")
	mustExec(t, db, "DELETE FROM m.t WHERE id > 190")
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO m.t VALUES (1000, 1, 'tx')"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx, err = db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO m.t VALUES (1001, 1, 'tx')"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("SELECT * FROM m.nope"); err == nil {
		t.Fatal("query of a missing table succeeded")
	}
	if err := ts.store.Flush(); err != nil {
		t.Fatal(err)
	}

	after := scrapeMetrics(t, url+"/metrics")
	if !after.names()["quarry_query_duration_seconds_bucket"] {
		t.Error("quarry_query_duration_seconds_bucket not exported after statements ran")
	}
	moved := func(name string, min float64, labels ...string) {
		t.Helper()
		a, ok := after.sum(name, labels...)
		if !ok {
			t.Errorf("%s%v: missing after load", name, labels)
			return
		}
		bv, _ := before.sum(name, labels...)
		if a-bv < min {
			t.Errorf("%s%v moved by %v, want at least %v", name, labels, a-bv, min)
		}
	}
	moved("quarry_server_connections_total", 1)
	moved("quarry_query_duration_seconds_count", 4, "type", "select", "result", "ok")
	moved("quarry_query_duration_seconds_count", 1, "type", "select", "result", "error")
	moved("quarry_query_duration_seconds_count", 2, "type", "ddl")
	moved("quarry_query_duration_seconds_count", 1, "type", "commit")
	moved("quarry_query_duration_seconds_count", 1, "type", "rollback")
	moved("quarry_query_rows_examined_total", 200)
	moved("quarry_query_rows_sent_total", 20)
	moved("quarry_query_rows_affected_total", 201, "type", "insert")
	moved("quarry_query_rows_affected_total", 10, "type", "update")
	moved("quarry_query_rows_affected_total", 10, "type", "delete")
	for _, p := range []string{"pk_point", "pk_range", "secondary", "full_scan", "none"} {
		moved("quarry_query_access_path_total", 1, "path", p)
	}
	moved("quarry_storage_transactions_total", 5)
	moved("quarry_storage_commits_total", 3)
	moved("quarry_storage_rollbacks_total", 1)
	moved("quarry_pebble_wal_bytes_written_total", 1)
	moved("quarry_pebble_flushes_total", 1)
	moved("quarry_pebble_disk_usage_bytes", 1)
	moved("mysql_global_status_questions", 10)
	moved("mysql_global_status_commands_total", 4, "command", "select")
	moved("mysql_global_status_commands_total", 1, "command", "commit")
	moved("mysql_global_status_innodb_row_ops_total", 200, "operation", "read")
	moved("mysql_global_status_innodb_row_ops_total", 201, "operation", "inserted")
	moved("mysql_global_status_handlers_total", 3, "handler", "commit")
	if v, _ := after.sum("quarry_server_connections"); v < 1 {
		t.Errorf("quarry_server_connections = %v with a client connected", v)
	}
	if v, _ := after.sum("mysql_global_status_uptime"); v < 0 {
		t.Errorf("uptime = %v", v)
	}

	// Names follow Prometheus conventions (promlint).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	problems, err := promlint.New(resp.Body).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		// mysqld_exporter's own names (no _total on counters, untyped
		// status values) are kept on purpose, for dashboard compatibility.
		if strings.HasPrefix(p.Metric, "mysql_") {
			continue
		}
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// setGlobalNow sets a global system variable (for cleanups).
func setGlobalNow(name string, v any) {
	_ = sql.SystemVariables.AssignValues(map[string]any{name: v})
}

// testutilCounter reads a counter's value.
func testutilCounter(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
