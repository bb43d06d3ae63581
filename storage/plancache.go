package storage

import "github.com/dolthub/go-mysql-server/sql"

// DefinitionOf identifies the definition a table object was resolved
// with. Table definitions are immutable and every DDL statement installs a
// new one, so two tables with equal DefinitionOf values have the same
// columns, indexes and triggers (plan caches compare them). ok is false for
// tables that are not Quarry tables.
func DefinitionOf(t sql.Table) (id any, ok bool) {
	switch x := t.(type) {
	case *Table:
		return x.m, true
	case *IndexedTable:
		return x.m, true
	}
	return nil, false
}

// SystemGeneration changes after every committed system write: DDL,
// statistics (ANALYZE TABLE), privileges and stored objects. Caches of
// derived state (query plans) include it in their keys.
func (e *Engine) SystemGeneration() uint64 { return e.objc.sysGen.Load() }
