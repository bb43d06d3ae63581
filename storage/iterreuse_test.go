package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage"
)

// TestIterReuseDifferential runs one random script twice, with scans
// reusing their transaction's spare iterator and without, and requires
// the same output: multi-range reads on the primary and a secondary index
// (ascending and descending), joins whose inner lookups open and close
// scans while the outer scan is open, in autocommit and in REPEATABLE
// READ and READ COMMITTED transactions with their own writes, while
// another session commits changes between the statements (a reused
// iterator must keep its transaction's snapshot, and a new READ COMMITTED
// statement must not read through the previous statement's iterator).
func TestIterReuseDifferential(t *testing.T) {
	off := readPathScript(t, false, true)
	before := storage.IterReuses()
	on := readPathScript(t, true, true)
	if storage.IterReuses() == before {
		t.Fatal("no scan reused an iterator")
	}
	sameOutputs(t, on, off)
}

// TestSnapshotSharingDifferential runs the script of
// TestIterReuseDifferential with transactions sharing Pebble snapshots
// (pebblekv.Store.NewSnapshot) and without.
func TestSnapshotSharingDifferential(t *testing.T) {
	sameOutputs(t, readPathScript(t, true, true), readPathScript(t, true, false))
}

func sameOutputs(t *testing.T, on, off []string) {
	t.Helper()
	if len(on) != len(off) {
		t.Fatalf("%d outputs with the fast path, %d without", len(on), len(off))
	}
	for i := range on {
		if on[i] != off[i] {
			t.Fatalf("output %d differs:\nfast path: %s\nwithout:   %s", i, on[i], off[i])
		}
	}
}

func readPathScript(t *testing.T, reuse, share bool) []string {
	defer storage.SetIterReuse(reuse)()
	a := openDatabase(t, "d")
	storage.SetSnapshotSharing(a.e, share)
	a.mustQuery("CREATE TABLE t (id INT NOT NULL PRIMARY KEY, k INT NOT NULL, v VARCHAR(12), KEY kk (k))")
	const rows = 300
	var vals []string
	for id := 0; id < rows; id++ {
		vals = append(vals, fmt.Sprintf("(%d,%d,'v%d')", id, id*7%rows, id))
	}
	a.mustQuery("INSERT INTO t VALUES " + strings.Join(vals, ","))
	b := &testDB{t: t, e: a.e, eng: a.eng, ses: a.e.NewSession(sql.NewBaseSession())}
	b.ses.SetCurrentDatabase("d")

	r := rand.New(rand.NewPCG(11, 29))
	var out []string
	var pid uint64
	run := func(d *testDB, q string) {
		// Each statement its own process id, as on a connection (READ
		// COMMITTED takes a snapshot per statement).
		pid++
		ctx := sql.NewContext(context.Background(), sql.WithSession(d.ses), sql.WithQuery(q), sql.WithPid(pid))
		ctx.SetCurrentDatabase("d")
		var res []sql.Row
		_, iter, _, err := d.eng.Query(ctx, q)
		if err == nil {
			res, err = sql.RowIterToRows(ctx, iter)
		}
		out = append(out, fmt.Sprintf("%s -> %v %v", q, res, err))
	}
	ranges := func(col string) string {
		var or []string
		for range 1 + r.IntN(6) {
			lo := r.IntN(rows + 20)
			or = append(or, fmt.Sprintf("%s BETWEEN %d AND %d", col, lo, lo+r.IntN(12)))
		}
		return strings.Join(or, " OR ")
	}
	dir := func() string { return []string{"ASC", "DESC"}[r.IntN(2)] }
	inTxn := false
	for step := 0; step < 1200; step++ {
		switch x := r.IntN(21); {
		case x < 4:
			run(a, fmt.Sprintf("SELECT id, k, v FROM t WHERE %s ORDER BY k %s, id %s", ranges("k"), dir(), dir()))
		case x < 6:
			run(a, fmt.Sprintf("SELECT id, k, v FROM t WHERE %s ORDER BY id %s", ranges("id"), dir()))
		case x < 7:
			run(a, fmt.Sprintf("SELECT count(k), sum(k) FROM t WHERE %s", ranges("k")))
		case x < 8:
			run(a, fmt.Sprintf("SELECT t1.id, t2.id, t2.v FROM t t1 JOIN t t2 ON t2.id = t1.k WHERE %s ORDER BY t1.id, t2.id", ranges("t1.id")))
		case x < 9:
			// b reads after its own commits while a may hold an older
			// snapshot.
			run(b, fmt.Sprintf("SELECT id, k, v FROM t WHERE %s ORDER BY id", ranges("k")))
		case x < 12:
			// Session a writes ids below rows/2, b the others: in one
			// goroutine, neither may wait for the other's row locks.
			id := r.IntN(rows / 2)
			switch r.IntN(3) {
			case 0:
				run(a, fmt.Sprintf("UPDATE t SET k = %d, v = 'a%d' WHERE id = %d", r.IntN(rows), step, id))
			case 1:
				run(a, fmt.Sprintf("DELETE FROM t WHERE id = %d", id))
			default:
				run(a, fmt.Sprintf("INSERT INTO t VALUES (%d, %d, 'a%d') ON DUPLICATE KEY UPDATE k = VALUES(k)", id, r.IntN(rows), step))
			}
		case x < 16:
			id := rows/2 + r.IntN(rows/2)
			switch r.IntN(3) {
			case 0:
				run(b, fmt.Sprintf("UPDATE t SET k = %d, v = 'b%d' WHERE id = %d", r.IntN(rows), step, id))
			case 1:
				run(b, fmt.Sprintf("DELETE FROM t WHERE id = %d", id))
			default:
				run(b, fmt.Sprintf("INSERT INTO t VALUES (%d, %d, 'b%d') ON DUPLICATE KEY UPDATE k = VALUES(k)", id, r.IntN(rows), step))
			}
		case x < 18:
			if !inTxn {
				run(a, "BEGIN")
			} else if r.IntN(3) == 0 {
				run(a, "ROLLBACK")
			} else {
				run(a, "COMMIT")
			}
			inTxn = !inTxn
		default:
			if !inTxn {
				run(a, "SET SESSION transaction_isolation = '"+[]string{"READ-COMMITTED", "REPEATABLE-READ"}[r.IntN(2)]+"'")
			}
		}
	}
	return out
}

// A session's read after its own commit sees it while another session's
// transaction still holds the snapshot from before the commit (the shared
// snapshot must not be handed out once a write completed).
func TestSharedSnapshotAfterCommit(t *testing.T) {
	a := openDatabase(t, "d")
	a.mustQuery("CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v INT NOT NULL)")
	a.mustQuery("INSERT INTO t VALUES (1, 1)")
	b := &testDB{t: t, e: a.e, eng: a.eng, ses: a.e.NewSession(sql.NewBaseSession())}
	b.ses.SetCurrentDatabase("d")
	a.mustQuery("BEGIN")
	if got := fmt.Sprint(a.mustQuery("SELECT v FROM t WHERE id = 1")); got != "[[1]]" {
		t.Fatalf("a reads %s", got)
	}
	b.mustQuery("UPDATE t SET v = 2 WHERE id = 1")
	if got := fmt.Sprint(b.mustQuery("SELECT v FROM t WHERE id = 1")); got != "[[2]]" {
		t.Fatalf("b reads %s after its commit, want [[2]]", got)
	}
	if got := fmt.Sprint(a.mustQuery("SELECT v FROM t WHERE id = 1")); got != "[[1]]" {
		t.Fatalf("a's snapshot reads %s, want [[1]]", got)
	}
	a.mustQuery("COMMIT")
	if got := fmt.Sprint(a.mustQuery("SELECT v FROM t WHERE id = 1")); got != "[[2]]" {
		t.Fatalf("a reads %s after its commit, want [[2]]", got)
	}
}
