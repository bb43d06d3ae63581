package main

import (
	"bufio"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"time"
)

// skipMarker must equal conformance.SkipMarker (not imported: importing
// the conformance package would link all of GMS's enginetest into this
// program). TestSkipMarkerInSync in count_test.go keeps them equal.
const skipMarker = "QUARRY-SKIP:"

// event is one line of `go test -json` / test2json output.
type event struct {
	Time    time.Time
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// Counts are leaf-test counts.
type Counts struct {
	Pass    int `json:"pass"`
	Fail    int `json:"fail"`
	GMSSkip int `json:"gms_skip"`
	OurSkip int `json:"our_skip"`
}

func (c Counts) Total() int { return c.Pass + c.Fail + c.GMSSkip + c.OurSkip }

func (c *Counts) add(o Counts) {
	c.Pass += o.Pass
	c.Fail += o.Fail
	c.GMSSkip += o.GMSSkip
	c.OurSkip += o.OurSkip
}

// Failure is one failing leaf with the start of its output.
type Failure struct {
	Test   string `json:"test"`
	Output string `json:"output"`
}

// SuiteResult is the outcome of one top-level test.
type SuiteResult struct {
	Name    string  `json:"name,omitempty"`
	Counts  Counts  `json:"counts"`
	Seconds float64 `json:"seconds"`
	// PartialSkips are non-leaf tests that called t.Skip after some of
	// their subtests ran: the subtests they never reached are not counted.
	PartialSkips []string `json:"partial_skips,omitempty"`
	// Crashes describe test processes that died (panic, timeout); the
	// test that was running is counted as a failure and skipped on the
	// rerun.
	Crashes  []string  `json:"crashes,omitempty"`
	Failures []Failure `json:"failures,omitempty"`
	// OurSkips lists leaves skipped by Quarry's skip list or wiring,
	// with the reason.
	OurSkips []string `json:"our_skips,omitempty"`
}

type testState struct {
	name     string
	action   string // final: pass, fail, skip; "" if it never finished
	output   strings.Builder
	marked   bool // a Quarry skip marker was attributed to it
	reason   string
	started  bool
	children bool
	parent   *testState
	order    int
}

// parseRun reads a test2json stream and returns the per-test states in
// start order.
func parseRun(r io.Reader) ([]*testState, error) {
	states := map[string]*testState{}
	var order []*testState
	get := func(name string) *testState {
		s := states[name]
		if s == nil {
			s = &testState{name: name, order: len(order)}
			states[name] = s
			order = append(order, s)
		}
		return s
	}
	type pendingMarker struct{ reason string }
	var pending []pendingMarker
	var events []event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil {
			continue // not JSON (build output etc.)
		}
		events = append(events, ev)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, ev := range events {
		if ev.Test == "" {
			continue
		}
		s := get(ev.Test)
		switch ev.Action {
		case "run":
			s.started = true
			// Subtest names may contain "/": the parent is the longest
			// proper prefix that is a test which has started.
			for i := len(ev.Test) - 1; i > 0; i-- {
				if ev.Test[i] == '/' {
					if p := states[ev.Test[:i]]; p != nil && p.started {
						p.children = true
						s.parent = p
						break
					}
				}
			}
		case "pass", "fail":
			s.action = ev.Action
		case "skip":
			s.action = "skip"
			// A marker printed by the parent just before it ran this
			// subtest (GMS checks script names before t.Run).
			if !s.marked && len(pending) > 0 {
				s.marked = true
				s.reason = pending[0].reason
				pending = pending[1:]
			}
		case "output":
			out := ev.Output
			if idx := strings.Index(out, skipMarker); idx >= 0 {
				reason := strings.TrimSpace(out[idx+len(skipMarker):])
				if !s.marked && s.action == "" && !s.children {
					s.marked = true
					s.reason = reason
				} else {
					pending = append(pending, pendingMarker{reason: reason})
				}
				continue
			}
			if s.output.Len() < 4000 {
				s.output.WriteString(out)
			}
		}
	}
	return order, nil
}

// summarize turns the states of one suite's run into a SuiteResult.
// crashed lists tests that were running when the process died.
func summarize(name string, states []*testState) SuiteResult {
	res := SuiteResult{Name: name}
	failedBelow := map[*testState]bool{}
	for _, s := range states {
		if s.action == "fail" || s.action == "" {
			for p := s.parent; p != nil; p = p.parent {
				failedBelow[p] = true
			}
		}
	}
	for _, s := range states {
		if !s.started {
			continue
		}
		if !s.children {
			switch s.action {
			case "pass":
				res.Counts.Pass++
			case "fail", "":
				res.Counts.Fail++
				res.Failures = append(res.Failures, Failure{Test: s.name, Output: trimOutput(s.output.String())})
			case "skip":
				if s.marked {
					res.Counts.OurSkip++
					res.OurSkips = append(res.OurSkips, s.name+": "+s.reason)
				} else {
					res.Counts.GMSSkip++
				}
			}
			continue
		}
		switch s.action {
		case "skip":
			res.PartialSkips = append(res.PartialSkips, s.name+": "+lastLine(s.output.String()))
		case "fail", "":
			// A parent failing with no failing subtest: a failure of the
			// suite's own code or of the harness's cleanup (e.g. a store
			// that does not close). Count it as one more failing leaf.
			if !failedBelow[s] {
				res.Counts.Fail++
				res.Failures = append(res.Failures, Failure{Test: s.name + " (itself)", Output: trimOutput(s.output.String())})
			}
		}
	}
	return res
}

// lastLine is the last line of output that is not test framing: for a
// skipped test, the skip message.
func lastLine(s string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		return l
	}
	return ""
}

// trimOutput drops the framing lines and keeps the start of the output.
func trimOutput(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") || t == "" {
			continue
		}
		if b.Len() > 1500 {
			b.WriteString("...\n")
			break
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// sortedSuites returns the results ordered by name.
func sortedSuites(m map[string]SuiteResult) []SuiteResult {
	out := make([]SuiteResult, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
