package planner_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/quarrydb/quarry/planner"
)

var timeRe = regexp.MustCompile(`time=\S+`)

// TestGolden holds each pushdown decision: the statement, its EXPLAIN
// FORMAT=TREE plan, and the rows it returns (with column types).
//
//	exec: statements, one per line, no output
//	query: rows of the statement, preceded by "name:type" headers
//	explain: EXPLAIN FORMAT=TREE of the statement
//	analyze: EXPLAIN ANALYZE (timings masked)
func TestGolden(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		p := newPair(t, &planner.Config{Workers: 2, PartsPerWorker: 2})
		p.exec("CREATE DATABASE d")
		p.ses.SetCurrentDatabase("d")
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "exec":
				for _, q := range strings.Split(d.Input, "\n") {
					if strings.TrimSpace(q) != "" {
						p.exec(q)
					}
				}
				return ""
			case "query":
				sch, rows, err := p.run(p.on, d.Input)
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				var b strings.Builder
				for i, c := range sch {
					if i > 0 {
						b.WriteString(" | ")
					}
					fmt.Fprintf(&b, "%s:%s", c.Name, c.Type)
				}
				b.WriteString("\n")
				for _, r := range rows {
					for i, v := range r {
						if i > 0 {
							b.WriteString(" | ")
						}
						s, err := sch[i].Type.SQL(p.ctx(), nil, v)
						if err != nil {
							return "error: " + err.Error() + "\n"
						}
						if s.IsNull() {
							b.WriteString("NULL")
						} else {
							b.WriteString(s.ToString())
						}
					}
					b.WriteString("\n")
				}
				// A second run (reading what the first put in the column
				// cache) returns the same rows.
				if _, again, err := p.run(p.on, d.Input); err != nil {
					t.Fatalf("%s: second run: %v", d.Input, err)
				} else if err := sameRows(again, rows); err != nil {
					t.Fatalf("%s: second run differs: %v", d.Input, err)
				}
				// The generic path must return the same rows.
				_, want, werr := p.run(p.off, d.Input)
				if werr != nil {
					t.Fatalf("generic path: %v", werr)
				}
				if err := sameRows(rows, want); err != nil && !d.HasArg("mysql-semantics") {
					t.Fatalf("%s: differs from the generic path: %v", d.Input, err)
				}
				return b.String()
			case "explain", "analyze":
				q := "EXPLAIN FORMAT=TREE " + d.Input
				if d.Cmd == "analyze" {
					q = "EXPLAIN ANALYZE " + d.Input
				}
				_, rows, err := p.run(p.on, q)
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				var b strings.Builder
				for _, r := range rows {
					b.WriteString(timeRe.ReplaceAllString(fmt.Sprint(r[0]), "time=?"))
					b.WriteString("\n")
				}
				return b.String()
			}
			t.Fatalf("unknown command %q", d.Cmd)
			return ""
		})
	})
}
