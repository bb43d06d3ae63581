package sqlserver

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quarrydb/quarry/storage"
)

// AdminHeader must be sent with admin requests: browsers cannot add it to
// a cross-site request without a CORS preflight, which is never granted,
// so a web page cannot make a local browser trigger a backup.
const AdminHeader = "X-Quarry-Admin"

// HTTPOptions configure NewHTTPHandler.
type HTTPOptions struct {
	// Gatherer is served on GET /metrics.
	Gatherer prometheus.Gatherer
	// Registerer, if set, gets the backup metrics.
	Registerer prometheus.Registerer
	// Store is what POST /admin/backup checkpoints; nil disables it.
	Store  *storage.Engine
	Logger *slog.Logger
}

// BackupResult is the JSON answer of POST /admin/backup.
type BackupResult struct {
	Path       string  `json:"path"`
	Seconds    float64 `json:"seconds"`
	Error      string  `json:"error,omitempty"`
	StartedAt  string  `json:"started_at"`
	FinishedAt string  `json:"finished_at"`
}

// NewHTTPHandler serves the metrics listener:
//
//	GET  /metrics               Prometheus metrics
//	GET  /healthz               "ok"
//	POST /admin/backup?to=DIR   online backup (loopback clients only)
//
// The backup is a consistent checkpoint of the running server's storage
// (storage.Engine.Checkpoint) written to DIR, an absolute path on the
// server's host that must not exist or be empty; DIR is then a data
// directory a server can start on. Only clients connecting from a loopback
// address, sending the X-Quarry-Admin header, are served; one backup runs
// at a time (409 otherwise).
func NewHTTPHandler(opts HTTPOptions) (http.Handler, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	if opts.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{ErrorLog: slogErrorLog{log}}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintln(w, "ok")
	})
	if opts.Store != nil {
		b := &backupHandler{store: opts.Store, log: log,
			total: prometheus.NewCounterVec(prometheus.CounterOpts{
				Namespace: namespace, Subsystem: "backup", Name: "total",
				Help: "Online backups taken through POST /admin/backup, by result (ok or error).",
			}, []string{"result"}),
			last: prometheus.NewGauge(prometheus.GaugeOpts{
				Namespace: namespace, Subsystem: "backup", Name: "last_success_timestamp_seconds",
				Help: "Unix time the last successful online backup finished (0: none since start).",
			}),
		}
		b.total.WithLabelValues("ok")
		b.total.WithLabelValues("error")
		if opts.Registerer != nil {
			for _, c := range []prometheus.Collector{b.total, b.last} {
				if err := opts.Registerer.Register(c); err != nil {
					return nil, fmt.Errorf("sqlserver: register backup metrics: %w", err)
				}
			}
		}
		mux.Handle("POST /admin/backup", b)
	}
	return mux, nil
}

type backupHandler struct {
	store *storage.Engine
	log   *slog.Logger
	mu    sync.Mutex
	total *prometheus.CounterVec
	last  prometheus.Gauge
}

func (b *backupHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isLoopbackRemote(r.RemoteAddr) {
		http.Error(w, "backups are only served to loopback clients", http.StatusForbidden)
		return
	}
	if r.Header.Get(AdminHeader) == "" {
		http.Error(w, "missing "+AdminHeader+" header", http.StatusForbidden)
		return
	}
	to := r.URL.Query().Get("to")
	if to == "" || !filepath.IsAbs(to) {
		http.Error(w, "to= must be an absolute directory path on the server", http.StatusBadRequest)
		return
	}
	if !b.mu.TryLock() {
		http.Error(w, "a backup is already running", http.StatusConflict)
		return
	}
	defer b.mu.Unlock()
	to = filepath.Clean(to)
	start := time.Now()
	b.log.Info("online backup started", "to", to, "client", r.RemoteAddr)
	err := b.store.Checkpoint(to)
	res := BackupResult{Path: to, Seconds: time.Since(start).Seconds(),
		StartedAt: start.UTC().Format(time.RFC3339Nano), FinishedAt: time.Now().UTC().Format(time.RFC3339Nano)}
	status := http.StatusOK
	if err != nil {
		res.Error = err.Error()
		status = http.StatusInternalServerError
		b.total.WithLabelValues("error").Inc()
		b.log.Error("online backup failed", "to", to, "err", err)
	} else {
		b.total.WithLabelValues("ok").Inc()
		b.last.Set(float64(time.Now().Unix()))
		b.log.Info("online backup finished", "to", to, "duration", time.Since(start).Round(time.Millisecond))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(res)
}

func isLoopbackRemote(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

// slogErrorLog adapts slog to promhttp's error logger.
type slogErrorLog struct{ l *slog.Logger }

func (s slogErrorLog) Println(v ...any) { s.l.Error(fmt.Sprint(v...), "component", "metrics") }
