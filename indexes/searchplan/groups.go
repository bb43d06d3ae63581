package searchplan

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"

	"github.com/quarrydb/quarry/indexes"
)

// searchGroups answers SELECT col, COUNT(*) FROM t WHERE <matches of one
// search> GROUP BY col, for a keyword column col of the search's index,
// from the index alone (indexes.Search.Groups: counts from the field's
// doc values) when the search is exact for the statement's snapshot.
// Otherwise it runs its child, the original aggregation over the search
// lookup.
type searchGroups struct {
	s     *indexes.Search
	field indexes.Field
	// outs says what each selected expression is.
	outs  []groupOut
	child *plan.GroupBy
	exec  sql.NodeExecBuilder
}

// groupOut is a selected expression of a searchGroups.
type groupOut uint8

const (
	outValue    groupOut = iota + 1 // the group's value
	outCount                        // COUNT(*)
	outCountCol                     // COUNT(col): 0 for the NULL group
)

var (
	_ sql.ExecSourceRel      = (*searchGroups)(nil)
	_ sql.CollationCoercible = (*searchGroups)(nil)
)

func (g *searchGroups) Resolved() bool       { return true }
func (g *searchGroups) IsReadOnly() bool     { return true }
func (g *searchGroups) Schema() sql.Schema   { return g.child.Schema() }
func (g *searchGroups) Children() []sql.Node { return []sql.Node{g.child} }
func (g *searchGroups) String() string {
	tp := sql.NewTreePrinter()
	_ = tp.WriteNode("SearchGroupBy(%s; group by %s; else:)", g.s.Describe(), g.field.Col.Name)
	tp.WriteChildren(g.child.String())
	return tp.String()
}

func (g *searchGroups) WithChildren(ch ...sql.Node) (sql.Node, error) {
	if len(ch) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(g, len(ch), 1)
	}
	gb, ok := ch[0].(*plan.GroupBy)
	if !ok {
		return nil, fmt.Errorf("searchplan: SearchGroupBy over %T", ch[0])
	}
	ng := *g
	ng.child = gb
	return &ng, nil
}

// CollationCoercibility implements sql.CollationCoercible.
func (g *searchGroups) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return g.child.CollationCoercibility(ctx)
}

// RowIter implements sql.ExecSourceRel.
func (g *searchGroups) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	groups, ok, err := g.s.Groups(ctx, g.field)
	if err != nil {
		return nil, err
	}
	if !ok {
		return g.exec.Build(ctx, g.child, row)
	}
	rows := make([]sql.Row, len(groups))
	for i, gr := range groups {
		r := make(sql.Row, len(g.outs))
		for j, o := range g.outs {
			switch o {
			case outValue:
				r[j] = gr.Value
			case outCount:
				r[j] = gr.Count
			default:
				if gr.Value == nil {
					r[j] = int64(0)
				} else {
					r[j] = gr.Count
				}
			}
		}
		rows[i] = r
	}
	return sql.RowsToRowIter(rows...), nil
}

// groupsFromIndex replaces GroupBy(col, COUNT(*)) GROUP BY col over a
// filter that only requires matches of one search (as countFromIndex),
// where col is a keyword column of the search's index (GroupableField),
// by a searchGroups. The selected expressions may be col, COUNT(*) and
// COUNT(col), in any order and number.
func groupsFromIndex(ctx *sql.Context, exec sql.NodeExecBuilder, gb *plan.GroupBy) (sql.Node, bool) {
	if len(gb.GroupByExprs) != 1 {
		return nil, false
	}
	gf, ok := gb.GroupByExprs[0].(*expression.GetField)
	if !ok {
		return nil, false
	}
	f, ok := gb.Child.(*plan.Filter)
	if !ok {
		return nil, false
	}
	s := searchOf(ctx, f.Child)
	if s == nil || !searchOnly(s, f) || !strings.EqualFold(gf.Table(), s.Table.Name()) {
		return nil, false
	}
	field, ok := indexes.GroupableField(s.Def, gf.Name())
	if !ok {
		return nil, false
	}
	isCol := func(e sql.Expression) bool {
		x, ok := e.(*expression.GetField)
		return ok && strings.EqualFold(x.Name(), gf.Name()) && strings.EqualFold(x.Table(), gf.Table())
	}
	var outs []groupOut
	for _, e := range gb.SelectedExprs {
		if al, ok := e.(*expression.Alias); ok {
			e = al.Child
		}
		switch {
		case isCountStar(e):
			outs = append(outs, outCount)
		case isCol(e):
			outs = append(outs, outValue)
		default:
			c, ok := e.(*aggregation.Count)
			if !ok || c.Window() != nil || !isCol(c.Child) {
				return nil, false
			}
			outs = append(outs, outCountCol)
		}
	}
	return &searchGroups{s: s, field: field, outs: outs, child: gb, exec: exec}, true
}
