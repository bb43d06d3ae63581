package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage"
)

// TestScanMatchesRowIter: storage.Scan, split into any number of
// partitions and workers, returns exactly the rows (and columns) that a
// plain SELECT through the row iterator returns: committed data, and
// inside a transaction its uncommitted inserts, updates and deletes.
func TestScanMatchesRowIter(t *testing.T) {
	d := openDatabase(t, "d")
	d.mustQuery("CREATE TABLE t (a INT NOT NULL, b VARCHAR(10) NOT NULL, c BIGINT, s VARCHAR(20), PRIMARY KEY (a, b))")
	r := rand.New(rand.NewPCG(3, 5))
	var vals []string
	for i := 0; i < 600; i++ {
		c := "NULL"
		if r.IntN(5) > 0 {
			c = fmt.Sprint(r.Int64N(1 << 40))
		}
		vals = append(vals, fmt.Sprintf("(%d, 'k%d', %s, 's%d')", r.IntN(400)-100, r.IntN(3), c, r.IntN(50)))
	}
	d.mustQuery("INSERT IGNORE INTO t VALUES " + strings.Join(vals, ","))

	compare := func(label string) {
		t.Helper()
		want := render(d.mustQuery("SELECT c, a, s FROM t ORDER BY a, b"))
		// A statement of its own (the editors above ran as pid 0).
		ctx := sql.NewContext(context.Background(), sql.WithSession(d.ses), sql.WithPid(777))
		db, err := d.e.Provider().Database(ctx, "d")
		if err != nil {
			t.Fatal(err)
		}
		tbl, _, err := db.GetTableInsensitive(ctx, "t")
		if err != nil {
			t.Fatal(err)
		}
		for _, parts := range []int{1, 2, 5, 17} {
			var mu sync.Mutex
			byPart := map[int][]string{}
			st, err := storage.Scan(ctx, tbl, storage.ScanRequest{Columns: []int{2, 0, 3}, Parts: parts, Workers: 3},
				func(_, part int, row []any) error {
					mu.Lock()
					byPart[part] = append(byPart[part], fmt.Sprint(sql.Row(row)))
					mu.Unlock()
					return nil
				})
			if err != nil {
				t.Fatalf("%s parts=%d: %v", label, parts, err)
			}
			var keys []int
			for k := range byPart {
				keys = append(keys, k)
			}
			sort.Ints(keys)
			var got []string
			for _, k := range keys {
				got = append(got, byPart[k]...)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("%s parts=%d (%d partitions, %d read): scan differs from SELECT:\ngot  %v\nwant %v", label, parts, st.Partitions, st.RowsRead, got, want)
			}
			if !st.Parallel || st.RowsRead != int64(len(want)) {
				t.Fatalf("%s parts=%d: stats %+v, want parallel with %d rows", label, parts, st, len(want))
			}
		}
	}
	compare("committed")
	d.mustQuery("BEGIN")
	d.mustQuery("INSERT INTO t VALUES (1000, 'x', 1, 'new'), (-500, 'y', NULL, 'first')")
	d.mustQuery("UPDATE t SET c = c + 1, s = 'upd' WHERE a % 3 = 0")
	d.mustQuery("DELETE FROM t WHERE a % 5 = 1")
	compare("in transaction")
	d.mustQuery("ROLLBACK")
	compare("after rollback")
}
