// Package searchplan wires Quarry's search indexes (package indexes) into
// go-mysql-server's planner: the parser wrapper that lets MATCH ... AGAINST
// ... IN BOOLEAN MODE through GMS's planbuilder, the FULLTEXT DDL routing
// (CREATE FULLTEXT INDEX, FULLTEXT in CREATE TABLE, ALTER TABLE ADD
// FULLTEXT) to storage.Table.CreateSearchIndex, and the analyzer rule that
// replaces GMS's MatchAgainst with indexes.Relevance and turns ORDER BY
// MATCH(...) DESC LIMIT k over a search lookup into a bleve top-k, and
// answers COUNT(*), GROUP BY a keyword column and SELECTs of primary key
// columns over one exact search from the index (count.go, groups.go,
// keys.go).
package searchplan

import (
	"context"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/quarrydb/quarry/indexes"
	"github.com/quarrydb/quarry/storage"
)

// RuleID is the analyzer rule ID of Rule.
const RuleID analyzer.RuleId = 1102

var installOnce sync.Once

// Install adds Rule at the front of GMS's OnceAfterAll batch (a package
// variable: it is the only batch that also runs for the shortcut
// INSERT/UPDATE/DELETE pipelines, and it runs before assignExecIndexes).
// Call it before analyzer.NewBuilder.
func Install() {
	installOnce.Do(func() {
		analyzer.OnceAfterAll = append([]analyzer.Rule{{Id: RuleID, Apply: Rule}}, analyzer.OnceAfterAll...)
	})
}

// Parser wraps base so that MATCH ... AGAINST (... IN BOOLEAN MODE), which
// GMS's planbuilder rejects, reaches it as natural mode with the search
// string prefixed by indexes.BooleanMarker (CONCAT(marker, string): it
// survives constant folding and bind variables), and a statement with MATCH
// on aliased tables reaches it unaliased (unaliasMatchTables).
func Parser(base sql.Parser) sql.Parser { return parser{base} }

type parser struct{ sql.Parser }

func (p parser) Parse(ctx *sql.Context, query string, multi bool) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.Parse(ctx, query, multi)
	rewriteBoolean(st)
	return st, q, rest, err
}

func (p parser) ParseWithOptions(ctx context.Context, query string, delimiter rune, multi bool, options ast.ParserOptions) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.ParseWithOptions(ctx, query, delimiter, multi, options)
	rewriteBoolean(st)
	return st, q, rest, err
}

func (p parser) ParseOneWithOptions(ctx context.Context, query string, options ast.ParserOptions) (ast.Statement, int, error) {
	st, n, err := p.Parser.ParseOneWithOptions(ctx, query, options)
	rewriteBoolean(st)
	return st, n, err
}

func rewriteBoolean(st ast.Statement) {
	if st == nil {
		return
	}
	if ex, ok := st.(*ast.Explain); ok { // Walk does not enter EXPLAIN
		rewriteBoolean(ex.Statement)
		return
	}
	found := false
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		m, ok := n.(*ast.MatchExpr)
		found = found || ok
		if ok && m.Option == ast.BooleanModeStr {
			m.Option = ""
			m.Expr = &ast.FuncExpr{Name: ast.NewColIdent("concat"), Exprs: ast.SelectExprs{
				&ast.AliasedExpr{Expr: ast.NewStrVal([]byte(indexes.BooleanMarker))},
				&ast.AliasedExpr{Expr: m.Expr},
			}}
		}
		return true, nil
	}, st)
	if found {
		unaliasMatchTables(st)
	}
}

// managerOf returns the search manager of a storage table's engine.
func managerOf(t *storage.Table) *indexes.Manager {
	m, _ := t.Engine().Searcher().(*indexes.Manager)
	return m
}

// Rule is the analyzer rule (see the package comment).
func Rule(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	n, same1, err := routeDDL(a, n)
	if err != nil {
		return nil, transform.SameTree, err
	}
	// Searches run by lookups, by key, to pair relevance expressions with.
	lookups := map[string]*indexes.Search{}
	transform.Inspect(n, func(n sql.Node) bool {
		if s := searchOf(ctx, n); s != nil {
			lookups[s.Key(ctx)] = s
		}
		return true
	})
	uses := map[*indexes.Search]int{} // relevance expressions of each lookup search
	n, same2, err := transform.NodeExprsWithOpaque(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		ma, ok := e.(*expression.MatchAgainst)
		if !ok {
			return e, transform.SameTree, nil
		}
		t, ok := ma.ParentTable.(*storage.Table)
		if !ok {
			return e, transform.SameTree, nil
		}
		m := managerOf(t)
		if m == nil {
			return e, transform.SameTree, nil
		}
		r, err := m.NewRelevance(ma, t)
		if err != nil || r == nil {
			return e, transform.SameTree, err
		}
		if s, ok := lookups[r.S.Key(ctx)]; ok {
			r.Share(s)
			uses[s]++
		}
		return r, transform.NewTree, nil
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, same3, err := transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) { return topK(ctx, n) })
	if err != nil {
		return nil, transform.SameTree, err
	}
	markScoreless(n, lookups, uses)
	n, same4, err := transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		return countFromIndex(ctx, a.ExecBuilder, n)
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	same5 := transform.SameTree
	if !hasSearchKeys(n) { // (a tree analyzed again keeps its nodes)
		n, same5, err = transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
			return keysFromIndex(ctx, a.ExecBuilder, n)
		})
		if err != nil {
			return nil, transform.SameTree, err
		}
	}
	return n, same1 && same2 && same3 && same4 && same5, nil
}

// topK folds ORDER BY relevance DESC LIMIT k (TopN, or Limit over Sort,
// through projections) over a search lookup whose filter is only that
// search into the lookup: bleve returns the k best hits and nothing else
// is read. Any other filter or node in between keeps the full search.
func topK(ctx *sql.Context, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	var limit sql.Expression
	var fields sql.SortFields
	var cur sql.Node
	switch x := n.(type) {
	case *plan.TopN:
		limit, fields, cur = x.Limit, x.Fields, x.Child
	case *plan.Limit:
		limit, cur = x.Limit, x.Child
	default:
		return n, transform.SameTree, nil
	}
	lit, ok := limit.(*expression.Literal)
	if !ok {
		return n, transform.SameTree, nil
	}
	kv, _, err := types.Int64.Convert(ctx, lit.Value())
	if err != nil || kv == nil || kv.(int64) <= 0 {
		return n, transform.SameTree, nil
	}
	var s *indexes.Search
	aliases := map[string]sql.Expression{} // by lower-case alias name
	for s == nil {
		switch x := cur.(type) {
		case *plan.Project:
			for _, p := range x.Projections {
				if al, ok := p.(*expression.Alias); ok {
					aliases[strings.ToLower(al.Name())] = al.Child
				}
			}
			cur = x.Child
		case *plan.Sort:
			if fields != nil {
				return n, transform.SameTree, nil
			}
			fields, cur = x.SortFields, x.Child
		case *plan.Filter:
			for _, c := range expression.SplitConjunction(x.Expression) {
				if relevanceOf(c) == nil {
					return n, transform.SameTree, nil
				}
			}
			cur = x.Child
		case *plan.IndexedTableAccess:
			if s = searchOf(ctx, x); s == nil {
				return n, transform.SameTree, nil
			}
		default:
			return n, transform.SameTree, nil
		}
	}
	if len(fields) != 1 || fields[0].Order != sql.Descending {
		return n, transform.SameTree, nil
	}
	sortExpr := fields[0].Column
	if gf, ok := sortExpr.(*expression.GetField); ok {
		if e, ok := aliases[strings.ToLower(gf.Name())]; ok {
			sortExpr = e
		}
	}
	rel, ok := sortExpr.(*indexes.Relevance)
	if !ok || rel.S != s {
		return n, transform.SameTree, nil
	}
	s.K = int(kv.(int64))
	return n, transform.SameTree, nil
}

// markScoreless sets Scoreless on the lookup searches whose relevance
// expressions (uses counts them all, subqueries included) are all bare
// WHERE conjuncts: those only test whether a row matches (relevance > 0,
// and BM25 scores every match above 0), so the search need not score.
// A top-k search ranks, so it keeps its scores.
func markScoreless(n sql.Node, lookups map[string]*indexes.Search, uses map[*indexes.Search]int) {
	bare := map[*indexes.Search]int{}
	transform.Inspect(n, func(n sql.Node) bool {
		if f, ok := n.(*plan.Filter); ok {
			for _, c := range expression.SplitConjunction(f.Expression) {
				if r, ok := c.(*indexes.Relevance); ok {
					bare[r.S]++
				}
			}
		}
		return true
	})
	for _, s := range lookups {
		s.Scoreless = s.K == 0 && bare[s] == uses[s]
	}
}

// searchOf returns the search a static search-index lookup runs.
func searchOf(ctx *sql.Context, n sql.Node) *indexes.Search {
	ita, ok := n.(*plan.IndexedTableAccess)
	if !ok || !ita.IsStatic() {
		return nil
	}
	l, err := ita.GetLookup(ctx, nil)
	if err != nil {
		return nil
	}
	if r, ok := l.Ranges.(*indexes.Ranges); ok {
		return r.S
	}
	return nil
}

// relevanceOf returns the relevance a filter conjunct tests, if it is one
// (relevance itself, or relevance > c).
func relevanceOf(e sql.Expression) *indexes.Relevance {
	switch x := e.(type) {
	case *indexes.Relevance:
		return x
	case *expression.GreaterThan:
		r, _ := x.Left().(*indexes.Relevance)
		return r
	}
	return nil
}
