package indexes_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/internal/testserver"
)

// BenchmarkSearchBehindSnapshot times searches of a REPEATABLE READ
// transaction whose snapshot is older than the index: another session
// has committed 100 matching rows since. It needs the orders data of
// bench/cmd/search (with its -dir) in QUARRY_SEARCH_BENCH_DIR, and
// leaves it as it was.
func BenchmarkSearchBehindSnapshot(b *testing.B) {
	dir := os.Getenv("QUARRY_SEARCH_BENCH_DIR")
	if dir == "" {
		b.Skip("QUARRY_SEARCH_BENCH_DIR: the data directory of go run ./bench/cmd/search -dir")
	}
	srv := testserver.Start(b, dir)
	db := srv.Open("bench")
	ctx := context.Background()
	a, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	for _, q := range []string{"BEGIN", "SELECT COUNT(*) FROM orders"} {
		if _, err := a.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	const base = 1 << 40
	var vals []string
	for i := range 100 {
		vals = append(vals, fmt.Sprintf("(%d, 1, 1, 'paid', 'toys', 'north', 15000, '2024-07-01', 'black drone tripod %d')", base+i, i))
	}
	if _, err := db.Exec("INSERT INTO orders VALUES " + strings.Join(vals, ", ")); err != nil {
		b.Fatal(err)
	}
	defer func() {
		if _, err := db.Exec("DELETE FROM orders WHERE order_id >= ?", base); err != nil {
			b.Error(err)
		}
	}()
	// The index catches up beyond a's snapshot.
	if _, err := db.Exec("SELECT COUNT(*) FROM orders WHERE MATCH(title) AGAINST('tripod')"); err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct{ name, sql string }{
		{"natural-all-ids", "SELECT order_id FROM orders WHERE MATCH(title) AGAINST('tripod')"},
		{"boolean-count", "SELECT COUNT(*) FROM orders WHERE MATCH(title) AGAINST('+drone +tripod' IN BOOLEAN MODE)"},
		{"top10", "SELECT order_id, MATCH(title) AGAINST('drone tripod') AS s FROM orders WHERE MATCH(title) AGAINST('drone tripod') ORDER BY s DESC LIMIT 10"},
		{"multi-field-ids", "SELECT order_id FROM orders WHERE status = 'paid' AND region = 'north' AND amount_cents BETWEEN 10000 AND 20000 AND created_at >= '2024-06-01' AND created_at < '2024-09-01'"},
		{"multi-field-count", "SELECT COUNT(*) FROM orders WHERE status = 'paid' AND region = 'north' AND amount_cents BETWEEN 10000 AND 20000 AND created_at >= '2024-06-01' AND created_at < '2024-09-01'"},
	} {
		b.Run(q.name, func(b *testing.B) {
			benchQueryRows(b, func() (*sql.Rows, error) { return a.QueryContext(ctx, q.sql) })
		})
	}
	if _, err := a.ExecContext(ctx, "ROLLBACK"); err != nil {
		b.Fatal(err)
	}
}
