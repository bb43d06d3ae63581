package storage

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestTxnModel runs random transactions (puts, deletes, savepoints,
// statement rollbacks, commits and aborts) against a real store and a
// trivial map model, and compares point reads and merged scans in both
// directions after every step.
func TestTxnModel(t *testing.T) {
	e, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rng := rand.New(rand.NewPCG(42, 7))
	committed := map[string]string{}
	key := func() string { return fmt.Sprintf("\x02k%03d", rng.IntN(60)) }

	for round := 0; round < 300; round++ {
		txn := e.newTxn(false, RepeatableRead)
		txn.bulk = true // no lock manager needed: single writer
		model := clone(committed)
		saved := map[string]map[string]string{}
		for stmt := 0; stmt < 1+rng.IntN(8); stmt++ {
			switch rng.IntN(6) {
			case 0: // SAVEPOINT
				name := fmt.Sprintf("sp%d", rng.IntN(3))
				txn.createSavepoint(name)
				saved[name] = clone(model)
				continue
			case 1: // ROLLBACK TO SAVEPOINT
				name := fmt.Sprintf("sp%d", rng.IntN(3))
				err := txn.rollbackToSavepoint(name)
				if _, ok := saved[name]; ok != (err == nil) {
					t.Fatalf("rollback to %s: %v (model has it: %v)", name, err, ok)
				}
				if err == nil {
					model = clone(saved[name])
					// Savepoints set after it are gone, as in MySQL.
					for n := range saved {
						if txn.findSavepoint(n) < 0 {
							delete(saved, n)
						}
					}
				}
				compare(t, txn, model, rng)
				continue
			}
			// A statement: writes, then complete or discard.
			m := txn.mark()
			before := clone(model)
			for w := 0; w < 1+rng.IntN(6); w++ {
				k := key()
				if rng.IntN(3) == 0 {
					txn.del([]byte(k))
					delete(model, k)
				} else {
					v := fmt.Sprintf("v%d.%d.%d", round, stmt, w)
					txn.put([]byte(k), []byte(v))
					model[k] = v
				}
				compare(t, txn, model, rng)
			}
			if rng.IntN(4) == 0 {
				txn.rollbackTo(m)
				model = before
				compare(t, txn, model, rng)
			}
		}
		if rng.IntN(4) == 0 {
			txn.rollback()
		} else {
			if err := txn.commit(); err != nil {
				t.Fatal(err)
			}
			committed = model
		}
	}
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func compare(t *testing.T, txn *Txn, model map[string]string, rng *rand.Rand) {
	t.Helper()
	keys := make([]string, 0, len(model))
	for k := range model {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lo := fmt.Sprintf("\x02k%03d", rng.IntN(60))
	hi := fmt.Sprintf("\x02k%03d", rng.IntN(61))
	var want []string
	for _, k := range keys {
		if k >= lo && k < hi {
			want = append(want, k+"="+model[k])
		}
	}
	for _, reverse := range []bool{false, true} {
		for _, current := range []bool{false, true} {
			it, err := txn.scan(nil, []byte(lo), []byte(hi), reverse, readMode{current: current})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for it.next() {
				got = append(got, string(it.key)+"="+string(it.value))
			}
			if err := it.close(); err != nil {
				t.Fatal(err)
			}
			if reverse {
				for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
					got[i], got[j] = got[j], got[i]
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("scan [%q,%q) reverse=%v current=%v:\n got %v\nwant %v", lo, hi, reverse, current, got, want)
			}
		}
	}
	k := fmt.Sprintf("\x02k%03d", rng.IntN(60))
	v, ok, err := txn.get(nil, []byte(k), readMode{current: rng.IntN(2) == 0})
	if err != nil {
		t.Fatal(err)
	}
	mv, mok := model[k]
	if ok != mok || !bytes.Equal(v, []byte(mv)) {
		t.Fatalf("get %q = %q,%v; model %q,%v", k, v, ok, mv, mok)
	}
}
