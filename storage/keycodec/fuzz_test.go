package keycodec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// Fuzz kinds for FuzzOrder; kind/fuzzKinds selects the collation for
// string kinds.
const (
	fuzzInt = iota
	fuzzUint
	fuzzFloat
	fuzzDecimal
	fuzzTime
	fuzzBytes
	fuzzString
	fuzzIntString  // composite (INT NULL, VARCHAR)
	fuzzBytesFloat // composite (VARBINARY NULL, DOUBLE)
	fuzzKinds
)

// fuzzReader turns fuzz input into values without ever failing.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) uint64() uint64 {
	var buf [8]byte
	n := copy(buf[:], r.b)
	r.b = r.b[n:]
	return binary.BigEndian.Uint64(buf[:])
}

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fuzzReader) rest() []byte {
	b := r.b
	r.b = nil
	return b
}

func fuzzDecimalValue(r *fuzzReader) decimal.Decimal {
	exp := int32(r.byte()) - 128 // decimal.Cmp rescales: keep exponents moderate
	neg := r.byte()&1 == 1
	coef := new(big.Int).SetBytes(r.rest())
	if neg {
		coef.Neg(coef)
	}
	return decimal.NewFromBigInt(coef, exp)
}

func fuzzTimeValue(r *fuzzReader) time.Time {
	lo := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	sec := lo + int64(r.uint64()%uint64(hi-lo+1))
	nsec := int64(r.uint64() % 1e9)
	return time.Unix(sec, nsec).In(timeZones[int(r.byte())%len(timeZones)])
}

// fuzzValue builds a value of the given kind from data and returns its
// encoding and a GMS-backed comparison against another value of the same
// kind.
type fuzzValue struct {
	enc []byte
	v   []any // one entry per column, nil = NULL
}

func makeFuzzValue(t *testing.T, kind uint8, data []byte, strCases []gmsStringCase) (fuzzValue, bool) {
	r := &fuzzReader{b: data}
	switch kind % fuzzKinds {
	case fuzzInt:
		v := int64(r.uint64())
		return fuzzValue{AppendInt(nil, v), []any{v}}, true
	case fuzzUint:
		v := r.uint64()
		return fuzzValue{AppendUint(nil, v), []any{v}}, true
	case fuzzFloat:
		f := math.Float64frombits(r.uint64())
		enc, err := AppendFloat64(nil, f)
		if err != nil {
			if !math.IsNaN(f) {
				t.Fatalf("AppendFloat64(%v): %v", f, err)
			}
			return fuzzValue{}, false
		}
		return fuzzValue{enc, []any{f}}, true
	case fuzzDecimal:
		d := fuzzDecimalValue(r)
		return fuzzValue{AppendDecimal(nil, d), []any{d}}, true
	case fuzzTime:
		tm := fuzzTimeValue(r)
		return fuzzValue{AppendTime(nil, tm), []any{tm}}, true
	case fuzzBytes:
		b := r.rest()
		return fuzzValue{AppendBytes(nil, b), []any{b}}, true
	case fuzzString:
		c := strCases[int(kind/fuzzKinds)%len(strCases)]
		s := string(r.rest())
		return fuzzValue{AppendString(nil, s, c.col), []any{s}}, true
	case fuzzIntString:
		c := strCases[int(kind/fuzzKinds)%len(strCases)]
		var first any
		var enc []byte
		if r.byte()&3 == 0 {
			enc = AppendNull(enc)
		} else {
			v := int64(int8(r.byte())) // small range: equal first columns are common
			first, enc = v, AppendInt(enc, v)
		}
		s := string(r.rest())
		return fuzzValue{AppendString(enc, s, c.col), []any{first, s}}, true
	case fuzzBytesFloat:
		var first any
		var enc []byte
		n := int(r.byte())
		if n == 0 {
			enc = AppendNull(enc)
		} else {
			b := r.b[:min(n%4, len(r.b))]
			r.b = r.b[len(b):]
			first, enc = b, AppendBytes(enc, b)
		}
		f := math.Float64frombits(r.uint64())
		enc, err := AppendFloat64(enc, f)
		if err != nil {
			return fuzzValue{}, false
		}
		return fuzzValue{enc, []any{first, f}}, true
	}
	panic("unreachable")
}

func fuzzTypes(kind uint8, strCases []gmsStringCase) []sql.Type {
	c := strCases[int(kind/fuzzKinds)%len(strCases)].typ
	switch kind % fuzzKinds {
	case fuzzInt:
		return []sql.Type{types.Int64}
	case fuzzUint:
		return []sql.Type{types.Uint64}
	case fuzzFloat:
		return []sql.Type{types.Float64}
	case fuzzDecimal:
		return []sql.Type{gmsDecimal}
	case fuzzTime:
		return []sql.Type{gmsDatetime}
	case fuzzBytes:
		return []sql.Type{types.LongBlob}
	case fuzzString:
		return []sql.Type{c}
	case fuzzIntString:
		return []sql.Type{types.Int64, c}
	default:
		return []sql.Type{types.LongBlob, types.Float64}
	}
}

// FuzzOrder checks sign(bytes.Compare) == sign(GMS comparison) for two
// values of the same kind, including two-column composite keys (compared
// column by column, NULL first).
func FuzzOrder(f *testing.F) {
	i64 := func(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
	f64 := func(v float64) []byte { return binary.BigEndian.AppendUint64(nil, math.Float64bits(v)) }
	f.Add(uint8(fuzzInt), i64(-1), i64(0))
	f.Add(uint8(fuzzInt), i64(math.MinInt64), i64(math.MaxInt64))
	f.Add(uint8(fuzzInt), i64(109), i64(110))
	f.Add(uint8(fuzzUint), i64(-1), i64(math.MaxInt64))
	f.Add(uint8(fuzzFloat), f64(math.Copysign(0, -1)), f64(0))
	f.Add(uint8(fuzzFloat), f64(math.Inf(-1)), f64(-math.MaxFloat64))
	f.Add(uint8(fuzzFloat), f64(math.SmallestNonzeroFloat64), f64(-math.SmallestNonzeroFloat64))
	f.Add(uint8(fuzzDecimal), []byte{128, 0, 10}, []byte{127, 0, 100})
	f.Add(uint8(fuzzDecimal), []byte{0, 1, 1, 0}, []byte{255, 1, 0})
	f.Add(uint8(fuzzTime), bytes.Repeat([]byte{0xFF}, 17), []byte{0x00, 0x01})
	f.Add(uint8(fuzzTime), append(i64(62167219200), 0, 0, 0, 0, 0, 0, 0, 1), append(i64(62167219200), 0, 0, 0, 0, 0, 0, 0, 0, 3))
	f.Add(uint8(fuzzBytes), []byte("a\x00"), []byte("a"))
	f.Add(uint8(fuzzBytes), []byte("\x00\xff"), []byte("\x00\x00"))
	for c := range uint8(6) {
		f.Add(uint8(fuzzString)+c*fuzzKinds, []byte("abc"), []byte("ABC"))
		f.Add(uint8(fuzzString)+c*fuzzKinds, []byte("é\xff"), []byte("E\uFFFD"))
		f.Add(uint8(fuzzIntString)+c*fuzzKinds, []byte("\x01\x05a b"), []byte("\x01\x05A"))
	}
	f.Add(uint8(fuzzIntString), []byte("\x00\x05zzz"), []byte("\x01\x80"))
	f.Add(uint8(fuzzBytesFloat), append([]byte{2, 0}, f64(1)...), append([]byte{1}, f64(2)...))
	f.Add(uint8(fuzzBytesFloat), append([]byte{0}, f64(1)...), append([]byte{3, 0, 0}, f64(-2)...))

	strCases := gmsStringCases(f)
	f.Fuzz(func(t *testing.T, kind uint8, a, b []byte) {
		va, ok1 := makeFuzzValue(t, kind, a, strCases)
		vb, ok2 := makeFuzzValue(t, kind, b, strCases)
		if !ok1 || !ok2 {
			return
		}
		want := 0
		for i, typ := range fuzzTypes(kind, strCases) {
			x, y := va.v[i], vb.v[i]
			switch {
			case x == nil && y == nil:
				continue
			case x == nil:
				want = -1
			case y == nil:
				want = 1
			default:
				want = sign(gmsCompare(t, typ, x, y))
			}
			if want != 0 {
				break
			}
		}
		if got := bytes.Compare(va.enc, vb.enc); got != want {
			t.Fatalf("kind %d: %v vs %v: bytes %d, want %d (%s vs %s)", kind, va.v, vb.v, got, want, Pretty(va.enc), Pretty(vb.enc))
		}
	})
}

// reencode encodes a value returned by Decode.
func reencode(t *testing.T, v any) []byte {
	switch v := v.(type) {
	case nil:
		return AppendNull(nil)
	case int64:
		return AppendInt(nil, v)
	case uint64:
		return AppendUint(nil, v)
	case float64:
		b, err := AppendFloat64(nil, v)
		if err != nil {
			t.Fatalf("decoded float %v does not encode: %v", v, err)
		}
		return b
	case decimal.Decimal:
		return AppendDecimal(nil, v)
	case time.Time:
		return AppendTime(nil, v)
	case []byte:
		return AppendBytes(nil, v)
	}
	t.Fatalf("Decode returned %T", v)
	return nil
}

// FuzzDecode feeds arbitrary bytes to every decoder: nothing panics, Skip
// agrees with Decode, and anything that decodes re-encodes to the same
// bytes (for collated strings: the decoded weights re-encode).
func FuzzDecode(f *testing.F) {
	key := AppendInt(nil, -300)
	key = AppendNull(key)
	key, _ = AppendFloat64(key, -1.5)
	key = AppendDecimal(key, dec("-123.4500"))
	key = AppendDecimal(key, decimal.Zero)
	key = AppendDecimal(key, decimal.New(10, math.MaxInt32))
	key = AppendTime(key, time.Date(2262, 4, 12, 0, 0, 0, 1, time.UTC))
	key = AppendBytes(key, []byte("a\x00\xff"))
	key = AppendString(key, "abc😀", codepoints)
	key = AppendWeights(key, []int32{-5, math.MaxInt32, 0, w3Base, w4Base})
	key = AppendUint(key, math.MaxUint64)
	f.Add(key)
	f.Add([]byte{})
	for _, s := range allKindsSamples(f) {
		f.Add(s)
	}
	for _, bad := range []string{"f605", "8700", "107fffffffffffffff", "168806", "16fd7fffffffffffffff02",
		"1888f93b9aca00", "20610002", "28f1", "fe01", "1480", "18fd7fffffffffffffff88"} {
		f.Add(mustHex(f, bad))
	}

	f.Fuzz(fuzzDecodeOne)
}

func fuzzDecodeOne(t *testing.T, data []byte) {
	{
		_ = Pretty(data)
		_, _ = PeekKind(data)
		checkTyped(t, data)
		rest := data
		for len(rest) > 0 {
			n, skipErr := Skip(rest)
			v, after, err := Decode(rest)
			if errors.Is(err, ErrNotDecodable) {
				if skipErr != nil || n != len(rest)-len(after) {
					t.Fatalf("Skip(%x) = %d, %v; Decode consumed %d", rest, n, skipErr, len(rest)-len(after))
				}
				ws, after2, err := DecodeWeights(rest)
				if err != nil || len(after2) != len(after) {
					t.Fatalf("DecodeWeights(%x): %v", rest, err)
				}
				if enc := AppendWeights(nil, ws); !bytes.Equal(enc, rest[:n]) {
					t.Fatalf("weights %v re-encode to %x, input %x", ws, enc, rest[:n])
				}
			} else if err != nil {
				return
			} else {
				if skipErr != nil || n != len(rest)-len(after) {
					t.Fatalf("Skip(%x) = %d, %v; Decode consumed %d", rest, n, skipErr, len(rest)-len(after))
				}
				if enc := reencode(t, v); !bytes.Equal(enc, rest[:n]) {
					t.Fatalf("Decode(%x) = %#v re-encodes to %x", rest[:n], v, enc)
				}
			}
			rest = after
		}
	}
}

// checkTyped runs the typed decoders on data: a success must re-encode to
// the consumed bytes.
func checkTyped(t *testing.T, data []byte) {
	check := func(name string, enc []byte, rest []byte, err error) {
		if err != nil {
			return
		}
		if n := len(data) - len(rest); !bytes.Equal(enc, data[:n]) {
			t.Fatalf("%s(%x) re-encodes to %x", name, data[:n], enc)
		}
	}
	if v, rest, err := DecodeInt(data); err == nil {
		check("DecodeInt", AppendInt(nil, v), rest, err)
	}
	if v, rest, err := DecodeUint(data); err == nil {
		check("DecodeUint", AppendUint(nil, v), rest, err)
	}
	if v, rest, err := DecodeFloat64(data); err == nil {
		enc, err := AppendFloat64(nil, v)
		check("DecodeFloat64", enc, rest, err)
	}
	if v, rest, err := DecodeDecimal(data); err == nil {
		check("DecodeDecimal", AppendDecimal(nil, v), rest, err)
	}
	if v, rest, err := DecodeTime(data); err == nil {
		check("DecodeTime", AppendTime(nil, v), rest, err)
	}
	if v, rest, err := DecodeBytes(data); err == nil {
		check("DecodeBytes", AppendBytes(nil, v), rest, err)
	}
	if v, rest, err := DecodeWeights(data); err == nil {
		check("DecodeWeights", AppendWeights(nil, v), rest, err)
	}
}
