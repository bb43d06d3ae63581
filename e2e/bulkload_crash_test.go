package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestCrashDuringBulkLoad kills a real `quarry serve` with SIGKILL while a
// client loads rows as a dump does (extended literal INSERTs, which take
// the bulk INSERT path) and another toggles DISABLE KEYS / ENABLE KEYS
// (whose rebuild ingests sstables). After each kill the data directory
// must reopen consistent, every acknowledged INSERT must be there, and
// once ENABLE KEYS has run the indexes must return what a table scan does.
func TestCrashDuringBulkLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test builds and kills a real server")
	}
	const rounds = 4
	dataDir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	acked := map[int64]int64{} // id -> k of acknowledged rows
	var nextID int64

	for round := 0; round < rounds; round++ {
		cmd, addr := startQuarry(t, dataDir)
		db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/?timeout=2s&readTimeout=10s", addr))
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			mustExec(t, db, "CREATE DATABASE bulk")
			mustExec(t, db, `CREATE TABLE bulk.t (id BIGINT PRIMARY KEY, k INT NOT NULL,
				s VARCHAR(20) NOT NULL, KEY by_k (k), KEY by_s_k (s, k))`)
		}
		verifyBulkRows(t, db, acked)

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var mu sync.Mutex
		wg.Add(2)
		go func() { // the loader
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				first := nextID + 1
				nextID += 200
				mu.Unlock()
				var vals []string
				ks := map[int64]int64{}
				for id := first; id < first+200; id++ {
					k := id % 97
					ks[id] = k
					vals = append(vals, fmt.Sprintf("(%d,%d,'s%d')", id, k, id%13))
				}
				if _, err := db.ExecContext(ctx, "INSERT INTO bulk.t VALUES "+strings.Join(vals, ",")); err == nil {
					mu.Lock()
					for id, k := range ks {
						acked[id] = k
					}
					mu.Unlock()
				}
			}
		}()
		go func() { // DISABLE KEYS / ENABLE KEYS, as dumps do around each table
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				q := "ALTER TABLE bulk.t DISABLE KEYS"
				if i%2 == 1 {
					q = "ALTER TABLE bulk.t ENABLE KEYS"
				}
				db.ExecContext(ctx, q)
				time.Sleep(time.Duration(20+rand.IntN(80)) * time.Millisecond)
			}
		}()
		time.Sleep(time.Duration(400+rng.IntN(1200)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		cancel()
		wg.Wait()
		db.Close()

		checkReopened(t, dataDir, round)
		t.Logf("round %d: %d acknowledged rows so far", round, len(acked))
	}

	cmd, addr := startQuarry(t, dataDir)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	db, _ := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/", addr))
	defer db.Close()
	if len(acked) == 0 {
		t.Fatal("no INSERT was acknowledged")
	}
	verifyBulkRows(t, db, acked)
	mustExec(t, db, "ALTER TABLE bulk.t ENABLE KEYS")
	// Through the rebuilt indexes, every k and (s, k) group has the rows a
	// scan finds.
	for _, q := range []struct{ indexed, scan string }{
		{"SELECT COUNT(*) FROM bulk.t WHERE k = 5", "SELECT COUNT(*) FROM bulk.t WHERE k + 0 = 5"},
		{"SELECT COUNT(*) FROM bulk.t WHERE s = 's3' AND k < 50", "SELECT COUNT(*) FROM bulk.t WHERE CONCAT(s, '') = 's3' AND k + 0 < 50"},
	} {
		if a, b := queryInt(t, db, q.indexed), queryInt(t, db, q.scan); a != b {
			t.Fatalf("%s = %d, but a scan finds %d", q.indexed, a, b)
		}
	}
	rows, err := db.Query("EXPLAIN FORMAT=TREE SELECT id FROM bulk.t WHERE k = 5")
	if err != nil {
		t.Fatal(err)
	}
	var plan string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan += line + "\n"
	}
	rows.Close()
	if !strings.Contains(plan, "IndexedTableAccess") {
		t.Fatalf("after ENABLE KEYS the index is not used:\n%s", plan)
	}
	st := queryInt(t, db, "SELECT COUNT(*) FROM bulk.t")
	if st < int64(len(acked)) {
		t.Fatalf("%d rows, %d acknowledged", st, len(acked))
	}
}

func verifyBulkRows(t *testing.T, db *sql.DB, acked map[int64]int64) {
	t.Helper()
	if len(acked) == 0 {
		return
	}
	rows, err := db.Query("SELECT id, k FROM bulk.t")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int64]int64{}
	for rows.Next() {
		var id, k int64
		if err := rows.Scan(&id, &k); err != nil {
			t.Fatal(err)
		}
		got[id] = k
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, k := range acked {
		if g, ok := got[id]; !ok || g != k {
			t.Fatalf("acknowledged row %d: got k=%d (present %v), want %d", id, g, ok, k)
		}
	}
}
