package sqlserver

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/enginetest"
	"github.com/dolthub/go-mysql-server/enginetest/queries"
	"github.com/dolthub/go-mysql-server/enginetest/scriptgen/setup"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/quarrydb/quarry/storage"
)

// enginetestSide is one engine over the enginetest "simple" dataset.
type enginetestSide struct {
	store *storage.Engine
	eng   *sqle.Engine
	ses   sql.Session
}

func newEnginetestSide(t *testing.T, disableCache bool) *enginetestSide {
	t.Helper()
	store, err := storage.Open(storage.Options{Dir: t.TempDir(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(store, EngineOptions{Logger: testLogger(), DisablePlanCache: disableCache})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = CloseEngine(eng)
		_ = store.Close()
	})
	s := &enginetestSide{store: store, eng: eng}
	s.ses = store.NewSession(sql.NewBaseSessionWithClientServer("localhost", sql.Client{User: "root", Address: "localhost"}, 1))
	var scripts []setup.SetupScript
	for _, group := range setup.SimpleSetup {
		scripts = append(scripts, group...)
	}
	if _, err := enginetest.RunSetupScripts(s.ctx(""), eng, scripts, true); err != nil {
		t.Fatalf("setup: %v", err)
	}
	return s
}

func (s *enginetestSide) ctx(query string) *sql.Context {
	ctx := sql.NewContext(context.Background(), sql.WithSession(s.ses), sql.WithQuery(query))
	if ctx.GetCurrentDatabase() == "" {
		ctx.SetCurrentDatabase("mydb")
	}
	return ctx
}

// run executes query (prepared with binds when binds is non-nil) and
// renders the schema, rows and error.
func (s *enginetestSide) run(query string, binds map[string]sqlparser.Expr) (res string) {
	// Shifted literals reach GMS panics (CONV with base 0); the server
	// recovers them per statement, the test renders them.
	defer func() {
		if p := recover(); p != nil {
			res = fmt.Sprintf("panic: %v", p)
		}
	}()
	ctx := s.ctx(query)
	if binds != nil {
		if _, err := s.eng.PrepareQuery(ctx, query); err != nil {
			return "prepare error: " + err.Error()
		}
	}
	sch, iter, _, err := s.eng.QueryWithBindings(ctx, query, nil, binds, nil)
	if err != nil {
		return "error: " + err.Error()
	}
	rows, err := sql.RowIterToRows(ctx, iter)
	var b strings.Builder
	for _, c := range sch {
		fmt.Fprintf(&b, "%s %s|", c.Name, c.Type)
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "%v\n", r)
	}
	if err != nil {
		b.WriteString("error: " + err.Error())
	}
	fmt.Fprintf(&b, "warnings: %d", ctx.WarningCount())
	return b.String()
}

// parameterize turns every integer literal of a SELECT into a bind
// variable, as a client preparing the statement would, and returns the
// statement and bindings; shift is added to every value. ok is false when
// the statement has no integer literal or does not parse.
func parameterize(ctx *sql.Context, query string, shift int64) (string, map[string]sqlparser.Expr, bool) {
	return rewriteIntegers(ctx, query, shift, true)
}

// rewriteIntegers adds shift to every integer literal of a SELECT and, with
// asBindVars, turns them into bind variables.
func rewriteIntegers(ctx *sql.Context, query string, shift int64, asBindVars bool) (string, map[string]sqlparser.Expr, bool) {
	parsed, err := sqlparser.ParseWithOptions(ctx, query, sql.LoadSqlMode(ctx).ParserOptions())
	if err != nil {
		return "", nil, false
	}
	if _, isSelect := parsed.(*sqlparser.Select); !isSelect {
		return "", nil, false
	}
	binds := map[string]sqlparser.Expr{}
	_ = sqlparser.Walk(func(n sqlparser.SQLNode) (bool, error) {
		v, ok := n.(*sqlparser.SQLVal)
		if !ok || v.Type != sqlparser.IntVal {
			return true, nil
		}
		i, err := strconv.ParseInt(string(v.Val), 10, 64)
		if err != nil {
			return true, nil
		}
		name := fmt.Sprintf("v%d", len(binds)+1)
		binds[name] = sqlparser.NewIntVal([]byte(strconv.FormatInt(i+shift, 10)))
		if asBindVars {
			v.Type = sqlparser.ValArg
			v.Val = []byte(":" + name)
		} else {
			v.Val = []byte(strconv.FormatInt(i+shift, 10))
		}
		return true, nil
	}, parsed)
	if len(binds) == 0 {
		return "", nil, false
	}
	buf := sqlparser.NewTrackedBuffer(nil)
	parsed.Format(buf)
	if !asBindVars {
		binds = nil
	}
	return buf.String(), binds, true
}

// TestPlanCacheEnginetestQueries runs every SELECT of GMS's enginetest
// query corpus on an engine without the plan cache and, twice (cold, then
// cached), on one with it, as text and as a prepared statement with its
// integer literals as parameters (with the original values and shifted by
// one and by a large amount, so cached plans are re-keyed, and as text
// with the literals shifted, which normalizes to one cache key): results,
// schemas, errors and warning counts must be identical.
func TestPlanCacheEnginetestQueries(t *testing.T) {
	uncached := newEnginetestSide(t, true)
	cached := newEnginetestSide(t, false)
	compared, skipped := 0, 0
	check := func(label, query string, binds map[string]sqlparser.Expr) {
		t.Helper()
		want := uncached.run(query, binds)
		if again := uncached.run(query, binds); again != want {
			skipped++ // not deterministic (NOW(), RAND(), ...)
			return
		}
		for round := 0; round < 2; round++ {
			if got := cached.run(query, binds); got != want {
				t.Errorf("%s (round %d): %s %v\ncached:   %s\nuncached: %s", label, round, query, binds, got, want)
				return
			}
		}
		compared++
	}
	for _, tt := range queries.QueryTests {
		if !startsWithSelect(tt.Query) || tt.Bindings != nil {
			continue
		}
		check("text", tt.Query, nil)
		for _, shift := range []int64{1} {
			// Texts differing only in integer literals share a cache entry.
			if q, _, ok := rewriteIntegers(uncached.ctx(tt.Query), tt.Query, shift, false); ok {
				check(fmt.Sprintf("text+%d", shift), q, nil)
			}
		}
		for _, shift := range []int64{0, 1000} {
			if q, binds, ok := parameterize(uncached.ctx(tt.Query), tt.Query, shift); ok {
				check(fmt.Sprintf("prepared+%d", shift), q, binds)
			}
		}
	}
	hits, misses := PlanCacheStats(cached.eng)
	t.Logf("compared %d executions (%d nondeterministic skipped); plan cache %d hits, %d misses", compared, skipped, hits, misses)
	if hits == 0 {
		t.Error("the corpus never hit the plan cache")
	}
}
