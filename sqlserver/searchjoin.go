package sqlserver

import (
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/quarrydb/quarry/storage"
)

// GMS's join planner offers every index of a table as a lookup-join
// candidate, FULLTEXT indexes included: a join condition on the first
// column of a search index (d.title = c.name with FULLTEXT(title, body))
// made it build a range lookup on the search index, which answers only
// MATCH ... AGAINST, and the statement failed with "failed to replan join:
// indexable table does not support given lookup". The rule below hides
// such a column, in equalities of a statement with joins, from the join
// planner (hiddenColumn evaluates exactly as the column), so the join is
// planned as a hash or nested-loop join, as MySQL does without a B-tree
// index on the column. A column that also leads a B-tree index is left
// alone: that index serves the lookup.

const ruleSearchJoinColumns analyzer.RuleId = 1019

// installSearchJoinColumns puts the rule into GMS's OnceAfterDefault batch
// just before optimizeJoins, after IN and EXISTS subqueries became semi
// and anti joins (whose conditions the rule must see too). The builder
// copies the batch, so this runs before analyzer.NewBuilder.
var installSearchJoinColumns = sync.OnceFunc(func() {
	rules := analyzer.OnceAfterDefault
	for i, r := range rules {
		if r.Id.String() == "optimizeJoins" {
			out := append([]analyzer.Rule{}, rules[:i]...)
			out = append(out, analyzer.Rule{Id: ruleSearchJoinColumns, Apply: searchJoinColumns})
			analyzer.OnceAfterDefault = append(out, rules[i:]...)
			return
		}
	}
	panic("sqlserver: GMS's OnceAfterDefault batch has no optimizeJoins rule")
})

func searchJoinColumns(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	// Columns (table or alias name . column, lower case) that lead a
	// search index and no B-tree index, of the tables of this scope.
	hidden := map[string]bool{}
	joins := false
	transform.Inspect(n, func(n sql.Node) bool {
		if _, ok := n.(*plan.JoinNode); ok {
			joins = true
		}
		name := ""
		var rt *plan.ResolvedTable
		switch x := n.(type) {
		case *plan.TableAlias:
			r, ok := x.Child.(*plan.ResolvedTable)
			if !ok {
				return true
			}
			name, rt = x.Name(), r
		case *plan.ResolvedTable:
			name, rt = x.Name(), x
		default:
			return true
		}
		t, ok := storage.AsTable(rt.UnderlyingTable())
		if !ok {
			return true
		}
		idxs, err := t.GetIndexes(ctx)
		if err != nil {
			return true
		}
		search, btree := map[string]bool{}, map[string]bool{}
		for _, idx := range idxs {
			exprs := idx.Expressions()
			if len(exprs) == 0 {
				continue
			}
			col := strings.ToLower(exprs[0][strings.LastIndexByte(exprs[0], '.')+1:])
			if idx.IsFullText() {
				search[col] = true
			} else {
				btree[col] = true
			}
		}
		for col := range search {
			if !btree[col] {
				hidden[strings.ToLower(name)+"."+col] = true
			}
		}
		return true
	})
	// Without a join there are no lookup joins (single-table index
	// selection skips the search index itself).
	if len(hidden) == 0 || !joins {
		return n, transform.SameTree, nil
	}
	return rewriteConditions(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return hideSearchColumn(e, hidden)
	})
}

// hideSearchColumn wraps the hidden columns of an equality. The join
// planner also looks up constant keys (d.title = 'a' in a join), so the
// other side may be anything.
func hideSearchColumn(e sql.Expression, hidden map[string]bool) (sql.Expression, transform.TreeIdentity, error) {
	switch e.(type) {
	case *expression.Equals, *expression.NullSafeEquals:
	default:
		return e, transform.SameTree, nil
	}
	kids := e.Children()
	var nk []sql.Expression // both sides when both are hidden (a self join)
	for i, k := range kids {
		gf, ok := k.(*expression.GetField)
		if !ok || !hidden[strings.ToLower(gf.Table())+"."+strings.ToLower(gf.Name())] {
			continue
		}
		if nk == nil {
			nk = []sql.Expression{kids[0], kids[1]}
		}
		nk[i] = &hiddenColumn{UnaryExpression: expression.UnaryExpression{Child: gf}}
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
