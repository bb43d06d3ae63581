package main

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"testing"
)

func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
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
			want: serveOptions{DataDir: "./quarry-data", Listen: "127.0.0.1:3306", LogLevel: slog.LevelInfo, LogFormat: "text"},
		},
		{
			name: "environment",
			env:  fullEnv,
			want: serveOptions{DataDir: "/env/data", Listen: "0.0.0.0:3307", LogLevel: slog.LevelDebug, LogFormat: "json", RootPassword: "envpw"},
		},
		{
			name: "flags win over environment",
			args: []string{"--data-dir", "/flag/data", "--listen=127.0.0.1:0", "--log-level", "error", "--log-format", "text", "--root-password", "flagpw"},
			env:  fullEnv,
			want: serveOptions{DataDir: "/flag/data", Listen: "127.0.0.1:0", LogLevel: slog.LevelError, LogFormat: "text", RootPassword: "flagpw"},
		},
		{
			name: "flags and environment mixed",
			args: []string{"-listen", "[::1]:3306"},
			env:  map[string]string{"QUARRY_LISTEN": "0.0.0.0:1", "QUARRY_LOG_LEVEL": "WARN"},
			want: serveOptions{DataDir: "./quarry-data", Listen: "[::1]:3306", LogLevel: slog.LevelWarn, LogFormat: "text"},
		},
		{
			name: "empty environment variable counts as unset",
			env:  map[string]string{"QUARRY_DATA_DIR": "", "QUARRY_LISTEN": ""},
			want: serveOptions{DataDir: "./quarry-data", Listen: "127.0.0.1:3306", LogLevel: slog.LevelInfo, LogFormat: "text"},
		},
		{
			name: "explicit empty flag beats environment",
			args: []string{"--root-password="},
			env:  map[string]string{"QUARRY_ROOT_PASSWORD": "envpw"},
			want: serveOptions{DataDir: "./quarry-data", Listen: "127.0.0.1:3306", LogLevel: slog.LevelInfo, LogFormat: "text"},
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
