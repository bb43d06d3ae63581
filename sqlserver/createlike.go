package sqlserver

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// ruleCreateLikeIndexes is Quarry's analyzer rule for CREATE TABLE ...
// LIKE.
const ruleCreateLikeIndexes analyzer.RuleId = 1016

// createLikeIndexes gives the index definitions CREATE TABLE new LIKE old
// copies from old what GMS's planbuilder drops (getIndexDefs): FULLTEXT and
// SPATIAL kinds and column prefix lengths. Without them a FULLTEXT index
// over a TEXT column became a B-tree index without a key length and the
// statement failed with 1170, a prefix index on a VARCHAR became a
// full-length one and a SPATIAL index a B-tree. MySQL copies every index
// as it is.
//
// The planbuilder keeps no reference to the LIKE table in the node, so the
// rule reads it from the statement's text (ctx.Query()); the definitions
// are matched to old's indexes by name.
func createLikeIndexes(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	ct, ok := n.(*plan.CreateTable)
	if !ok || len(ct.Indexes()) == 0 || !strings.Contains(strings.ToLower(ctx.Query()), "like") {
		return n, transform.SameTree, nil
	}
	st, err := ast.Parse(ctx.Query())
	if err != nil {
		return n, transform.SameTree, nil // not one statement: GMS's definitions stand
	}
	ddl, ok := st.(*ast.DDL)
	if !ok || ddl.OptLike == nil || len(ddl.OptLike.LikeTables) != 1 {
		return n, transform.SameTree, nil
	}
	like := ddl.OptLike.LikeTables[0]
	db := like.DbQualifier.String()
	if db == "" {
		db = ctx.GetCurrentDatabase()
	}
	src, _, err := a.Catalog.Table(ctx, db, like.Name.String())
	if err != nil {
		return n, transform.SameTree, nil // GMS resolved it: it reports its own errors
	}
	ia, ok := src.(sql.IndexAddressable)
	if !ok {
		return n, transform.SameTree, nil
	}
	idxs, err := ia.GetIndexes(ctx)
	if err != nil {
		return nil, transform.SameTree, err
	}
	byName := map[string]sql.Index{}
	for _, idx := range idxs {
		byName[strings.ToLower(idx.ID())] = idx
	}
	defs := make(sql.IndexDefs, len(ct.Indexes()))
	changed := false
	for i, d := range ct.Indexes() {
		defs[i] = d
		idx, ok := byName[strings.ToLower(d.Name)]
		if !ok {
			continue
		}
		nd := *d
		nd.Columns = append([]sql.IndexColumn(nil), d.Columns...)
		switch {
		case idx.IsFullText():
			nd.Constraint = sql.IndexConstraint_Fulltext
		case idx.IsSpatial():
			nd.Constraint = sql.IndexConstraint_Spatial
		}
		pl := idx.PrefixLengths()
		for j := range nd.Columns {
			if j < len(pl) && pl[j] > 0 {
				nd.Columns[j].Length = int64(pl[j])
			}
		}
		if nd.Constraint != d.Constraint || !sameIndexColumns(nd.Columns, d.Columns) {
			defs[i], changed = &nd, true
		}
	}
	if !changed {
		return n, transform.SameTree, nil
	}
	nct, err := ct.WithIndexDefs(defs)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return nct, transform.NewTree, nil
}

func sameIndexColumns(a, b []sql.IndexColumn) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
