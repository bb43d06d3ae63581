package sqlserver

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestConvertExactIntMatchesGeneric: for every integer column type and
// some others (BOOLEAN, which is TINYINT(1); DOUBLE; YEAR; TEXT), and for
// literals at and around every type's bounds and at random, convertExact
// returns what convertExactGeneric returns: the same Go type and value, or
// a refusal.
func TestConvertExactIntMatchesGeneric(t *testing.T) {
	ctx := sql.NewEmptyContext()
	typs := []sql.Type{types.Int8, types.Int16, types.Int24, types.Int32, types.Int64,
		types.Uint8, types.Uint16, types.Uint24, types.Uint32, types.Uint64, types.Boolean,
		types.Float64, types.Year, types.Text}
	var vals []any
	for _, b := range []int64{0, math.MaxInt8, math.MinInt8, math.MaxUint8, math.MaxInt16, math.MinInt16, math.MaxUint16,
		1<<23 - 1, -1 << 23, 1<<24 - 1, math.MaxInt32, math.MinInt32, math.MaxUint32, math.MaxInt64, math.MinInt64} {
		for d := int64(-2); d <= 2; d++ {
			vals = append(vals, b+d) // wraps at the int64 ends: still int64 literals
		}
	}
	for _, u := range []uint64{math.MaxInt64 + 1, math.MaxUint64 - 1, math.MaxUint64} {
		vals = append(vals, u)
	}
	rnd := rand.New(rand.NewSource(5))
	for i := 0; i < 2000; i++ {
		vals = append(vals, rnd.Int63()>>uint(rnd.Intn(63))*int64(1-2*rnd.Intn(2)))
	}
	vals = append(vals, nil, 5.0)
	fast := 0
	for _, typ := range typs {
		for _, v := range vals {
			got, gok := convertExact(ctx, boundLiteral{val: v}, typ)
			want, wok := convertExactGeneric(ctx, boundLiteral{val: v}, typ)
			if gok != wok || fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", want, want) {
				t.Fatalf("%s, %T %v: got %T %v %v, generic %T %v %v", typ, v, v, got, got, gok, want, want, wok)
			}
			if _, _, known := convertExactInt(v, typ); known {
				fast++
			}
		}
	}
	// A string converts only to a character type that holds it unchanged
	// (convertExactString): never to numbers, unlike the generic path.
	for _, typ := range typs {
		for _, v := range []string{"5", "abc", "", "toolong"} {
			got, ok := convertExact(ctx, boundLiteral{val: v}, typ)
			want := types.IsText(typ)
			if ok != want || ok && got != v {
				t.Errorf("%s, string %q: got %v %v", typ, v, got, ok)
			}
		}
	}
	if fast < 10000 {
		t.Errorf("only %d conversions took the integer path", fast)
	}
}
