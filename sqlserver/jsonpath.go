package sqlserver

import (
	"encoding/json"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	gmsjson "github.com/dolthub/go-mysql-server/sql/expression/function/json"
)

// JSON path member names may be written with JSON string escapes, as in
// '$."\u540d"' (Django's key lookups on non-ASCII keys do). MySQL decodes
// them; GMS's path parser compares the escaped text and finds nothing.
// JSON_EXTRACT and JSON_CONTAINS_PATH get their path arguments wrapped in
// jsonPathArg, which decodes \uXXXX escapes inside quoted member names.

func newJSONExtract(args ...sql.Expression) (sql.Expression, error) {
	if len(args) >= 2 {
		args = append([]sql.Expression{args[0]}, wrapPaths(args[1:])...)
	}
	return gmsjson.NewJSONExtract(args...)
}

func newJSONContainsPath(args ...sql.Expression) (sql.Expression, error) {
	if len(args) >= 3 {
		args = append([]sql.Expression{args[0], args[1]}, wrapPaths(args[2:])...)
	}
	return gmsjson.NewJSONContainsPath(args...)
}

func wrapPaths(paths []sql.Expression) []sql.Expression {
	out := make([]sql.Expression, len(paths))
	for i, p := range paths {
		out[i] = jsonPathArg{p}
	}
	return out
}

// jsonPathArg is a path argument with its member-name escapes decoded. It
// prints as the argument itself, so view and column definitions keep
// their text.
type jsonPathArg struct{ sql.Expression }

func (p jsonPathArg) Children() []sql.Expression { return []sql.Expression{p.Expression} }

func (p jsonPathArg) WithChildren(c ...sql.Expression) (sql.Expression, error) {
	if len(c) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(p, len(c), 1)
	}
	return jsonPathArg{c[0]}, nil
}

func (p jsonPathArg) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := p.Expression.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	s, ok := v.(string)
	if !ok || !strings.Contains(s, `\u`) {
		return v, nil
	}
	return decodePathEscapes(s), nil
}

// decodePathEscapes decodes the JSON escapes of every double-quoted member
// name of a JSON path in which they occur. A name that would decode to a
// quote or a backslash is left alone (the path parser cannot take it).
func decodePathEscapes(path string) string {
	var b strings.Builder
	for {
		start := strings.IndexByte(path, '"')
		if start < 0 {
			b.WriteString(path)
			return b.String()
		}
		end := start + 1
		for end < len(path) && path[end] != '"' {
			if path[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(path) {
			b.WriteString(path)
			return b.String()
		}
		quoted := path[start : end+1]
		var name string
		if strings.Contains(quoted, `\u`) && json.Unmarshal([]byte(quoted), &name) == nil && !strings.ContainsAny(name, "\"\\") {
			quoted = `"` + name + `"`
		}
		b.WriteString(path[:start])
		b.WriteString(quoted)
		path = path[end+1:]
	}
}
