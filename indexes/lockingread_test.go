package indexes_test

import (
	"context"
	"testing"
	"time"

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
				if _, err := mover.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			reader, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer reader.Close()
			if _, err := reader.ExecContext(ctx, "BEGIN"); err != nil {
				t.Fatal(err)
			}
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
			if _, err := mover.ExecContext(ctx, "COMMIT"); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.ids != tc.want {
				t.Errorf("%s: got %q, want %s (row 2, where the word moved, matches)", tc.stmt, r.ids, tc.want)
			}
			if _, err := reader.ExecContext(ctx, "COMMIT"); err != nil {
				t.Fatal(err)
			}
		})
	}
}
