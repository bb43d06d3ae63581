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
// from GMS's index selection (hiddenColumn evaluates exactly as the
// column), so the rows are filtered by the comparison itself.
//
// The same goes for an integer column compared with a number its type
// cannot hold (a TINYINT with 300): GMS's index builder clamps the
// constant to the type's range and ignores that it did, so `id = 300`
// read the key 127, and DELETE ... WHERE id = 300 deleted that row.

const ruleCrossTypeCompare analyzer.RuleId = 1013

var installCrossTypeCompare = sync.OnceFunc(func() {
	analyzer.AlwaysBeforeDefault = append(analyzer.AlwaysBeforeDefault, analyzer.Rule{Id: ruleCrossTypeCompare, Apply: crossTypeCompare})
})

func crossTypeCompare(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return rewriteConditions(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return hideColumnFromIndexes(ctx, e)
	})
}

// rewriteConditions applies fn bottom-up to every expression of the
// plan's Filter and JoinNode nodes: the conditions that index selection
// and the join planner read. Other nodes are left alone (rebuilding their
// expressions, such as a GROUP_CONCAT's ORDER BY, loses GMS's
// bookkeeping). Used by the rules that keep comparisons from GMS's
// index and join planning (here, temporalbound.go, searchjoin.go).
func rewriteConditions(n sql.Node, fn transform.ExprFunc) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch n.(type) {
		case *plan.Filter, *plan.JoinNode:
			return transform.OneNodeExpressions(n, fn)
		}
		return n, transform.SameTree, nil
	})
}

// hideColumnFromIndexes wraps the column of a comparison that an index
// range would answer wrongly: a string column compared with a number, or
// an integer column compared with a constant outside its type's range.
func hideColumnFromIndexes(ctx *sql.Context, e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	var kids []sql.Expression
	switch x := e.(type) {
	case *expression.Equals, *expression.NullSafeEquals, *expression.LessThan, *expression.LessThanOrEqual,
		*expression.GreaterThan, *expression.GreaterThanOrEqual, *expression.Between, *expression.InTuple:
		kids = x.Children()
	default:
		return e, transform.SameTree, nil
	}
	if i := outOfRangeIntColumn(ctx, kids); i >= 0 {
		return hideOperand(e, kids, i)
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
	return hideOperand(e, kids, col)
}

// hideOperand wraps kids[i] of e in a hiddenColumn.
func hideOperand(e sql.Expression, kids []sql.Expression, i int) (sql.Expression, transform.TreeIdentity, error) {
	nk := append([]sql.Expression(nil), kids...)
	nk[i] = &hiddenColumn{UnaryExpression: expression.UnaryExpression{Child: kids[i]}}
	ne, err := e.WithChildren(nk...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return ne, transform.NewTree, nil
}

// outOfRangeIntColumn returns the position of an integer column among a
// comparison's operands when some constant operand (or tuple member)
// converts to the column's type only out of range; -1 otherwise.
func outOfRangeIntColumn(ctx *sql.Context, kids []sql.Expression) int {
	col := -1
	for i, k := range kids {
		if gf, ok := k.(*expression.GetField); ok && types.IsInteger(gf.Type()) {
			col = i
			break
		}
	}
	if col < 0 {
		return -1
	}
	typ := kids[col].Type()
	outOfRange := func(x sql.Expression) bool {
		lit, ok := x.(*expression.Literal)
		if !ok || lit.Value() == nil || !types.IsNumber(lit.Type()) {
			return false
		}
		_, inRange, err := typ.Convert(ctx, lit.Value())
		return err == nil && inRange == sql.OutOfRange
	}
	for i, k := range kids {
		if i == col {
			continue
		}
		if tup, ok := k.(expression.Tuple); ok {
			for _, t := range tup {
				if outOfRange(t) {
					return col
				}
			}
			continue
		}
		if outOfRange(k) {
			return col
		}
	}
	return -1
}

// hiddenColumn is a column operand that GMS must not plan with: one
// compared in a way an index range would get wrong (see above), or one
// leading a search index in a join (searchjoin.go). It evaluates as the
// column; GMS's index selection and join planner do not see a column in
// it.
type hiddenColumn struct {
	expression.UnaryExpression
}

var _ sql.Expression = (*hiddenColumn)(nil)

func (e *hiddenColumn) Type() sql.Type { return e.Child.Type() }

func (e *hiddenColumn) IsNullable() bool { return e.Child.IsNullable() }

func (e *hiddenColumn) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	return e.Child.Eval(ctx, row)
}

func (e *hiddenColumn) String() string { return e.Child.String() }

func (e *hiddenColumn) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(e, len(children), 1)
	}
	return &hiddenColumn{UnaryExpression: expression.UnaryExpression{Child: children[0]}}, nil
}

// CollationCoercibility implements sql.CollationCoercible as the column.
func (e *hiddenColumn) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return sql.GetCoercibility(ctx, e.Child)
}
