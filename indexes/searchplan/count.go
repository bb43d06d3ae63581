package searchplan

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/quarrydb/quarry/indexes"
)

// searchCount answers SELECT COUNT(*) FROM t WHERE <matches of one search>
// from the index alone when the search is exact for the statement's
// snapshot (see indexes.Search.Count): the count is then the number of
// matching documents, and no row is read. Otherwise it runs its child,
// the original aggregation over the search lookup.
type searchCount struct {
	s     *indexes.Search
	child *plan.GroupBy
	exec  sql.NodeExecBuilder
}

var (
	_ sql.ExecSourceRel      = (*searchCount)(nil)
	_ sql.CollationCoercible = (*searchCount)(nil)
)

func (c *searchCount) Resolved() bool       { return true }
func (c *searchCount) IsReadOnly() bool     { return true }
func (c *searchCount) Schema() sql.Schema   { return c.child.Schema() }
func (c *searchCount) Children() []sql.Node { return []sql.Node{c.child} }
func (c *searchCount) String() string {
	tp := sql.NewTreePrinter()
	_ = tp.WriteNode("SearchCount(%s; else:)", c.s.Describe())
	tp.WriteChildren(c.child.String())
	return tp.String()
}

func (c *searchCount) WithChildren(ch ...sql.Node) (sql.Node, error) {
	if len(ch) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(c, len(ch), 1)
	}
	gb, ok := ch[0].(*plan.GroupBy)
	if !ok {
		return nil, fmt.Errorf("searchplan: SearchCount over %T", ch[0])
	}
	nc := *c
	nc.child = gb
	return &nc, nil
}

// CollationCoercibility implements sql.CollationCoercible.
func (c *searchCount) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return c.child.CollationCoercibility(ctx)
}

// RowIter implements sql.ExecSourceRel.
func (c *searchCount) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	n, exact, err := c.s.Count(ctx)
	if err != nil {
		return nil, err
	}
	if !exact {
		return c.exec.Build(ctx, c.child, row)
	}
	return sql.RowsToRowIter(sql.NewRow(int64(n))), nil
}

// countFromIndex replaces GroupBy(COUNT(*)) without GROUP BY over a
// filter that only requires matches of one search (searchOnly), over that
// search's lookup, by a searchCount, and GroupBy over one keyword column
// by a searchGroups (groupsFromIndex).
func countFromIndex(ctx *sql.Context, exec sql.NodeExecBuilder, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	gb, ok := n.(*plan.GroupBy)
	if !ok {
		return n, transform.SameTree, nil
	}
	if len(gb.GroupByExprs) != 0 {
		if g, ok := groupsFromIndex(ctx, exec, gb); ok {
			return g, transform.NewTree, nil
		}
		return n, transform.SameTree, nil
	}
	if len(gb.SelectedExprs) != 1 || !isCountStar(gb.SelectedExprs[0]) {
		return n, transform.SameTree, nil
	}
	f, ok := gb.Child.(*plan.Filter)
	if !ok {
		return n, transform.SameTree, nil
	}
	s := searchOf(ctx, f.Child)
	if s == nil || !searchOnly(s, f) {
		return n, transform.SameTree, nil
	}
	return &searchCount{s: s, child: gb, exec: exec}, transform.NewTree, nil
}

// searchOnly reports whether filter f, over s's lookup, only requires
// matches of s: MATCH conjuncts of s, or the WHERE clause of an exactly
// pushed-down search.
func searchOnly(s *indexes.Search, f *plan.Filter) bool {
	if s.K != 0 || s.Table == nil {
		return false
	}
	if s.Pushed != nil {
		// The filter is the WHERE clause the search was pushed from
		// (LookupForExpressions keeps it whole): exact when the pushed
		// query is (decided again at execution, see Search.Count).
		return s.PushedExact
	}
	for _, c := range expression.SplitConjunction(f.Expression) {
		r, ok := c.(*indexes.Relevance)
		if !ok || r.S != s {
			return false
		}
	}
	return true
}

// isCountStar reports whether e is COUNT(*) (GMS binds * as a non-NULL
// literal), possibly aliased.
func isCountStar(e sql.Expression) bool {
	if al, ok := e.(*expression.Alias); ok {
		e = al.Child
	}
	c, ok := e.(*aggregation.Count)
	if !ok || c.Window() != nil {
		return false
	}
	lit, ok := c.Child.(*expression.Literal)
	return ok && lit.Value() != nil
}
