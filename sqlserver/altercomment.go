package sqlserver

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/quarrydb/quarry/storage"
)

// ALTER TABLE t COMMENT [=] 'text': the vitess grammar accepts table
// options in ALTER TABLE but drops them, so GMS runs an empty block and
// the comment never changes (knex's table.comment(), hand-written
// migrations and BI tools reading TABLE_COMMENT all notice). Quarry reads
// the comment back from the statement text and applies it.

// alterTableComment recognises an ALTER TABLE whose clauses are all table
// options, one of them COMMENT; it returns the table and the last comment.
func alterTableComment(q string) (db, table, comment string, ok bool) {
	next, db, table, typ, ok := alterTableHead(q)
	if !ok {
		return "", "", "", false
	}
	ok = false
	// Clauses: COMMENT [=] 'text' is applied; other table options
	// (ENGINE, CHARSET, ROW_FORMAT, ...) are words and literals that GMS
	// also accepts and ignores. Anything structured (parentheses, ADD,
	// DROP, ...) is not an options-only ALTER: GMS runs it, and a comment
	// in it is not applied.
	for ; typ != 0 && typ != ';'; typ, _ = next() {
		switch typ {
		case sqlparser.COMMENT_KEYWORD:
			if comment, ok = commentValue(next); !ok {
				return "", "", "", false
			}
		case '(', sqlparser.ADD, sqlparser.DROP, sqlparser.MODIFY, sqlparser.CHANGE,
			sqlparser.RENAME, sqlparser.ALTER, sqlparser.CONVERT, sqlparser.PARTITION:
			return "", "", "", false
		}
	}
	return db, table, comment, ok
}

// alterTableHead reads "ALTER TABLE [db.]table" from the start of q; next
// scans the statement's following tokens and typ is the first of them.
func alterTableHead(q string) (next func() (int, string), db, table string, typ int, ok bool) {
	tkn := sqlparser.NewStringTokenizer(q)
	next = func() (int, string) {
		typ, val := tkn.Scan()
		return typ, string(val)
	}
	if typ, _ := next(); typ != sqlparser.ALTER {
		return nil, "", "", 0, false
	}
	if typ, _ := next(); typ != sqlparser.TABLE {
		return nil, "", "", 0, false
	}
	typ, name := next()
	if typ != sqlparser.ID {
		return nil, "", "", 0, false
	}
	typ, _ = next()
	if typ == '.' {
		db = name
		if typ, name = next(); typ != sqlparser.ID {
			return nil, "", "", 0, false
		}
		typ, _ = next()
	}
	return next, db, name, typ, true
}

// commentValue reads the [=] 'text' after a COMMENT keyword; ok is false
// when no string follows.
func commentValue(next func() (int, string)) (comment string, ok bool) {
	t, v := next()
	if t == '=' {
		t, v = next()
	}
	if t != sqlparser.STRING {
		return "", false
	}
	return v, true
}

// buildAlterTableComment runs an options-only ALTER TABLE with a COMMENT
// (GMS plans it as an empty block); ok is false for other statements.
func buildAlterTableComment(ctx *sql.Context, store *storage.Engine, n *plan.Block) (sql.RowIter, bool, error) {
	if store == nil || len(n.Children()) != 0 {
		return nil, false, nil
	}
	dbName, name, comment, ok := alterTableComment(ctx.Query())
	if !ok {
		return nil, false, nil
	}
	if err := setTableComment(ctx, store, dbName, name, comment); err != nil {
		return nil, true, err
	}
	return sql.RowsToRowIter(), true, nil // an empty block's schema: no rows
}

// setTableComment sets the comment of table name of database dbName (the
// current database if empty).
func setTableComment(ctx *sql.Context, store *storage.Engine, dbName, name, comment string) error {
	if dbName == "" {
		dbName = ctx.GetCurrentDatabase()
	}
	if dbName == "" {
		return sql.ErrNoDatabaseSelected.New()
	}
	db, err := store.Provider().Database(ctx, dbName)
	if err != nil {
		return err
	}
	tbl, found, err := db.GetTableInsensitive(ctx, name)
	if err != nil {
		return err
	}
	if !found {
		return sql.ErrTableNotFound.New(name)
	}
	t, ok := storage.AsTable(tbl)
	if !ok {
		return sql.ErrTableNotFound.New(name)
	}
	return t.ModifyComment(ctx, comment)
}
