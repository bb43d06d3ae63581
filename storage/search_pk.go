package storage

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
)

// PKDecoder returns a function that makes decoders of primary keys
// (encoded as in data keys, without the 9-byte prefix: what search
// indexes use as document IDs) into row, the values of the schema
// ordinals ords in that order (row has len(ords) elements); ok is false
// unless every ordinal is a primary key column whose value the row
// decoder itself recovers from the key (fromKey), so the values are
// exactly those a table read returns. Keyless tables have no such key.
// The caller provides row so it can allocate rows in chunks. A decoder is
// used by one goroutine at a time: BIGINT values are boxed from its own
// slab (int64Boxes).
func (t *Table) PKDecoder(ords []int) (newDecoder func() func(pk []byte, row sql.Row) error, ok bool) {
	m := t.m
	if m.keyless || len(ords) == 0 {
		return nil, false
	}
	// src[i] is the position in the primary key of ords[i].
	src := make([]int, len(ords))
	need := make([]bool, len(m.pkCols))
	// inOrder: ords are the primary key's columns in key order, so the
	// key decodes straight into row.
	inOrder := len(ords) == len(m.pkCols)
	for i, o := range ords {
		if o < 0 || o >= len(m.fromKey) || !m.fromKey[o] {
			return nil, false
		}
		src[i] = -1
		for j, p := range m.pkOrd {
			if p == o {
				src[i], need[j] = j, true
			}
		}
		if src[i] < 0 {
			return nil, false
		}
		inOrder = inOrder && src[i] == i
	}
	return func() func(pk []byte, row sql.Row) error {
		var boxes int64Boxes
		return func(pk []byte, row sql.Row) error {
			vals := row
			if !inOrder {
				vals = make([]any, len(m.pkCols))
			}
			rest := pk
			for j, kc := range m.pkCols {
				var err error
				if rest, err = decodeOrSkip(kc, need[j], rest, &vals[j], &boxes); err != nil {
					return fmt.Errorf("storage: table %s: decode primary key: %w", m.def.Name, err)
				}
			}
			if len(rest) != 0 {
				return fmt.Errorf("storage: table %s: decode primary key: %d trailing bytes", m.def.Name, len(rest))
			}
			if !inOrder {
				for i, s := range src {
					row[i] = vals[s]
				}
			}
			return nil
		}
	}, true
}
