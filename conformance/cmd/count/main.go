// Command count runs go-mysql-server's enginetest suites against Quarry
// (the tests in ./conformance) and, optionally, against GMS's own memory
// engine, and counts leaf subtests per top-level suite: pass, fail, skipped
// by GMS and skipped by Quarry (the skip list, conformance/skips.json, and
// suites that do not apply). Plan-string suites are reported apart as plan
// parity. With -check it compares Quarry's counts with
// conformance/baseline.json and fails if any suite lost a pass, gained a
// failure or gained a skip of ours (the ratchet); with -update it rewrites
// the baseline.
//
// Every top-level suite runs in its own process (-j at a time). A suite
// whose process panics, hangs (no output for -stall) or runs away with
// memory (-max-rss) has the test that was running counted as a failure and
// is run again without it.
//
// Usage, from the module root:
//
//	go run ./conformance/cmd/count                  # Quarry, engine level
//	go run ./conformance/cmd/count -memory -wire    # also GMS memory, and Quarry over the wire
//	go run ./conformance/cmd/count -check           # CI ratchet
//	go run ./conformance/cmd/count -update          # accept the current counts
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

const (
	conformancePkg = "github.com/quarrydb/quarry/conformance"
	gmsModule      = "github.com/dolthub/go-mysql-server"
)

// planSuites compare plan strings (EXPLAIN output, estimates, join
// choices, statistics) with the memory engine's: plan parity, not
// correctness.
var planSuites = map[string]bool{
	"TestQueryPlans":            true,
	"TestIntegrationQueryPlans": true,
	"TestImdbQueryPlans":        true,
	"TestTpccQueryPlans":        true,
	"TestTpchQueryPlans":        true,
	"TestTpcdsQueryPlans":       true,
	"TestIndexQueryPlans":       true,
	"TestGeneratedColumnPlans":  true,
	"TestSysbenchPlans":         true,
	"TestSpatialIndexPlans":     true,
	"TestJoinPlanning":          true,
	"TestJoinStats":             true,
	"TestStatistics":            true,
	"TestStatisticsPrepared":    true,
	"TestStatisticIndexFilters": true,
	"TestQueryPlanTODOs":        true,
	"TestSingleQueryPlan":       true,
}

type options struct {
	memory, wire, engine bool
	check, update        bool
	baseline             string
	run                  *regexp.Regexp
	jobs                 int
	timeout, stall       time.Duration
	maxRSSMiB            int64
	retries              int
	out, failures        string
	bin, memoryBin       string
	verbose              bool
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "count:", err)
		os.Exit(1)
	}
}

func run() error {
	var o options
	var runPat string
	flag.BoolVar(&o.engine, "engine", true, "run Quarry's conformance tests at the engine level")
	flag.BoolVar(&o.wire, "wire", false, "also run Quarry's conformance tests over the wire (SERVER_ENGINE_TEST=1)")
	flag.BoolVar(&o.memory, "memory", false, "also run GMS's own memory-engine tests (from a writable copy of the module)")
	flag.BoolVar(&o.check, "check", false, "compare with the baseline and fail on any regression (the CI ratchet)")
	flag.BoolVar(&o.update, "update", false, "write the results that were run into the baseline")
	flag.StringVar(&o.baseline, "baseline", "", "baseline file (default conformance/baseline.json)")
	flag.StringVar(&runPat, "run", "", "only run top-level suites matching this regexp")
	flag.IntVar(&o.jobs, "j", runtime.NumCPU(), "test processes at a time")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Minute, "-test.timeout of each suite process")
	flag.DurationVar(&o.stall, "stall", 90*time.Second, "kill a suite process that prints nothing for this long (a hung test)")
	flag.Int64Var(&o.maxRSSMiB, "max-rss", 6144, "kill a suite process whose RSS exceeds this many MiB (0: no limit)")
	flag.IntVar(&o.retries, "retries", 8, "reruns of a suite after crashes, each without the test that crashed")
	flag.StringVar(&o.out, "out", "", "write all results (with failure output) as JSON to this file")
	flag.StringVar(&o.failures, "failures", "", "write every failing test with its output to this text file")
	flag.StringVar(&o.bin, "bin", "", "use this prebuilt conformance test binary (go test -c ./conformance)")
	flag.StringVar(&o.memoryBin, "memory-bin", "", "use this prebuilt GMS enginetest binary (run from a copy of GMS's enginetest directory)")
	flag.BoolVar(&o.verbose, "v", false, "verbose")
	flag.Parse()
	if runPat != "" {
		re, err := regexp.Compile(runPat)
		if err != nil {
			return err
		}
		o.run = re
	}

	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if o.baseline == "" {
		o.baseline = filepath.Join(root, "conformance", "baseline.json")
	}
	base, err := readBaseline(o.baseline)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "quarry-count-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	started := time.Now()
	cur := &Baseline{}
	log := os.Stderr

	if o.engine || o.wire {
		bin := o.bin
		if bin == "" {
			bin = filepath.Join(tmp, "conformance.test")
			fmt.Fprintf(log, "building %s ...\n", conformancePkg)
			t0 := time.Now()
			cmd := exec.Command("go", "test", "-c", "-o", bin, "./conformance")
			cmd.Dir = root
			cmd.Stdout, cmd.Stderr = log, log
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("building the conformance tests: %w", err)
			}
			fmt.Fprintf(log, "built in %s\n", time.Since(t0).Round(time.Second))
		}
		mk := func(label string, wire bool) *runner {
			env := append(withoutEnv(os.Environ(), "SERVER_ENGINE_TEST", "QUARRY_CONFORMANCE"), "QUARRY_CONFORMANCE=1")
			if wire {
				env = append(env, "SERVER_ENGINE_TEST=1")
			}
			return &runner{label: label, bin: bin, dir: filepath.Join(root, "conformance"), env: env,
				pkg: conformancePkg, timeout: o.timeout, stall: o.stall, maxRSS: o.maxRSSMiB << 20,
				retries: o.retries, jobs: o.jobs, verbose: o.verbose, log: log}
		}
		if o.engine {
			r := mk("quarry", false)
			names, err := r.listTests(o.run)
			if err != nil {
				return err
			}
			t0 := time.Now()
			cur.Engine = toSection(r.runAll(names, base.Engine.seconds()), time.Since(t0))
		}
		if o.wire {
			r := mk("quarry-wire", true)
			names, err := r.listTests(o.run)
			if err != nil {
				return err
			}
			t0 := time.Now()
			cur.Wire = toSection(r.runAll(names, base.Wire.seconds()), time.Since(t0))
		}
	}
	if o.memory {
		r, err := memoryRunner(root, tmp, o, log)
		if err != nil {
			return err
		}
		names, err := r.listTests(o.run)
		if err != nil {
			return err
		}
		t0 := time.Now()
		cur.Memory = toSection(r.runAll(names, base.Memory.seconds()), time.Since(t0))
	}

	printTable(os.Stdout, cur, base)
	fmt.Fprintf(os.Stdout, "\nwall time: %s (-j %d)\n", time.Since(started).Round(time.Second), o.jobs)

	if o.out != "" {
		if err := writeJSON(o.out, cur); err != nil {
			return err
		}
	}
	if o.failures != "" {
		if err := writeFailures(o.failures, cur); err != nil {
			return err
		}
	}
	if o.update {
		nb := base.merge(cur, o.run != nil)
		if err := writeBaseline(o.baseline, nb.forFile()); err != nil {
			return err
		}
		fmt.Fprintf(os.Stdout, "baseline written to %s\n", o.baseline)
	}
	if o.check {
		problems, improvements := checkRatchet(base, cur, o.run)
		for _, s := range improvements {
			fmt.Fprintln(os.Stdout, "improved:", s)
		}
		if len(improvements) > 0 {
			fmt.Fprintln(os.Stdout, "(run with -update to raise the baseline)")
		}
		if len(problems) > 0 {
			for _, p := range problems {
				fmt.Fprintln(os.Stdout, "REGRESSION:", p)
			}
			printRegressedFailures(os.Stdout, base, cur)
			return fmt.Errorf("%d suite(s) regressed against %s", len(problems), o.baseline)
		}
		fmt.Fprintln(os.Stdout, "ratchet: no regressions")
	}
	return nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run from inside the quarry module")
	}
	return filepath.Dir(gomod), nil
}

func withoutEnv(env []string, names ...string) []string {
	var out []string
outer:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue outer
			}
		}
		out = append(out, kv)
	}
	return out
}

// memoryRunner prepares GMS's own enginetest binary. The module cache is
// read-only and the tests write files into their directory, so it builds
// from a writable copy of the module (kept in the user cache directory),
// with GMS's own go.mod.
func memoryRunner(root, tmp string, o options, log io.Writer) (*runner, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", gmsModule).Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m %s: %w", gmsModule, err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return nil, fmt.Errorf("go list -m %s: unexpected output %q", gmsModule, out)
	}
	src, version := f[0], f[1]
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = tmp
	}
	copyDir := filepath.Join(cache, "quarry-conformance", "go-mysql-server@"+version)
	if _, err := os.Stat(filepath.Join(copyDir, "go.mod")); err != nil {
		fmt.Fprintf(log, "copying %s to %s ...\n", src, copyDir)
		if err := copyTree(src, copyDir); err != nil {
			return nil, err
		}
	}
	bin := o.memoryBin
	// GMS's own module: drop flags meant for ours (e.g. -modfile).
	env := append(withoutEnv(os.Environ(), "GOFLAGS", "SERVER_ENGINE_TEST"), "GOFLAGS=-mod=mod")
	if bin == "" {
		bin = filepath.Join(tmp, "gms-enginetest.test")
		fmt.Fprintf(log, "building %s/enginetest (memory engine) ...\n", gmsModule)
		t0 := time.Now()
		cmd := exec.Command("go", "test", "-c", "-o", bin, "./enginetest")
		cmd.Dir = copyDir
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("building GMS's enginetest: %w", err)
		}
		fmt.Fprintf(log, "built in %s\n", time.Since(t0).Round(time.Second))
	}
	runEnv := withoutEnv(os.Environ(), "SERVER_ENGINE_TEST")
	return &runner{label: "memory", bin: bin, dir: filepath.Join(copyDir, "enginetest"), env: runEnv,
		pkg: gmsModule + "/enginetest", timeout: o.timeout, stall: o.stall, maxRSS: o.maxRSSMiB << 20,
		retries: o.retries, jobs: o.jobs, verbose: o.verbose, log: log}, nil
}

func copyTree(src, dst string) error {
	return filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// printTable prints one row per suite: Quarry, wire and memory counts.
func printTable(w io.Writer, cur, base *Baseline) {
	names := map[string]bool{}
	for _, s := range []Section{cur.Engine, cur.Wire, cur.Memory} {
		for n := range s.Suites {
			names[n] = true
		}
	}
	var correct, plans []string
	for n := range names {
		if planSuites[n] {
			plans = append(plans, n)
		} else {
			correct = append(correct, n)
		}
	}
	sort.Strings(correct)
	sort.Strings(plans)

	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	header := "suite\t"
	cols := []struct {
		label string
		sec   Section
	}{}
	if cur.Engine.Suites != nil {
		cols = append(cols, struct {
			label string
			sec   Section
		}{"quarry", cur.Engine})
	}
	if cur.Wire.Suites != nil {
		cols = append(cols, struct {
			label string
			sec   Section
		}{"wire", cur.Wire})
	}
	if cur.Memory.Suites != nil {
		cols = append(cols, struct {
			label string
			sec   Section
		}{"memory", cur.Memory})
	}
	for _, c := range cols {
		header += fmt.Sprintf("%s pass\tfail\tgms-skip\tour-skip\t|\t", c.label)
	}
	section := func(title string, list []string) {
		fmt.Fprintf(tw, "== %s\t\n", title)
		fmt.Fprintln(tw, header)
		totals := make([]Counts, len(cols))
		for _, n := range list {
			row := n + "\t"
			for i, c := range cols {
				r, ok := c.sec.Suites[n]
				if !ok {
					row += "-\t-\t-\t-\t|\t"
					continue
				}
				totals[i].add(r.Counts)
				mark := ""
				if len(r.PartialSkips) > 0 {
					mark = "*"
				}
				if len(r.Crashes) > 0 {
					mark += "!"
				}
				row += fmt.Sprintf("%d%s\t%d\t%d\t%d\t|\t", r.Counts.Pass, mark, r.Counts.Fail, r.Counts.GMSSkip, r.Counts.OurSkip)
			}
			fmt.Fprintln(tw, row)
		}
		row := "TOTAL " + title + "\t"
		for _, t := range totals {
			row += fmt.Sprintf("%d\t%d\t%d\t%d\t|\t", t.Pass, t.Fail, t.GMSSkip, t.OurSkip)
		}
		fmt.Fprintln(tw, row)
		fmt.Fprintln(tw, "\t")
	}
	section("correctness", correct)
	section("plan parity", plans)
	tw.Flush()

	fmt.Fprintln(w, "* = partial top-level skip (subtests after the t.Skip are not counted); ! = a test process crashed (see below)")
	for _, c := range cols {
		var total Counts
		for _, r := range c.sec.Suites {
			total.add(r.Counts)
		}
		fmt.Fprintf(w, "%s: %d leaves: %d pass, %d fail, %d skipped by GMS, %d skipped by us; suites run in %.0fs\n",
			c.label, total.Total(), total.Pass, total.Fail, total.GMSSkip, total.OurSkip, c.sec.Seconds)
		for _, r := range sortedSuites(c.sec.Suites) {
			for _, p := range r.PartialSkips {
				fmt.Fprintf(w, "  %s partial skip: %s\n", c.label, p)
			}
			for _, p := range r.Crashes {
				fmt.Fprintf(w, "  %s CRASH: %s\n", c.label, p)
			}
		}
	}
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func writeFailures(path string, cur *Baseline) error {
	var b strings.Builder
	for _, sec := range []struct {
		label string
		s     Section
	}{{"quarry", cur.Engine}, {"wire", cur.Wire}, {"memory", cur.Memory}} {
		for _, r := range sortedSuites(sec.s.Suites) {
			for _, f := range r.Failures {
				fmt.Fprintf(&b, "### [%s] %s\n%s\n", sec.label, f.Test, f.Output)
			}
			for _, s := range r.OurSkips {
				fmt.Fprintf(&b, "### [%s] SKIPPED BY US %s\n\n", sec.label, s)
			}
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// printRegressedFailures prints the failing tests, with the tail of their
// output, of every suite that fails more often than its baseline, so a
// one-off failure in CI can be diagnosed from the log.
func printRegressedFailures(w io.Writer, base, cur *Baseline) {
	const maxOutput = 3000
	for _, sec := range []struct {
		label string
		b, c  Section
	}{{"quarry", base.Engine, cur.Engine}, {"wire", base.Wire, cur.Wire}} {
		for _, r := range sortedSuites(sec.c.Suites) {
			if r.Counts.Fail <= sec.b.Suites[r.Name].Counts.Fail {
				continue
			}
			for _, f := range r.Failures {
				out := f.Output
				if len(out) > maxOutput { // the assertion is at the end
					out = "[...]\n" + out[len(out)-maxOutput:]
				}
				fmt.Fprintf(w, "### [%s] %s\n%s\n", sec.label, f.Test, out)
			}
		}
	}
}
