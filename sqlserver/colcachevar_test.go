package sqlserver

import (
	"strings"
	"testing"
)

// TestColumnCacheSizeVariable: SET GLOBAL quarry_column_cache_size bounds
// the store's column cache (0 turns it off, and aggregations still
// answer).
func TestColumnCacheSizeVariable(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	c := pinned(t, db)
	connExec(t, c, "CREATE DATABASE cc")
	connExec(t, c, "CREATE TABLE cc.t (id INT PRIMARY KEY, g VARCHAR(4), v BIGINT)")
	connExec(t, c, "INSERT INTO cc.t VALUES (1, 'a', 10), (2, 'b', 20), (3, 'a', 30)")
	const q = "SELECT g, SUM(v) FROM cc.t GROUP BY g ORDER BY g"
	run := func() string {
		rows, err := c.QueryContext(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var g, s string
			if err := rows.Scan(&g, &s); err != nil {
				t.Fatal(err)
			}
			got = append(got, g+"="+s)
		}
		return strings.Join(got, ",")
	}
	t.Cleanup(func() { _, _ = db.Exec("SET GLOBAL quarry_column_cache_size = DEFAULT") })
	connExec(t, c, "SET GLOBAL quarry_column_cache_size = 1048576")
	if got := ts.store.ColumnCacheLimit(); got != 1<<20 {
		t.Fatalf("limit %d after SET GLOBAL, want %d", got, 1<<20)
	}
	if got := run(); got != "a=40,b=20" {
		t.Fatalf("got %s", got)
	}
	if ts.store.ColumnCacheUsed() == 0 {
		t.Fatal("the cache holds nothing")
	}
	connExec(t, c, "SET GLOBAL quarry_column_cache_size = 0")
	if got, used := ts.store.ColumnCacheLimit(), ts.store.ColumnCacheUsed(); got != 0 || used != 0 {
		t.Fatalf("cache off: limit %d, used %d", got, used)
	}
	if got := run(); got != "a=40,b=20" {
		t.Fatalf("cache off: got %s", got)
	}
	if ts.store.ColumnCacheUsed() != 0 {
		t.Fatal("cache off, but it holds data")
	}
}
