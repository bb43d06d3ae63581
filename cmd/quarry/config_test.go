package main

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// withOpts returns the default options changed by edit.
func withOpts(edit func(o *serveOptions)) serveOptions {
	o := defaultServeOptions()
	edit(&o)
	return o
}

func TestParseServeArgsPrecedence(t *testing.T) {
	fullEnv := map[string]string{
		"QUARRY_DATA_DIR":      "/env/data",
		"QUARRY_LISTEN":        "0.0.0.0:3307",
		"QUARRY_LOG_LEVEL":     "debug",
		"QUARRY_LOG_FORMAT":    "json",
		"QUARRY_ROOT_PASSWORD": "envpw",
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want serveOptions
	}{
		{
			name: "defaults",
			want: withOpts(func(o *serveOptions) {
				o.DataDir = "./quarry-data"
				o.Listen = "127.0.0.1:3306"
				o.LogLevel = slog.LevelInfo
				o.LogFormat = "text"
			}),
		},
		{
			name: "environment",
			env:  fullEnv,
			want: withOpts(func(o *serveOptions) {
				o.DataDir = "/env/data"
				o.Listen = "0.0.0.0:3307"
				o.LogLevel = slog.LevelDebug
				o.LogFormat = "json"
				o.RootPassword = "envpw"
			}),
		},
		{
			name: "flags win over environment",
			args: []string{"--data-dir", "/flag/data", "--listen=127.0.0.1:0", "--log-level", "error", "--log-format", "text", "--root-password", "flagpw"},
			env:  fullEnv,
			want: withOpts(func(o *serveOptions) {
				o.DataDir = "/flag/data"
				o.Listen = "127.0.0.1:0"
				o.LogLevel = slog.LevelError
				o.LogFormat = "text"
				o.RootPassword = "flagpw"
			}),
		},
		{
			name: "flags and environment mixed",
			args: []string{"-listen", "[::1]:3306"},
			env:  map[string]string{"QUARRY_LISTEN": "0.0.0.0:1", "QUARRY_LOG_LEVEL": "WARN"},
			want: withOpts(func(o *serveOptions) {
				o.DataDir = "./quarry-data"
				o.Listen = "[::1]:3306"
				o.LogLevel = slog.LevelWarn
				o.LogFormat = "text"
			}),
		},
		{
			name: "empty environment variable counts as unset",
			env:  map[string]string{"QUARRY_DATA_DIR": "", "QUARRY_LISTEN": ""},
			want: withOpts(func(o *serveOptions) {
				o.DataDir = "./quarry-data"
				o.Listen = "127.0.0.1:3306"
				o.LogLevel = slog.LevelInfo
				o.LogFormat = "text"
			}),
		},
		{
			name: "explicit empty flag beats environment",
			args: []string{"--root-password="},
			env:  map[string]string{"QUARRY_ROOT_PASSWORD": "envpw"},
			want: withOpts(func(o *serveOptions) {
				o.DataDir = "./quarry-data"
				o.Listen = "127.0.0.1:3306"
				o.LogLevel = slog.LevelInfo
				o.LogFormat = "text"
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := parseServeArgs(tt.args, envFunc(tt.env), &out)
			if err != nil {
				t.Fatalf("parseServeArgs: %v (output %q)", err, out.String())
			}
			if got != tt.want {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseServeArgsErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "bad level flag", args: []string{"--log-level", "verbose"}, wantErr: "invalid log level"},
		{name: "bad level env", env: map[string]string{"QUARRY_LOG_LEVEL": "trace"}, wantErr: "invalid log level"},
		{name: "bad format", args: []string{"--log-format", "xml"}, wantErr: "invalid log format"},
		{name: "unknown flag", args: []string{"--port", "3306"}, wantErr: "flag provided but not defined"},
		{name: "positional argument", args: []string{"extra"}, wantErr: "unexpected argument"},
		{name: "empty data dir", args: []string{"--data-dir", ""}, wantErr: "data directory"},
		{name: "empty listen", args: []string{"--listen="}, wantErr: "listen address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := parseServeArgs(tt.args, envFunc(tt.env), &out)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestServeHelpDoesNotShowEnvironmentValues(t *testing.T) {
	var out bytes.Buffer
	_, err := parseServeArgs([]string{"-h"}, envFunc(map[string]string{"QUARRY_ROOT_PASSWORD": "topsecret"}), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	help := out.String()
	if strings.Contains(help, "topsecret") {
		t.Fatalf("help output leaks the root password:\n%s", help)
	}
	for _, want := range []string{"-data-dir", "QUARRY_DATA_DIR", "-listen", "QUARRY_LISTEN", "-root-password", "QUARRY_ROOT_PASSWORD", "-log-level", "-log-format"} {
		if !strings.Contains(help, want) {
			t.Errorf("help output lacks %q:\n%s", want, help)
		}
	}
}

func TestParseLogLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo, "INFO": slog.LevelInfo,
		"warn": slog.LevelWarn, "warning": slog.LevelWarn, "error": slog.LevelError,
	} {
		got, err := parseLogLevel(in)
		if err != nil || got != want {
			t.Errorf("parseLogLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestConfigFilePrecedence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "quarry.conf")
	conf := `# Quarry settings
data_dir = /file/data
listen = "127.0.0.1:4000"
max-connections = 300
long-query-time = 0.5
slow-log = /var/log/quarry-slow.log   # MySQL format
metrics-listen =
root-password = 'file pw'
query-memory-limit = 256M
require-secure-transport = on
`
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"QUARRY_LISTEN": "127.0.0.1:5000", "QUARRY_MAX_CONNECTIONS": "400"}

	var out bytes.Buffer
	got, err := parseServeArgs([]string{"--config", path, "--max-connections", "500"}, envFunc(env), &out)
	if err != nil {
		t.Fatal(err)
	}
	want := withOpts(func(o *serveOptions) {
		o.ConfigFile = path
		o.DataDir = "/file/data"    // file
		o.Listen = "127.0.0.1:5000" // env beats file
		o.MaxConnections = 500      // flag beats env and file
		o.LongQueryTime = 0.5       // file
		o.SlowLog = "/var/log/quarry-slow.log"
		o.MetricsListen = "" // an empty value in the file is a value
		o.MetricsListenIsDefault = false
		o.RootPassword = "file pw"
		o.QueryMemoryLimit = 256 << 20
		o.RequireSecureTransport = true
	})
	if got != want {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}

	// QUARRY_CONFIG names the file when --config is absent.
	env["QUARRY_CONFIG"] = path
	got, err = parseServeArgs(nil, envFunc(env), &out)
	if err != nil {
		t.Fatal(err)
	}
	if got.DataDir != "/file/data" || got.MaxConnections != 400 {
		t.Errorf("with QUARRY_CONFIG: %+v", got)
	}

	for name, c := range map[string]struct{ conf, wantErr string }{
		"unknown key": {"max_connectionz = 3\n", `unknown key "max-connectionz"`},
		"no equals":   {"listen 127.0.0.1:1\n", "want key = value"},
		"bad value":   {"max-connections = many\n", "max-connections (from config file"},
		"bad size":    {"query-memory-limit = 12X\n", "invalid size"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(p, []byte(c.conf), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := parseServeArgs([]string{"--config", p}, envFunc(nil), &out)
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: err = %v, want %q", name, err, c.wantErr)
		}
	}
	if _, err := parseServeArgs([]string{"--config", filepath.Join(dir, "missing")}, envFunc(nil), &out); err == nil {
		t.Error("missing config file accepted")
	}
	if _, err := parseServeArgs([]string{"--tls", "off", "--require-secure-transport"}, envFunc(nil), &out); err == nil {
		t.Error("require-secure-transport without TLS accepted")
	}
	if _, err := parseServeArgs([]string{"--tls-cert", "/c.pem"}, envFunc(nil), &out); err == nil {
		t.Error("a certificate without a key accepted")
	}
}

func TestServeHelpIsComplete(t *testing.T) {
	var out bytes.Buffer
	code := run([]string{"serve", "--help"}, &out, &out, envFunc(nil))
	if code != 0 {
		t.Fatalf("serve --help: exit %d", code)
	}
	help := out.String()
	for _, o := range serveOptionTable() {
		for _, want := range []string{"-" + o.name, o.env} {
			if !strings.Contains(help, want) {
				t.Errorf("help lacks %s", want)
			}
		}
	}
	for _, want := range []string{"-config", "QUARRY_CONFIG", "flag", "environment variable", "config file", "default",
		"default 127.0.0.1:9104", "1040", "3024", "3170"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	for _, cmd := range []string{"backup", "restore"} {
		out.Reset()
		if code := run([]string{cmd, "-h"}, &out, &out, envFunc(nil)); code != 0 || !strings.Contains(out.String(), "Usage: quarry "+cmd) {
			t.Errorf("%s -h: exit %d\n%s", cmd, code, out.String())
		}
	}
}

func TestSystemVariablesFromOptions(t *testing.T) {
	o := withOpts(func(o *serveOptions) { o.SlowLog = "/tmp/slow.log"; o.GeneralLog = "log"; o.MaxExecutionTime = 2000 })
	v := o.systemVariables()
	for k, want := range map[string]any{
		"slow_query_log": int8(1), "slow_query_log_file": "/tmp/slow.log", "general_log": int8(1),
		"max_execution_time": int64(2000), "wait_timeout": int64(28800), "long_query_time": float64(10),
		"quarry_query_memory_limit": int64(1 << 30), "max_allowed_packet": int64(64 << 20),
	} {
		if v[k] != want {
			t.Errorf("%s = %v (%T), want %v", k, v[k], v[k], want)
		}
	}
	if _, ok := v["general_log_file"]; ok {
		t.Error("general_log_file set for the server log")
	}
}
