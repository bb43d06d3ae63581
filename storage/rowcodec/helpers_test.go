package rowcodec

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/shopspring/decimal"
)

var bg = context.Background()

// mustConvert returns what GMS stores for v in a column of type t.
func mustConvert(tb testing.TB, t sql.Type, v any) any {
	tb.Helper()
	out, inRange, err := t.Convert(bg, v)
	if err != nil || !inRange {
		tb.Fatalf("%s.Convert(%#v): %v (inRange=%v)", t, v, err, inRange)
	}
	return out
}

func mustEnum(tb testing.TB, vals ...string) sql.Type {
	t, err := types.CreateEnumType(vals, sql.Collation_Default)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func mustSet(tb testing.TB, vals ...string) sql.Type {
	t, err := types.CreateSetType(vals, sql.Collation_Default)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func mustBit(tb testing.TB, n uint8) sql.Type {
	t, err := types.CreateBitType(n)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func mustDatetime(tb testing.TB, base query.Type, prec int) sql.Type {
	t, err := types.CreateDatetimeType(base, prec)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// sameValue reports whether two row values are identical for GMS: same Go
// type and same value, including decimal exponents, float bits, time
// locations and JSON scalar types.
func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	switch x := a.(type) {
	case float32:
		return math.Float32bits(x) == math.Float32bits(b.(float32))
	case float64:
		return math.Float64bits(x) == math.Float64bits(b.(float64))
	case decimal.Decimal:
		y := b.(decimal.Decimal)
		return x.Exponent() == y.Exponent() && x.Equal(y)
	case time.Time:
		y := b.(time.Time)
		_, xo := x.Zone()
		_, yo := y.Zone()
		return x.Equal(y) && xo == yo && x.Location().String() == y.Location().String()
	case types.JSONDocument:
		return sameJSON(x.Val, b.(types.JSONDocument).Val)
	case types.GeometryValue:
		return bytes.Equal(x.Serialize(), b.(types.GeometryValue).Serialize())
	}
	return reflect.DeepEqual(a, b)
}

func sameJSON(a, b any) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	switch x := a.(type) {
	case []any:
		y := b.([]any)
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y := b.(map[string]any)
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameJSON(v, w) {
				return false
			}
		}
		return true
	}
	return sameValue(a, b)
}

// checkCanonical asserts that got is what GMS itself would hold for want in
// a column of type t: same value, the Go type the memory engine accepts
// (memory/table_editor.go verifyRowTypes), a fixed point of t.Convert, and
// equal under t.Compare.
func checkCanonical(tb testing.TB, t sql.Type, want, got any) {
	tb.Helper()
	if !sameValue(want, got) {
		tb.Fatalf("%s: decoded %s, want %s", t, describe(got), describe(want))
	}
	if got == nil {
		return
	}
	if vt := t.ValueType(); vt != nil {
		gt := reflect.TypeOf(got)
		if gt != vt && !gt.AssignableTo(vt) {
			tb.Fatalf("%s: decoded Go type %v, GMS value type %v", t, gt, vt)
		}
	}
	conv, _, err := t.Convert(bg, got)
	if err != nil {
		tb.Fatalf("%s: Convert(decoded %s): %.200v", t, describe(got), err)
	}
	if !sameValue(conv, got) {
		tb.Fatalf("%s: decoded %s is not canonical; Convert gives %s", t, describe(got), describe(conv))
	}
	if cmp, err := t.Compare(bg, want, got); err != nil || cmp != 0 {
		tb.Fatalf("%s: Compare(want, decoded) = %d, %v", t, cmp, err)
	}
}

func encodeRow(tb testing.TB, cols []Column, vals []any) []byte {
	tb.Helper()
	b, err := NewEncoder(cols).Append(nil, vals)
	if err != nil {
		tb.Fatalf("Append: %v", err)
	}
	return b
}

func decodeRow(tb testing.TB, cols []Column, src []byte) []any {
	tb.Helper()
	dst := make([]any, len(cols))
	if err := NewDecoder(cols).Decode(src, dst); err != nil {
		tb.Fatalf("Decode: %v", err)
	}
	return dst
}

// stringWrapper is a minimal sql.StringWrapper, like the out-of-band TEXT
// values some integrators hand to table editors.
type stringWrapper struct{ s string }

func (w stringWrapper) Unwrap(context.Context) (string, error)          { return w.s, nil }
func (w stringWrapper) UnwrapAny(context.Context) (any, error)          { return w.s, nil }
func (w stringWrapper) IsExactLength() bool                             { return true }
func (w stringWrapper) MaxByteLength() int64                            { return int64(len(w.s)) }
func (w stringWrapper) Compare(context.Context, any) (int, bool, error) { return 0, false, nil }
func (w stringWrapper) Hash() any                                       { return w.s }

var _ sql.StringWrapper = stringWrapper{}

func describe(v any) string {
	s := fmt.Sprintf("%T(%v)", v, v)
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strings.ReplaceAll(s, "\n", " ")
}
