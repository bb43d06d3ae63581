package pebblekv

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Point reads of shared snapshots, which reuse iterators, return what a
// plain Pebble Get of the same snapshot returns, for random histories of
// sets, deletes, range deletes, counter merges and flushes, and for keys
// that are prefixes of others or absent. (Quarry writes no empty key, and
// Pebble's invariant checks reject one in a flush.)
func TestPointItersMatchGet(t *testing.T) {
	reused := 0
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { reused += checkPointIters(t, seed) })
	}
	if reused == 0 {
		t.Fatal("no read found an idle iterator to reuse")
	}
	t.Logf("%d reads reused an iterator", reused)
}

// checkPointIters runs one random history; it returns how many reads
// found an idle iterator.
func checkPointIters(t *testing.T, seed uint64) (reused int) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var open []*snapshot
	closed := false
	t.Cleanup(func() { // a failed run: stop Pebble before its files go
		if !closed {
			for _, sn := range open {
				sn.Close()
			}
			s.Close()
		}
	})
	r := rand.New(rand.NewPCG(seed, 7))
	keys := [][]byte{[]byte("a"), []byte("ab"), []byte("abc"), []byte("b"), {0}, {0, 0}, {0xff}}
	for i := 0; i < 40; i++ {
		keys = append(keys, []byte(fmt.Sprintf("k%02d", i)))
	}
	sets := len(keys)
	key := func() []byte { return keys[r.IntN(len(keys))] }
	// Counters take only merges (a Set would not be a counter operand).
	counters := [][]byte{[]byte("c0"), []byte("c1"), []byte("c2")}
	keys = append(keys, counters...)
	for step := 0; step < 400; step++ {
		switch op := r.IntN(10); {
		case op < 4:
			b := s.NewBatch()
			for n := 1 + r.IntN(3); n > 0; n-- {
				k := keys[r.IntN(sets)]
				var err error
				switch r.IntN(4) {
				case 0:
					err = b.Delete(key())
				case 1:
					err = b.AddInt64(counters[r.IntN(len(counters))], int64(r.IntN(5)))
				case 2:
					lo, hi := key(), key()
					if bytes.Compare(lo, hi) > 0 {
						lo, hi = hi, lo
					}
					err = b.DeleteRange(lo, hi)
				default:
					err = b.Set(k, fmt.Appendf(nil, "v%d", step))
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Commit(false); err != nil {
				t.Fatal(err)
			}
			b.Close()
		case op == 4:
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
		case op < 7 || len(open) == 0:
			open = append(open, s.NewSnapshot().(*snapshot))
		case op == 7:
			i := r.IntN(len(open))
			if err := open[i].Close(); err != nil {
				t.Fatal(err)
			}
			open = append(open[:i], open[i+1:]...)
		default:
			sn := open[r.IntN(len(open))]
			for n := 1 + r.IntN(6); n > 0; n-- {
				k := key()
				if sh := sn.sh; sh != nil {
					sh.pts.mu.Lock()
					if len(sh.pts.idle) > 0 {
						reused++
					}
					sh.pts.mu.Unlock()
				}
				got, gotOK, err := sn.Get(k)
				if err != nil {
					t.Fatal(err)
				}
				want, wantOK, err := get(sn.s, k)
				if err != nil {
					t.Fatal(err)
				}
				if gotOK != wantOK || !bytes.Equal(got, want) {
					t.Fatalf("step %d: Get(%q) = %q, %v; Pebble's Get = %q, %v", step, k, got, gotOK, want, wantOK)
				}
			}
		}
	}
	for _, sn := range open {
		if err := sn.Close(); err != nil {
			t.Fatal(err)
		}
	}
	closed = true
	// Close reports iterators left open.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return reused
}

// A completed write retires a shared snapshot's iterators at its next
// read, and no iterator outlives its snapshot.
func TestPointItersRetire(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	put := func(k, v string) { putKV(t, s, k, v) }
	read := func(sn *snapshot, k, want string) {
		t.Helper()
		v, ok, err := sn.Get([]byte(k))
		if err != nil || !ok || string(v) != want {
			t.Fatalf("Get(%s) = %q, %v, %v; want %q", k, v, ok, err, want)
		}
	}
	idle := func(sn *snapshot) int {
		sn.sh.pts.mu.Lock()
		defer sn.sh.pts.mu.Unlock()
		return len(sn.sh.pts.idle)
	}
	put("a", "1")
	sn := s.NewSnapshot().(*snapshot)
	read(sn, "a", "1") // a plain Get
	if n := idle(sn); n != 0 {
		t.Fatalf("%d idle iterators after the first read, want 0", n)
	}
	read(sn, "a", "1")
	read(sn, "a", "1")
	if n := idle(sn); n != 1 {
		t.Fatalf("%d idle iterators after reuse, want 1", n)
	}
	put("a", "2")
	read(sn, "a", "1") // the snapshot's value, by a plain Get
	if n := idle(sn); n != 0 || !sn.sh.pts.retired {
		t.Fatalf("after a write: %d idle iterators, retired %v", n, sn.sh.pts.retired)
	}
	if err := sn.Close(); err != nil {
		t.Fatal(err)
	}
	// An idle current snapshot keeps its iterators until the write after
	// it; Close must close them (it reports leaked iterators).
	sn = s.NewSnapshot().(*snapshot)
	read(sn, "a", "2")
	read(sn, "a", "2")
	if err := sn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// Readers share snapshots and their iterators while writers retire them.
// Run under -race; Close then reports any iterator left open.
func TestPointItersConcurrent(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	const nkeys = 64
	k := func(i int) []byte { return []byte(fmt.Sprintf("k%03d", i)) }
	b := s.NewBatch()
	for i := 0; i < nkeys; i++ {
		_ = b.Set(k(i), []byte("0"))
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	b.Close()
	stop := make(chan struct{})
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Add(1)
	go func() { // a writer, every few hundred microseconds
		defer wg.Done()
		for n := 1; ; n++ {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Microsecond):
			}
			b := s.NewBatch()
			_ = b.Set(k(n%nkeys), []byte(fmt.Sprint(n)))
			if err := b.Commit(false); err != nil {
				errs <- err
				return
			}
			b.Close()
			writes.Add(1)
		}
	}()
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				sn := s.NewSnapshot().(*snapshot)
				for n := 0; n < 5; n++ {
					key := k(r.IntN(nkeys))
					got, ok, err := sn.Get(key)
					if err == nil {
						var want []byte
						var wantOK bool
						want, wantOK, err = get(sn.s, key)
						if err == nil && (ok != wantOK || !bytes.Equal(got, want)) {
							err = fmt.Errorf("Get(%s) = %q, want %q", key, got, want)
						}
					}
					if err != nil {
						errs <- err
						sn.Close()
						return
					}
				}
				if err := sn.Close(); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if writes.Load() == 0 {
		t.Fatal("the writer wrote nothing")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
