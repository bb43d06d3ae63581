package storage

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestStoreGetReuseModel interleaves random latest-committed reads
// (storeGet, the reads of locking reads and editors), writes, commits and
// rollbacks of several transactions on a few keys, so that reads of the
// same key repeat with and without commits in between, and compares every
// read with a model: committed values overlaid with the reader's own
// writes. Repeated reads with no write in between must reuse the lookup.
func TestStoreGetReuseModel(t *testing.T) {
	e, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rng := rand.New(rand.NewPCG(9, 4))
	committed := map[string]string{}
	key := func() string { return fmt.Sprintf("\x02g%02d", rng.IntN(6)) }
	type open struct {
		txn *Txn
		own map[string]*string // nil value: deleted
	}
	newOpen := func() *open {
		txn := e.newTxn(false, RepeatableRead)
		txn.bulk = true // no lock manager: the model orders the writers
		return &open{txn: txn, own: map[string]*string{}}
	}
	txns := []*open{newOpen(), newOpen(), newOpen()}
	reused := 0
	for step := 0; step < 5000; step++ {
		o := txns[rng.IntN(len(txns))]
		switch r := rng.IntN(10); {
		case r < 5: // read, often twice
			k := key()
			var prev []byte
			for n := 0; n < 1+rng.IntN(2); n++ {
				v, found, err := o.txn.get(nil, []byte(k), editorRead)
				if err != nil {
					t.Fatal(err)
				}
				want, wantFound := committed[k]
				if own, ok := o.own[k]; ok {
					want, wantFound = "", own != nil
					if own != nil {
						want = *own
					}
				}
				if found != wantFound || string(v) != want {
					t.Fatalf("step %d: read %q = %q %v, want %q %v", step, k, v, found, want, wantFound)
				}
				if n == 1 && len(v) > 0 && len(prev) > 0 && &v[0] == &prev[0] {
					reused++
				}
				prev = v
			}
		case r < 8: // write
			k := key()
			if rng.IntN(4) == 0 {
				o.txn.del([]byte(k))
				o.own[k] = nil
			} else {
				v := fmt.Sprintf("v%d", step)
				o.txn.put([]byte(k), []byte(v))
				o.own[k] = &v
			}
		case r < 9: // commit
			if err := o.txn.commit(); err != nil {
				t.Fatal(err)
			}
			for k, v := range o.own {
				if v == nil {
					delete(committed, k)
				} else {
					committed[k] = *v
				}
			}
			*o = *newOpen()
		default: // rollback
			o.txn.rollback()
			*o = *newOpen()
		}
	}
	for _, o := range txns {
		o.txn.rollback()
	}
	if reused == 0 {
		t.Error("no repeated read was answered from the last one")
	}
}

// A read repeated with no write in between is the same lookup; a commit
// of another transaction in between makes the next read look again.
func TestStoreGetReuse(t *testing.T) {
	e, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	k := []byte("\x02r1")
	w := e.newTxn(false, RepeatableRead)
	w.bulk = true
	w.put(k, []byte("one"))
	if err := w.commit(); err != nil {
		t.Fatal(err)
	}
	r := e.newTxn(false, RepeatableRead)
	defer r.rollback()
	v1, _, _ := r.get(nil, k, editorRead)
	v2, _, _ := r.get(nil, k, editorRead)
	if string(v1) != "one" || &v1[0] != &v2[0] {
		t.Fatalf("repeated read: %q then %q, same lookup %v", v1, v2, &v1[0] == &v2[0])
	}
	w = e.newTxn(false, RepeatableRead)
	w.bulk = true
	w.put(k, []byte("two"))
	if err := w.commit(); err != nil {
		t.Fatal(err)
	}
	if v3, _, _ := r.get(nil, k, editorRead); string(v3) != "two" {
		t.Fatalf("read after another commit = %q, want two", v3)
	}
	restore := SetGetReuse(false)
	defer restore()
	v4, _, _ := r.get(nil, k, editorRead)
	v5, _, _ := r.get(nil, k, editorRead)
	if string(v5) != "two" || &v4[0] == &v5[0] {
		t.Fatal("reads with reuse off share a lookup")
	}
}

// A latest-committed read never returns a value older than a commit that
// completed before it began, while another transaction commits new values
// of the key concurrently (reads repeat, so most would be reused).
func TestStoreGetReuseConcurrentCommits(t *testing.T) {
	e, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	k := []byte("\x02c1")
	var done atomic.Bool
	var committed atomic.Int64 // the last value whose commit returned
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for i := int64(1); !done.Load(); i++ {
			w := e.newTxn(false, RepeatableRead)
			w.bulk = true
			w.put(k, []byte(strconv.FormatInt(i, 10)))
			if err := w.commit(); err != nil {
				errs <- err
				return
			}
			committed.Store(i)
		}
	}()
	r := e.newTxn(false, RepeatableRead)
	defer r.rollback()
	deadline := time.Now().Add(500 * time.Millisecond)
	for reads := 0; time.Now().Before(deadline) || reads < 1000; reads++ {
		before := committed.Load()
		v, found, err := r.get(nil, k, editorRead)
		if err != nil {
			t.Fatal(err)
		}
		got := int64(0)
		if found {
			got, _ = strconv.ParseInt(string(v), 10, 64)
		}
		if got < before {
			t.Fatalf("read %d after the commit of %d", got, before)
		}
	}
	done.Store(true)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}
