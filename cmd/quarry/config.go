package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/quarrydb/quarry/sqlserver"
)

// Defaults of `quarry serve`.
const (
	defaultDataDir       = "./quarry-data"
	defaultLogLevel      = "info"
	defaultLogFormat     = "text"
	defaultMetricsListen = "127.0.0.1:9104"
)

// serveOptions is the resolved configuration of `quarry serve`.
type serveOptions struct {
	ConfigFile   string
	DataDir      string
	Listen       string
	LogLevel     slog.Level
	LogFormat    string // "text" or "json"
	RootPassword string

	// MetricsListen serves /metrics, /healthz and /admin/backup; "" = off.
	// When it is the default and the port is taken, serve warns and runs
	// without it; an explicitly configured address must work.
	MetricsListen          string
	MetricsListenIsDefault bool

	TLSMode                string // "auto" (use the files or generate) or "off"
	TLSCert, TLSKey        string
	RequireSecureTransport bool

	MaxConnections     uint64
	WaitTimeout        int64 // seconds
	InteractiveTimeout int64 // seconds
	MaxExecutionTime   int64 // milliseconds, 0 = none
	QueryMemoryLimit   int64 // bytes, 0 = none
	MaxAllowedPacket   int64 // bytes
	LongQueryTime      float64
	SlowLog            string // file, "log" or "" (off at start)
	GeneralLog         string // file, "log" or "" (off at start)
}

// defaultServeOptions is the configuration with every default applied.
func defaultServeOptions() serveOptions {
	return serveOptions{
		DataDir:                defaultDataDir,
		Listen:                 sqlserver.DefaultListen,
		LogLevel:               slog.LevelInfo,
		LogFormat:              defaultLogFormat,
		MetricsListen:          defaultMetricsListen,
		MetricsListenIsDefault: true,
		TLSMode:                "auto",
		MaxConnections:         sqlserver.DefaultMaxConnections,
		WaitTimeout:            28800,
		InteractiveTimeout:     28800,
		QueryMemoryLimit:       sqlserver.DefaultQueryMemoryLimit,
		MaxAllowedPacket:       64 << 20,
		LongQueryTime:          10,
	}
}

// option is one setting of `quarry serve`: a flag, an environment
// variable and a config file key (the flag name), resolved in that order
// of precedence before the default.
type option struct {
	name, env, def, usage string
	boolean               bool
	// set parses the resolved value into opts.
	set func(opts *serveOptions, v string) error
}

func serveOptionTable() []option {
	d := defaultServeOptions()
	str := func(dst func(*serveOptions) *string) func(*serveOptions, string) error {
		return func(o *serveOptions, v string) error { *dst(o) = v; return nil }
	}
	return []option{
		{"data-dir", "QUARRY_DATA_DIR", defaultDataDir, "data directory (created if missing)", false,
			str(func(o *serveOptions) *string { return &o.DataDir })},
		{"listen", "QUARRY_LISTEN", sqlserver.DefaultListen, "MySQL protocol listen address host:port; non-loopback addresses require a root password", false,
			str(func(o *serveOptions) *string { return &o.Listen })},
		{"root-password", "QUARRY_ROOT_PASSWORD", "", "password applied to root@localhost and root@'%' at start (prefer the environment variable or the config file: flags are visible to other local users)", false,
			str(func(o *serveOptions) *string { return &o.RootPassword })},
		{"log-level", "QUARRY_LOG_LEVEL", defaultLogLevel, "log level: debug, info, warn or error", false,
			func(o *serveOptions, v string) (err error) { o.LogLevel, err = parseLogLevel(v); return err }},
		{"log-format", "QUARRY_LOG_FORMAT", defaultLogFormat, "log format: text or json", false,
			func(o *serveOptions, v string) (err error) { o.LogFormat, err = parseLogFormat(v); return err }},
		{"metrics-listen", "QUARRY_METRICS_LISTEN", defaultMetricsListen, "HTTP address for /metrics (Prometheus), /healthz and POST /admin/backup (loopback clients only); empty or \"off\" disables it", false,
			func(o *serveOptions, v string) error {
				if strings.EqualFold(v, "off") {
					v = ""
				}
				o.MetricsListen = v
				return nil
			}},
		{"tls", "QUARRY_TLS", "auto", "TLS for client connections: auto (use --tls-cert/--tls-key, or a self-signed certificate generated in DATA_DIR/tls on first start) or off", false,
			func(o *serveOptions, v string) error {
				switch m := strings.ToLower(strings.TrimSpace(v)); m {
				case "auto", "off":
					o.TLSMode = m
					return nil
				}
				return fmt.Errorf("invalid tls mode %q (want auto or off)", v)
			}},
		{"tls-cert", "QUARRY_TLS_CERT", "", "PEM certificate (chain) for TLS; needs --tls-key", false,
			str(func(o *serveOptions) *string { return &o.TLSCert })},
		{"tls-key", "QUARRY_TLS_KEY", "", "PEM private key for --tls-cert", false,
			str(func(o *serveOptions) *string { return &o.TLSKey })},
		{"require-secure-transport", "QUARRY_REQUIRE_SECURE_TRANSPORT", "false", "refuse logins without TLS (error 3159); sets @@require_secure_transport, which SET GLOBAL can change", true,
			func(o *serveOptions, v string) (err error) { o.RequireSecureTransport, err = parseBool(v); return err }},
		{"max-connections", "QUARRY_MAX_CONNECTIONS", fmt.Sprint(d.MaxConnections), "simultaneous client connections; more are refused with error 1040 (@@max_connections)", false,
			func(o *serveOptions, v string) error {
				n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
				if err != nil || n == 0 {
					return fmt.Errorf("invalid max-connections %q", v)
				}
				o.MaxConnections = n
				return nil
			}},
		{"wait-timeout", "QUARRY_WAIT_TIMEOUT", fmt.Sprint(d.WaitTimeout), "seconds an idle connection is kept (@@wait_timeout)", false,
			intSetter(func(o *serveOptions) *int64 { return &o.WaitTimeout }, 1, 31536000)},
		{"interactive-timeout", "QUARRY_INTERACTIVE_TIMEOUT", fmt.Sprint(d.InteractiveTimeout), "seconds an idle interactive client (mysql CLI) is kept (@@interactive_timeout)", false,
			intSetter(func(o *serveOptions) *int64 { return &o.InteractiveTimeout }, 1, 31536000)},
		{"max-execution-time", "QUARRY_MAX_EXECUTION_TIME", "0", "milliseconds a SELECT may run before error 3024; 0 = no limit (@@max_execution_time)", false,
			intSetter(func(o *serveOptions) *int64 { return &o.MaxExecutionTime }, 0, math.MaxUint32)},
		{"query-memory-limit", "QUARRY_QUERY_MEMORY_LIMIT", "1G", "memory one statement may hold in sorts, GROUP BY, DISTINCT and joins before error 3170 (bytes, K/M/G suffixes); 0 = no limit (@@quarry_query_memory_limit)", false,
			sizeSetter(func(o *serveOptions) *int64 { return &o.QueryMemoryLimit }, 0)},
		{"max-allowed-packet", "QUARRY_MAX_ALLOWED_PACKET", "64M", "largest statement accepted, error 1153 above (bytes, K/M/G suffixes; @@max_allowed_packet)", false,
			sizeSetter(func(o *serveOptions) *int64 { return &o.MaxAllowedPacket }, 1024)},
		{"long-query-time", "QUARRY_LONG_QUERY_TIME", "10", "seconds after which a statement is slow (@@long_query_time, also SET GLOBAL at runtime)", false,
			func(o *serveOptions, v string) error {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 {
					return fmt.Errorf("invalid long-query-time %q", v)
				}
				o.LongQueryTime = f
				return nil
			}},
		{"slow-log", "QUARRY_SLOW_LOG", "", "slow query log: a file (MySQL format, for mysqldumpslow or pt-query-digest) or \"log\" for the server log; turns on @@slow_query_log. Empty: off (SET GLOBAL slow_query_log = ON then logs to the server log)", false,
			str(func(o *serveOptions) *string { return &o.SlowLog })},
		{"general-log", "QUARRY_GENERAL_LOG", "", "general query log (every connect and statement, passwords redacted): a file or \"log\"; turns on @@general_log", false,
			str(func(o *serveOptions) *string { return &o.GeneralLog })},
	}
}

func intSetter(dst func(*serveOptions) *int64, lo, hi int64) func(*serveOptions, string) error {
	return func(o *serveOptions, v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("invalid value %q (want an integer from %d to %d)", v, lo, hi)
		}
		*dst(o) = n
		return nil
	}
}

func sizeSetter(dst func(*serveOptions) *int64, lo int64) func(*serveOptions, string) error {
	return func(o *serveOptions, v string) error {
		n, err := parseSize(v)
		if err != nil || n < lo {
			return fmt.Errorf("invalid size %q (bytes, optionally with a K, M or G suffix, at least %d)", v, lo)
		}
		*dst(o) = n
		return nil
	}
}

// parseSize parses "1048576", "512K", "64M", "1G" (powers of 1024).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return n * mult, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "on", "yes":
		return true, nil
	case "0", "false", "off", "no", "":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q", s)
}

// flagValue is a string flag that remembers whether it was given; boolean
// options accept a bare --flag.
type flagValue struct {
	v       string
	set     bool
	boolean bool
}

func (f *flagValue) String() string     { return f.v }
func (f *flagValue) Set(s string) error { f.v, f.set = s, true; return nil }
func (f *flagValue) IsBoolFlag() bool   { return f.boolean }

const serveUsageHeader = `Usage: quarry serve [flags]

Runs the Quarry MySQL-compatible server until SIGINT or SIGTERM.

Every setting can be given, in order of precedence, as
  1. a flag                  --max-connections 500
  2. an environment variable QUARRY_MAX_CONNECTIONS=500
  3. a line of the config file given by --config (or QUARRY_CONFIG):
                             max-connections = 500
  4. or left at its default.
An empty environment variable counts as unset. The config file has one
"key = value" per line, keys are the flag names (- or _), "#" starts a
comment, values may be quoted; unknown keys are errors.

Flags:
`

// metaVar names an option's value in the help.
func metaVar(o option) string {
	switch {
	case o.boolean:
		return ""
	case strings.Contains(o.name, "timeout"):
		return " SECONDS"
	case o.name == "max-execution-time":
		return " MS"
	case o.name == "long-query-time":
		return " SECONDS"
	case strings.HasSuffix(o.name, "limit") || strings.HasSuffix(o.name, "packet"):
		return " BYTES"
	case strings.HasSuffix(o.name, "listen"):
		return " HOST:PORT"
	case o.name == "data-dir":
		return " DIR"
	case o.name == "tls-cert" || o.name == "tls-key":
		return " FILE"
	case o.name == "slow-log" || o.name == "general-log":
		return " FILE|log"
	case o.name == "max-connections":
		return " N"
	case o.name == "root-password":
		return " PASSWORD"
	case o.name == "tls":
		return " auto|off"
	case o.name == "log-level":
		return " LEVEL"
	case o.name == "log-format":
		return " text|json"
	}
	return " VALUE"
}

// printServeUsage prints the help of quarry serve: every option with its
// environment variable and default (never the environment's value).
func printServeUsage(w io.Writer, table []option) {
	fmt.Fprint(w, serveUsageHeader)
	fmt.Fprintf(w, "  --config FILE\n        config file of \"key = value\" lines (env QUARRY_CONFIG)\n")
	sorted := append([]option(nil), table...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, o := range sorted {
		def := ""
		if o.def != "" {
			def = ", default " + o.def
		}
		fmt.Fprintf(w, "  --%s%s\n        %s (env %s%s)\n", o.name, metaVar(o), o.usage, o.env, def)
	}
}

// parseServeArgs resolves the serve configuration (see serveUsageHeader).
// Environment values are never shown as flag defaults, so -h never prints
// a password.
func parseServeArgs(args []string, getenv func(string) string, output io.Writer) (serveOptions, error) {
	table := serveOptionTable()
	fs := flag.NewFlagSet("quarry serve", flag.ContinueOnError)
	fs.SetOutput(output)
	values := make(map[string]*flagValue, len(table))
	for _, o := range table {
		fv := &flagValue{v: o.def, boolean: o.boolean}
		values[o.name] = fv
		fs.Var(fv, o.name, fmt.Sprintf("%s (env %s)", o.usage, o.env))
	}
	configFlag := &flagValue{}
	fs.Var(configFlag, "config", "config file of \"key = value\" lines, keys as the flag names (env QUARRY_CONFIG)")
	fs.Usage = func() { printServeUsage(output, table) }
	if err := fs.Parse(args); err != nil {
		return serveOptions{}, err
	}
	if fs.NArg() > 0 {
		return serveOptions{}, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}

	opts := defaultServeOptions()
	opts.ConfigFile = configFlag.v
	if !configFlag.set {
		opts.ConfigFile = getenv("QUARRY_CONFIG")
	}
	var file map[string]string
	if opts.ConfigFile != "" {
		var err error
		if file, err = readConfigFile(opts.ConfigFile, table); err != nil {
			return serveOptions{}, err
		}
	}
	for _, o := range table {
		v, from := o.def, "default"
		if fv, ok := file[o.name]; ok {
			v, from = fv, "config file "+opts.ConfigFile
		}
		if ev := getenv(o.env); ev != "" {
			v, from = ev, o.env
		}
		if fv := values[o.name]; fv.set {
			v, from = fv.v, "--"+o.name
		}
		if err := o.set(&opts, v); err != nil {
			return serveOptions{}, fmt.Errorf("serve: %s (from %s): %w", o.name, from, err)
		}
		if o.name == "metrics-listen" {
			opts.MetricsListenIsDefault = from == "default"
		}
	}
	if opts.DataDir == "" {
		return serveOptions{}, errors.New("serve: data directory must not be empty")
	}
	if opts.Listen == "" {
		return serveOptions{}, errors.New("serve: listen address must not be empty")
	}
	if (opts.TLSCert == "") != (opts.TLSKey == "") {
		return serveOptions{}, errors.New("serve: --tls-cert and --tls-key go together")
	}
	if opts.TLSMode == "off" && opts.RequireSecureTransport {
		return serveOptions{}, errors.New("serve: --require-secure-transport needs TLS (--tls off was given)")
	}
	return opts, nil
}

// readConfigFile reads "key = value" lines. Keys are option names, with
// '-' or '_'; later lines win over earlier ones.
func readConfigFile(path string, table []option) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("serve: config file: %w", err)
	}
	known := make(map[string]bool, len(table))
	for _, o := range table {
		known[o.name] = true
	}
	out := make(map[string]string)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			return nil, fmt.Errorf("serve: config file %s:%d: want key = value", path, n)
		}
		key := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(line[:eq])), "_", "-")
		val := strings.TrimSpace(line[eq+1:])
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			val = val[1 : len(val)-1]
		} else if i := strings.Index(val, " #"); i >= 0 {
			val = strings.TrimSpace(val[:i])
		}
		if !known[key] {
			names := make([]string, 0, len(known))
			for k := range known {
				names = append(names, k)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("serve: config file %s:%d: unknown key %q (known: %s)", path, n, key, strings.Join(names, ", "))
		}
		out[key] = val
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("serve: config file: %w", err)
	}
	return out, nil
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

// systemVariables are the global system variables opts sets at start.
func (o serveOptions) systemVariables() map[string]any {
	vars := map[string]any{
		"max_execution_time":        o.MaxExecutionTime,
		"long_query_time":           o.LongQueryTime,
		"quarry_query_memory_limit": o.QueryMemoryLimit,
	}
	// Zero means "not configured" for these (their minimum is above 0).
	if o.WaitTimeout > 0 {
		vars["wait_timeout"] = o.WaitTimeout
	}
	if o.InteractiveTimeout > 0 {
		vars["interactive_timeout"] = o.InteractiveTimeout
	}
	if o.MaxAllowedPacket > 0 {
		vars["max_allowed_packet"] = o.MaxAllowedPacket
	}
	if o.SlowLog != "" {
		vars["slow_query_log"] = int8(1)
		if o.SlowLog != "log" {
			vars["slow_query_log_file"] = o.SlowLog
		}
	}
	if o.GeneralLog != "" {
		vars["general_log"] = int8(1)
		if o.GeneralLog != "log" {
			vars["general_log_file"] = o.GeneralLog
		}
	}
	return vars
}
