package sqlserver

import (
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

// A DATE value used as a string is 'YYYY-MM-DD' in MySQL. GMS keeps DATE
// values as time.Time and converts them to strings with the DATETIME
// layout, so CONCAT(born), CAST(born AS CHAR), COALESCE(born, 'none'),
// IF/CASE mixing a DATE with a string, and a UNION column merging a DATE
// with a string (GMS converts each branch to CHAR) printed
// '1990-02-09 00:00:00'. The rule below wraps the DATE-typed arguments of
// those string-valued expressions in dateString, which formats them as
// MySQL does; everything else about the expressions is unchanged.

const ruleDateStrings analyzer.RuleId = 1017

// installDateStrings adds dateStrings to GMS's AlwaysBeforeDefault rules,
// which also run for the branches of a UNION and for simple INSERT,
// UPDATE and DELETE statements.
var installDateStrings = sync.OnceFunc(func() {
	analyzer.AlwaysBeforeDefault = append(analyzer.AlwaysBeforeDefault, analyzer.Rule{Id: ruleDateStrings, Apply: dateStrings})
})

func dateStrings(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	// With the opaque nodes: GMS analyzes a UNION's branches from its
	// default-rules batch on, after this one. Wrapping is idempotent (a
	// wrapped argument is a string), so derived tables analyzed again
	// are unaffected.
	return transform.NodeExprsWithOpaque(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, wrapDateArguments)
	})
}

// wrapDateArguments wraps the DATE-typed value arguments of e when e is a
// string-valued CONCAT, CONCAT_WS, CAST/CONVERT to CHAR, COALESCE, IFNULL,
// IF or CASE.
func wrapDateArguments(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	kids := e.Children()
	var values []int // the children that are values of e, not conditions
	switch x := e.(type) {
	case *function.Concat, *function.ConcatWithSeparator, *coalesce, *ifNull:
		values = allIndexes(len(kids))
	case *expression.Convert:
		values = []int{0}
	case *function.If:
		values = []int{1, 2}
	case *expression.Case:
		// Children: [Expr], then Cond, Value per branch, then [Else].
		off := 0
		if x.Expr != nil {
			off = 1
		}
		for i := range x.Branches {
			values = append(values, off+2*i+1)
		}
		if x.Else != nil {
			values = append(values, len(kids)-1)
		}
	default:
		return e, transform.SameTree, nil
	}
	// Type() of an unresolved expression (a * placeholder) panics.
	if !e.Resolved() || !types.IsText(e.Type()) {
		return e, transform.SameTree, nil
	}
	var nk []sql.Expression
	for _, i := range values {
		if i >= len(kids) || kids[i] == nil || !types.IsDateType(kids[i].Type()) {
			continue
		}
		if nk == nil {
			nk = append([]sql.Expression(nil), kids...)
		}
		nk[i] = &dateString{UnaryExpression: expression.UnaryExpression{Child: kids[i]}}
	}
	if nk == nil {
		return e, transform.SameTree, nil
	}
	ne, err := e.WithChildren(nk...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return ne, transform.NewTree, nil
}

func allIndexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// dateString is a DATE-typed expression used as a string: 'YYYY-MM-DD'.
type dateString struct {
	expression.UnaryExpression
}

var _ sql.Expression = (*dateString)(nil)
var _ sql.CollationCoercible = (*dateString)(nil)

func (d *dateString) Type() sql.Type { return types.LongText }

func (d *dateString) IsNullable() bool { return d.Child.IsNullable() }

func (d *dateString) String() string { return d.Child.String() }

func (d *dateString) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := d.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	t, ok := v.(time.Time)
	if !ok {
		cv, _, err := types.Date.Convert(ctx, v)
		if err != nil {
			return nil, err
		}
		if t, ok = cv.(time.Time); !ok {
			return cv, nil
		}
	}
	return t.Format("2006-01-02"), nil
}

func (d *dateString) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(d, len(children), 1)
	}
	return &dateString{UnaryExpression: expression.UnaryExpression{Child: children[0]}}, nil
}

// CollationCoercibility is that of a string converted from a number or
// date: the connection's collation, coercibility 4 (MySQL's rule).
func (d *dateString) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return ctx.GetCollation(), 4
}
