package storage

import (
	"sort"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/catalog"
	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/kv"
)

// Provider is the sql.DatabaseProvider over the engine's catalog.
type Provider struct{ e *Engine }

var (
	_ sql.MutableDatabaseProvider  = Provider{}
	_ sql.CollatedDatabaseProvider = Provider{}
)

// Provider returns the database provider to hand to the analyzer.
func (e *Engine) Provider() sql.MutableDatabaseProvider { return Provider{e: e} }

// Database implements sql.DatabaseProvider.
func (p Provider) Database(ctx *sql.Context, name string) (sql.Database, error) {
	p.e.mu.RLock()
	d, ok := p.e.dbs[strings.ToLower(name)]
	p.e.mu.RUnlock()
	if !ok {
		return nil, sql.ErrDatabaseNotFound.New(name)
	}
	return &Database{e: p.e, name: d.def.Name}, nil
}

// HasDatabase implements sql.DatabaseProvider.
func (p Provider) HasDatabase(ctx *sql.Context, name string) bool {
	p.e.mu.RLock()
	defer p.e.mu.RUnlock()
	_, ok := p.e.dbs[strings.ToLower(name)]
	return ok
}

// AllDatabases implements sql.DatabaseProvider, sorted by name.
func (p Provider) AllDatabases(ctx *sql.Context) []sql.Database {
	p.e.mu.RLock()
	names := make([]string, 0, len(p.e.dbs))
	for _, d := range p.e.dbs {
		names = append(names, d.def.Name)
	}
	p.e.mu.RUnlock()
	sort.Strings(names)
	out := make([]sql.Database, len(names))
	for i, n := range names {
		out[i] = &Database{e: p.e, name: n}
	}
	return out
}

// CreateDatabase implements sql.MutableDatabaseProvider.
func (p Provider) CreateDatabase(ctx *sql.Context, name string) error {
	return p.CreateCollatedDatabase(ctx, name, sql.Collation_Default)
}

// CreateCollatedDatabase implements sql.CollatedDatabaseProvider.
func (p Provider) CreateCollatedDatabase(ctx *sql.Context, name string, collation sql.CollationID) error {
	e := p.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.dbs[strings.ToLower(name)]; ok {
		return sql.ErrDatabaseExists.New(name)
	}
	def := catalog.Database{Name: name, Collation: collation}
	rec, err := catalog.EncodeDatabase(&def)
	if err != nil {
		return err
	}
	if err := e.writeSys(func(b kv.Batch) error { return b.Set(dbKey(name), rec) }); err != nil {
		return err
	}
	e.dbs[strings.ToLower(name)] = &dbState{def: def, tables: make(map[string]*tableMeta)}
	return nil
}

// DropDatabase implements sql.MutableDatabaseProvider: it removes the
// database, its tables' data and every stored object in one batch.
func (p Provider) DropDatabase(ctx *sql.Context, name string) error {
	e := p.e
	// A missing database has no tables to lock; the check below reports it.
	tables, _ := (&Database{e: e, name: name}).GetTableNames(ctx)
	if err := e.lockForDDL(ctx, name, tables...); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.dbs[strings.ToLower(name)]
	if !ok {
		return sql.ErrDatabaseNotFound.New(name)
	}
	err := e.writeSys(func(b kv.Batch) error {
		for _, m := range d.tables {
			if err := deleteTableKeys(b, d.def.Name, m); err != nil {
				return err
			}
		}
		for _, kind := range objectKinds {
			pre := objectPrefix(kind, d.def.Name)
			if err := b.DeleteRange(pre, keycodec.PrefixEnd(pre)); err != nil {
				return err
			}
		}
		return b.Delete(dbKey(name))
	})
	if err != nil {
		return err
	}
	for _, m := range d.tables {
		e.dropAutoInc(m.id())
		e.dropColumnCache(m.id())
	}
	delete(e.dbs, strings.ToLower(name))
	if ctx == nil {
		ctx = sql.NewEmptyContext()
	}
	if err := e.stats.DropDbStats(ctx, d.def.Name, true); err != nil {
		e.log.Warn("drop database statistics", "db", d.def.Name, "err", err)
	}
	return nil
}

func deleteTableKeys(b kv.Batch, db string, m *tableMeta) error {
	pre := tablePrefix(m.id())
	if err := b.DeleteRange(pre, keycodec.PrefixEnd(pre)); err != nil {
		return err
	}
	if err := b.Delete(rowCountKey(m.id())); err != nil {
		return err
	}
	if err := b.Delete(autoIncKey(m.id())); err != nil {
		return err
	}
	return b.Delete(tableKey(db, m.def.Name))
}
