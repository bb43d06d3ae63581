package storage

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/quarrydb/quarry/storage/catalog"
	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/kv"
)

// Temporary tables (CREATE TEMPORARY TABLE) belong to one session: only it
// sees them, a temporary table hides a permanent table of the same name,
// and they are dropped when the session ends. Their definitions live only
// in the session (no catalog record); their rows use the ordinary data
// keyspace under a table ID of their own and go through the session's
// transactions like any other rows, so they are transactional as in InnoDB
// (ROLLBACK undoes their row changes, not their creation) and may be
// written in a READ ONLY transaction, as MySQL allows.
//
// Every temporary table ID is registered under sys "tmptable" in the batch
// that allocates it; Open deletes the keyspaces of the registered IDs, so
// temporary rows never survive a restart, even after a crash.

// tempTables are a session's temporary tables, by database. Guarded by
// Engine.mu; Engine.temps lists every session's.
type tempTables struct {
	dbs map[string]*dbState // by lower-case database name
}

var tempPrefix = sysKey("tmptable", "")

func tempKey(id uint32) []byte { return sysKeyU32("tmptable", id) }

// tempDB returns the session's temporary tables of db, creating the entry
// if create is set; e.mu is held.
func (s *Session) tempDB(db string, create bool) *dbState {
	if s.temp == nil {
		if !create {
			return nil
		}
		s.temp = &tempTables{dbs: make(map[string]*dbState)}
		s.hadTemp.Store(true)
		s.e.temps[s.temp] = struct{}{}
	}
	d := s.temp.dbs[strings.ToLower(db)]
	if d == nil && create {
		d = &dbState{def: catalog.Database{Name: db}, tables: make(map[string]*tableMeta)}
		s.temp.dbs[strings.ToLower(db)] = d
	}
	return d
}

func sessionOf(ctx *sql.Context) *Session {
	if ctx == nil {
		return nil
	}
	s, _ := ctx.Session.(*Session)
	return s
}

// tempTableLocked returns the session's temporary table db.name; e.mu is held.
func tempTableLocked(ctx *sql.Context, db, name string) *tableMeta {
	s := sessionOf(ctx)
	if s == nil {
		return nil
	}
	d := s.tempDB(db, false)
	if d == nil {
		return nil
	}
	return d.tables[strings.ToLower(name)]
}

var (
	_ sql.TemporaryTableCreator  = (*Database)(nil)
	_ sql.TemporaryTableDatabase = (*Database)(nil)
	_ sql.TemporaryTable         = (*Table)(nil)
)

// CreateTemporaryTable implements sql.TemporaryTableCreator.
func (d *Database) CreateTemporaryTable(ctx *sql.Context, name string, schema sql.PrimaryKeySchema, collation sql.CollationID) error {
	sess := sessionOf(ctx)
	if sess == nil {
		return sql.ErrTemporaryTableNotSupported.New()
	}
	if err := checkPrimaryKeyFlags(schema); err != nil {
		return err
	}
	def, err := catalog.NewTable(name, schema, collation, commentFromStatement(ctx, name))
	if err != nil {
		return err
	}
	e := d.e
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := d.state()
	if err != nil {
		return err
	}
	td := sess.tempDB(s.def.Name, true)
	if _, ok := td.tables[strings.ToLower(name)]; ok {
		return sql.ErrTableAlreadyExists.New(name)
	}
	def.ID = e.allocTableID()
	def.Created = time.Now().Unix()
	m, err := newTableMeta(s.def.Name, def)
	if err != nil {
		return err
	}
	if err := d.ValidateSchema(m.schema.Schema); err != nil {
		return err
	}
	m.temp = sess.temp
	err = e.writeSys(func(b kv.Batch) error {
		if err := e.putTableSeq(b); err != nil {
			return err
		}
		return b.Set(tempKey(def.ID), nil)
	})
	if err != nil {
		return err
	}
	td.tables[strings.ToLower(name)] = m
	return nil
}

// GetAllTemporaryTables implements sql.TemporaryTableDatabase: the
// session's temporary tables in this database, by name.
func (d *Database) GetAllTemporaryTables(ctx *sql.Context) ([]sql.Table, error) {
	d.e.mu.RLock()
	defer d.e.mu.RUnlock()
	s := sessionOf(ctx)
	if s == nil {
		return nil, nil
	}
	td := s.tempDB(d.name, false)
	if td == nil {
		return nil, nil
	}
	out := make([]sql.Table, 0, len(td.tables))
	for _, m := range td.tables {
		out = append(out, newTable(d.e, m))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// dropTempLocked drops the session's temporary table m; e.mu is held.
// Rows the session's open transaction wrote to it are never committed.
func (e *Engine) dropTempLocked(sess *Session, td *dbState, m *tableMeta) {
	delete(td.tables, strings.ToLower(m.def.Name))
	if sess.txn != nil {
		sess.txn.forget(m.id())
	}
	e.dropTempKeyspace(m.id())
}

// dropTempKeyspace deletes a temporary table's rows, counters and
// registration.
func (e *Engine) dropTempKeyspace(id uint32) {
	e.dropKeyspace(id)
	e.dropAutoInc(id)
	e.times.mu.Lock()
	delete(e.times.updated, id)
	e.times.mu.Unlock()
}

// renameTempLocked renames the session's temporary table; e.mu is held.
func (e *Engine) renameTempLocked(td *dbState, m *tableMeta, newName string) error {
	if other, exists := td.tables[strings.ToLower(newName)]; exists && other != m {
		return sql.ErrTableAlreadyExists.New(newName)
	}
	def := m.def.Clone()
	def.Name = newName
	return e.replaceTableLocked(td, m, def)
}

// dropTempTables drops every temporary table of the session (session end).
func (e *Engine) dropTempTables(sess *Session) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if sess.temp == nil {
		return
	}
	for _, td := range sess.temp.dbs {
		for _, m := range td.tables {
			e.dropTempLocked(sess, td, m)
		}
	}
	delete(e.temps, sess.temp)
	sess.temp = nil
}

// TemporaryTableCount returns how many temporary tables exist (registered
// and not yet dropped), over all sessions.
func (e *Engine) TemporaryTableCount() (int, error) {
	it, err := e.kv.NewIter(tempPrefix, keycodec.PrefixEnd(tempPrefix))
	if err != nil {
		return 0, err
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n, it.Close()
}

// purgeTempTables deletes the keyspaces of temporary tables a previous run
// left behind (Open).
func (e *Engine) purgeTempTables() error {
	it, err := e.kv.NewIter(tempPrefix, keycodec.PrefixEnd(tempPrefix))
	if err != nil {
		return err
	}
	var ids []uint32
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) != len(tempPrefix)+4 {
			_ = it.Close()
			return fmt.Errorf("storage: malformed temporary table record %q", k)
		}
		ids = append(ids, binary.BigEndian.Uint32(k[len(tempPrefix):]))
	}
	if err := it.Close(); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	return e.writeSys(func(b kv.Batch) error {
		for _, id := range ids {
			if err := deleteKeyspace(b, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// errFulltextOnTemporary is MySQL error 1796.
func errFulltextOnTemporary() error {
	return mysql.NewSQLError(1796, mysql.SSUnknownSQLState, "Cannot create FULLTEXT index on temporary InnoDB table")
}
