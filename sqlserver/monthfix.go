package sqlserver

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// GMS adds months wrongly when the result lands in a December at least a
// year later (expression.TimeDelta.apply takes month 24 as December of
// year+2): DATE_ADD('2023-12-15', INTERVAL 12 MONTH) was 2025-12-15,
// DATE_ADD('1952-10-14', INTERVAL 26 MONTH) 1955-12-14. Every other case,
// and intervals without months, are right. An interval has either a year
// and month part or a day and time part, never both, so the wrong result
// is exactly one year late and lies in a December (31 days in every year):
// monthFix recomputes GMS's month arithmetic for the row and, in that
// case, takes a year off GMS's result. DATE_ADD, DATE_SUB, ADDDATE,
// SUBDATE, TIMESTAMPADD (all GMS's DateAdd/DateSub) and `date ± INTERVAL`
// are covered.

const ruleMonthFix analyzer.RuleId = 1018

var installMonthFix = sync.OnceFunc(func() {
	analyzer.AlwaysBeforeDefault = append(analyzer.AlwaysBeforeDefault, analyzer.Rule{Id: ruleMonthFix, Apply: monthFixRule})
})

func monthFixRule(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprsWithOpaque(n, fixMonths)
}

// fixMonths wraps, bottom-up, every date ± interval with months in e that
// is not wrapped yet.
func fixMonths(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	if _, done := e.(*monthFix); done {
		return e, transform.SameTree, nil
	}
	kids := e.Children()
	var nk []sql.Expression
	for i, k := range kids {
		c, same, err := fixMonths(k)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if same == transform.NewTree {
			if nk == nil {
				nk = append([]sql.Expression(nil), kids...)
			}
			nk[i] = c
		}
	}
	same := transform.SameTree
	if nk != nil {
		ne, err := e.WithChildren(nk...)
		if err != nil {
			return nil, transform.SameTree, err
		}
		e, same = ne, transform.NewTree
	}
	if mf := newMonthFix(e); mf != nil {
		return mf, transform.NewTree, nil
	}
	return e, same, nil
}

// newMonthFix wraps e if it adds or subtracts an interval with months.
func newMonthFix(e sql.Expression) *monthFix {
	var date sql.Expression
	var iv *expression.Interval
	sign := int64(1)
	switch x := e.(type) {
	case *function.DateAdd:
		date, iv = x.Date, x.Interval
	case *function.DateSub:
		date, iv, sign = x.Date, x.Interval, -1
	case *expression.Arithmetic:
		switch {
		case x.Op == "+" && isInterval(x.RightChild) && !isInterval(x.LeftChild):
			date, iv = x.LeftChild, x.RightChild.(*expression.Interval)
		case x.Op == "+" && isInterval(x.LeftChild) && !isInterval(x.RightChild):
			date, iv = x.RightChild, x.LeftChild.(*expression.Interval)
		case x.Op == "-" && isInterval(x.RightChild) && !isInterval(x.LeftChild):
			date, iv, sign = x.LeftChild, x.RightChild.(*expression.Interval), -1
		}
	}
	if iv == nil || !monthUnit(iv.Unit) {
		return nil
	}
	return &monthFix{inner: e, date: date, iv: iv, sign: sign}
}

func isInterval(e sql.Expression) bool {
	_, ok := e.(*expression.Interval)
	return ok
}

// monthUnit reports whether an interval unit has a month part.
func monthUnit(unit string) bool {
	switch strings.ToUpper(unit) {
	case "MONTH", "QUARTER", "YEAR_MONTH":
		return true
	}
	return false
}

// monthFix is a date ± an interval with months, GMS's result corrected
// (see above). Its one child is the inner expression (GMS checks that an
// interval's parent is DATE_ADD, DATE_SUB or + and -).
type monthFix struct {
	inner sql.Expression
	date  sql.Expression
	iv    *expression.Interval
	sign  int64
}

var _ sql.Expression = (*monthFix)(nil)
var _ sql.CollationCoercible = (*monthFix)(nil)

func (m *monthFix) Resolved() bool             { return m.inner.Resolved() }
func (m *monthFix) String() string             { return m.inner.String() }
func (m *monthFix) Type() sql.Type             { return m.inner.Type() }
func (m *monthFix) IsNullable() bool           { return m.inner.IsNullable() }
func (m *monthFix) Children() []sql.Expression { return []sql.Expression{m.inner} }

func (m *monthFix) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return sql.GetCoercibility(ctx, m.inner)
}

func (m *monthFix) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(m, len(children), 1)
	}
	if mf := newMonthFix(children[0]); mf != nil {
		return mf, nil
	}
	return children[0], nil
}

func (m *monthFix) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := m.inner.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	late, err := m.yearLate(ctx, row)
	if err != nil || !late {
		return v, err
	}
	switch x := v.(type) {
	case time.Time:
		return x.AddDate(-1, 0, 0), nil
	case string:
		return previousYear(x), nil
	}
	return v, nil
}

// yearLate repeats GMS's month arithmetic (TimeDelta.apply) for the row:
// true when GMS's result is a year late.
func (m *monthFix) yearLate(ctx *sql.Context, row sql.Row) (bool, error) {
	dv, err := m.date.Eval(ctx, row)
	if err != nil || dv == nil {
		return false, err
	}
	t, _, err := types.DatetimeMaxPrecision.Convert(ctx, dv)
	if err != nil {
		return false, nil // GMS's own evaluation reported or absorbed it
	}
	tt, ok := t.(time.Time)
	if !ok {
		return false, nil
	}
	delta, err := m.iv.EvalDelta(ctx, row)
	if err != nil || delta == nil || delta.Months == 0 {
		return false, err
	}
	mo := int64(tt.Month()) + delta.Months*m.sign
	return mo > 12 && mo%12 == 0, nil
}

// previousYear takes one off the leading year of a 'YYYY-MM-DD...' string.
func previousYear(s string) string {
	i := strings.IndexByte(s, '-')
	if i <= 0 {
		return s
	}
	y, err := strconv.Atoi(s[:i])
	if err != nil {
		return s
	}
	return fmt.Sprintf("%0*d", i, y-1) + s[i:]
}
