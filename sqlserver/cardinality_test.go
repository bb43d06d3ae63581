package sqlserver

import (
	"fmt"
	"strings"
	"testing"
)

// TestCardinalityBeyondScanLimit: an index larger than the scan limit gets
// its distinct counts scaled from the entries read and a unique index's
// whole key the table's row count; read in full, the counts are exact.
func TestCardinalityBeyondScanLimit(t *testing.T) {
	old := cardinalityScanRows
	cardinalityScanRows = 100
	t.Cleanup(func() { cardinalityScanRows = old })
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE u")
	mustExec(t, db, "USE u")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, k INT, u INT, UNIQUE KEY uk (u), KEY kk (k, id))")
	var vals []string
	for i := 0; i < 1000; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d, %d)", i, i%10, 5000-i))
	}
	mustExec(t, db, "INSERT INTO t VALUES "+strings.Join(vals, ","))
	q := "SELECT GROUP_CONCAT(CONCAT(INDEX_NAME, SEQ_IN_INDEX, ':', CARDINALITY) ORDER BY INDEX_NAME, SEQ_IN_INDEX) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'u' AND TABLE_NAME = 't'"
	// kk's first 100 entries hold one k (10 values of 100 rows each):
	// 1 * 1000 / 100 = 10.
	if got, want := queryString(t, db, q), "kk1:10,kk2:1000,PRIMARY1:1000,uk1:1000"; got != want {
		t.Errorf("before ANALYZE: %s, want %s", got, want)
	}
	cardinalityScanRows = 10_000
	if got, want := queryString(t, db, q), "kk1:10,kk2:1000,PRIMARY1:1000,uk1:1000"; got != want {
		t.Errorf("read in full: %s, want %s", got, want)
	}
}
