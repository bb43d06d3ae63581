package conformance

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// SkipMarker starts the line that the conformance tests print (see
// SkipList.OnSkip) when a test is skipped because of an entry of the skip
// list, so that cmd/count can tell Quarry's skips from GMS's own.
const SkipMarker = "QUARRY-SKIP:"

// SkipEntry is one known gap. Match is "exact" (the default: the whole
// query, script name or statement, compared case-insensitively after
// trimming spaces) or "contains" (a case-insensitive substring). Reason is
// required; by convention it starts with "panics:" or "hangs:" for tests
// that cannot run at all because they would take the test binary down.
//
// With Setup set, the entry applies to the harness's setup data instead:
// the statement is dropped from the setup scripts a suite passes to
// Harness.Setup (for example an unsupported index in a shared setup that
// would otherwise fail every test of the suite). Such entries never skip
// a test.
type SkipEntry struct {
	Match  string `json:"match,omitempty"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
	Setup  bool   `json:"setup,omitempty"`
}

// SkipList is the set of queries and script names the harness skips.
// A nil *SkipList skips nothing.
type SkipList struct {
	exact    map[string]SkipEntry
	contains []SkipEntry
	setup    map[string]SkipEntry // Setup entries, exact match

	// OnSkip, if set, is called for every skip decision with the text GMS
	// asked about and the matching entry.
	OnSkip func(query string, e SkipEntry)

	mu   sync.Mutex
	hits map[string]int // by entry text
}

// LoadSkipList reads a JSON array of SkipEntry.
func LoadSkipList(path string) (*SkipList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var entries []SkipEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("conformance: %s: %w", path, err)
	}
	l, err := NewSkipList(entries)
	if err != nil {
		return nil, fmt.Errorf("conformance: %s: %w", path, err)
	}
	return l, nil
}

// NewSkipList builds a skip list; every entry needs a text and a reason.
func NewSkipList(entries []SkipEntry) (*SkipList, error) {
	l := &SkipList{exact: make(map[string]SkipEntry), setup: make(map[string]SkipEntry), hits: make(map[string]int)}
	for i, e := range entries {
		if strings.TrimSpace(e.Text) == "" {
			return nil, fmt.Errorf("skip entry %d has no text", i)
		}
		if strings.TrimSpace(e.Reason) == "" {
			return nil, fmt.Errorf("skip entry %d (%q) has no reason", i, e.Text)
		}
		if e.Setup {
			if e.Match != "" && e.Match != "exact" {
				return nil, fmt.Errorf("skip entry %d (%q): setup entries match exactly", i, e.Text)
			}
			l.setup[normalize(e.Text)] = e
			continue
		}
		switch e.Match {
		case "", "exact":
			key := normalize(e.Text)
			if _, dup := l.exact[key]; dup {
				return nil, fmt.Errorf("skip entry %d (%q) is listed twice", i, e.Text)
			}
			l.exact[key] = e
		case "contains":
			e.Text = strings.ToLower(e.Text)
			l.contains = append(l.contains, e)
		default:
			return nil, fmt.Errorf("skip entry %d (%q): unknown match %q", i, e.Text, e.Match)
		}
	}
	return l, nil
}

func normalize(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Skip reports whether query is on the list.
func (l *SkipList) Skip(query string) bool {
	if l == nil {
		return false
	}
	e, ok := l.lookup(query)
	if !ok {
		return false
	}
	l.mu.Lock()
	l.hits[e.Text]++
	l.mu.Unlock()
	if l.OnSkip != nil {
		l.OnSkip(query, e)
	}
	return true
}

func (l *SkipList) lookup(query string) (SkipEntry, bool) {
	q := normalize(query)
	if e, ok := l.exact[q]; ok {
		return e, true
	}
	for _, e := range l.contains {
		if strings.Contains(q, e.Text) {
			return e, true
		}
	}
	return SkipEntry{}, false
}

// DropSetup reports whether a setup statement is to be left out, and why.
func (l *SkipList) DropSetup(stmt string) (SkipEntry, bool) {
	if l == nil {
		return SkipEntry{}, false
	}
	e, ok := l.setup[normalize(stmt)]
	if ok {
		l.mu.Lock()
		l.hits[e.Text]++
		l.mu.Unlock()
	}
	return e, ok
}

// Unused returns the entries that never matched, to keep the list from
// going stale.
func (l *SkipList) Unused() []SkipEntry {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []SkipEntry
	for _, e := range l.exact {
		if l.hits[e.Text] == 0 {
			out = append(out, e)
		}
	}
	for _, e := range l.contains {
		if l.hits[e.Text] == 0 {
			out = append(out, e)
		}
	}
	for _, e := range l.setup {
		if l.hits[e.Text] == 0 {
			out = append(out, e)
		}
	}
	return out
}

// quietLogger keeps Pebble's and the engine's informational logging out of
// test output; errors still reach stderr.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}
