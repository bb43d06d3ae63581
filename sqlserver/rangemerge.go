package sqlserver

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// mergeRanges1 merges single-column ranges whose bounds all hold keys
// (Below/Above) into sorted, pairwise separate ranges covering the same
// values, as sql.RemoveOverlappingRanges does for them: ranges that
// overlap or touch (one's upper cut at or above the next one's lower cut,
// in GMS's cut order) become their union. GMS's version builds an
// interval tree per call; for the handful of ranges of a learned prepared
// statement (sysbench's select_random_ranges: ten) a sort and one sweep
// do the same. ok is false for anything else (several columns, open ends,
// incomparable keys); the caller then uses GMS's.
func mergeRanges1(coll sql.MySQLRangeCollection) (out sql.MySQLRangeCollection, ok bool) {
	typ, ok := mergeable1(coll)
	if !ok {
		return nil, false
	}
	own := make(sql.MySQLRangeCollection, len(coll))
	cols := make([]sql.MySQLRangeColumnExpr, len(coll))
	for i, r := range coll {
		cols[i] = r[0]
		own[i] = cols[i : i+1 : i+1]
	}
	var err error
	cmp := intCutCompare(own, typ)
	if cmp == nil {
		cmp = func(a, b sql.MySQLRangeCut) int {
			c, e := a.Compare(b, typ)
			if e != nil && err == nil {
				err = e
			}
			return c
		}
	}
	out = sweepMerge(own, cmp)
	if err != nil {
		return nil, false
	}
	return out, true
}

// mergeRanges1InPlace is mergeRanges1 reusing coll, whose ranges must be
// the caller's own one-column slices: it sorts coll and writes the merged
// ranges over its first elements. Where the keys need the types'
// comparison, which can fail, it leaves coll alone and merges a copy.
func mergeRanges1InPlace(coll sql.MySQLRangeCollection) (out sql.MySQLRangeCollection, ok bool) {
	typ, ok := mergeable1(coll)
	if !ok {
		return nil, false
	}
	cmp := intCutCompare(coll, typ)
	if cmp == nil {
		return mergeRanges1(coll)
	}
	return sweepMerge(coll, cmp), true
}

// mergeable1 reports whether mergeRanges1 handles coll: one-column ranges
// of one type whose bounds all hold keys.
func mergeable1(coll sql.MySQLRangeCollection) (sql.Type, bool) {
	if len(coll) == 0 || len(coll[0]) == 0 {
		return nil, false
	}
	typ := coll[0][0].Typ
	for _, r := range coll {
		if len(r) != 1 || r[0].Typ != typ {
			return nil, false
		}
		if _, ok := cutKey(r[0].LowerBound); !ok {
			return nil, false
		}
		if _, ok := cutKey(r[0].UpperBound); !ok {
			return nil, false
		}
	}
	return typ, true
}

// sweepMerge sorts coll (one-column ranges the caller owns) by lower
// bound and merges ranges that overlap or touch, writing the result over
// coll's first ranges.
func sweepMerge(coll sql.MySQLRangeCollection, cmp func(a, b sql.MySQLRangeCut) int) sql.MySQLRangeCollection {
	slices.SortStableFunc(coll, func(a, b sql.MySQLRange) int {
		return cmp(a[0].LowerBound, b[0].LowerBound)
	})
	// Ranges 0..w-1 are final; cur grows while the next range overlaps
	// or touches it. Writes go to coll[w][0] with w <= i, a range
	// already read.
	w := 0
	cur := coll[0][0]
	for _, r := range coll[1:] {
		next := r[0]
		if cmp(next.LowerBound, cur.UpperBound) <= 0 {
			// Overlapping or touching: extend cur.
			if cmp(next.UpperBound, cur.UpperBound) > 0 {
				cur.UpperBound = next.UpperBound
			}
			continue
		}
		coll[w][0] = cur
		w++
		cur = next
	}
	coll[w][0] = cur
	return coll[:w+1]
}

// intCutCompare returns a comparison of the cuts of coll equal to their
// Compare under typ, on machine integers, when typ is an integer type and
// every key has one Go integer type (what a learned plan's literals become
// through convertExact); nil otherwise. Cuts order by key, and at one key
// Below (just under it) before Above (just over it).
func intCutCompare(coll sql.MySQLRangeCollection, typ sql.Type) func(a, b sql.MySQLRangeCut) int {
	if !types.IsInteger(typ) {
		return nil
	}
	key0, _ := cutKey(coll[0][0].LowerBound)
	kind := reflect.TypeOf(key0)
	if kind == nil {
		return nil
	}
	switch kind.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
	default:
		return nil
	}
	for _, r := range coll {
		for _, c := range []sql.MySQLRangeCut{r[0].LowerBound, r[0].UpperBound} {
			if k, _ := cutKey(c); reflect.TypeOf(k) != kind {
				return nil
			}
		}
	}
	signed := kind.Kind() <= reflect.Int64
	return func(a, b sql.MySQLRangeCut) int {
		ak, _ := cutKey(a)
		bk, _ := cutKey(b)
		var c int
		if signed {
			c = cmp.Compare(signedKey(ak), signedKey(bk))
		} else {
			c = cmp.Compare(unsignedKey(ak), unsignedKey(bk))
		}
		if c != 0 {
			return c
		}
		_, aAbove := a.(sql.Above)
		_, bAbove := b.(sql.Above)
		switch {
		case aAbove == bAbove:
			return 0
		case aAbove:
			return 1
		}
		return -1
	}
}

// signedKey and unsignedKey widen the integer keys intCutCompare accepts.
func signedKey(k any) int64 {
	switch v := k.(type) {
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case int64:
		return v
	}
	panic(fmt.Sprintf("sqlserver: signed key %T", k))
}

func unsignedKey(k any) uint64 {
	switch v := k.(type) {
	case uint8:
		return uint64(v)
	case uint16:
		return uint64(v)
	case uint32:
		return uint64(v)
	case uint64:
		return v
	}
	panic(fmt.Sprintf("sqlserver: unsigned key %T", k))
}
