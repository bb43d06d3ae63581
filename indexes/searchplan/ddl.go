package searchplan

import (
	"fmt"
	"io"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

// routeDDL sends FULLTEXT index creation to storage.Table.CreateSearchIndex
// instead of GMS's pseudo-table implementation:
//   - ALTER TABLE ... ADD FULLTEXT / CREATE FULLTEXT INDEX (plan.AlterIndex);
//   - CREATE TABLE with FULLTEXT keys: the table is created without them,
//     then they are added.
func routeDDL(a *analyzer.Analyzer, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeWithCtx(n, nil, func(c transform.Context) (sql.Node, transform.TreeIdentity, error) {
		n := c.Node
		if _, ok := c.Parent.(*alterSearch); ok {
			return n, transform.SameTree, nil // wrapped on an earlier pass
		}
		switch x := n.(type) {
		case *plan.AddColumn:
			return wrapped(wrapAlter(a.ExecBuilder, x, x.Table, x.Db))
		case *plan.DropColumn:
			return wrapped(wrapAlter(a.ExecBuilder, x, x.Table, x.Db))
		case *plan.ModifyColumn:
			return wrapped(wrapAlter(a.ExecBuilder, x, x.Table, x.Db))
		case *plan.AlterPK:
			return wrapped(wrapAlter(a.ExecBuilder, x, x.Table, x.Db))
		case *plan.AlterIndex:
			if x.Action != plan.IndexAction_Create || x.Constraint != sql.IndexConstraint_Fulltext {
				return n, transform.SameTree, nil
			}
			t, ok := storageTable(x.Table)
			if !ok {
				return n, transform.SameTree, nil
			}
			def := sql.IndexDef{Name: x.IndexName, Columns: x.Columns, Constraint: x.Constraint, Storage: x.Using, Comment: x.Comment}
			return &createSearch{table: t, defs: sql.IndexDefs{&def}}, transform.NewTree, nil
		case *plan.CreateTable:
			var ft, rest sql.IndexDefs
			for _, d := range x.Indexes() {
				if d.IsFullText() {
					ft = append(ft, d)
				} else {
					rest = append(rest, d)
				}
			}
			if len(ft) == 0 {
				return n, transform.SameTree, nil
			}
			ct, err := x.WithIndexDefs(rest)
			if err != nil {
				return nil, transform.SameTree, err
			}
			return &createSearch{create: ct, defs: ft, exec: a.ExecBuilder}, transform.NewTree, nil
		}
		return n, transform.SameTree, nil
	})
}

func wrapped(n sql.Node, changed bool, err error) (sql.Node, transform.TreeIdentity, error) {
	if err != nil || !changed {
		return n, transform.SameTree, err
	}
	return n, transform.NewTree, nil
}

func storageTable(n sql.Node) (*storage.Table, bool) {
	tn, ok := n.(sql.TableNode)
	if !ok {
		return nil, false
	}
	return storage.AsTable(tn.UnderlyingTable())
}

// createSearch creates search indexes: on an existing table, or on the
// table a wrapped CREATE TABLE creates.
type createSearch struct {
	table  *storage.Table
	create *plan.CreateTable
	exec   sql.NodeExecBuilder
	defs   sql.IndexDefs
}

var _ sql.ExecSourceRel = (*createSearch)(nil)

func (c *createSearch) Resolved() bool     { return true }
func (c *createSearch) IsReadOnly() bool   { return false }
func (c *createSearch) Schema() sql.Schema { return types.OkResultSchema }
func (c *createSearch) String() string {
	names := make([]string, len(c.defs))
	for i, d := range c.defs {
		names[i] = d.Name
	}
	if c.create != nil {
		return fmt.Sprintf("CreateTable(%s) + search indexes %s", c.create.Name(), strings.Join(names, ","))
	}
	return fmt.Sprintf("CreateSearchIndex(%s on %s)", strings.Join(names, ","), c.table.Name())
}
func (c *createSearch) Children() []sql.Node {
	if c.create != nil {
		return []sql.Node{c.create}
	}
	return nil
}
func (c *createSearch) WithChildren(ch ...sql.Node) (sql.Node, error) {
	nc := *c
	if c.create == nil {
		if len(ch) != 0 {
			return nil, sql.ErrInvalidChildrenNumber.New(c, len(ch), 0)
		}
		return &nc, nil
	}
	if len(ch) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(c, len(ch), 1)
	}
	ct, ok := ch[0].(*plan.CreateTable)
	if !ok {
		return nil, fmt.Errorf("searchplan: unexpected child %T", ch[0])
	}
	nc.create = ct
	return &nc, nil
}

// RowIter implements sql.ExecSourceRel.
func (c *createSearch) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	t := c.table
	if c.create != nil {
		db := c.create.Db
		existed := false
		if c.create.IfNotExists() {
			_, existed, _ = db.GetTableInsensitive(ctx, c.create.Name())
		}
		it, err := c.exec.Build(ctx, c.create, row)
		if err != nil {
			return nil, err
		}
		if err := drain(ctx, it); err != nil {
			return nil, err
		}
		if existed {
			return sql.RowsToRowIter(sql.NewRow(types.NewOkResult(0))), nil
		}
		tbl, ok, err := db.GetTableInsensitive(ctx, c.create.Name())
		if err != nil {
			return nil, err
		}
		if t, ok = storage.AsTable(tbl); !ok {
			return nil, sql.ErrFullTextNotSupported.New()
		}
	}
	for _, d := range c.defs {
		def := *d
		if def.Name == "" {
			def.Name = defaultName(t, def)
		}
		if err := t.CreateSearchIndex(ctx, def); err != nil {
			if c.create != nil {
				if dropper, ok := c.create.Db.(sql.TableDropper); ok {
					_ = dropper.DropTable(ctx, c.create.Name())
				}
			}
			return nil, err
		}
	}
	return sql.RowsToRowIter(sql.NewRow(types.NewOkResult(0))), nil
}

// defaultName names an unnamed index like MySQL: its first column, with
// _2, _3 ... on collision.
func defaultName(t *storage.Table, d sql.IndexDef) string {
	base := d.Columns[0].Name
	taken := map[string]bool{}
	for _, s := range t.SearchIndexDefs() {
		taken[strings.ToLower(s.Name)] = true
	}
	name := base
	for i := 2; taken[strings.ToLower(name)]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	return name
}

func drain(ctx *sql.Context, it sql.RowIter) error {
	for {
		_, err := it.Next(ctx)
		if err == io.EOF {
			return it.Close(ctx)
		}
		if err != nil {
			_ = it.Close(ctx)
			return err
		}
	}
}
