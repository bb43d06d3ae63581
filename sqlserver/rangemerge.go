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
	if len(coll) == 0 {
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
	var err error
	cmp := intCutCompare(coll, typ)
	if cmp == nil {
		cmp = func(a, b sql.MySQLRangeCut) int {
			c, e := a.Compare(b, typ)
			if e != nil && err == nil {
				err = e
			}
			return c
		}
	}
	sorted := slices.Clone(coll)
	slices.SortStableFunc(sorted, func(a, b sql.MySQLRange) int {
		return cmp(a[0].LowerBound, b[0].LowerBound)
	})
	if err != nil {
		return nil, false
	}
	cur := sorted[0][0]
	for _, r := range sorted[1:] {
		next := r[0]
		if cmp(next.LowerBound, cur.UpperBound) <= 0 {
			// Overlapping or touching: extend cur.
			if cmp(next.UpperBound, cur.UpperBound) > 0 {
				cur.UpperBound = next.UpperBound
			}
			continue
		}
		out = append(out, sql.MySQLRange{cur})
		cur = next
	}
	if err != nil {
		return nil, false
	}
	return append(out, sql.MySQLRange{cur}), true
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
