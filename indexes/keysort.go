package indexes

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sync"
)

// sortKeys returns primary keys (document IDs) in bytes.Compare order;
// keys itself may be reordered or left as it is.
//
// A search's IDs come in document-number order, which after an index
// build or merge is unrelated to key order, so this is a full sort of up
// to tens of thousands of keys. Comparison sorts spent most of their time
// in bytes.Compare through a function value and in moving slice headers
// (with write barriers); instead the keys' first eight bytes, as one
// big-endian integer, are radix-sorted with the keys' positions and
// lengths, and only runs of equal prefixes are then sorted with
// bytes.Compare. When every key fits in its prefix (integer primary
// keys), the sorted keys are written out again from their prefixes into
// one contiguous buffer rather than gathered from wherever the search
// copied them, so neither the output nor its later readers jump around
// memory.
//
// Invariant: for prefixes padded with zero bytes, prefix(a) < prefix(b)
// implies a < b (the first differing byte is either real in both keys,
// or a padding zero against a real non-zero byte of the longer key, which
// the shorter one is then a prefix of). TestSortKeysMatchesBytesCompare
// checks sortKeys against slices.SortFunc(bytes.Compare).
func sortKeys(keys [][]byte) [][]byte {
	if len(keys) < 2 || slices.IsSortedFunc(keys, bytes.Compare) {
		return keys
	}
	if len(keys) < radixMin || len(keys) > 1<<32-1 {
		slices.SortFunc(keys, bytes.Compare)
		return keys
	}
	bufs := sortBufs.Get().(*[2][]sortEntry)
	defer sortBufs.Put(bufs)
	a := grownEntries(&bufs[0], len(keys))
	short, total := true, 0
	for i, k := range keys {
		n := len(k)
		if n > 8 {
			short = false
			a[i] = sortEntry{binary.BigEndian.Uint64(k), uint32(i), 0}
			continue
		}
		var p uint64
		for j, c := range k {
			p |= uint64(c) << (56 - 8*j)
		}
		a[i] = sortEntry{p, uint32(i), uint32(n)}
		total += n
	}
	// LSD radix sort, one byte per pass. The histograms of all eight
	// bytes come from one scan; a pass whose byte is the same in every
	// prefix (the padding of short keys, the shared high bytes of integer
	// keys) is skipped.
	var counts [8][256]int
	for _, e := range a {
		p := e.prefix
		counts[0][byte(p)]++
		counts[1][byte(p>>8)]++
		counts[2][byte(p>>16)]++
		counts[3][byte(p>>24)]++
		counts[4][byte(p>>32)]++
		counts[5][byte(p>>40)]++
		counts[6][byte(p>>48)]++
		counts[7][byte(p>>56)]++
	}
	var b []sortEntry
	for p := range counts {
		shift := 8 * p
		count := &counts[p]
		if count[byte(a[0].prefix>>shift)] == len(a) {
			continue
		}
		if b == nil {
			b = grownEntries(&bufs[1], len(keys))
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
	var sorted [][]byte
	if short {
		// keys is free to take the output: every key is in a.
		sorted = keys
		buf := make([]byte, total)
		at := 0
		for i, e := range a {
			n := int(e.n)
			k := buf[at : at+n : at+n]
			for j := range k {
				k[j] = byte(e.prefix >> (56 - 8*j))
			}
			sorted[i] = k
			at += n
		}
	} else {
		sorted = make([][]byte, len(keys))
		for i, e := range a {
			sorted[i] = keys[e.pos]
		}
	}
	// Equal prefixes: the keys may differ after their eighth byte, or
	// (short keys) in how many padding-like zero bytes they end with.
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
	return sorted
}

// sortEntry is a key's radix-sort record: its prefix, its position in
// the input, and its length when it fits in the prefix.
type sortEntry struct {
	prefix uint64
	pos    uint32
	n      uint32
}

// sortBufs keeps sortKeys' two entry arrays between calls (a large
// search sorts tens of thousands of keys per statement).
var sortBufs = sync.Pool{New: func() any { return new([2][]sortEntry) }}

// grownEntries returns (*buf)[:n], growing *buf when needed.
func grownEntries(buf *[]sortEntry, n int) []sortEntry {
	if cap(*buf) < n {
		*buf = make([]sortEntry, n)
	}
	return (*buf)[:n]
}

// radixMin is the number of keys from which sortKeys radix-sorts (below
// it the 256 counters per pass cost more than a comparison sort).
const radixMin = 256
