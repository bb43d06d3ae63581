package sqlserver

import (
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// A string column compared with a number compares as numbers in MySQL:
// 'abc' = 0, ' 0' = 0 and '0.0' = 0 are all true. Such a comparison cannot
// use an index on the column (the index orders strings), and MySQL does not
// use one. GMS does: it converts the number to the column's type and reads
// the index range ['0', '0'], so `s = 0` found one row where the filter
// alone finds four. The rule below hides the column of such comparisons
// from GMS's index selection (numericOperand evaluates exactly as the
// column), so the rows are filtered by the comparison itself.

const ruleCrossTypeCompare analyzer.RuleId = 1013

var installCrossTypeCompare = sync.OnceFunc(func() {
	analyzer.AlwaysBeforeDefault = append(analyzer.AlwaysBeforeDefault, analyzer.Rule{Id: ruleCrossTypeCompare, Apply: crossTypeCompare})
})

func crossTypeCompare(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		ex, ok := n.(sql.Expressioner)
		if !ok {
			return n, transform.SameTree, nil
		}
		if _, isFilter := n.(*plan.Filter); !isFilter {
			if _, isJoin := n.(*plan.JoinNode); !isJoin {
				return n, transform.SameTree, nil
			}
		}
		changed := false
		exprs := ex.Expressions()
		out := make([]sql.Expression, len(exprs))
		for i, e := range exprs {
			ne, same, err := transform.Expr(e, hideStringColumn)
			if err != nil {
				return nil, transform.SameTree, err
			}
			out[i] = ne
			changed = changed || same == transform.NewTree
		}
		if !changed {
			return n, transform.SameTree, nil
		}
		nn, err := ex.WithExpressions(out...)
		if err != nil {
			return nil, transform.SameTree, err
		}
		return nn, transform.NewTree, nil
	})
}

// hideStringColumn wraps the string column of a comparison with a number.
func hideStringColumn(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	var kids []sql.Expression
	switch x := e.(type) {
	case *expression.Equals, *expression.NullSafeEquals, *expression.LessThan, *expression.LessThanOrEqual,
		*expression.GreaterThan, *expression.GreaterThanOrEqual, *expression.Between, *expression.InTuple:
		kids = x.Children()
	default:
		return e, transform.SameTree, nil
	}
	col := -1
	numeric := false
	for i, k := range kids {
		if gf, ok := k.(*expression.GetField); ok && types.IsText(gf.Type()) {
			if col < 0 {
				col = i
			}
			continue
		}
		if tup, ok := k.(expression.Tuple); ok {
			for _, t := range tup {
				numeric = numeric || types.IsNumber(t.Type())
			}
			continue
		}
		numeric = numeric || types.IsNumber(k.Type())
	}
	if col < 0 || !numeric {
		return e, transform.SameTree, nil
	}
	nk := append([]sql.Expression(nil), kids...)
	nk[col] = &numericOperand{UnaryExpression: expression.UnaryExpression{Child: kids[col]}}
	ne, err := e.WithChildren(nk...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return ne, transform.NewTree, nil
}

// numericOperand is a string column compared with a number: it evaluates
// as the column; GMS's index selection does not see a column in it.
type numericOperand struct {
	expression.UnaryExpression
}

var _ sql.Expression = (*numericOperand)(nil)

func (e *numericOperand) Type() sql.Type { return e.Child.Type() }

func (e *numericOperand) IsNullable() bool { return e.Child.IsNullable() }

func (e *numericOperand) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	return e.Child.Eval(ctx, row)
}

func (e *numericOperand) String() string { return e.Child.String() }

func (e *numericOperand) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(e, len(children), 1)
	}
	return &numericOperand{UnaryExpression: expression.UnaryExpression{Child: children[0]}}, nil
}

// CollationCoercibility implements sql.CollationCoercible as the column.
func (e *numericOperand) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return sql.GetCoercibility(ctx, e.Child)
}
