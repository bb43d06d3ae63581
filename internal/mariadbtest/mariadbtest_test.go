package mariadbtest

import (
	"context"
	"testing"
)

func TestStartRestart(t *testing.T) {
	s := StartT(t, Options{Binlog: true, ServerID: 7})
	ctx := context.Background()
	if err := s.Exec(ctx, "CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)", "INSERT INTO d.t VALUES (1),(2)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	db, err := s.DB("d")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	var format string
	if err := db.QueryRow("SELECT COUNT(*), @@binlog_format FROM t").Scan(&n, &format); err != nil {
		t.Fatal(err)
	}
	if n != 2 || format != "ROW" {
		t.Fatalf("after restart: count %d format %q, want 2 ROW", n, format)
	}
}
