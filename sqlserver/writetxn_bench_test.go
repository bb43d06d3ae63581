package sqlserver

import (
	"fmt"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/bench/procstat"
)

// BenchmarkPreparedWriteTxn: one op is sysbench oltp_write_only's
// transaction over the wire with prepared statements (BEGIN, UPDATE of an
// indexed column, UPDATE of a non-indexed one, DELETE and INSERT of a row
// by primary key, COMMIT) on one connection, with the learned paths and
// through GMS. cpu-ns/op is the process's CPU time (server and client,
// including the WAL sync) per transaction.
func BenchmarkPreparedWriteTxn(b *testing.B) {
	const rows = 1000
	benchPaths(b, func(b *testing.B, eopts EngineOptions) {
		r := startSbtest(b, eopts, rows)
		begin, commit := r.prepare("BEGIN"), r.prepare("COMMIT")
		updK := r.prepare("UPDATE sbtest1 SET k=k+1 WHERE id=?")
		updC := r.prepare("UPDATE sbtest1 SET c=? WHERE id=?")
		del := r.prepare("DELETE FROM sbtest1 WHERE id=?")
		ins := r.prepare("INSERT INTO sbtest1 (id, k, c, pad) VALUES (?, ?, ?, ?)")
		// c changes with every statement, as sysbench's random c does
		// (an UPDATE setting the value a row already has writes nothing).
		cvals := make([]string, 64)
		for j := range cvals {
			cvals[j] = fmt.Sprintf("%02d-%s", j, strings.Repeat("x", 116))
		}
		pad := strings.Repeat("y", 59)
		check := func(res string) {
			if !strings.HasPrefix(res, "ok ") {
				b.Fatal(res)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := procstat.CPU()
		for i := 0; i < b.N; i++ {
			id := i*31%rows + 1
			check(r.exec(begin))
			check(r.exec(updK, id))
			check(r.exec(updC, cvals[i%len(cvals)], (id+7)%rows+1))
			check(r.exec(del, id))
			check(r.exec(ins, id, i, cvals[(i+1)%len(cvals)], pad))
			check(r.exec(commit))
		}
		b.ReportMetric(float64(procstat.CPU()-cpu0)/float64(b.N), "cpu-ns/op")
	})
}

// startSbtest starts a server with sysbench's table sbtest.sbtest1 (rows
// rows, k = id*7 mod rows, c and pad filled) and returns a raw connection
// to database sbtest.
func startSbtest(b *testing.B, eopts EngineOptions, rows int) *rawStmtConn {
	ts := startServer(b, b.TempDir(), eopts, Config{})
	root := mustConnect(b, "root", "", ts.addr)
	root.SetMaxOpenConns(1)
	mustExec(b, root, "CREATE DATABASE sbtest")
	mustExec(b, root, "CREATE TABLE sbtest.sbtest1 (id INT NOT NULL AUTO_INCREMENT, k INT NOT NULL DEFAULT 0, "+
		"c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '', PRIMARY KEY (id), KEY k_1 (k))")
	var vals []string
	for i := 1; i <= rows; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d, '%s', '%s')", i, i*7%rows, strings.Repeat("c", 119), strings.Repeat("p", 59)))
	}
	mustExec(b, root, "INSERT INTO sbtest.sbtest1 (id, k, c, pad) VALUES "+strings.Join(vals, ","))
	return newRawStmtConn(b, ts.addr, "sbtest", false)
}

// BenchmarkPreparedPointSelect: one op is sysbench oltp_point_select's
// statement over the wire (a prepared SELECT c by primary key, autocommit)
// on one connection, with the learned path and through GMS. cpu-ns/op is
// the process's CPU time (server and client) per statement.
func BenchmarkPreparedPointSelect(b *testing.B) {
	const rows = 1000
	benchPaths(b, func(b *testing.B, eopts EngineOptions) {
		r := startSbtest(b, eopts, rows)
		sel := r.prepare("SELECT c FROM sbtest1 WHERE id=?")
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := procstat.CPU()
		for i := 0; i < b.N; i++ {
			if n, res := r.execRows(sel, i*31%rows+1); n != 1 {
				b.Fatalf("%d rows, %s", n, res)
			}
		}
		b.ReportMetric(float64(procstat.CPU()-cpu0)/float64(b.N), "cpu-ns/op")
	})
}

// benchPaths runs fn as the sub-benchmarks "path" (Quarry's learned paths
// and plan cache) and "gms" (every statement through GMS).
func benchPaths(b *testing.B, fn func(b *testing.B, eopts EngineOptions)) {
	for _, c := range []struct {
		name    string
		disable bool
	}{{"path", false}, {"gms", true}} {
		b.Run(c.name, func(b *testing.B) { fn(b, EngineOptions{DisablePlanCache: c.disable}) })
	}
}
