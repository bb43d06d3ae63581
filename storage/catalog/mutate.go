package catalog

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
)

// Schema-changing methods. Each one either applies the whole change and bumps
// Version, or returns an error and leaves the table untouched. Column and
// index IDs are never changed or reused. The methods follow what GMS expects
// from the sql.AlterableTable, sql.IndexAlterableTable,
// sql.PrimaryKeyAlterableTable, sql.CheckAlterableTable and
// sql.ForeignKeyTable implementations they back; GMS performs the checks that
// involve other tables or row data (foreign keys, defaults referencing a
// dropped column, check constraints on a dropped column) before it calls the
// table.

// Rename renames the table. GMS updates the foreign keys that mention the old
// name (UpdateForeignKey) before it calls sql.TableRenamer.RenameTable.
func (t *Table) Rename(newName string) error {
	if newName == "" {
		return fmt.Errorf("catalog: table name is empty")
	}
	t.Name = newName
	t.Version++
	return nil
}

// SetComment changes the table comment.
func (t *Table) SetComment(comment string) {
	t.Comment = comment
	t.Version++
}

// SetCollation changes the table's default collation
// (sql.CollationAlterableTable.ModifyDefaultCollation). Existing columns keep
// their own collations, as in MySQL.
func (t *Table) SetCollation(c sql.CollationID) {
	t.Collation = c
	t.Version++
}

// insertPosition resolves a GMS column order against cols (which must not
// contain the column being placed). A nil order means "at the end".
func insertPosition(tableName string, cols []Column, order *sql.ColumnOrder) (int, error) {
	switch {
	case order == nil:
		return len(cols), nil
	case order.First:
		return 0, nil
	default:
		for i := range cols {
			if strings.EqualFold(cols[i].Name, order.AfterColumn) {
				return i + 1, nil
			}
		}
		return 0, sql.ErrTableColumnNotFound.New(tableName, order.AfterColumn)
	}
}

// ordinalsFor maps column IDs to ordinals in cols.
func ordinalsFor(cols []Column, ids []uint32) []int {
	if len(ids) == 0 {
		return nil
	}
	pos := make(map[uint32]int, len(cols))
	for i := range cols {
		pos[cols[i].ID] = i
	}
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = pos[id]
	}
	return out
}

// AddColumn adds a column (sql.AlterableTable.AddColumn) at the position given
// by order (nil: last) and returns it with its new ID. A column flagged
// PrimaryKey becomes the primary key of a keyless table (ALTER TABLE ... ADD
// COLUMN ... PRIMARY KEY); on a table that already has one it is an error.
func (t *Table) AddColumn(col *sql.Column, order *sql.ColumnOrder) (Column, error) {
	if col == nil {
		return Column{}, fmt.Errorf("catalog: nil column")
	}
	if t.ColumnIndex(col.Name) >= 0 {
		return Column{}, sql.ErrColumnExists.New(col.Name)
	}
	if col.PrimaryKey && len(t.PrimaryKey) > 0 {
		return Column{}, sql.ErrMultiplePrimaryKeysDefined.New()
	}
	c, err := ColumnFromSQL(col)
	if err != nil {
		return Column{}, err
	}
	if col.PrimaryKey {
		c.Nullable = false
	}
	pos, err := insertPosition(t.Name, t.Columns, order)
	if err != nil {
		return Column{}, err
	}
	c.ID = t.NextColumnID
	pk := t.PrimaryKeyColumnIDs()
	if col.PrimaryKey {
		pk = []uint32{c.ID}
	}

	cols := make([]Column, 0, len(t.Columns)+1)
	cols = append(cols, t.Columns[:pos]...)
	cols = append(cols, c)
	cols = append(cols, t.Columns[pos:]...)

	t.Columns = cols
	t.NextColumnID++
	t.PrimaryKey = ordinalsFor(cols, pk)
	t.Version++
	return c, nil
}

// DropColumnResult reports what Table.DropColumn changed besides removing
// the column.
type DropColumnResult struct {
	// Column is the removed column and Ordinal its former position.
	Column  Column
	Ordinal int
	// DroppedIndexes are the indexes removed because the column was their
	// only column.
	DroppedIndexes []Index
	// ShrunkIndexes are the IDs of indexes that lost the column; their
	// entries must be rebuilt.
	ShrunkIndexes []uint32
	// PrimaryKeyChanged is true when the column was part of the primary key,
	// which lost it (and is gone if it was the only key column).
	PrimaryKeyChanged bool
}

// DropColumn removes a column (sql.AlterableTable.DropColumn). As in MySQL,
// the column is removed from every index that contains it and an index left
// without columns is dropped; the same applies to the primary key. GMS has
// already rejected the drop if a foreign key or another column's default uses
// the column, and has dropped the check constraints that mention it
// (DropCheck), before it calls the table. The last column of a table cannot
// be dropped.
func (t *Table) DropColumn(name string) (DropColumnResult, error) {
	ord := t.ColumnIndex(name)
	if ord < 0 {
		return DropColumnResult{}, sql.ErrTableColumnNotFound.New(t.Name, name)
	}
	if len(t.Columns) == 1 {
		return DropColumnResult{}, fmt.Errorf("catalog: cannot drop column %q, the only column of table %q; use DROP TABLE instead", name, t.Name)
	}
	dropped := t.Columns[ord]
	res := DropColumnResult{Column: dropped, Ordinal: ord}

	var pk []uint32
	var pkLens []uint16
	for i, id := range t.PrimaryKeyColumnIDs() {
		if id == dropped.ID {
			res.PrimaryKeyChanged = true
			continue
		}
		pk = append(pk, id)
		if t.PKPrefixLengths != nil {
			pkLens = append(pkLens, t.PKPrefixLengths[i])
		}
	}

	var indexes []Index
	for _, idx := range t.Indexes {
		var ics []IndexColumn
		for _, ic := range idx.Columns {
			if ic.ColumnID != dropped.ID {
				ics = append(ics, ic)
			}
		}
		switch {
		case len(ics) == 0:
			res.DroppedIndexes = append(res.DroppedIndexes, idx)
		case len(ics) != len(idx.Columns):
			idx.Columns = ics
			res.ShrunkIndexes = append(res.ShrunkIndexes, idx.ID)
			indexes = append(indexes, idx)
		default:
			indexes = append(indexes, idx)
		}
	}

	cols := make([]Column, 0, len(t.Columns)-1)
	cols = append(cols, t.Columns[:ord]...)
	cols = append(cols, t.Columns[ord+1:]...)

	t.Columns = cols
	t.PrimaryKey = ordinalsFor(cols, pk)
	t.PKPrefixLengths = normalizeLengths(pkLens)
	t.Indexes = indexes
	t.Version++
	return res, nil
}

// ModifyColumn replaces a column's definition (sql.AlterableTable.ModifyColumn,
// used by GMS for MODIFY, CHANGE and RENAME COLUMN and for column default
// changes). The column keeps its ID and its primary key membership (a key
// column stays NOT NULL); index entries follow a rename. order nil keeps the
// column where it is. It returns the new column; if its type changed, the
// indexes listed by IndexesUsingColumn need rebuilding.
func (t *Table) ModifyColumn(oldName string, col *sql.Column, order *sql.ColumnOrder) (Column, error) {
	if col == nil {
		return Column{}, fmt.Errorf("catalog: nil column")
	}
	ord := t.ColumnIndex(oldName)
	if ord < 0 {
		return Column{}, sql.ErrTableColumnNotFound.New(t.Name, oldName)
	}
	if other := t.ColumnIndex(col.Name); other >= 0 && other != ord {
		return Column{}, sql.ErrColumnExists.New(col.Name)
	}
	c, err := ColumnFromSQL(col)
	if err != nil {
		return Column{}, err
	}
	old := t.Columns[ord]
	c.ID = old.ID
	if t.IsPrimaryKeyColumn(ord) {
		c.Nullable = false
	}

	rest := make([]Column, 0, len(t.Columns))
	rest = append(rest, t.Columns[:ord]...)
	rest = append(rest, t.Columns[ord+1:]...)
	pos := ord
	if order != nil {
		if pos, err = insertPosition(t.Name, rest, order); err != nil {
			return Column{}, err
		}
	}
	pk := t.PrimaryKeyColumnIDs()

	cols := make([]Column, 0, len(t.Columns))
	cols = append(cols, rest[:pos]...)
	cols = append(cols, c)
	cols = append(cols, rest[pos:]...)

	t.Columns = cols
	t.PrimaryKey = ordinalsFor(cols, pk)
	if c.Name != old.Name {
		for i := range t.Indexes {
			for j := range t.Indexes[i].Columns {
				if t.Indexes[i].Columns[j].ColumnID == c.ID {
					t.Indexes[i].Columns[j].Name = c.Name
				}
			}
		}
	}
	t.Version++
	return c, nil
}

// RenameColumn renames a column, keeping everything else. GMS itself renames
// through ModifyColumn; this is a convenience for callers holding only names.
func (t *Table) RenameColumn(oldName, newName string) error {
	ord := t.ColumnIndex(oldName)
	if ord < 0 {
		return sql.ErrTableColumnNotFound.New(t.Name, oldName)
	}
	if newName == "" {
		return fmt.Errorf("catalog: column name is empty")
	}
	if other := t.ColumnIndex(newName); other >= 0 && other != ord {
		return sql.ErrColumnExists.New(newName)
	}
	id := t.Columns[ord].ID
	t.Columns[ord].Name = newName
	for i := range t.Indexes {
		for j := range t.Indexes[i].Columns {
			if t.Indexes[i].Columns[j].ColumnID == id {
				t.Indexes[i].Columns[j].Name = newName
			}
		}
	}
	t.Version++
	return nil
}

// SetPrimaryKey creates the primary key of a keyless table
// (sql.PrimaryKeyAlterableTable.CreatePrimaryKey). Key columns become NOT
// NULL, as GMS does when it rewrites the table.
func (t *Table) SetPrimaryKey(cols []sql.IndexColumn) error {
	if len(t.PrimaryKey) > 0 {
		return sql.ErrMultiplePrimaryKeysDefined.New()
	}
	if len(cols) == 0 {
		return fmt.Errorf("catalog: primary key without columns")
	}
	ords := make([]int, len(cols))
	lens := make([]uint16, len(cols))
	seen := make(map[int]bool, len(cols))
	for i, ic := range cols {
		o := t.ColumnIndex(ic.Name)
		if o < 0 {
			return sql.ErrKeyColumnDoesNotExist.New(ic.Name)
		}
		if seen[o] {
			return sql.ErrDuplicateColumn.New(ic.Name)
		}
		seen[o] = true
		l, err := prefixLength(ic.Length)
		if err != nil {
			return err
		}
		ords[i], lens[i] = o, l
	}
	for _, o := range ords {
		t.Columns[o].Nullable = false
	}
	t.PrimaryKey = ords
	t.PKPrefixLengths = normalizeLengths(lens)
	t.Version++
	return nil
}

// DropPrimaryKey removes the primary key
// (sql.PrimaryKeyAlterableTable.DropPrimaryKey); the table becomes keyless.
// The former key columns stay NOT NULL, as in MySQL. GMS validates foreign
// keys and auto_increment columns (sql.ValidatePrimaryKeyDrop) first.
func (t *Table) DropPrimaryKey() error {
	if len(t.PrimaryKey) == 0 {
		return sql.ErrCantDropFieldOrKey.New("PRIMARY")
	}
	t.PrimaryKey = nil
	t.PKPrefixLengths = nil
	t.Version++
	return nil
}

// AddIndex adds a secondary index from the definition GMS passes to
// sql.IndexAlterableTable.CreateIndex and returns it with its new ID. An
// empty name is replaced MySQL-style by the first column's name, suffixed
// _2, _3, ... if taken. The PRIMARY index is not a secondary index: use
// SetPrimaryKey.
func (t *Table) AddIndex(def sql.IndexDef) (Index, error) {
	if def.Constraint == sql.IndexConstraint_Primary || strings.EqualFold(def.Name, "PRIMARY") {
		return Index{}, fmt.Errorf("catalog: the primary key is not a secondary index; use SetPrimaryKey")
	}
	if len(def.Columns) == 0 {
		return Index{}, fmt.Errorf("catalog: index %q has no columns", def.Name)
	}
	idx := Index{
		Name:     def.Name,
		Unique:   def.Constraint == sql.IndexConstraint_Unique,
		Spatial:  def.Constraint == sql.IndexConstraint_Spatial,
		FullText: def.Constraint == sql.IndexConstraint_Fulltext,
		Vector:   def.Constraint == sql.IndexConstraint_Vector,
		Using:    def.Storage,
		Comment:  def.Comment,
	}
	seen := make(map[uint32]bool, len(def.Columns))
	for _, ic := range def.Columns {
		o := t.ColumnIndex(ic.Name)
		if o < 0 {
			return Index{}, sql.ErrKeyColumnDoesNotExist.New(ic.Name)
		}
		c := t.Columns[o]
		if seen[c.ID] {
			return Index{}, sql.ErrDuplicateColumn.New(ic.Name)
		}
		seen[c.ID] = true
		l, err := prefixLength(ic.Length)
		if err != nil {
			return Index{}, err
		}
		idx.Columns = append(idx.Columns, IndexColumn{ColumnID: c.ID, Name: c.Name, Length: l})
	}
	if idx.Name == "" {
		idx.Name = t.generateIndexName(idx.Columns[0].Name)
	} else if _, exists := t.Index(idx.Name); exists {
		return Index{}, sql.ErrDuplicateKey.New(idx.Name)
	}
	idx.ID = t.NextIndexID
	t.NextIndexID++
	t.Indexes = append(t.Indexes, idx)
	t.Version++
	return idx, nil
}

func (t *Table) generateIndexName(base string) string {
	name := base
	for i := 2; ; i++ {
		if _, exists := t.Index(name); !exists && !strings.EqualFold(name, "PRIMARY") {
			return name
		}
		name = fmt.Sprintf("%s_%d", base, i)
	}
}

// DropIndex removes a secondary index and returns it.
func (t *Table) DropIndex(name string) (Index, error) {
	for i := range t.Indexes {
		if strings.EqualFold(t.Indexes[i].Name, name) {
			idx := t.Indexes[i]
			t.Indexes = append(t.Indexes[:i:i], t.Indexes[i+1:]...)
			if len(t.Indexes) == 0 {
				t.Indexes = nil
			}
			t.Version++
			return idx, nil
		}
	}
	return Index{}, sql.ErrIndexNotFound.New(name)
}

// RenameIndex renames a secondary index; its ID does not change.
func (t *Table) RenameIndex(oldName, newName string) error {
	idx, ok := t.Index(oldName)
	if !ok {
		return sql.ErrIndexNotFound.New(oldName)
	}
	if newName == "" || strings.EqualFold(newName, "PRIMARY") {
		return fmt.Errorf("catalog: invalid index name %q", newName)
	}
	if other, exists := t.Index(newName); exists && other != idx {
		return sql.ErrDuplicateKey.New(newName)
	}
	idx.Name = newName
	t.Version++
	return nil
}

// AddCheck adds a check constraint (sql.CheckAlterableTable.CreateCheck). An
// empty name is replaced by "<table>_chk_<n>" as the GMS in-memory engine
// does. It returns the stored check.
func (t *Table) AddCheck(def sql.CheckDefinition) (Check, error) {
	c := CheckFromSQL(def)
	if c.Name == "" {
		for i := 1; ; i++ {
			name := fmt.Sprintf("%s_chk_%d", t.Name, i)
			if t.checkIndex(name) < 0 {
				c.Name = name
				break
			}
		}
	} else if t.checkIndex(c.Name) >= 0 {
		return Check{}, fmt.Errorf("catalog: check constraint %q already exists on table %q", c.Name, t.Name)
	}
	t.Checks = append(t.Checks, c)
	t.Version++
	return c, nil
}

func (t *Table) checkIndex(name string) int {
	for i := range t.Checks {
		if strings.EqualFold(t.Checks[i].Name, name) {
			return i
		}
	}
	return -1
}

// DropCheck removes a check constraint (sql.CheckAlterableTable.DropCheck).
func (t *Table) DropCheck(name string) error {
	i := t.checkIndex(name)
	if i < 0 {
		return sql.ErrUnknownConstraint.New(name)
	}
	t.Checks = append(t.Checks[:i:i], t.Checks[i+1:]...)
	if len(t.Checks) == 0 {
		t.Checks = nil
	}
	t.Version++
	return nil
}

func (t *Table) foreignKeyIndex(name string) int {
	for i := range t.ForeignKeys {
		if strings.EqualFold(t.ForeignKeys[i].Name, name) {
			return i
		}
	}
	return -1
}

// AddForeignKey adds a foreign key declared on this table
// (sql.ForeignKeyTable.AddForeignKey).
func (t *Table) AddForeignKey(fk sql.ForeignKeyConstraint) error {
	if fk.Name == "" {
		return fmt.Errorf("catalog: foreign key without a name")
	}
	if t.foreignKeyIndex(fk.Name) >= 0 {
		return sql.ErrForeignKeyDuplicateName.New(fk.Name)
	}
	t.ForeignKeys = append(t.ForeignKeys, ForeignKeyFromSQL(fk))
	t.Version++
	return nil
}

// DropForeignKey removes a foreign key (sql.ForeignKeyTable.DropForeignKey).
func (t *Table) DropForeignKey(name string) error {
	i := t.foreignKeyIndex(name)
	if i < 0 {
		return sql.ErrForeignKeyNotFound.New(name, t.Name)
	}
	t.ForeignKeys = append(t.ForeignKeys[:i:i], t.ForeignKeys[i+1:]...)
	if len(t.ForeignKeys) == 0 {
		t.ForeignKeys = nil
	}
	t.Version++
	return nil
}

// UpdateForeignKey replaces the named foreign key
// (sql.ForeignKeyTable.UpdateForeignKey); fk may carry a new name.
func (t *Table) UpdateForeignKey(name string, fk sql.ForeignKeyConstraint) error {
	i := t.foreignKeyIndex(name)
	if i < 0 {
		return sql.ErrForeignKeyNotFound.New(name, t.Name)
	}
	if fk.Name == "" {
		return fmt.Errorf("catalog: foreign key without a name")
	}
	if j := t.foreignKeyIndex(fk.Name); j >= 0 && j != i {
		return sql.ErrForeignKeyDuplicateName.New(fk.Name)
	}
	t.ForeignKeys[i] = ForeignKeyFromSQL(fk)
	t.Version++
	return nil
}

// SetForeignKeyResolved marks a foreign key as resolved
// (sql.ForeignKeyTable.SetForeignKeyResolved).
func (t *Table) SetForeignKeyResolved(name string) error {
	i := t.foreignKeyIndex(name)
	if i < 0 {
		return sql.ErrForeignKeyNotFound.New(name, t.Name)
	}
	t.ForeignKeys[i].IsResolved = true
	t.Version++
	return nil
}
