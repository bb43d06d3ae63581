package storage

import (
	"bytes"
	"math/rand"
	"slices"
	"testing"
)

// sortedOrder agrees with a plain sort on keys of random lengths over a
// small alphabet (shared prefixes, keys that are prefixes of others).
func TestSortedOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for round := 0; round < 200; round++ {
		var r entryRun
		prefix := []byte{2, 0, 0, 0, 7}[:rng.Intn(6)]
		n := rng.Intn(300)
		for i := 0; i < n; i++ {
			k := slices.Clone(prefix)
			for j := rng.Intn(14); j > 0; j-- {
				k = append(k, byte(rng.Intn(3)))
			}
			r.add(k)
		}
		got := r.sorted()
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		slices.SortStableFunc(want, func(a, b int) int { return bytes.Compare(r.key(a), r.key(b)) })
		for i := range got {
			if !bytes.Equal(r.key(got[i]), r.key(want[i])) {
				t.Fatalf("round %d: position %d holds %x, want %x", round, i, r.key(got[i]), r.key(want[i]))
			}
		}
		if len(got) != n {
			t.Fatalf("%d entries sorted, want %d", len(got), n)
		}
	}
}

// An entryRun keeps its entries across growth and truncation.
func TestEntryRunGrowth(t *testing.T) {
	var r entryRun
	for i := 0; i < 100000; i++ {
		r.add([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
	}
	r.truncate(50000)
	r.add([]byte("x"))
	last := 49999
	if r.len() != 50001 || string(r.key(50000)) != "x" || !bytes.Equal(r.key(last), []byte{byte(last), byte(last >> 8), 0}) {
		t.Fatalf("len %d, last %q", r.len(), r.key(r.len()-1))
	}
}
