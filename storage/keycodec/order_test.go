package keycodec

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/shopspring/decimal"
)

// junk is appended after every encoding in round-trip tests: decoders must
// stop exactly at the end of the value.
var junk = []byte{0x00, 0xFF, 0x01}

func intBoundaries() []int64 {
	vs := []int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, intSmall, intSmall + 1, math.MaxInt64 - 1, math.MaxInt64}
	for k := 1; k < 8; k++ {
		p := int64(1) << (8 * k)
		vs = append(vs, p-1, p, p+1, -p+1, -p, -p-1)
	}
	for _, v := range []int64{2, 100, 108, 255, 256, -2, -254, -255, -256, -257} {
		vs = append(vs, v)
	}
	return vs
}

func sortedUnique[T cmp.Ordered](vs []T) []T {
	out := append([]T(nil), vs...)
	for i := 1; i < len(out); i++ { // insertion sort: lists are short
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	n := 0
	for i, v := range out {
		if i == 0 || v != out[n-1] {
			out[n] = v
			n++
		}
	}
	return out[:n]
}

func TestIntOrderAndRoundTrip(t *testing.T) {
	vs := sortedUnique(intBoundaries())
	checkPairs(t, "int", len(vs),
		func(i int) []byte { return AppendInt(nil, vs[i]) },
		func(i, j int) int { return cmp.Compare(vs[i], vs[j]) },
		func(i int) string { return fmt.Sprint(vs[i]) })
	for _, v := range vs {
		enc := AppendInt([]byte("prefix"), v)[len("prefix"):]
		in := append(append([]byte{}, enc...), junk...)
		got, rest, err := DecodeInt(in)
		if err != nil || got != v || !bytes.Equal(rest, junk) {
			t.Errorf("DecodeInt(%x) = %d, %x, %v; want %d", in, got, rest, err, v)
		}
		if n, err := Skip(in); err != nil || n != len(enc) {
			t.Errorf("Skip(%x) = %d, %v; want %d", in, n, err, len(enc))
		}
		any, _, err := Decode(in)
		if err != nil || any != v {
			t.Errorf("Decode(%x) = %#v, %v; want int64 %d", in, any, err, v)
		}
		if v >= 0 && !bytes.Equal(enc, AppendUint(nil, uint64(v))) {
			t.Errorf("AppendInt(%d) != AppendUint(%d)", v, v)
		}
		if _, _, err := DecodeUint(in); (v < 0) != errors.Is(err, ErrOutOfRange) {
			t.Errorf("DecodeUint(%d): err=%v", v, err)
		}
	}
}

func TestUintOrderAndRoundTrip(t *testing.T) {
	var vs []uint64
	for _, v := range intBoundaries() {
		if v >= 0 {
			vs = append(vs, uint64(v))
		}
	}
	vs = append(vs, 1<<63, 1<<63+1, math.MaxUint64-1, math.MaxUint64)
	vs = sortedUnique(vs)
	checkPairs(t, "uint", len(vs),
		func(i int) []byte { return AppendUint(nil, vs[i]) },
		func(i, j int) int { return cmp.Compare(vs[i], vs[j]) },
		func(i int) string { return fmt.Sprint(vs[i]) })
	for _, v := range vs {
		in := append(AppendUint(nil, v), junk...)
		got, rest, err := DecodeUint(in)
		if err != nil || got != v || !bytes.Equal(rest, junk) {
			t.Errorf("DecodeUint(%x) = %d, %x, %v; want %d", in, got, rest, err, v)
		}
		any, _, err := Decode(in)
		if v > math.MaxInt64 {
			if any != v {
				t.Errorf("Decode(%x) = %#v, want uint64 %d", in, any, v)
			}
			if _, _, err := DecodeInt(in); !errors.Is(err, ErrOutOfRange) {
				t.Errorf("DecodeInt(%d) err = %v, want ErrOutOfRange", v, err)
			}
		} else if any != int64(v) {
			t.Errorf("Decode(%x) = %#v, %v; want int64 %d", in, any, err, v)
		}
	}
	// Signed and unsigned share one numeric order.
	if bytes.Compare(AppendInt(nil, math.MaxInt64), AppendUint(nil, 1<<63)) >= 0 ||
		bytes.Compare(AppendInt(nil, -1), AppendUint(nil, 0)) >= 0 {
		t.Error("int and uint encodings are not in one numeric order")
	}
}

func TestFloatOrderAndRoundTrip(t *testing.T) {
	negZero := math.Copysign(0, -1)
	vs := []float64{
		math.Inf(-1), -math.MaxFloat64, -1e300, -2, -1.5, -1, -math.Nextafter(1, 0), -0x1p-1022,
		-2 * math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, negZero, 0,
		math.SmallestNonzeroFloat64, 2 * math.SmallestNonzeroFloat64, 0x1p-1022, 0.1,
		math.Nextafter(1, 0), 1, math.Nextafter(1, 2), 1.5, 2, float64(math.MaxFloat32), 1e300,
		math.MaxFloat64, math.Inf(1),
	}
	checkPairs(t, "float", len(vs),
		func(i int) []byte { return mustFloat(t, vs[i]) },
		func(i, j int) int { return cmp.Compare(vs[i], vs[j]) }, // -0 == 0
		func(i int) string { return fmt.Sprint(vs[i]) })
	for _, v := range vs {
		in := append(mustFloat(t, v), junk...)
		got, rest, err := DecodeFloat64(in)
		if err != nil || got != v || !bytes.Equal(rest, junk) {
			t.Errorf("DecodeFloat64(%x) = %v, %x, %v; want %v", in, got, rest, err, v)
		}
		if math.Signbit(got) && got == 0 {
			t.Errorf("DecodeFloat64 returned -0")
		}
		if n, err := Skip(in); err != nil || n != 9 {
			t.Errorf("Skip(float) = %d, %v", n, err)
		}
	}
	if !bytes.Equal(mustFloat(t, negZero), mustFloat(t, 0)) {
		t.Error("-0 and +0 encode differently")
	}
	dst := []byte("x")
	if out, err := AppendFloat64(dst, math.NaN()); !errors.Is(err, ErrNaN) || string(out) != "x" {
		t.Errorf("AppendFloat64(NaN) = %q, %v", out, err)
	}
	// float32 values are widened exactly.
	f32 := []float32{-math.MaxFloat32, -1.5, -math.SmallestNonzeroFloat32, 0, math.SmallestNonzeroFloat32, 1.1, math.MaxFloat32}
	checkPairs(t, "float32", len(f32),
		func(i int) []byte { return mustFloat(t, float64(f32[i])) },
		func(i, j int) int { return cmp.Compare(f32[i], f32[j]) },
		func(i int) string { return fmt.Sprint(f32[i]) })
}

func decimalBoundaries() []decimal.Decimal {
	strs := []string{
		"-1e40", "-123456789012345678901234567890.123456789", "-1000", "-999.999", "-101", "-100.0",
		"-100", "-99.99", "-10", "-9.9", "-1.01", "-1.001", "-1.00", "-1", "-0.99999999999999999999999999999",
		"-0.1", "-0.0101", "-0.01", "-0.000000000000000000000000000001", "-1e-60",
		"0", "0.000", "-0.00", "1e-60", "0.000000000000000000000000000001", "0.0001", "0.00010", "0.001",
		"0.01", "0.0101", "0.1", "0.10", "0.1000001", "0.11", "0.9", "0.99", "0.999999999999999999999999",
		"1", "1.0", "1.00", "1.000000000000000000000000000001", "1.01", "1.1", "1.10", "1.11", "2", "9.99",
		"10", "10.0", "10.01", "11", "99", "100", "100.000", "101", "1000", "1e10", "12345678901234567890",
		"123456789012345678901234567890.123456789012345678901234567890", "99999999999999999999999999999999999", "1e40",
	}
	var vs []decimal.Decimal
	for _, s := range strs {
		vs = append(vs, dec(s))
	}
	return append(vs, decimal.Decimal{}) // zero value with a nil coefficient
}

// extremeDecimals is strictly increasing. decimal.Cmp cannot be the
// oracle here: it rescales to a common exponent, i.e. computes 10^(2^31).
// New(10, MaxInt32) needs its trailing zero restored on decode because
// 1×10^(MaxInt32+1) does not fit decimal's int32 exponent.
func extremeDecimals() []decimal.Decimal {
	return []decimal.Decimal{
		decimal.New(-10, math.MaxInt32), decimal.New(-1, math.MaxInt32), dec("-1e40"), dec("-1"),
		decimal.New(-123, math.MinInt32), decimal.New(-1, math.MinInt32), decimal.Zero,
		decimal.New(1, math.MinInt32), decimal.New(123, math.MinInt32), dec("1e-60"), dec("1"), dec("1e40"),
		decimal.New(1, math.MaxInt32), decimal.New(10, math.MaxInt32),
	}
}

func TestDecimalOrderAndRoundTrip(t *testing.T) {
	vs := decimalBoundaries()
	checkPairs(t, "decimal", len(vs),
		func(i int) []byte { return AppendDecimal(nil, vs[i]) },
		func(i, j int) int { return vs[i].Cmp(vs[j]) },
		func(i int) string { return vs[i].String() })
	ext := extremeDecimals()
	checkPairs(t, "extreme decimal", len(ext),
		func(i int) []byte { return AppendDecimal(nil, ext[i]) },
		func(i, j int) int { return cmp.Compare(i, j) },
		func(i int) string { return fmt.Sprintf("%se%d", ext[i].Coefficient(), ext[i].Exponent()) })
	for _, v := range append(vs, ext...) {
		enc := AppendDecimal(nil, v)
		in := append(append([]byte{}, enc...), junk...)
		got, rest, err := DecodeDecimal(in)
		if err != nil || !sameDecimal(got, v) || !bytes.Equal(rest, junk) {
			t.Errorf("DecodeDecimal(%x) = %v, %x, %v; want %v", in, got, rest, err, v)
			continue
		}
		if n, err := Skip(in); err != nil || n != len(enc) {
			t.Errorf("Skip(%x) = %d, %v; want %d", in, n, err, len(enc))
		}
		if !bytes.Equal(AppendDecimal(nil, got), enc) {
			t.Errorf("re-encoding %v changed bytes", got)
		}
	}
	// Canonical: equal values with different scales encode identically.
	for _, pair := range [][2]string{{"1.0", "1.00"}, {"0", "-0.000"}, {"100", "1e2"}, {"-2.50", "-2.5"}} {
		if a, b := AppendDecimal(nil, dec(pair[0])), AppendDecimal(nil, dec(pair[1])); !bytes.Equal(a, b) {
			t.Errorf("%s and %s encode differently: %x vs %x", pair[0], pair[1], a, b)
		}
	}
}

// sameDecimal is decimal.Equal without rescaling to a common exponent
// (which is unusable for huge exponent differences): both are reduced to
// coefficients without trailing zeros first.
func sameDecimal(a, b decimal.Decimal) bool {
	ca, ea := reduceDecimal(a)
	cb, eb := reduceDecimal(b)
	return ca == cb && ea == eb
}

func reduceDecimal(d decimal.Decimal) (string, int64) {
	if d.Sign() == 0 {
		return "0", 0
	}
	c := d.Coefficient().String()
	e := int64(d.Exponent())
	for strings.HasSuffix(c, "0") {
		c = c[:len(c)-1]
		e++
	}
	return c, e
}

func timeBoundaries() []time.Time {
	utc := time.UTC
	return []time.Time{
		time.Unix(-62167219200, 0).UTC(), // GMS zero time, 0000-01-01
		time.Date(0, 1, 1, 0, 0, 0, 1, utc),
		time.Date(1, 1, 1, 0, 0, 0, 0, utc), // time.Time{}
		time.Date(1, 1, 1, 0, 0, 0, 999_999_999, utc),
		time.Date(1000, 6, 15, 12, 0, 0, 1, utc),
		time.Date(1969, 12, 31, 23, 59, 59, 0, utc),
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, utc),
		time.Date(1970, 1, 1, 0, 0, 0, 0, utc),
		time.Date(1970, 1, 1, 0, 0, 0, 1, utc),
		time.Date(1970, 1, 1, 0, 0, 1, 0, utc),
		time.Date(2024, 2, 29, 12, 34, 56, 123_456_000, utc),
		time.Date(2262, 4, 11, 23, 47, 16, 854_775_807, utc), // max UnixNano
		time.Date(2262, 4, 11, 23, 47, 16, 854_775_808, utc),
		time.Date(2262, 4, 12, 0, 0, 0, 0, utc),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, utc),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, utc),
	}
}

func TestTimeOrderAndRoundTrip(t *testing.T) {
	vs := timeBoundaries()
	// The same instants in other zones must encode identically.
	for _, v := range timeBoundaries()[4:] {
		vs = append(vs, v.In(time.FixedZone("x", -7*3600)))
	}
	checkPairs(t, "time", len(vs),
		func(i int) []byte { return AppendTime(nil, vs[i]) },
		func(i, j int) int { return vs[i].Compare(vs[j]) },
		func(i int) string { return vs[i].Format(time.RFC3339Nano) })
	for _, v := range vs {
		enc := AppendTime(nil, v)
		in := append(append([]byte{}, enc...), junk...)
		got, rest, err := DecodeTime(in)
		if err != nil || !got.Equal(v) || got.Location() != time.UTC || !bytes.Equal(rest, junk) {
			t.Errorf("DecodeTime(%x) = %v, %x, %v; want %v", in, got, rest, err, v)
		}
		if n, err := Skip(in); err != nil || n != len(enc) {
			t.Errorf("Skip(%x) = %d, %v; want %d", in, n, err, len(enc))
		}
	}
}

func TestBytesOrderAndRoundTrip(t *testing.T) {
	vs := [][]byte{
		{}, {0x00}, {0x00, 0x00}, {0x00, 0x00, 0xFF}, {0x00, 0x01}, {0x00, 0xFF}, {0x01}, {0x01, 0x00},
		[]byte("a"), []byte("a\x00"), []byte("a\x00\x00"), []byte("a\x00\x01"), []byte("a\x01"),
		[]byte("ab"), []byte("b"), {0xFE}, {0xFF}, {0xFF, 0x00}, {0xFF, 0xFF}, {0xFF, 0xFF, 0xFF},
	}
	checkPairs(t, "bytes", len(vs),
		func(i int) []byte { return AppendBytes(nil, vs[i]) },
		func(i, j int) int { return bytes.Compare(vs[i], vs[j]) },
		func(i int) string { return fmt.Sprintf("%q", vs[i]) })
	for _, v := range vs {
		enc := AppendBytes(nil, v)
		in := append(append([]byte{}, enc...), junk...)
		got, rest, err := DecodeBytes(in)
		if err != nil || !bytes.Equal(got, v) || got == nil || !bytes.Equal(rest, junk) {
			t.Errorf("DecodeBytes(%x) = %x, %x, %v; want %x", in, got, rest, err, v)
		}
		if n, err := Skip(in); err != nil || n != len(enc) {
			t.Errorf("Skip(%x) = %d, %v; want %d", in, n, err, len(enc))
		}
	}
}

// codepoints is a binary-like collation: the weight is the code point.
var codepoints = UTF8Weights(func(r rune) int32 { return r })

// foldCase is a toy case-insensitive collation.
var foldCase = UTF8Weights(func(r rune) int32 { return unicode.ToUpper(r) })

// badCollator reports nonsense sizes to exercise the invalid-size path.
type badCollator struct{}

func (badCollator) NextRune(s string) (rune, int) {
	switch s[0] {
	case 'z':
		return 'z', 0
	case 'y':
		return 'y', len(s) + 5
	case 'x':
		return 'x', -1
	}
	return rune(s[0]), 1
}
func (badCollator) Weight(r rune) int32 { return r }

func weightsOf(s string, c Collator) []int32 {
	var ws []int32
	for len(s) > 0 {
		r, n := c.NextRune(s)
		if n < 1 || n > len(s) {
			r, n = 0xFFFD, 1
		}
		ws = append(ws, c.Weight(r))
		s = s[n:]
	}
	return ws
}

func compareWeights(a, b []int32) int {
	for i := range min(len(a), len(b)) {
		if c := cmp.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func TestStringOrderAndSkip(t *testing.T) {
	vs := []string{"", "\x00", "\x00\x00", " ", "A", "A ", "AB", "Ab", "B", "a", "a\x00", "b",
		"\u007f", "é", "\u07ff", "\u0800", "中", "\uFFFD", "\xff", "\uFFFF", "😀", "\U0010FFFF"}
	for _, c := range []struct {
		name string
		col  Collator
	}{{"codepoints", codepoints}, {"foldCase", foldCase}, {"bad", badCollator{}}} {
		ws := make([][]int32, len(vs))
		for i, v := range vs {
			ws[i] = weightsOf(v, c.col)
		}
		checkPairs(t, c.name, len(vs),
			func(i int) []byte { return AppendString(nil, vs[i], c.col) },
			func(i, j int) int { return compareWeights(ws[i], ws[j]) },
			func(i int) string { return fmt.Sprintf("%q", vs[i]) })
		for i, v := range vs {
			enc := AppendString(nil, v, c.col)
			in := append(append([]byte{}, enc...), junk...)
			if n, err := Skip(in); err != nil || n != len(enc) {
				t.Errorf("%s: Skip(%x) = %d, %v; want %d", c.name, in, n, err, len(enc))
			}
			got, rest, err := Decode(in)
			if got != nil || !errors.Is(err, ErrNotDecodable) || !bytes.Equal(rest, junk) {
				t.Errorf("%s: Decode(%q) = %v, %x, %v; want ErrNotDecodable and the rest", c.name, v, got, rest, err)
			}
			gotW, _, err := DecodeWeights(in)
			if err != nil || compareWeights(gotW, ws[i]) != 0 {
				t.Errorf("%s: DecodeWeights(%q) = %v, %v; want %v", c.name, v, gotW, err, ws[i])
			}
			if !bytes.Equal(AppendWeights(nil, ws[i]), enc) {
				t.Errorf("%s: AppendWeights(%v) != AppendString(%q)", c.name, ws[i], v)
			}
		}
	}
	// Bad sizes never panic and consume one byte weighted as U+FFFD.
	if got, want := AppendString(nil, "zyx", badCollator{}), AppendWeights(nil, []int32{0xFFFD, 0xFFFD, 0xFFFD}); !bytes.Equal(got, want) {
		t.Errorf("bad collator: got %x want %x", got, want)
	}
	if !bytes.Equal(AppendString(nil, "Hello", foldCase), AppendString(nil, "hELLO", foldCase)) {
		t.Error("case-insensitive collation: equal strings encode differently")
	}
}

func TestWeightClasses(t *testing.T) {
	ws := []int32{math.MinInt32, math.MinInt32 + 1, -65536, -1, 0, 1, w2Base - 1, w2Base, w2Base + 1,
		w3Base - 1, w3Base, w4Base - 1, w4Base, w5Base - 1, w5Base, math.MaxInt32 - 1, math.MaxInt32}
	lens := []int{5, 5, 5, 5, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 5}
	checkPairs(t, "weights", len(ws),
		func(i int) []byte { return AppendWeights(nil, ws[i:i+1]) },
		func(i, j int) int { return cmp.Compare(ws[i], ws[j]) },
		func(i int) string { return fmt.Sprint(ws[i]) })
	for i, w := range ws {
		b := appendWeight(nil, w)
		if len(b) != lens[i] || b[0] <= strTerm {
			t.Errorf("weight %d encodes as %x; want %d bytes starting above 0x00", w, b, lens[i])
		}
		got, n, err := decodeWeight(b)
		if err != nil || got != w || n != len(b) {
			t.Errorf("decodeWeight(%x) = %d, %d, %v; want %d", b, got, n, err, w)
		}
	}
	for _, bad := range []string{"01 00000000", "01 7fffffff", "f0 ffffffff", "f1", "ff", "80", "c0 00", "e0 0000"} {
		b := mustHex(t, strings.ReplaceAll(bad, " ", ""))
		if _, _, err := decodeWeight(b); err == nil {
			t.Errorf("decodeWeight(%s) succeeded", bad)
		}
	}
}

func TestNull(t *testing.T) {
	null := AppendNull(nil)
	if !IsNull(null) || IsNull(AppendInt(nil, 0)) || IsNull(nil) {
		t.Error("IsNull")
	}
	v, rest, err := Decode(append(null, 0x88))
	if v != nil || err != nil || !bytes.Equal(rest, []byte{0x88}) {
		t.Errorf("Decode(NULL) = %v, %x, %v", v, rest, err)
	}
	// NULL sorts before every non-NULL value of every kind.
	for _, enc := range allKindsSamples(t) {
		if bytes.Compare(null, enc) >= 0 {
			t.Errorf("NULL does not sort before %s", Pretty(enc))
		}
		if enc[0] == 0x00 || enc[0] >= 0xFE {
			t.Errorf("reserved tag produced: %x", enc)
		}
	}
}

// allKindsSamples returns one or more encoded values of every non-NULL
// kind, including the extremes of each.
func allKindsSamples(t testing.TB) [][]byte {
	return [][]byte{
		AppendInt(nil, math.MinInt64), AppendInt(nil, 0), AppendUint(nil, math.MaxUint64),
		mustFloat(t, math.Inf(-1)), mustFloat(t, math.Inf(1)),
		AppendDecimal(nil, decimal.New(-1, math.MaxInt32)), AppendDecimal(nil, decimal.Zero),
		AppendDecimal(nil, decimal.New(10, math.MaxInt32)),
		AppendTime(nil, time.Unix(math.MinInt64/2, 0)), AppendTime(nil, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)),
		AppendBytes(nil, nil), AppendBytes(nil, []byte{0xFF, 0xFF}),
		AppendString(nil, "", codepoints), AppendWeights(nil, []int32{math.MaxInt32}),
	}
}

func TestPeekKind(t *testing.T) {
	want := []Kind{KindInt, KindInt, KindInt, KindFloat, KindFloat, KindDecimal, KindDecimal, KindDecimal,
		KindTime, KindTime, KindBytes, KindBytes, KindString, KindString}
	for i, enc := range allKindsSamples(t) {
		if k, err := PeekKind(enc); err != nil || k != want[i] {
			t.Errorf("PeekKind(%x) = %v, %v; want %v", enc, k, err, want[i])
		}
	}
	if k, err := PeekKind(AppendNull(nil)); k != KindNull || err != nil || k.String() != "null" {
		t.Errorf("PeekKind(NULL) = %v, %v", k, err)
	}
	for _, b := range [][]byte{nil, {0x00}, {0xFE}, {0xFF}, {0x02}} {
		if _, err := PeekKind(b); err == nil {
			t.Errorf("PeekKind(%x) succeeded", b)
		}
	}
}

func TestWrongKind(t *testing.T) {
	s := AppendString(nil, "x", codepoints)
	i := AppendInt(nil, 1)
	checks := []error{
		second(DecodeInt(s)), second(DecodeUint(s)), second(DecodeFloat64(i)), second(DecodeDecimal(i)),
		second(DecodeTime(i)), second(DecodeBytes(i)), second(DecodeWeights(i)),
	}
	for n, err := range checks {
		if !errors.Is(err, ErrWrongKind) {
			t.Errorf("check %d: err = %v, want ErrWrongKind", n, err)
		}
	}
}

func second[A, B any](_ A, _ B, err error) error { return err }

func TestTruncatedAndMalformed(t *testing.T) {
	for _, enc := range allKindsSamples(t) {
		for cut := 0; cut < len(enc); cut++ {
			b := enc[:cut]
			if _, err := Skip(b); err == nil {
				t.Errorf("Skip(%x) of truncated %x succeeded", b, enc)
			}
			if _, _, err := Decode(b); err == nil || errors.Is(err, ErrNotDecodable) {
				t.Errorf("Decode(%x) of truncated %x: err = %v", b, enc, err)
			}
		}
	}
	for _, bad := range []string{
		"00", "02", "fe", "ff", // unknown tags
		"f605",               // 5 must be inline
		"8700",               // -256 must use two bytes
		"803030303030303030", // 8-byte negative class holding a positive value (fuzz find)
		"f7006e",             // leading zero byte
		"107fffffffffffffff", // -0
		"10fff8000000000001", // NaN
		"1688", "168806",     // decimal without digits / leading zero digit (03)
		"168801",             // 0.0 as digits: last pair 0... (0x01>>1 = 0, non-final) then truncated
		"16880200", "1688c9", // leading zero pair; pair > 99
		"16fd7fffffffffffffff02", // exponent far beyond int32
		"1888f93b9aca00",         // nanos = 1e9
		"20610002", "206100",     // bad escape, unterminated
		"28f1", "2802", // bad weight header, unterminated
	} {
		b := mustHex(t, bad)
		if _, _, err := Decode(b); err == nil {
			t.Errorf("Decode(%s) succeeded", bad)
		}
		if !strings.Contains(Pretty(b), "!err(") {
			t.Errorf("Pretty(%s) = %q does not report the error", bad, Pretty(b))
		}
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	var b []byte
	_, err := fmt.Sscanf(s, "%x", &b)
	if err != nil && s != "" {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}
