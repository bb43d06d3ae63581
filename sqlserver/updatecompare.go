package sqlserver

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
	"github.com/dolthub/vitess/go/sqltypes"
)

// UPDATE writes a row when its bytes change. GMS decides whether a row
// changed by comparing the old and new rows with the column types' Compare,
// which follows the collation: 'SHIPPED' → 'shipped' under a
// case-insensitive collation, or 'a' → 'a ' under PAD SPACE, counted as
// unchanged and was not written at all (the update was lost, and ROW_COUNT
// was 0). MySQL compares the stored values.
//
// The rule gives the table an UPDATE writes, as GMS's update iterator and
// its affected-rows counter find it (plan.GetUpdatable), a schema whose
// VARCHAR and TEXT types compare bytes. Reads, expressions and every other
// statement keep the table's own types. (CHAR is left alone: its trailing
// spaces are not part of the value.) Foreign key checks keep comparing by
// collation. UPDATE with triggers and UPDATE with joins (whose change
// checks use the join's schema, built from its tables') are rewritten the
// same way.

const ruleUpdateByteCompare analyzer.RuleId = 1012

// installUpdateByteCompare adds the rule to GMS's OnceAfterAll batch, which
// also runs for the simple UPDATE pipeline, once per process.
var installUpdateByteCompare = sync.OnceFunc(func() {
	analyzer.OnceAfterAll = append(analyzer.OnceAfterAll, analyzer.Rule{Id: ruleUpdateByteCompare, Apply: updateByteCompare})
})

func updateByteCompare(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		u, ok := n.(*plan.Update)
		if !ok {
			return n, transform.SameTree, nil
		}
		child, same, err := byteCompareTarget(u.Child)
		if err != nil || same {
			return n, transform.SameTree, err
		}
		nu, err := u.WithChildren(child)
		if err != nil {
			return nil, transform.SameTree, err
		}
		return nu, transform.NewTree, nil
	})
}

// byteCompareTarget rewrites the path plan.GetUpdatable follows to the
// written table: through single-child nodes down to an IndexedTableAccess's
// table node or a ResolvedTable, whose table gets wrapped.
func byteCompareTarget(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	switch x := n.(type) {
	case *plan.ResolvedTable:
		wrapped, ok := byteCompareTable(x.Table)
		if !ok {
			return n, transform.SameTree, nil
		}
		nt := *x
		nt.Table = wrapped
		return &nt, transform.NewTree, nil
	case *plan.IndexedTableAccess:
		tn, same, err := byteCompareTarget(x.TableNode)
		if err != nil || same {
			return n, transform.SameTree, err
		}
		tnode, ok := tn.(sql.TableNode)
		if !ok {
			return n, transform.SameTree, nil
		}
		nita := *x
		nita.TableNode = tnode
		return &nita, transform.NewTree, nil
	case *plan.ForeignKeyHandler:
		// Updates of a table with foreign keys write through the handler;
		// its Schema is its original node's, and Sch counts the changes.
		orig, same, err := byteCompareTarget(x.OriginalNode)
		if err != nil || same {
			return n, transform.SameTree, err
		}
		nh := *x
		nh.OriginalNode = orig
		if sch, ok := byteCompareSchema(x.Sch); ok {
			nh.Sch = sch
		}
		return &nh, transform.NewTree, nil
	case *plan.TriggerExecutor:
		// An UPDATE with BEFORE/AFTER UPDATE triggers: GetUpdatable
		// follows the left child (the update source).
		left, same, err := byteCompareTarget(x.Left())
		if err != nil || same {
			return n, transform.SameTree, err
		}
		nn, err := x.WithChildren(left, x.Right())
		if err != nil {
			return nil, transform.SameTree, err
		}
		return nn, transform.NewTree, nil
	case *plan.UpdateJoin:
		// UPDATE with joins compares old and new join rows, and each
		// table's part of them, by the schema of the update source's
		// child: the tables under the join get byte-comparing schemas,
		// which the join's schema is made of, and so do the columns of a
		// projection over it (GMS reorders the join's columns with one).
		src, ok := x.Child.(*plan.UpdateSource)
		if !ok {
			return n, transform.SameTree, nil
		}
		join, same, err := transform.Node(src.Child, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
			switch x := n.(type) {
			case *plan.ResolvedTable, *plan.IndexedTableAccess:
				return byteCompareTarget(n)
			case *plan.Project:
				return byteCompareProjection(x)
			}
			return n, transform.SameTree, nil
		})
		if err != nil || same {
			return n, transform.SameTree, err
		}
		nsrc, err := src.WithChildren(join)
		if err != nil {
			return nil, transform.SameTree, err
		}
		nn, err := x.WithChildren(nsrc)
		if err != nil {
			return nil, transform.SameTree, err
		}
		return nn, transform.NewTree, nil
	case sql.UpdatableTable, *plan.SubqueryAlias, sql.TableWrapper:
		// GetUpdatable stops at these (or follows paths not rewritten).
		return n, transform.SameTree, nil
	}
	kids := n.Children()
	if len(kids) != 1 {
		return n, transform.SameTree, nil
	}
	child, same, err := byteCompareTarget(kids[0])
	if err != nil || same {
		return n, transform.SameTree, err
	}
	nn, err := n.WithChildren(child)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return nn, transform.NewTree, nil
}

// byteCompareProjection gives the VARCHAR and TEXT columns a projection
// passes through (GetFields) byte-comparing types.
func byteCompareProjection(p *plan.Project) (sql.Node, transform.TreeIdentity, error) {
	var exprs []sql.Expression
	for i, e := range p.Projections {
		gf, ok := e.(*expression.GetField)
		if !ok {
			continue
		}
		st, ok := gf.Type().(sql.StringType)
		if !ok || !types.IsText(st) || st.Type() == sqltypes.Char {
			continue
		}
		if exprs == nil {
			exprs = append([]sql.Expression(nil), p.Projections...)
		}
		ngf := expression.NewGetFieldWithTable(gf.Index(), int(gf.TableId()), byteCompareType{st}, gf.Database(), gf.Table(), gf.Name(), gf.IsNullable())
		exprs[i] = ngf.WithId(gf.Id()).(sql.Expression)
	}
	if exprs == nil {
		return p, transform.SameTree, nil
	}
	np, err := p.WithExpressions(exprs...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return np, transform.NewTree, nil
}

// byteCompareTable wraps t if some column needs byte comparison; t may be
// GMS's process-tracking wrapper around the storage table.
func byteCompareTable(t sql.Table) (sql.Table, bool) {
	ut := updatableOf(t)
	if ut == nil {
		return nil, false
	}
	out, ok := byteCompareSchema(t.Schema())
	if !ok {
		return nil, false
	}
	return &byteCompareUpdateTable{Table: t, upd: ut, schema: out}, true
}

// byteCompareSchema returns sch with its VARCHAR and TEXT types comparing
// bytes; ok is false when it has none.
func byteCompareSchema(sch sql.Schema) (sql.Schema, bool) {
	var out sql.Schema
	for i, c := range sch {
		st, ok := c.Type.(sql.StringType)
		if !ok || !types.IsText(c.Type) || c.Type.Type() == sqltypes.Char {
			continue
		}
		if out == nil {
			out = sch.Copy()
		}
		nc := *out[i]
		nc.Type = byteCompareType{st}
		out[i] = &nc
	}
	return out, out != nil
}

// updatableOf finds the updatable table under t's wrappers, as GMS does.
func updatableOf(t sql.Table) sql.UpdatableTable {
	for t != nil {
		if ut, ok := t.(sql.UpdatableTable); ok {
			return ut
		}
		w, ok := t.(sql.TableWrapper)
		if !ok {
			return nil
		}
		t = w.Underlying()
	}
	return nil
}

// byteCompareUpdateTable is the written table as UPDATE's change check
// sees it: reads go to the wrapped table, writes to its updatable table.
type byteCompareUpdateTable struct {
	sql.Table
	upd    sql.UpdatableTable
	schema sql.Schema
}

var (
	_ sql.UpdatableTable = (*byteCompareUpdateTable)(nil)
	_ sql.TableWrapper   = (*byteCompareUpdateTable)(nil)
)

// Schema implements sql.Table: the table's columns, VARCHAR and TEXT
// comparing bytes.
func (t *byteCompareUpdateTable) Schema() sql.Schema { return t.schema }

// Updater implements sql.UpdatableTable.
func (t *byteCompareUpdateTable) Updater(ctx *sql.Context) sql.RowUpdater { return t.upd.Updater(ctx) }

// Underlying implements sql.TableWrapper.
func (t *byteCompareUpdateTable) Underlying() sql.Table { return t.Table }

// DebugString implements sql.DebugStringer: plans print the wrapped table,
// as they did before the rewrite.
func (t *byteCompareUpdateTable) DebugString() string {
	if ds, ok := t.Table.(sql.DebugStringer); ok {
		return sql.DebugString(ds)
	}
	return plan.TableDebugString(t.Table)
}

// byteCompareType is a string type whose Compare is by bytes.
type byteCompareType struct{ sql.StringType }

// Compare implements sql.Type.
func (t byteCompareType) Compare(ctx context.Context, a, b any) (int, error) {
	if hasNulls, res := types.CompareNulls(b, a); hasNulls {
		return res, nil
	}
	as, aok := rawString(a)
	bs, bok := rawString(b)
	if !aok || !bok {
		return t.StringType.Compare(ctx, a, b)
	}
	return strings.Compare(as, bs), nil
}

func rawString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}
