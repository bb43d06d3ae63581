package storage

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer/analyzererrors"
	"github.com/dolthub/go-mysql-server/sql/types"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/quarrydb/quarry/storage/catalog"
	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/kv"
)

// Database is a sql.Database over the engine's catalog. It is a cheap
// handle: state lives in the Engine, looked up by name on every call.
type Database struct {
	e    *Engine
	name string
}

var (
	_ sql.Database                = (*Database)(nil)
	_ sql.TableCreator            = (*Database)(nil)
	_ sql.IndexedTableCreator     = (*Database)(nil)
	_ sql.TableDropper            = (*Database)(nil)
	_ sql.TableRenamer            = (*Database)(nil)
	_ sql.ViewDatabase            = (*Database)(nil)
	_ sql.TriggerDatabase         = (*Database)(nil)
	_ sql.StoredProcedureDatabase = (*Database)(nil)
	_ sql.EventDatabase           = (*Database)(nil)
	_ sql.CollatedDatabase        = (*Database)(nil)
)

// Name implements sql.Nameable.
func (d *Database) Name() string { return d.name }

func (d *Database) state() (*dbState, error) {
	s, ok := d.e.dbs[strings.ToLower(d.name)]
	if !ok {
		return nil, sql.ErrDatabaseNotFound.New(d.name)
	}
	return s, nil
}

// GetTableInsensitive implements sql.Database.
func (d *Database) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	d.e.mu.RLock()
	defer d.e.mu.RUnlock()
	s, err := d.state()
	if err != nil {
		return nil, false, err
	}
	if parent, ok := searchPseudoTable(name); ok {
		name = parent // see SearchIndex.FullTextTableNames
	}
	if m := tempTableLocked(ctx, s.def.Name, name); m != nil {
		return newTable(d.e, m), true, nil // it hides a permanent table
	}
	m, ok := s.tables[strings.ToLower(name)]
	if !ok {
		return nil, false, nil
	}
	return newTable(d.e, m), true, nil
}

// GetTableNames implements sql.Database.
func (d *Database) GetTableNames(ctx *sql.Context) ([]string, error) {
	d.e.mu.RLock()
	defer d.e.mu.RUnlock()
	s, err := d.state()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(s.tables))
	for _, m := range s.tables {
		names = append(names, m.def.Name)
	}
	sort.Strings(names)
	return names, nil
}

// CreateTable implements sql.TableCreator.
func (d *Database) CreateTable(ctx *sql.Context, name string, schema sql.PrimaryKeySchema, collation sql.CollationID, comment string) error {
	if err := checkPrimaryKeyFlags(schema); err != nil {
		return err
	}
	def, err := catalog.NewTable(name, schema, collation, comment)
	if err != nil {
		return err
	}
	return d.createTable(def)
}

// CreateIndexedTable implements sql.IndexedTableCreator (primary keys with
// prefix lengths).
func (d *Database) CreateIndexedTable(ctx *sql.Context, name string, schema sql.PrimaryKeySchema, idxDef sql.IndexDef, collation sql.CollationID) error {
	if err := checkPrimaryKeyFlags(schema); err != nil {
		return err
	}
	def, err := catalog.NewIndexedTable(name, schema, idxDef, collation, commentFromStatement(ctx, name))
	if err != nil {
		return err
	}
	return d.createTable(def)
}

// commentFromStatement recovers the table comment of a CREATE TABLE that
// GMS routes through CreateIndexedTable, which has no comment parameter.
func commentFromStatement(ctx *sql.Context, table string) string {
	if ctx == nil {
		return ""
	}
	q := strings.TrimSpace(ctx.Query())
	if len(q) < 6 || !strings.EqualFold(q[:6], "create") {
		return ""
	}
	st, err := sql.GlobalParser.ParseSimple(q)
	if err != nil {
		return ""
	}
	ddl, ok := st.(*ast.DDL)
	if !ok || ddl.TableSpec == nil || !strings.EqualFold(ddl.Table.Name.String(), table) {
		return ""
	}
	for _, opt := range ddl.TableSpec.TableOpts {
		if strings.EqualFold(opt.Name, "comment") {
			return opt.Value
		}
	}
	return ""
}

// checkPrimaryKeyFlags rejects two inline PRIMARY KEY column attributes,
// which GMS passes through as flags without key ordinals (MySQL: 1068).
func checkPrimaryKeyFlags(schema sql.PrimaryKeySchema) error {
	flagged := 0
	for _, c := range schema.Schema {
		if c.PrimaryKey {
			flagged++
		}
	}
	if flagged > len(schema.PkOrdinals) {
		return sql.ErrMultiplePrimaryKeysDefined.New()
	}
	return nil
}

func (d *Database) createTable(def *catalog.Table) error {
	e := d.e
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := d.state()
	if err != nil {
		return err
	}
	if _, ok := s.tables[strings.ToLower(def.Name)]; ok {
		return sql.ErrTableAlreadyExists.New(def.Name)
	}
	def.ID = e.allocTableID()
	def.Created = time.Now().Unix()
	m, err := newTableMeta(s.def.Name, def)
	if err != nil {
		return err
	}
	rec, err := catalog.EncodeTable(def)
	if err != nil {
		return err
	}
	err = e.writeSys(func(b kv.Batch) error {
		if err := e.putTableSeq(b); err != nil {
			return err
		}
		return b.Set(tableKey(s.def.Name, def.Name), rec)
	})
	if err != nil {
		return err
	}
	s.tables[strings.ToLower(def.Name)] = m
	return nil
}

// DropTable implements sql.TableDropper.
func (d *Database) DropTable(ctx *sql.Context, name string) error {
	if _, ok := searchPseudoTable(name); ok {
		return nil // GMS dropping a search index's pseudo tables
	}
	e := d.e
	if err := e.lockForDDL(ctx, d.name, name); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := d.state()
	if err != nil {
		return err
	}
	if sess := sessionOf(ctx); sess != nil {
		if td := sess.tempDB(s.def.Name, false); td != nil {
			if m, ok := td.tables[strings.ToLower(name)]; ok {
				if t, ok := ctx.GetTransaction().(*Txn); ok && t != nil {
					t.forget(m.id())
				}
				e.dropTempLocked(sess, td, m)
				return nil
			}
		}
	}
	m, ok := s.tables[strings.ToLower(name)]
	if !ok {
		return sql.ErrTableNotFound.New(name)
	}
	if err := e.writeSys(func(b kv.Batch) error { return deleteTableKeys(b, s.def.Name, m) }); err != nil {
		return err
	}
	e.dropAutoInc(m.id())
	e.dropColumnCache(m.id())
	delete(s.tables, strings.ToLower(name))
	e.dropTableStats(ctx, s.def.Name, m.def.Name)
	return nil
}

// RenameTable implements sql.TableRenamer. Data keys use the table ID, so
// only the catalog record moves.
func (d *Database) RenameTable(ctx *sql.Context, oldName, newName string) error {
	e := d.e
	if err := e.lockForDDL(ctx, d.name, oldName, newName); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := d.state()
	if err != nil {
		return err
	}
	if sess := sessionOf(ctx); sess != nil {
		if td := sess.tempDB(s.def.Name, false); td != nil {
			if m, ok := td.tables[strings.ToLower(oldName)]; ok {
				return e.renameTempLocked(td, m, newName)
			}
		}
	}
	m, ok := s.tables[strings.ToLower(oldName)]
	if !ok {
		return sql.ErrTableNotFound.New(oldName)
	}
	if _, exists := s.tables[strings.ToLower(newName)]; exists && !strings.EqualFold(oldName, newName) {
		return sql.ErrTableAlreadyExists.New(newName)
	}
	def := m.def.Clone()
	def.Name = newName
	if err := e.replaceTableLocked(s, m, def); err != nil {
		return err
	}
	e.dropTableStats(ctx, s.def.Name, oldName)
	return nil
}

// replaceTableLocked persists a changed table definition and stamps its
// CREATE_TIME, as MySQL's ALTER TABLE does; e.mu is held. A temporary
// table's definition only changes in its session (s is then the session's
// state of the database).
func (e *Engine) replaceTableLocked(s *dbState, old *tableMeta, def *catalog.Table) error {
	def.Created = time.Now().Unix()
	nm, err := newTableMeta(s.def.Name, def)
	if err != nil {
		return err
	}
	nm.temp = old.temp
	if err := (&Database{e: e, name: s.def.Name}).ValidateSchema(nm.schema.Schema); err != nil {
		return err
	}
	nm.inheritEpochs(old)
	if nm.temp != nil {
		delete(s.tables, strings.ToLower(old.def.Name))
		s.tables[strings.ToLower(def.Name)] = nm
		e.objc.invalidate() // cached plans key on the system generation
		return nil
	}
	rec, err := catalog.EncodeTable(def)
	if err != nil {
		return err
	}
	err = e.writeSys(func(b kv.Batch) error {
		if !strings.EqualFold(old.def.Name, def.Name) {
			if err := b.Delete(tableKey(s.def.Name, old.def.Name)); err != nil {
				return err
			}
		}
		return b.Set(tableKey(s.def.Name, def.Name), rec)
	})
	if err != nil {
		return err
	}
	delete(s.tables, strings.ToLower(old.def.Name))
	s.tables[strings.ToLower(def.Name)] = nm
	return nil
}

// GetCollation implements sql.CollatedDatabase.
func (d *Database) GetCollation(ctx *sql.Context) sql.CollationID {
	d.e.mu.RLock()
	defer d.e.mu.RUnlock()
	s, err := d.state()
	if err != nil || s.def.Collation == sql.Collation_Unspecified {
		return sql.Collation_Default
	}
	return s.def.Collation
}

// SetCollation implements sql.CollatedDatabase.
func (d *Database) SetCollation(ctx *sql.Context, collation sql.CollationID) error {
	e := d.e
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := d.state()
	if err != nil {
		return err
	}
	def := s.def
	def.Collation = collation
	rec, err := catalog.EncodeDatabase(&def)
	if err != nil {
		return err
	}
	if err := e.writeSys(func(b kv.Batch) error { return b.Set(dbKey(d.name), rec) }); err != nil {
		return err
	}
	s.def = def
	return nil
}

// Stored objects (views, triggers, procedures, events) live under
// sys <kind> 0x00 <db> 0x00 <name>, one record each.
const (
	kindView      = "view"
	kindTrigger   = "trigger"
	kindProcedure = "procedure"
	kindEvent     = "event"
)

var objectKinds = []string{kindView, kindTrigger, kindProcedure, kindEvent}

func objectPrefix(kind, db string) []byte {
	return append(sysKey(kind, strings.ToLower(db)), 0x00)
}

func objectKey(kind, db, name string) []byte {
	return sysKey(kind, strings.ToLower(db), strings.ToLower(name))
}

func (d *Database) getObject(kind, name string) ([]byte, bool, error) {
	key := objectKey(kind, d.name, name)
	return d.e.objc.get(key, func() ([]byte, bool, error) { return d.e.kv.Get(key) })
}

func (d *Database) putObject(kind, name string, rec []byte) error {
	return d.e.writeSys(func(b kv.Batch) error { return b.Set(objectKey(kind, d.name, name), rec) })
}

func (d *Database) deleteObject(kind, name string) error {
	return d.e.writeSys(func(b kv.Batch) error { return b.Delete(objectKey(kind, d.name, name)) })
}

func (d *Database) listObjects(kind string, fn func(rec []byte) error) error {
	pre := objectPrefix(kind, d.name)
	recs, err := d.e.objc.list(pre, func() ([]objListEntry, error) {
		it, err := d.e.kv.NewIter(pre, keycodec.PrefixEnd(pre))
		if err != nil {
			return nil, err
		}
		defer it.Close()
		var out []objListEntry
		for ok := it.First(); ok; ok = it.Next() {
			v, err := it.Value()
			if err != nil {
				return nil, err
			}
			out = append(out, objListEntry{key: append([]byte(nil), it.Key()...), val: append([]byte(nil), v...)})
		}
		return out, it.Error()
	})
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := fn(r.val); err != nil {
			return fmt.Errorf("storage: %s record %q: %w", kind, r.key, err)
		}
	}
	return nil
}

// getDecoded reads one stored object and converts it to its GMS form.
func getDecoded[T any](d *Database, kind, name string, decode func([]byte) (T, error)) (T, bool, error) {
	var zero T
	rec, ok, err := d.getObject(kind, name)
	if err != nil || !ok {
		return zero, false, err
	}
	v, err := decode(rec)
	if err != nil {
		return zero, false, err
	}
	return v, true, nil
}

// listDecoded reads every stored object of a kind in the database.
func listDecoded[T any](d *Database, kind string, decode func([]byte) (T, error)) ([]T, error) {
	var out []T
	err := d.listObjects(kind, func(rec []byte) error {
		v, err := decode(rec)
		if err == nil {
			out = append(out, v)
		}
		return err
	})
	return out, err
}

// createObject stores a new object; exists is returned if the name is taken.
func (d *Database) createObject(kind, name string, exists error, rec []byte, encErr error) error {
	if encErr != nil {
		return encErr
	}
	if _, ok, err := d.getObject(kind, name); err != nil {
		return err
	} else if ok {
		return exists
	}
	return d.putObject(kind, name, rec)
}

// dropObject removes an object; missing is returned if there is none.
func (d *Database) dropObject(kind, name string, missing error) error {
	if _, ok, err := d.getObject(kind, name); err != nil {
		return err
	} else if !ok {
		return missing
	}
	return d.deleteObject(kind, name)
}

func decodeView(b []byte) (sql.ViewDefinition, error) {
	v, err := catalog.DecodeView(b)
	return v.ViewDefinition(), err
}

func decodeTrigger(b []byte) (sql.TriggerDefinition, error) {
	t, err := catalog.DecodeTrigger(b)
	return t.TriggerDefinition(), err
}

func decodeProcedure(b []byte) (sql.StoredProcedureDetails, error) {
	p, err := catalog.DecodeProcedure(b)
	return p.StoredProcedureDetails(), err
}

func decodeEvent(b []byte) (sql.EventDefinition, error) {
	e, err := catalog.DecodeEvent(b)
	return e.EventDefinition(), err
}

// CreateView implements sql.ViewDatabase.
func (d *Database) CreateView(ctx *sql.Context, name string, selectStatement, createViewStmt string) error {
	rec, err := catalog.EncodeView(catalog.View{
		Name:                name,
		TextDefinition:      selectStatement,
		CreateViewStatement: createViewStmt,
		SqlMode:             sqlModeOf(ctx),
	})
	return d.createObject(kindView, name, sql.ErrExistingView.New(d.name, name), rec, err)
}

func sqlModeOf(ctx *sql.Context) string {
	if ctx == nil {
		return ""
	}
	return sql.LoadSqlMode(ctx).String()
}

// DropView implements sql.ViewDatabase.
func (d *Database) DropView(ctx *sql.Context, name string) error {
	return d.dropObject(kindView, name, sql.ErrViewDoesNotExist.New(d.name, name))
}

// GetViewDefinition implements sql.ViewDatabase.
func (d *Database) GetViewDefinition(ctx *sql.Context, name string) (sql.ViewDefinition, bool, error) {
	return getDecoded(d, kindView, name, decodeView)
}

// AllViews implements sql.ViewDatabase.
func (d *Database) AllViews(ctx *sql.Context) ([]sql.ViewDefinition, error) {
	return listDecoded(d, kindView, decodeView)
}

// GetTriggers implements sql.TriggerDatabase, in creation order.
func (d *Database) GetTriggers(ctx *sql.Context) ([]sql.TriggerDefinition, error) {
	out, err := listDecoded(d, kindTrigger, decodeTrigger)
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// CreateTrigger implements sql.TriggerDatabase.
func (d *Database) CreateTrigger(ctx *sql.Context, def sql.TriggerDefinition) error {
	def.CreateStatement = unwrapVersionComments(def.CreateStatement)
	rec, err := catalog.EncodeTrigger(catalog.TriggerFromSQL(def))
	return d.createObject(kindTrigger, def.Name, fmt.Errorf("trigger %s already exists", def.Name), rec, err)
}

// DropTrigger implements sql.TriggerDatabase.
func (d *Database) DropTrigger(ctx *sql.Context, name string) error {
	return d.dropObject(kindTrigger, name, sql.ErrTriggerDoesNotExist.New(name))
}

// GetStoredProcedure implements sql.StoredProcedureDatabase.
func (d *Database) GetStoredProcedure(ctx *sql.Context, name string) (sql.StoredProcedureDetails, bool, error) {
	return getDecoded(d, kindProcedure, name, decodeProcedure)
}

// GetStoredProcedures implements sql.StoredProcedureDatabase.
func (d *Database) GetStoredProcedures(ctx *sql.Context) ([]sql.StoredProcedureDetails, error) {
	return listDecoded(d, kindProcedure, decodeProcedure)
}

// SaveStoredProcedure implements sql.StoredProcedureDatabase.
func (d *Database) SaveStoredProcedure(ctx *sql.Context, spd sql.StoredProcedureDetails) error {
	rec, err := catalog.EncodeProcedure(catalog.ProcedureFromSQL(spd))
	return d.createObject(kindProcedure, spd.Name, sql.ErrStoredProcedureAlreadyExists.New(spd.Name), rec, err)
}

// DropStoredProcedure implements sql.StoredProcedureDatabase.
func (d *Database) DropStoredProcedure(ctx *sql.Context, name string) error {
	return d.dropObject(kindProcedure, name, sql.ErrStoredProcedureDoesNotExist.New(name))
}

// GetEvent implements sql.EventDatabase.
func (d *Database) GetEvent(ctx *sql.Context, name string) (sql.EventDefinition, bool, error) {
	return getDecoded(d, kindEvent, name, decodeEvent)
}

// GetEvents implements sql.EventDatabase.
func (d *Database) GetEvents(ctx *sql.Context) ([]sql.EventDefinition, interface{}, error) {
	out, err := listDecoded(d, kindEvent, decodeEvent)
	return out, nil, err
}

// SaveEvent implements sql.EventDatabase.
func (d *Database) SaveEvent(ctx *sql.Context, ed sql.EventDefinition) (bool, error) {
	rec, err := catalog.EncodeEvent(catalog.EventFromSQL(ed))
	if err := d.createObject(kindEvent, ed.Name, sql.ErrEventAlreadyExists.New(ed.Name), rec, err); err != nil {
		return false, err
	}
	return ed.Status == sql.EventStatus_Enable.String(), nil
}

// DropEvent implements sql.EventDatabase.
func (d *Database) DropEvent(ctx *sql.Context, name string) error {
	return d.dropObject(kindEvent, name, sql.ErrEventDoesNotExist.New(name))
}

// UpdateEvent implements sql.EventDatabase.
func (d *Database) UpdateEvent(ctx *sql.Context, originalName string, ed sql.EventDefinition) (bool, error) {
	if _, ok, err := d.getObject(kindEvent, originalName); err != nil {
		return false, err
	} else if !ok {
		return false, sql.ErrEventDoesNotExist.New(originalName)
	}
	if !strings.EqualFold(originalName, ed.Name) {
		if _, ok, err := d.getObject(kindEvent, ed.Name); err != nil {
			return false, err
		} else if ok {
			return false, sql.ErrEventAlreadyExists.New(ed.Name)
		}
	}
	rec, err := catalog.EncodeEvent(catalog.EventFromSQL(ed))
	if err != nil {
		return false, err
	}
	err = d.e.writeSys(func(b kv.Batch) error {
		if err := b.Delete(objectKey(kindEvent, d.name, originalName)); err != nil {
			return err
		}
		return b.Set(objectKey(kindEvent, d.name, ed.Name), rec)
	})
	return ed.Status == sql.EventStatus_Enable.String(), err
}

// UpdateLastExecuted implements sql.EventDatabase.
func (d *Database) UpdateLastExecuted(ctx *sql.Context, eventName string, lastExecuted time.Time) error {
	ed, ok, err := d.GetEvent(ctx, eventName)
	if err != nil {
		return err
	}
	if !ok {
		return sql.ErrEventDoesNotExist.New(eventName)
	}
	ed.LastExecuted = lastExecuted.UTC()
	rec, err := catalog.EncodeEvent(catalog.EventFromSQL(ed))
	if err != nil {
		return err
	}
	return d.putObject(kindEvent, eventName, rec)
}

// NeedsToReloadEvents implements sql.EventDatabase: events only change
// through this interface.
func (d *Database) NeedsToReloadEvents(ctx *sql.Context, token interface{}) (bool, error) {
	return false, nil
}

var _ sql.SchemaValidator = (*Database)(nil)

// ValidateSchema implements sql.SchemaValidator with InnoDB's row size
// limit: the stored size of a row's columns, BLOB/TEXT counted as their
// in-row pointer, plus the NULL bitmap, must not exceed 65,535 bytes (MySQL
// error 1118). Sizes are InnoDB's (see rowSizeLimitBytes).
func (d *Database) ValidateSchema(schema sql.Schema) error {
	size := int64(0)
	nullable := 0
	for _, col := range schema {
		size += rowSizeLimitBytes(col.Type)
		if col.Nullable {
			nullable++
		}
	}
	size += int64(nullable+7) / 8
	if size > types.MaxRowLength {
		return analyzererrors.ErrInvalidRowLength.New(types.MaxRowLength, size)
	}
	return nil
}
