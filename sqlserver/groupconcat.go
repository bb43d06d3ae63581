package sqlserver

import (
	"context"

	"github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// GMS's GROUP_CONCAT concatenates only the first of its expressions per
// row (groupConcatBuffer.Update reads evalRow[0]), so GROUP_CONCAT(id,
// ':', name) returned "1,2" where MySQL returns "1:a,2:b".
// groupConcatParser rewrites GROUP_CONCAT(e1, ..., en) into
// GROUP_CONCAT(CONCAT(e1, ..., en)), which is how MySQL defines it: a row
// with a NULL expression is skipped, as CONCAT's NULL is. ORDER BY and
// SEPARATOR are kept. With DISTINCT, MySQL compares the expressions'
// values and the rewrite their concatenation, so (1, '23') and (12, '3')
// count once here and twice in MySQL.
func groupConcatParser(base sql.Parser) sql.Parser { return groupConcat{base} }

type groupConcat struct{ sql.Parser }

func (p groupConcat) Parse(ctx *sql.Context, query string, multi bool) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.Parse(ctx, query, multi)
	if err == nil {
		concatGroupConcatArgs(query, st)
	}
	return st, q, rest, err
}

func (p groupConcat) ParseWithOptions(ctx context.Context, query string, delimiter rune, multi bool, options ast.ParserOptions) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.ParseWithOptions(ctx, query, delimiter, multi, options)
	if err == nil {
		concatGroupConcatArgs(query, st)
	}
	return st, q, rest, err
}

func (p groupConcat) ParseOneWithOptions(ctx context.Context, query string, options ast.ParserOptions) (ast.Statement, int, error) {
	st, n, err := p.Parser.ParseOneWithOptions(ctx, query, options)
	if err == nil {
		concatGroupConcatArgs(query, st)
	}
	return st, n, err
}

// concatGroupConcatArgs rewrites, in place, every GROUP_CONCAT of st with
// more than one expression. query is st's text; statements that cannot
// hold a GROUP_CONCAT are not walked.
func concatGroupConcatArgs(query string, st ast.Statement) {
	if st == nil || !containsASCIIFold(query, "group_concat") {
		return
	}
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		if g, ok := n.(*ast.GroupConcatExpr); ok && len(g.Exprs) > 1 {
			g.Exprs = ast.SelectExprs{&ast.AliasedExpr{Expr: &ast.FuncExpr{Name: ast.NewColIdent("concat"), Exprs: g.Exprs}}}
		}
		return true, nil
	}, st)
}
