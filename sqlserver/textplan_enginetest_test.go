package sqlserver

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/enginetest"
	"github.com/dolthub/go-mysql-server/enginetest/queries"
	"github.com/dolthub/go-mysql-server/enginetest/scriptgen/setup"
	"github.com/dolthub/go-mysql-server/sql"
)

// textSide is a server over the enginetest "simple" dataset with one
// text connection; textOff runs it without learned text plans.
type textSide struct {
	ts      *testServer
	conn    *rawStmtConn
	textOff bool
}

func newTextSide(t *testing.T, disableCache, textOff bool) *textSide {
	t.Helper()
	ts := startServer(t, t.TempDir(), EngineOptions{DisablePlanCache: disableCache}, Config{})
	sess := ts.store.NewSession(sql.NewBaseSessionWithClientServer("localhost", sql.Client{User: "root", Address: "localhost"}, 1))
	ctx := sql.NewContext(context.Background(), sql.WithSession(sess))
	var scripts []setup.SetupScript
	for _, group := range setup.SimpleSetup {
		scripts = append(scripts, group...)
	}
	if _, err := enginetest.RunSetupScripts(ctx, ts.eng, scripts, true); err != nil {
		t.Fatalf("setup: %v", err)
	}
	return &textSide{ts: ts, conn: newRawStmtConn(t, ts.addr, "mydb", false), textOff: textOff}
}

// run sends query as text and renders the column names and types, rows,
// error and warning count the client received.
func (s *textSide) run(query string) string {
	textPlansOff.Store(s.textOff)
	defer textPlansOff.Store(false)
	res, warnings, err := s.conn.c.ExecuteFetchWithWarningCount(query, 100000, true)
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for _, f := range res.Fields {
		fmt.Fprintf(&b, "%s %s %d %d|", f.Name, f.Type, f.Flags, f.Decimals)
	}
	for _, r := range res.Rows {
		fmt.Fprintf(&b, "%v\n", r)
	}
	fmt.Fprintf(&b, "warnings: %d", warnings)
	return b.String()
}

// TestTextPlansEnginetestQueries runs every SELECT of GMS's enginetest
// query corpus as text over the wire, with its integer literals as they
// are and shifted by one and by 1000, each text twice, on a server with
// learned text plans and on one without the plan cache (GMS's own path),
// and requires what the client receives to be identical.
func TestTextPlansEnginetestQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus over the wire")
	}
	gms := newTextSide(t, true, true)
	learned := newTextSide(t, false, false)
	before := textPlanRuns.Load()
	compared, skipped := 0, 0
	for _, tt := range queries.QueryTests {
		if !startsWithSelect(tt.Query) || tt.Bindings != nil {
			continue
		}
		texts := []string{tt.Query}
		ctx := sql.NewEmptyContext()
		for _, shift := range []int64{1, 1000} {
			if q, _, ok := rewriteIntegers(ctx, tt.Query, shift, false); ok {
				texts = append(texts, q, tt.Query)
			}
		}
		for _, q := range texts {
			want := gms.run(q)
			if again := gms.run(q); again != want {
				skipped++ // not deterministic (NOW(), RAND(), ...)
				continue
			}
			for round := 0; round < 2; round++ {
				if got := learned.run(q); got != want {
					t.Errorf("round %d: %s\nlearned: %s\nGMS:     %s", round, q, got, want)
					break
				}
			}
			compared++
		}
	}
	runs := textPlanRuns.Load() - before
	t.Logf("compared %d texts (%d nondeterministic skipped); %d executions from learned text plans", compared, skipped, runs)
	if runs < 100 {
		t.Errorf("only %d executions from learned text plans", runs)
	}
}
