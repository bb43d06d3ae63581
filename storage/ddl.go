package storage

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/catalog"
	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/kv"
)

var (
	_ sql.AlterableTable           = (*Table)(nil)
	_ sql.RewritableTable          = (*Table)(nil)
	_ sql.IndexAlterableTable      = (*Table)(nil)
	_ sql.PrimaryKeyAlterableTable = (*Table)(nil)
	_ sql.CheckTable               = (*Table)(nil)
	_ sql.CheckAlterableTable      = (*Table)(nil)
	_ sql.ForeignKeyTable          = (*Table)(nil)
	_ sql.CollationAlterableTable  = (*Table)(nil)
)

// Schema changes are not transactional (MySQL commits implicitly around
// DDL). Each one persists a new catalog record durably, then swaps the
// table's tableMeta. Changes that alter the row format rewrite the table
// into a fresh table ID and swap at the end, so a crash mid-rewrite leaves
// the old table intact.
//
// Each change first takes the table's Exclusive metadata lock, so it waits
// for the transactions using the table and they never see it half done
// (mdl.go).

// alter applies fn to a clone of the table's current definition and
// persists the result (metadata-only changes).
func (t *Table) alter(ctx *sql.Context, fn func(def *catalog.Table) error) error {
	e := t.e
	if err := e.lockForDDL(ctx, t.m.db, t.m.def.Name); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, m, err := e.currentLocked(t.m)
	if err != nil {
		return err
	}
	def := m.def.Clone()
	if err := fn(def); err != nil {
		return err
	}
	if err := e.replaceTableLocked(s, m, def); err != nil {
		return err
	}
	t.m = s.tables[strings.ToLower(def.Name)]
	return nil
}

// currentLocked returns the current definition of the table m was read
// from (by name, in the session's temporary tables for a temporary table)
// and the state holding it; e.mu is held.
func (e *Engine) currentLocked(m *tableMeta) (*dbState, *tableMeta, error) {
	db, name := m.db, m.def.Name
	var s *dbState
	if m.temp != nil {
		s = m.temp.dbs[strings.ToLower(db)]
	} else {
		s = e.dbs[strings.ToLower(db)]
	}
	if s == nil {
		return nil, nil, sql.ErrDatabaseNotFound.New(db)
	}
	cur, ok := s.tables[strings.ToLower(name)]
	if !ok {
		return nil, nil, sql.ErrTableNotFound.New(name)
	}
	return s, cur, nil
}

// AddColumn implements sql.AlterableTable (metadata only: rows written
// before the change read the new column as NULL; GMS fills defaults).
func (t *Table) AddColumn(ctx *sql.Context, column *sql.Column, order *sql.ColumnOrder) error {
	return t.alter(ctx, func(def *catalog.Table) error {
		_, err := def.AddColumn(column, order)
		return err
	})
}

// DropColumn implements sql.AlterableTable (metadata only: stored values of
// the dropped column ID are skipped when rows are read).
func (t *Table) DropColumn(ctx *sql.Context, columnName string) error {
	return t.alter(ctx, func(def *catalog.Table) error {
		res, err := def.DropColumn(columnName)
		if err != nil {
			return err
		}
		if res.PrimaryKeyChanged || len(res.ShrunkIndexes) > 0 {
			return fmt.Errorf("storage: dropping key column %s needs a table rewrite", columnName)
		}
		return nil
	})
}

// ModifyColumn implements sql.AlterableTable for changes that keep the
// stored format (rename, default, comment); others go through a rewrite.
func (t *Table) ModifyColumn(ctx *sql.Context, columnName string, column *sql.Column, order *sql.ColumnOrder) error {
	return t.alter(ctx, func(def *catalog.Table) error {
		ord := def.ColumnIndex(columnName)
		if ord < 0 {
			return sql.ErrTableColumnNotFound.New(def.Name, columnName)
		}
		oldType, err := catalog.ParseType(def.Columns[ord].Type)
		if err != nil {
			return err
		}
		if !catalog.TypesIdentical(oldType, column.Type) {
			return fmt.Errorf("storage: changing the type of %s needs a table rewrite", columnName)
		}
		_, err = def.ModifyColumn(columnName, column, order)
		return err
	})
}

// ShouldRewriteTable implements sql.RewritableTable: any change of the
// stored format or of the keys rewrites.
func (t *Table) ShouldRewriteTable(ctx *sql.Context, oldSchema, newSchema sql.PrimaryKeySchema, oldColumn, newColumn *sql.Column) bool {
	switch {
	case oldColumn == nil && newColumn == nil:
		return true // primary key change
	case oldColumn == nil: // add
		return newColumn.PrimaryKey || !newColumn.Nullable || newColumn.Default != nil || newColumn.Generated != nil || newColumn.AutoIncrement
	case newColumn == nil: // drop
		ord := t.m.def.ColumnIndex(oldColumn.Name)
		if ord < 0 || t.m.def.IsPrimaryKeyColumn(ord) {
			return true
		}
		return len(t.m.def.IndexesUsingColumn(t.m.def.Columns[ord].ID)) > 0
	default: // modify
		return !catalog.TypesIdentical(oldColumn.Type, newColumn.Type) ||
			oldColumn.Nullable != newColumn.Nullable || oldColumn.PrimaryKey != newColumn.PrimaryKey ||
			oldColumn.AutoIncrement != newColumn.AutoIncrement
	}
}

// RewriteInserter implements sql.RewritableTable.
func (t *Table) RewriteInserter(ctx *sql.Context, oldSchema, newSchema sql.PrimaryKeySchema, oldColumn, newColumn *sql.Column, idxCols []sql.IndexColumn) (sql.RowInserter, error) {
	e := t.e
	if err := e.lockForDDL(ctx, t.m.db, t.m.def.Name); err != nil {
		return nil, err
	}
	e.mu.Lock()
	_, m, err := e.currentLocked(t.m)
	if err != nil {
		e.mu.Unlock()
		return nil, err
	}
	// GMS builds every clause of a multi-clause ALTER before running any,
	// so this handle may predate an earlier clause's rewrite; GMS reads the
	// rows to rewrite through it, so it must see the current table.
	// It must also read the latest committed rows, not the statement's
	// snapshot, which predates the earlier clause's rewritten table.
	t.m, t.proj, t.projSchema, t.latest = m, nil, m.schema.Schema, true
	def := m.def.Clone()
	switch {
	case oldColumn == nil && newColumn == nil && idxCols == nil:
		err = t.checkPrimaryKeyDrop(ctx, m)
		if err == nil {
			err = def.DropPrimaryKey()
		}
	case oldColumn == nil && newColumn == nil:
		if samePK(oldSchema, newSchema) {
			// Unique index creation asks for a rewrite; CreateIndex has
			// already built and checked the index.
			e.mu.Unlock()
			return noopInserter{}, nil
		}
		err = def.SetPrimaryKey(idxCols)
	case oldColumn == nil:
		_, err = def.AddColumn(newColumn, orderIn(newSchema.Schema, newColumn.Name))
	case newColumn == nil:
		_, err = def.DropColumn(oldColumn.Name)
	default:
		_, err = def.ModifyColumn(oldColumn.Name, newColumn, orderIn(newSchema.Schema, newColumn.Name))
	}
	if err != nil {
		e.mu.Unlock()
		return nil, err
	}
	def.ID = e.allocTableID()
	serr := e.writeSys(func(b kv.Batch) error {
		if m.temp != nil {
			if err := b.Set(tempKey(def.ID), nil); err != nil {
				return err
			}
		}
		return e.putTableSeq(b)
	})
	e.mu.Unlock()
	if serr != nil {
		return nil, serr
	}
	nm, err := newTableMeta(m.db, def)
	if err != nil {
		return nil, err
	}
	nm.temp = m.temp
	if err := (&Database{e: e, name: m.db}).ValidateSchema(nm.schema.Schema); err != nil {
		return nil, err
	}
	txn := e.newTxn(false, RepeatableRead)
	txn.bulk = true
	nt := newTable(e, nm)
	return &rewriter{t: t, old: m, ed: &editor{t: nt, m: nm, txn: txn}}, nil
}

// checkPrimaryKeyDrop applies MySQL's rules for DROP PRIMARY KEY: an
// AUTO_INCREMENT key column must keep an index (1075), and key columns in
// a foreign key relationship cannot lose it. The caller holds e.mu.
func (t *Table) checkPrimaryKeyDrop(ctx *sql.Context, m *tableMeta) error {
	if len(m.pkOrd) == 0 {
		return sql.ErrCantDropFieldOrKey.New("PRIMARY")
	}
	if err := sql.ValidatePrimaryKeyDrop(ctx, newTable(t.e, m), m.schema); err != nil {
		return err
	}
	fks := m.def.ForeignKeyConstraints()
	for _, s := range t.e.dbs {
		for _, other := range s.tables {
			for _, fk := range other.def.ForeignKeyConstraints() {
				if strings.EqualFold(fk.ParentDatabase, m.db) && strings.EqualFold(fk.ParentTable, m.def.Name) {
					fks = append(fks, fk)
				}
			}
		}
	}
	for _, ord := range m.pkOrd {
		name := m.schema.Schema[ord].Name
		for _, fk := range fks {
			for _, c := range append(append([]string(nil), fk.Columns...), fk.ParentColumns...) {
				if strings.EqualFold(c, name) {
					return sql.ErrCantDropIndex.New("PRIMARY", fk.Name)
				}
			}
		}
	}
	return nil
}

func samePK(a, b sql.PrimaryKeySchema) bool {
	if len(a.PkOrdinals) != len(b.PkOrdinals) || len(a.Schema) != len(b.Schema) {
		return false
	}
	for i := range a.PkOrdinals {
		if a.PkOrdinals[i] != b.PkOrdinals[i] {
			return false
		}
	}
	return true
}

func orderIn(sch sql.Schema, name string) *sql.ColumnOrder {
	i := sch.IndexOfColName(name)
	switch {
	case i < 0:
		return nil
	case i == 0:
		return &sql.ColumnOrder{First: true}
	default:
		return &sql.ColumnOrder{AfterColumn: sch[i-1].Name}
	}
}

type noopInserter struct{}

func (noopInserter) StatementBegin(*sql.Context)              {}
func (noopInserter) DiscardChanges(*sql.Context, error) error { return nil }
func (noopInserter) StatementComplete(*sql.Context) error     { return nil }
func (noopInserter) Insert(*sql.Context, sql.Row) error       { return nil }
func (noopInserter) Close(*sql.Context) error                 { return nil }

// rewriter receives every row in the new schema, writes it under the new
// table ID, and swaps the catalog at Close.
type rewriter struct {
	t       *Table
	old     *tableMeta
	ed      *editor
	aborted bool
}

func (r *rewriter) StatementBegin(*sql.Context) {}
func (r *rewriter) DiscardChanges(*sql.Context, error) error {
	r.aborted = true
	return nil
}
func (r *rewriter) StatementComplete(*sql.Context) error { return nil }

func (r *rewriter) Insert(ctx *sql.Context, row sql.Row) error {
	if err := r.ed.Insert(ctx, row); err != nil {
		return err
	}
	return r.ed.txn.maybeFlush()
}

func (r *rewriter) Close(ctx *sql.Context) error {
	e := r.t.e
	nm := r.ed.m
	if !r.aborted {
		if err := r.ed.txn.flush(true); err != nil {
			r.aborted = true
			e.dropKeyspace(nm.id())
			return err
		}
	}
	if r.aborted {
		e.dropKeyspace(nm.id())
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, cur, err := e.currentLocked(r.old)
	if err != nil {
		return err
	}
	next, err := e.peekAutoInc(cur.id())
	if err != nil {
		return err
	}
	if err := e.replaceTableLocked(s, cur, nm.def); err != nil {
		return err
	}
	// The new keyspace is complete (flushed above): snapshots older than
	// this point must not read it.
	s.tables[strings.ToLower(nm.def.Name)].dataEpoch = e.nextDDLEpoch()
	if err := e.setAutoInc(nm.id(), next); err != nil {
		return err
	}
	e.dropKeyspace(cur.id())
	e.dropAutoInc(cur.id())
	e.dropTableStats(ctx, nm.db, nm.def.Name)
	r.t.m = nm
	return nil
}

// dropKeyspace deletes every key of a table ID (data, indexes, counters).
func (e *Engine) dropKeyspace(id uint32) {
	err := e.writeSys(func(b kv.Batch) error { return deleteKeyspace(b, id) })
	if err != nil {
		e.log.Error("drop table keyspace", "table_id", id, "err", err)
	}
	e.tails.forget(id)
	e.dropColumnCache(id)
}

// deleteKeyspace adds the deletes of every key of a table ID to b,
// including a temporary table's registration.
func deleteKeyspace(b kv.Batch, id uint32) error {
	pre := tablePrefix(id)
	if err := b.DeleteRange(pre, keycodec.PrefixEnd(pre)); err != nil {
		return err
	}
	if err := b.Delete(rowCountKey(id)); err != nil {
		return err
	}
	if err := b.Delete(tempKey(id)); err != nil {
		return err
	}
	return b.Delete(autoIncKey(id))
}

// CreatePrimaryKey implements sql.PrimaryKeyAlterableTable; GMS rewrites
// instead because Table is a RewritableTable.
func (t *Table) CreatePrimaryKey(ctx *sql.Context, columns []sql.IndexColumn) error {
	return fmt.Errorf("storage: primary key changes go through a table rewrite")
}

// DropPrimaryKey implements sql.PrimaryKeyAlterableTable (see CreatePrimaryKey).
func (t *Table) DropPrimaryKey(ctx *sql.Context) error {
	return fmt.Errorf("storage: primary key changes go through a table rewrite")
}

// CreateIndex implements sql.IndexAlterableTable: the index is built from
// the committed rows, uniqueness is checked, and only then is it published.
func (t *Table) CreateIndex(ctx *sql.Context, indexDef sql.IndexDef) error {
	if err := t.e.lockForDDL(ctx, t.m.db, t.m.def.Name); err != nil {
		return err
	}
	if indexDef.IsFullText() {
		if t.m.temp != nil {
			return errFulltextOnTemporary()
		}
		return t.CreateSearchIndex(ctx, indexDef)
	}
	if indexDef.IsVector() {
		return t.createVectorIndex(ctx, indexDef) // see vector.go
	}
	e := t.e
	e.mu.Lock()
	defer e.mu.Unlock()
	s, m, err := e.currentLocked(t.m)
	if err != nil {
		return err
	}
	def := m.def.Clone()
	if _, err := def.AddIndex(indexDef); err != nil {
		return err
	}
	nm, err := newTableMeta(m.db, def)
	if err != nil {
		return err
	}
	im := nm.indexes[len(nm.indexes)-1]
	if err := e.buildIndex(ctx, nm, im); err != nil {
		e.dropIndexKeys(im.prefix)
		return err
	}
	if err := e.replaceTableLocked(s, m, def); err != nil {
		e.dropIndexKeys(im.prefix)
		return err
	}
	t.m = s.tables[strings.ToLower(def.Name)]
	t.m.markBuilt(im.def.ID, e.nextDDLEpoch())
	return nil
}

// buildIndex writes the entries of im for every committed row.
func (e *Engine) buildIndex(ctx *sql.Context, m *tableMeta, im *indexMeta) error {
	txn := e.newTxn(false, RepeatableRead)
	txn.bulk = true
	defer txn.finish()
	src := newTable(e, m)
	dec, err := newRowDecoder(m, allOrdinals(len(m.schema.Schema)))
	if err != nil {
		return err
	}
	pre := indexPrefix(m.id(), primaryIndexID)
	it, err := e.kv.NewIter(pre, keycodec.PrefixEnd(pre))
	if err != nil {
		return err
	}
	defer it.Close()
	ed := &editor{t: src, m: m, txn: txn}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.Value()
		if err != nil {
			return err
		}
		row, _, err := dec.decode(it.Key(), v)
		if err != nil {
			return err
		}
		if im.unique && !im.hasNull(row) {
			if err := ed.checkUniqueIndex(ctx, im, row, it.Key()); err != nil {
				return err
			}
		}
		ek, err := im.entryKey(m, row, it.Key())
		if err != nil {
			return err
		}
		txn.put(ek, nil)
		if err := txn.maybeFlush(); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	return txn.flush(true)
}

func (e *Engine) dropIndexKeys(prefix []byte) {
	err := e.writeSys(func(b kv.Batch) error { return b.DeleteRange(prefix, keycodec.PrefixEnd(prefix)) })
	if err != nil {
		e.log.Error("drop index keys", "err", err)
	}
}

// DropIndex implements sql.IndexAlterableTable.
func (t *Table) DropIndex(ctx *sql.Context, indexName string) error {
	var prefix []byte
	var search bool
	err := t.alter(ctx, func(def *catalog.Table) error {
		idx, err := def.DropIndex(indexName)
		if err != nil {
			return err
		}
		prefix = indexPrefix(def.ID, idx.ID)
		search = idx.FullText
		return nil
	})
	if err == nil {
		t.e.dropIndexKeys(prefix)
		if search {
			t.e.droppedSearchIndex(prefix)
		}
	}
	return err
}

// RenameIndex implements sql.IndexAlterableTable.
func (t *Table) RenameIndex(ctx *sql.Context, fromIndexName, toIndexName string) error {
	return t.alter(ctx, func(def *catalog.Table) error { return def.RenameIndex(fromIndexName, toIndexName) })
}

// GetChecks implements sql.CheckTable.
func (t *Table) GetChecks(ctx *sql.Context) ([]sql.CheckDefinition, error) {
	return t.m.def.CheckDefinitions(), nil
}

// CreateCheck implements sql.CheckAlterableTable.
func (t *Table) CreateCheck(ctx *sql.Context, check *sql.CheckDefinition) error {
	return t.alter(ctx, func(def *catalog.Table) error {
		_, err := def.AddCheck(*check)
		return err
	})
}

// DropCheck implements sql.CheckAlterableTable.
func (t *Table) DropCheck(ctx *sql.Context, chName string) error {
	return t.alter(ctx, func(def *catalog.Table) error { return def.DropCheck(chName) })
}

// ModifyComment implements sql.CommentAlterableTable.
func (t *Table) ModifyComment(ctx *sql.Context, comment string) error {
	return t.alter(ctx, func(def *catalog.Table) error {
		def.SetComment(comment)
		return nil
	})
}

// ModifyStoredCollation implements sql.CollationAlterableTable. Converting
// stored strings is not supported yet.
func (t *Table) ModifyStoredCollation(ctx *sql.Context, collation sql.CollationID) error {
	return fmt.Errorf("storage: ALTER TABLE ... CONVERT TO CHARACTER SET is not supported yet")
}

// ModifyDefaultCollation implements sql.CollationAlterableTable.
func (t *Table) ModifyDefaultCollation(ctx *sql.Context, collation sql.CollationID) error {
	return t.alter(ctx, func(def *catalog.Table) error {
		def.SetCollation(collation)
		return nil
	})
}

// CreateIndexForForeignKey implements sql.ForeignKeyTable.
func (t *Table) CreateIndexForForeignKey(ctx *sql.Context, indexDef sql.IndexDef) error {
	return t.CreateIndex(ctx, indexDef)
}

// GetDeclaredForeignKeys implements sql.ForeignKeyTable.
func (t *Table) GetDeclaredForeignKeys(ctx *sql.Context) ([]sql.ForeignKeyConstraint, error) {
	fks := t.m.def.ForeignKeyConstraints()
	sort.Slice(fks, func(a, b int) bool { return fks[a].Name < fks[b].Name })
	return fks, nil
}

// GetReferencedForeignKeys implements sql.ForeignKeyTable: foreign keys of
// any table in any database whose parent is this table.
func (t *Table) GetReferencedForeignKeys(ctx *sql.Context) ([]sql.ForeignKeyConstraint, error) {
	if t.m.temp != nil {
		return nil, nil // foreign keys cannot reference a temporary table
	}
	e := t.e
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []sql.ForeignKeyConstraint
	for _, s := range e.dbs {
		for _, m := range s.tables {
			for _, fk := range m.def.ForeignKeyConstraints() {
				if strings.EqualFold(fk.ParentDatabase, t.m.db) && strings.EqualFold(fk.ParentTable, t.m.def.Name) {
					out = append(out, fk)
				}
			}
		}
	}
	return out, nil
}

// AddForeignKey implements sql.ForeignKeyTable. MySQL parses but rejects
// SET DEFAULT actions; GMS only rejects them when its parser is not
// wrapped, and Quarry wraps it (LockingParser).
func (t *Table) AddForeignKey(ctx *sql.Context, fk sql.ForeignKeyConstraint) error {
	if err := rejectSetDefault(fk); err != nil {
		return err
	}
	return t.alter(ctx, func(def *catalog.Table) error {
		if other := t.e.foreignKeyOwnerLocked(t.m.db, fk.Name); other != "" && !strings.EqualFold(other, def.Name) {
			return sql.ErrForeignKeyDuplicateName.New(fk.Name)
		}
		return def.AddForeignKey(fk)
	})
}

// foreignKeyOwnerLocked returns the table of database db declaring a
// foreign key named name (case-insensitively), or "": as in MySQL,
// foreign key names are unique within a database. e.mu is held.
func (e *Engine) foreignKeyOwnerLocked(db, name string) string {
	s, ok := e.dbs[strings.ToLower(db)]
	if !ok {
		return ""
	}
	for _, m := range s.tables {
		for i := range m.def.ForeignKeys {
			if strings.EqualFold(m.def.ForeignKeys[i].Name, name) {
				return m.def.Name
			}
		}
	}
	return ""
}

func rejectSetDefault(fk sql.ForeignKeyConstraint) error {
	if fk.OnUpdate == sql.ForeignKeyReferentialAction_SetDefault || fk.OnDelete == sql.ForeignKeyReferentialAction_SetDefault {
		return sql.ErrForeignKeySetDefault.New()
	}
	return nil
}

// DropForeignKey implements sql.ForeignKeyTable.
func (t *Table) DropForeignKey(ctx *sql.Context, fkName string) error {
	return t.alter(ctx, func(def *catalog.Table) error { return def.DropForeignKey(fkName) })
}

// UpdateForeignKey implements sql.ForeignKeyTable.
func (t *Table) UpdateForeignKey(ctx *sql.Context, fkName string, fk sql.ForeignKeyConstraint) error {
	if err := rejectSetDefault(fk); err != nil {
		return err
	}
	return t.alter(ctx, func(def *catalog.Table) error { return def.UpdateForeignKey(fkName, fk) })
}

// GetForeignKeyEditor implements sql.ForeignKeyTable.
func (t *Table) GetForeignKeyEditor(ctx *sql.Context) sql.ForeignKeyEditor {
	// Foreign key checks must see rows the running statement wrote (a row
	// referencing one inserted earlier in the same statement).
	seeAll := *t
	seeAll.ownWrites = true
	return &fkEditor{editor: t.newEditor(ctx, false), Table: &seeAll}
}

// fkEditor is the editor GMS uses to check and cascade foreign keys.
type fkEditor struct {
	*editor
	*Table
}

var _ sql.ForeignKeyEditor = (*fkEditor)(nil)

// Close resolves the ambiguity between the embedded types.
func (f *fkEditor) Close(ctx *sql.Context) error { return f.editor.Close(ctx) }
