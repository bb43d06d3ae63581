package indexes_test

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"testing"

	"github.com/quarrydb/quarry/bench/orders"
	"github.com/quarrydb/quarry/internal/testserver"
)

// BenchmarkSearchFetch times searches that return or count many hits over
// the orders dataset (QUARRY_SEARCH_BENCH_ROWS rows, default 100000):
// the per-hit cost of fetching and verifying rows.
func BenchmarkSearchFetch(b *testing.B) {
	n := int64(100000)
	if s := os.Getenv("QUARRY_SEARCH_BENCH_ROWS"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		n = v
	}
	// QUARRY_SEARCH_BENCH_DIR keeps the loaded data between runs (so a
	// CPU profile shows the searches, not the load).
	dir := os.Getenv("QUARRY_SEARCH_BENCH_DIR")
	fresh := dir == ""
	if fresh {
		dir = b.TempDir()
	} else if _, err := os.Stat(dir); err != nil {
		fresh = true
	}
	srv := testserver.Start(b, dir)
	db := srv.Open("")
	if fresh {
		ctx := context.Background()
		for _, q := range []string{"CREATE DATABASE bench", "USE bench", orders.CreateTable} {
			if _, err := db.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		db = srv.Open("bench")
		if err := orders.New(n).Load(ctx, db, 1000, 2, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec("CREATE FULLTEXT INDEX ft_title ON orders(title) COMMENT 'analyzer=cjk'"); err != nil {
			b.Fatal(err)
		}
	}
	db = srv.Open("bench")
	for _, q := range []struct{ name, sql string }{
		{"natural-all-ids", "SELECT order_id FROM orders WHERE MATCH(title) AGAINST('tripod')"},
		{"boolean-prefix-count", "SELECT COUNT(*) FROM orders WHERE MATCH(title) AGAINST('trip*' IN BOOLEAN MODE)"},
		{"top10", "SELECT order_id, MATCH(title) AGAINST('drone tripod') AS s FROM orders WHERE MATCH(title) AGAINST('drone tripod') ORDER BY s DESC LIMIT 10"},
	} {
		b.Run(q.name, func(b *testing.B) {
			benchQueryRows(b, func() (*sql.Rows, error) { return db.Query(q.sql) })
		})
	}
}

// benchQueryRows runs query once per iteration, reading every row, and
// reports the rows one run returns.
func benchQueryRows(b *testing.B, query func() (*sql.Rows, error)) {
	rowsPer := 0
	for b.Loop() {
		rows, err := query()
		if err != nil {
			b.Fatal(err)
		}
		c := 0
		for rows.Next() {
			c++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		rowsPer = c
	}
	b.ReportMetric(float64(rowsPer), "rows/op")
}
