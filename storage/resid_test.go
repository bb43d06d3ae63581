package storage

import (
	"context"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

func TestResidualCheck(t *testing.T) {
	ce := func(lo, hi sql.MySQLRangeCut) residCheck {
		return residCheck{ce: sql.MySQLRangeColumnExpr{LowerBound: lo, UpperBound: hi, Typ: types.Int64}}
	}
	cases := []struct {
		rc   residCheck
		v    any
		want bool
	}{
		{ce(sql.Below{Key: int64(5)}, sql.AboveAll{}), int64(5), true},  // >= 5
		{ce(sql.Above{Key: int64(5)}, sql.AboveAll{}), int64(5), false}, // > 5
		{ce(sql.Above{Key: int64(5)}, sql.AboveAll{}), int64(6), true},
		{ce(sql.Above{Key: int64(5)}, sql.AboveAll{}), nil, false},
		{ce(sql.AboveNull{}, sql.Below{Key: int64(3)}), int64(2), true}, // < 3
		{ce(sql.AboveNull{}, sql.Below{Key: int64(3)}), int64(3), false},
		{ce(sql.AboveNull{}, sql.Below{Key: int64(3)}), nil, false},
		{ce(sql.AboveNull{}, sql.Above{Key: int64(3)}), int64(3), true}, // <= 3
		{ce(sql.BelowNull{}, sql.AboveNull{}), nil, true},               // IS NULL
		{ce(sql.BelowNull{}, sql.AboveNull{}), int64(0), false},
		{ce(sql.AboveNull{}, sql.AboveAll{}), nil, false}, // IS NOT NULL
		{ce(sql.AboveNull{}, sql.AboveAll{}), int64(-9), true},
		{ce(sql.Below{Key: int64(1)}, sql.Above{Key: int64(1)}), int64(1), true}, // = 1
		{ce(sql.Below{Key: int64(1)}, sql.Above{Key: int64(1)}), int64(2), false},
	}
	for i, c := range cases {
		got, err := c.rc.matches(context.Background(), c.v)
		if err != nil || got != c.want {
			t.Errorf("case %d: %v in [%v, %v] = %v (%v), want %v", i, c.v, c.rc.ce.LowerBound, c.rc.ce.UpperBound, got, err, c.want)
		}
	}
}
