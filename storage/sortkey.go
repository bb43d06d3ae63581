package storage

import (
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/keycodec"
)

// SortKeyer encodes values of one type as order-preserving bytes: the key
// encoding Quarry stores (collation weights for strings), so bytes.Compare
// of two keys orders them as ORDER BY does. WEIGHT_STRING() returns it.
type SortKeyer struct {
	typ sql.Type
	kc  keyCol
}

// NewSortKeyer returns the encoder for t; ok is false for types that
// cannot be keys (JSON, geometry).
func NewSortKeyer(t sql.Type) (k *SortKeyer, ok bool) {
	kc, err := newKeyCol(t, 0)
	if err != nil {
		return nil, false
	}
	return &SortKeyer{typ: t, kc: kc}, true
}

// Key returns the sort key of v (converted to the keyer's type first).
func (k *SortKeyer) Key(ctx *sql.Context, v any) ([]byte, error) {
	if v != nil {
		var err error
		if v, _, err = k.typ.Convert(ctx, v); err != nil {
			return nil, err
		}
	}
	return k.kc.appendKey(nil, v)
}

// PrefixKey returns the sort-key prefix shared by exactly the strings of
// the keyer's type whose weight sequence starts with that of s: for a
// collated string, LIKE 's%' under the collation (see
// keycodec.AppendStringPrefix). ok is false for other types.
func (k *SortKeyer) PrefixKey(s string) (key []byte, ok bool) {
	if k.kc.kind != kkCollated || k.kc.prefix > 0 {
		return nil, false
	}
	return keycodec.AppendStringPrefix(nil, s, k.kc.collator), true
}
