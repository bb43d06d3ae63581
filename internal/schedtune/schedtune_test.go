//go:build unix

package schedtune

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// helperEnv makes the test binary act as a process that calls Reexec.
const helperEnv = "SCHEDTUNE_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		// One "start" line per image: two mean Reexec replaced the process.
		comm, _ := os.ReadFile("/proc/self/comm") // empty where there is no procfs
		fmt.Printf("start pid=%d comm=%q godebug=%q active=%v\n", os.Getpid(), strings.TrimSpace(string(comm)), os.Getenv("GODEBUG"), Active())
		err := Reexec()
		fmt.Printf("returned err=%v\n", err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runHelper runs the test binary, through the path bin, as a helper under
// GODEBUG=godebug (unset if godebug is "-") and returns its "start" lines.
func runHelper(t *testing.T, bin, godebug string) []string {
	t.Helper()
	cmd := exec.Command(bin, "-test.run=^$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GODEBUG=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, helperEnv+"=1")
	if godebug != "-" {
		cmd.Env = append(cmd.Env, "GODEBUG="+godebug)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	var starts []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "start ") {
			starts = append(starts, line)
		}
	}
	if !strings.Contains(string(out), "returned err=<nil>") {
		t.Fatalf("helper did not finish with a nil error:\n%s", out)
	}
	return starts
}

func TestReexec(t *testing.T) {
	for _, tc := range []struct {
		godebug string
		want    []string // GODEBUG of each image's start line
	}{
		{"-", []string{"", setting}},
		{"", []string{"", setting}},
		{"madvdontneed=1", []string{"madvdontneed=1", "madvdontneed=1," + setting}},
		{"noschedtrace=5", []string{"noschedtrace=5", "noschedtrace=5," + setting}},
		// An explicit schedtrace is the operator's choice: no exec.
		{"schedtrace=0", []string{"schedtrace=0"}},
		{"madvdontneed=1,schedtrace=1000000", []string{"madvdontneed=1,schedtrace=1000000"}},
	} {
		t.Run(tc.godebug, func(t *testing.T) {
			starts := runHelper(t, os.Args[0], tc.godebug)
			if len(starts) != len(tc.want) {
				t.Fatalf("images started: %d, want %d:\n%s", len(starts), len(tc.want), strings.Join(starts, "\n"))
			}
			pid, comm := strings.Fields(starts[0])[1], strings.Fields(starts[0])[2]
			for i, line := range starts {
				if got := strings.Fields(line)[1]; got != pid {
					t.Errorf("image %d runs as %s, want the same %s", i, got, pid)
				}
				// ps and pgrep must still find the process by its name.
				if got := strings.Fields(line)[2]; got != comm {
					t.Errorf("image %d is named %s, want the same %s", i, got, comm)
				}
				if want := fmt.Sprintf("godebug=%q", tc.want[i]); !strings.Contains(line, want) {
					t.Errorf("image %d: %s, want %s", i, line, want)
				}
			}
			last := starts[len(starts)-1]
			wantActive := tc.godebug != "schedtrace=0"
			if !strings.HasSuffix(last, fmt.Sprintf("active=%v", wantActive)) {
				t.Errorf("final image: %s, want active=%v", last, wantActive)
			}
		})
	}
}

func TestActive(t *testing.T) {
	for godebug, want := range map[string]bool{
		"":                           false,
		"schedtrace=":                false,
		"schedtrace=x":               false,
		"schedtrace=0":               false,
		"schedtrace=1":               true,
		"schedtrace=0,schedtrace=10": true, // the runtime applies the last entry
		"schedtrace=10,schedtrace=0": false,
		"xschedtrace=10":             false,
		setting:                      true,
	} {
		t.Setenv("GODEBUG", godebug)
		if got := Active(); got != want {
			t.Errorf("GODEBUG=%q: Active() = %v, want %v", godebug, got, want)
		}
	}
}

// TestReexecKeepsSymlinkName: a binary started through a symlink keeps the
// symlink's name across the exec (ps and pgrep show that name).
func TestReexecKeepsSymlinkName(t *testing.T) {
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "qlink")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	starts := runHelper(t, link, "-")
	if len(starts) != 2 {
		t.Fatalf("images started: %d, want 2:\n%s", len(starts), strings.Join(starts, "\n"))
	}
	if _, err := os.Stat("/proc/self/comm"); err != nil {
		t.Skip("no procfs to read process names from")
	}
	for i, line := range starts {
		if name := strings.Fields(line)[2]; name != `comm="qlink"` {
			t.Errorf("image %d is named %s, want qlink", i, name)
		}
	}
}
