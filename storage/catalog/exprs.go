package catalog

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// ExprString returns the text the catalog persists for a column default,
// generated expression or ON UPDATE expression; "" means the column has none.
//
// The text is the one the GMS in-memory engine stores (memory.Table): table
// qualifiers are stripped from (quoted) column references and the value's
// String form is taken. That form keeps what GMS needs to rebuild the value: literal
// defaults print bare ('abc', 5, NULL), parenthesized expression defaults
// print in parentheses ((`a` + 1)), and NOW()/CURRENT_TIMESTAMP defaults print
// as CURRENT_TIMESTAMP[(n)]. GMS re-derives the Literal and Parenthesized
// flags from that shape when it resolves the text.
func ExprString(d *sql.ColumnDefaultValue) (string, error) {
	if d == nil || d.Expr == nil {
		return "", nil
	}
	// A value that GMS has not resolved yet already holds persisted text.
	switch u := d.Expr.(type) {
	case *sql.UnresolvedColumnDefault:
		return nonEmptyExpr(u.ExprString)
	case sql.UnresolvedColumnDefault:
		return nonEmptyExpr(u.ExprString)
	}
	stripped, _, err := transform.Expr(d, stripTableNames)
	if err != nil {
		return "", err
	}
	return nonEmptyExpr(stripped.String())
}

func nonEmptyExpr(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("catalog: column expression renders as empty text and cannot be persisted")
	}
	return s, nil
}

// stripTableNames removes table (and database) qualifiers from column
// references and quotes the column names. GMS's analyzer does the same to the
// defaults of DDL statements (rules stripTableNamesFromColumnDefaults and
// quoteDefaultColumnValueNames) before they reach the table; doing it here
// too keeps the text valid for any caller, after table renames and for
// column names that need quoting.
func stripTableNames(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	if gf, ok := e.(*expression.GetField); ok {
		ne := expression.NewGetField(gf.Index(), gf.Type(), gf.Name(), gf.IsNullable())
		ne = ne.WithQuotedNames(sql.GlobalSchemaFormatter, true)
		return ne, transform.NewTree, nil
	}
	return e, transform.SameTree, nil
}

// unresolvedExpr turns persisted expression text back into the value a GMS
// integrator hands to the engine: an unresolved column default, which the
// planbuilder parses and resolves against the table's columns.
func unresolvedExpr(s string) *sql.ColumnDefaultValue {
	if s == "" {
		return nil
	}
	return sql.NewUnresolvedColumnDefaultValue(s)
}
