package sqlserver

import (
	"math"
	"math/rand"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestMergeRanges1MatchesGMS: for random single-column ranges (closed
// and open ends, overlapping, touching, nested, duplicated), mergeRanges1
// returns exactly the ranges sql.RemoveOverlappingRanges returns, in the
// same order.
func TestMergeRanges1MatchesGMS(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	merged, kept := 0, 0
	// Integer types take intCutCompare; DOUBLE the cuts' own Compare.
	for _, typ := range []sql.Type{types.Int64, types.Uint32, types.Int8, types.Uint64, types.Float64} {
		for iter := 0; iter < 20000; iter++ {
			n := 1 + rnd.Intn(12)
			coll := make(sql.MySQLRangeCollection, n)
			for i := range coll {
				lo := rnd.Intn(40)
				hi := lo + rnd.Intn(6)
				key := func(v int) any {
					switch typ {
					case types.Uint32:
						return uint32(v)
					case types.Int8:
						return int8(v - 20)
					case types.Uint64:
						return uint64(v) + math.MaxInt64
					case types.Float64:
						return float64(v) / 2
					}
					return int64(v)
				}
				var lc, uc sql.MySQLRangeCut = sql.Below{Key: key(lo)}, sql.Above{Key: key(hi)}
				if lo < hi && rnd.Intn(3) == 0 {
					lc = sql.Above{Key: key(lo)}
				}
				if lo < hi && rnd.Intn(3) == 0 {
					uc = sql.Below{Key: key(hi)}
				}
				coll[i] = sql.MySQLRange{{LowerBound: lc, UpperBound: uc, Typ: typ}}
			}
			if native := intCutCompare(coll, typ) != nil; native != (typ != types.Float64) {
				t.Fatalf("%s: integer comparison used: %v", typ, native)
			}
			want, err := sql.RemoveOverlappingRanges(append(sql.MySQLRangeCollection(nil), coll...)...)
			if err != nil {
				t.Fatal(err)
			}
			before := coll.DebugString()
			got, ok := mergeRanges1(coll)
			if !ok {
				t.Fatalf("mergeRanges1 refused %s", coll.DebugString())
			}
			if got.DebugString() != want.DebugString() {
				t.Fatalf("ranges %s:\n got %s\nwant %s", coll.DebugString(), got.DebugString(), want.DebugString())
			}
			if coll.DebugString() != before {
				t.Fatalf("mergeRanges1 changed its input %s to %s", before, coll.DebugString())
			}
			// The in-place version on a private copy (as instantiate
			// makes one) gives the same ranges.
			own := make(sql.MySQLRangeCollection, len(coll))
			for i, r := range coll {
				own[i] = append(sql.MySQLRange(nil), r...)
			}
			gotIn, ok := mergeRanges1InPlace(own)
			if !ok || gotIn.DebugString() != want.DebugString() {
				t.Fatalf("in place, ranges %s:\n got %s (%v)\nwant %s", before, gotIn.DebugString(), ok, want.DebugString())
			}
			if len(got) < len(coll) {
				merged++
			} else if len(coll) > 1 {
				kept++
			}
		}
	}
	if merged < 1000 || kept < 1000 {
		t.Errorf("cases: %d merged, %d kept apart", merged, kept)
	}
	// Refusals: several columns, an open end.
	two := sql.MySQLRangeCollection{{
		{LowerBound: sql.Below{Key: int64(1)}, UpperBound: sql.Above{Key: int64(2)}, Typ: types.Int64},
		{LowerBound: sql.Below{Key: int64(1)}, UpperBound: sql.Above{Key: int64(2)}, Typ: types.Int64},
	}}
	if _, ok := mergeRanges1(two); ok {
		t.Error("merged a two-column range")
	}
	if _, ok := mergeRanges1InPlace(two); ok {
		t.Error("merged a two-column range in place")
	}
	open := sql.MySQLRangeCollection{{{LowerBound: sql.BelowNull{}, UpperBound: sql.Above{Key: int64(2)}, Typ: types.Int64}}}
	if _, ok := mergeRanges1(open); ok {
		t.Error("merged a range with an open end")
	}
}
