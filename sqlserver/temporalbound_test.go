package sqlserver

import (
	"fmt"
	"strings"
	"testing"
)

// TestTemporalBoundsThroughIndex compares DATE, DATETIME and DATETIME(2)
// columns with constants their type cannot hold exactly, through an index
// and without one: the answers must agree (GMS's range builder truncated
// or rounded the constant and missed rows), in SELECT, in UPDATE and
// DELETE, and through prepared statements whose parameters are such
// constants.
func TestTemporalBoundsThroughIndex(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE u")
	mustExec(t, db, "USE u")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, d DATE, dt DATETIME, dt2 DATETIME(2), KEY (d), KEY (dt), KEY (dt2))")
	mustExec(t, db, "CREATE TABLE plain (id INT PRIMARY KEY, d DATE, dt DATETIME, dt2 DATETIME(2))")
	var vals []string
	for i := 1; i <= 40; i++ {
		vals = append(vals, fmt.Sprintf("(%d, '2024-01-%02d', '2024-01-02 10:00:%02d', '2024-01-02 10:00:00.%02d')", i, 1+i%5, i%4, i%4*25))
	}
	vals = append(vals, "(41, NULL, NULL, NULL)")
	mustExec(t, db, "INSERT INTO t VALUES "+strings.Join(vals, ","))
	mustExec(t, db, "INSERT INTO plain SELECT * FROM t")
	conds := []string{
		"d < '2024-01-02 10:00:00'", "d <= '2024-01-02 10:00:00'", "d > '2024-01-02 10:00:00'", "d >= '2024-01-02 10:00:00'",
		"d <> '2024-01-02 10:00:00'", "NOT (d <> '2024-01-02 10:00:00')", "'2024-01-02 10:00:00' > d", "'2024-01-02 10:00:00' <= d",
		"d = '2024-01-02 10:00:00'", "d < '2024-01-02'", "d < '2024-01-02 00:00:00'", "d BETWEEN '2024-01-01 12:00:00' AND '2024-01-03 12:00:00'",
		"dt < '2024-01-02 10:00:01.7'", "dt > '2024-01-02 10:00:01.7'", "dt > '2024-01-02 10:00:01.2'", "dt <> '2024-01-02 10:00:01.7'",
		"dt2 > '2024-01-02 10:00:00.249'", "dt2 < '2024-01-02 10:00:00.251'", "dt2 <= '2024-01-02 10:00:00.5'",
		"d < TIMESTAMP '2024-01-03 00:00:01'", "(d < '2024-01-02 10:00:00') IS NULL",
	}
	q := "SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(id), 0)) FROM %s WHERE "
	for _, cond := range conds {
		got := queryString(t, db, fmt.Sprintf(q, "t")+cond)
		want := queryString(t, db, fmt.Sprintf(q, "plain")+cond)
		if got != want {
			t.Errorf("%s: indexed %s, plain %s", cond, got, want)
		}
	}
	// By hand: rows 1, 5, 6, 10, ... have d = 2024-01-02 or 01-01.
	if got := queryString(t, db, "SELECT COUNT(*) FROM t WHERE d < '2024-01-02 10:00:00'"); got != "16" {
		t.Errorf("COUNT(*) WHERE d < '2024-01-02 10:00:00' = %s, want 16", got)
	}
	// The same values as a comparison's result, NULL included.
	got := queryString(t, db, "SELECT GROUP_CONCAT(CONCAT(id, ':', COALESCE(d < '2024-01-02 10:00:00', 'N'), COALESCE(d <> '2024-01-02 10:00:00', 'N')) ORDER BY id) FROM t WHERE id IN (1, 2, 41)")
	if got != "1:11,2:01,41:NN" {
		t.Errorf("comparison values %s, want 1:11,2:01,41:NN", got)
	}
	// Prepared, parameters bound as strings (binary protocol).
	for _, cond := range []string{"d < ?", "dt > ?", "d <> ?"} {
		for _, arg := range []string{"2024-01-02", "2024-01-02 10:00:00", "2024-01-02 10:00:01.7"} {
			var g, w string
			if err := db.QueryRow(fmt.Sprintf(q, "t")+cond, arg).Scan(&g); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(fmt.Sprintf(q, "plain")+cond, arg).Scan(&w); err != nil {
				t.Fatal(err)
			}
			if g != w {
				t.Errorf("prepared %s with %q: indexed %s, plain %s", cond, arg, g, w)
			}
		}
	}
	// UPDATE and DELETE find the same rows.
	mustExec(t, db, "UPDATE t SET dt2 = NULL WHERE d < '2024-01-02 10:00:00'")
	mustExec(t, db, "UPDATE plain SET dt2 = NULL WHERE d < '2024-01-02 10:00:00'")
	mustExec(t, db, "DELETE FROM t WHERE dt > '2024-01-02 10:00:01.7'")
	mustExec(t, db, "DELETE FROM plain WHERE dt > '2024-01-02 10:00:01.7'")
	all := "SELECT GROUP_CONCAT(CONCAT_WS(',', id, d, dt, dt2) ORDER BY id SEPARATOR ';') FROM "
	if g, w := queryString(t, db, all+"t"), queryString(t, db, all+"plain"); g != w {
		t.Errorf("after UPDATE and DELETE:\nindexed %s\nplain   %s", g, w)
	}
}
