package sqlserver

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quarrydb/quarry/storage"
)

// Metric names follow quarry_<subsystem>_<name>_<unit>; the GMS status
// variables are exported under mysqld_exporter's names
// (mysql_global_status_*, mysql_global_variables_*), so dashboards written
// for MySQL work unchanged.
const namespace = "quarry"

// queryDurationBuckets span point lookups (100µs) to long reports (100s).
var queryDurationBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 25, 50, 100}

// serverMetrics are the server's own Prometheus metrics. They always
// exist (SHOW STATUS reads some of the same counters); they are exported
// only when Config.Metrics is set.
type serverMetrics struct {
	connectionsOpen     prometheus.Gauge
	connectionsAccepted prometheus.Counter
	connectionsRefused  *prometheus.CounterVec
	failedLogins        *prometheus.CounterVec
	idleTimeouts        prometheus.Counter

	queryDuration    *prometheus.HistogramVec
	rowsExamined     prometheus.Counter
	rowsSent         prometheus.Counter
	rowsAffected     *prometheus.CounterVec
	accessPaths      *prometheus.CounterVec
	slowQueries      prometheus.Counter
	queryTimeouts    prometheus.Counter
	memLimitExceeded prometheus.Counter

	// Literal INSERTs recognised by the bulk path (fastinsert.go): run by
	// it, or handed back to GMS.
	bulkInsertsRun, bulkInsertsFellBack atomic.Uint64
	// Prepared point SELECTs run by the learned path (pointselect.go), and
	// prepared statements run from a learned plan (prepplan.go).
	pointSelects, learnedPlans atomic.Uint64
	// Prepared point UPDATEs and DELETEs run from a learned plan (prepdml.go).
	learnedDML atomic.Uint64
	// Prepared plain BEGINs and COMMITs run without binding or analysis
	// (txnstmt.go).
	learnedTxn atomic.Uint64

	// Series of the vectors above resolved once (WithLabelValues hashes
	// its labels on every call, twice per statement): durations fills in
	// as statement types first finish, like the vector's own series.
	durations [numStmtTypes][2]atomic.Pointer[prometheus.Observer] // [type][ok, error]
	affected  [numStmtTypes]prometheus.Counter                     // the types rowsAffected has
	paths     [numAccessPaths]prometheus.Counter
}

// observeDuration records a statement's latency in queryDuration.
func (m *serverMetrics) observeDuration(typ stmtType, failed bool, seconds float64) {
	result := 0
	if failed {
		result = 1
	}
	slot := &m.durations[typ][result]
	o := slot.Load()
	if o == nil {
		obs := m.queryDuration.WithLabelValues(typ.String(), [2]string{"ok", "error"}[result])
		o = &obs
		slot.Store(o)
	}
	(*o).Observe(seconds)
}

func newServerMetrics() *serverMetrics {
	m := &serverMetrics{
		connectionsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "server", Name: "connections",
			Help: "Client connections currently open (including ones still authenticating).",
		}),
		connectionsAccepted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "server", Name: "connections_total",
			Help: "Client connections accepted.",
		}),
		connectionsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "server", Name: "connections_refused_total",
			Help: "Client connections refused before authentication, by reason (max_connections: error 1040).",
		}, []string{"reason"}),
		failedLogins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "server", Name: "failed_logins_total",
			Help: "Failed authentication attempts, by reason (access_denied, insecure_transport, other).",
		}, []string{"reason"}),
		idleTimeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "server", Name: "idle_timeouts_total",
			Help: "Connections closed because they were idle longer than wait_timeout (interactive_timeout).",
		}),
		queryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "query", Name: "duration_seconds",
			Help:    "Statement latency, by statement type and result (ok or error), from receipt to the last row written.",
			Buckets: queryDurationBuckets,
		}, []string{"type", "result"}),
		rowsExamined: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "query", Name: "rows_examined_total",
			Help: "Rows read from tables and indexes by statements.",
		}),
		rowsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "query", Name: "rows_sent_total",
			Help: "Rows returned to clients.",
		}),
		rowsAffected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "query", Name: "rows_affected_total",
			Help: "Rows written (affected rows reported to clients), by statement type.",
		}, []string{"type"}),
		accessPaths: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "query", Name: "access_path_total",
			Help: "Statements by their most expensive table access: pk_point, pk_range, secondary, full_scan, or none.",
		}, []string{"path"}),
		slowQueries: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "query", Name: "slow_total",
			Help: "Statements that ran longer than long_query_time.",
		}),
		queryTimeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "query", Name: "timeouts_total",
			Help: "SELECT statements interrupted by max_execution_time (error 3024).",
		}),
		memLimitExceeded: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "query", Name: "memory_limit_exceeded_total",
			Help: "Statements failed because they exceeded quarry_query_memory_limit (error 3170).",
		}),
	}
	// Series that dashboards plot exist from the start.
	m.connectionsRefused.WithLabelValues("max_connections")
	for _, r := range []string{"access_denied", "insecure_transport", "other"} {
		m.failedLogins.WithLabelValues(r)
	}
	for i, p := range accessPathNames {
		m.paths[i] = m.accessPaths.WithLabelValues(p)
	}
	for _, t := range []stmtType{stmtInsert, stmtUpdate, stmtDelete, stmtReplace, stmtLoad} {
		m.affected[t] = m.rowsAffected.WithLabelValues(t.String())
	}
	return m
}

func (m *serverMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		m.connectionsOpen, m.connectionsAccepted, m.connectionsRefused, m.failedLogins, m.idleTimeouts,
		m.queryDuration, m.rowsExamined, m.rowsSent, m.rowsAffected, m.accessPaths,
		m.slowQueries, m.queryTimeouts, m.memLimitExceeded,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "query", Name: "bulk_inserts_total",
			Help:        "Literal multi-row INSERTs run by the bulk insert path.",
			ConstLabels: prometheus.Labels{"path": "bulk"},
		}, func() float64 { return float64(m.bulkInsertsRun.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "query", Name: "bulk_inserts_total",
			Help:        "Literal multi-row INSERTs run by the bulk insert path.",
			ConstLabels: prometheus.Labels{"path": "fallback"},
		}, func() float64 { return float64(m.bulkInsertsFellBack.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "query", Name: "point_selects_total",
			Help: "Prepared primary-key point SELECTs run by the learned point path.",
		}, func() float64 { return float64(m.pointSelects.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "query", Name: "learned_plans_total",
			Help: "Prepared statements run from a plan learned on their connection, without binding or analysis.",
		}, func() float64 { return float64(m.learnedPlans.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "query", Name: "learned_dml_total",
			Help: "Prepared point UPDATEs and DELETEs run from a plan learned on their connection, without binding or analysis.",
		}, func() float64 { return float64(m.learnedDML.Load()) }),
	}
}

// PointSelects reports how many prepared point SELECTs the learned point
// path ran.
func (s *Server) PointSelects() uint64 { return s.m.pointSelects.Load() }

// LearnedPlans reports how many prepared statements ran from a plan learned
// on their connection.
func (s *Server) LearnedPlans() uint64 { return s.m.learnedPlans.Load() }

// LearnedDML reports how many prepared point UPDATEs and DELETEs ran from a
// plan learned on their connection.
func (s *Server) LearnedDML() uint64 { return s.m.learnedDML.Load() }

// LearnedTxn reports how many prepared BEGINs and COMMITs ran without
// GMS's binding and analysis.
func (s *Server) LearnedTxn() uint64 { return s.m.learnedTxn.Load() }

// BulkInserts reports how many recognised literal INSERTs the bulk path ran
// and how many it handed back to GMS.
func (s *Server) BulkInserts() (run, fellBack uint64) {
	return s.m.bulkInsertsRun.Load(), s.m.bulkInsertsFellBack.Load()
}

// register registers the server's metrics and the storage and status
// collectors with reg.
func (s *Server) registerMetrics(reg prometheus.Registerer) error {
	cs := append(s.m.collectors(),
		&storageCollector{store: s.store},
		&statusCollector{s: s},
	)
	var errs []error
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlserver: register metrics: %w", err)
	}
	return nil
}

// storageCollector exports the storage engine's counters and Pebble's
// internals, read at scrape time.
type storageCollector struct {
	store *storage.Engine
}

func desc(subsystem, name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, subsystem, name), help, labels, nil)
}

var (
	descTxns         = desc("storage", "transactions_total", "Transactions started, including the implicit one of each autocommit statement.")
	descCommits      = desc("storage", "commits_total", "Transactions committed.")
	descRollbacks    = desc("storage", "rollbacks_total", "Transactions rolled back.")
	descLockWaits    = desc("storage", "lock_waits_total", "Row-lock requests that had to wait for another transaction.")
	descLockTimeouts = desc("storage", "lock_wait_timeouts_total", "Row-lock waits that ended in error 1205 (innodb_lock_wait_timeout).")
	descDeadlocks    = desc("storage", "deadlocks_total", "Deadlocks detected (error 1213; the victim transaction is rolled back).")

	descCompactions       = desc("pebble", "compactions_total", "Pebble compactions completed.")
	descCompactionsActive = desc("pebble", "compactions_in_progress", "Pebble compactions running.")
	descCompactionDebt    = desc("pebble", "compaction_debt_bytes", "Estimated bytes Pebble still has to compact to reach a stable LSM shape.")
	descFlushes           = desc("pebble", "flushes_total", "Memtable flushes to L0.")
	descL0Files           = desc("pebble", "l0_files", "sstables in L0 (write stalls start at 1000).")
	descL0Sublevels       = desc("pebble", "l0_sublevels", "L0 sublevels (read amplification within L0).")
	descReadAmp           = desc("pebble", "read_amplification", "Sorted runs a point read may consult.")
	descLevelFiles        = desc("pebble", "level_files", "Live sstables by LSM level.", "level")
	descLevelBytes        = desc("pebble", "level_bytes", "Bytes of live sstables by LSM level.", "level")
	descCacheHits         = desc("pebble", "block_cache_hits_total", "Block cache hits.")
	descCacheMisses       = desc("pebble", "block_cache_misses_total", "Block cache misses.")
	descCacheBytes        = desc("pebble", "block_cache_bytes", "Bytes in the block cache.")
	descMemtableBytes     = desc("pebble", "memtable_bytes", "Bytes allocated by memtables.")
	descWALFiles          = desc("pebble", "wal_files", "Live WAL files.")
	descWALBytes          = desc("pebble", "wal_bytes_written_total", "Physical bytes written to the WAL.")
	descWALsFromSpare     = desc("pebble", "wals_from_spare_total", "WALs created by renaming the zero-filled spare file rather than as empty files.")
	descWALRingSyncs      = desc("pebble", "wal_ring_syncs_total", "WAL syncs run on an io_uring rather than as blocking system calls.")
	descWALFsync          = desc("pebble", "wal_fsync_duration_seconds", "Latency of WAL fsyncs.")
	descDiskUsage         = desc("pebble", "disk_usage_bytes", "Disk space used by the store (sstables, WAL, manifests).")
	descSnapshots         = desc("pebble", "snapshots", "Open Pebble snapshots (reading transactions share one while nothing is written).")
)

// Describe implements prometheus.Collector.
func (c *storageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		descTxns, descCommits, descRollbacks, descLockWaits, descLockTimeouts, descDeadlocks,
		descCompactions, descCompactionsActive, descCompactionDebt, descFlushes, descL0Files, descL0Sublevels,
		descReadAmp, descLevelFiles, descLevelBytes, descCacheHits, descCacheMisses, descCacheBytes,
		descMemtableBytes, descWALFiles, descWALBytes, descWALsFromSpare, descWALRingSyncs, descWALFsync, descDiskUsage, descSnapshots,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *storageCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	st := c.store.Stats()
	counter(descTxns, float64(st.Transactions.Load()))
	counter(descCommits, float64(st.Commits.Load()))
	counter(descRollbacks, float64(st.Rollbacks.Load()))
	counter(descLockWaits, float64(st.LockWaits.Load()))
	counter(descLockTimeouts, float64(st.LockWaitTimeouts.Load()))
	counter(descDeadlocks, float64(st.Deadlocks.Load()))

	pm, ok := c.store.KVMetrics()
	if !ok {
		return
	}
	counter(descCompactions, float64(pm.Compactions))
	gauge(descCompactionsActive, float64(pm.CompactionsInProgress))
	gauge(descCompactionDebt, float64(pm.CompactionDebtBytes))
	counter(descFlushes, float64(pm.Flushes))
	gauge(descL0Files, float64(pm.L0Files))
	gauge(descL0Sublevels, float64(pm.L0Sublevels))
	gauge(descReadAmp, float64(pm.ReadAmp))
	for i, l := range pm.Levels {
		level := fmt.Sprint(i)
		gauge(descLevelFiles, float64(l.Files), level)
		gauge(descLevelBytes, float64(l.Bytes), level)
	}
	counter(descCacheHits, float64(pm.BlockCacheHits))
	counter(descCacheMisses, float64(pm.BlockCacheMisses))
	gauge(descCacheBytes, float64(pm.BlockCacheBytes))
	gauge(descMemtableBytes, float64(pm.MemTableBytes))
	gauge(descWALFiles, float64(pm.WALFiles))
	counter(descWALBytes, float64(pm.WALBytesWritten))
	counter(descWALsFromSpare, float64(pm.WALsFromSpare))
	counter(descWALRingSyncs, float64(pm.WALRingSyncs))
	buckets := make(map[float64]uint64, len(pm.WALFsync.Buckets))
	for _, b := range pm.WALFsync.Buckets {
		buckets[b.UpperBoundSeconds] = b.Count
	}
	ch <- prometheus.MustNewConstHistogram(descWALFsync, pm.WALFsync.Count, pm.WALFsync.SumSeconds, buckets)
	gauge(descDiskUsage, float64(pm.DiskUsageBytes))
	gauge(descSnapshots, float64(pm.Snapshots))
}

// mysqldExporterName maps a status variable to mysqld_exporter's metric
// name and label: Com_select is mysql_global_status_commands_total
// {command="select"}, Innodb_rows_read is
// mysql_global_status_innodb_row_ops_total{operation="read"}, and so on.
func mysqldExporterName(v string) (name, label, value string) {
	lower := strings.ToLower(v)
	switch {
	case strings.HasPrefix(lower, "com_"):
		return "mysql_global_status_commands_total", "command", lower[len("com_"):]
	case strings.HasPrefix(lower, "connection_errors_"):
		return "mysql_global_status_connection_errors_total", "error", lower[len("connection_errors_"):]
	case strings.HasPrefix(lower, "innodb_rows_"):
		return "mysql_global_status_innodb_row_ops_total", "operation", lower[len("innodb_rows_"):]
	case strings.HasPrefix(lower, "handler_"):
		return "mysql_global_status_handlers_total", "handler", lower[len("handler_"):]
	}
	return "mysql_global_status_" + lower, "", ""
}

// exportedStatus are the status variables exported as metrics (beyond
// those the exporter names after a family: see mysqldExporterName).
var exportedStatus = []string{
	"Aborted_clients", "Aborted_connects", "Bytes_received", "Bytes_sent", "Connections",
	"Innodb_row_lock_waits", "Max_execution_time_exceeded", "Max_execution_time_set",
	"Max_used_connections", "Queries", "Questions", "Slow_queries", "Threads_connected",
	"Threads_running", "Uptime",
	"Com_select", "Com_insert", "Com_update", "Com_delete", "Com_replace", "Com_begin",
	"Com_commit", "Com_rollback", "Com_set_option", "Com_kill",
	"Connection_errors_max_connections",
	"Innodb_rows_read", "Innodb_rows_inserted", "Innodb_rows_updated", "Innodb_rows_deleted",
	"Handler_commit", "Handler_rollback",
}

// exportedVariables are the global system variables exported as
// mysql_global_variables_<name>.
var exportedVariables = []string{
	"max_connections", "wait_timeout", "interactive_timeout", "max_execution_time",
	"long_query_time", "max_allowed_packet", "require_secure_transport", quarryQueryMemoryLimit,
}

// statusCollector exports GMS's global status variables, which Quarry
// keeps current (see refreshStatus), and a few system variables.
type statusCollector struct {
	s *Server
}

var descUp = prometheus.NewDesc("mysql_up", "Whether the server answers (always 1 when scraped from the server itself).", nil, nil)

// Describe implements prometheus.Collector: the collector is unchecked,
// its metric set depends on the status variables.
func (c *statusCollector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	c.s.refreshStatus()
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	descs := make(map[string]*prometheus.Desc)
	for _, v := range exportedStatus {
		_, val, ok := sql.StatusVariables.GetGlobal(v)
		if !ok {
			continue
		}
		n, ok := toInt64(val)
		if !ok {
			continue
		}
		name, label, lv := mysqldExporterName(v)
		d := descs[name]
		if d == nil {
			var labels []string
			if label != "" {
				labels = []string{label}
			}
			d = prometheus.NewDesc(name, "Generic metric from SHOW GLOBAL STATUS.", labels, nil)
			descs[name] = d
		}
		vt := prometheus.UntypedValue
		if label != "" {
			vt = prometheus.CounterValue
		}
		if label != "" {
			ch <- prometheus.MustNewConstMetric(d, vt, float64(n), lv)
		} else {
			ch <- prometheus.MustNewConstMetric(d, vt, float64(n))
		}
	}
	for _, v := range exportedVariables {
		f := globalFloat(v, -1)
		if f < 0 {
			continue
		}
		ch <- prometheus.MustNewConstMetric(
			prometheus.NewDesc("mysql_global_variables_"+v, "Generic gauge metric from SHOW GLOBAL VARIABLES.", nil, nil),
			prometheus.GaugeValue, f)
	}
}
