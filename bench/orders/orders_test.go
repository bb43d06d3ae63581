package orders_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/quarrydb/quarry/bench/orders"
	"github.com/quarrydb/quarry/internal/testserver"
)

func TestRowIsDeterministicAndInRange(t *testing.T) {
	g := orders.New(10_000)
	statuses := map[string]bool{}
	zh := 0
	var prev time.Time
	for i := int64(1); i <= g.Rows; i++ {
		a, b := g.Row(i), g.Row(i)
		if a != b {
			t.Fatalf("row %d differs between calls: %+v vs %+v", i, a, b)
		}
		if a.OrderID != i || a.UserID < 1 || a.UserID > g.Rows/10 || a.SellerID < 1 || a.SellerID > 5000 {
			t.Fatalf("row %d out of range: %+v", i, a)
		}
		if a.AmountCents < 99 || a.AmountCents > 5_000_000 {
			t.Fatalf("row %d amount %d", i, a.AmountCents)
		}
		if a.CreatedAt.Before(orders.Epoch) || a.CreatedAt.After(orders.Epoch.Add(orders.Span+time.Hour)) {
			t.Fatalf("row %d created_at %v", i, a.CreatedAt)
		}
		// created_at grows with order_id up to the one-hour jitter.
		if a.CreatedAt.Before(prev.Add(-time.Hour)) {
			t.Fatalf("row %d created_at %v before previous %v by more than the jitter", i, a.CreatedAt, prev)
		}
		prev = a.CreatedAt
		if !utf8.ValidString(a.Title) || len(a.Title) > 255 {
			t.Fatalf("row %d title %q", i, a.Title)
		}
		if utf8.RuneCountInString(a.Title) != len(a.Title) {
			zh++
		}
		statuses[a.Status] = true
	}
	if len(statuses) != len(orders.Statuses) {
		t.Errorf("statuses seen %v, want all of %v", statuses, orders.Statuses)
	}
	if zh < 3000 || zh > 5000 {
		t.Errorf("%d of 10000 titles contain Chinese, want roughly 1/3 to 1/2", zh)
	}
	if (orders.Gen{Seed: 2, Rows: 10}).Row(1) == g.Row(1) {
		t.Error("seed does not change the data")
	}
}

func TestCreateTableWith(t *testing.T) {
	got := orders.CreateTableWith("KEY idx_user (user_id)")
	if !strings.HasSuffix(got, "PRIMARY KEY (order_id),\n  KEY idx_user (user_id)\n)") {
		t.Fatalf("CreateTableWith:\n%s", got)
	}
}

func TestLoadAndWritersAgree(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	db, err := sql.Open("mysql", srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"CREATE DATABASE shop", "USE shop", orders.CreateTableWith("KEY idx_user (user_id)")} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	g := orders.New(2500)
	db.SetMaxOpenConns(1) // USE applies to the one connection
	var last int64
	if err := g.Load(context.Background(), db, 300, 1, func(n int64) { last = n }); err != nil {
		t.Fatal(err)
	}
	if last != g.Rows {
		t.Fatalf("progress ended at %d, want %d", last, g.Rows)
	}
	// Summed here, not with SUM(): the sum is checked exactly, whatever type
	// the server gives SUM.
	var n, sum int64
	rows, err := db.Query("SELECT amount_cents FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a int64
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		n, sum = n+1, sum+a
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var want int64
	for i := int64(1); i <= g.Rows; i++ {
		want += g.Row(i).AmountCents
	}
	if n != g.Rows || sum != want {
		t.Fatalf("loaded %d rows summing %d, want %d summing %d", n, sum, g.Rows, want)
	}
	var title string
	var created time.Time
	if err := db.QueryRow("SELECT title, created_at FROM orders WHERE order_id = 1234").Scan(&title, &created); err != nil {
		t.Fatal(err)
	}
	if o := g.Row(1234); title != o.Title || !created.Equal(o.CreatedAt) {
		t.Fatalf("row 1234 = %q %v, want %q %v", title, created, o.Title, o.CreatedAt)
	}
	var sb strings.Builder
	if err := g.WriteInserts(&sb, 1, 5, 2); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(sb.String(), "INSERT INTO `orders` VALUES "); got != 3 {
		t.Fatalf("WriteInserts made %d statements for 5 rows in batches of 2:\n%s", got, sb.String())
	}
	sb.Reset()
	if err := g.WriteCSV(&sb, 1, 3); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSuffix(sb.String(), "\n"), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "1,") {
		t.Fatalf("WriteCSV:\n%s", sb.String())
	}
}
