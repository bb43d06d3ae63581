package sqlserver

import (
	"slices"

	"github.com/dolthub/go-mysql-server/sql"
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
	cmp := func(a, b sql.MySQLRangeCut) int {
		c, e := a.Compare(b, typ)
		if e != nil && err == nil {
			err = e
		}
		return c
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
