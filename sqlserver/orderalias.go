package sqlserver

import (
	"context"
	"regexp"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// MySQL resolves a name in ORDER BY against the select list's aliases
// first, also inside an expression: SELECT CASE ... END AS bucket, COUNT(*)
// FROM t GROUP BY bucket ORDER BY FIELD(bucket, 'small', 'large'). GMS's
// planbuilder only resolves a bare alias (ORDER BY bucket) and fails the
// expression with 1054. orderAliasParser replaces such alias references
// inside ORDER BY expressions of a SELECT with the aliased expression,
// which GMS resolves (and matches against GROUP BY expressions). Aliases of
// expressions with a subquery or a window function are left alone, as are
// ORDER BY expressions holding a subquery. It also accepts SHOW FULL
// TRIGGERS (see showFullTriggers).
func orderAliasParser(base sql.Parser) sql.Parser { return orderAlias{base} }

type orderAlias struct{ sql.Parser }

func (p orderAlias) Parse(ctx *sql.Context, query string, multi bool) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.Parse(ctx, query, multi)
	if err != nil {
		if text, ok := showFullTriggers(query); ok {
			st, q, rest, err = p.Parser.Parse(ctx, text, multi)
		}
	}
	if err == nil {
		rewriteOrderAliases(st)
	}
	return st, q, rest, err
}

func (p orderAlias) ParseWithOptions(ctx context.Context, query string, delimiter rune, multi bool, options ast.ParserOptions) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.ParseWithOptions(ctx, query, delimiter, multi, options)
	if err != nil {
		if text, ok := showFullTriggers(query); ok {
			st, q, rest, err = p.Parser.ParseWithOptions(ctx, text, delimiter, multi, options)
		}
	}
	if err == nil {
		rewriteOrderAliases(st)
	}
	return st, q, rest, err
}

func (p orderAlias) ParseOneWithOptions(ctx context.Context, query string, options ast.ParserOptions) (ast.Statement, int, error) {
	st, n, err := p.Parser.ParseOneWithOptions(ctx, query, options)
	if err != nil {
		if text, ok := showFullTriggers(query); ok {
			var n2 int
			st, n2, err = p.Parser.ParseOneWithOptions(ctx, text, options)
			n = n2 + len(query) - len(text)
		}
	}
	if err == nil {
		rewriteOrderAliases(st)
	}
	return st, n, err
}

// showFullTriggersRE is SHOW FULL TRIGGERS: MySQL's grammar accepts (and
// ignores) FULL there (DBeaver sends it); vitess's does not.
var showFullTriggersRE = regexp.MustCompile(`(?is)^(\s*show\s+)full\s+(triggers\b)`)

// showFullTriggers returns query without the FULL of SHOW FULL TRIGGERS.
func showFullTriggers(query string) (string, bool) {
	loc := showFullTriggersRE.FindStringSubmatchIndex(query)
	if loc == nil {
		return "", false
	}
	return query[:loc[3]] + query[loc[4]:], true
}

// rewriteOrderAliases rewrites, in place, the ORDER BY of every SELECT in
// st (including subqueries and derived tables).
func rewriteOrderAliases(st ast.Statement) {
	if st == nil {
		return
	}
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		if sel, ok := n.(*ast.Select); ok && len(sel.OrderBy) > 0 {
			rewriteSelectOrderAliases(sel)
		}
		return true, nil
	}, st)
}

func rewriteSelectOrderAliases(sel *ast.Select) {
	var aliases map[string]ast.Expr
	for _, o := range sel.OrderBy {
		if _, bare := o.Expr.(*ast.ColName); bare || o.Expr == nil || hasSubqueryOrWindow(o.Expr) {
			continue
		}
		if aliases == nil {
			aliases = selectAliases(sel)
			if len(aliases) == 0 {
				return
			}
		}
		var refs []*ast.ColName
		_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
			if c, ok := n.(*ast.ColName); ok && c.Qualifier.IsEmpty() {
				if _, ok := aliases[c.Name.Lowered()]; ok {
					refs = append(refs, c)
				}
			}
			return true, nil
		}, o.Expr)
		for _, c := range refs {
			o.Expr = ast.ReplaceExpr(o.Expr, c, aliases[c.Name.Lowered()])
		}
	}
}

// selectAliases maps the lower-cased aliases of sel's select list to their
// expressions, leaving out names given twice and expressions with a
// subquery or a window function.
func selectAliases(sel *ast.Select) map[string]ast.Expr {
	out := map[string]ast.Expr{}
	dup := map[string]bool{}
	for _, se := range sel.SelectExprs {
		ae, ok := se.(*ast.AliasedExpr)
		if !ok || ae.As.IsEmpty() {
			continue
		}
		name := strings.ToLower(ae.As.String())
		if _, seen := out[name]; seen || dup[name] {
			delete(out, name)
			dup[name] = true
			continue
		}
		if hasSubqueryOrWindow(ae.Expr) {
			dup[name] = true
			continue
		}
		out[name] = ae.Expr
	}
	return out
}

func hasSubqueryOrWindow(e ast.Expr) bool {
	found := false
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		// Walk visits absent children as typed nil pointers.
		switch n := n.(type) {
		case *ast.Subquery:
			found = n != nil
		case *ast.Over:
			found = n != nil
		case *ast.FuncExpr:
			found = n != nil && n.Over != nil
		}
		return !found, nil
	}, e)
	return found
}
