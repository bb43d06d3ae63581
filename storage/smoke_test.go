package storage_test

import (
	"context"
	"io"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage"
)

type testDB struct {
	t   testing.TB
	e   *storage.Engine
	eng *sqle.Engine
	ses sql.Session
}

func openTestDB(t testing.TB, dir string) *testDB {
	t.Helper()
	e, err := storage.Open(storage.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	eng := sqle.NewDefault(e.Provider())
	return &testDB{t: t, e: e, eng: eng, ses: e.NewSession(sql.NewBaseSession())}
}

// openDatabase opens a fresh engine with database db created and current;
// it is closed when the test ends.
func openDatabase(t *testing.T, db string) *testDB {
	t.Helper()
	d := openTestDB(t, t.TempDir())
	t.Cleanup(d.close)
	d.mustQuery("CREATE DATABASE " + db)
	d.ses.SetCurrentDatabase(db)
	return d
}

func (d *testDB) close() {
	if err := d.e.Close(); err != nil {
		d.t.Fatal(err)
	}
}

func (d *testDB) query(q string) ([]sql.Row, error) {
	ctx := sql.NewContext(context.Background(), sql.WithSession(d.ses), sql.WithQuery(q))
	ctx.SetCurrentDatabase(d.ses.GetCurrentDatabase())
	_, iter, _, err := d.eng.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	var rows []sql.Row
	for {
		r, err := iter.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			iter.Close(ctx)
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, iter.Close(ctx)
}

func (d *testDB) mustQuery(q string) []sql.Row {
	d.t.Helper()
	rows, err := d.query(q)
	if err != nil {
		d.t.Fatalf("%s: %v", q, err)
	}
	return rows
}

func TestSmoke(t *testing.T) {
	dir := t.TempDir()
	d := openTestDB(t, dir)
	d.mustQuery("CREATE DATABASE shop")
	d.ses.SetCurrentDatabase("shop")
	d.mustQuery("CREATE TABLE orders (id BIGINT PRIMARY KEY AUTO_INCREMENT, cust VARCHAR(20) COLLATE utf8mb4_0900_ai_ci, amount DECIMAL(10,2), note TEXT, KEY by_cust (cust))")
	d.mustQuery("INSERT INTO orders (cust, amount, note) VALUES ('bob', 10.50, 'x'), ('Alice', 3.25, NULL), ('carol', 7, 'y')")
	rows := d.mustQuery("SELECT id, cust, amount FROM orders ORDER BY id")
	t.Logf("%v", rows)
	if len(rows) != 3 {
		t.Fatalf("got %d rows", len(rows))
	}
	rows = d.mustQuery("SELECT id FROM orders WHERE cust = 'ALICE'")
	if len(rows) != 1 {
		t.Fatalf("ci lookup: %v", rows)
	}
	d.mustQuery("UPDATE orders SET amount = amount + 1 WHERE id = 1")
	d.mustQuery("DELETE FROM orders WHERE id = 3")
	rows = d.mustQuery("SELECT COUNT(*) FROM orders")
	t.Logf("%v", rows)
	d.close()

	d = openTestDB(t, dir)
	d.ses.SetCurrentDatabase("shop")
	rows = d.mustQuery("SELECT id, cust, amount FROM orders ORDER BY cust DESC")
	t.Logf("%v", rows)
	if len(rows) != 2 {
		t.Fatalf("after reopen: %v", rows)
	}
	d.mustQuery("INSERT INTO orders (cust) VALUES ('dave')")
	rows = d.mustQuery("SELECT id FROM orders WHERE cust = 'dave'")
	t.Logf("%v", rows)
	if _, err := d.query("INSERT INTO orders (id, cust) VALUES (1, 'dup')"); err == nil {
		t.Fatal("expected duplicate key error")
	} else {
		t.Log(err)
	}
	d.close()
}
