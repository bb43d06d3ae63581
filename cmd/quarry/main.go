// Command quarry is the Quarry binary. It owns the command line: the
// subcommands (serve, version), flag and environment parsing, process
// logging setup and signal handling. The server itself lives in package
// sqlserver and the data directory in package storage.
//
// Usage:
//
//	quarry serve [--data-dir DIR] [--listen HOST:PORT] [--root-password PW]
//	             [--log-level debug|info|warn|error] [--log-format text|json]
//	quarry version
//
// Every serve flag can also be given as an environment variable
// (QUARRY_DATA_DIR, QUARRY_LISTEN, QUARRY_ROOT_PASSWORD, QUARRY_LOG_LEVEL,
// QUARRY_LOG_FORMAT); a flag on the command line wins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

// version is Quarry's release version, set at build time with
// -ldflags "-X main.version=v1.2.3".
var version = ""

// shutdownTimeout bounds how long running statements may take to finish
// after SIGINT/SIGTERM before they are cancelled; it stays below the 30s
// default grace period of Kubernetes. A second signal cancels at once.
const shutdownTimeout = 25 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

const usageText = `Usage: quarry <command> [flags]

Commands:
  serve     run the MySQL-compatible server (quarry serve -h for flags)
  version   print the version
`

// run executes the command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	switch args[0] {
	case "serve":
		opts, err := parseServeArgs(args[1:], getenv, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "quarry: %v\n", err)
			return 2
		}
		signals := make(chan os.Signal, 2)
		signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
		defer signal.Stop(signals)
		return serve(opts, stderr, signals)
	case "version", "-version", "--version":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "quarry: version takes no arguments\n")
			return 2
		}
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return 0
	default:
		fmt.Fprintf(stderr, "quarry: unknown command %q\n\n%s", args[0], usageText)
		return 2
	}
}

// quarryVersion is the release version, or the module version, or "devel".
func quarryVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "devel-" + s.Value[:12]
			}
		}
	}
	return "devel"
}

func versionString() string {
	return fmt.Sprintf("quarry %s (MySQL %s compatible; %s %s/%s)",
		quarryVersion(), sqlserver.ServerVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// serve runs the server until a signal arrives on signals (or the server
// fails), shuts it down gracefully and closes the storage. It logs to logw
// and returns the exit code.
func serve(opts serveOptions, logw io.Writer, signals <-chan os.Signal) (code int) {
	logger := newLogger(logw, opts.LogLevel, opts.LogFormat)
	slog.SetDefault(logger)
	sqlserver.RouteLibraryLogs(logger)

	cfg := sqlserver.Config{Listen: opts.Listen, RootPassword: opts.RootPassword}
	if err := cfg.Validate(); err != nil {
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
		"data_dir", dataDir, "listen", opts.Listen)

	store, err := storage.Open(storage.Options{Dir: dataDir, Logger: logger})
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

	eng, err := sqlserver.NewEngine(store, sqlserver.EngineOptions{RootPassword: opts.RootPassword, Logger: logger})
	if err != nil {
		fail("cannot build the SQL engine", err)
		return
	}
	defer func() {
		if err := sqlserver.CloseEngine(eng); err != nil {
			fail("closing the SQL engine failed", err)
		}
	}()

	srv, err := sqlserver.New(store, eng, cfg, logger)
	if err != nil {
		fail("cannot start the MySQL server", err)
		return
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve() }()
	logger.Info("quarry listening", "addr", srv.Addr().String(), "data_dir", dataDir)

	select {
	case sig := <-signals:
		logger.Info("shutting down", "signal", sig.String(), "timeout", shutdownTimeout)
	case err := <-serveErr:
		fail("MySQL server failed; shutting down", err)
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
	return
}
