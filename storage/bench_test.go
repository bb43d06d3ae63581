package storage_test

import (
	"context"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage"
)

// benchTable opens a store with bench.t (sysbench's sbtest layout) holding
// rows 1..n, and returns the engine, a session and the table.
func benchTable(b *testing.B, n int) (*storage.Engine, sql.Session, sql.Table) {
	b.Helper()
	e, err := storage.Open(storage.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	eng := sqle.NewDefault(e.Provider())
	ses := e.NewSession(sql.NewBaseSession())
	run := func(q string) {
		ctx := sql.NewContext(context.Background(), sql.WithSession(ses), sql.WithQuery(q))
		ctx.SetCurrentDatabase("bench")
		_, iter, _, err := eng.Query(ctx, q)
		if err == nil {
			_, err = sql.RowIterToRows(ctx, iter)
		}
		if err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	run("CREATE DATABASE bench")
	run("CREATE TABLE bench.t (id INT NOT NULL PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL, KEY k_1 (k))")
	for i := 1; i <= n; i += 500 {
		q := "INSERT INTO bench.t VALUES "
		for j := i; j < i+500 && j <= n; j++ {
			if j > i {
				q += ","
			}
			q += fmt.Sprintf("(%d,%d,'%011d-%011d-%011d-%011d','%011d-%011d')", j, j*7%n, j, j, j, j, j, j)
		}
		run(q)
	}
	ctx := sql.NewContext(context.Background(), sql.WithSession(ses))
	db, err := e.Provider().Database(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	tbl, ok, err := db.GetTableInsensitive(ctx, "t")
	if err != nil || !ok {
		b.Fatalf("table: %v", err)
	}
	return e, ses, tbl
}

// BenchmarkPointGet reads one row by primary key through the storage
// table interfaces GMS uses (index lookup, partition, row iterator), in an
// autocommit-style transaction per read.
func BenchmarkPointGet(b *testing.B) {
	const n = 10000
	_, ses, tbl := benchTable(b, n)
	it := tbl.(sql.IndexAddressableTable)
	idxs, err := it.GetIndexes(sql.NewEmptyContext())
	if err != nil {
		b.Fatal(err)
	}
	var pk sql.Index
	for _, ix := range idxs {
		if ix.ID() == "PRIMARY" {
			pk = ix
		}
	}
	ts := ses.(sql.TransactionSession)
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		ctx := sql.NewContext(context.Background(), sql.WithSession(ses))
		tx, err := ts.StartTransaction(ctx, sql.ReadOnly)
		if err != nil {
			b.Fatal(err)
		}
		ctx.SetTransaction(tx)
		id := int32(i%n + 1)
		lookup, err := sql.NewMySQLIndexBuilder(pk).Equals(ctx, pk.Expressions()[0], id).Build(ctx)
		if err != nil {
			b.Fatal(err)
		}
		got := readLookup(b, ctx, it.IndexedAccess(ctx, lookup), lookup)
		if got != 1 {
			b.Fatalf("id %d: %d rows", id, got)
		}
		if err := ts.CommitTransaction(ctx, tx); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU resets the timer and returns a function (to defer) that reports
// the process CPU time (user+system) per op since as cpu-ns/op: on a
// shared, loaded machine the wall time per op mostly measures waiting for
// a core.
func reportCPU(b *testing.B) func() {
	start := processCPU(b)
	b.ResetTimer()
	return func() {
		b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
	}
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func readLookup(b *testing.B, ctx *sql.Context, t sql.IndexedTable, lookup sql.IndexLookup) int {
	parts, err := t.LookupPartitions(ctx, lookup)
	if err != nil {
		b.Fatal(err)
	}
	defer parts.Close(ctx)
	n := 0
	for {
		p, err := parts.Next(ctx)
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		rows, err := t.PartitionRows(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := rows.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		rows.Close(ctx)
	}
}

// BenchmarkPointPut inserts one row per committed (fsynced) transaction
// through the table's inserter.
func BenchmarkPointPut(b *testing.B) {
	_, ses, tbl := benchTable(b, 1000)
	ins := tbl.(sql.InsertableTable)
	ts := ses.(sql.TransactionSession)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx := sql.NewContext(context.Background(), sql.WithSession(ses))
		tx, err := ts.StartTransaction(ctx, sql.ReadWrite)
		if err != nil {
			b.Fatal(err)
		}
		ctx.SetTransaction(tx)
		id := int32(2000 + i)
		w := ins.Inserter(ctx)
		w.StatementBegin(ctx)
		if err := w.Insert(ctx, sql.Row{id, id % 1000, "c-value", "pad-value"}); err != nil {
			b.Fatal(err)
		}
		if err := w.StatementComplete(ctx); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(ctx); err != nil {
			b.Fatal(err)
		}
		if err := ts.CommitTransaction(ctx, tx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRandomRanges counts the rows of ten short ranges of the
// secondary index k in one lookup, reading only k, in a transaction per
// query: sysbench's
// select_random_ranges through the storage table interfaces.
func BenchmarkRandomRanges(b *testing.B) {
	const n, ranges, width = 10000, 10, 5
	_, ses, tbl := benchTable(b, n)
	// count(k) reads only k: the index entries cover it.
	it := tbl.(sql.ProjectedTable).WithProjections([]string{"k"}).(sql.IndexAddressableTable)
	idxs, err := it.GetIndexes(sql.NewEmptyContext())
	if err != nil {
		b.Fatal(err)
	}
	var k sql.Index
	for _, ix := range idxs {
		if ix.ID() == "k_1" {
			k = ix
		}
	}
	ts := ses.(sql.TransactionSession)
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		ctx := sql.NewContext(context.Background(), sql.WithSession(ses))
		tx, err := ts.StartTransaction(ctx, sql.ReadOnly)
		if err != nil {
			b.Fatal(err)
		}
		ctx.SetTransaction(tx)
		// Disjoint ranges [lo, lo+width] spread over the keys.
		var coll sql.MySQLRangeCollection
		for r := 0; r < ranges; r++ {
			lo := int32((i*97+r*(n/ranges))%(n-2*width) + 1)
			one := sql.NewMySQLIndexBuilder(k).GreaterOrEqual(ctx, k.Expressions()[0], lo).
				LessOrEqual(ctx, k.Expressions()[0], lo+width).Ranges(ctx)
			coll = append(coll, one...)
		}
		lookup := sql.NewIndexLookup(k, coll, false, false, false, false)
		got := readLookup(b, ctx, it.IndexedAccess(ctx, lookup), lookup)
		if got != ranges*(width+1) {
			b.Fatalf("query %d: %d rows, want %d", i, got, ranges*(width+1))
		}
		if err := ts.CommitTransaction(ctx, tx); err != nil {
			b.Fatal(err)
		}
	}
}
