package sqlserver_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestTemporaryTablesOverTheWire checks that a connection's temporary
// table is invisible to other connections and dropped when the connection
// closes.
func TestTemporaryTablesOverTheWire(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	db := srv.Open("")
	db.SetMaxIdleConns(0) // a released connection is closed, ending its session
	ctx := context.Background()
	if _, err := db.Exec("CREATE DATABASE w"); err != nil {
		t.Fatal(err)
	}
	a, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, q := range []string{"USE w", "CREATE TEMPORARY TABLE tmp (id INT PRIMARY KEY, v INT, KEY (v))", "INSERT INTO tmp VALUES (1, 10), (2, 20)"} {
		if _, err := a.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var n int
	if err := a.QueryRowContext(ctx, "SELECT COUNT(*) FROM tmp WHERE v >= 10").Scan(&n); err != nil || n != 2 {
		t.Fatalf("own temporary table: %d rows, %v", n, err)
	}
	var me *mysql.MySQLError
	if _, err := b.ExecContext(ctx, "SELECT * FROM w.tmp"); !errors.As(err, &me) || me.Number != 1146 {
		t.Errorf("another connection: got %v, want error 1146", err)
	}
	// Statistics are stored by table name: ANALYZE TABLE of a temporary
	// table must not replace those of the permanent table it hides.
	for _, q := range []string{"CREATE TABLE w.t (id INT PRIMARY KEY, v INT, KEY (v))", "INSERT INTO w.t VALUES (1, 1), (2, 2), (3, 3)", "ANALYZE TABLE w.t"} {
		if _, err := b.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	stats := func() string {
		var n int
		q := "SELECT COUNT(*) FROM information_schema.column_statistics WHERE schema_name = 'w' AND table_name = 't'"
		if err := b.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return fmt.Sprint(n)
	}
	before := stats()
	for _, q := range []string{"CREATE TEMPORARY TABLE t (x VARCHAR(10), KEY (x))", "INSERT INTO t VALUES ('a'), ('b')", "ANALYZE TABLE t"} {
		if _, err := a.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if after := stats(); after != before || before == "0" {
		t.Errorf("statistics of the permanent t: %s before, %s after ANALYZE TABLE of the temporary t", before, after)
	}

	if c, err := srv.Store().TemporaryTableCount(); err != nil || c != 2 {
		t.Fatalf("%d temporary tables, %v; want 2", c, err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := srv.Store().TemporaryTableCount()
		if err != nil {
			t.Fatal(err)
		}
		if c == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d temporary tables left after the connection closed", c)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
