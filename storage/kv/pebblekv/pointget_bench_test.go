package pebblekv

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkPointGet reads random keys of sysbench's shape (10k rows in an
// sstable, hot rewrites in the memtable) from a shared snapshot: with
// Pebble's Get, and with snapshot.Get, which reuses iterators.
func BenchmarkPointGet(b *testing.B) {
	s := hotStore(b, 10000, 5000, 3000)
	sn := s.NewSnapshot().(*snapshot)
	defer sn.Close()
	r := rand.New(rand.NewPCG(1, 2))
	for _, bc := range []struct {
		name string
		get  func(key []byte) ([]byte, bool, error)
	}{
		{"pebble", func(key []byte) ([]byte, bool, error) { return get(sn.s, key) }},
		{"reused", sn.Get},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok, err := bc.get(versionsKey(r.IntN(10000))); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
