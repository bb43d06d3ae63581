package indexes

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
)

// sortKeys sorts primary keys (document IDs) in bytes.Compare order.
//
// A search's IDs come in document-number order, which after an index
// build or merge is unrelated to key order, so this is a full sort of up
// to tens of thousands of keys. Comparing the keys' first eight bytes as
// one big-endian integer first is several times cheaper than
// bytes.Compare through a function value. Invariant: for prefixes padded
// with zero bytes, prefix(a) < prefix(b) implies a < b (the first
// differing byte is either real in both keys, or a padding zero against
// a real non-zero byte of the longer key, which the shorter one is then a
// prefix of); equal prefixes fall back to bytes.Compare of the whole keys.
// TestSortKeysMatchesBytesCompare checks it against slices.SortFunc.
func sortKeys(keys [][]byte) {
	if len(keys) < 2 || slices.IsSortedFunc(keys, bytes.Compare) {
		return
	}
	type pk struct {
		prefix uint64
		key    []byte
	}
	ps := make([]pk, len(keys))
	for i, k := range keys {
		ps[i] = pk{keyPrefix(k), k}
	}
	slices.SortFunc(ps, func(a, b pk) int {
		if c := cmp.Compare(a.prefix, b.prefix); c != 0 {
			return c
		}
		return bytes.Compare(a.key, b.key)
	})
	for i := range ps {
		keys[i] = ps[i].key
	}
}

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
