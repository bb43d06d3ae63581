package sqlserver

import (
	"log/slog"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// VECTOR index lookups (storage/vector.go) and GMS's
// replaceIdxOrderByDistance rule.
//
// The rule replaces the Sort (or TopN) of ORDER BY VEC_DISTANCE(c, v)
// LIMIT n with a lookup that returns the n nearest rows, taking n from the
// nearest Limit or TopN above the table. It walks through Filter and
// Offset nodes to get there, so three shapes return wrong results:
//
//   - WHERE ... ORDER BY ... LIMIT n: the filter runs on the n nearest
//     rows of the whole table and can leave fewer than n;
//   - LIMIT n OFFSET m without a TopN: the lookup returns n rows, the
//     Offset drops m of them;
//   - SQL_CALC_FOUND_ROWS: insertTopNNodes moved the flag from the Limit
//     to the TopN the rule removes, so FOUND_ROWS() counts n.
//
// wrapVectorOrder wraps the rule: it does not run on a plan that asks for
// found rows, and afterwards a lookup keeps its limit only if it sits
// under the Limit node whose limit it carries with nothing but Project and
// TableAlias nodes in between. Any other lookup loses its limit: it
// returns every row, nearest first, and the Filter, Offset and Limit above
// it do the rest (the same rows as the sort would give).

var installVectorOrder = sync.OnceFunc(func() {
	for i, r := range analyzer.OnceAfterDefault {
		if r.Id.String() == "replaceIdxOrderByDistance" {
			analyzer.OnceAfterDefault[i].Apply = wrapVectorOrder(r.Apply)
			return
		}
	}
	slog.Warn("sqlserver: GMS's replaceIdxOrderByDistance rule not found; VECTOR index lookups are not checked")
})

func wrapVectorOrder(orig analyzer.RuleFunc) analyzer.RuleFunc {
	return func(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qFlags *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
		if calcFoundRows(n) {
			return n, transform.SameTree, nil
		}
		out, same, err := orig(ctx, a, n, scope, sel, qFlags)
		if err != nil || same {
			return out, same, err
		}
		fixed, changed, err := fixVectorLimits(ctx, out, nil)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if changed {
			return fixed, transform.NewTree, nil
		}
		return out, transform.NewTree, nil
	}
}

// calcFoundRows reports whether a Limit or TopN of the plan counts found
// rows (SQL_CALC_FOUND_ROWS).
func calcFoundRows(n sql.Node) bool {
	found := false
	transform.Inspect(n, func(n sql.Node) bool {
		switch x := n.(type) {
		case *plan.Limit:
			found = found || x.CalcFoundRows
		case *plan.TopN:
			found = found || x.CalcFoundRows
		}
		return !found
	})
	return found
}

// fixVectorLimits drops the limit of every VECTOR lookup under n that is
// not directly (through Project and TableAlias only) under a Limit node
// with the same limit expression; lim is that expression for n itself
// (nil: none).
func fixVectorLimits(ctx *sql.Context, n sql.Node, lim sql.Expression) (sql.Node, bool, error) {
	if ita, ok := n.(*plan.IndexedTableAccess); ok {
		if !ita.IsStatic() {
			return n, false, nil
		}
		l, err := ita.GetLookup(ctx, nil)
		if err != nil || l.VectorOrderAndLimit.OrderBy == nil || l.VectorOrderAndLimit.Limit == nil {
			return n, false, err
		}
		if lim != nil && l.VectorOrderAndLimit.Limit == lim {
			return n, false, nil
		}
		l.VectorOrderAndLimit.Limit = nil
		nn, err := plan.NewStaticIndexedAccessForTableNode(ctx, ita.TableNode, l)
		if err != nil {
			return nil, false, err
		}
		return nn, true, nil
	}
	var childLim sql.Expression
	switch x := n.(type) {
	case *plan.Limit:
		childLim = x.Limit
	case *plan.Project, *plan.TableAlias:
		childLim = lim
	}
	children := n.Children()
	var changed bool
	var newChildren []sql.Node
	for i, c := range children {
		nc, ch, err := fixVectorLimits(ctx, c, childLim)
		if err != nil {
			return nil, false, err
		}
		if ch {
			if newChildren == nil {
				newChildren = append([]sql.Node(nil), children...)
			}
			newChildren[i], changed = nc, true
		}
	}
	if !changed {
		return n, false, nil
	}
	nn, err := n.WithChildren(newChildren...)
	if err != nil {
		return nil, false, err
	}
	return nn, true, nil
}
