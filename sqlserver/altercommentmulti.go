package sqlserver

import (
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/quarrydb/quarry/storage"
)

// An ALTER TABLE that changes the table and its comment in one statement
// (ALTER TABLE t ADD COLUMN c INT, COMMENT = 'text', as ORMs and schema
// diff tools write it) lost the comment as the options-only ALTER did
// (altercomment.go): the vitess grammar drops table options. Quarry reads
// the comment from the statement text (alterClauseComment) and sets it
// once GMS's execution of the ALTER's clauses has completed
// (commentAfterIter). MySQL applies the whole ALTER atomically; GMS runs
// the clauses one after another, and the comment is set only when all of
// them succeeded.

// alterClauseComment returns the table and the last table COMMENT of an
// ALTER TABLE with several clauses: a COMMENT [=] 'text' at the top level
// of a clause of table options (one that does not start with ADD, DROP,
// MODIFY, CHANGE, RENAME, ALTER, CONVERT or PARTITION). A column's
// COMMENT (ADD COLUMN c INT COMMENT 'x') is inside such a clause and is
// not the table's.
func alterClauseComment(q string) (db, table, comment string, ok bool) {
	next, db, table, typ, ok := alterTableHead(q)
	if !ok {
		return "", "", "", false
	}
	ok = false
	depth, clauseStart, options := 0, true, false
	for ; typ != 0 && typ != ';'; typ, _ = next() {
		if clauseStart {
			clauseStart = false
			switch typ {
			case sqlparser.ADD, sqlparser.DROP, sqlparser.MODIFY, sqlparser.CHANGE,
				sqlparser.RENAME, sqlparser.ALTER, sqlparser.CONVERT, sqlparser.PARTITION:
				options = false
			default:
				options = true
			}
		}
		switch typ {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				clauseStart = true
			}
		case sqlparser.COMMENT_KEYWORD:
			if depth != 0 || !options {
				continue
			}
			if comment, ok = commentValue(next); !ok {
				return "", "", "", false
			}
		}
	}
	return db, table, comment, ok
}

// buildAlterWithComment builds an ALTER TABLE clause node (or the Block
// of several) with GMS's builder and, when the statement also sets the
// table's comment, sets it after the iterator's last row; ok is false when
// the statement has no table COMMENT.
func buildAlterWithComment(ctx *sql.Context, store *storage.Engine, n sql.Node, r sql.Row) (sql.RowIter, bool, error) {
	if store == nil {
		return nil, false, nil
	}
	dbName, name, comment, ok := alterClauseComment(ctx.Query())
	if !ok {
		return nil, false, nil
	}
	it, err := rowexec.DefaultBuilder.Build(ctx, n, r)
	if err != nil {
		return nil, true, err
	}
	return &commentAfterIter{RowIter: it, store: store, db: dbName, table: name, comment: comment}, true, nil
}

// commentAfterIter sets a table's comment when its iterator is exhausted.
type commentAfterIter struct {
	sql.RowIter
	store              *storage.Engine
	db, table, comment string
	done               bool
}

func (it *commentAfterIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.RowIter.Next(ctx)
	if err == io.EOF && !it.done {
		it.done = true
		if cerr := setTableComment(ctx, it.store, it.db, it.table, it.comment); cerr != nil {
			return nil, cerr
		}
	}
	return row, err
}
