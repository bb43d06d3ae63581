package storage_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/bench/procstat"
	"github.com/quarrydb/quarry/storage"
	"github.com/quarrydb/quarry/storage/rowcodec"
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
	pk := indexByID(b, it, "PRIMARY")
	ts := ses.(sql.TransactionSession)
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		ctx, tx := benchTxn(b, ses, sql.ReadOnly)
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
	start := procstat.CPU()
	b.ResetTimer()
	return func() {
		b.ReportMetric(float64(procstat.CPU()-start)/float64(b.N), "cpu-ns/op")
	}
}

// indexByID returns the table's index with the given ID.
func indexByID(b *testing.B, t sql.IndexAddressableTable, id string) sql.Index {
	idxs, err := t.GetIndexes(sql.NewEmptyContext())
	if err != nil {
		b.Fatal(err)
	}
	for _, ix := range idxs {
		if ix.ID() == id {
			return ix
		}
	}
	b.Fatalf("no index %s", id)
	return nil
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
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := int32(2000 + i)
		benchStatement(b, ses, ins.Inserter, func(ctx *sql.Context, w sql.RowInserter) error {
			return w.Insert(ctx, sql.Row{id, id % 1000, "c-value", "pad-value"})
		})
	}
}

// BenchmarkHotRangeScanColumns is sysbench oltp_read_write's SUM(k) range
// read on hot rows: per op, one committed update of a row (a random one of
// 10,000: every column cache segment is rewritten every few ops) and one
// ScanColumns of 100 consecutive primary keys. storeRows/op is the rows
// the scan read from Pebble.
func BenchmarkHotRangeScanColumns(b *testing.B) {
	const n = 10000
	_, ses, tbl := benchTable(b, n)
	ts := ses.(sql.TransactionSession)
	pk := indexByID(b, tbl.(sql.IndexAddressableTable), "PRIMARY")
	col := pk.Expressions()[0]
	cols := []int{1} // k
	dec, ok := storage.TypedDecoderFor(tbl, cols)
	if !ok {
		b.Fatal("no typed decoder")
	}
	row := func(id, k int32) sql.Row {
		j := int(id)
		return sql.Row{id, k, fmt.Sprintf("%011d-%011d-%011d-%011d", j, j, j, j), fmt.Sprintf("%011d-%011d", j, j)}
	}
	ks := make([]int32, n+1)
	for id := 1; id <= n; id++ {
		ks[id] = int32(id * 7 % n)
	}
	rng := uint32(1)
	next := func() int32 { // xorshift: the same ids in every run
		rng ^= rng << 13
		rng ^= rng >> 17
		rng ^= rng << 5
		return int32(rng%n) + 1
	}
	var storeRows int64
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		id := next()
		benchStatement(b, ses, tbl.(sql.UpdatableTable).Updater, func(ctx *sql.Context, up sql.RowUpdater) error {
			return up.Update(ctx, row(id, ks[id]), row(id, ks[id]+1))
		})
		ks[id]++

		ctx, tx := benchTxn(b, ses, sql.ReadOnly)
		lo := next()
		lookup, err := sql.NewMySQLIndexBuilder(pk).GreaterOrEqual(ctx, col, lo).LessOrEqual(ctx, col, lo+99).Build(ctx)
		if err != nil {
			b.Fatal(err)
		}
		var sum int64
		req := storage.ScanRequest{Lookup: &lookup, Columns: cols, Parts: 1, Workers: 1}
		st, ok, err := storage.ScanColumns(ctx, tbl, req, dec, func(_, _ int, cb *storage.ColBatch) error {
			sum += int64(cb.Rows)
			return nil
		})
		if err != nil || !ok {
			b.Fatalf("ScanColumns: ok=%v err=%v", ok, err)
		}
		if want := int64(min(lo+99, n) - lo + 1); sum != want {
			b.Fatalf("range from %d: %d rows, want %d", lo, sum, want)
		}
		storeRows += st.StoreRows
		if err := ts.CommitTransaction(ctx, tx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(storeRows)/float64(b.N), "storeRows/op")
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
	k := indexByID(b, it, "k_1")
	ts := ses.(sql.TransactionSession)
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		ctx, tx := benchTxn(b, ses, sql.ReadOnly)
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

// benchStatement runs edit as one statement, on the editor open returns,
// of a transaction of ses, and commits it.
func benchStatement[E interface {
	sql.EditOpenerCloser
	sql.Closer
}](b *testing.B, ses sql.Session, open func(*sql.Context) E, edit func(*sql.Context, E) error) {
	ctx, tx := benchTxn(b, ses, sql.ReadWrite)
	e := open(ctx)
	e.StatementBegin(ctx)
	if err := edit(ctx, e); err != nil {
		b.Fatal(err)
	}
	if err := e.StatementComplete(ctx); err != nil {
		b.Fatal(err)
	}
	if err := e.Close(ctx); err != nil {
		b.Fatal(err)
	}
	if err := ses.(sql.TransactionSession).CommitTransaction(ctx, tx); err != nil {
		b.Fatal(err)
	}
}

// benchTxn starts a transaction of session ses in a new context that
// carries it.
func benchTxn(b *testing.B, ses sql.Session, mode sql.TransactionCharacteristic) (*sql.Context, sql.Transaction) {
	ctx := sql.NewContext(context.Background(), sql.WithSession(ses))
	tx, err := ses.(sql.TransactionSession).StartTransaction(ctx, mode)
	if err != nil {
		b.Fatal(err)
	}
	ctx.SetTransaction(tx)
	return ctx, tx
}

// BenchmarkRangeScanC reads c of 100 consecutive rows by primary key range
// (sysbench's simple_ranges) through the storage table interfaces, after
// updates that left several versions of the hot rows in the memtable.
func BenchmarkRangeScanC(b *testing.B) {
	const n, width, hot, versions = 10000, 100, 200, 20
	_, ses, tbl := benchTable(b, n)
	ts := ses.(sql.TransactionSession)
	row := func(id int, k int32) sql.Row {
		return sql.Row{int32(id), k, fmt.Sprintf("%011d-%011d-%011d-%011d", id, id, id, id), fmt.Sprintf("%011d-%011d", id, id)}
	}
	for v := 0; v < versions; v++ {
		benchStatement(b, ses, tbl.(sql.UpdatableTable).Updater, func(ctx *sql.Context, up sql.RowUpdater) error {
			for id := 1; id <= hot; id++ {
				if err := up.Update(ctx, row(id, int32(id*7%n+v)), row(id, int32(id*7%n+v+1))); err != nil {
					return err
				}
			}
			return nil
		})
	}
	it := tbl.(sql.ProjectedTable).WithProjections([]string{"c"}).(sql.IndexAddressableTable)
	pk := indexByID(b, it, "PRIMARY")
	col := pk.Expressions()[0]
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		ctx, tx := benchTxn(b, ses, sql.ReadOnly)
		lo := int32(i*37%(2*hot)) + 1
		lookup, err := sql.NewMySQLIndexBuilder(pk).GreaterOrEqual(ctx, col, lo).LessOrEqual(ctx, col, lo+width-1).Build(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if got := readLookup(b, ctx, it.IndexedAccess(ctx, lookup), lookup); got != width {
			b.Fatalf("range from %d: %d rows, want %d", lo, got, width)
		}
		if err := ts.CommitTransaction(ctx, tx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanColumnsUnderWrites sums k over a 64k-row table through the
// column cache while writes go on: each op commits an update of 4 random
// rows, then scans the whole table (an analytic report during OLTP).
func BenchmarkScanColumnsUnderWrites(b *testing.B) {
	const n = 1 << 16
	_, ses, tbl := benchTable(b, n)
	ts := ses.(sql.TransactionSession)
	row := func(id int, k int32) sql.Row {
		return sql.Row{int32(id), k, fmt.Sprintf("%011d-%011d-%011d-%011d", id, id, id, id), fmt.Sprintf("%011d-%011d", id, id)}
	}
	dec, ok := storage.TypedDecoderFor(tbl, []int{1})
	if !ok {
		b.Fatal("k is not typed-decodable")
	}
	ks := make([]int32, n+1)
	for id := 1; id <= n; id++ {
		ks[id] = int32(id * 7 % n)
	}
	scan := func() (sum int64, st storage.ScanStats) {
		ctx, tx := benchTxn(b, ses, sql.ReadOnly)
		var mu sync.Mutex
		st, ok, err := storage.ScanColumns(ctx, tbl, storage.ScanRequest{Columns: []int{1}, Parts: 2, Workers: 2}, dec, func(_, _ int, cb *storage.ColBatch) error {
			var s int64
			var slot rowcodec.Slot
			for r := 0; r < cb.Rows; r++ {
				cb.Cols[0].Fill(r, &slot)
				s += slot.I
			}
			mu.Lock()
			sum += s
			mu.Unlock()
			return nil
		})
		if !ok || err != nil {
			b.Fatal(ok, err)
		}
		if err := ts.CommitTransaction(ctx, tx); err != nil {
			b.Fatal(err)
		}
		return sum, st
	}
	scan() // lays out and caches the segments
	r := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	defer reportCPU(b)()
	var storeRows int64
	for i := 0; i < b.N; i++ {
		benchStatement(b, ses, tbl.(sql.UpdatableTable).Updater, func(ctx *sql.Context, up sql.RowUpdater) error {
			for j := 0; j < 4; j++ {
				id := 1 + r.IntN(n)
				if err := up.Update(ctx, row(id, ks[id]), row(id, ks[id]+1)); err != nil {
					return err
				}
				ks[id]++
			}
			return nil
		})
		sum, st := scan()
		if i == 0 {
			var want int64
			for _, k := range ks {
				want += int64(k)
			}
			if sum != want {
				b.Fatalf("sum %d, want %d", sum, want)
			}
		}
		storeRows += st.StoreRows
	}
	b.ReportMetric(float64(storeRows)/float64(b.N), "storerows/op")
}
