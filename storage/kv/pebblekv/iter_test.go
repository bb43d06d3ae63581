package pebblekv

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/quarrydb/quarry/storage/kv"
)

func versionsKey(id int) []byte {
	return binary.BigEndian.AppendUint64([]byte{'d'}, uint64(id))
}

// hotStore holds keys 0..n-1 in an sstable, and then hot rewrites of
// keys [hotLo, hotLo+100) in random order (sysbench's skewed rows), which
// stay in the memtable (about hot/100 versions per key).
func hotStore(tb testing.TB, n, hotLo, hot int) *Store {
	s, err := Open(tb.TempDir(), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	val := make([]byte, 190)
	b := s.NewBatch()
	for id := 0; id < n; id++ {
		if err := b.Set(versionsKey(id), val); err != nil {
			tb.Fatal(err)
		}
	}
	if err := b.Commit(false); err != nil {
		tb.Fatal(err)
	}
	b.Close()
	if err := s.Flush(); err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < hot; i++ {
		b := s.NewBatch()
		binary.LittleEndian.PutUint32(val, uint32(i))
		if err := b.Set(versionsKey(hotLo+r.IntN(100)), val); err != nil {
			tb.Fatal(err)
		}
		if err := b.Commit(false); err != nil {
			tb.Fatal(err)
		}
		b.Close()
	}
	return s
}

// BenchmarkIterNext: forward scans of 100 keys through the kv iterator's
// Next (one op = one key): cold keys (one version, in an sstable) and hot
// ones (about 30 versions each in the memtable).
func BenchmarkIterNext(b *testing.B) {
	const n, hotLo = 10000, 5000
	s := hotStore(b, n, hotLo, 3000)
	for _, c := range []struct {
		name string
		lo   int
	}{{"cold", 100}, {"hot-30", hotLo}} {
		b.Run(c.name, func(b *testing.B) {
			for done := 0; done < b.N; {
				it, err := s.NewIter(versionsKey(c.lo), versionsKey(c.lo+100))
				if err != nil {
					b.Fatal(err)
				}
				for ok := it.First(); ok && done < b.N; ok = it.Next() {
					done++
				}
				it.Close()
			}
		})
	}
}

// TestIterNextEquivalence: the kv iterator's forward steps (NextPrefix)
// visit exactly what Pebble's Next visits, in both directions and across
// direction switches, over many versions, deletes, merges, range deletes,
// snapshots and bounds.
func TestIterNextEquivalence(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(7, 11))
	const n = 60
	var snaps []kv.Snapshot
	defer func() {
		for _, sn := range snaps {
			sn.Close()
		}
	}()
	for round := 0; round < 300; round++ {
		b := s.NewBatch()
		for j := 0; j < 1+r.IntN(8); j++ {
			k := versionsKey(r.IntN(n))
			switch r.IntN(10) {
			case 0, 1:
				err = b.Delete(k)
			case 2:
				err = b.AddInt64(k, int64(r.IntN(5)))
			case 3:
				lo := r.IntN(n)
				err = b.DeleteRange(versionsKey(lo), versionsKey(lo+1+r.IntN(3)))
			default:
				v := make([]byte, 8)
				binary.LittleEndian.PutUint64(v, uint64(round))
				err = b.Set(k, v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(false); err != nil {
			t.Fatal(err)
		}
		b.Close()
		if r.IntN(10) == 0 {
			snaps = append(snaps, s.NewSnapshot())
		}
		if r.IntN(60) == 0 {
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		readers := []kv.Reader{s}
		if len(snaps) > 0 {
			readers = append(readers, snaps[r.IntN(len(snaps))])
		}
		for _, rd := range readers {
			var lower, upper []byte
			if r.IntN(2) == 0 {
				lower = versionsKey(r.IntN(n))
			}
			if r.IntN(2) == 0 {
				upper = versionsKey(r.IntN(n + 1))
			}
			if lower != nil && upper != nil && bytes.Compare(upper, lower) <= 0 {
				upper = nil // crossed bounds are not allowed
			}
			got, err := rd.NewIter(lower, upper)
			if err != nil {
				t.Fatal(err)
			}
			want, err := rd.NewIter(lower, upper)
			if err != nil {
				t.Fatal(err)
			}
			ref := want.(*iter).it // Pebble's own Next
			moves := []string{}
			step := func(name string, g, w bool) {
				moves = append(moves, name)
				if g != w || g && (!bytes.Equal(got.Key(), ref.Key()) || !bytes.Equal(mustValue(t, got), mustValue(t, want))) {
					t.Fatalf("round %d [%x, %x) after %v: kv iterator at %v %x, Pebble at %v %x", round, lower, upper, moves, g, keyOf(got, g), w, keyOf(want, w))
				}
			}
			switch r.IntN(3) {
			case 0:
				step("First", got.First(), ref.First())
			case 1:
				step("Last", got.Last(), ref.Last())
			default:
				k := versionsKey(r.IntN(n))
				if lower != nil && bytes.Compare(k, lower) < 0 {
					k = lower // Pebble requires seek keys within the bounds
				}
				step(fmt.Sprintf("SeekGE %x", k), got.SeekGE(k), ref.SeekGE(k))
			}
			for i := 0; i < 2*n && got.Valid(); i++ {
				if r.IntN(4) == 0 {
					step("Prev", got.Prev(), ref.Prev())
				} else {
					step("Next", got.Next(), ref.Next())
				}
			}
			if err := got.Close(); err != nil {
				t.Fatal(err)
			}
			if err := want.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func mustValue(t *testing.T, it kv.Iterator) []byte {
	v, err := it.Value()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func keyOf(it kv.Iterator, ok bool) []byte {
	if !ok {
		return nil
	}
	return it.Key()
}
