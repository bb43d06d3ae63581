package indexes_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarrydb/quarry/indexes"
	"github.com/quarrydb/quarry/internal/testserver"
)

var words = []string{"apple", "banana", "cherry", "durian", "elder", "fig", "grape", "lemon"}

// startTitles starts a server with the table d.t (id, title) and a
// FULLTEXT index on title, and returns a connection to d.
func startTitles(t *testing.T) (*testserver.Server, *sql.DB) {
	t.Helper()
	srv := testserver.Start(t, t.TempDir())
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, title VARCHAR(200), FULLTEXT KEY ft (title))")
	return srv, db
}

// TestConcurrentSearchConsistency runs writers (insert, update, delete,
// rolled-back transactions) against searchers. Every row a search returns
// must contain the word searched for in the committed version the
// searcher can see (never a deleted or updated-away row), and a row a
// writer has just committed must be found by a search on another
// connection started after the commit.
func TestConcurrentSearchConsistency(t *testing.T) {
	srv, db := startTitles(t)

	dur := 3 * time.Second
	if testing.Short() {
		dur = time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var wg sync.WaitGroup
	var failures atomic.Int64
	var searches, writes, fresh atomic.Int64
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 5 {
			t.Errorf(format, args...)
		}
	}
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 1))
			for ctx.Err() == nil {
				id := r.IntN(200)
				title := words[r.IntN(len(words))] + " " + words[r.IntN(len(words))]
				var err error
				switch r.IntN(4) {
				case 0:
					_, err = db.Exec("REPLACE INTO t VALUES (?, ?)", id, title)
				case 1:
					_, err = db.Exec("UPDATE t SET title = ? WHERE id = ?", title, id)
				case 2:
					_, err = db.Exec("DELETE FROM t WHERE id = ?", id)
				case 3:
					tx, e := db.Begin()
					if e != nil {
						err = e
						break
					}
					_, err = tx.Exec("REPLACE INTO t VALUES (?, ?)", id, "rolledback")
					tx.Rollback()
				}
				if err != nil && !strings.Contains(err.Error(), "Deadlock") && !strings.Contains(err.Error(), "Lock wait") {
					fail("write: %v", err)
				}
				writes.Add(1)
			}
		}(uint64(w))
	}
	// A writer that commits a unique token, then searches for it on a
	// different connection: committed rows are visible to later statements.
	wg.Add(1)
	go func() {
		defer wg.Done()
		other := srv.Open("d")
		defer other.Close()
		for i := 0; ctx.Err() == nil; i++ {
			tok := fmt.Sprintf("token%d", i)
			if _, err := db.Exec("INSERT INTO t VALUES (?, ?)", 10000+i, tok); err != nil {
				fail("insert token: %v", err)
				return
			}
			var n int
			if err := other.QueryRow("SELECT COUNT(*) FROM t WHERE MATCH(title) AGAINST(?)", tok).Scan(&n); err != nil {
				fail("search token: %v", err)
				return
			}
			if n != 1 {
				fail("committed row with %s not found by a later search (got %d)", tok, n)
			}
			fresh.Add(1)
		}
	}()
	// Snapshot checks: a transaction's first statement is a search (its
	// snapshot is taken by the search, so the search is exact); the rows
	// it then scans in the same snapshot must agree with it exactly, for
	// the indexed COUNT(*) and for the listed ids.
	var snapChecks atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		inTransactions(ctx, db, 7, fail, func(conn *sql.Conn, r *rand.Rand, w string) bool {
			bg := context.Background()
			var got string
			var err error
			counting := r.IntN(2) == 0
			if counting {
				var n int
				err = conn.QueryRowContext(bg, "SELECT COUNT(*) FROM t WHERE MATCH(title) AGAINST(? IN BOOLEAN MODE)", "+"+w).Scan(&n)
				got = fmt.Sprint(n)
			} else {
				err = conn.QueryRowContext(bg, "SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM t WHERE MATCH(title) AGAINST(? IN BOOLEAN MODE)", "+"+w).Scan(&got)
			}
			if err != nil {
				fail("snapshot search: %v", err)
				conn.ExecContext(bg, "ROLLBACK")
				return false
			}
			rows, err := conn.QueryContext(bg, "SELECT id, title FROM t ORDER BY id")
			if err != nil {
				fail("scan: %v", err)
				conn.ExecContext(bg, "ROLLBACK")
				return false
			}
			var ids []string
			for rows.Next() {
				var id int
				var title string
				if err := rows.Scan(&id, &title); err != nil {
					fail("scan: %v", err)
				}
				for _, tok := range strings.Fields(title) {
					if tok == w {
						ids = append(ids, fmt.Sprint(id))
						break
					}
				}
			}
			rows.Close()
			if _, err := conn.ExecContext(bg, "COMMIT"); err != nil {
				fail("commit: %v", err)
				return false
			}
			want := strings.Join(ids, ",")
			if counting {
				want = fmt.Sprint(len(ids))
			}
			if got != want {
				fail("search for %q in its own snapshot: got %q, the snapshot's rows give %q", w, got, want)
			}
			snapChecks.Add(1)
			return true
		})
	}()
	// Locking checks: a locking search's rows all contain the word, and
	// stay locked: read again at the end of the transaction, in their
	// latest versions, they still do. (Locking searches retry against
	// commits that land while they read, see Ranges.MoreKeys; they must
	// not give up under this load.)
	var lockChecks atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		inTransactions(ctx, db, 9, fail, func(conn *sql.Conn, r *rand.Rand, w string) bool {
			bg := context.Background()
			q := "SELECT id, title FROM t WHERE MATCH(title) AGAINST(? IN BOOLEAN MODE) FOR UPDATE"
			if r.IntN(2) == 0 {
				q = "SELECT id, title FROM t WHERE MATCH(title) AGAINST(? IN BOOLEAN MODE) LOCK IN SHARE MODE"
			}
			rows, err := conn.QueryContext(bg, q, "+"+w)
			var ids []string
			if err == nil {
				for rows.Next() {
					var id int
					var title string
					if err := rows.Scan(&id, &title); err != nil {
						fail("locking search scan: %v", err)
					}
					if !strings.Contains(title, w) {
						fail("locking search for %q returned row %d with title %q", w, id, title)
					}
					ids = append(ids, fmt.Sprint(id))
				}
				err = rows.Err()
				rows.Close()
			}
			if err != nil {
				if !strings.Contains(err.Error(), "Deadlock") {
					fail("locking search: %v", err)
				}
				conn.ExecContext(bg, "ROLLBACK")
				return true
			}
			if len(ids) > 0 {
				rows, err := conn.QueryContext(bg, "SELECT id, title FROM t WHERE id IN ("+strings.Join(ids, ",")+") FOR UPDATE")
				if err != nil {
					fail("reread: %v", err)
					conn.ExecContext(bg, "ROLLBACK")
					return false
				}
				n := 0
				for rows.Next() {
					var id int
					var title string
					if err := rows.Scan(&id, &title); err != nil {
						fail("reread scan: %v", err)
					}
					if !strings.Contains(title, w) {
						fail("row %d, locked by a search for %q, changed to %q", id, w, title)
					}
					n++
				}
				rows.Close()
				if n != len(ids) {
					fail("rows locked by a search for %q: %d of %d still there", w, n, len(ids))
				}
			}
			if _, err := conn.ExecContext(bg, "COMMIT"); err != nil {
				fail("commit: %v", err)
				return false
			}
			lockChecks.Add(1)
			return true
		})
	}()
	for s := 0; s < 2; s++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 2))
			for ctx.Err() == nil {
				w := words[r.IntN(len(words))]
				q := "SELECT id, title FROM t WHERE MATCH(title) AGAINST(? IN BOOLEAN MODE)"
				arg := "+" + w
				if r.IntN(2) == 0 {
					q = "SELECT id, title FROM t WHERE MATCH(title) AGAINST(?) ORDER BY MATCH(title) AGAINST(?) DESC LIMIT 5"
					rows, err := db.Query(q, w, w)
					checkRows(t, rows, err, w, fail)
				} else {
					rows, err := db.Query(q, arg)
					checkRows(t, rows, err, w, fail)
				}
				searches.Add(1)
			}
		}(uint64(s))
	}
	wg.Wait()
	t.Logf("%d writes, %d searches, %d commit-then-search checks, %d snapshot checks, %d locking checks", writes.Load(), searches.Load(), fresh.Load(), snapChecks.Load(), lockChecks.Load())
	m, ok := srv.Store().Searcher().(*indexes.Manager)
	if !ok {
		t.Fatal("no search manager")
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
}

// inTransactions calls body on one connection of db, with a word drawn
// from words, after BEGIN, again and again until ctx is done or body
// returns false; body ends each transaction.
func inTransactions(ctx context.Context, db *sql.DB, seed uint64, fail func(string, ...any), body func(conn *sql.Conn, r *rand.Rand, w string) bool) {
	r := rand.New(rand.NewPCG(seed, 3))
	conn, err := db.Conn(context.Background())
	if err != nil {
		fail("conn: %v", err)
		return
	}
	defer conn.Close()
	for ctx.Err() == nil {
		w := words[r.IntN(len(words))]
		if _, err := conn.ExecContext(context.Background(), "BEGIN"); err != nil {
			fail("begin: %v", err)
			return
		}
		if !body(conn, r, w) {
			return
		}
	}
}

func checkRows(t *testing.T, rows *sql.Rows, err error, word string, fail func(string, ...any)) {
	if err != nil {
		fail("search: %v", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			fail("scan: %v", err)
			return
		}
		if !strings.Contains(title, word) {
			fail("search for %q returned row %d with title %q", word, id, title)
		}
	}
	if err := rows.Err(); err != nil {
		fail("rows: %v", err)
	}
}

// TestTransactionReadYourWrites: inside a transaction with uncommitted
// writes, MATCH sees the transaction's own inserts, updates and deletes;
// other sessions do not until commit; rollback leaves the index unchanged.
func TestTransactionReadYourWrites(t *testing.T) {
	_, db := startTitles(t)
	mustExec(t, db, "INSERT INTO t VALUES (1, 'red apple'), (2, 'green pear')")
	ctx := context.Background()
	c1, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	ids := func(q testserver.Querier, word string) string {
		got, err := testserver.FirstColumn(ctx, q, "SELECT id FROM t WHERE MATCH(title) AGAINST(?) ORDER BY id", word)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, q := range []string{"BEGIN", "INSERT INTO t VALUES (3, 'apple pie')", "UPDATE t SET title = 'pear tart' WHERE id = 1", "DELETE FROM t WHERE id = 2"} {
		if _, err := c1.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if got := ids(c1, "apple"); got != "3" {
		t.Errorf("in transaction, apple: got %q, want 3", got)
	}
	if got := ids(c1, "pear"); got != "1" {
		t.Errorf("in transaction, pear: got %q, want 1", got)
	}
	if got := ids(db, "apple"); got != "1" {
		t.Errorf("other session, apple: got %q, want 1", got)
	}
	if _, err := c1.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if got := ids(db, "apple"); got != "1" {
		t.Errorf("after rollback, apple: got %q, want 1", got)
	}
	if got := ids(db, "pear"); got != "2" {
		t.Errorf("after rollback, pear: got %q, want 2", got)
	}
	for _, q := range []string{"BEGIN", "INSERT INTO t VALUES (3, 'apple pie')", "SAVEPOINT s", "INSERT INTO t VALUES (4, 'apple juice')", "ROLLBACK TO SAVEPOINT s", "COMMIT"} {
		if _, err := c1.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if got := ids(db, "apple"); got != "1,3" {
		t.Errorf("after savepoint rollback and commit, apple: got %q, want 1,3", got)
	}
}

// TestSearchRepeatableRead: a transaction's later statements read its
// first snapshot. Commits made since leave the index ahead of it (the
// search is not exact): MATCH then verifies the rows the index returns
// against the snapshot (a row committed since is not seen, nor a row's
// newer content), COUNT(*) counts the verified rows, and a pushed-down
// predicate scans the table, so it sees exactly the snapshot's rows, even
// those deleted since.
func TestSearchRepeatableRead(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	mustExec(t, db, `CREATE TABLE t (id INT PRIMARY KEY, title VARCHAR(100), status VARCHAR(10),
		FULLTEXT KEY ft (title), FULLTEXT KEY s (status) COMMENT 'status=keyword')`)
	mustExec(t, db, "INSERT INTO t VALUES (1, 'red apple', 'paid'), (2, 'green pear', 'paid'), (3, 'plum', 'new')")
	ctx := context.Background()
	c1, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	one := func(q string) string {
		var s string
		if err := c1.QueryRowContext(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s
	}
	const (
		count  = "SELECT COUNT(*) FROM t WHERE MATCH(title) AGAINST('apple')"
		ids    = "SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM t WHERE MATCH(title) AGAINST('apple')"
		pushed = "SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM t USE INDEX (s) WHERE status = 'PAID'"
	)
	if _, err := c1.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if got := one(count); got != "1" {
		t.Fatalf("first count: %s", got)
	}
	mustExec(t, db, "INSERT INTO t VALUES (4, 'apple pie', 'paid')")
	mustExec(t, db, "UPDATE t SET title = 'green apple' WHERE id = 2")
	mustExec(t, db, "DELETE FROM t WHERE id = 3")
	mustExec(t, db, "UPDATE t SET status = 'new' WHERE id = 1")
	for q, want := range map[string]string{count: "1", ids: "1", pushed: "1,2"} {
		if got := one(q); got != want {
			t.Errorf("in the transaction's snapshot, %s: got %q, want %q", q, got, want)
		}
	}
	if _, err := c1.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{count: "3", ids: "1,2,4", pushed: "2,4"} {
		if got := one(q); got != want {
			t.Errorf("after commit, %s: got %q, want %q", q, got, want)
		}
	}
}

// TestSearchesDoNotReapplyTheLog: a search after a round's batches
// persisted indexes nothing again. It used to delete the persisted log
// entries after taking its snapshot, which still held them, no longer in
// flight, and indexed their rows again (under writes and searches, most
// rounds did). The background applier is stopped, so searches alone apply.
func TestSearchesDoNotReapplyTheLog(t *testing.T) {
	srv, db := startTitles(t)
	m := srv.Store().Searcher().(*indexes.Manager)
	m.StopApplier()
	search := func(want int) {
		t.Helper()
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM t WHERE MATCH(title) AGAINST('apple')").Scan(&n); err != nil || n != want {
			t.Fatalf("search: %d rows, %v; want %d", n, err, want)
		}
	}
	for round := 1; round <= 3; round++ {
		for i := 0; i < 20; i++ {
			mustExec(t, db, fmt.Sprintf("INSERT INTO t VALUES (%d, 'apple %d')", 100*round+i, i))
		}
		before := m.AppliedDocs()
		search(20 * round)
		if got := m.AppliedDocs() - before; got != 20 {
			t.Fatalf("round %d: the search applied %d documents for 20 inserts", round, got)
		}
		// Bounded: bleve persists a batch within milliseconds.
		for deadline := time.Now().Add(10 * time.Second); m.PersistedKeys() < 20; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the batch did not persist", round)
			}
		}
		before = m.AppliedDocs()
		search(20 * round)
		if got := m.AppliedDocs() - before; got != 0 {
			t.Fatalf("round %d: a search with no new writes applied %d documents again", round, got)
		}
	}
}
