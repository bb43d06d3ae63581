package indexes

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// sortKeys sorts primary keys (document IDs) in bytes.Compare order.
//
// A search's IDs come in document-number order, which after an index
// build or merge is unrelated to key order, so this is a full sort of up
// to tens of thousands of keys. Comparison sorts spent most of their time
// in bytes.Compare through a function value and in moving slice headers
// (with write barriers); instead the keys' first eight bytes, as one
// big-endian integer, are radix-sorted with the keys' positions, and only
// runs of equal prefixes are then sorted with bytes.Compare.
//
// Invariant: for prefixes padded with zero bytes, prefix(a) < prefix(b)
// implies a < b (the first differing byte is either real in both keys,
// or a padding zero against a real non-zero byte of the longer key, which
// the shorter one is then a prefix of). TestSortKeysMatchesBytesCompare
// checks sortKeys against slices.SortFunc(bytes.Compare).
func sortKeys(keys [][]byte) {
	if len(keys) < 2 || slices.IsSortedFunc(keys, bytes.Compare) {
		return
	}
	if len(keys) < radixMin || len(keys) > 1<<32-1 {
		slices.SortFunc(keys, bytes.Compare)
		return
	}
	type entry struct {
		prefix uint64
		pos    uint32
	}
	a := make([]entry, len(keys))
	for i, k := range keys {
		a[i] = entry{keyPrefix(k), uint32(i)}
	}
	// LSD radix sort, one byte per pass. The histograms of all eight
	// bytes come from one scan; a pass whose byte is the same in every
	// prefix (the padding of short keys, the shared high bytes of integer
	// keys) is skipped.
	var counts [8][256]int
	for _, e := range a {
		for p := range counts {
			counts[p][byte(e.prefix>>(8*p))]++
		}
	}
	var b []entry
	for p := range counts {
		shift := 8 * p
		count := &counts[p]
		if count[byte(a[0].prefix>>shift)] == len(a) {
			continue
		}
		if b == nil {
			b = make([]entry, len(keys))
		}
		at := 0
		for d, c := range count {
			count[d] = at
			at += c
		}
		for _, e := range a {
			d := byte(e.prefix >> shift)
			b[count[d]] = e
			count[d]++
		}
		a, b = b, a
	}
	sorted := make([][]byte, len(keys))
	for i, e := range a {
		sorted[i] = keys[e.pos]
	}
	// Equal prefixes: the keys may differ after their eighth byte.
	for i := 0; i < len(a); {
		j := i + 1
		for j < len(a) && a[j].prefix == a[i].prefix {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(sorted[i:j], bytes.Compare)
		}
		i = j
	}
	copy(keys, sorted)
}

// radixMin is the number of keys from which sortKeys radix-sorts (below
// it the 256 counters per pass cost more than a comparison sort).
const radixMin = 256

// keyPrefix is k's first eight bytes as a big-endian integer, padded with
// zero bytes.
func keyPrefix(k []byte) uint64 {
	if len(k) >= 8 {
		return binary.BigEndian.Uint64(k)
	}
	var b [8]byte
	copy(b[:], k)
	return binary.BigEndian.Uint64(b[:])
}
