package storage

import (
	"context"
	"math"
	"math/big"
	"reflect"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage/keycodec"
)

// genericDecodeKey is decodeKey's general path: the canonical decoded
// value converted through the column type.
func genericDecodeKey(kc keyCol, b []byte) (any, []byte, error) {
	v, rest, err := keycodec.Decode(b)
	if err != nil {
		return nil, nil, err
	}
	out, _, err := kc.typ.Convert(context.Background(), v)
	return out, rest, err
}

// intBounds is the range of an integer column type.
func intBounds(typ sql.Type) (lo, hi *big.Int) {
	b := map[sql.Type][2]string{
		types.Int8: {"-128", "127"}, types.Int16: {"-32768", "32767"}, types.Int24: {"-8388608", "8388607"},
		types.Int32: {"-2147483648", "2147483647"}, types.Int64: {"-9223372036854775808", "9223372036854775807"},
		types.Uint8: {"0", "255"}, types.Uint16: {"0", "65535"}, types.Uint24: {"0", "16777215"},
		types.Uint32: {"0", "4294967295"}, types.Uint64: {"0", "18446744073709551615"},
	}[typ]
	lo, _ = new(big.Int).SetString(b[0], 10)
	hi, _ = new(big.Int).SetString(b[1], 10)
	return lo, hi
}

// TestDecodeIntKeyMatchesConvert checks that the integer key fast path
// returns the same value, Go type and remaining bytes as decoding to int64
// and converting through the column type, for every integer column type at
// its bounds and around them (values outside a type's range, which no
// stored key holds, must leave the fast path); with BIGINT values boxed by
// Go's conversion and from a slab (int64Boxes).
func TestDecodeIntKeyMatchesConvert(t *testing.T) {
	typs := []sql.Type{types.Int8, types.Int16, types.Int24, types.Int32, types.Int64,
		types.Uint8, types.Uint16, types.Uint24, types.Uint32, types.Uint64}
	var vals []int64
	for _, b := range []int64{0, math.MaxInt8, math.MinInt8, math.MaxUint8, math.MaxInt16, math.MinInt16, math.MaxUint16,
		1<<23 - 1, -1 << 23, 1<<24 - 1, math.MaxInt32, math.MinInt32, math.MaxUint32, math.MaxInt64 - 1, math.MinInt64 + 1} {
		vals = append(vals, b-1, b, b+1)
	}
	for _, typ := range typs {
		kc, err := newKeyCol(typ, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !kc.decodable() {
			t.Fatalf("%s: not decodable", typ)
		}
		var slab int64Boxes
		check := func(key []byte, what string) {
			t.Helper()
			for _, boxes := range []*int64Boxes{nil, &slab} {
				checkBoxed(t, kc, typ, key, what, boxes)
			}
		}
		for _, v := range vals {
			if kc.kind == kkUint && v < 0 {
				continue
			}
			check(keycodec.AppendInt(nil, v), "int "+typ.String())
		}
		for _, u := range []uint64{math.MaxInt64, math.MaxInt64 + 1, math.MaxUint64 - 1, math.MaxUint64} {
			check(keycodec.AppendUint(nil, u), "uint")
		}
		// Malformed and truncated input leaves the fast path.
		for _, bad := range [][]byte{{}, {0xff}, keycodec.AppendInt(nil, 1<<40)[:3]} {
			if _, _, ok := kc.decodeIntKey(bad, &slab); ok {
				t.Errorf("%s: fast path accepted % x", typ, bad)
			}
		}
	}
}

// checkBoxed is TestDecodeIntKeyMatchesConvert's check of one key.
func checkBoxed(t *testing.T, kc keyCol, typ sql.Type, key []byte, what string, boxes *int64Boxes) {
	t.Helper()
	key = append(key, 0x7f) // a following key column's bytes
	fast, fastRest, ok := kc.decodeIntKey(key, boxes)
	want, wantRest, err := genericDecodeKey(kc, key)
	// In range: the value fits the column type's bounds (what
	// a stored key of the column holds).
	inRange := false
	if raw, _, derr := keycodec.Decode(key); derr == nil {
		lo, hi := intBounds(typ)
		switch x := raw.(type) {
		case int64:
			inRange = new(big.Int).SetInt64(x).Cmp(lo) >= 0 && new(big.Int).SetInt64(x).Cmp(hi) <= 0
		case uint64:
			inRange = new(big.Int).SetUint64(x).Cmp(hi) <= 0
		}
	}
	if !ok {
		if inRange {
			t.Errorf("%s %s: fast path refused the in-range value %v", typ, what, want)
		}
		return
	}
	if !inRange {
		t.Errorf("%s %s: fast path took the out-of-range value %v", typ, what, fast)
	}
	if err != nil {
		t.Errorf("%s %s: fast path decoded %v, general path failed: %v", typ, what, fast, err)
		return
	}
	if reflect.TypeOf(fast) != reflect.TypeOf(want) || fast != want || string(fastRest) != string(wantRest) {
		t.Errorf("%s %s: fast %T(%v) rest %x, general %T(%v) rest %x", typ, what, fast, fast, fastRest, want, want, wantRest)
	}
	got, gotRest, err := kc.decodeKey(key, boxes)
	if err != nil || got != want || string(gotRest) != string(wantRest) {
		t.Errorf("%s %s: decodeKey %v %x %v", typ, what, got, gotRest, err)
	}
}
