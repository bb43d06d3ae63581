package catalog

import (
	"fmt"
	"math"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
)

// Database is the persisted description of a database.
type Database struct {
	// ID is assigned by the storage layer; the catalog never allocates it.
	ID        uint32
	Name      string
	Collation sql.CollationID
}

// Table is the persisted description of a table. It is a plain value with
// no internal locking: callers serialize access, and can apply a change to a
// Clone and swap it in once the change is persisted.
type Table struct {
	// ID is assigned by the storage layer; the catalog never allocates it.
	ID        uint32
	Name      string
	Comment   string
	Collation sql.CollationID

	// Columns in ordinal order.
	Columns []Column
	// NextColumnID is the ID the next added column receives. Column IDs start
	// at 1 and are never reused within the table.
	NextColumnID uint32

	// PrimaryKey holds the ordinals (indexes into Columns) of the primary key
	// columns, in key order. Empty means the table is keyless and the storage
	// layer supplies a hidden row id.
	PrimaryKey []int
	// PKPrefixLengths is nil when no primary key column has a prefix length;
	// otherwise it has one entry per PrimaryKey entry, 0 meaning "whole value".
	PKPrefixLengths []uint16

	// Indexes are the secondary indexes, in creation order.
	Indexes []Index
	// NextIndexID is the ID the next added index receives. Index IDs start at
	// 1 (0 is never assigned, so the storage layer may use it for the primary
	// data) and are never reused within the table.
	NextIndexID uint32

	Checks      []Check
	ForeignKeys []ForeignKey

	// Version is bumped by every schema change made through Table methods.
	Version uint64

	// Created is when the table was created or last changed by DDL, in Unix
	// seconds, as MySQL's information_schema.TABLES.CREATE_TIME reports it
	// (Vitess's schema tracking watches it for changes). 0 means unknown
	// (tables created before the field existed).
	Created int64
}

// Column is the persisted description of a column.
type Column struct {
	// ID is stable for the life of the column, across renames, type changes
	// and reorderings.
	ID   uint32
	Name string
	// Type is canonical SQL type text, see TypeString and ParseType.
	Type     string
	Nullable bool
	// Default, Generated and OnUpdate hold expression text (see ExprString);
	// "" means none.
	Default       string
	Generated     string
	OnUpdate      string
	Virtual       bool
	AutoIncrement bool
	Comment       string
	Extra         string
}

// Index is the persisted description of a secondary index.
type Index struct {
	// ID is stable for the life of the index, across renames.
	ID      uint32
	Name    string
	Columns []IndexColumn
	Unique  bool
	Spatial bool
	// FullText and Vector indexes are stored as declared; maintaining them is
	// up to the storage layer.
	FullText bool
	Vector   bool
	Using    sql.IndexUsing
	Comment  string
	// Disabled is set by ALTER TABLE ... DISABLE KEYS on a non-unique
	// index: it is not maintained and not read until ENABLE KEYS builds it.
	Disabled bool
}

// IndexColumn is one column of an index. ColumnID is authoritative; Name is
// kept in step with the column's current name by the Table methods.
type IndexColumn struct {
	ColumnID uint32
	Name     string
	// Length is the prefix length; 0 means the whole value.
	Length uint16
}

// Check is a persisted check constraint (sql.CheckDefinition).
type Check struct {
	Name       string
	Expression string
	Enforced   bool
}

// ForeignKey is a persisted foreign key (sql.ForeignKeyConstraint), declared
// on the table that holds it (the child).
type ForeignKey struct {
	Name           string
	Database       string
	SchemaName     string
	Table          string
	Columns        []string
	ParentDatabase string
	ParentSchema   string
	ParentTable    string
	ParentColumns  []string
	OnUpdate       sql.ForeignKeyReferentialAction
	OnDelete       sql.ForeignKeyReferentialAction
	IsResolved     bool
}

// NewTable builds a table from the arguments GMS passes to
// sql.TableCreator.CreateTable. Columns receive IDs 1..n in schema order. The
// primary key follows sch.PkOrdinals.
func NewTable(name string, sch sql.PrimaryKeySchema, collation sql.CollationID, comment string) (*Table, error) {
	if name == "" {
		return nil, fmt.Errorf("catalog: table name is empty")
	}
	if len(sch.Schema) == 0 {
		return nil, fmt.Errorf("catalog: table %q has no columns", name)
	}
	t := &Table{
		Name:         name,
		Comment:      comment,
		Collation:    collation,
		NextColumnID: 1,
		NextIndexID:  1,
	}
	for _, sc := range sch.Schema {
		if sc == nil {
			return nil, fmt.Errorf("catalog: table %q has a nil column", name)
		}
		if t.ColumnIndex(sc.Name) >= 0 {
			return nil, sql.ErrDuplicateColumn.New(sc.Name)
		}
		c, err := ColumnFromSQL(sc)
		if err != nil {
			return nil, fmt.Errorf("catalog: table %q column %q: %w", name, sc.Name, err)
		}
		c.ID = t.NextColumnID
		t.NextColumnID++
		t.Columns = append(t.Columns, c)
	}
	pk, err := primaryKeyOrdinals(sch)
	if err != nil {
		return nil, fmt.Errorf("catalog: table %q: %w", name, err)
	}
	t.PrimaryKey = pk
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// NewIndexedTable builds a table from the arguments GMS passes to
// sql.IndexedTableCreator.CreateIndexedTable: pk is the PRIMARY index
// definition and carries the primary key prefix lengths. GMS does not pass a
// table comment on this path; comment is accepted so a caller that learns it
// elsewhere can keep it.
func NewIndexedTable(name string, sch sql.PrimaryKeySchema, pk sql.IndexDef, collation sql.CollationID, comment string) (*Table, error) {
	t, err := NewTable(name, sch, collation, comment)
	if err != nil {
		return nil, err
	}
	if len(pk.Columns) != len(t.PrimaryKey) {
		return nil, fmt.Errorf("catalog: table %q: primary key definition has %d columns, schema has %d",
			name, len(pk.Columns), len(t.PrimaryKey))
	}
	lengths := make([]uint16, len(pk.Columns))
	for i, ic := range pk.Columns {
		if !strings.EqualFold(ic.Name, t.Columns[t.PrimaryKey[i]].Name) {
			return nil, fmt.Errorf("catalog: table %q: primary key definition column %d is %q, schema has %q",
				name, i, ic.Name, t.Columns[t.PrimaryKey[i]].Name)
		}
		l, err := prefixLength(ic.Length)
		if err != nil {
			return nil, err
		}
		lengths[i] = l
	}
	t.PKPrefixLengths = normalizeLengths(lengths)
	return t, nil
}

func primaryKeyOrdinals(sch sql.PrimaryKeySchema) ([]int, error) {
	var pk []int
	if len(sch.PkOrdinals) == 0 {
		for i, c := range sch.Schema {
			if c.PrimaryKey {
				pk = append(pk, i)
			}
		}
		return pk, nil
	}
	inPK := make(map[int]bool, len(sch.PkOrdinals))
	for _, o := range sch.PkOrdinals {
		if o < 0 || o >= len(sch.Schema) {
			return nil, fmt.Errorf("primary key ordinal %d out of range", o)
		}
		if inPK[o] {
			return nil, fmt.Errorf("primary key ordinal %d repeated", o)
		}
		inPK[o] = true
		pk = append(pk, o)
	}
	for i, c := range sch.Schema {
		if c.PrimaryKey && !inPK[i] {
			return nil, fmt.Errorf("column %q is flagged as primary key but is not in the key ordinals", c.Name)
		}
	}
	return pk, nil
}

func prefixLength(l int64) (uint16, error) {
	if l < 0 || l > math.MaxUint16 {
		return 0, fmt.Errorf("catalog: index prefix length %d out of range", l)
	}
	return uint16(l), nil
}

// normalizeLengths returns nil when every length is zero, so "no prefix
// lengths" has a single representation.
func normalizeLengths(ls []uint16) []uint16 {
	for _, l := range ls {
		if l != 0 {
			return ls
		}
	}
	return nil
}

// ColumnFromSQL converts a GMS column into a catalog column. The ID is left
// zero; Table methods assign it. The primary key flag is not part of Column
// (see Table.PrimaryKey).
func ColumnFromSQL(c *sql.Column) (Column, error) {
	if c.Name == "" {
		return Column{}, fmt.Errorf("catalog: column name is empty")
	}
	typ, err := TypeString(c.Type)
	if err != nil {
		return Column{}, err
	}
	def, err := ExprString(c.Default)
	if err != nil {
		return Column{}, fmt.Errorf("default: %w", err)
	}
	gen, err := ExprString(c.Generated)
	if err != nil {
		return Column{}, fmt.Errorf("generated expression: %w", err)
	}
	onUpdate, err := ExprString(c.OnUpdate)
	if err != nil {
		return Column{}, fmt.Errorf("on update expression: %w", err)
	}
	return Column{
		Name:          c.Name,
		Type:          typ,
		Nullable:      c.Nullable,
		Default:       def,
		Generated:     gen,
		OnUpdate:      onUpdate,
		Virtual:       c.Virtual,
		AutoIncrement: c.AutoIncrement,
		Comment:       c.Comment,
		Extra:         c.Extra,
	}, nil
}

// SQLColumn rebuilds the GMS column. Defaults, generated and ON UPDATE
// expressions come back unresolved (see package documentation).
func (c *Column) SQLColumn(tableName, dbName string, primaryKey bool) (*sql.Column, error) {
	typ, err := ParseType(c.Type)
	if err != nil {
		return nil, fmt.Errorf("catalog: column %q: %w", c.Name, err)
	}
	return &sql.Column{
		Name:           c.Name,
		Type:           typ,
		Default:        unresolvedExpr(c.Default),
		AutoIncrement:  c.AutoIncrement,
		Nullable:       c.Nullable,
		Source:         tableName,
		DatabaseSource: dbName,
		PrimaryKey:     primaryKey,
		Comment:        c.Comment,
		Extra:          c.Extra,
		Generated:      unresolvedExpr(c.Generated),
		Virtual:        c.Virtual,
		OnUpdate:       unresolvedExpr(c.OnUpdate),
	}, nil
}

// Schema rebuilds the GMS schema of the table, with Source set to the table
// name and DatabaseSource to dbName. ctx may be nil; it is accepted for
// symmetry with GMS APIs.
func (t *Table) Schema(ctx *sql.Context, dbName string) (sql.PrimaryKeySchema, error) {
	_ = ctx
	inPK := make(map[int]bool, len(t.PrimaryKey))
	for _, o := range t.PrimaryKey {
		inPK[o] = true
	}
	sch := make(sql.Schema, len(t.Columns))
	for i := range t.Columns {
		c, err := t.Columns[i].SQLColumn(t.Name, dbName, inPK[i])
		if err != nil {
			return sql.PrimaryKeySchema{}, fmt.Errorf("catalog: table %q: %w", t.Name, err)
		}
		sch[i] = c
	}
	ords := make([]int, len(t.PrimaryKey))
	copy(ords, t.PrimaryKey)
	return sql.NewPrimaryKeySchema(sch, ords...), nil
}

// ColumnIndex returns the ordinal of the named column (case-insensitive), or
// -1.
func (t *Table) ColumnIndex(name string) int {
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, name) {
			return i
		}
	}
	return -1
}

// ColumnByID returns the ordinal of the column with the given ID, or -1.
func (t *Table) ColumnByID(id uint32) int {
	for i := range t.Columns {
		if t.Columns[i].ID == id {
			return i
		}
	}
	return -1
}

// IsPrimaryKeyColumn reports whether the column at ordinal i is part of the
// primary key.
func (t *Table) IsPrimaryKeyColumn(i int) bool {
	for _, o := range t.PrimaryKey {
		if o == i {
			return true
		}
	}
	return false
}

// PrimaryKeyColumnIDs returns the IDs of the primary key columns in key
// order.
func (t *Table) PrimaryKeyColumnIDs() []uint32 {
	ids := make([]uint32, len(t.PrimaryKey))
	for i, o := range t.PrimaryKey {
		ids[i] = t.Columns[o].ID
	}
	return ids
}

// PrimaryKeyDef returns the primary key as the sql.IndexDef GMS uses for it
// (name PRIMARY, constraint IndexConstraint_Primary). ok is false for a
// keyless table.
func (t *Table) PrimaryKeyDef() (def sql.IndexDef, ok bool) {
	if len(t.PrimaryKey) == 0 {
		return sql.IndexDef{}, false
	}
	cols := make([]sql.IndexColumn, len(t.PrimaryKey))
	for i, o := range t.PrimaryKey {
		cols[i] = sql.IndexColumn{Name: t.Columns[o].Name}
		if t.PKPrefixLengths != nil {
			cols[i].Length = int64(t.PKPrefixLengths[i])
		}
	}
	return sql.IndexDef{
		Name:       "PRIMARY",
		Columns:    cols,
		Constraint: sql.IndexConstraint_Primary,
		Storage:    sql.IndexUsing_Default,
	}, true
}

// PrimaryKeyExpressions returns the primary key columns in the
// "table.column" form of sql.Index.Expressions.
func (t *Table) PrimaryKeyExpressions() []string {
	exprs := make([]string, len(t.PrimaryKey))
	for i, o := range t.PrimaryKey {
		exprs[i] = t.Name + "." + t.Columns[o].Name
	}
	return exprs
}

// Index returns the named secondary index (case-insensitive).
func (t *Table) Index(name string) (*Index, bool) {
	for i := range t.Indexes {
		if strings.EqualFold(t.Indexes[i].Name, name) {
			return &t.Indexes[i], true
		}
	}
	return nil, false
}

// IndexByID returns the secondary index with the given ID.
func (t *Table) IndexByID(id uint32) (*Index, bool) {
	for i := range t.Indexes {
		if t.Indexes[i].ID == id {
			return &t.Indexes[i], true
		}
	}
	return nil, false
}

// IndexesUsingColumn returns the IDs of the secondary indexes that contain
// the column with the given ID; after a change to that column's type their
// entries have to be rebuilt.
func (t *Table) IndexesUsingColumn(columnID uint32) []uint32 {
	var ids []uint32
	for i := range t.Indexes {
		for _, ic := range t.Indexes[i].Columns {
			if ic.ColumnID == columnID {
				ids = append(ids, t.Indexes[i].ID)
				break
			}
		}
	}
	return ids
}

// IndexExpressions returns the index's columns in the form GMS expects from
// sql.Index.Expressions: "table.column", with the table's and the column's
// declared spelling (as the GMS in-memory engine returns them).
func (t *Table) IndexExpressions(idx *Index) []string {
	exprs := make([]string, len(idx.Columns))
	for i, ic := range idx.Columns {
		exprs[i] = t.Name + "." + ic.Name
	}
	return exprs
}

// IndexDef converts the index into the sql.IndexDef form GMS uses in
// sql.IndexAlterableTable.CreateIndex.
func (idx *Index) IndexDef() sql.IndexDef {
	cols := make([]sql.IndexColumn, len(idx.Columns))
	for i, ic := range idx.Columns {
		cols[i] = sql.IndexColumn{Name: ic.Name, Length: int64(ic.Length)}
	}
	return sql.IndexDef{
		Name:       idx.Name,
		Columns:    cols,
		Constraint: idx.Constraint(),
		Storage:    idx.Using,
		Comment:    idx.Comment,
	}
}

// Constraint returns the index kind as a sql.IndexConstraint.
func (idx *Index) Constraint() sql.IndexConstraint {
	switch {
	case idx.Unique:
		return sql.IndexConstraint_Unique
	case idx.FullText:
		return sql.IndexConstraint_Fulltext
	case idx.Spatial:
		return sql.IndexConstraint_Spatial
	case idx.Vector:
		return sql.IndexConstraint_Vector
	default:
		return sql.IndexConstraint_None
	}
}

// PrefixLengths returns the per-column prefix lengths as sql.Index does: nil
// when no column has a prefix length.
func (idx *Index) PrefixLengths() []uint16 {
	ls := make([]uint16, len(idx.Columns))
	for i, ic := range idx.Columns {
		ls[i] = ic.Length
	}
	return normalizeLengths(ls)
}

// CheckFromSQL converts a GMS check definition.
func CheckFromSQL(c sql.CheckDefinition) Check {
	return Check{Name: c.Name, Expression: c.CheckExpression, Enforced: c.Enforced}
}

// CheckDefinition converts the check back into its GMS form.
func (c Check) CheckDefinition() sql.CheckDefinition {
	return sql.CheckDefinition{Name: c.Name, CheckExpression: c.Expression, Enforced: c.Enforced}
}

// CheckDefinitions returns the table's checks in their GMS form.
func (t *Table) CheckDefinitions() []sql.CheckDefinition {
	out := make([]sql.CheckDefinition, len(t.Checks))
	for i, c := range t.Checks {
		out[i] = c.CheckDefinition()
	}
	return out
}

// ForeignKeyFromSQL converts a GMS foreign key.
func ForeignKeyFromSQL(fk sql.ForeignKeyConstraint) ForeignKey {
	return ForeignKey{
		Name:           fk.Name,
		Database:       fk.Database,
		SchemaName:     fk.SchemaName,
		Table:          fk.Table,
		Columns:        cloneStrings(fk.Columns),
		ParentDatabase: fk.ParentDatabase,
		ParentSchema:   fk.ParentSchema,
		ParentTable:    fk.ParentTable,
		ParentColumns:  cloneStrings(fk.ParentColumns),
		OnUpdate:       fk.OnUpdate,
		OnDelete:       fk.OnDelete,
		IsResolved:     fk.IsResolved,
	}
}

// ForeignKeyConstraint converts the foreign key back into its GMS form.
func (fk ForeignKey) ForeignKeyConstraint() sql.ForeignKeyConstraint {
	return sql.ForeignKeyConstraint{
		Name:           fk.Name,
		Database:       fk.Database,
		SchemaName:     fk.SchemaName,
		Table:          fk.Table,
		Columns:        cloneStrings(fk.Columns),
		ParentDatabase: fk.ParentDatabase,
		ParentSchema:   fk.ParentSchema,
		ParentTable:    fk.ParentTable,
		ParentColumns:  cloneStrings(fk.ParentColumns),
		OnUpdate:       fk.OnUpdate,
		OnDelete:       fk.OnDelete,
		IsResolved:     fk.IsResolved,
	}
}

// ForeignKeyConstraints returns the foreign keys declared on the table in
// their GMS form.
func (t *Table) ForeignKeyConstraints() []sql.ForeignKeyConstraint {
	out := make([]sql.ForeignKeyConstraint, len(t.ForeignKeys))
	for i, fk := range t.ForeignKeys {
		out[i] = fk.ForeignKeyConstraint()
	}
	return out
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	out := make([]string, len(s))
	copy(out, s)
	return out
}

// Clone returns a deep copy of the table, so a caller can apply a change to
// the copy and keep the original if persisting the change fails.
func (t *Table) Clone() *Table {
	c := *t
	c.Columns = append([]Column(nil), t.Columns...)
	c.PrimaryKey = append([]int(nil), t.PrimaryKey...)
	if t.PKPrefixLengths != nil {
		c.PKPrefixLengths = append([]uint16(nil), t.PKPrefixLengths...)
	}
	c.Indexes = make([]Index, len(t.Indexes))
	for i, idx := range t.Indexes {
		idx.Columns = append([]IndexColumn(nil), idx.Columns...)
		c.Indexes[i] = idx
	}
	c.Checks = append([]Check(nil), t.Checks...)
	c.ForeignKeys = make([]ForeignKey, len(t.ForeignKeys))
	for i, fk := range t.ForeignKeys {
		fk.Columns = cloneStrings(fk.Columns)
		fk.ParentColumns = cloneStrings(fk.ParentColumns)
		c.ForeignKeys[i] = fk
	}
	if len(c.Columns) == 0 {
		c.Columns = nil
	}
	if len(c.PrimaryKey) == 0 {
		c.PrimaryKey = nil
	}
	if len(c.Indexes) == 0 {
		c.Indexes = nil
	}
	if len(c.Checks) == 0 {
		c.Checks = nil
	}
	if len(c.ForeignKeys) == 0 {
		c.ForeignKeys = nil
	}
	return &c
}

// Validate checks the table's invariants: unique, nonzero IDs below the
// next-ID counters, unique names (case-insensitive), primary key and index
// columns that exist, and consistent prefix lengths.
func (t *Table) Validate() error {
	if t.Name == "" {
		return fmt.Errorf("catalog: table name is empty")
	}
	if len(t.Columns) == 0 {
		return fmt.Errorf("catalog: table %q has no columns", t.Name)
	}
	ids := make(map[uint32]int, len(t.Columns))
	names := make(map[string]bool, len(t.Columns))
	for i, c := range t.Columns {
		if c.ID == 0 || c.ID >= t.NextColumnID {
			return fmt.Errorf("catalog: table %q column %q has ID %d outside [1,%d)", t.Name, c.Name, c.ID, t.NextColumnID)
		}
		if _, dup := ids[c.ID]; dup {
			return fmt.Errorf("catalog: table %q has two columns with ID %d", t.Name, c.ID)
		}
		ids[c.ID] = i
		if c.Name == "" {
			return fmt.Errorf("catalog: table %q has a column without a name", t.Name)
		}
		ln := strings.ToLower(c.Name)
		if names[ln] {
			return fmt.Errorf("catalog: table %q has two columns named %q", t.Name, c.Name)
		}
		names[ln] = true
		if c.Type == "" {
			return fmt.Errorf("catalog: table %q column %q has no type", t.Name, c.Name)
		}
	}
	seen := make(map[int]bool, len(t.PrimaryKey))
	for _, o := range t.PrimaryKey {
		if o < 0 || o >= len(t.Columns) {
			return fmt.Errorf("catalog: table %q primary key ordinal %d out of range", t.Name, o)
		}
		if seen[o] {
			return fmt.Errorf("catalog: table %q primary key repeats column %q", t.Name, t.Columns[o].Name)
		}
		seen[o] = true
	}
	if t.PKPrefixLengths != nil && len(t.PKPrefixLengths) != len(t.PrimaryKey) {
		return fmt.Errorf("catalog: table %q has %d primary key prefix lengths for %d key columns",
			t.Name, len(t.PKPrefixLengths), len(t.PrimaryKey))
	}
	idxIDs := make(map[uint32]bool, len(t.Indexes))
	idxNames := make(map[string]bool, len(t.Indexes))
	for _, idx := range t.Indexes {
		if idx.ID == 0 || idx.ID >= t.NextIndexID {
			return fmt.Errorf("catalog: table %q index %q has ID %d outside [1,%d)", t.Name, idx.Name, idx.ID, t.NextIndexID)
		}
		if idxIDs[idx.ID] {
			return fmt.Errorf("catalog: table %q has two indexes with ID %d", t.Name, idx.ID)
		}
		idxIDs[idx.ID] = true
		if idx.Name == "" || strings.EqualFold(idx.Name, "PRIMARY") {
			return fmt.Errorf("catalog: table %q has an index with invalid name %q", t.Name, idx.Name)
		}
		ln := strings.ToLower(idx.Name)
		if idxNames[ln] {
			return fmt.Errorf("catalog: table %q has two indexes named %q", t.Name, idx.Name)
		}
		idxNames[ln] = true
		if len(idx.Columns) == 0 {
			return fmt.Errorf("catalog: table %q index %q has no columns", t.Name, idx.Name)
		}
		cols := make(map[uint32]bool, len(idx.Columns))
		for _, ic := range idx.Columns {
			o, ok := ids[ic.ColumnID]
			if !ok {
				return fmt.Errorf("catalog: table %q index %q refers to unknown column ID %d", t.Name, idx.Name, ic.ColumnID)
			}
			if t.Columns[o].Name != ic.Name {
				return fmt.Errorf("catalog: table %q index %q names column %d %q, the column is %q",
					t.Name, idx.Name, ic.ColumnID, ic.Name, t.Columns[o].Name)
			}
			if cols[ic.ColumnID] {
				return fmt.Errorf("catalog: table %q index %q repeats column %q", t.Name, idx.Name, ic.Name)
			}
			cols[ic.ColumnID] = true
		}
	}
	checkNames := make(map[string]bool, len(t.Checks))
	for _, c := range t.Checks {
		ln := strings.ToLower(c.Name)
		if c.Name == "" || checkNames[ln] {
			return fmt.Errorf("catalog: table %q has a missing or repeated check name %q", t.Name, c.Name)
		}
		checkNames[ln] = true
	}
	fkNames := make(map[string]bool, len(t.ForeignKeys))
	for _, fk := range t.ForeignKeys {
		ln := strings.ToLower(fk.Name)
		if fk.Name == "" || fkNames[ln] {
			return fmt.Errorf("catalog: table %q has a missing or repeated foreign key name %q", t.Name, fk.Name)
		}
		fkNames[ln] = true
	}
	return nil
}
