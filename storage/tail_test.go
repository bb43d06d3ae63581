package storage_test

import (
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
)

// TestInsertDuplicateChecksAroundTheTail exercises the primary-key tail
// (storage/tail.go), which lets inserts above every committed key skip the
// duplicate read: duplicates below, at and above the tail, within one
// transaction, after a rollback, after deletes, and after a reopen (the
// tail is reloaded from the store).
func TestInsertDuplicateChecksAroundTheTail(t *testing.T) {
	dir := t.TempDir()
	d := openTestDB(t, dir)
	d.mustQuery("CREATE DATABASE tl")
	d.ses.SetCurrentDatabase("tl")
	d.mustQuery("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
	d.mustQuery("CREATE TABLE c (a VARCHAR(10) COLLATE utf8mb4_0900_ai_ci, b INT, PRIMARY KEY (a, b))")
	dup := func(q string) {
		t.Helper()
		_, err := d.query(q)
		if err == nil || !sql.ErrPrimaryKeyViolation.Is(err) && !strings.Contains(err.Error(), "duplicate") {
			t.Fatalf("%s: got %v, want a duplicate-key error", q, err)
		}
	}
	d.mustQuery("INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)")
	dup("INSERT INTO t VALUES (3, 0)") // the tail itself
	dup("INSERT INTO t VALUES (2, 0)")
	dup("INSERT INTO t VALUES (4, 0), (4, 1)") // above the tail, twice in one statement
	d.mustQuery("BEGIN")
	d.mustQuery("INSERT INTO t VALUES (10, 10)")
	dup("INSERT INTO t VALUES (10, 0)") // the transaction's own uncommitted row
	d.mustQuery("ROLLBACK")
	d.mustQuery("INSERT INTO t VALUES (10, 10)") // the rolled-back row is gone
	d.mustQuery("DELETE FROM t WHERE id = 10")
	d.mustQuery("INSERT INTO t VALUES (10, 11)") // deleted rows can come back
	d.mustQuery("BEGIN")
	d.mustQuery("DELETE FROM t WHERE id = 10")
	d.mustQuery("INSERT INTO t VALUES (10, 12)") // deleted in this transaction
	d.mustQuery("COMMIT")
	d.mustQuery("INSERT INTO c VALUES ('b', 1)")
	dup("INSERT INTO c VALUES ('B', 1)") // equal under the collation
	d.mustQuery("INSERT INTO c VALUES ('c', 0)")
	if got := fmt.Sprint(d.mustQuery("SELECT id, v FROM t ORDER BY id")); got != "[[1 1] [2 2] [3 3] [10 12]]" {
		t.Fatalf("rows: %s", got)
	}
	d.close()

	d = openTestDB(t, dir)
	defer d.close()
	d.ses.SetCurrentDatabase("tl")
	dup("INSERT INTO t VALUES (10, 0)")
	dup("INSERT INTO c VALUES ('C', 0)")
	d.mustQuery("INSERT INTO t VALUES (11, 11)")
	if err := d.e.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentInsertsNeverDuplicateKeys races sessions inserting
// overlapping, mostly ascending keys (some committed, some rolled back)
// and checks that every key was accepted exactly once.
func TestConcurrentInsertsNeverDuplicateKeys(t *testing.T) {
	d := openDatabase(t, "tc")
	d.mustQuery("CREATE TABLE t (id INT PRIMARY KEY, w INT)")
	const workers, perWorker = 4, 200
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted = map[int]int{}
		errs     = make(chan error, workers)
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ses := d.e.NewSession(sql.NewBaseSession())
			ses.SetCurrentDatabase("tc")
			rng := rand.New(rand.NewSource(int64(w)))
			for i := 0; i < perWorker; i++ {
				// Every worker walks the same ascending keys with jitter,
				// so they race at the tail.
				id := i + rng.Intn(3)
				rollback := rng.Intn(5) == 0
				if err := runStmt(d.eng, ses, "BEGIN"); err != nil {
					errs <- err
					return
				}
				err := runStmt(d.eng, ses, fmt.Sprintf("INSERT INTO t VALUES (%d, %d)", id, w))
				switch {
				case err == nil:
				case sql.ErrPrimaryKeyViolation.Is(err) || strings.Contains(err.Error(), "duplicate"),
					strings.Contains(err.Error(), "lock wait timeout"), strings.Contains(err.Error(), "deadlock"):
					_ = runStmt(d.eng, ses, "ROLLBACK")
					continue
				default:
					errs <- err
					return
				}
				end := "COMMIT"
				if rollback {
					end = "ROLLBACK"
				}
				if err := runStmt(d.eng, ses, end); err != nil {
					errs <- err
					return
				}
				if !rollback {
					mu.Lock()
					accepted[id]++
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for id, n := range accepted {
		if n != 1 {
			t.Errorf("key %d accepted %d times", id, n)
		}
	}
	got := d.mustQuery("SELECT COUNT(*), COUNT(DISTINCT id) FROM t")[0]
	if fmt.Sprint(got[0]) != fmt.Sprint(len(accepted)) || fmt.Sprint(got[1]) != fmt.Sprint(len(accepted)) {
		t.Fatalf("COUNT(*), COUNT(DISTINCT id) = %v, want %d", got, len(accepted))
	}
}
