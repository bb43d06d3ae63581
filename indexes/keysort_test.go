package indexes

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/quarrydb/quarry/storage/keycodec"
)

// TestSortKeysMatchesBytesCompare checks sortKeys against
// slices.SortFunc(bytes.Compare) on random key sets: short keys (under
// the eight-byte prefix), keys that are prefixes of others, zero bytes
// (padding look-alikes), 0xff bytes, shared long prefixes, duplicates,
// sorted and reversed inputs; sets below and above radixMin, and sets
// whose keys all fit in the prefix (written out from it) or in seven
// bytes (sorted as integers: sortTinyKeys), serially and as two halves.
func TestSortKeysMatchesBytesCompare(t *testing.T) {
	defer func(m int) { parallelSortMin = m }(parallelSortMin)
	for _, parallelMin := range []int{parallelSortMin, radixMin} {
		parallelSortMin = parallelMin
		testSortKeysMatchesBytesCompare(t)
	}
}

func testSortKeysMatchesBytesCompare(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte{0, 1, 0x7f, 0x80, 0xfe, 0xff, 'a'}
	randKey := func(base []byte) []byte {
		k := bytes.Clone(base[:r.IntN(len(base)+1)])
		for range r.IntN(12) {
			k = append(k, alphabet[r.IntN(len(alphabet))])
		}
		return k
	}
	for round := range 600 {
		base := randKey(nil)
		n := r.IntN(60)
		if round%3 == 0 {
			n = radixMin + r.IntN(2000) // the radix sort
		}
		keys := make([][]byte, n)
		for i := range keys {
			if i > 0 && r.IntN(8) == 0 {
				keys[i] = bytes.Clone(keys[r.IntN(i)]) // duplicate
				continue
			}
			keys[i] = randKey(base)
			switch round % 4 {
			case 1:
				keys[i] = keys[i][:min(len(keys[i]), 8)] // every key fits its prefix
			case 3:
				keys[i] = keys[i][:min(len(keys[i]), 7)] // every key is tiny
			}
		}
		switch round % 5 {
		case 0:
			slices.SortFunc(keys, bytes.Compare)
		case 1:
			slices.SortFunc(keys, func(a, b []byte) int { return bytes.Compare(b, a) })
		}
		want := slices.Clone(keys)
		slices.SortFunc(want, bytes.Compare)
		got := sortKeys(slices.Clone(keys))
		if !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("round %d (parallel from %d keys): sortKeys(%q) = %q, want %q", round, parallelSortMin, keys, got, want)
		}
	}
}

// TestIDArenaCopies checks that idArena's copies equal their IDs, outlive
// the source, and cannot overwrite each other when appended to.
func TestIDArenaCopies(t *testing.T) {
	var a idArena
	var ids, copies [][]byte
	for i := range 3000 {
		id := bytes.Repeat([]byte{byte(i)}, 1+i%40)
		if i == 1500 {
			id = bytes.Repeat([]byte{7}, idArenaChunk+5) // longer than a chunk
		}
		ids = append(ids, bytes.Clone(id))
		c := a.copy(id)
		clear(id) // the source (segment memory) is not retained
		copies = append(copies, c)
		if i > 0 {
			_ = append(copies[i-1], 0xAA) // must not touch copies[i]
		}
	}
	for i := range ids {
		if !bytes.Equal(copies[i], ids[i]) {
			t.Fatalf("copy %d = %x, want %x", i, copies[i], ids[i])
		}
	}
}

// BenchmarkSortKeys sorts the keys of a large search result: 57k
// integer primary keys of a 1M-row table (keycodec's ordered varints), in
// the shuffled order segments give them.
func BenchmarkSortKeys(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([][]byte, 57186)
	for i := range keys {
		keys[i] = keycodec.AppendInt(nil, int64(1+r.IntN(1_000_000)))
	}
	work := make([][]byte, len(keys))
	for b.Loop() {
		copy(work, keys)
		_ = sortKeys(work)
	}
}
