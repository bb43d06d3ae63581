package storage

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"sync"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
)

// decoderPlanTable opens an engine with table d.t (composite primary key,
// the key's columns not first, values of several types and NULLs) and
// returns its meta and its primary data entries.
func decoderPlanTable(t *testing.T) (*tableMeta, [][2][]byte) {
	t.Helper()
	e, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	eng := sqle.NewDefault(e.Provider())
	ses := e.NewSession(sql.NewBaseSession())
	for _, q := range []string{
		"CREATE DATABASE d",
		"CREATE TABLE d.t (v VARCHAR(20), b INT, n DOUBLE, a BIGINT, j TEXT, PRIMARY KEY (a, b))",
		"INSERT INTO d.t VALUES ('x', 1, 1.5, 10, 'jj'), (NULL, 2, NULL, 10, NULL), ('zz', -3, 0, -7, '')",
	} {
		ctx := sql.NewContext(context.Background(), sql.WithSession(ses), sql.WithQuery(q))
		_, iter, _, err := eng.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for {
			if _, err := iter.Next(ctx); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := iter.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	m := e.dbs["d"].tables["t"]
	it, err := e.kv.NewIter(indexPrefix(m.id(), primaryIndexID), indexPrefix(m.id(), primaryIndexID+1))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var entries [][2][]byte
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.Value()
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, [2][]byte{append([]byte(nil), it.Key()...), append([]byte(nil), v...)})
	}
	if len(entries) != 3 {
		t.Fatalf("%d data entries, want 3", len(entries))
	}
	return m, entries
}

// TestDecoderPlanMemo checks that memoized decoder plans decode every
// projection exactly as a freshly compiled plan does, that equal
// projections share one plan and different ones do not, and that the memo
// stays bounded.
func TestDecoderPlanMemo(t *testing.T) {
	m, entries := decoderPlanTable(t)
	projs := [][]int{{}, {0}, {3, 1}, {1, 3}, {0, 1, 2, 3, 4}, {4, 2, 0}, {2}, {3, 3, 0}}
	for _, proj := range projs {
		fresh, err := compileDecoderPlan(m, proj)
		if err != nil {
			t.Fatal(err)
		}
		for round := 0; round < 2; round++ { // compile, then from the memo
			d, err := newRowDecoder(m, proj)
			if err != nil {
				t.Fatal(err)
			}
			ref := &rowDecoder{m: m, proj: proj, decoderPlan: fresh, buf: make([]any, fresh.nVals)}
			for _, kv := range entries {
				got, gc, err := d.decode(kv[0], kv[1])
				if err != nil {
					t.Fatal(err)
				}
				want, wc, err := ref.decode(kv[0], kv[1])
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) || gc != wc {
					t.Fatalf("proj %v: memo decodes %v (card %d), fresh plan %v (card %d)", proj, got, gc, want, wc)
				}
			}
		}
	}
	for i := 0; i < 2; i++ { // an invalid projection fails every time
		if _, err := newRowDecoder(m, []int{0, 0}); err == nil {
			t.Fatal("duplicate value column: no error")
		}
	}
	a, _ := m.decoderPlan([]int{3, 1})
	b, _ := m.decoderPlan(append([]int(nil), 3, 1))
	c, _ := m.decoderPlan([]int{1, 3})
	if a != b || a == c {
		t.Fatalf("plan sharing: same projection %v, different projections %v", a == b, a == c)
	}
	// Ordered pairs and triples of distinct columns: 20 + 60 projections.
	for x := 0; x < 5; x++ {
		for y := 0; y < 5; y++ {
			for z := -1; z < 5; z++ {
				proj := []int{x, y, z}
				if z < 0 {
					proj = proj[:2]
				}
				if x == y || x == z || y == z {
					continue
				}
				if _, err := m.decoderPlan(proj); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if n := len(m.decoders.plans); n > maxDecoderPlans {
		t.Fatalf("memo holds %d plans, bound %d", n, maxDecoderPlans)
	}
}

// TestDecoderPlanConcurrent decodes through shared plans from several
// goroutines (run under -race: plans are shared, buffers are not).
func TestDecoderPlanConcurrent(t *testing.T) {
	m, entries := decoderPlanTable(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			proj := []int{g % 5, 3}
			for i := 0; i < 200; i++ {
				d, err := newRowDecoder(m, proj)
				if err != nil {
					errs <- err
					return
				}
				kv := entries[i%len(entries)]
				row, _, err := d.decode(kv[0], kv[1])
				if err != nil {
					errs <- err
					return
				}
				if len(row) != len(proj) {
					errs <- fmt.Errorf("row %v for projection %v", row, proj)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
