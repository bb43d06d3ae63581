package keycodec

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// These tests check the central invariant against GMS itself: for random
// pairs, sign(GMS Type.Compare(a, b)) == sign(bytes.Compare(enc(a), enc(b))).

const gmsPairs = 20000

func checkGMSPairs[T any](t *testing.T, typ sql.Type, seed uint64, gen func(*rand.Rand) T, enc func(T) []byte) {
	t.Helper()
	checkGMSPairsVariant(t, typ, seed, gen, nil, enc)
}

// checkGMSPairsVariant is checkGMSPairs where b is sometimes variant(a), a
// value likely to compare equal or close to a.
func checkGMSPairsVariant[T any](t *testing.T, typ sql.Type, seed uint64, gen func(*rand.Rand) T, variant func(*rand.Rand, T) T, enc func(T) []byte) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	pool := make([]T, 0, 64)
	var outcomes [3]int
	defer func() { t.Logf("%s: GMS outcomes less/equal/greater = %v", typ, outcomes) }()
	for range gmsPairs {
		var a, b T
		// Reuse earlier values often so equal pairs are tested too.
		if len(pool) > 0 && r.IntN(3) == 0 {
			a = pool[r.IntN(len(pool))]
		} else {
			a = gen(r)
		}
		if variant != nil && r.IntN(3) == 0 {
			b = variant(r, a)
		} else if len(pool) > 0 && r.IntN(3) == 0 {
			b = pool[r.IntN(len(pool))]
		} else {
			b = gen(r)
		}
		if len(pool) < cap(pool) {
			pool = append(pool, a)
		} else {
			pool[r.IntN(len(pool))] = a
		}
		want := sign(gmsCompare(t, typ, a, b))
		outcomes[want+1]++
		ea, eb := enc(a), enc(b)
		if got := bytes.Compare(ea, eb); got != want {
			t.Fatalf("%s: %v vs %v: GMS %d, bytes %d (%s vs %s)", typ, a, b, want, got, Pretty(ea), Pretty(eb))
		}
	}
}

func TestGMSInt64(t *testing.T) {
	checkGMSPairs(t, types.Int64, 1, randInt64, func(v int64) []byte { return AppendInt(nil, v) })
}

func TestGMSUint64(t *testing.T) {
	checkGMSPairs(t, types.Uint64, 2, randUint64, func(v uint64) []byte { return AppendUint(nil, v) })
}

func TestGMSFloat64(t *testing.T) {
	checkGMSPairs(t, types.Float64, 3, randFloat, func(v float64) []byte { return mustFloat(t, v) })
}

func TestGMSFloat32(t *testing.T) {
	gen := func(r *rand.Rand) float32 { return float32(randFloat(r)) }
	checkGMSPairs(t, types.Float32, 4, gen, func(v float32) []byte { return mustFloat(t, float64(v)) })
}

func TestGMSDecimal(t *testing.T) {
	variant := func(r *rand.Rand, d decimal.Decimal) decimal.Decimal {
		switch r.IntN(3) {
		case 0: // same value, different scale
			k := int32(1 + r.IntN(3))
			return decimal.NewFromBigInt(new(big.Int).Mul(d.Coefficient(), big.NewInt(int64(math.Pow10(int(k))))), d.Exponent()-k)
		case 1: // neighbour in the last digit
			return d.Add(decimal.New(int64(r.IntN(3)-1), d.Exponent()))
		default:
			return d.Neg()
		}
	}
	checkGMSPairsVariant(t, gmsDecimal, 5, randDecimal, variant, func(v decimal.Decimal) []byte { return AppendDecimal(nil, v) })
}

func TestGMSDatetime(t *testing.T) {
	variant := func(r *rand.Rand, tm time.Time) time.Time {
		switch r.IntN(2) {
		case 0: // same instant elsewhere
			return tm.In(timeZones[r.IntN(len(timeZones))])
		default: // neighbouring nanosecond or second
			return tm.Add(time.Duration(r.IntN(3)-1) * []time.Duration{1, time.Second}[r.IntN(2)])
		}
	}
	checkGMSPairsVariant(t, gmsDatetime, 6, randTime, variant, func(v time.Time) []byte { return AppendTime(nil, v) })
}

func TestGMSStrings(t *testing.T) {
	for i, c := range gmsStringCases(t) {
		t.Run(c.id.Name(), func(t *testing.T) {
			checkGMSPairsVariant(t, c.typ, uint64(100+i), randString, stringVariant,
				func(v string) []byte { return AppendString(nil, v, c.col) })
		})
	}
}

// stringVariant changes case, accents or the tail of s, producing strings
// that many collations consider equal or adjacent to s.
func stringVariant(r *rand.Rand, s string) string {
	switch r.IntN(5) {
	case 0:
		return strings.ToUpper(s)
	case 1:
		return strings.ToLower(s)
	case 2:
		return strings.NewReplacer("e", "é", "E", "É", "a", "Å", "s", "ß", "ss", "ß").Replace(s)
	case 3:
		return s + stringAlphabet[r.IntN(len(stringAlphabet))]
	default:
		if s == "" {
			return s
		}
		return s[:r.IntN(len(s))] // may cut a rune: invalid UTF-8
	}
}

// TestGMSStringsSorted sorts a fixed list with GMS and checks that the
// encodings are non-decreasing, equal exactly where GMS says equal.
func TestGMSStringsSorted(t *testing.T) {
	vs := []string{"", " ", "  ", "a", "A", "a ", "á", "Á", "à", "ä", "å", "æ", "ae", "b", "B", "ß", "ss", "SS",
		"e", "é", "É", "ê", "z", "Z", "ø", "ö", "o", "0", "9", "_", "中", "日", "😀", "😁", "\uFFFD", "\xff",
		"\xff\xff", "\x00", "a\x00", "ﬁ", "fi", "ǅ", "DŽ", "dž", "ı", "i", "I", "İ"}
	for _, c := range gmsStringCases(t) {
		sorted := slices.Clone(vs)
		slices.SortStableFunc(sorted, func(a, b string) int { return gmsCompare(t, c.typ, a, b) })
		checkPairs(t, c.id.Name(), len(sorted),
			func(i int) []byte { return AppendString(nil, sorted[i], c.col) },
			func(i, j int) int { return gmsCompare(t, c.typ, sorted[i], sorted[j]) },
			func(i int) string { return fmt.Sprintf("%q", sorted[i]) })
	}
}

// TestGMSSemantics pins GMS behaviours that the storage layer relies on or
// must work around. If GMS changes any of them, revisit the encoding.
func TestGMSSemantics(t *testing.T) {
	ctx := context.Background()
	mustCmp := func(typ sql.Type, a, b any) int { return gmsCompare(t, typ, a, b) }

	// Type.Compare puts NULL *after* non-NULL values (CompareNulls returns
	// +1 for (nil, x)). ORDER BY (expression.Sorter) and range cuts
	// (BelowNull/AboveNull) put NULL first, which is what the encoding
	// does: never use Type.Compare to order NULLs.
	if got := mustCmp(types.Int64, nil, int64(1)); got != 1 {
		t.Errorf("GMS Compare(nil, 1) = %d; expected 1", got)
	}
	// -0 == +0.
	if got := mustCmp(types.Float64, math.Copysign(0, -1), 0.0); got != 0 {
		t.Errorf("GMS Compare(-0, 0) = %d", got)
	}
	// Case/accent-insensitive collations make different strings equal, and
	// trailing spaces are significant (no PAD SPACE).
	ai := types.MustCreateString(sqltypesVarChar, 255, sql.Collation_utf8mb4_0900_ai_ci)
	if mustCmp(ai, "a", "Á") != 0 || mustCmp(ai, "a", "a ") != -1 {
		t.Errorf("utf8mb4_0900_ai_ci: a vs Á = %d, a vs 'a ' = %d", mustCmp(ai, "a", "Á"), mustCmp(ai, "a", "a "))
	}
	// In latin1_swedish_ci, every rune outside latin1 has weight MaxInt32,
	// so all of them compare equal to each other.
	l1 := types.MustCreateString(sqltypesVarChar, 255, sql.Collation_latin1_swedish_ci)
	if mustCmp(l1, "中", "😀") != 0 {
		t.Errorf("latin1_swedish_ci: 中 vs 😀 = %d", mustCmp(l1, "中", "😀"))
	}
	// Invalid UTF-8 compares like U+FFFD (the malformed-string check in
	// StringType.Compare compares the size against utf8.RuneError and
	// never fires).
	bin := types.MustCreateString(sqltypesVarChar, 255, sql.Collation_utf8mb4_0900_bin)
	if mustCmp(bin, "\xff", "\uFFFD") != 0 {
		t.Errorf("utf8mb4_0900_bin: \\xff vs U+FFFD = %d", mustCmp(bin, "\xff", "\uFFFD"))
	}
	// DECIMAL column types round to their scale when comparing.
	d2 := types.MustCreateColumnDecimalType(10, 2)
	if mustCmp(d2, dec("1.001"), dec("1.00")) != 0 {
		t.Errorf("DECIMAL(10,2) Compare(1.001, 1.00) = %d", mustCmp(d2, dec("1.001"), dec("1.00")))
	}
	// DATETIME compares instants regardless of location.
	tm := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if mustCmp(gmsDatetime, tm, tm.In(time.FixedZone("", 3600))) != 0 {
		t.Error("DATETIME compares locations")
	}
	// BINARY(n) pads with 0x00 in Convert, but Compare leaves string
	// operands unconverted: "ab" < the stored "ab\x00\x00".
	b4 := types.MustCreateBinary(sqltypesBinary, 4)
	padded, _, err := b4.Convert(ctx, "ab")
	if err != nil || !bytes.Equal(padded.([]byte), []byte("ab\x00\x00")) {
		t.Errorf("BINARY(4) Convert(ab) = %q, %v", padded, err)
	}
	if mustCmp(b4, "ab", []byte("ab\x00\x00")) != -1 {
		t.Errorf("BINARY(4) Compare(ab, ab\\0\\0) = %d", mustCmp(b4, "ab", []byte("ab\x00\x00")))
	}
}

// TestUTF8WeightsMatchesGMSAdapter checks that UTF8Weights(sorter) (the
// fast path) encodes exactly like the full GMS adapter for every tested
// collation, i.e. that their character sets decode with
// utf8.DecodeRuneInString.
func TestUTF8WeightsMatchesGMSAdapter(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, c := range gmsStringCases(t) {
		fast := UTF8Weights(c.id.Sorter())
		for range 2000 {
			s := randString(r)
			if a, b := AppendString(nil, s, fast), AppendString(nil, s, c.col); !bytes.Equal(a, b) {
				t.Fatalf("%s: %q: UTF8Weights %x, adapter %x", c.id, s, a, b)
			}
		}
	}
}
