package planner_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestWire checks the pushdown through the real server: MySQL's result
// types on the wire (DECIMAL for SUM and AVG over exact types), prepared
// statements, the quarry_analytics_pushdown switch, and the memory bound.
func TestWire(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	root := srv.Open("")
	if _, err := root.Exec("CREATE DATABASE shop"); err != nil {
		t.Fatal(err)
	}
	db := srv.Open("shop")
	db.SetMaxOpenConns(1) // session variables below apply to the one connection
	for _, q := range []string{
		"CREATE TABLE orders (id BIGINT PRIMARY KEY, status VARCHAR(16) NOT NULL, qty INT NOT NULL, amount DECIMAL(12,2) NOT NULL)",
		"INSERT INTO orders VALUES (1, 'paid', 2, 10.10), (2, 'paid', 3, 0.20), (3, 'new', 1, 5.00), (4, 'PAID', 5, 1.05)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const q = "SELECT status, SUM(amount), SUM(qty), AVG(qty) FROM orders WHERE id > ? GROUP BY status ORDER BY status"
	want := "new 5.00 1 1.0000|paid 11.35 10 3.3333|"
	check := func(rows *sql.Rows, wantTypes string, wantRows string) {
		t.Helper()
		defer rows.Close()
		cts, err := rows.ColumnTypes()
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, c := range cts {
			types = append(types, c.DatabaseTypeName())
		}
		if got := strings.Join(types, ","); got != wantTypes {
			t.Errorf("column types %s, want %s", got, wantTypes)
		}
		var b strings.Builder
		for rows.Next() {
			var s, a, n, avg string
			if err := rows.Scan(&s, &a, &n, &avg); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %s %s %s|", s, a, n, avg)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if wantRows != "" && b.String() != wantRows {
			t.Errorf("rows %q, want %q", b.String(), wantRows)
		}
	}
	// Rows the scan reads count as rows examined (Innodb_rows_read).
	rowsRead := func() int64 {
		var name string
		var n int64
		if err := db.QueryRow("SHOW GLOBAL STATUS LIKE 'Innodb_rows_read'").Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := rowsRead()
	// Text protocol (the driver interpolates nothing: no args).
	rows, err := db.Query(strings.Replace(q, "?", "0", 1))
	if err != nil {
		t.Fatal(err)
	}
	check(rows, "VARCHAR,DECIMAL,DECIMAL,DECIMAL", want)
	if d := rowsRead() - before; d < 4 {
		t.Errorf("Innodb_rows_read grew by %d over a 4-row pushdown scan", d)
	}
	// Binary protocol: a server-side prepared statement, executed twice.
	stmt, err := db.Prepare(q)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	for i := 0; i < 2; i++ {
		rows, err := stmt.Query(0)
		if err != nil {
			t.Fatal(err)
		}
		check(rows, "VARCHAR,DECIMAL,DECIMAL,DECIMAL", want)
	}
	// Switched off, GMS's generic path answers (with its DOUBLE types).
	if _, err := db.Exec("SET quarry_analytics_pushdown = OFF"); err != nil {
		t.Fatal(err)
	}
	rows, err = db.Query(strings.Replace(q, "?", "0", 1))
	if err != nil {
		t.Fatal(err)
	}
	check(rows, "VARCHAR,DOUBLE,DOUBLE,DOUBLE", "")
	if _, err := db.Exec("SET quarry_analytics_pushdown = ON"); err != nil {
		t.Fatal(err)
	}
	// A group table over the statement's memory bound fails with 3170.
	if _, err := db.Exec("SET quarry_query_memory_limit = 300"); err != nil {
		t.Fatal(err)
	}
	_, err = db.Query("SELECT id, COUNT(*) FROM orders GROUP BY id")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 3170 {
		t.Fatalf("high-cardinality GROUP BY over the memory bound: %v, want error 3170", err)
	}
	if _, err := db.Exec("SET quarry_query_memory_limit = DEFAULT"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM (SELECT id, COUNT(*) FROM orders GROUP BY id) x").Scan(&n); err != nil || n != 4 {
		t.Fatalf("after the bound is lifted: %d, %v", n, err)
	}
}
