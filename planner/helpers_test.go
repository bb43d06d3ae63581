package planner_test

import (
	"context"
	"errors"
	"io"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"

	"github.com/quarrydb/quarry/planner"
	"github.com/quarrydb/quarry/storage"
)

// pair runs statements in one session on two engines over the same
// storage: on has the pushdown rules, off is GMS's plain analyzer.
type pair struct {
	t       testing.TB
	store   *storage.Engine
	on, off *sqle.Engine
	ses     sql.Session
}

func newPair(t testing.TB, cfg *planner.Config) *pair {
	t.Helper()
	// Small column cache segments: scans cover several, and the tests'
	// repeated queries hit the cache.
	return newPairOpts(t, cfg, storage.Options{ColumnSegmentRows: 64})
}

// newPairOpts is newPair over a store opened with opts (Dir is set).
func newPairOpts(t testing.TB, cfg *planner.Config, opts storage.Options) *pair {
	t.Helper()
	opts.Dir = t.TempDir()
	store, err := storage.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	b := analyzer.NewBuilder(store.Provider())
	planner.AddRules(b, cfg)
	on := sqle.New(b.Build(), &sqle.Config{})
	off := sqle.New(analyzer.NewBuilder(store.Provider()).Build(), &sqle.Config{})
	return &pair{t: t, store: store, on: on, off: off, ses: store.NewSession(sql.NewBaseSession())}
}

func (p *pair) run(eng *sqle.Engine, q string) (sql.Schema, []sql.Row, error) {
	ctx := sql.NewContext(context.Background(), sql.WithSession(p.ses), sql.WithQuery(q))
	ctx.SetCurrentDatabase(p.ses.GetCurrentDatabase())
	sch, it, _, err := eng.Query(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	var rows []sql.Row
	for {
		r, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			_ = it.Close(ctx)
			return nil, nil, err
		}
		rows = append(rows, r)
	}
	return sch, rows, it.Close(ctx)
}

func (p *pair) exec(q string) {
	p.t.Helper()
	if _, _, err := p.run(p.on, q); err != nil {
		p.t.Fatalf("%s: %v", q, err)
	}
}

func (p *pair) ctx() *sql.Context {
	return sql.NewContext(context.Background(), sql.WithSession(p.ses))
}
