package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/catalog"
)

// TestRunParts checks runParts with one worker (run on the caller's
// goroutine) and with several: every partition's spans are read once, in
// order within a partition, rows add up, the first error stops the scan
// and is returned, a panic in a read becomes an error naming the table,
// and a cancelled statement reports its context's error.
func TestRunParts(t *testing.T) {
	tbl := &Table{m: &tableMeta{def: &catalog.Table{Name: "rp"}}}
	parts := make([]scanPart, 9)
	for p := range parts {
		for s := 0; s < 3; s++ {
			parts[p].spans = append(parts[p].spans, span{start: []byte{byte(p), byte(s)}})
		}
	}
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprint("workers=", workers), func(t *testing.T) {
			ctx := sql.NewEmptyContext()
			var mu sync.Mutex
			seen := map[[2]byte]int{}
			last := map[int]int{}
			rows, err := tbl.runParts(ctx, parts, workers, func(_ context.Context, w, p int, s span) (int64, error) {
				if w < 0 || w >= workers {
					return 0, fmt.Errorf("worker %d of %d", w, workers)
				}
				mu.Lock()
				defer mu.Unlock()
				seen[[2]byte{s.start[0], s.start[1]}]++
				if prev, ok := last[p]; ok && int(s.start[1]) != prev+1 {
					return 0, fmt.Errorf("part %d: span %d after %d", p, s.start[1], prev)
				}
				last[p] = int(s.start[1])
				return int64(p + 1), nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(3 * 45); rows != want {
				t.Errorf("rows %d, want %d", rows, want)
			}
			if len(seen) != 27 {
				t.Errorf("%d spans read, want 27", len(seen))
			}
			for k, n := range seen {
				if n != 1 {
					t.Errorf("span %v read %d times", k, n)
				}
			}

			boom := errors.New("boom")
			_, err = tbl.runParts(ctx, parts, workers, func(_ context.Context, _, p int, _ span) (int64, error) {
				if p == 2 {
					return 0, boom
				}
				return 1, nil
			})
			if !errors.Is(err, boom) {
				t.Errorf("error %v, want boom", err)
			}

			_, err = tbl.runParts(ctx, parts, workers, func(_ context.Context, _, p int, _ span) (int64, error) {
				if p == 4 {
					panic("bad row")
				}
				return 1, nil
			})
			if err == nil || err.Error() != "storage: scan of rp: panic: bad row" {
				t.Errorf("panic became %v", err)
			}

			cctx, cancel := context.WithCancel(context.Background())
			sctx := sql.NewContext(cctx)
			_, err = tbl.runParts(sctx, parts, workers, func(gctx context.Context, _, p int, _ span) (int64, error) {
				if p == 0 {
					cancel()
				}
				return 1, gctx.Err()
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled scan returned %v", err)
			}
		})
	}
}
