package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/quarrydb/quarry/sqlserver"
)

// Defaults of `quarry serve`.
const (
	defaultDataDir   = "./quarry-data"
	defaultLogLevel  = "info"
	defaultLogFormat = "text"
)

// serveOptions is the resolved configuration of `quarry serve`.
type serveOptions struct {
	DataDir      string
	Listen       string
	LogLevel     slog.Level
	LogFormat    string // "text" or "json"
	RootPassword string
}

// serveFlag ties a flag to its environment variable.
type serveFlag struct {
	name, env, def, usage string
	dst                   *string
}

// parseServeArgs resolves the serve configuration: a flag given on the
// command line wins over its environment variable (read with getenv; empty
// counts as unset), which wins over the default. Environment values are
// not used as flag defaults, so -h never prints a password.
func parseServeArgs(args []string, getenv func(string) string, output io.Writer) (serveOptions, error) {
	var dataDir, listen, level, format, rootPassword string
	flags := []serveFlag{
		{"data-dir", "QUARRY_DATA_DIR", defaultDataDir, "data directory (created if missing)", &dataDir},
		{"listen", "QUARRY_LISTEN", sqlserver.DefaultListen, "MySQL protocol listen address host:port; non-loopback addresses require a root password", &listen},
		{"log-level", "QUARRY_LOG_LEVEL", defaultLogLevel, "log level: debug, info, warn or error", &level},
		{"log-format", "QUARRY_LOG_FORMAT", defaultLogFormat, "log format: text or json", &format},
		{"root-password", "QUARRY_ROOT_PASSWORD", "", "password applied to root@localhost and root@'%' at start (prefer the environment variable: flags are visible to other local users)", &rootPassword},
	}
	fs := flag.NewFlagSet("quarry serve", flag.ContinueOnError)
	fs.SetOutput(output)
	for _, f := range flags {
		fs.StringVar(f.dst, f.name, f.def, fmt.Sprintf("%s (env %s)", f.usage, f.env))
	}
	fs.Usage = func() {
		fmt.Fprintf(output, "Usage: quarry serve [flags]\n\nRuns the Quarry MySQL-compatible server until SIGINT or SIGTERM.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return serveOptions{}, err
	}
	if fs.NArg() > 0 {
		return serveOptions{}, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, f := range flags {
		if !set[f.name] {
			if v := getenv(f.env); v != "" {
				*f.dst = v
			}
		}
	}

	opts := serveOptions{DataDir: dataDir, Listen: listen, RootPassword: rootPassword}
	if opts.DataDir == "" {
		return serveOptions{}, errors.New("serve: data directory must not be empty")
	}
	if opts.Listen == "" {
		return serveOptions{}, errors.New("serve: listen address must not be empty")
	}
	var err error
	if opts.LogLevel, err = parseLogLevel(level); err != nil {
		return serveOptions{}, err
	}
	if opts.LogFormat, err = parseLogFormat(format); err != nil {
		return serveOptions{}, err
	}
	return opts, nil
}

func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("serve: invalid log level %q (want debug, info, warn or error)", s)
}

func parseLogFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case "text", "json":
		return f, nil
	}
	return "", fmt.Errorf("serve: invalid log format %q (want text or json)", s)
}

// newLogger builds the process logger.
func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	hopts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, hopts))
	}
	return slog.New(slog.NewTextHandler(w, hopts))
}
