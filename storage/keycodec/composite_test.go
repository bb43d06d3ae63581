package keycodec

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// column is one typed column of a composite-key schema with a Go
// reference comparison.
type column struct {
	name string
	gen  func(r *rand.Rand) any // nil means NULL
	enc  func(dst []byte, v any) []byte
	cmp  func(a, b any) int // non-NULL values only
}

func withNulls(r *rand.Rand, gen func(*rand.Rand) any) any {
	if r.IntN(8) == 0 {
		return nil
	}
	return gen(r)
}

var columns = []column{
	{"int", func(r *rand.Rand) any { return randInt64(r) },
		func(d []byte, v any) []byte { return AppendInt(d, v.(int64)) },
		func(a, b any) int { return cmp.Compare(a.(int64), b.(int64)) }},
	{"uint", func(r *rand.Rand) any { return randUint64(r) },
		func(d []byte, v any) []byte { return AppendUint(d, v.(uint64)) },
		func(a, b any) int { return cmp.Compare(a.(uint64), b.(uint64)) }},
	{"float", func(r *rand.Rand) any { return randFloat(r) },
		func(d []byte, v any) []byte { b, _ := AppendFloat64(d, v.(float64)); return b },
		func(a, b any) int { return cmp.Compare(a.(float64), b.(float64)) }},
	{"decimal", func(r *rand.Rand) any { return randDecimal(r) },
		func(d []byte, v any) []byte { return AppendDecimal(d, v.(decimal.Decimal)) },
		func(a, b any) int { return a.(decimal.Decimal).Cmp(b.(decimal.Decimal)) }},
	{"time", func(r *rand.Rand) any { return randTime(r) },
		func(d []byte, v any) []byte { return AppendTime(d, v.(time.Time)) },
		func(a, b any) int { return a.(time.Time).Compare(b.(time.Time)) }},
	{"bytes", func(r *rand.Rand) any { return randBytes(r) },
		func(d []byte, v any) []byte { return AppendBytes(d, v.([]byte)) },
		func(a, b any) int { return bytes.Compare(a.([]byte), b.([]byte)) }},
	{"string", func(r *rand.Rand) any { return randString(r) },
		func(d []byte, v any) []byte { return AppendString(d, v.(string), foldCase) },
		func(a, b any) int {
			return compareWeights(weightsOf(a.(string), foldCase), weightsOf(b.(string), foldCase))
		}},
}

func encodeRow(schema []column, row []any) []byte {
	var key []byte
	for i, c := range schema {
		if row[i] == nil {
			key = AppendNull(key)
		} else {
			key = c.enc(key, row[i])
		}
	}
	return key
}

// compareRows is the MySQL ascending order: column by column, NULL first.
func compareRows(schema []column, a, b []any) int {
	for i, c := range schema {
		switch {
		case a[i] == nil && b[i] == nil:
			continue
		case a[i] == nil:
			return -1
		case b[i] == nil:
			return 1
		}
		if r := c.cmp(a[i], b[i]); r != 0 {
			return r
		}
	}
	return 0
}

func TestCompositeKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		ncol := 1 + r.IntN(3)
		schema := make([]column, ncol)
		for i := range schema {
			schema[i] = columns[r.IntN(len(columns))]
		}
		rows := make([][]any, 12)
		for i := range rows {
			rows[i] = make([]any, ncol)
			for j := range schema {
				// Small value pools make equal column prefixes likely.
				if i > 0 && r.IntN(2) == 0 {
					rows[i][j] = rows[r.IntN(i)][j]
				} else {
					rows[i][j] = withNulls(r, schema[j].gen)
				}
			}
		}
		names := make([]string, ncol)
		for i, c := range schema {
			names[i] = c.name
		}
		keys := make([][]byte, len(rows))
		for i := range rows {
			keys[i] = encodeRow(schema, rows[i])
		}
		for i := range rows {
			for j := range rows {
				got := bytes.Compare(keys[i], keys[j])
				if want := sign(compareRows(schema, rows[i], rows[j])); got != want {
					t.Fatalf("iter %d schema %v: %v vs %v: bytes %d want %d (%s vs %s)", iter, names,
						rows[i], rows[j], got, want, Pretty(keys[i]), Pretty(keys[j]))
				}
			}
			// Splitting the key with Skip yields one segment per column.
			rest, n := keys[i], 0
			for len(rest) > 0 {
				m, err := Skip(rest)
				if err != nil {
					t.Fatalf("Skip(%x): %v", rest, err)
				}
				rest = rest[m:]
				n++
			}
			if n != ncol {
				t.Fatalf("split %s into %d columns, want %d", Pretty(keys[i]), n, ncol)
			}
			// Every proper column prefix sorts before the key, and the key
			// lies in [prefix, PrefixEnd(prefix)).
			for k := 0; k < ncol; k++ {
				prefix := encodeRow(schema[:k], rows[i][:k])
				if bytes.Compare(prefix, keys[i]) >= 0 {
					t.Fatalf("prefix %s does not sort before %s", Pretty(prefix), Pretty(keys[i]))
				}
				if end := PrefixEnd(prefix); end != nil && bytes.Compare(keys[i], end) >= 0 {
					t.Fatalf("key %s not below PrefixEnd(%x)=%x", Pretty(keys[i]), prefix, end)
				}
			}
		}
		// A key with a different first column is outside the prefix range
		// of the first column exactly when the column values differ.
		for i := range rows {
			for j := range rows {
				p := encodeRow(schema[:1], rows[i][:1])
				end := PrefixEnd(p)
				in := bytes.HasPrefix(keys[j], p)
				inRange := bytes.Compare(keys[j], p) >= 0 && (end == nil || bytes.Compare(keys[j], end) < 0)
				same := compareRows(schema[:1], rows[i][:1], rows[j][:1]) == 0
				if in != inRange || in != same {
					t.Fatalf("prefix scan of %s: key %s prefix=%v range=%v sameColumn=%v", Pretty(p), Pretty(keys[j]), in, inRange, same)
				}
			}
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"ff", ""},
		{"ffff", ""},
		{"00", "01"},
		{"01", "02"},
		{"12ff", "13"},
		{"12fffe", "12ffff"},
		{"88ff00ff", "88ff01"},
	} {
		in := mustHex(t, c.in)
		orig := append([]byte(nil), in...)
		got := PrefixEnd(in)
		if hexs(got) != c.want || (c.want == "" && got != nil) {
			t.Errorf("PrefixEnd(%s) = %x, want %s", c.in, got, c.want)
		}
		if !bytes.Equal(in, orig) {
			t.Errorf("PrefixEnd modified its input")
		}
	}
}

func TestPrefixScans(t *testing.T) {
	// LIKE-style prefix scans over bytes and collated strings.
	bs := [][]byte{[]byte("ab"), []byte("ab\x00"), []byte("ab\xff"), []byte("abc"), []byte("a"), []byte("b"), []byte("ac")}
	p := AppendBytesPrefix(nil, []byte("ab"))
	end := PrefixEnd(p)
	for _, v := range bs {
		k := AppendBytes(nil, v)
		in := bytes.Compare(k, p) >= 0 && bytes.Compare(k, end) < 0
		if want := bytes.HasPrefix(v, []byte("ab")); in != want {
			t.Errorf("bytes prefix scan 'ab': %q in=%v want %v", v, in, want)
		}
	}
	ss := []string{"ab", "AB", "Abc", "aB\x00", "a", "b", "ac", "äb"}
	p = AppendStringPrefix(nil, "ab", foldCase)
	end = PrefixEnd(p)
	for _, v := range ss {
		k := AppendString(nil, v, foldCase)
		in := bytes.Compare(k, p) >= 0 && bytes.Compare(k, end) < 0
		if want := strings.HasPrefix(strings.ToUpper(v), "AB"); in != want {
			t.Errorf("string prefix scan 'ab': %q in=%v want %v", v, in, want)
		}
	}
}

func TestPretty(t *testing.T) {
	key := AppendInt(nil, 7)
	key = AppendBytes(key, []byte("abc"))
	key = AppendNull(key)
	key = AppendDecimal(key, dec("1.50"))
	key, _ = AppendFloat64(key, 2.5)
	key, _ = AppendFloat64(key, math.Inf(-1))
	key = AppendUint(key, math.MaxUint64)
	key = AppendInt(key, -42)
	key = AppendTime(key, time.Date(2024, 1, 2, 3, 4, 5, 500_000_000, time.FixedZone("", 3600)))
	key = AppendBytes(key, []byte{0, 0xFF, 'x'})
	key = AppendString(key, "ab", codepoints)
	key = AppendWeights(key, []int32{-2})
	key = AppendDecimal(key, decimal.New(-3, math.MaxInt32))
	want := "/7/'abc'/NULL/1.5/2.5f/-Inf/18446744073709551615/-42/2024-01-02T02:04:05.5Z/x'00ff78'/w[61 62]/w[-2]/-3e2147483647"
	if got := Pretty(key); got != want {
		t.Errorf("Pretty = %s\n          want %s", got, want)
	}
	if got := Pretty(nil); got != "" {
		t.Errorf("Pretty(nil) = %q", got)
	}
	bad := append(AppendInt(nil, 1), 0xFE, 0x01)
	if got, want := Pretty(bad), "/1/!err(keycodec: malformed key: unknown tag):x'fe01'"; got != want {
		t.Errorf("Pretty(bad) = %s, want %s", got, want)
	}
}

func ExamplePretty() {
	key := AppendInt(nil, 7)
	key = AppendBytes(key, []byte("abc"))
	key = AppendNull(key)
	key = AppendDecimal(key, decimal.RequireFromString("1.50"))
	fmt.Println(Pretty(key))
	fmt.Println(Pretty(PrefixEnd(key[:1])))
	// Output:
	// /7/'abc'/NULL/1.5
	// /8
}
