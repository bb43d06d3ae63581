package storage

import (
	"github.com/dolthub/go-mysql-server/sql"
)

// SortKey returns the order-preserving byte encoding of v as a value of type
// t: the key encoding Quarry stores (collation weights for strings), so
// bytes.Compare of two SortKeys of one type orders them as ORDER BY does.
// WEIGHT_STRING() returns it. ok is false for types that cannot be keys
// (JSON, geometry).
func SortKey(ctx *sql.Context, t sql.Type, v any) (key []byte, ok bool, err error) {
	kc, err := newKeyCol(t, 0)
	if err != nil {
		return nil, false, nil
	}
	if v != nil {
		if v, _, err = t.Convert(ctx, v); err != nil {
			return nil, true, err
		}
	}
	key, err = kc.appendKey(nil, v)
	return key, true, err
}
