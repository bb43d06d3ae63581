package storage

import (
	"context"

	"github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// LockingParser wraps the engine's parser to notice SELECT ... FOR UPDATE /
// FOR SHARE / LOCK IN SHARE MODE, which GMS parses but ignores. The
// statement's session then runs its reads as locking reads. It also notes
// EXPLAIN statements (see IsExplain).
func LockingParser(base sql.Parser) sql.Parser { return lockingParser{base} }

type lockingParser struct{ sql.Parser }

func (p lockingParser) Parse(ctx *sql.Context, query string, multi bool) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.Parse(ctx, query, multi)
	noteLockClause(ctx, st)
	return st, q, rest, err
}

func (p lockingParser) ParseWithOptions(ctx context.Context, query string, delimiter rune, multi bool, options ast.ParserOptions) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.ParseWithOptions(ctx, query, delimiter, multi, options)
	noteLockClause(ctx, st)
	return st, q, rest, err
}

func (p lockingParser) ParseOneWithOptions(ctx context.Context, query string, options ast.ParserOptions) (ast.Statement, int, error) {
	st, n, err := p.Parser.ParseOneWithOptions(ctx, query, options)
	noteLockClause(ctx, st)
	return st, n, err
}

func noteLockClause(ctx context.Context, st ast.Statement) {
	sctx, ok := ctx.(*sql.Context)
	if !ok || st == nil {
		return
	}
	s, ok := sctx.Session.(*Session)
	if !ok {
		return
	}
	if _, ok := st.(*ast.Explain); ok {
		s.explainPid = sctx.Pid()
		return
	}
	switch LockClauseOf(st) {
	case ForUpdate:
		s.lockPid, s.lockShare = sctx.Pid(), false
	case ForShare:
		s.lockPid, s.lockShare = sctx.Pid(), true
	}
}

// IsExplain reports whether ctx's statement is an EXPLAIN / DESCRIBE of a
// query (GMS analyzes only the explained query, so rules cannot see it).
func IsExplain(ctx *sql.Context) bool {
	s, ok := ctx.Session.(*Session)
	return ok && s.explainPid != 0 && s.explainPid == ctx.Pid()
}
