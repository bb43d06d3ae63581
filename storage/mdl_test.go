package storage_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
)

// staleHandle resolves d.t in a new transaction of d's session; the
// returned function ends that transaction.
func staleHandle(t *testing.T, d *testDB) (*sql.Context, sql.Table, func()) {
	t.Helper()
	ctx := sql.NewContext(context.Background(), sql.WithSession(d.ses))
	db, err := d.e.Provider().Database(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	tbl, ok, err := db.GetTableInsensitive(ctx, "t")
	if err != nil || !ok {
		t.Fatalf("table t: %v", err)
	}
	end := func() {
		if tx := ctx.GetTransaction(); tx != nil {
			_ = d.ses.(sql.TransactionSession).Rollback(ctx, tx)
		}
	}
	return ctx, tbl, end
}

func scanCount(ctx *sql.Context, tbl sql.Table) (int, error) {
	parts, err := tbl.Partitions(ctx)
	if err != nil {
		return 0, err
	}
	return countRows(ctx, tbl, parts)
}

func countRows(ctx *sql.Context, tbl sql.Table, parts sql.PartitionIter) (int, error) {
	defer parts.Close(ctx)
	n := 0
	for {
		p, err := parts.Next(ctx)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		rows, err := tbl.PartitionRows(ctx, p)
		if err != nil {
			return n, err
		}
		for {
			_, err := rows.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close(ctx)
				return n, err
			}
			n++
		}
		rows.Close(ctx)
	}
}

func lookupCount(ctx *sql.Context, tbl sql.Table, index string, v any) (int, error) {
	it := tbl.(sql.IndexAddressableTable)
	idxs, err := it.GetIndexes(ctx)
	if err != nil {
		return 0, err
	}
	for _, ix := range idxs {
		if ix.ID() != index {
			continue
		}
		lookup, err := sql.NewMySQLIndexBuilder(ix).Equals(ctx, ix.Expressions()[0], v).Build(ctx)
		if err != nil {
			return 0, err
		}
		itbl := it.IndexedAccess(ctx, lookup)
		parts, err := itbl.LookupPartitions(ctx, lookup)
		if err != nil {
			return 0, err
		}
		return countRows(ctx, itbl, parts)
	}
	return 0, errors.New("no index " + index)
}

func isTableDefChanged(err error) bool {
	var se *mysql.SQLError
	return errors.As(err, &se) && se.Num == 1412
}

// TestStaleTableHandle: a handle resolved before a schema change (a
// statement planned before it, or a cached plan) may still read the same
// keyspace through the primary key or an index that still exists, but it
// cannot write (it would not maintain a new index), read a dropped index,
// or read a rewritten table: those fail with ER_TABLE_DEF_CHANGED instead
// of reading missing keys.
func TestStaleTableHandle(t *testing.T) {
	d := openDatabase(t, "d")
	d.mustQuery("CREATE TABLE t (id INT PRIMARY KEY, v INT, KEY iv (v))")
	d.mustQuery("INSERT INTO t VALUES (1, 10), (2, 20)")

	ctx, tbl, end := staleHandle(t, d)
	end()
	d.mustQuery("CREATE INDEX iw ON t (v, id)")
	if n, err := scanCount(ctx, tbl); err != nil || n != 2 {
		t.Fatalf("scan through a handle older than CREATE INDEX: %d rows, %v", n, err)
	}
	if n, err := lookupCount(ctx, tbl, "iv", 10); err != nil || n != 1 {
		t.Fatalf("lookup on a surviving index through an old handle: %d rows, %v", n, err)
	}
	ins := tbl.(sql.InsertableTable).Inserter(ctx)
	if err := ins.Insert(ctx, sql.Row{int32(3), int32(30)}); !isTableDefChanged(err) {
		t.Fatalf("insert through a handle that does not know index iw: %v, want 1412", err)
	}
	ins.Close(ctx)
	end()

	ctx, tbl, end = staleHandle(t, d)
	end()
	d.mustQuery("DROP INDEX iv ON t")
	if _, err := lookupCount(ctx, tbl, "iv", 10); !isTableDefChanged(err) {
		t.Fatalf("lookup on a dropped index: %v, want 1412", err)
	}
	end()

	ctx, tbl, end = staleHandle(t, d)
	end()
	d.mustQuery("ALTER TABLE t MODIFY v BIGINT")
	if _, err := scanCount(ctx, tbl); !isTableDefChanged(err) {
		t.Fatalf("scan of a rewritten table through an old handle: %v, want 1412", err)
	}
	end()

	ctx, tbl, end = staleHandle(t, d)
	if n, err := scanCount(ctx, tbl); err != nil || n != 2 {
		t.Fatalf("fresh handle: %d rows, %v", n, err)
	}
	end()
	if rows := d.mustQuery("SELECT COUNT(*) FROM t"); rows[0][0] != int64(2) {
		t.Fatalf("rows = %v", rows)
	}
}
