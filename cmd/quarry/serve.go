package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/quarrydb/quarry/internal/gctune"
	"github.com/quarrydb/quarry/internal/schedtune"
	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

// exitStorageFailure is serve's exit code after a storage failure it must
// not serve through: a failed WAL write or sync, or Pebble's fatal errors.
const exitStorageFailure = 3

// stopOnStorageFailure is serve's storage.Options.OnFatal: it logs err and
// exits at once, before any commit fails with it, as InnoDB and PostgreSQL
// stop on a failed log sync; a restart recovers the durable state.
func stopOnStorageFailure(logger *slog.Logger, exit func(int)) func(error) {
	return func(err error) {
		logger.Error("storage failure: stopping at once; a restart recovers the last durable state",
			"err", err, "exit_code", exitStorageFailure)
		exit(exitStorageFailure)
	}
}

// serve runs the server until a signal arrives on signals (or the server
// fails), shuts it down gracefully and closes the storage. It logs to logw
// and returns the exit code.
func serve(opts serveOptions, logw io.Writer, signals <-chan os.Signal) (code int) {
	logger := newLogger(logw, opts.LogLevel, opts.LogFormat)
	slog.SetDefault(logger)
	sqlserver.RouteLibraryLogs(logger)

	cfg := sqlserver.Config{
		Listen:                 opts.Listen,
		RootPassword:           opts.RootPassword,
		MaxConnections:         opts.MaxConnections,
		RequireSecureTransport: opts.RequireSecureTransport,
		SystemVariables:        opts.systemVariables(),
	}
	// TLS is set up once the data directory exists; check the rest first,
	// so a bad configuration creates nothing.
	early := cfg
	early.RequireSecureTransport = false
	if err := early.Validate(); err != nil {
		if errors.Is(err, sqlserver.ErrRootPasswordRequired) {
			logger.Error("refusing to start: set --root-password or QUARRY_ROOT_PASSWORD, or listen on a loopback address",
				"listen", opts.Listen, "err", err)
		} else {
			logger.Error("invalid configuration", "err", err)
		}
		return 1
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		logger.Error("invalid data directory", "data_dir", opts.DataDir, "err", err)
		return 1
	}
	logger.Info("quarry starting", "version", quarryVersion(), "mysql_version", sqlserver.ServerVersion,
		"data_dir", dataDir, "listen", opts.Listen, "config_file", opts.ConfigFile)
	gc := gctune.Apply()
	logger.Info("garbage collector", "gogc", gc.GCPercent, "memory_limit_bytes", gc.MemoryLimit, "from_environment", gc.FromEnv)
	if schedtuneErr != nil {
		logger.Warn("go scheduler: sysmon keeps its default idle behaviour", "err", schedtuneErr)
	}
	logger.Info("go scheduler", "sysmon_steady_period", schedtune.Active(), "godebug", os.Getenv("GODEBUG"))

	store, err := storage.Open(storage.Options{Dir: dataDir, Logger: logger, OnFatal: stopOnStorageFailure(logger, os.Exit)})
	if err != nil {
		logger.Error("cannot open data directory", "data_dir", dataDir, "err", err)
		return 1
	}
	fail := func(msg string, err error) {
		logger.Error(msg, "err", err)
		code = 1
	}
	defer func() {
		if err := store.Close(); err != nil {
			fail("closing storage failed", err)
		}
		logger.Info("quarry stopped", "data_dir", dataDir, "listen", opts.Listen, "exit_code", code)
	}()

	if opts.TLSMode != "off" {
		tlsCfg, files, err := sqlserver.LoadTLS(opts.TLSCert, opts.TLSKey, dataDir, logger)
		if err != nil {
			fail("cannot set up TLS", err)
			return
		}
		cfg.TLS = tlsCfg
		logger.Info("TLS enabled", "cert", files.CertFile, "generated", files.Generated,
			"require_secure_transport", opts.RequireSecureTransport)
	}
	for _, l := range []struct {
		dest string
		w    *io.Writer
		what string
	}{{opts.SlowLog, &cfg.SlowLog, "slow query log"}, {opts.GeneralLog, &cfg.GeneralLog, "general query log"}} {
		if l.dest == "" || l.dest == "log" {
			continue
		}
		f, err := os.OpenFile(l.dest, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			fail("cannot open the "+l.what, err)
			return
		}
		defer f.Close()
		*l.w = f
		logger.Info(l.what+" enabled", "file", l.dest)
	}

	var reg *prometheus.Registry
	if opts.MetricsListen != "" {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		cfg.Metrics = reg
	}

	eng, err := sqlserver.NewEngine(store, sqlserver.EngineOptions{RootPassword: opts.RootPassword, Logger: logger})
	if err != nil {
		fail("cannot build the SQL engine", err)
		return
	}
	if err := sqlserver.StartEventScheduler(eng, store); err != nil {
		fail("cannot start the event scheduler", err)
		return
	}
	defer func() {
		if err := sqlserver.CloseEngine(eng); err != nil {
			fail("closing the SQL engine failed", err)
		}
	}()

	replica, err := attachReplica(eng, store, reg, logger)
	if err != nil {
		fail("cannot set up binlog replication", err)
		return
	}
	defer replica.Close()

	srv, err := sqlserver.New(store, eng, cfg, logger)
	if err != nil {
		fail("cannot start the MySQL server", err)
		return
	}

	// The metrics listener also serves online backups, which read the
	// store: it stops before the store closes.
	var httpSrv *http.Server
	httpErr := make(chan error, 1)
	if opts.MetricsListen != "" {
		h, err := sqlserver.NewHTTPHandler(sqlserver.HTTPOptions{Gatherer: reg, Registerer: reg, Store: store, Logger: logger})
		if err != nil {
			fail("cannot set up the metrics listener", err)
			_ = srv.Shutdown(context.Background())
			return
		}
		ln, err := net.Listen("tcp", opts.MetricsListen)
		switch {
		case err != nil && opts.MetricsListenIsDefault:
			logger.Warn("metrics listener disabled: the default address is not available; set --metrics-listen",
				"addr", opts.MetricsListen, "err", err)
		case err != nil:
			fail("cannot listen for metrics", err)
			_ = srv.Shutdown(context.Background())
			return
		default:
			httpSrv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
			go func() { httpErr <- httpSrv.Serve(ln) }()
			logger.Info("metrics listening", "addr", ln.Addr().String(), "paths", "/metrics /healthz POST /admin/backup")
		}
	}
	stopHTTP := func() {
		if httpSrv == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := httpSrv.Shutdown(ctx); err != nil {
			logger.Warn("metrics listener did not stop cleanly", "err", err)
		}
		httpSrv = nil
	}
	defer stopHTTP()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve() }()
	logger.Info("quarry listening", "addr", srv.Addr().String(), "data_dir", dataDir)

	select {
	case sig := <-signals:
		logger.Info("shutting down", "signal", sig.String(), "timeout", shutdownTimeout)
	case err := <-serveErr:
		fail("MySQL server failed; shutting down", err)
	case err := <-httpErr:
		fail("metrics listener failed; shutting down", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	go func() {
		select {
		case sig := <-signals:
			logger.Warn("second signal: cancelling running statements", "signal", sig.String())
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := srv.Shutdown(ctx); err != nil {
		fail("shutdown was not clean", err)
	}
	stopHTTP()
	return
}
