package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/sqlserver"
)

func TestRunCommands(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		wantStdout string
		wantStderr string
	}{
		{args: []string{"version"}, code: 0, wantStdout: "MySQL " + sqlserver.ServerVersion},
		{args: []string{"--version"}, code: 0, wantStdout: "quarry "},
		{args: []string{"help"}, code: 0, wantStdout: "Usage: quarry"},
		{args: nil, code: 2, wantStderr: "Usage: quarry"},
		{args: []string{"frobnicate"}, code: 2, wantStderr: `unknown command "frobnicate"`},
		{args: []string{"serve", "--log-level", "loud"}, code: 2, wantStderr: "invalid log level"},
		{args: []string{"serve", "-h"}, code: 0, wantStderr: "Usage: quarry serve"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(tt.args, &stdout, &stderr, envFunc(nil))
		if code != tt.code {
			t.Errorf("run(%q) = %d, want %d (stderr %q)", tt.args, code, tt.code, stderr.String())
		}
		if !strings.Contains(stdout.String(), tt.wantStdout) {
			t.Errorf("run(%q) stdout = %q, want it to contain %q", tt.args, stdout.String(), tt.wantStdout)
		}
		if !strings.Contains(stderr.String(), tt.wantStderr) {
			t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.args, stderr.String(), tt.wantStderr)
		}
	}
}

func TestServeRefusesNonLoopbackWithoutRootPassword(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var logs bytes.Buffer
	opts := withOpts(func(o *serveOptions) { o.DataDir, o.Listen, o.MetricsListen = dir, "0.0.0.0:0", "" })
	if code := serve(opts, &logs, make(chan os.Signal)); code != 1 {
		t.Fatalf("serve = %d, want 1", code)
	}
	if !strings.Contains(logs.String(), "QUARRY_ROOT_PASSWORD") {
		t.Errorf("log does not explain how to fix it:\n%s", logs.String())
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory was created before the configuration was refused (stat: %v)", err)
	}
}

// logLines forwards JSON log lines from r; the channel closes at EOF.
func logLines(t *testing.T, r io.Reader) <-chan map[string]any {
	ch := make(chan map[string]any, 1000)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"msg": "unparsed: " + sc.Text()}
			}
			select {
			case ch <- m:
			default: // nobody is reading any more
			}
		}
	}()
	return ch
}

// waitForLog returns the first line with message msg, and all lines read.
func waitForLog(t *testing.T, lines <-chan map[string]any, msg string, timeout time.Duration) (map[string]any, []map[string]any) {
	t.Helper()
	var seen []map[string]any
	deadline := time.After(timeout)
	for {
		select {
		case m, ok := <-lines:
			if !ok {
				t.Fatalf("log ended before %q; got %v", msg, seen)
			}
			seen = append(seen, m)
			if m["msg"] == msg {
				return m, seen
			}
		case <-deadline:
			t.Fatalf("no %q log line within %v; got %v", msg, timeout, seen)
		}
	}
}

// checkServer logs in as root and checks the advertised version.
func checkServer(t *testing.T, addr, password string) {
	t.Helper()
	db, err := sql.Open("mysql", "root:"+password+"@tcp("+addr+")/?timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var v string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
		t.Fatalf("SELECT VERSION(): %v", err)
	}
	if v != sqlserver.ServerVersion {
		t.Errorf("VERSION() = %q, want %q", v, sqlserver.ServerVersion)
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS smoke"); err != nil {
		t.Fatalf("CREATE DATABASE: %v", err)
	}
}

func TestServeInProcessGracefulStop(t *testing.T) {
	dir := t.TempDir()
	pr, pw := io.Pipe()
	lines := logLines(t, pr)
	signals := make(chan os.Signal, 2)
	done := make(chan int, 1)
	opts := withOpts(func(o *serveOptions) {
		o.DataDir, o.Listen, o.LogFormat, o.RootPassword, o.MetricsListen = dir, "127.0.0.1:0", "json", "pw", "127.0.0.1:0"
	})
	go func() {
		code := serve(opts, pw, signals)
		pw.Close()
		done <- code
	}()
	listening, _ := waitForLog(t, lines, "quarry listening", 20*time.Second)
	addr, _ := listening["addr"].(string)
	if addr == "" || strings.HasSuffix(addr, ":0") {
		t.Fatalf("listening line has no bound address: %v", listening)
	}
	checkServer(t, addr, "pw")

	signals <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit code = %d, want 0", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not return after SIGTERM")
	}
	stopped, _ := waitForLog(t, lines, "quarry stopped", 5*time.Second)
	if stopped["data_dir"] != dir {
		t.Errorf("stop log data_dir = %v, want %s", stopped["data_dir"], dir)
	}
}

// TestBinarySIGTERM builds the real binary, runs `quarry serve` on a random
// port, finds the port in its JSON log and stops it with SIGTERM.
func TestBinarySIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	bin := filepath.Join(t.TempDir(), "quarry")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	dataDir := filepath.Join(t.TempDir(), "data")
	cmd := exec.CommandContext(ctx, bin, "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json")
	// The flag must win over the environment.
	cmd.Env = append(os.Environ(), "QUARRY_LISTEN=0.0.0.0:1", "QUARRY_LOG_LEVEL=info", "QUARRY_ROOT_PASSWORD=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := logLines(t, stderr)

	listening, _ := waitForLog(t, lines, "quarry listening", 30*time.Second)
	addr, _ := listening["addr"].(string)
	if addr == "" || strings.HasSuffix(addr, ":0") {
		t.Fatalf("listening line has no bound address: %v", listening)
	}
	checkServer(t, addr, "")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_, seen := waitForLog(t, lines, "quarry stopped", 30*time.Second)
	for range lines { // drain until the pipe closes
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("quarry exited with %v; log: %v", err, seen)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	for _, m := range seen {
		if m["level"] == "ERROR" {
			t.Errorf("error logged: %v", m)
		}
	}
}
