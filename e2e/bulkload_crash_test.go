package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
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
		killDuringLoad(t, cmd, func() { cancel(); wg.Wait(); db.Close() })

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

// TestCrashDuringLoadData kills a real `quarry serve` with SIGKILL while a
// client runs LOAD DATA LOCAL INFILE statements of loadBlock rows each
// (the bulk path: sorted runs ingested at commit) into a table with a
// secondary and a FULLTEXT index. After each kill the data directory must
// reopen consistent, every acknowledged statement's rows must be there,
// and every statement must be there whole or not at all.
func TestCrashDuringLoadData(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test builds and kills a real server")
	}
	const (
		rounds    = 4
		loadBlock = 20000
	)
	dataDir := t.TempDir()
	fileDir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
	acked := map[int64]bool{} // blocks whose LOAD DATA was acknowledged
	var nextBlock int64
	loaded := 0

	for round := 0; round < rounds; round++ {
		cmd, addr := startQuarry(t, dataDir)
		db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/?timeout=2s&readTimeout=60s&allowAllFiles=true", addr))
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, "SET GLOBAL local_infile = 1")
		if round == 0 {
			mustExec(t, db, "CREATE DATABASE bulk")
			mustExec(t, db, `CREATE TABLE bulk.l (id BIGINT PRIMARY KEY, k INT NOT NULL,
				s VARCHAR(40) NOT NULL, KEY by_k (k), FULLTEXT KEY ft (s))`)
		}
		verifyLoadBlocks(t, db, acked, loadBlock)

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var mu sync.Mutex
		wg.Add(1)
		go func() { // the loader
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				block := nextBlock
				nextBlock++
				mu.Unlock()
				var b strings.Builder
				for id := block * loadBlock; id < (block+1)*loadBlock; id++ {
					fmt.Fprintf(&b, "%d,%d,\"word%d block%d\"\n", id, id%97, id%13, block)
				}
				path := filepath.Join(fileDir, fmt.Sprintf("b%d.csv", block))
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					return
				}
				q := fmt.Sprintf("LOAD DATA LOCAL INFILE '%s' INTO TABLE bulk.l FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"'", path)
				if _, err := db.ExecContext(ctx, q); err == nil {
					mu.Lock()
					acked[block] = true
					mu.Unlock()
				}
			}
		}()
		time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
		killDuringLoad(t, cmd, func() { cancel(); wg.Wait(); db.Close() })

		checkReopened(t, dataDir, round)
		mu.Lock()
		loaded = len(acked)
		mu.Unlock()
		t.Logf("round %d: %d acknowledged LOAD DATA statements so far", round, loaded)
	}

	cmd, addr := startQuarry(t, dataDir)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	db, _ := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/", addr))
	defer db.Close()
	if loaded == 0 {
		t.Fatal("no LOAD DATA was acknowledged")
	}
	verifyLoadBlocks(t, db, acked, loadBlock)
	// The index and the search index agree with a scan.
	if a, b := queryInt(t, db, "SELECT COUNT(*) FROM bulk.l WHERE k = 5"), queryInt(t, db, "SELECT COUNT(*) FROM bulk.l WHERE k + 0 = 5"); a != b {
		t.Fatalf("index lookup finds %d rows, a scan %d", a, b)
	}
	if a, b := queryInt(t, db, "SELECT COUNT(*) FROM bulk.l WHERE MATCH(s) AGAINST('word5')"), queryInt(t, db, "SELECT COUNT(*) FROM bulk.l WHERE s LIKE 'word5 %'"); a != b {
		t.Fatalf("the search index finds %d rows, a scan %d", a, b)
	}
}

// verifyLoadBlocks checks that each block of rows is complete or absent,
// and complete if acknowledged.
func verifyLoadBlocks(t *testing.T, db *sql.DB, acked map[int64]bool, block int64) {
	t.Helper()
	rows, err := db.Query(fmt.Sprintf("SELECT id DIV %d, COUNT(*) FROM bulk.l GROUP BY id DIV %d", block, block))
	if err != nil {
		if strings.Contains(err.Error(), "doesn't exist") || strings.Contains(err.Error(), "not found") {
			if len(acked) == 0 {
				return
			}
		}
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int64]int64{}
	for rows.Next() {
		var b, n int64
		if err := rows.Scan(&b, &n); err != nil {
			t.Fatal(err)
		}
		got[b] = n
		if n != block {
			t.Fatalf("block %d has %d of its %d rows: a LOAD DATA was not atomic", b, n, block)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for b := range acked {
		if got[b] != block {
			t.Fatalf("acknowledged block %d has %d rows", b, got[b])
		}
	}
}
