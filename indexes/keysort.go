package indexes

import (
	"bytes"
	"encoding/binary"
	"runtime"
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
	if sorted, ok := sortTinyKeys(keys); ok {
		return sorted
	}
	bufs := sortBufs.Get().(*[2][]sortEntry)
	defer sortBufs.Put(bufs)
	a := grown(&bufs[0], len(keys))
	short, total := true, 0
	for i, k := range keys {
		n := len(k)
		if n > 8 {
			short = false
			n = 0
		}
		a[i] = sortEntry{keyPrefix(k), uint32(i), uint32(n)}
		total += n
	}
	// LSD radix sort, one byte per pass. The histograms of all eight
	// bytes come from one scan; a pass whose byte is the same in every
	// prefix (the padding of short keys, the shared high bytes of integer
	// keys) is skipped.
	var counts byteCounts
	for _, e := range a {
		counts.add(e.prefix)
	}
	var b []sortEntry
	for p := range counts {
		shift := 8 * p
		count := &counts[p]
		if count[byte(a[0].prefix>>shift)] == len(a) {
			continue
		}
		if b == nil {
			b = grown(&bufs[1], len(keys))
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

// sortTinyKeys is sortKeys for keys of at most seven bytes (integer
// primary keys up to 2^48 or so), which sort as single integers: each
// key's bytes, big-endian from the top byte, with its length in the low
// byte. Of two such integers the smaller is the smaller key (where the
// bytes differ, that byte decides; where one key is a prefix of the
// other, the padding zeros tie and the shorter length decides), so no
// key is read after the integers are made, no tie is left to break, and
// the sorted keys are written out from the integers into one buffer.
//
// Large sets are sorted on two goroutines, the other processor being
// otherwise idle while the client waits for the first row: each half is
// made into integers and radix-sorted by one, then one merges the halves
// from the front into the first half of the output and writes those keys
// from the buffer's start, while the other merges from the back into the
// second half and writes its keys into the rest. ok is false (keys
// untouched) when a key is longer.
func sortTinyKeys(keys [][]byte) (sorted [][]byte, ok bool) {
	for _, k := range keys {
		if len(k) > 7 {
			return nil, false
		}
	}
	bufs := tinyBufs.Get().(*[2][]uint64)
	defer tinyBufs.Put(bufs)
	n := len(keys)
	a, b := grown(&bufs[0], n), grown(&bufs[1], n)
	if n < parallelSortMin || runtime.GOMAXPROCS(0) < 2 {
		total := tinyInts(keys, a)
		radixSortUints(a, b)
		writeTinyKeys(keys, a, make([]byte, total))
		return keys, true
	}
	h := n / 2
	var totalLo, totalHi int
	both(func() {
		totalLo = tinyInts(keys[:h], a[:h])
		radixSortUints(a[:h], b[:h])
	}, func() {
		totalHi = tinyInts(keys[h:], a[h:])
		radixSortUints(a[h:], b[h:])
	})
	buf := make([]byte, totalLo+totalHi)
	both(func() {
		mergeFront(a[:h], a[h:], b[:h])
		writeTinyKeys(keys[:h], b[:h], buf[:tinySize(b[:h])])
	}, func() {
		mergeBack(a[:h], a[h:], b[h:])
		writeTinyKeys(keys[h:], b[h:], buf[len(buf)-tinySize(b[h:]):])
	})
	return keys, true
}

// tinySize is the total length of the keys of ints.
func tinySize(ints []uint64) (n int) {
	for _, p := range ints {
		n += int(byte(p))
	}
	return n
}

// both runs f and g, g on this goroutine, and returns when both have.
func both(f, g func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	g()
	<-done
}

// tinyInts sets ints[i] to keys[i]'s integer (see sortTinyKeys) and
// returns the keys' total length.
func tinyInts(keys [][]byte, ints []uint64) (total int) {
	for i, k := range keys {
		ints[i] = keyPrefix(k) | uint64(len(k))
		total += len(k)
	}
	return total
}

// writeTinyKeys sets keys[i] to the key of ints[i], written one after the
// other into buf, which is exactly their total length (nothing past it is
// written: the other half's keys may be being written there).
func writeTinyKeys(keys [][]byte, ints []uint64, buf []byte) {
	at := 0
	for i, p := range ints {
		n := int(byte(p))
		if at+8 <= len(buf) {
			// All eight bytes: the next key overwrites the excess.
			binary.BigEndian.PutUint64(buf[at:], p)
		} else {
			for j := range n {
				buf[at+j] = byte(p >> (56 - 8*j))
			}
		}
		keys[i] = buf[at : at+n : at+n]
		at += n
	}
}

// radixSortUints sorts a in place (LSD, one byte per pass, through
// scratch of the same length). A pass whose byte is the same in every
// integer is skipped.
func radixSortUints(a, scratch []uint64) {
	in := a
	var counts byteCounts
	for _, p := range a {
		counts.add(p)
	}
	for pass := range counts {
		shift := 8 * pass
		count := &counts[pass]
		if count[byte(a[0]>>shift)] == len(a) {
			continue
		}
		at := 0
		for d, c := range count {
			count[d] = at
			at += c
		}
		for _, p := range a {
			d := byte(p >> shift)
			scratch[count[d]] = p
			count[d]++
		}
		a, scratch = scratch, a
	}
	if &a[0] != &in[0] {
		copy(in, a)
	}
}

// mergeFront writes the len(out) smallest of the sorted x and y to out,
// in order.
func mergeFront(x, y, out []uint64) {
	i, j := 0, 0
	for k := range out {
		if j == len(y) || (i < len(x) && x[i] <= y[j]) {
			out[k] = x[i]
			i++
		} else {
			out[k] = y[j]
			j++
		}
	}
}

// mergeBack writes the len(out) largest of the sorted x and y to out, in
// order.
func mergeBack(x, y, out []uint64) {
	i, j := len(x)-1, len(y)-1
	for k := len(out) - 1; k >= 0; k-- {
		if j < 0 || (i >= 0 && x[i] > y[j]) {
			out[k] = x[i]
			i--
		} else {
			out[k] = y[j]
			j--
		}
	}
}

// parallelSortMin is the fewest keys sortTinyKeys sorts as two halves.
var parallelSortMin = 16 << 10

// tinyBufs keeps sortTinyKeys' two arrays between calls.
var tinyBufs = sync.Pool{New: func() any { return new([2][]uint64) }}

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

// grown returns (*buf)[:n], growing *buf when needed (sortBufs' and
// tinyBufs' arrays).
func grown[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

// byteCounts are the histograms of the eight bytes of a set of integers
// (byte 0 the lowest), filled in one scan.
type byteCounts [8][256]int

func (c *byteCounts) add(p uint64) {
	c[0][byte(p)]++
	c[1][byte(p>>8)]++
	c[2][byte(p>>16)]++
	c[3][byte(p>>24)]++
	c[4][byte(p>>32)]++
	c[5][byte(p>>40)]++
	c[6][byte(p>>48)]++
	c[7][byte(p>>56)]++
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

// radixMin is the number of keys from which sortKeys radix-sorts (below
// it the 256 counters per pass cost more than a comparison sort).
const radixMin = 256
