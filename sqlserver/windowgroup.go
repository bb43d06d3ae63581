package sqlserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// GMS's planbuilder rejects any window function in a grouped query (error
// 1140, even for SUM(COUNT(*)) OVER () or RANK() OVER (ORDER BY
// SUM(x))), which BI tools and ORMs generate for shares of a total and
// ranks of groups. windowGroupParser rewrites such a SELECT into the
// equivalent MySQL evaluates: the grouping in a derived table, the window
// functions over its rows.
//
//	SELECT k, COUNT(*) AS n, RANK() OVER (ORDER BY SUM(x)) AS r FROM t WHERE w GROUP BY k HAVING h ORDER BY o LIMIT l
//	->
//	SELECT __wg.__w1 AS k, __wg.__w2 AS n, RANK() OVER (ORDER BY __wg.__w3) AS r
//	FROM (SELECT k AS __w1, COUNT(*) AS __w2, SUM(x) AS __w3 FROM t WHERE w GROUP BY k) AS __wg
//	WHERE h' ORDER BY o' LIMIT l
//
// Every aggregate and every grouping expression outside aggregates becomes
// a column of the derived table; HAVING, evaluated before windows, filters
// its rows. The rewrite only applies when every column read outside an
// aggregate is a grouping column (otherwise the statement is left to GMS,
// which reports 1140 as MySQL does for such a query), and not to shapes it
// does not handle (SELECT *, named windows, GROUP BY position, subqueries
// in the rewritten parts, INTO, locking clauses).
func windowGroupParser(base sql.Parser) sql.Parser { return windowGroup{base} }

type windowGroup struct{ sql.Parser }

func (p windowGroup) Parse(ctx *sql.Context, query string, multi bool) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.Parse(ctx, query, multi)
	if err != nil {
		return st, q, rest, err
	}
	if text, ok := rewriteWindowGroup(st); ok {
		if nst, _, _, err := p.Parser.Parse(ctx, text, false); err == nil {
			st = nst
		}
	}
	return st, q, rest, err
}

func (p windowGroup) ParseWithOptions(ctx context.Context, query string, delimiter rune, multi bool, options ast.ParserOptions) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.ParseWithOptions(ctx, query, delimiter, multi, options)
	if err != nil {
		return st, q, rest, err
	}
	if text, ok := rewriteWindowGroup(st); ok {
		if nst, _, err := p.Parser.ParseOneWithOptions(ctx, text, options); err == nil {
			st = nst
		}
	}
	return st, q, rest, err
}

func (p windowGroup) ParseOneWithOptions(ctx context.Context, query string, options ast.ParserOptions) (ast.Statement, int, error) {
	st, n, err := p.Parser.ParseOneWithOptions(ctx, query, options)
	if err != nil {
		return st, n, err
	}
	if text, ok := rewriteWindowGroup(st); ok {
		if nst, _, err := p.Parser.ParseOneWithOptions(ctx, text, options); err == nil {
			st = nst
		}
	}
	return st, n, err
}

// wgRewrite is the state of one rewrite.
type wgRewrite struct {
	sel *ast.Select
	// cols are the derived table's columns: expression text -> column.
	cols  map[string]string
	items []string
	// keys are the grouping expressions (aliases resolved); keyCols the
	// ones that are plain columns.
	keys    []ast.Expr
	keyCols []*ast.ColName
	aliases map[string]ast.Expr // select-list alias (lower) -> expression
	ok      bool
}

const wgTable = "__wg"

// rewriteWindowGroup returns the rewritten text of st when it is a SELECT
// with window functions and grouping that the rewrite handles.
func rewriteWindowGroup(st ast.Statement) (string, bool) {
	sel, ok := st.(*ast.Select)
	if !ok || sel.Into != nil || sel.Lock != "" || len(sel.Window) > 0 || len(sel.From) == 0 ||
		sel.QueryOpts.SQLCalcFoundRows || sel.QueryOpts.StraightJoinHint {
		return "", false
	}
	hasWindow, hasAgg := false, len(sel.GroupBy) > 0
	for _, se := range sel.SelectExprs {
		ae, ok := se.(*ast.AliasedExpr)
		if !ok {
			return "", false // SELECT *
		}
		_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
			switch x := n.(type) {
			case *ast.Subquery:
				return false, nil
			case *ast.FuncExpr:
				if x.Over != nil {
					hasWindow = true
				} else if x.IsAggregate() {
					hasAgg = true
				}
			case *ast.GroupConcatExpr:
				hasAgg = true
			}
			return true, nil
		}, ae.Expr)
	}
	if !hasWindow || !hasAgg {
		return "", false
	}
	r := &wgRewrite{sel: sel, cols: map[string]string{}, aliases: map[string]ast.Expr{}, ok: true}
	for _, se := range sel.SelectExprs {
		ae := se.(*ast.AliasedExpr)
		if !ae.As.IsEmpty() {
			r.aliases[ae.As.Lowered()] = ae.Expr
		}
	}
	for _, g := range sel.GroupBy {
		if _, isLit := g.(*ast.SQLVal); isLit {
			return "", false // GROUP BY position
		}
		if c, isCol := g.(*ast.ColName); isCol && c.Qualifier.IsEmpty() {
			if a, isAlias := r.aliases[c.Name.Lowered()]; isAlias && !r.isColumn(c) {
				if containsWindow(a) {
					return "", false
				}
				g = a
			}
		}
		r.keys = append(r.keys, g)
		if c, isCol := g.(*ast.ColName); isCol {
			r.keyCols = append(r.keyCols, c)
		}
		r.column(g)
	}

	var b strings.Builder
	b.WriteString(ast.String(sel.With))
	b.WriteString("select ")
	if sel.QueryOpts.Distinct {
		b.WriteString("distinct ")
	}
	for i, se := range sel.SelectExprs {
		ae := se.(*ast.AliasedExpr)
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r.format(ae.Expr, false))
		name := ae.As.String()
		if name == "" {
			if c, isCol := ae.Expr.(*ast.ColName); isCol {
				name = c.Name.String()
			} else if name = ae.InputExpression; name == "" {
				name = ast.String(ae.Expr)
			}
		}
		b.WriteString(" as ")
		b.WriteString(quoteIdent(name))
	}
	var having, order string
	if sel.Having != nil && sel.Having.Expr != nil {
		having = " where " + r.format(sel.Having.Expr, true)
	}
	for i, o := range sel.OrderBy {
		if i == 0 {
			order = " order by "
		} else {
			order += ", "
		}
		order += r.format(o.Expr, false) + " " + o.Direction
	}
	if !r.ok {
		return "", false
	}
	var inner strings.Builder
	inner.WriteString("select ")
	inner.WriteString(strings.Join(r.items, ", "))
	inner.WriteString(" from ")
	inner.WriteString(ast.String(sel.From))
	inner.WriteString(ast.String(sel.Where))
	for i, k := range r.keys {
		if i == 0 {
			inner.WriteString(" group by ")
		} else {
			inner.WriteString(", ")
		}
		inner.WriteString(ast.String(k))
	}
	fmt.Fprintf(&b, " from (%s) as %s", inner.String(), wgTable)
	b.WriteString(having)
	b.WriteString(order)
	b.WriteString(ast.String(sel.Limit))
	return b.String(), true
}

// column returns the derived table's column computing e (by its text),
// adding it if needed.
func (r *wgRewrite) column(e ast.Expr) string {
	text := ast.String(e)
	if c, ok := r.cols[text]; ok {
		return c
	}
	c := fmt.Sprintf("__w%d", len(r.items)+1)
	r.cols[text] = c
	r.items = append(r.items, text+" as "+c)
	return c
}

// isColumn reports whether c names a grouping column.
func (r *wgRewrite) isColumn(c *ast.ColName) bool {
	return r.keyCol(c) != nil
}

func (r *wgRewrite) keyCol(c *ast.ColName) *ast.ColName {
	for _, k := range r.keyCols {
		if !k.Name.Equal(c.Name) {
			continue
		}
		if c.Qualifier.IsEmpty() || k.Qualifier.IsEmpty() || strings.EqualFold(ast.String(c.Qualifier), ast.String(k.Qualifier)) {
			return k
		}
	}
	return nil
}

// format prints e over the derived table: aggregates and grouping
// expressions become its columns. In HAVING (having), a select-list alias
// is replaced by its expression; elsewhere it is left to name the outer
// select's column. A column that is neither fails the rewrite.
func (r *wgRewrite) format(e ast.Expr, having bool) string {
	var formatter ast.NodeFormatter
	formatter = func(buf *ast.TrackedBuffer, node ast.SQLNode) {
		ex, isExpr := node.(ast.Expr)
		if !isExpr {
			node.Format(buf)
			return
		}
		text := ast.String(ex)
		if c, ok := r.cols[text]; ok {
			buf.WriteString(wgTable + "." + c)
			return
		}
		switch x := ex.(type) {
		case *ast.Subquery:
			r.ok = false
		case *ast.FuncExpr:
			if x.Over == nil && x.IsAggregate() {
				buf.WriteString(wgTable + "." + r.column(x))
				return
			}
		case *ast.GroupConcatExpr:
			buf.WriteString(wgTable + "." + r.column(x))
			return
		case *ast.ColName:
			if k := r.keyCol(x); k != nil {
				buf.WriteString(wgTable + "." + r.column(k))
				return
			}
			if a, ok := r.aliases[x.Name.Lowered()]; ok && x.Qualifier.IsEmpty() {
				if !having {
					node.Format(buf)
					return
				}
				if !containsWindow(a) {
					buf.WriteString("(" + r.format(a, false) + ")")
					return
				}
			}
			r.ok = false
		}
		node.Format(buf)
	}
	buf := ast.NewTrackedBuffer(formatter)
	buf.Myprintf("%v", e)
	return buf.String()
}

// containsWindow reports whether e has a window function.
func containsWindow(e ast.Expr) bool {
	found := false
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		if f, ok := n.(*ast.FuncExpr); ok && f.Over != nil {
			found = true
		}
		_, sub := n.(*ast.Subquery)
		return !found && !sub, nil
	}, e)
	return found
}

// quoteIdent quotes a column alias with backticks.
func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}
