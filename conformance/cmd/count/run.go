package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// runner runs the top-level tests of one compiled test binary, each in its
// own process, and counts their leaves.
type runner struct {
	label   string   // "quarry", "quarry-wire", "memory"
	bin     string   // test binary
	dir     string   // working directory of the test process
	env     []string // environment of the test process
	pkg     string   // package name for test2json
	timeout time.Duration
	stall   time.Duration
	maxRSS  int64 // bytes; 0 = no limit
	retries int
	jobs    int
	verbose bool
	log     io.Writer
}

// listTests returns the binary's top-level tests matching filter.
func (r *runner) listTests(filter *regexp.Regexp) ([]string, error) {
	cmd := exec.Command(r.bin, "-test.list", ".")
	cmd.Dir = r.dir
	cmd.Env = r.env
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s -test.list: %v\n%s", r.bin, err, errb.String())
	}
	var names []string
	for _, l := range strings.Split(out.String(), "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "Test") {
			continue
		}
		if filter != nil && !filter.MatchString(l) {
			continue
		}
		names = append(names, l)
	}
	return names, nil
}

// runAll runs names with r.jobs processes at a time, longest expected
// first, and returns the results by name.
func (r *runner) runAll(names []string, expected map[string]float64) map[string]SuiteResult {
	order := append([]string(nil), names...)
	sort.SliceStable(order, func(i, j int) bool { return expected[order[i]] > expected[order[j]] })
	results := make(map[string]SuiteResult, len(names))
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	jobs := max(r.jobs, 1)
	var done atomic.Int32
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range work {
				res := r.runSuite(name)
				n := done.Add(1)
				c := res.Counts
				fmt.Fprintf(r.log, "[%s %d/%d] %-50s pass %5d fail %4d gms-skip %4d our-skip %3d  %6.1fs%s\n",
					r.label, n, len(names), name, c.Pass, c.Fail, c.GMSSkip, c.OurSkip, res.Seconds, crashNote(res))
				mu.Lock()
				results[name] = res
				mu.Unlock()
			}
		}()
	}
	for _, n := range order {
		work <- n
	}
	close(work)
	wg.Wait()
	return results
}

func crashNote(r SuiteResult) string {
	if len(r.Crashes) == 0 {
		return ""
	}
	return fmt.Sprintf("  (%d crash(es))", len(r.Crashes))
}

// runSuite runs one top-level test; when its process dies (panic, hang,
// runaway memory) it records the test that was running as a failure and
// runs the suite again without it, up to r.retries times.
func (r *runner) runSuite(name string) SuiteResult {
	start := time.Now()
	var crashed []string // full test names
	var crashes []string
	var res SuiteResult
	for attempt := 0; ; attempt++ {
		states, crash, err := r.runOnce(name, crashed)
		if err != nil {
			res = SuiteResult{Name: name, Counts: Counts{Fail: 1}, Crashes: []string{err.Error()}}
			break
		}
		res = summarize(name, states)
		if crash == "" {
			break
		}
		victim := crashedTest(states)
		if victim == "" {
			victim = name
		}
		crashes = append(crashes, victim+": "+crash)
		if attempt >= r.retries || victim == name {
			break
		}
		crashed = append(crashed, splitTestName(victim, states))
	}
	// The tests skipped on the rerun count as the failures they were.
	for _, c := range crashes {
		victim, reason, _ := strings.Cut(c, ": ")
		if !strings.Contains(strings.Join(failedNames(res), "\n"), victim) {
			res.Counts.Fail++
			res.Failures = append(res.Failures, Failure{Test: victim, Output: "CRASHED: " + reason})
		}
	}
	res.Crashes = crashes
	res.Seconds = time.Since(start).Seconds()
	return res
}

func failedNames(r SuiteResult) []string {
	out := make([]string, len(r.Failures))
	for i, f := range r.Failures {
		out[i] = f.Test
	}
	return out
}

// crashedTest is the test that was running when the process died: the
// last one started that did not pass or skip.
func crashedTest(states []*testState) string {
	for i := len(states) - 1; i >= 0; i-- {
		s := states[i]
		if s.started && (s.action == "" || s.action == "fail") {
			return s.name
		}
	}
	return ""
}

// splitTestName turns a full test name into a -test.skip pattern that
// matches exactly that test. Subtest names may contain "/", so the
// element boundaries come from the tests that actually ran.
func splitTestName(full string, states []*testState) string {
	known := map[string]bool{}
	for _, s := range states {
		known[s.name] = true
	}
	var elems []string
	rest := full
	for {
		// the longest known proper ancestor
		parent := ""
		for i := len(rest) - 1; i > 0; i-- {
			if rest[i] == '/' && known[rest[:i]] {
				parent = rest[:i]
				break
			}
		}
		if parent == "" {
			elems = append([]string{rest}, elems...)
			break
		}
		elems = append([]string{rest[len(parent)+1:]}, elems...)
		rest = parent
	}
	for i, e := range elems {
		q := regexp.QuoteMeta(e)
		q = strings.ReplaceAll(q, "/", "[/]")
		elems[i] = "^" + q + "$"
	}
	return strings.Join(elems, "/")
}

// skipPattern combines exact-test patterns for -test.skip. Go splits the
// pattern by level, so the patterns are merged level by level (this can
// skip more than asked only if two crashed tests share a parent and have
// children with each other's names).
func skipPattern(patterns []string) string {
	if len(patterns) == 1 {
		return patterns[0]
	}
	var levels [][]string
	for _, p := range patterns {
		parts := splitUnbracketed(p)
		for i, part := range parts {
			if i >= len(levels) {
				levels = append(levels, nil)
			}
			levels[i] = append(levels[i], part)
		}
	}
	out := make([]string, len(levels))
	for i, alts := range levels {
		out[i] = "(" + strings.Join(dedupe(alts), "|") + ")"
	}
	return strings.Join(out, "/")
}

func splitUnbracketed(p string) []string {
	var parts []string
	depth, last := 0, 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case '/':
			if depth == 0 {
				parts = append(parts, p[last:i])
				last = i + 1
			}
		}
	}
	return append(parts, p[last:])
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// runOnce runs the suite once. crash is non-empty if the process died or
// had to be killed.
func (r *runner) runOnce(name string, skip []string) (states []*testState, crash string, err error) {
	args := []string{"-test.run", "^" + regexp.QuoteMeta(name) + "$", "-test.v=test2json", "-test.count=1",
		"-test.timeout", r.timeout.String()}
	if len(skip) > 0 {
		args = append(args, "-test.skip", skipPattern(skip))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stdout = pw
	cmd.Stderr = pw

	conv := exec.Command("go", "tool", "test2json", "-t", "-p", r.pkg)
	convIn, err := conv.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	var jsonOut bytes.Buffer
	conv.Stdout = &jsonOut
	conv.Stderr = os.Stderr
	if err := conv.Start(); err != nil {
		return nil, "", fmt.Errorf("go tool test2json: %w", err)
	}
	if err := cmd.Start(); err != nil {
		pw.Close()
		pr.Close()
		_ = convIn.Close()
		_ = conv.Wait()
		return nil, "", err
	}
	pw.Close()

	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	var panicText strings.Builder
	copyDone := make(chan struct{})
	go func() {
		defer close(copyDone)
		br := bufio.NewReaderSize(pr, 1<<16)
		inPanic := false
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				last.Store(time.Now().UnixNano())
				_, _ = convIn.Write(line)
				s := string(line)
				if !inPanic && (strings.HasPrefix(s, "panic: ") || strings.HasPrefix(s, "fatal error: ") || strings.HasPrefix(s, "SIGQUIT: ")) {
					inPanic = true
				}
				if inPanic && panicText.Len() < 8000 {
					panicText.WriteString(s)
				}
			}
			if err != nil {
				break
			}
		}
		pr.Close()
		_ = convIn.Close()
	}()

	var killed atomic.Value // string
	watchDone := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-watchDone:
				return
			case <-t.C:
			}
			reason := ""
			if idle := time.Since(time.Unix(0, last.Load())); r.stall > 0 && idle > r.stall {
				reason = fmt.Sprintf("hung: no test output for %s", r.stall)
			} else if r.maxRSS > 0 {
				if rss := processRSS(cmd.Process.Pid); rss > r.maxRSS {
					reason = fmt.Sprintf("runaway memory: RSS %d MiB > %d MiB", rss>>20, r.maxRSS>>20)
				}
			}
			if reason != "" {
				killed.Store(reason)
				// SIGQUIT makes the Go runtime print every goroutine's
				// stack, which ends up in the failure output.
				_ = cmd.Process.Signal(syscall.SIGQUIT)
				select {
				case <-watchDone:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
				}
				return
			}
		}
	}()
	waitErr := cmd.Wait()
	close(watchDone)
	<-copyDone
	if err := conv.Wait(); err != nil {
		return nil, "", fmt.Errorf("go tool test2json: %w", err)
	}
	states, err = parseRun(&jsonOut)
	if err != nil {
		return nil, "", err
	}
	if k, ok := killed.Load().(string); ok {
		return states, k + stackHint(panicText.String()), nil
	}
	if waitErr != nil && panicText.Len() > 0 {
		return states, panicSummary(panicText.String()), nil
	}
	if waitErr != nil {
		for _, s := range states {
			if s.started && s.action == "" {
				return states, fmt.Sprintf("process exited (%v) while tests were running", waitErr), nil
			}
		}
	}
	return states, "", nil
}

// panicSummary keeps the panic message and the first Quarry frame.
func panicSummary(text string) string {
	lines := strings.Split(text, "\n")
	msg := strings.TrimSpace(lines[0])
	if strings.HasPrefix(msg, "panic: test timed out") {
		return "hung: " + msg
	}
	return "panics: " + msg + stackHint(text)
}

// stackHint returns " at <first quarry function>" from a goroutine dump.
func stackHint(text string) string {
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "github.com/quarrydb/quarry/") && !strings.Contains(l, "/conformance") {
			if i := strings.Index(l, "("); i > 0 {
				l = l[:i]
			}
			return " at " + strings.TrimPrefix(l, "github.com/quarrydb/quarry/")
		}
	}
	return ""
}

// processRSS returns the resident set size of pid in bytes (Linux), or 0.
func processRSS(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
