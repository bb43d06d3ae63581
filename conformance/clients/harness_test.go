package clients

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarrydb/quarry/internal/testserver"
)

// knownIssuesFile maps "client/check" to the id of a known Quarry bug.
const knownIssuesFile = "known_issues.json"

type knownIssues struct {
	// Issues describes every bug id: root cause, minimal SQL, expected
	// and actual.
	Issues map[string]string `json:"issues"`
	// Known maps "client/check" to an id in Issues.
	Known map[string]string `json:"known"`
}

var loadKnown = sync.OnceValues(func() (*knownIssues, error) {
	b, err := os.ReadFile(knownIssuesFile)
	if err != nil {
		return nil, err
	}
	var k knownIssues
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("%s: %w", knownIssuesFile, err)
	}
	for key, id := range k.Known {
		if _, ok := k.Issues[id]; !ok {
			return nil, fmt.Errorf("%s: %s refers to unknown issue %q", knownIssuesFile, key, id)
		}
	}
	return &k, nil
})

// inCI reports whether missing tools are failures rather than skips.
func inCI() bool { return os.Getenv("CI") == "true" }

// checker turns the checks of one client program into subtests and keeps
// the per-client tally printed at the end.
type checker struct {
	t      *testing.T
	client string
	known  *knownIssues
	seen   map[string]bool

	pass, knownFail, fail, skip int
}

func newChecker(t *testing.T, client string) *checker {
	t.Helper()
	k, err := loadKnown()
	if err != nil {
		t.Fatal(err)
	}
	c := &checker{t: t, client: client, known: k, seen: map[string]bool{}}
	t.Cleanup(c.summary)
	return c
}

// check runs fn as the subtest name and records its outcome.
func (c *checker) check(name string, fn func() error) {
	c.t.Helper()
	c.t.Run(name, func(t *testing.T) {
		c.record(t, name, fn(), "")
	})
}

// report records the outcome of a check that already ran (in a subprocess).
func (c *checker) report(name string, err error, skipReason string) {
	c.t.Helper()
	c.t.Run(name, func(t *testing.T) {
		c.record(t, name, err, skipReason)
	})
}

func (c *checker) record(t *testing.T, name string, err error, skipReason string) {
	t.Helper()
	c.seen[name] = true
	if skipReason != "" {
		c.skip++
		t.Skip(skipReason)
	}
	key := c.client + "/" + name
	id, isKnown := c.known.Known[key]
	switch {
	case err == nil && !isKnown:
		c.pass++
	case err == nil && isKnown:
		c.fail++
		t.Errorf("passes now, but %s lists it as known issue %s: remove %q from the list", knownIssuesFile, id, key)
	case isKnown:
		c.knownFail++
		t.Skipf("known issue %s: %v", id, err)
	default:
		c.fail++
		t.Error(err)
	}
}

func (c *checker) summary() {
	// Known entries for checks that never ran point at a renamed check or
	// a program that stopped early.
	var missing []string
	for key := range c.known.Known {
		if name, ok := strings.CutPrefix(key, c.client+"/"); ok && !c.seen[name] && !c.t.Skipped() {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 && !c.t.Failed() {
		c.t.Errorf("%s lists checks of %s that did not run: %s", knownIssuesFile, c.client, strings.Join(missing, ", "))
	}
	c.t.Logf("CLIENT %-12s pass=%d known=%d fail=%d skip=%d", c.client, c.pass, c.knownFail, c.fail, c.skip)
}

// startServer starts one in-process Quarry server for one client program.
func startServer(t *testing.T) *testserver.Server {
	t.Helper()
	return testserver.Start(t, t.TempDir())
}

// hostPort splits a server's address.
func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

// requireTool returns the path of the first of names found on PATH. When
// none is found the test is skipped, or fails under CI=true.
func requireTool(t *testing.T, what string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	missing(t, fmt.Sprintf("%s not installed (looked for %s); run conformance/clients/setup.sh", what, strings.Join(names, ", ")))
	return ""
}

// missing skips, or fails under CI=true.
func missing(t *testing.T, why string) {
	t.Helper()
	if inCI() {
		t.Fatalf("CI=true: %s", why)
	}
	t.Skip(why)
}

// program is a client program run as a subprocess. It reports on stdout,
// one line per check:
//
//	ok <check>
//	fail <check>: <message>
//	skip <check>: <reason>
//
// and "done" as its last line; any other line is logged.
type program struct {
	client  string
	dir     string // working directory, relative to this package
	argv    []string
	env     []string // extra environment
	timeout time.Duration
}

// runProgram starts a server, runs p against it and reports its checks.
func runProgram(t *testing.T, p program) {
	t.Helper()
	runProgramAt(t, startServer(t).Addr, p)
}

// runProgramAt runs p against the server at addr (host:port) and reports
// its checks.
func runProgramAt(t *testing.T, addr string, p program) {
	t.Helper()
	host, port := hostPort(t, addr)
	c := newChecker(t, p.client)
	if p.timeout == 0 {
		p.timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.argv[0], p.argv[1:]...)
	if p.dir != "" {
		dir, err := filepath.Abs(p.dir)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Dir = dir
	}
	cmd.Env = append(os.Environ(),
		"QUARRY_HOST="+host, "QUARRY_PORT="+port, "QUARRY_USER=root", "QUARRY_PASSWORD=",
		"QUARRY_DB=app_"+strings.ReplaceAll(p.client, "-", "_"),
		"TMPDIR="+t.TempDir())
	cmd.Env = append(cmd.Env, p.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	setProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	runErr := cmd.Run()
	t.Logf("%s ran in %v", p.client, time.Since(start).Round(time.Millisecond))

	done := false
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "done":
			done = true
		case strings.HasPrefix(line, "ok "):
			c.report(strings.TrimSpace(line[3:]), nil, "")
		case strings.HasPrefix(line, "fail "):
			name, msg, _ := strings.Cut(line[5:], ": ")
			c.report(strings.TrimSpace(name), errors.New(msg), "")
		case strings.HasPrefix(line, "skip "):
			name, msg, _ := strings.Cut(line[5:], ": ")
			c.report(strings.TrimSpace(name), nil, "not run: "+msg)
		default:
			t.Log(line)
		}
	}
	if ctx.Err() != nil {
		t.Errorf("%s timed out after %v", p.client, p.timeout)
	}
	if runErr != nil || !done {
		t.Errorf("%s did not finish cleanly (err=%v, done=%v); stderr:\n%s", p.client, runErr, done, tail(stderr.String(), 4000))
	} else if stderr.Len() > 0 && testing.Verbose() {
		t.Logf("stderr:\n%s", tail(stderr.String(), 2000))
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
