//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestServeReexecsUnderSchedtrace checks that `quarry serve` replaced
// itself, same PID and process name, with an image that runs under the
// GODEBUG setting of package schedtune, keeping the rest of the environment.
func TestServeReexecsUnderSchedtrace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a real server")
	}
	if strings.Contains(os.Getenv("GODEBUG"), "schedtrace=") {
		t.Skip("GODEBUG sets schedtrace, which quarry serve keeps as it is")
	}
	t.Setenv("GODEBUG", "madvdontneed=1")
	t.Setenv("QUARRY_E2E_MARKER", "kept")
	cmd, _ := startQuarry(t, t.TempDir())
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	// The server answered, so this is the final image of the started PID.
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(comm)); got != "quarry" {
		t.Errorf("server's process name = %q, want quarry (ps, pgrep)", got)
	}
	env := map[string]string{}
	for _, kv := range bytes.Split(raw, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok {
			env[k] = v
		}
	}
	if got, want := env["GODEBUG"], "madvdontneed=1,schedtrace=2147483647"; got != want {
		t.Errorf("server's GODEBUG = %q, want %q", got, want)
	}
	if got := env["QUARRY_E2E_MARKER"]; got != "kept" {
		t.Errorf("server's QUARRY_E2E_MARKER = %q, want the environment kept", got)
	}
}
