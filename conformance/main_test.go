package conformance_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/enginetest"
	"github.com/dolthub/go-mysql-server/sql/variables"

	"github.com/quarrydb/quarry/conformance"
)

// skipListFile lists Quarry's known gaps that cannot even run (panics,
// hangs) or do not apply, each with a reason. Tests that merely fail are
// not listed: they stay failures, counted in baseline.json.
const skipListFile = "skips.json"

// enableEnv must be set for the suites to run at all.
const enableEnv = "QUARRY_CONFORMANCE"

// skips is loaded by TestMain; every harness shares it.
var skips *conformance.SkipList

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if os.Getenv(enableEnv) == "" {
		// The suites take minutes and are not meant for the race-enabled
		// `go test ./...` of CI: cmd/count runs them (and the ratchet).
		fmt.Printf("conformance: skipped; set %s=1 or use go run ./conformance/cmd/count\n", enableEnv)
		return 0
	}
	// sqle.New initialises GMS's status variables; a suite that uses a
	// process list before building any engine (TestConcurrentProcessList)
	// needs them too.
	variables.InitStatusVariables()

	l, err := conformance.LoadSkipList(skipListFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// cmd/count reads this marker from the -json stream to attribute the
	// skip to the skip list rather than to GMS.
	l.OnSkip = func(_ string, e conformance.SkipEntry) {
		if testing.Verbose() {
			fmt.Fprintf(os.Stdout, "%s %s\n", conformance.SkipMarker, oneLine(e.Reason))
		}
	}
	skips = l

	// GMS's LOAD DATA and SELECT ... INTO OUTFILE tests use paths relative
	// to enginetest/ (./testdata/...) and write files into the working
	// directory: run from a scratch directory holding a copy of GMS's
	// testdata.
	work, err := os.MkdirTemp("", "quarry-conformance-wd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(work)
	if err := copyGMSTestdata(filepath.Join(work, "testdata")); err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		return 2
	}
	if err := os.Chdir(work); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return m.Run()
}

// quarrySkip skips the current test for a reason of ours (a known gap or a
// suite that does not apply to Quarry) and marks it for cmd/count.
func quarrySkip(t *testing.T, reason string) {
	t.Helper()
	if testing.Verbose() {
		fmt.Fprintf(os.Stdout, "%s %s\n", conformance.SkipMarker, oneLine(reason))
	}
	t.Skip(reason)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// newHarness is the harness every suite uses, with the shared skip list;
// stores it had to open outside NewEngine are released when t ends.
func newHarness(t *testing.T, name string) *conformance.Harness {
	h := conformance.NewHarness(name, skips)
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("conformance: %v", err)
		}
	})
	return h
}

// copyGMSTestdata copies go-mysql-server's enginetest/testdata into dst.
func copyGMSTestdata(dst string) error {
	dir, err := gmsEnginetestDir()
	if err != nil {
		return err
	}
	src := filepath.Join(dir, "testdata")
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// gmsEnginetestDir finds the enginetest source directory of the
// go-mysql-server module this binary was built with.
func gmsEnginetestDir() (string, error) {
	fn := runtime.FuncForPC(reflect.ValueOf(enginetest.TestQueries).Pointer())
	if fn != nil {
		file, _ := fn.FileLine(fn.Entry())
		if filepath.IsAbs(file) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(file), "testdata")); err == nil {
				return filepath.Dir(file), nil
			}
		}
	}
	// Built with -trimpath: look the module up in the module cache.
	const mod = "github.com/dolthub/go-mysql-server"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", fmt.Errorf("cannot locate %s: no build info", mod)
	}
	for _, d := range bi.Deps {
		if d.Path != mod {
			continue
		}
		if d.Replace != nil {
			d = d.Replace
		}
		cache := os.Getenv("GOMODCACHE")
		if cache == "" {
			gopath := os.Getenv("GOPATH")
			if gopath == "" {
				home, _ := os.UserHomeDir()
				gopath = filepath.Join(home, "go")
			}
			cache = filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "pkg", "mod")
		}
		dir := filepath.Join(cache, d.Path+"@"+d.Version, "enginetest")
		if _, err := os.Stat(dir); err != nil {
			return "", fmt.Errorf("cannot locate %s enginetest sources: %w", mod, err)
		}
		return dir, nil
	}
	return "", fmt.Errorf("cannot locate %s: not a dependency", mod)
}
