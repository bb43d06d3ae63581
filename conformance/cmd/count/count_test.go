package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestSkipMarkerInSync keeps skipMarker equal to conformance.SkipMarker
// without linking GMS's enginetest into this program.
func TestSkipMarkerInSync(t *testing.T) {
	src, err := os.ReadFile("../../skiplist.go")
	if err != nil {
		t.Fatal(err)
	}
	want := `const SkipMarker = "` + skipMarker + `"`
	if !strings.Contains(string(src), want) {
		t.Fatalf("conformance/skiplist.go does not declare %s", want)
	}
}

// stream builds a test2json stream from (action, test, output) triples.
func stream(t *testing.T, evs ...[3]string) string {
	t.Helper()
	var b strings.Builder
	for _, e := range evs {
		data, err := json.Marshal(event{Action: e[0], Test: e[1], Output: e[2]})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestSummarize(t *testing.T) {
	in := stream(t,
		[3]string{"run", "TestS", ""},
		[3]string{"run", "TestS/a", ""},
		[3]string{"pass", "TestS/a", ""},
		// a subtest name with a slash in it
		[3]string{"run", "TestS/select_1/2", ""},
		[3]string{"fail", "TestS/select_1/2", ""},
		// skipped by our skip list: marker inside the test
		[3]string{"run", "TestS/b", ""},
		[3]string{"output", "TestS/b", skipMarker + " hangs: forever\n"},
		[3]string{"skip", "TestS/b", ""},
		// skipped by GMS
		[3]string{"run", "TestS/c", ""},
		[3]string{"skip", "TestS/c", ""},
		// marker printed by the parent before it runs the skipped child
		[3]string{"output", "TestS", skipMarker + " n/a: thing\n"},
		[3]string{"run", "TestS/d", ""},
		[3]string{"skip", "TestS/d", ""},
		// a script whose own cleanup failed although its subtests passed
		[3]string{"run", "TestS/e", ""},
		[3]string{"run", "TestS/e/x", ""},
		[3]string{"pass", "TestS/e/x", ""},
		[3]string{"output", "TestS/e", "leaked iterators\n"},
		[3]string{"fail", "TestS/e", ""},
		[3]string{"fail", "TestS", ""},
	)
	states, err := parseRun(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	res := summarize("TestS", states)
	want := Counts{Pass: 2, Fail: 2, GMSSkip: 1, OurSkip: 2}
	if res.Counts != want {
		t.Fatalf("counts %+v, want %+v", res.Counts, want)
	}
	if len(res.OurSkips) != 2 || !strings.Contains(res.OurSkips[0], "hangs: forever") || !strings.Contains(res.OurSkips[1], "n/a: thing") {
		t.Fatalf("our skips: %q", res.OurSkips)
	}
	if len(res.Failures) != 2 || res.Failures[1].Test != "TestS/e (itself)" {
		t.Fatalf("failures: %+v", res.Failures)
	}
}

func TestPartialSkip(t *testing.T) {
	in := stream(t,
		[3]string{"run", "TestT", ""},
		[3]string{"run", "TestT/a", ""},
		[3]string{"pass", "TestT/a", ""},
		[3]string{"output", "TestT", "    enginetests.go:1: primary key lengths are not stored properly\n"},
		[3]string{"skip", "TestT", ""},
	)
	states, err := parseRun(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	res := summarize("TestT", states)
	if res.Counts != (Counts{Pass: 1}) || len(res.PartialSkips) != 1 {
		t.Fatalf("got %+v", res)
	}
}

func TestSkipPatterns(t *testing.T) {
	states, err := parseRun(strings.NewReader(stream(t,
		[3]string{"run", "TestS", ""},
		[3]string{"run", "TestS/x_1/2", ""},
		[3]string{"run", "TestS/x_1/2/select_(1)", ""},
	)))
	if err != nil {
		t.Fatal(err)
	}
	p := splitTestName("TestS/x_1/2/select_(1)", states)
	if p != `^TestS$/^x_1[/]2$/^select_\(1\)$` {
		t.Fatalf("pattern %q", p)
	}
	if got := crashedTest(states); got != "TestS/x_1/2/select_(1)" {
		t.Fatalf("crashed %q", got)
	}
	merged := skipPattern([]string{`^A$/^b$`, `^A$/^c[/]d$`})
	if merged != `(^A$)/(^b$|^c[/]d$)` {
		t.Fatalf("merged %q", merged)
	}
	for _, part := range splitUnbracketed(merged) {
		if _, err := regexp.Compile(part); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRatchet(t *testing.T) {
	base := &Baseline{Engine: Section{Suites: map[string]SuiteResult{
		"TestA": {Counts: Counts{Pass: 10, Fail: 2}},
		"TestB": {Counts: Counts{Pass: 5}},
		"TestC": {Counts: Counts{Pass: 5}},
	}}}
	cur := &Baseline{Engine: Section{Suites: map[string]SuiteResult{
		"TestA": {Counts: Counts{Pass: 11, Fail: 1}},            // better
		"TestB": {Counts: Counts{Pass: 4, Fail: 1}},             // worse
		"TestD": {Counts: Counts{Pass: 1}},                      // new
		"TestC": {Counts: Counts{Pass: 5, OurSkip: 1}},          // new skip
		"TestE": {Counts: Counts{Pass: 1, Fail: 0, GMSSkip: 3}}, // new
	}}}
	problems, improvements := checkRatchet(base, cur, nil)
	if len(problems) != 3 {
		t.Fatalf("problems: %q", problems)
	}
	if len(improvements) != 3 {
		t.Fatalf("improvements: %q", improvements)
	}
	// a filtered run only checks the suites it ran
	problems, _ = checkRatchet(base, &Baseline{Engine: Section{Suites: map[string]SuiteResult{
		"TestA": {Counts: Counts{Pass: 10, Fail: 2}},
	}}}, regexp.MustCompile("^TestA$"))
	if len(problems) != 0 {
		t.Fatalf("filtered: %q", problems)
	}
}

func TestWriteBaselineRoundTrip(t *testing.T) {
	b := &Baseline{Comment: `a "quoted" comment`, Engine: Section{Seconds: 1.5, Suites: map[string]SuiteResult{
		"TestA": {Counts: Counts{Pass: 1, Fail: 2, GMSSkip: 3, OurSkip: 4}, Seconds: 0.5, Crashes: []string{"TestA/x: panics: boom"}},
		"TestB": {Counts: Counts{Pass: 7}},
	}}}
	path := t.TempDir() + "/b.json"
	if err := writeBaseline(path, b); err != nil {
		t.Fatal(err)
	}
	got, err := readBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Comment != b.Comment || got.Engine.Seconds != 1.5 || got.Engine.Suites["TestA"].Counts != b.Engine.Suites["TestA"].Counts ||
		len(got.Engine.Suites["TestA"].Crashes) != 1 || got.Wire.Suites != nil {
		t.Fatalf("round trip: %+v", got)
	}
}
