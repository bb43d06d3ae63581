package keycodec

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"
)

// gmsCollator adapts a GMS collation to Collator exactly the way
// StringType.Compare uses it.
type gmsCollator struct {
	next   func(string) (rune, int)
	weight sql.CollationSorter
}

func (g *gmsCollator) NextRune(s string) (rune, int) { return g.next(s) }
func (g *gmsCollator) Weight(r rune) int32           { return g.weight(r) }

// newGMSCollator returns a pointer so that passing it as a Collator does
// not allocate.
func newGMSCollator(id sql.CollationID) (*gmsCollator, bool) {
	sorter := id.Sorter()
	if sorter == nil {
		return nil, false
	}
	return &gmsCollator{next: id.CharacterSet().Encoder().NextRune, weight: sorter}, true
}

// testCollations are the collations checked against GMS. All of them have
// a Sorter in GMS v0.20.0; a collation without one (GMS has ~100, e.g.
// big5_chinese_ci) cannot be compared by GMS at all (Compare would call a
// nil function) and is skipped by the tests.
var testCollations = []sql.CollationID{
	sql.Collation_utf8mb4_0900_bin,
	sql.Collation_utf8mb4_0900_ai_ci,
	sql.Collation_utf8mb4_general_ci,
	sql.Collation_utf8mb4_unicode_ci,
	sql.Collation_utf8mb4_bin,
	sql.Collation_latin1_swedish_ci,
	sql.Collation_big5_chinese_ci, // Sorter() == nil in GMS v0.20.0: skipped
}

type gmsStringCase struct {
	id  sql.CollationID
	typ sql.StringType
	col Collator
}

func gmsStringCases(t testing.TB) []gmsStringCase {
	var out []gmsStringCase
	for _, id := range testCollations {
		c, ok := newGMSCollator(id)
		if !ok {
			t.Logf("collation %s has no Sorter in GMS; skipped", id)
			continue
		}
		out = append(out, gmsStringCase{id: id, typ: types.MustCreateString(sqltypes.VarChar, 255, id), col: c})
	}
	return out
}

var (
	gmsDecimal  = types.MustCreateDecimalType(65, 30)
	gmsDatetime = types.DatetimeMaxPrecision
)

func gmsCompare(t testing.TB, typ sql.Type, a, b any) int {
	t.Helper()
	c, err := typ.Compare(context.Background(), a, b)
	if err != nil {
		t.Fatalf("GMS %s Compare(%v, %v): %v", typ, a, b, err)
	}
	return c
}

func sign(c int) int { return cmp.Compare(c, 0) }

func mustFloat(t testing.TB, f float64) []byte {
	t.Helper()
	b, err := AppendFloat64(nil, f)
	if err != nil {
		t.Fatalf("AppendFloat64(%v): %v", f, err)
	}
	return b
}

func hexs(b []byte) string { return hex.EncodeToString(b) }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// stringAlphabet mixes ASCII, case/accent variants, ignorable-ish
// characters, multi-byte runes, characters outside latin1, U+FFFD and
// invalid UTF-8 (which GMS weighs as U+FFFD).
var stringAlphabet = []string{
	"a", "A", "b", "B", "z", "Z", "e", "E", "é", "É", "è", "ë", "ß", "s", "ss",
	"0", "9", " ", "  ", "\t", "\x00", "\x01", "_", "-", "~", "\x7f",
	"ä", "Å", "ø", "Ø", "æ", "ı", "İ", "ǅ", "ﬁ", "中", "日", "한", "ア",
	"😀", "😁", "𝔸", "\uFFFD", "\uFFFF", "\U0010FFFF", "\xff", "\xc3", "\xe4\xb8",
}

func randString(r *rand.Rand) string {
	n := r.IntN(6)
	var s []byte
	for range n {
		s = append(s, stringAlphabet[r.IntN(len(stringAlphabet))]...)
	}
	return string(s)
}

func randBytes(r *rand.Rand) []byte {
	n := r.IntN(6)
	b := make([]byte, n)
	for i := range b {
		switch r.IntN(4) {
		case 0:
			b[i] = 0x00
		case 1:
			b[i] = 0xFF
		case 2:
			b[i] = byte(r.IntN(3))
		default:
			b[i] = byte(r.Uint32())
		}
	}
	return b
}

// randInt64 favours values near the varint class boundaries.
func randInt64(r *rand.Rand) int64 {
	switch r.IntN(4) {
	case 0:
		return int64(r.Uint64())
	case 1:
		return r.Int64N(300) - 150
	default:
		v := int64(1) << uint(r.IntN(64))
		v += r.Int64N(5) - 2
		if r.IntN(2) == 0 {
			v = -v
		}
		return v
	}
}

func randUint64(r *rand.Rand) uint64 {
	switch r.IntN(3) {
	case 0:
		return r.Uint64()
	case 1:
		return r.Uint64N(300)
	default:
		return uint64(1)<<uint(r.IntN(64)) + r.Uint64N(5) - 2
	}
}

func randFloat(r *rand.Rand) float64 {
	for {
		var f float64
		switch r.IntN(5) {
		case 0:
			f = math.Float64frombits(r.Uint64())
		case 1:
			f = float64(r.IntN(7) - 3)
		case 2:
			f = []float64{math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0, math.SmallestNonzeroFloat64,
				-math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64}[r.IntN(8)]
		default:
			f = r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))
		}
		if !math.IsNaN(f) {
			return f
		}
	}
}

// randDecimal returns decimals that fit DECIMAL(65,30), with varied scale
// and trailing zeros so that equal values with different representations
// are common.
func randDecimal(r *rand.Rand) decimal.Decimal {
	var coef int64
	switch r.IntN(3) {
	case 0:
		coef = r.Int64N(21) - 10
	case 1:
		coef = r.Int64N(2_000_001) - 1_000_000
	default:
		coef = int64(r.Uint64() >> 1)
		if r.IntN(2) == 0 {
			coef = -coef
		}
	}
	exp := int32(r.IntN(30)) - 20 // with up to 19 digits: within 35 integer / 30 fraction digits
	d := decimal.New(coef, exp)
	if r.IntN(4) == 0 {
		// Same value, more trailing zeros.
		k := int32(r.IntN(4))
		d = decimal.New(coef*int64(math.Pow10(int(k))), exp-k)
		if coef > math.MaxInt64/1000 || coef < math.MinInt64/1000 {
			d = decimal.New(coef, exp)
		}
	}
	return d
}

var timeZones = []*time.Location{
	time.UTC,
	time.FixedZone("plus14", 14*3600),
	time.FixedZone("minus12", -12*3600),
	time.FixedZone("odd", 5*3600+45*60),
}

// randTime returns times in years 0000..9999 with random nanoseconds and
// zones (GMS compares instants).
func randTime(r *rand.Rand) time.Time {
	lo := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	var sec int64
	switch r.IntN(3) {
	case 0:
		sec = lo + r.Int64N(hi-lo+1)
	case 1:
		sec = r.Int64N(5) - 2 // around the epoch
	default:
		sec = 9223372036 + r.Int64N(5) - 2 // around the UnixNano limit (2262)
	}
	var nsec int64
	switch r.IntN(3) {
	case 0:
		nsec = 0
	case 1:
		nsec = r.Int64N(1_000_000) * 1000
	default:
		nsec = r.Int64N(1_000_000_000)
	}
	return time.Unix(sec, nsec).In(timeZones[r.IntN(len(timeZones))])
}

// checkPairs asserts that the byte order of encs agrees with want for
// every pair.
func checkPairs(t *testing.T, name string, n int, enc func(i int) []byte, want func(i, j int) int, show func(i int) string) {
	t.Helper()
	encs := make([][]byte, n)
	for i := range encs {
		encs[i] = enc(i)
	}
	for i := range n {
		for j := range n {
			got := bytes.Compare(encs[i], encs[j])
			if w := sign(want(i, j)); got != w {
				t.Errorf("%s: %s vs %s: bytes.Compare=%d want %d (%x vs %x)", name, show(i), show(j), got, w, encs[i], encs[j])
			}
		}
	}
}

const (
	sqltypesVarChar = sqltypes.VarChar
	sqltypesBinary  = sqltypes.Binary
)
