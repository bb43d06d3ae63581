package sqlserver

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// ruleDistinctSort is Quarry's analyzer rule for ORDER BY over DISTINCT.
const ruleDistinctSort analyzer.RuleId = 1032

// distinctSort makes ORDER BY over SELECT DISTINCT read the projected
// column instead of recomputing the select-list expression. GMS places the
// Sort above the Distinct with the aliased expression itself, whose column
// references point into the table row; over the Distinct's narrower rows
// the sort fails with "unable to sort: unable to find field with index N"
// (SELECT DISTINCT QUOTE(status) AS s FROM t ORDER BY 1; client issue
// Q14). A sort expression that is one of the projected aliases becomes a
// reference to that alias's column, which assignExecIndexes then resolves.
func distinctSort(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		var fields sql.SortFields
		var child sql.Node
		switch n := n.(type) {
		case *plan.Sort:
			fields, child = n.SortFields, n.Child
		case *plan.TopN:
			fields, child = n.Fields, n.Child
		default:
			return n, transform.SameTree, nil
		}
		d, ok := child.(*plan.Distinct)
		if !ok {
			return n, transform.SameTree, nil
		}
		p, ok := d.Child.(*plan.Project)
		if !ok {
			return n, transform.SameTree, nil
		}
		exprs := fields.ToExpressions()
		same := transform.SameTree
		for i, e := range exprs {
			a, ok := e.(*expression.Alias)
			if !ok {
				continue
			}
			for _, pe := range p.Projections {
				pa, ok := pe.(*expression.Alias)
				if !ok || pa.Id() != a.Id() || pa.Name() != a.Name() {
					continue
				}
				exprs[i] = expression.NewGetFieldWithTable(int(a.Id()), 0, a.Type(), "", "", a.Name(), a.IsNullable())
				same = transform.NewTree
				break
			}
		}
		if same {
			return n, transform.SameTree, nil
		}
		if t, ok := n.(*plan.TopN); ok {
			exprs = append([]sql.Expression{t.Limit}, exprs...)
		}
		ns, err := n.(sql.Expressioner).WithExpressions(exprs...)
		if err != nil {
			return nil, transform.SameTree, err
		}
		return ns, transform.NewTree, nil
	})
}
