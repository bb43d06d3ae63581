package sqlserver

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// ruleDateInterval is Quarry's analyzer rule for DATE ± INTERVAL.
const ruleDateInterval analyzer.RuleId = 1040

// dateInterval types `date + INTERVAL n unit`, `INTERVAL n unit + date` and
// `date - INTERVAL n unit` as DATE when the operand is a DATE and the unit
// has no time part (DAY, WEEK, MONTH, QUARTER, YEAR, YEAR_MONTH), as MySQL
// does. GMS's Arithmetic types every interval arithmetic DATETIME, so
// MAKEDATE(2024, 1) + INTERVAL 1 QUARTER printed '2024-04-01 00:00:00'
// instead of '2024-04-01'; GMS's DATE_ADD/DATE_SUB type it right and add
// the interval the same way, so the arithmetic becomes one of them. (Column
// names do not change: GMS names unaliased projections after the text.)
func dateInterval(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			a, ok := e.(*expression.Arithmetic)
			if !ok {
				return e, transform.SameTree, nil
			}
			date, iv, add := dateIntervalOperands(a)
			if iv == nil {
				return e, transform.SameTree, nil
			}
			var f sql.Expression
			var err error
			if add {
				f, err = function.NewDateAdd(date, iv)
			} else {
				f, err = function.NewDateSub(date, iv)
			}
			if err != nil || !types.IsDateType(f.Type()) {
				return e, transform.SameTree, nil
			}
			return f, transform.NewTree, nil
		})
	})
}

// dateIntervalOperands returns the DATE and the date-only INTERVAL of
// DATE + INTERVAL, INTERVAL + DATE (add) or DATE - INTERVAL, or a nil
// interval when a is none of them.
func dateIntervalOperands(a *expression.Arithmetic) (sql.Expression, *expression.Interval, bool) {
	var date sql.Expression
	var iv *expression.Interval
	switch a.Op {
	case "+":
		if i, ok := a.RightChild.(*expression.Interval); ok {
			date, iv = a.LeftChild, i
		} else if i, ok := a.LeftChild.(*expression.Interval); ok {
			date, iv = a.RightChild, i
		}
	case "-":
		if i, ok := a.RightChild.(*expression.Interval); ok {
			date, iv = a.LeftChild, i
		}
	}
	if iv == nil {
		return nil, nil, false
	}
	if _, ok := date.(*expression.Interval); ok || !types.IsDateType(date.Type()) || !dateOnlyUnit(iv.Unit) {
		return nil, nil, false
	}
	return date, iv, a.Op == "+"
}

// dateOnlyUnit reports whether an INTERVAL unit has no time part.
func dateOnlyUnit(unit string) bool {
	switch strings.ToUpper(unit) {
	case "DAY", "WEEK", "MONTH", "QUARTER", "YEAR", "YEAR_MONTH":
		return true
	}
	return false
}
