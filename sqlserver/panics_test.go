package sqlserver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestPanicIsAnError: a statement that panics inside GMS's join planner
// gets error 1105 and the connection stays usable.
func TestPanicIsAnError(t *testing.T) {
	db := testserver.Start(t, t.TempDir()).Open("")
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		"CREATE DATABASE pn", "USE pn",
		"CREATE TABLE c (id INT PRIMARY KEY, city VARCHAR(20))",
		"CREATE TABLE p (code VARCHAR(8) PRIMARY KEY, label VARCHAR(30))",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// GMS v0.20.0 panics with "vertex not found" planning this.
	_, err = conn.ExecContext(ctx, "SELECT c1.id FROM c AS c1 WHERE c1.city IN (SELECT p4.label FROM p AS p4 WHERE '2024-01-05' > '2024-09-07') ORDER BY 1 LIMIT 9")
	if err == nil {
		t.Skip("the planner no longer panics on this query; find another")
	}
	if !strings.Contains(err.Error(), "1105") || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("error %v, want 1105 internal error", err)
	}
	var one int
	if err := conn.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("connection after the panic: %v", err)
	}
}
