package indexes_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quarrydb/quarry/indexes"
	"github.com/quarrydb/quarry/internal/testserver"
)

// TestLockingReadsSeeLaterCommits: a locking read (FOR UPDATE, LOCK IN
// SHARE MODE, UPDATE, DELETE) reads the latest committed rows, so a commit
// that lands between its search and its row reads must not make it miss a
// row. Here a transaction moves the word from row 1 to row 2 and commits
// while the locking read waits for row 1's lock: the index's hit (row 1)
// no longer matches, and row 2, which the search did not return, does.
// The statement must see row 2, as it would in any serial order.
func TestLockingReadsSeeLaterCommits(t *testing.T) {
	_, db := startTitles(t)
	ctx := context.Background()
	for _, tc := range []struct{ name, stmt, check, want string }{
		{"for update", "SELECT id FROM t WHERE MATCH(title) AGAINST('apple') ORDER BY id FOR UPDATE", "", "2"},
		{"share mode", "SELECT id FROM t WHERE MATCH(title) AGAINST('apple') ORDER BY id LOCK IN SHARE MODE", "", "2"},
		{"boolean for update", "SELECT id FROM t WHERE MATCH(title) AGAINST('+apple' IN BOOLEAN MODE) ORDER BY id FOR UPDATE", "", "2"},
		{"ranked for update", "SELECT id FROM t WHERE MATCH(title) AGAINST('apple') > 0 ORDER BY MATCH(title) AGAINST('apple') DESC LIMIT 5 FOR UPDATE", "", "2"},
		{"update", "UPDATE t SET title = CONCAT(title, ' seen') WHERE MATCH(title) AGAINST('apple')", "SELECT id FROM t WHERE title LIKE '% seen' ORDER BY id", "2"},
		{"delete", "DELETE FROM t WHERE MATCH(title) AGAINST('apple')", "SELECT id FROM t ORDER BY id", "1,3"},
		{"delete like", "DELETE FROM t WHERE title LIKE '%apple%'", "SELECT id FROM t ORDER BY id", "1,3"},
		{"delete pk", "DELETE FROM t WHERE id IN (1, 2) AND title LIKE '%apple%'", "SELECT id FROM t ORDER BY id", "1,3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustExec(t, db, "DELETE FROM t")
			mustExec(t, db, "INSERT INTO t VALUES (1, 'red apple'), (2, 'green pear'), (3, 'blue plum')")
			mover, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer mover.Close()
			for _, q := range []string{"BEGIN", "UPDATE t SET title = 'red pear' WHERE id = 1", "UPDATE t SET title = 'green apple' WHERE id = 2"} {
				mustExec(t, mover, q)
			}
			reader, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer reader.Close()
			mustExec(t, reader, "BEGIN")
			type result struct {
				ids string
				err error
			}
			done := make(chan result, 1)
			go func() {
				if tc.check == "" {
					ids, err := testserver.FirstColumn(ctx, reader, tc.stmt)
					done <- result{ids, err}
					return
				}
				if _, err := reader.ExecContext(ctx, tc.stmt); err != nil {
					done <- result{"", err}
					return
				}
				ids, err := testserver.FirstColumn(ctx, reader, tc.check)
				done <- result{ids, err}
			}()
			// The reader's search runs, then it waits for row 1's lock.
			time.Sleep(300 * time.Millisecond)
			select {
			case r := <-done:
				t.Fatalf("the locking read did not wait for the mover's lock: %q, %v", r.ids, r.err)
			default:
			}
			mustExec(t, mover, "COMMIT")
			r := <-done
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.ids != tc.want {
				t.Errorf("%s: got %q, want %s (row 2, where the word moved, matches)", tc.stmt, r.ids, tc.want)
			}
			mustExec(t, reader, "COMMIT")
		})
	}
}

// TestLockingReadGivesUpOnEndlessCommits: a locking read whose every new
// search finds a matching row committed since the last one (here a row
// inserted before each search) gives up with 1205 after maxMoreRounds
// searches, instead of reading on; with the inserts stopped, the same
// statement returns every matching row.
func TestLockingReadGivesUpOnEndlessCommits(t *testing.T) {
	_, db := startTitles(t)
	ctx := context.Background()
	mustExec(t, db, "DELETE FROM t")
	mustExec(t, db, "INSERT INTO t VALUES (1, 'red apple'), (2, 'green pear')")
	writer, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	next, inserted := 100, 0
	indexes.SetMoreKeysHook(func() {
		next++
		if _, err := writer.ExecContext(ctx, "INSERT INTO t VALUES (?, 'fresh apple')", next); err != nil {
			t.Errorf("insert %d: %v", next, err)
			return
		}
		inserted++
	})
	defer indexes.SetMoreKeysHook(nil)
	const stmt = "SELECT id FROM t WHERE MATCH(title) AGAINST('apple') FOR UPDATE"
	reader, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	mustExec(t, reader, "BEGIN")
	ids, err := testserver.FirstColumn(ctx, reader, stmt)
	if err == nil || !strings.Contains(err.Error(), "1205") {
		t.Fatalf("with a matching row committed before every search: ids %q after %d inserts, error %v; want error 1205", ids, inserted, err)
	}
	mustExec(t, reader, "ROLLBACK")
	if inserted < 60 {
		t.Errorf("gave up after %d searches that found new rows, want about 64", inserted)
	}
	indexes.SetMoreKeysHook(nil)
	mustExec(t, reader, "BEGIN")
	got, err := testserver.FirstColumn(ctx, reader, stmt)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Split(got, ",")); n != 1+inserted {
		t.Errorf("after the inserts stopped: %d matching rows, want %d", n, 1+inserted)
	}
	mustExec(t, reader, "COMMIT")
}
