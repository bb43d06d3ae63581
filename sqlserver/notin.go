package sqlserver

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// ruleNullAwareNotIn is Quarry's analyzer rule for NOT IN (subquery).
const ruleNullAwareNotIn analyzer.RuleId = 1030

// nullAwareNotIn keeps GMS from turning `x NOT IN (SELECT y ...)` in a
// WHERE clause into an anti join when x or y can be NULL. GMS's anti join
// (unnestInSubqueries) is not null-aware: it keeps the rows of x that
// match no y, whereas SQL says x NOT IN (..., NULL, ...) is NULL, so no
// row qualifies once the subquery yields a NULL, and a NULL x qualifies
// only against an empty subquery. The conjunct is wrapped in notIn, which
// GMS's unnesting does not recognise, and is evaluated per row by GMS's
// InSubquery, which gets NULLs right.
func nullAwareNotIn(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		f, ok := n.(*plan.Filter)
		if !ok {
			return n, transform.SameTree, nil
		}
		conj := expression.SplitConjunction(f.Expression)
		same := transform.SameTree
		for i, e := range conj {
			not, ok := e.(*expression.Not)
			if !ok {
				continue
			}
			in, ok := not.Child.(*plan.InSubquery)
			if !ok || !notInNullable(in) {
				continue
			}
			conj[i] = &notIn{Not: not}
			same = transform.NewTree
		}
		if same {
			return n, same, nil
		}
		return plan.NewFilter(expression.JoinAnd(conj...), f.Child), transform.NewTree, nil
	})
}

// notInNullable reports whether either side of in may be NULL.
func notInNullable(in *plan.InSubquery) bool {
	if in.LeftChild.IsNullable() {
		return true
	}
	sq, ok := in.RightChild.(*plan.Subquery)
	if !ok || sq.Query == nil {
		return true
	}
	sch := sq.Query.Schema()
	return len(sch) == 0 || sch[0].Nullable
}

// notIn is NOT (x IN (subquery)) under a type GMS's subquery unnesting does
// not match; it evaluates exactly like the expression.Not it wraps.
type notIn struct {
	*expression.Not
}

func (n *notIn) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := n.Not.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return &notIn{Not: e.(*expression.Not)}, nil
}
