package sqlserver

import (
	"context"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// In a MySQL string literal, \% and \_ keep their backslash ('\_' is two
// characters), so that LIKE '%\_%' matches a literal underscore. Vitess's
// tokenizer drops the backslash of every escape it does not know, so the
// pattern became '%_%' and matched any character. likeEscapeParser doubles
// the backslash of \% and \_ inside quoted strings before parsing (the
// tokenizer turns \\ back into one backslash) and maps the offsets and
// texts it returns back to the statement as sent.
//
// SHOW statements are left alone: GMS matches SHOW TABLES/TABLE
// STATUS/STATUS ... LIKE patterns without escapes, so 'a\_b' (as mysqldump
// sends table names) found nothing with the backslash kept, and matched as
// before ('_' any character) without it.

func likeEscapeParser(base sql.Parser) sql.Parser { return likeEscape{base} }

type likeEscape struct{ sql.Parser }

func (p likeEscape) Parse(ctx *sql.Context, query string, multi bool) (ast.Statement, string, string, error) {
	text, ins := keepLikeEscapes(query)
	st, q, rest, err := p.Parser.Parse(ctx, text, multi)
	if ins == nil {
		return st, q, rest, err
	}
	q, rest = mapBack(query, text, ins, q, rest)
	return st, q, rest, err
}

func (p likeEscape) ParseWithOptions(ctx context.Context, query string, delimiter rune, multi bool, options ast.ParserOptions) (ast.Statement, string, string, error) {
	text, ins := keepLikeEscapes(query)
	st, q, rest, err := p.Parser.ParseWithOptions(ctx, text, delimiter, multi, options)
	if ins == nil {
		return st, q, rest, err
	}
	q, rest = mapBack(query, text, ins, q, rest)
	return st, q, rest, err
}

func (p likeEscape) ParseOneWithOptions(ctx context.Context, query string, options ast.ParserOptions) (ast.Statement, int, error) {
	text, ins := keepLikeEscapes(query)
	st, n, err := p.Parser.ParseOneWithOptions(ctx, text, options)
	if ins != nil {
		n = originalOffset(ins, n)
	}
	return st, n, err
}

// keepLikeEscapes returns query with \% and \_ inside '...' and "..."
// strings written \\% and \\_, and the offsets in the result of the
// backslashes it inserted (nil when it inserted none). Comments and
// `identifiers` are copied unchanged.
func keepLikeEscapes(query string) (string, []int) {
	if !strings.Contains(query, `\_`) && !strings.Contains(query, `\%`) || strings.EqualFold(leadingKeyword(query), "show") {
		return query, nil
	}
	var b strings.Builder
	var ins []int
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			b.WriteByte(c)
			i++
			for i < len(query) {
				d := query[i]
				if d == '\\' && i+1 < len(query) {
					if e := query[i+1]; e == '%' || e == '_' {
						ins = append(ins, b.Len())
						b.WriteByte('\\')
					}
					b.WriteString(query[i : i+2])
					i += 2
					continue
				}
				b.WriteByte(d)
				i++
				if d == c {
					if i < len(query) && query[i] == c { // doubled quote
						b.WriteByte(c)
						i++
						continue
					}
					break
				}
			}
		case c == '`':
			j := strings.IndexByte(query[i+1:], '`')
			if j < 0 {
				j = len(query) - i - 1
			}
			b.WriteString(query[i : i+j+2])
			i += j + 2
		case c == '#' || c == '-' && strings.HasPrefix(query[i:], "-- "):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j
		case c == '/' && strings.HasPrefix(query[i:], "/*") && !strings.HasPrefix(query[i:], "/*!"):
			j := strings.Index(query[i+2:], "*/")
			if j < 0 {
				j = len(query) - i - 2
			} else {
				j += 2
			}
			b.WriteString(query[i : i+2+j])
			i += 2 + j
		default:
			b.WriteByte(c)
			i++
		}
	}
	if ins == nil {
		return query, nil
	}
	return b.String(), ins
}

// leadingKeyword is the first word of query after spaces and comments.
func leadingKeyword(query string) string {
	i := 0
	for i < len(query) {
		switch c := query[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(':
			i++
		case c == '#' || c == '-' && strings.HasPrefix(query[i:], "-- "):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				return ""
			}
			i += j
		case c == '/' && strings.HasPrefix(query[i:], "/*") && !strings.HasPrefix(query[i:], "/*!"):
			j := strings.Index(query[i+2:], "*/")
			if j < 0 {
				return ""
			}
			i += j + 4
		default:
			j := i
			for j < len(query) && (query[j] >= 'a' && query[j] <= 'z' || query[j] >= 'A' && query[j] <= 'Z') {
				j++
			}
			return query[i:j]
		}
	}
	return ""
}

// originalOffset maps an offset in the rewritten text to the query's.
func originalOffset(ins []int, n int) int {
	return n - sort.SearchInts(ins, n)
}

// mapBack maps the statement text and remainder the parser returned for
// the rewritten text to the corresponding parts of query.
func mapBack(query, text string, ins []int, q, rest string) (string, string) {
	if end := len(text) - len(rest); end >= 0 && end <= len(text) && text[end:] == rest {
		rest = query[min(originalOffset(ins, end), len(query)):]
	}
	if start := strings.Index(text, q); start >= 0 {
		s, e := originalOffset(ins, start), originalOffset(ins, start+len(q))
		if s <= e && e <= len(query) {
			q = query[s:e]
		}
	}
	return q, rest
}

// ruleLikeEscapeArg is Quarry's analyzer rule for LIKE ... ESCAPE.
const ruleLikeEscapeArg analyzer.RuleId = 1056

// likeEscapeArg makes the ESCAPE argument of every LIKE one GMS reads as
// MySQL does (escapeArg), unless it is a literal of one character.
// GMS panicked on an empty ESCAPE string (it takes the first rune of the string), which
// MySQL reads as "no escape character", and named error 1210 differently.
func likeEscapeArg(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			l, ok := e.(*expression.Like)
			if !ok || l.Escape == nil {
				return e, transform.SameTree, nil
			}
			if _, done := l.Escape.(*escapeArg); done {
				return e, transform.SameTree, nil
			}
			// MySQL requires an escape constant during execution.
			if transform.InspectExpr(l.Escape, func(e sql.Expression) bool {
				_, col := e.(*expression.GetField)
				return col
			}) {
				return nil, transform.SameTree, errEscapeArgument
			}
			// A literal of one character stays a literal (the search
			// pushdown reads it); '' becomes the literal noEscape.
			if lit, ok := l.Escape.(*expression.Literal); ok {
				if s, ok := lit.Value().(string); ok {
					switch utf8.RuneCountInString(s) {
					case 1:
						return e, transform.SameTree, nil
					case 0:
						return expression.NewLike(l.LeftChild, l.RightChild, expression.NewLiteral(noEscape, lit.Type())), transform.NewTree, nil
					}
				}
			}
			return expression.NewLike(l.LeftChild, l.RightChild, &escapeArg{l.Escape}), transform.NewTree, nil
		})
	})
}

// noEscape is the escape character that stands for none: GMS's LIKE
// matcher rejects U+FFFD (utf8.RuneError) in a pattern before it compares
// a character with the escape character, so it never escapes anything.
const noEscape = "\uFFFD"

// escapeArg is the ESCAPE argument of a LIKE as MySQL reads it: empty is no
// escape character, more than one character is error 1210 (HY000).
type escapeArg struct{ child sql.Expression }

var _ sql.Expression = (*escapeArg)(nil)

func (a *escapeArg) Resolved() bool             { return a.child.Resolved() }
func (a *escapeArg) String() string             { return a.child.String() }
func (a *escapeArg) Type() sql.Type             { return a.child.Type() }
func (a *escapeArg) IsNullable() bool           { return a.child.IsNullable() }
func (a *escapeArg) Children() []sql.Expression { return []sql.Expression{a.child} }

func (a *escapeArg) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), 1)
	}
	return &escapeArg{children[0]}, nil
}

func (a *escapeArg) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := a.child.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	s, ok := v.(string)
	if !ok {
		c, _, err := types.LongText.Convert(ctx, v)
		if err != nil {
			return nil, err
		}
		s = c.(string)
	}
	switch utf8.RuneCountInString(s) {
	case 0:
		return noEscape, nil
	case 1:
		return s, nil
	}
	return nil, errEscapeArgument
}

// DebugString is the child's: plans (EXPLAIN) look as before.
func (a *escapeArg) DebugString() string { return sql.DebugString(a.child) }

// errEscapeArgument is error 1210 (HY000). MySQL's message is "Incorrect
// arguments to ESCAPE"; this is GMS's error kind ("Invalid argument to
// ESCAPE"), which GMS's own tests expect.
var errEscapeArgument = sql.ErrInvalidArgument.New("ESCAPE")
