package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	gmssql "github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/indexes"
	"github.com/quarrydb/quarry/storage"
)

var searchWords = []string{"apple", "banana", "cherry", "durian", "elder", "fig", "grape", "苹果", "香蕉", "樱桃"}

// TestSearchIndexCrash kills a real `quarry serve` with SIGKILL while
// clients insert, update and delete rows of a table with FULLTEXT indexes
// and of a keyless one (whose rows repeat: a document stands for every
// copy of its row), then reopens the data directory (which replays the
// search change log) and checks that every search index holds exactly its
// table's rows.
func TestSearchIndexCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test builds and kills a real server")
	}
	rounds, clients := 4, 4
	if n, err := strconv.Atoi(os.Getenv("QUARRY_CRASH_ROUNDS")); err == nil && n > 0 {
		rounds = n // soak runs
	}
	keep := os.Getenv("QUARRY_CRASH_KEEP") // copy of the killed data directory, for post-mortems
	dataDir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	for round := 0; round < rounds; round++ {
		cmd, addr := startQuarry(t, dataDir)
		db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/?timeout=2s&readTimeout=5s", addr))
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			mustExec(t, db, "CREATE DATABASE s")
			mustExec(t, db, `CREATE TABLE s.docs (id BIGINT PRIMARY KEY, title VARCHAR(200), body TEXT,
				FULLTEXT KEY ft (title, body), FULLTEXT KEY ft_cjk (title) COMMENT 'analyzer=cjk')`)
			mustExec(t, db, `CREATE TABLE s.notes (tag INT, body VARCHAR(100), FULLTEXT KEY ft (body))`)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var acked sync.Map
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seed, uint64(round)))
				word := func() string { return searchWords[r.IntN(len(searchWords))] }
				for ctx.Err() == nil {
					id := r.Int64N(300)
					var err error
					switch r.IntN(8) {
					case 5:
						// Keyless rows, few distinct contents: many copies.
						_, err = db.ExecContext(ctx, "INSERT INTO s.notes VALUES (?, ?)", r.IntN(3), word())
					case 6:
						_, err = db.ExecContext(ctx, "DELETE FROM s.notes WHERE tag = ? LIMIT 1", r.IntN(3))
					case 7:
						_, err = db.ExecContext(ctx, "UPDATE s.notes SET body = ? WHERE tag = ? LIMIT 2", word(), r.IntN(3))
					case 4:
						// Searches make the server apply the log mid-load.
						var rows *sql.Rows
						if rows, err = db.QueryContext(ctx, "SELECT id FROM s.docs WHERE MATCH(title, body) AGAINST(?)", word()); err == nil {
							rows.Close()
						}
					case 0, 1:
						_, err = db.ExecContext(ctx, "REPLACE INTO s.docs VALUES (?, ?, ?)", id, word()+" "+word(), word())
					case 2:
						_, err = db.ExecContext(ctx, "UPDATE s.docs SET title = ? WHERE id = ?", word(), id)
					case 3:
						var tx *sql.Tx
						if tx, err = db.BeginTx(ctx, nil); err == nil {
							_, err = tx.Exec("DELETE FROM s.docs WHERE id = ?", id)
							if err == nil {
								_, err = tx.Exec("INSERT INTO s.docs VALUES (?, ?, ?)", id+1000, word(), word())
							}
							if err == nil && r.IntN(2) == 0 {
								err = tx.Rollback()
							} else if err == nil {
								err = tx.Commit()
							} else {
								tx.Rollback()
							}
						}
					}
					if err == nil {
						acked.Store(id, true)
					}
				}
			}(uint64(c + 10*round))
		}
		time.Sleep(time.Duration(400+rng.IntN(1200)) * time.Millisecond)
		killDuringLoad(t, cmd, func() { cancel(); wg.Wait(); db.Close() })
		if keep != "" {
			_ = os.RemoveAll(keep)
			if err := os.CopyFS(keep, os.DirFS(dataDir)); err != nil {
				t.Fatal(err)
			}
		}

		st, err := storage.Open(storage.Options{Dir: dataDir})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		m, err := indexes.Attach(st, filepath.Join(dataDir, "search"), nil)
		if err != nil {
			st.Close()
			t.Fatalf("round %d: attach search indexes: %v", round, err)
		}
		if err := m.Check(); err != nil {
			st.Close()
			t.Fatalf("round %d: %v", round, err)
		}
		n := 0
		for _, d := range st.SearchIndexes() {
			_ = st.ScanRowsLatest(d.TableID, func([]byte, gmssql.Row) error { n++; return nil })
		}
		// n counts each table row once per search index.
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: search indexes equal their tables (%d documents checked)", round, n)
	}
}
