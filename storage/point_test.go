package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
)

// TestPointLookupsSeeTransactionState checks the point-get path of primary
// key equality lookups (single and composite keys, ci collations) against
// the transaction's own writes, deletes, rollbacks and other sessions'
// uncommitted writes.
func TestPointLookupsSeeTransactionState(t *testing.T) {
	d := openDatabase(t, "pt")
	d.mustQuery("CREATE TABLE a (id INT PRIMARY KEY, v INT)")
	d.mustQuery("CREATE TABLE b (x VARCHAR(10) COLLATE utf8mb4_0900_ai_ci, y INT, v INT, PRIMARY KEY (x, y))")
	d.mustQuery("INSERT INTO a VALUES (1, 10), (2, 20)")
	d.mustQuery("INSERT INTO b VALUES ('Abc', 1, 100)")
	other := d.e.NewSession(sql.NewBaseSession())
	other.SetCurrentDatabase("pt")
	get := func(q string) string { return fmt.Sprint(d.mustQuery(q)) }
	getOther := func(q string) string {
		rows, err := queryOn(d, other, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return fmt.Sprint(rows)
	}
	expect := func(got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	expect(get("SELECT v FROM a WHERE id = 1"), "[[10]]")
	expect(get("SELECT v FROM a WHERE id = 3"), "[]")
	expect(get("SELECT v FROM b WHERE x = 'ABC' AND y = 1"), "[[100]]")
	expect(get("SELECT v FROM b WHERE x = 'abd' AND y = 1"), "[]")
	d.mustQuery("BEGIN")
	d.mustQuery("INSERT INTO a VALUES (3, 30)")
	d.mustQuery("DELETE FROM a WHERE id = 1")
	d.mustQuery("UPDATE a SET v = 21 WHERE id = 2")
	expect(get("SELECT v FROM a WHERE id = 3"), "[[30]]")
	expect(get("SELECT v FROM a WHERE id = 1"), "[]")
	expect(get("SELECT v FROM a WHERE id = 2"), "[[21]]")
	expect(get("SELECT v FROM a WHERE id IN (1, 2, 3)"), "[[21] [30]]")
	expect(getOther("SELECT v FROM a WHERE id = 3"), "[]")
	expect(getOther("SELECT v FROM a WHERE id = 1"), "[[10]]")
	d.mustQuery("ROLLBACK")
	expect(get("SELECT v FROM a WHERE id = 3"), "[]")
	expect(get("SELECT v FROM a WHERE id = 1"), "[[10]]")
	expect(get("SELECT v FROM a WHERE id = 2"), "[[20]]")
	// A statement does not see its own writes: the point read of the
	// UPDATE's own key still finds the old row once.
	d.mustQuery("UPDATE a SET id = id + 10 WHERE id = 2")
	expect(get("SELECT id, v FROM a WHERE id = 12"), "[[12 20]]")
	expect(get("SELECT id, v FROM a WHERE id = 2"), "[]")
}

// queryOn runs q in session ses of d's engine and returns the rows.
func queryOn(d *testDB, ses sql.Session, q string) ([]sql.Row, error) {
	ctx := sql.NewContext(context.Background(), sql.WithSession(ses), sql.WithQuery(q))
	_, iter, _, err := d.eng.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	return sql.RowIterToRows(ctx, iter)
}
