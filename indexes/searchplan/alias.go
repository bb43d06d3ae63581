package searchplan

import (
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// GMS's planbuilder finds the FULLTEXT index of MATCH (cols) by comparing
// each column's printed name with the index's expressions, which name the
// table ("orders.title"). A column of an aliased table prints with the
// alias ("o.title"), qualified or not, so every MATCH on an aliased table
// failed with 1191, in WHERE, the select list and ORDER BY alike.
//
// unaliasMatchTables rewrites a SELECT with MATCH so that the tables its
// MATCH columns can read are referred to by their own names: the alias is
// dropped from the FROM clause and every column or star qualified with it
// is qualified with the table name instead. The result is the same query
// (same rows, column names and search plan) as long as the table name
// names nothing else in the statement, which is required: a table is
// unaliased only when its name and its alias each occur once among the
// statement's table names, aliases, derived tables and CTEs (no self
// join, no other table or alias with either name).
func unaliasMatchTables(st ast.Statement) {
	switch st.(type) {
	case *ast.Select, *ast.SetOp:
	default:
		return
	}
	var matches []*ast.MatchExpr
	var tables []*ast.AliasedTableExpr
	bases, aliases := map[string]int{}, map[string]int{}
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		switch n := n.(type) {
		case *ast.MatchExpr:
			matches = append(matches, n)
		case *ast.AliasedTableExpr:
			if tn, ok := n.Expr.(ast.TableName); ok {
				bases[strings.ToLower(tn.Name.String())]++
				if !n.As.IsEmpty() {
					tables = append(tables, n)
				}
			}
			if !n.As.IsEmpty() {
				aliases[strings.ToLower(n.As.String())]++
			}
		}
		return true, nil
	}, st)
	if len(matches) == 0 || len(tables) == 0 {
		return
	}
	// The aliases MATCH columns are qualified with; any unqualified column
	// may belong to any aliased table.
	wanted, any := map[string]bool{}, false
	for _, m := range matches {
		for _, se := range m.Columns {
			ae, ok := se.(*ast.AliasedExpr)
			if !ok {
				continue
			}
			col, ok := ae.Expr.(*ast.ColName)
			if !ok {
				continue
			}
			if q := col.Qualifier.Name.String(); q != "" && col.Qualifier.DbQualifier.IsEmpty() {
				wanted[strings.ToLower(q)] = true
			} else if q == "" {
				any = true
			}
		}
	}
	renames := map[string]ast.TableIdent{} // alias -> table name
	for _, t := range tables {
		base := t.Expr.(ast.TableName).Name
		a, b := strings.ToLower(t.As.String()), strings.ToLower(base.String())
		if !any && !wanted[a] {
			continue
		}
		if a == b || aliases[a] != 1 || bases[b] != 1 || aliases[b] != 0 || bases[a] != 0 {
			continue
		}
		renames[a] = base
		t.As = ast.TableIdent{}
	}
	if len(renames) == 0 {
		return
	}
	rename := func(tn *ast.TableName) {
		if !tn.DbQualifier.IsEmpty() || !tn.SchemaQualifier.IsEmpty() {
			return
		}
		if base, ok := renames[strings.ToLower(tn.Name.String())]; ok {
			tn.Name = base
		}
	}
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		switch n := n.(type) {
		case *ast.ColName:
			rename(&n.Qualifier)
		case *ast.StarExpr:
			rename(&n.TableName)
		}
		return true, nil
	}, st)
}
