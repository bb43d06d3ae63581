package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage"
)

// bulkLoader drives a table's editor the way GMS's INSERT does for LOAD
// DATA, in the session's transaction.
type bulkLoader struct {
	t   *testing.T
	d   *testDB
	ctx *sql.Context
	tbl *storage.Table
	tx  sql.Transaction
}

func newBulkLoader(t *testing.T, d *testDB, table string) *bulkLoader {
	t.Helper()
	ctx := sql.NewContext(context.Background(), sql.WithSession(d.ses))
	ctx.SetCurrentDatabase(d.ses.GetCurrentDatabase())
	db, err := d.e.Provider().Database(ctx, d.ses.GetCurrentDatabase())
	if err != nil {
		t.Fatal(err)
	}
	tb, ok, err := db.GetTableInsensitive(ctx, table)
	if err != nil || !ok {
		t.Fatalf("table %s: %v", table, err)
	}
	tx, err := d.ses.(sql.TransactionSession).StartTransaction(ctx, sql.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	ctx.SetTransaction(tx)
	return &bulkLoader{t: t, d: d, ctx: ctx, tbl: tb.(*storage.Table), tx: tx}
}

func (l *bulkLoader) commit() {
	l.t.Helper()
	if err := l.d.ses.(sql.TransactionSession).CommitTransaction(l.ctx, l.tx); err != nil {
		l.t.Fatal(err)
	}
}

// count counts t's rows from another session.
func (l *bulkLoader) count() int64 {
	l.t.Helper()
	other := &testDB{t: l.t, e: l.d.e, eng: l.d.eng, ses: l.d.e.NewSession(sql.NewBaseSession())}
	other.ses.SetCurrentDatabase(l.d.ses.GetCurrentDatabase())
	rows := other.mustQuery("SELECT COUNT(*) FROM t")
	return rows[0][0].(int64)
}

// TestBulkLoadEditor covers the bulk-load editor directly: duplicate
// detection among the statement's rows (in and out of key order) and
// against committed ones, per-row checkpoints, the move to the overlay
// when the transaction is read mid-statement, the single ingest at
// commit, rollback, and a consistent store throughout.
func TestBulkLoadEditor(t *testing.T) {
	d := openDatabase(t, "x")
	d.mustQuery("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10) NOT NULL, KEY kv (v))")
	d.mustQuery("INSERT INTO t VALUES (5, 'old')")
	row := func(id int) sql.Row { return sql.Row{int32(id), fmt.Sprintf("v%d", id%3)} }

	// Checkpointed rows (INSERT IGNORE's pattern), keys out of order,
	// duplicates of a loaded and of a committed row, a discarded row.
	l := newBulkLoader(t, d, "t")
	if !l.tbl.BeginBulkLoad(l.ctx) {
		t.Fatal("BeginBulkLoad refused a plain table")
	}
	ed := l.tbl.Inserter(l.ctx)
	if !l.tbl.BulkLoading(l.ctx) {
		t.Fatal("the inserter does not bulk-load")
	}
	for _, id := range []int{10, 20, 15, 20, 5, 30, 40} {
		ed.StatementBegin(l.ctx)
		err := ed.Insert(l.ctx, row(id))
		if id == 40 && err == nil {
			ed.DiscardChanges(l.ctx, fmt.Errorf("a later failure of the row"))
			continue
		}
		if err != nil {
			if !sql.ErrUniqueKeyViolation.Is(err) && !sql.ErrPrimaryKeyViolation.Is(err) {
				t.Fatalf("insert %d: %v", id, err)
			}
			if id != 20 && id != 5 {
				t.Fatalf("insert %d: unexpected duplicate: %v", id, err)
			}
			ed.DiscardChanges(l.ctx, err)
			continue
		}
		if id == 5 {
			t.Fatal("a duplicate of a committed row was accepted")
		}
		ed.StatementComplete(l.ctx)
	}
	if err := ed.Close(l.ctx); err != nil {
		t.Fatal(err)
	}
	if n := l.count(); n != 1 {
		t.Fatalf("another session sees %d rows before the commit, want 1", n)
	}
	loads0 := d.e.Stats().BulkLoads.Load()
	l.commit()
	if got := d.e.Stats().BulkLoads.Load() - loads0; got != 1 {
		t.Fatalf("%d ingests, want 1", got)
	}
	rows := d.mustQuery("SELECT id FROM t ORDER BY id")
	if fmt.Sprint(rows) != "[[5] [10] [15] [20] [30]]" {
		t.Fatalf("rows %v", rows)
	}
	if rows := d.mustQuery("SELECT id FROM t WHERE v = 'v0' ORDER BY id"); fmt.Sprint(rows) != "[[15] [30]]" {
		t.Fatalf("index lookup: %v", rows)
	}
	if err := d.e.CheckConsistency(); err != nil {
		t.Fatal(err)
	}

	// One statement for all rows; a read of the transaction in the middle
	// moves the runs to the overlay; discarding the statement then undoes
	// every row, before and after the move.
	l = newBulkLoader(t, d, "t")
	l.tbl.BeginBulkLoad(l.ctx)
	ed = l.tbl.Inserter(l.ctx)
	ed.StatementBegin(l.ctx)
	for id := 100; id < 110; id++ {
		if err := ed.Insert(l.ctx, row(id)); err != nil {
			t.Fatal(err)
		}
	}
	spills0 := d.e.Stats().BulkLoadSpills.Load()
	if !l.tbl.TxnWritesTable(l.ctx) {
		t.Fatal("the transaction's loaded rows are not seen as its writes")
	}
	if got := d.e.Stats().BulkLoadSpills.Load() - spills0; got != 1 || l.tbl.BulkLoading(l.ctx) {
		t.Fatalf("%d moves to the overlay, still loading %v", got, l.tbl.BulkLoading(l.ctx))
	}
	for id := 110; id < 120; id++ {
		if err := ed.Insert(l.ctx, row(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ed.Insert(l.ctx, row(105)); err == nil {
		t.Fatal("a duplicate of a moved row was accepted")
	}
	ed.DiscardChanges(l.ctx, fmt.Errorf("statement failed"))
	ed.Close(l.ctx)
	l.commit()
	if n := l.count(); n != 5 {
		t.Fatalf("%d rows after a discarded statement, want 5", n)
	}

	// Checkpointed rows moved to the overlay mid-way keep their
	// checkpoints: discarding the current row keeps the earlier ones.
	l = newBulkLoader(t, d, "t")
	l.tbl.BeginBulkLoad(l.ctx)
	ed = l.tbl.Inserter(l.ctx)
	for id := 200; id < 205; id++ {
		ed.StatementBegin(l.ctx)
		if err := ed.Insert(l.ctx, row(id)); err != nil {
			t.Fatal(err)
		}
		ed.StatementComplete(l.ctx)
	}
	ed.StatementBegin(l.ctx)
	if err := ed.Insert(l.ctx, row(205)); err != nil {
		t.Fatal(err)
	}
	l.tbl.TxnWritesTable(l.ctx) // moves the runs
	ed.DiscardChanges(l.ctx, fmt.Errorf("row failed"))
	ed.Close(l.ctx)
	l.commit()
	if rows := d.mustQuery("SELECT COUNT(*), MIN(id), MAX(id) FROM t WHERE id >= 200"); fmt.Sprint(rows) != "[[5 200 204]]" {
		t.Fatalf("rows after a discarded checkpoint: %v", rows)
	}

	// Rolled back: nothing.
	l = newBulkLoader(t, d, "t")
	l.tbl.BeginBulkLoad(l.ctx)
	ed = l.tbl.Inserter(l.ctx)
	ed.StatementBegin(l.ctx)
	for id := 300; id < 310; id++ {
		if err := ed.Insert(l.ctx, row(id)); err != nil {
			t.Fatal(err)
		}
	}
	ed.StatementComplete(l.ctx)
	ed.Close(l.ctx)
	if err := d.ses.(sql.TransactionSession).Rollback(l.ctx, l.tx); err != nil {
		t.Fatal(err)
	}
	if n := l.count(); n != 10 {
		t.Fatalf("%d rows after a rolled-back load, want 10", n)
	}
	if err := d.e.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
	// A transaction with writes does not bulk-load.
	l = newBulkLoader(t, d, "t")
	ed = l.tbl.Inserter(l.ctx)
	ed.StatementBegin(l.ctx)
	if err := ed.Insert(l.ctx, row(400)); err != nil {
		t.Fatal(err)
	}
	ed.StatementComplete(l.ctx)
	if l.tbl.BeginBulkLoad(l.ctx) {
		t.Fatal("BeginBulkLoad accepted a transaction with writes")
	}
	l.commit()
}
