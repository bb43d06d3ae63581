package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"time"
)

// Baseline is the committed record of counts (conformance/baseline.json)
// and also the shape of a run's results.
type Baseline struct {
	Comment string `json:"comment,omitempty"`
	// Engine is Quarry at the engine level: the section the CI ratchet
	// checks.
	Engine Section `json:"engine"`
	// Wire is Quarry over the wire (SERVER_ENGINE_TEST=1).
	Wire Section `json:"wire,omitempty"`
	// Memory is GMS's own memory-engine tests, for comparison only.
	Memory Section `json:"memory,omitempty"`
}

// Section holds the results of one configuration.
type Section struct {
	// Seconds is the wall time of the whole section's run.
	Seconds float64                `json:"seconds,omitempty"`
	Suites  map[string]SuiteResult `json:"suites,omitempty"`
}

func (s Section) seconds() map[string]float64 {
	out := map[string]float64{}
	for n, r := range s.Suites {
		out[n] = r.Seconds
	}
	return out
}

func toSection(m map[string]SuiteResult, wall time.Duration) Section {
	return Section{Seconds: round1(wall.Seconds()), Suites: m}
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func readBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Baseline{}, nil
	}
	if err != nil {
		return nil, err
	}
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &b, nil
}

// merge returns the baseline with the sections (or, with partial, the
// suites) that cur ran replaced.
func (b *Baseline) merge(cur *Baseline, partial bool) *Baseline {
	nb := *b
	mergeSection := func(old, now Section) Section {
		if now.Suites == nil {
			return old
		}
		if !partial {
			return now
		}
		out := Section{Seconds: old.Seconds, Suites: map[string]SuiteResult{}}
		for n, r := range old.Suites {
			out.Suites[n] = r
		}
		for n, r := range now.Suites {
			out.Suites[n] = r
		}
		return out
	}
	nb.Engine = mergeSection(b.Engine, cur.Engine)
	nb.Wire = mergeSection(b.Wire, cur.Wire)
	nb.Memory = mergeSection(b.Memory, cur.Memory)
	if nb.Comment == "" {
		nb.Comment = "Leaf-test counts per top-level suite, written by `go run ./conformance/cmd/count -update` " +
			"(add -wire / -memory to refresh those sections). The CI ratchet (-check) fails when a suite of " +
			"\"engine\" loses a pass, gains a failure or gains a skip of ours."
	}
	return &nb
}

// forFile keeps the counts, timings, crashes and partial skips; failure
// output and skip details stay out of the committed file.
func (b *Baseline) forFile() *Baseline {
	strip := func(s Section) Section {
		if s.Suites == nil {
			return s
		}
		out := Section{Seconds: s.Seconds, Suites: map[string]SuiteResult{}}
		for n, r := range s.Suites {
			out.Suites[n] = SuiteResult{Counts: r.Counts, Seconds: float64(int64(r.Seconds + 0.5)),
				PartialSkips: r.PartialSkips, Crashes: r.Crashes}
		}
		return out
	}
	return &Baseline{Comment: b.Comment, Engine: strip(b.Engine), Wire: strip(b.Wire), Memory: strip(b.Memory)}
}

// checkRatchet compares the engine (and, if run, wire) sections with the
// baseline. A regression is a suite with fewer passes, more failures or
// more skips of ours than recorded, or a recorded suite that did not run.
func checkRatchet(base, cur *Baseline, filter *regexp.Regexp) (problems, improvements []string) {
	check := func(label string, b, c Section) {
		if c.Suites == nil {
			return
		}
		var names []string
		for n := range b.Suites {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			bc := b.Suites[n].Counts
			r, ok := c.Suites[n]
			if !ok {
				if filter == nil || filter.MatchString(n) {
					problems = append(problems, fmt.Sprintf("[%s] %s: in the baseline but did not run", label, n))
				}
				continue
			}
			cc := r.Counts
			if cc.Pass < bc.Pass {
				problems = append(problems, fmt.Sprintf("[%s] %s: pass %d < baseline %d", label, n, cc.Pass, bc.Pass))
			}
			if cc.Fail > bc.Fail {
				problems = append(problems, fmt.Sprintf("[%s] %s: fail %d > baseline %d", label, n, cc.Fail, bc.Fail))
			}
			if cc.OurSkip > bc.OurSkip {
				problems = append(problems, fmt.Sprintf("[%s] %s: skipped by us %d > baseline %d (a new skip hides tests: record it in the baseline deliberately)", label, n, cc.OurSkip, bc.OurSkip))
			}
			if cc.Pass > bc.Pass || cc.Fail < bc.Fail {
				improvements = append(improvements, fmt.Sprintf("[%s] %s: pass %d (baseline %d), fail %d (baseline %d)", label, n, cc.Pass, bc.Pass, cc.Fail, bc.Fail))
			}
		}
		var added []string
		for n := range c.Suites {
			if _, ok := b.Suites[n]; !ok {
				added = append(added, n)
			}
		}
		sort.Strings(added)
		for _, n := range added {
			improvements = append(improvements, fmt.Sprintf("[%s] %s: new suite, not in the baseline", label, n))
		}
	}
	check("engine", base.Engine, cur.Engine)
	if base.Wire.Suites != nil {
		check("wire", base.Wire, cur.Wire)
	}
	return problems, improvements
}

// writeBaseline writes b with one line per suite, so that a change of the
// baseline reads as a one-line diff per suite.
func writeBaseline(path string, b *Baseline) error {
	var buf bytes.Buffer
	comment, err := json.Marshal(b.Comment)
	if err != nil {
		return err
	}
	fmt.Fprintf(&buf, "{\n  \"comment\": %s", comment)
	for _, sec := range []struct {
		name string
		s    Section
	}{{"engine", b.Engine}, {"wire", b.Wire}, {"memory", b.Memory}} {
		if sec.s.Suites == nil {
			continue
		}
		fmt.Fprintf(&buf, ",\n  %q: {\n    \"seconds\": %v,\n    \"suites\": {", sec.name, sec.s.Seconds)
		names := make([]string, 0, len(sec.s.Suites))
		for n := range sec.s.Suites {
			names = append(names, n)
		}
		sort.Strings(names)
		for i, n := range names {
			line, err := json.Marshal(sec.s.Suites[n])
			if err != nil {
				return err
			}
			sep := ","
			if i == len(names)-1 {
				sep = ""
			}
			fmt.Fprintf(&buf, "\n      %q: %s%s", n, line, sep)
		}
		buf.WriteString("\n    }\n  }")
	}
	buf.WriteString("\n}\n")
	// Round-trip check: the file must read back as the same baseline.
	var check Baseline
	if err := json.Unmarshal(buf.Bytes(), &check); err != nil {
		return fmt.Errorf("baseline encoding: %w", err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
