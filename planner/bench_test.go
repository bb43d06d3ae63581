package planner_test

import (
	"fmt"
	"strings"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql/analyzer"

	"github.com/quarrydb/quarry/bench/orders"
	"github.com/quarrydb/quarry/bench/procstat"
	"github.com/quarrydb/quarry/planner"
	"github.com/quarrydb/quarry/storage"
)

// benchRows is the size of the orders table the pushdown benchmarks
// aggregate; small enough to load in about ten seconds.
const benchRows = 200_000

// BenchmarkAggScan runs the analytics report queries (bench/cmd/analytics)
// over the orders dataset in one worker, with typed scans over the column
// cache ("typed"; the cache is filled by the first iteration), typed
// scans over Pebble rows ("rows") and the generic (boxed) scan, and reports rows aggregated per second and per
// CPU-second (the process's, so it includes GMS's planning and output).
func BenchmarkAggScan(b *testing.B) {
	p := newPairOpts(b, &planner.Config{Workers: 1, PartsPerWorker: 1}, storage.Options{})
	typed := p
	typed.exec("CREATE DATABASE shop")
	typed.ses.SetCurrentDatabase("shop")
	typed.exec(orders.CreateTable)
	g := orders.New(benchRows)
	var sb strings.Builder
	if err := g.WriteInserts(&sb, 1, benchRows, 2000); err != nil { // inclusive
		b.Fatal(err)
	}
	for _, stmt := range strings.Split(sb.String(), ";\n") {
		if stmt != "" {
			typed.exec(stmt)
		}
	}
	// Read from sstables, as a loaded table is, not from the memtable.
	if err := p.store.Flush(); err != nil {
		b.Fatal(err)
	}
	ab := analyzer.NewBuilder(p.store.Provider())
	planner.AddRules(ab, &planner.Config{Workers: 1, PartsPerWorker: 1, GenericScan: true})
	generic := sqle.New(ab.Build(), &sqle.Config{})
	ab = analyzer.NewBuilder(p.store.Provider())
	planner.AddRules(ab, &planner.Config{Workers: 1, PartsPerWorker: 1, NoColumnCache: true})
	rows := sqle.New(ab.Build(), &sqle.Config{})

	queries := []struct{ name, q string }{
		{"sum_avg_by_status", "SELECT status, SUM(amount_cents), AVG(amount_cents) FROM orders GROUP BY status ORDER BY status"},
		{"region_category_top10", "SELECT region, category, SUM(amount_cents) AS s FROM orders GROUP BY region, category ORDER BY s DESC, region, category LIMIT 10"},
		{"revenue_by_month", "SELECT DATE_FORMAT(created_at, '%Y-%m') AS m, SUM(amount_cents) FROM orders WHERE created_at >= '2024-03-01' AND created_at < '2025-03-01' GROUP BY m ORDER BY m"},
		{"distinct_users", "SELECT COUNT(DISTINCT user_id) FROM orders"},
		{"top10_sellers", "SELECT seller_id, SUM(amount_cents) AS s FROM orders GROUP BY seller_id ORDER BY s DESC, seller_id LIMIT 10"},
		{"pk_range_agg", fmt.Sprintf("SELECT COUNT(*), SUM(amount_cents), MAX(created_at) FROM orders WHERE order_id BETWEEN %d AND %d", 0, benchRows)},
	}
	for _, q := range queries {
		for _, m := range []struct {
			name string
			e    *sqle.Engine
		}{{"typed", p.on}, {"rows", rows}, {"generic", generic}} {
			b.Run(q.name+"/"+m.name, func(b *testing.B) {
				cpu0 := procstat.CPU()
				for b.Loop() {
					if _, _, err := p.run(m.e, q.q); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(benchRows)*float64(b.N)/(procstat.CPU()-cpu0).Seconds(), "rows/cpu-s")
			})
		}
	}
}
