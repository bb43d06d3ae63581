package sqlserver

import (
	"context"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"

	"github.com/quarrydb/quarry/storage"
)

// BenchmarkMySQLFixRules measures what the rules intOverflow, timeString,
// warningOrder, readOnlyLink and castInt add to the analysis of a
// statement: "analyze" is GMS's whole analysis (those rules included) of a
// range SELECT with arithmetic, "rules" the five rules alone on its
// analyzed plan. (The point-select, plan-cache and learned DML paths skip
// analysis.)
func BenchmarkMySQLFixRules(b *testing.B) {
	store, err := storage.Open(storage.Options{Dir: b.TempDir(), Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	eng, err := NewEngine(store, EngineOptions{Logger: testLogger(), DisablePlanCache: true})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = CloseEngine(eng)
		_ = store.Close()
	}()
	ses := store.NewSession(sql.NewBaseSessionWithClientServer("localhost", sql.Client{User: "root", Address: "localhost"}, 1))
	ctxFor := func(q string) *sql.Context {
		return sql.NewContext(context.Background(), sql.WithSession(ses), sql.WithQuery(q))
	}
	for _, q := range []string{
		"CREATE DATABASE d",
		"CREATE TABLE d.t (id INT PRIMARY KEY, k INT, c VARCHAR(20), tm TIME, KEY (k))",
	} {
		_, it, _, err := eng.Query(ctxFor(q), q)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sql.RowIterToRows(ctxFor(q), it); err != nil {
			b.Fatal(err)
		}
	}
	const q = "SELECT c, k + 1, CONCAT(c, tm) FROM d.t WHERE k BETWEEN 5 AND 10 AND id * 2 > 3 ORDER BY c LIMIT 10"
	ctx := ctxFor(q)
	analyzed, err := eng.AnalyzeQuery(ctx, q)
	if err != nil {
		b.Fatal(err)
	}
	rules := []analyzer.RuleFunc{intOverflow, timeString, warningOrder, readOnlyLink, castInt}
	b.Run("analyze", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := eng.AnalyzeQuery(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rules", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n := analyzed
			for _, r := range rules {
				if n, _, err = r(ctx, eng.Analyzer, n, (*plan.Scope)(nil), nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
