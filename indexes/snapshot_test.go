package indexes_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarrydb/quarry/indexes"
	"github.com/quarrydb/quarry/internal/testserver"
)

// snapshotPair is a statement answered through a search index and the
// same question answered by the table path (no search index involved).
type snapshotPair struct {
	name, index, table string
	// plan: a fragment the index statement's EXPLAIN must show (when
	// the transaction has not written the table).
	plan string
}

// snapshotPairs are the searches the snapshot tests compare, over
// t (id, title, status) with FULLTEXT ft (title) and the keyword index
// s (status). %s is the word searched for / the status value.
func snapshotPairs(word, status string) []snapshotPair {
	like := fmt.Sprintf("CONCAT(' ', title, ' ') LIKE '%% %s %%'", word)
	return []snapshotPair{
		{"match ids",
			fmt.Sprintf("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM t WHERE MATCH(title) AGAINST('%s')", word),
			fmt.Sprintf("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM t WHERE %s", like), "bleve ft"},
		{"match boolean ids",
			fmt.Sprintf("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM t WHERE MATCH(title) AGAINST('+%s -pie' IN BOOLEAN MODE)", word),
			fmt.Sprintf("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM t WHERE %s AND CONCAT(' ', title, ' ') NOT LIKE '%% pie %%'", like), "bleve ft"},
		{"match count",
			fmt.Sprintf("SELECT COUNT(*) FROM t WHERE MATCH(title) AGAINST('%s')", word),
			fmt.Sprintf("SELECT COUNT(*) FROM t WHERE %s", like), "bleve ft"},
		{"match relevance over a scan",
			fmt.Sprintf("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM t WHERE MATCH(title) AGAINST('%s') > 0 OR id < 0", word),
			fmt.Sprintf("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM t WHERE %s", like), ""},
		{"match top-k (k above the matches)",
			fmt.Sprintf("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM (SELECT id, MATCH(title) AGAINST('%s') AS sc FROM t WHERE MATCH(title) AGAINST('%s') ORDER BY sc DESC LIMIT 50) x", word, word),
			fmt.Sprintf("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM t WHERE %s", like), ""},
		{"match top-k count (k below the matches)",
			fmt.Sprintf("SELECT COUNT(*) FROM (SELECT id, MATCH(title) AGAINST('%s') AS sc FROM t WHERE MATCH(title) AGAINST('%s') ORDER BY sc DESC LIMIT 2) x", word, word),
			fmt.Sprintf("SELECT LEAST(COUNT(*), 2) FROM t WHERE %s", like), ""},
		{"pushed ids",
			fmt.Sprintf("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM t USE INDEX (s) WHERE status = '%s'", status),
			fmt.Sprintf("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM t IGNORE INDEX (s) WHERE status = '%s'", status), "bleve s"},
		{"pushed count",
			fmt.Sprintf("SELECT COUNT(*) FROM t USE INDEX (s) WHERE status = '%s'", status),
			fmt.Sprintf("SELECT COUNT(*) FROM t IGNORE INDEX (s) WHERE status = '%s'", status), "SearchCount"},
		{"pushed group by",
			"SELECT COALESCE(GROUP_CONCAT(g ORDER BY g), '') FROM (SELECT CONCAT(status, ':', COUNT(*)) AS g FROM t USE INDEX (s) WHERE status IN ('paid', 'new', 'done') GROUP BY status) x",
			"SELECT COALESCE(GROUP_CONCAT(g ORDER BY g), '') FROM (SELECT CONCAT(status, ':', COUNT(*)) AS g FROM t IGNORE INDEX (s) WHERE status IN ('paid', 'new', 'done') GROUP BY status) x", "SearchGroupBy"},
	}
}

// comparePairs runs every pair on conn (inside its transaction) and
// reports the differences; wantPlan checks the index statements' plans.
func comparePairs(ctx context.Context, conn *sql.Conn, pairs []snapshotPair, wantPlan bool) (diffs []string, err error) {
	one := func(q string) (string, error) {
		var s string
		if err := conn.QueryRowContext(ctx, q).Scan(&s); err != nil {
			return "", fmt.Errorf("%s: %w", q, err)
		}
		return s, nil
	}
	for _, p := range pairs {
		if wantPlan && p.plan != "" {
			plan, err := explain(ctx, conn, p.index)
			if err != nil {
				return nil, err
			}
			if !strings.Contains(plan, p.plan) {
				return nil, fmt.Errorf("%s: plan lacks %q:\n%s", p.name, p.plan, plan)
			}
		}
		got, err := one(p.index)
		if err != nil {
			return nil, err
		}
		want, err := one(p.table)
		if err != nil {
			return nil, err
		}
		if got != want {
			diffs = append(diffs, fmt.Sprintf("%s: index path %q, table path %q", p.name, got, want))
		}
	}
	return diffs, nil
}

func explain(ctx context.Context, conn *sql.Conn, q string) (string, error) {
	rows, err := conn.QueryContext(ctx, "EXPLAIN FORMAT=TREE "+q)
	if err != nil {
		return "", fmt.Errorf("explain %s: %w", q, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		b.WriteString(line + "\n")
	}
	return b.String(), rows.Err()
}

const snapshotTable = `CREATE TABLE t (id INT PRIMARY KEY, title VARCHAR(100), status VARCHAR(10),
	FULLTEXT KEY ft (title), FULLTEXT KEY s (status) COMMENT 'status=keyword')`

// keylessSnapshotTable is snapshotTable without a primary key (a
// document per distinct row content).
const keylessSnapshotTable = `CREATE TABLE t (id INT, title VARCHAR(100), status VARCHAR(10),
	FULLTEXT KEY ft (title), FULLTEXT KEY s (status) COMMENT 'status=keyword')`

// TestSearchOlderSnapshot: a REPEATABLE READ transaction whose snapshot
// is older than the index (another session deleted, updated away,
// updated into a match and inserted matching rows, and the index caught
// up) gets from MATCH, a pushed-down lookup, COUNT(*) and GROUP BY
// exactly what the table path returns in its snapshot: rows that matched
// in the snapshot and were deleted or changed since are found, rows
// changed into a match or inserted since are not. Also with the
// transaction's own uncommitted writes to the table, and with its
// snapshot taken by an exact search. With a retention of one changed
// row, the searches take the slow path (the changes since the snapshot
// are not known), with the same results.
func TestSearchOlderSnapshot(t *testing.T) {
	t.Run("default retention", func(t *testing.T) { olderSnapshot(t, snapshotTable, false) })
	t.Run("keyless", func(t *testing.T) { olderSnapshot(t, keylessSnapshotTable, false) })
	t.Run("slow path", func(t *testing.T) {
		old := indexes.SetMaxRetainedIDs(1)
		t.Cleanup(func() { indexes.SetMaxRetainedIDs(old) })
		olderSnapshot(t, snapshotTable, true)
	})
}

func olderSnapshot(t *testing.T, ddl string, slow bool) {
	for _, tc := range []struct {
		name  string
		first string // the statement that takes the snapshot
		own   bool   // the transaction writes the table after the other session's commits
	}{
		{"snapshot from a scan", "SELECT COUNT(*) FROM t", false},
		{"snapshot from an exact search", "SELECT COUNT(*) FROM t WHERE MATCH(title) AGAINST('apple')", false},
		{"snapshot from a pushed search", "SELECT COUNT(*) FROM t WHERE status = 'paid'", false},
		{"own writes", "SELECT COUNT(*) FROM t", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testserver.Start(t, t.TempDir())
			mustExec(t, srv.Open(""), "CREATE DATABASE d")
			db := srv.Open("d")
			mustExec(t, db, ddl)
			mustExec(t, db, `INSERT INTO t VALUES (1, 'red apple', 'paid'), (2, 'green apple', 'paid'),
				(3, 'apple pie', 'new'), (4, 'plum', 'paid'), (5, 'pear', 'new'), (6, 'apple tart', 'new'), (9, 'kiwi', 'paid')`)
			ctx := context.Background()
			a, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			for _, q := range []string{"SET SESSION transaction_isolation = 'REPEATABLE-READ'", "BEGIN", tc.first} {
				if _, err := a.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			before, err := comparePairs(ctx, a, snapshotPairs("apple", "paid"), false)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range before {
				t.Errorf("before the other session's commits: %s", d)
			}
			for _, q := range []string{
				"DELETE FROM t WHERE id = 1",                                // matched: deleted
				"UPDATE t SET title = 'green pear' WHERE id = 2",            // matched: updated away
				"UPDATE t SET title = 'pear apple' WHERE id = 5",            // updated into a match
				"INSERT INTO t VALUES (7, 'apple juice', 'paid')",           // inserted matching
				"UPDATE t SET status = 'paid' WHERE id = 3",                 // into the pushed match
				"DELETE FROM t WHERE id = 4",                                // pushed match: deleted
				"UPDATE t SET status = 'done', title = 'tart' WHERE id = 6", // both: away
			} {
				mustExec(t, db, q)
			}
			// The index catches up (a search on another session).
			if got := queryStrings(t, db, "SELECT COUNT(*) FROM t WHERE MATCH(title) AGAINST('apple')"); got[0] != "3" {
				t.Fatalf("latest apple count: %v", got)
			}
			if tc.own {
				for _, q := range []string{"INSERT INTO t VALUES (8, 'apple mine', 'paid')", "UPDATE t SET title = 'kiwi apple' WHERE id = 9"} {
					if _, err := a.ExecContext(ctx, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
			}
			diffs, err := comparePairs(ctx, a, append(snapshotPairs("apple", "paid"), snapshotPairs("pear", "new")...), !tc.own)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				t.Errorf("in the older snapshot: %s", d)
			}
			// (With its own writes the transaction scores the rows one by
			// one, probing the index, instead of running the search.)
			m := srv.Store().Searcher().(*indexes.Manager)
			if covered, uncovered := m.VerifiedSearches(); !tc.own && (slow && (uncovered == 0 || covered > 0) || !slow && (covered == 0 || uncovered > 0)) {
				t.Errorf("searches behind the snapshot: %d with the changes known, %d without (slow path: %v)", covered, uncovered, slow)
			}
			// The snapshot really is older (else the test proves nothing).
			var title string
			if err := a.QueryRowContext(ctx, "SELECT title FROM t WHERE id = 1").Scan(&title); err != nil || title != "red apple" {
				t.Fatalf("snapshot row 1: %q, %v", title, err)
			}
			if _, err := a.ExecContext(ctx, "COMMIT"); err != nil {
				t.Fatal(err)
			}
			diffs, err = comparePairs(ctx, a, snapshotPairs("apple", "paid"), true)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				t.Errorf("after commit: %s", d)
			}
		})
	}
}

// TestSearchSnapshotRandomized: writers commit random inserts, updates
// and deletes while readers in REPEATABLE READ transactions (whose
// snapshots fall behind the index) run the snapshot pairs for random
// words and statuses, sometimes after writing the table themselves, and
// compare each with the table path in the same snapshot. Also with a
// tiny change retention, so that readers fall back to the slow verified
// path. Every comparison must agree.
func TestSearchSnapshotRandomized(t *testing.T) {
	for _, tc := range []struct {
		name   string
		retain int
	}{{"default retention", 0}, {"tiny retention", 4}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.retain > 0 {
				old := indexes.SetMaxRetainedIDs(tc.retain)
				t.Cleanup(func() { indexes.SetMaxRetainedIDs(old) })
			}
			randomizedSnapshots(t)
		})
	}
}

func randomizedSnapshots(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	mustExec(t, db, snapshotTable)
	statuses := []string{"paid", "new", "done"}
	title := func(r *rand.Rand) string {
		return words[r.IntN(len(words))] + " " + words[r.IntN(len(words))]
	}
	{
		r := rand.New(rand.NewPCG(1, 1))
		var vals []string
		for id := 0; id < 60; id++ {
			vals = append(vals, fmt.Sprintf("(%d, '%s', '%s')", id, title(r), statuses[r.IntN(3)]))
		}
		mustExec(t, db, "INSERT INTO t VALUES "+strings.Join(vals, ", "))
	}
	dur := 3 * time.Second
	if testing.Short() {
		dur = time.Second
	}
	// A longer soak: QUARRY_SNAPSHOT_SOAK=30s.
	if d, err := time.ParseDuration(os.Getenv("QUARRY_SNAPSHOT_SOAK")); err == nil && d > 0 {
		dur = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var wg sync.WaitGroup
	var violations, rounds, compared, writes atomic.Int64
	report := func(format string, args ...any) {
		if violations.Add(1) <= 10 {
			t.Errorf(format, args...)
		}
	}
	retryable := func(err error) bool {
		return err == nil || strings.Contains(err.Error(), "Deadlock") || strings.Contains(err.Error(), "Lock wait")
	}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 2))
			for ctx.Err() == nil {
				id := r.IntN(80)
				var err error
				switch r.IntN(4) {
				case 0:
					_, err = db.Exec("REPLACE INTO t VALUES (?, ?, ?)", id, title(r), statuses[r.IntN(3)])
				case 1:
					_, err = db.Exec("UPDATE t SET title = ? WHERE id = ?", title(r), id)
				case 2:
					_, err = db.Exec("UPDATE t SET status = ? WHERE id = ?", statuses[r.IntN(3)], id)
				case 3:
					_, err = db.Exec("DELETE FROM t WHERE id = ?", id)
				}
				if !retryable(err) {
					report("write: %v", err)
				}
				writes.Add(1)
			}
		}(uint64(w) + 10)
	}
	// The readers' own searches catch the index up to the latest commits
	// (and the background applier does), so their snapshots fall behind
	// it as soon as a writer commits.
	for rd := 0; rd < 2; rd++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 3))
			bg := context.Background()
			conn, err := db.Conn(bg)
			if err != nil {
				report("conn: %v", err)
				return
			}
			defer conn.Close()
			firsts := []string{"SELECT COUNT(*) FROM t", "SELECT COUNT(*) FROM t WHERE MATCH(title) AGAINST('fig')", "SELECT COUNT(*) FROM t WHERE status = 'new'"}
			for i := 0; ctx.Err() == nil; i++ {
				if _, err := conn.ExecContext(bg, "BEGIN"); err != nil {
					report("begin: %v", err)
					return
				}
				if _, err := conn.ExecContext(bg, firsts[r.IntN(len(firsts))]); err != nil {
					report("first statement: %v", err)
				}
				time.Sleep(time.Duration(r.IntN(5)) * time.Millisecond)
				own := r.IntN(4) == 0
				if own {
					id := 1000 + int(seed)*100000 + i
					if _, err := conn.ExecContext(bg, "INSERT INTO t VALUES (?, ?, ?)", id, title(r), statuses[r.IntN(3)]); err != nil {
						report("own insert: %v", err)
					}
				}
				pairs := snapshotPairs(words[r.IntN(len(words))], statuses[r.IntN(3)])
				var some []snapshotPair
				for range 3 {
					some = append(some, pairs[r.IntN(len(pairs))])
				}
				diffs, err := comparePairs(bg, conn, some, false)
				if err != nil {
					report("compare: %v", err)
				}
				for _, d := range diffs {
					report("round %d (own writes %v): %s", i, own, d)
				}
				compared.Add(int64(len(some)))
				end := "COMMIT"
				if own {
					end = "ROLLBACK"
				}
				if _, err := conn.ExecContext(bg, end); err != nil {
					report("%s: %v", end, err)
				}
				rounds.Add(1)
			}
		}(uint64(rd) + 20)
	}
	wg.Wait()
	m, ok := srv.Store().Searcher().(*indexes.Manager)
	if !ok {
		t.Fatal("no search manager")
	}
	covered, uncovered := m.VerifiedSearches()
	t.Logf("%d reader rounds, %d comparisons, %d writes, %d searches behind their snapshot (%d with the changes known, %d without), %d violations",
		rounds.Load(), compared.Load(), writes.Load(), covered+uncovered, covered, uncovered, violations.Load())
	if rounds.Load() == 0 || covered+uncovered == 0 {
		t.Fatal("no reader searched from a snapshot older than the index")
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
}
