package searchplan

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

// alterSearch runs a column or primary-key change of a table with search
// indexes. GMS "rebuilds" FULLTEXT indexes after such changes by dropping
// them and creating its own pseudo-table implementation, which would lose
// Quarry's indexes. So the search indexes are dropped first, GMS runs the
// change on a table without them, and they are created again on the
// changed table, adjusted as MySQL adjusts them:
//   - DROP COLUMN removes the column from every index; an index left
//     without columns is dropped;
//   - MODIFY/CHANGE COLUMN follows a rename, and refuses a type that
//     cannot be full-text indexed before anything changes;
//   - ADD/DROP PRIMARY KEY re-keys the documents (a keyless table's rows
//     are keyed by a hash of their values).
//
// If GMS's change fails, the indexes are created again as they were.
type alterSearch struct {
	inner sql.Node
	table *storage.Table
	db    sql.Database
	exec  sql.NodeExecBuilder
}

var _ sql.ExecSourceRel = (*alterSearch)(nil)

func (a *alterSearch) Resolved() bool       { return a.inner.Resolved() }
func (a *alterSearch) IsReadOnly() bool     { return false }
func (a *alterSearch) Schema() sql.Schema   { return a.inner.Schema() }
func (a *alterSearch) String() string       { return "RebuildSearchIndexes(" + a.inner.String() + ")" }
func (a *alterSearch) Children() []sql.Node { return []sql.Node{a.inner} }
func (a *alterSearch) WithChildren(ch ...sql.Node) (sql.Node, error) {
	if len(ch) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(ch), 1)
	}
	na := *a
	na.inner = ch[0]
	return &na, nil
}

// wrapAlter wraps n, a change of table's columns or primary key, if the
// table has search indexes.
func wrapAlter(a sqlExec, n sql.Node, table sql.Node, db sql.Database) (sql.Node, bool, error) {
	t, ok := storageTable(table)
	if !ok || len(t.SearchIndexNames()) == 0 {
		return n, false, nil
	}
	return &alterSearch{inner: n, table: t, db: db, exec: a}, true, nil
}

type sqlExec = sql.NodeExecBuilder

// indexDefs returns the table's search indexes as index definitions: as
// they are, or (changed) as they must be after the change.
func (a *alterSearch) indexDefs(changed bool) (sql.IndexDefs, error) {
	var out sql.IndexDefs
	for _, d := range a.table.SearchIndexDefs() {
		var cols []sql.IndexColumn
		for _, c := range d.Columns {
			name := c.Name
			inner := a.inner
			if !changed {
				inner = nil
			}
			switch n := inner.(type) {
			case *plan.DropColumn:
				if strings.EqualFold(n.Column, name) {
					continue
				}
			case *plan.ModifyColumn:
				if strings.EqualFold(n.Column(), name) {
					nc := n.NewColumn()
					if !types.IsText(nc.Type) || types.IsBinaryType(nc.Type) {
						return nil, sql.ErrFullTextInvalidColumnType.New()
					}
					name = nc.Name
				}
			}
			cols = append(cols, sql.IndexColumn{Name: name})
		}
		if len(cols) == 0 {
			continue // MySQL drops an index whose columns are all gone
		}
		out = append(out, &sql.IndexDef{Name: d.Name, Columns: cols, Constraint: sql.IndexConstraint_Fulltext, Comment: d.Comment})
	}
	return out, nil
}

// RowIter implements sql.ExecSourceRel.
func (a *alterSearch) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	after, err := a.indexDefs(true)
	if err != nil {
		return nil, err
	}
	before, err := a.indexDefs(false)
	if err != nil {
		return nil, err
	}
	for _, d := range before {
		if err := a.table.DropIndex(ctx, d.Name); err != nil {
			return nil, err
		}
	}
	restore := func(cause error) error {
		t, err := a.currentTable(ctx)
		if err != nil {
			return fmt.Errorf("%w (and the FULLTEXT indexes of %s could not be restored: %v)", cause, a.table.Name(), err)
		}
		for _, d := range before {
			if err := t.CreateSearchIndex(ctx, *d); err != nil {
				return fmt.Errorf("%w (and the FULLTEXT index %s could not be restored: %v)", cause, d.Name, err)
			}
		}
		return cause
	}
	it, err := a.exec.Build(ctx, a.inner, row)
	if err != nil {
		return nil, restore(err)
	}
	rows, err := sql.RowIterToRows(ctx, it)
	if err != nil {
		return nil, restore(err)
	}
	t, err := a.currentTable(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range after {
		if err := t.CreateSearchIndex(ctx, *d); err != nil {
			return nil, fmt.Errorf("recreating FULLTEXT index %s of %s: %w", d.Name, t.Name(), err)
		}
	}
	return sql.RowsToRowIter(rows...), nil
}

// currentTable is the table as it is now (a change may have rewritten it).
func (a *alterSearch) currentTable(ctx *sql.Context) (*storage.Table, error) {
	tbl, ok, err := a.db.GetTableInsensitive(ctx, a.table.Name())
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sql.ErrTableNotFound.New(a.table.Name())
	}
	t, ok := storage.AsTable(tbl)
	if !ok {
		return nil, sql.ErrFullTextNotSupported.New()
	}
	return t, nil
}
