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
	"github.com/quarrydb/quarry/storage/rowcodec"
)

// TestScanTypedMatchesScan: ScanTyped reads exactly the rows Scan reads
// (committed data, and inside a transaction its uncommitted inserts,
// updates and deletes), in the same partitions and order, and the
// decoder's Value of each slot is the value Scan returns.
func TestScanTypedMatchesScan(t *testing.T) {
	d := openDatabase(t, "d")
	d.mustQuery("CREATE TABLE t (a INT NOT NULL, b VARCHAR(10) NOT NULL, c BIGINT, s VARCHAR(20), ts DATETIME(6), f FLOAT, PRIMARY KEY (a, b))")
	r := rand.New(rand.NewPCG(9, 1))
	var vals []string
	for i := 0; i < 600; i++ {
		c := "NULL"
		if r.IntN(5) > 0 {
			c = fmt.Sprint(r.Int64N(1<<40) - 1<<39)
		}
		vals = append(vals, fmt.Sprintf("(%d, 'k%d', %s, 's%d', '2024-05-%02d 10:00:00.%06d', %d.25)", r.IntN(400)-100, r.IntN(3), c, r.IntN(50), 1+r.IntN(28), r.IntN(1e6), r.IntN(100)))
	}
	d.mustQuery("INSERT IGNORE INTO t VALUES " + strings.Join(vals, ","))
	cols := []int{2, 3, 4, 5}

	compare := func(label string) {
		t.Helper()
		ctx := sql.NewContext(context.Background(), sql.WithSession(d.ses), sql.WithPid(778))
		db, err := d.e.Provider().Database(ctx, "d")
		if err != nil {
			t.Fatal(err)
		}
		tbl, _, err := db.GetTableInsensitive(ctx, "t")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := storage.TypedDecoderFor(tbl, []int{2, 0}); ok {
			t.Fatal("a primary-key column cannot be read typed")
		}
		dec, ok := storage.TypedDecoderFor(tbl, cols)
		if !ok {
			t.Fatal("no typed decoder")
		}
		for _, parts := range []int{1, 3, 17} {
			collect := func(typed bool) (map[int][]string, storage.ScanStats) {
				var mu sync.Mutex
				byPart := map[int][]string{}
				req := storage.ScanRequest{Columns: cols, Parts: parts, Workers: 3}
				var st storage.ScanStats
				if typed {
					var ok bool
					st, ok, err = storage.ScanTyped(ctx, tbl, req, dec, func(_, part int, row []rowcodec.Slot) error {
						vals := make(sql.Row, len(row))
						for i := range row {
							v, err := dec.Value(i, &row[i])
							if err != nil {
								return err
							}
							vals[i] = v
						}
						mu.Lock()
						byPart[part] = append(byPart[part], fmt.Sprintf("%#v", vals))
						mu.Unlock()
						return nil
					})
					if err == nil && !ok {
						t.Fatalf("%s: typed scan refused", label)
					}
				} else {
					st, err = storage.Scan(ctx, tbl, req, func(_, part int, row []any) error {
						mu.Lock()
						byPart[part] = append(byPart[part], fmt.Sprintf("%#v", sql.Row(row)))
						mu.Unlock()
						return nil
					})
				}
				if err != nil {
					t.Fatalf("%s parts=%d typed=%v: %v", label, parts, typed, err)
				}
				return byPart, st
			}
			want, wst := collect(false)
			got, gst := collect(true)
			if wst != gst {
				t.Fatalf("%s parts=%d: typed stats %+v, want %+v", label, parts, gst, wst)
			}
			var keys []int
			for k := range want {
				keys = append(keys, k)
			}
			sort.Ints(keys)
			for _, k := range keys {
				if g, w := strings.Join(got[k], "\n"), strings.Join(want[k], "\n"); g != w {
					t.Fatalf("%s parts=%d part %d: typed scan differs:\ngot  %s\nwant %s", label, parts, k, g, w)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%s parts=%d: %d partitions with rows, want %d", label, parts, len(got), len(want))
			}
		}
	}
	compare("committed")
	d.mustQuery("BEGIN")
	d.mustQuery("INSERT INTO t VALUES (1000, 'x', 1, 'new', NULL, NULL), (-500, 'y', NULL, 'first', '2020-01-01', 1.5)")
	d.mustQuery("UPDATE t SET c = c + 1, s = 'upd', ts = NULL WHERE a % 3 = 0")
	d.mustQuery("DELETE FROM t WHERE a % 5 = 1")
	compare("in transaction")
	d.mustQuery("ROLLBACK")
	compare("after rollback")
}

// RunsSerially is true exactly when ScanTyped refuses the scan for not
// being parallel: a secondary index lookup, a reverse lookup, a locking
// read, a keyless table; false for primary-key scans and lookups.
func TestRunsSeriallyMatchesScanTyped(t *testing.T) {
	d := openDatabase(t, "d")
	d.mustQuery("CREATE TABLE t (id INT NOT NULL PRIMARY KEY, k INT NOT NULL, v BIGINT, KEY kk (k))")
	d.mustQuery("CREATE TABLE nokey (k INT, v BIGINT)")
	d.mustQuery("INSERT INTO t VALUES (1, 10, 100), (2, 20, 200), (3, 30, 300)")
	d.mustQuery("INSERT INTO nokey VALUES (1, 1)")
	ctx := sql.NewContext(context.Background(), sql.WithSession(d.ses), sql.WithPid(901))
	db, err := d.e.Provider().Database(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	table := func(name string) sql.Table {
		tbl, _, err := db.GetTableInsensitive(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return tbl
	}
	lookup := func(tbl sql.Table, index string, reverse bool) *sql.IndexLookup {
		idxs, err := tbl.(sql.IndexAddressableTable).GetIndexes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ix := range idxs {
			if ix.ID() == index {
				rs := sql.NewMySQLIndexBuilder(ix).GreaterOrEqual(ctx, ix.Expressions()[0], int32(2)).Ranges(ctx)
				l := sql.NewIndexLookup(ix, rs, false, false, false, reverse)
				return &l
			}
		}
		t.Fatalf("no index %s", index)
		return nil
	}
	tt, nk := table("t"), table("nokey")
	for _, c := range []struct {
		name   string
		tbl    sql.Table
		lookup *sql.IndexLookup
		serial bool
	}{
		{"full scan", tt, nil, false},
		{"primary lookup", tt, lookup(tt, "PRIMARY", false), false},
		{"reverse primary lookup", tt, lookup(tt, "PRIMARY", true), true},
		{"secondary lookup", tt, lookup(tt, "kk", false), true},
		{"keyless table", nk, nil, true},
	} {
		req := storage.ScanRequest{Lookup: c.lookup, Columns: []int{1}, Parts: 2, Workers: 2}
		serial, err := storage.RunsSerially(ctx, c.tbl, req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if serial != c.serial {
			t.Fatalf("%s: RunsSerially %v, want %v", c.name, serial, c.serial)
		}
		dec, ok := storage.TypedDecoderFor(c.tbl, []int{1})
		if !ok {
			if !c.serial {
				t.Fatalf("%s: no typed decoder", c.name)
			}
			continue // keyless: never typed
		}
		_, typed, err := storage.ScanTyped(ctx, c.tbl, req, dec, func(int, int, []rowcodec.Slot) error { return nil })
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if typed == serial {
			t.Fatalf("%s: ScanTyped ran %v, RunsSerially %v", c.name, typed, serial)
		}
	}
}
