package sqlserver

import (
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// A DATE, DATETIME or TIMESTAMP column compared with a constant that the
// column's type cannot hold exactly ('2024-01-02 10:00:00' for a DATE,
// '10:00:00.7' for a DATETIME(0)) compares as DATETIME(6) in MySQL and in
// GMS's own comparison. GMS's index range builder, though, converts the
// constant to the column's type first, truncating a DATE and rounding a
// DATETIME, so `d < '2024-01-02 10:00:00'` read the range (-inf,
// 2024-01-02) and missed d = 2024-01-02, and `dt > '10:00:00.7'` read
// (10:00:01, +inf) and missed 10:00:01; `d <> c` missed every row equal to
// the converted constant.
//
// The rule rewrites such comparisons with a literal into equivalent ones
// over the constant's floor f in the column's type (the largest value of
// the type not above it; none equals the constant):
//
//	col < c, col <= c  ->  col <= f
//	col > c, col >= c  ->  col > f
//	col <> c           ->  col <= f OR col > f   (NULL when col is)
//
// The values are equal for every column value, NULL included, and the
// index range built from f is exact. Only WHERE and join conditions are
// rewritten: GMS's comparison itself is right, its index ranges are not. = and <=> (no row can match) and BETWEEN (whose bounds are
// inclusive, so a rounded range only widens) are left as they are.

const ruleTemporalBound analyzer.RuleId = 1014

// installTemporalBound adds temporalBound to GMS's AlwaysBeforeDefault
// rules, the batch that full analysis and the shortcut batches of simple
// UPDATE and DELETE both run, before index selection.
var installTemporalBound = sync.OnceFunc(func() {
	analyzer.AlwaysBeforeDefault = append(analyzer.AlwaysBeforeDefault, analyzer.Rule{Id: ruleTemporalBound, Apply: temporalBound})
})

func temporalBound(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	// Only the conditions index selection reads; GMS evaluates the
	// comparison right elsewhere.
	return rewriteConditions(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return rewriteTemporalBound(ctx, e)
	})
}

// temporalOp is a comparison's operator with the column on the left.
type temporalOp int

const (
	tbLess temporalOp = iota
	tbLessEq
	tbGreater
	tbGreaterEq
	tbNotEq
)

func rewriteTemporalBound(ctx *sql.Context, e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	var op temporalOp
	var l, r sql.Expression
	switch x := e.(type) {
	case *expression.LessThan:
		op, l, r = tbLess, x.Left(), x.Right()
	case *expression.LessThanOrEqual:
		op, l, r = tbLessEq, x.Left(), x.Right()
	case *expression.GreaterThan:
		op, l, r = tbGreater, x.Left(), x.Right()
	case *expression.GreaterThanOrEqual:
		op, l, r = tbGreaterEq, x.Left(), x.Right()
	case *expression.Not:
		eq, ok := x.Child.(*expression.Equals)
		if !ok {
			return e, transform.SameTree, nil
		}
		op, l, r = tbNotEq, eq.Left(), eq.Right()
	default:
		return e, transform.SameTree, nil
	}
	col, colOK := l.(*expression.GetField)
	lit, litOK := r.(*expression.Literal)
	if !colOK || !litOK {
		// The literal on the left: c < col is col > c, and so on.
		col, colOK = r.(*expression.GetField)
		lit, litOK = l.(*expression.Literal)
		if !colOK || !litOK {
			return e, transform.SameTree, nil
		}
		switch op {
		case tbLess:
			op = tbGreater
		case tbLessEq:
			op = tbGreaterEq
		case tbGreater:
			op = tbLess
		case tbGreaterEq:
			op = tbLessEq
		}
	}
	ct, ok := col.Type().(sql.DatetimeType)
	if !ok || !types.IsTime(ct) || types.IsTime(lit.Type()) && ct.Equals(lit.Type()) {
		return e, transform.SameTree, nil
	}
	floor, exact, ok := temporalFloor(ctx, ct, lit.Value())
	if !ok || exact {
		return e, transform.SameTree, nil
	}
	f := expression.NewLiteral(floor, ct)
	switch op {
	case tbLess, tbLessEq:
		return expression.NewLessThanOrEqual(col, f), transform.NewTree, nil
	case tbGreater, tbGreaterEq:
		return expression.NewGreaterThan(col, f), transform.NewTree, nil
	default:
		return expression.NewOr(expression.NewLessThanOrEqual(col, f), expression.NewGreaterThan(col, f)), transform.NewTree, nil
	}
}

// temporalFloor returns v as a DATETIME(6) value truncated to the
// precision of t (to the day for a DATE), and whether that lost nothing.
// ok is false when v is NULL or not a valid datetime (GMS's comparison
// handles those cases itself).
func temporalFloor(ctx *sql.Context, t sql.DatetimeType, v any) (floor time.Time, exact, ok bool) {
	if v == nil {
		return time.Time{}, false, false
	}
	cv, _, err := types.DatetimeMaxPrecision.Convert(ctx, v)
	if err != nil || cv == nil {
		return time.Time{}, false, false
	}
	tv, isTime := cv.(time.Time)
	if !isTime {
		return time.Time{}, false, false
	}
	var unit time.Duration
	switch {
	case types.IsDateType(t):
		unit = 24 * time.Hour
	default:
		unit = time.Second
		for range t.Precision() {
			unit /= 10
		}
	}
	// Values are UTC wall times (GMS keeps DATETIME and DATE in UTC), so
	// Truncate's absolute-time arithmetic cuts at midnight and at whole
	// units of the wall clock.
	floor = tv.Truncate(unit)
	return floor, floor.Equal(tv), true
}
