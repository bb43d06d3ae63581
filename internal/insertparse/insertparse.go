// Package insertparse recognises the multi-row INSERT statements that dumps
// and bulk loaders send (INSERT INTO t [(cols)] VALUES (literals), ...) and
// reads their literal values without building a syntax tree.
//
// It accepts a deliberately small language and reports everything else as
// not applicable, so that the caller can hand the statement to the full
// parser: the statement must start with INSERT (after whitespace), and its
// values must be NULL, numbers, quoted strings or _binary strings, with no
// comments, expressions, modifiers (IGNORE, ON DUPLICATE
// KEY UPDATE, ...) or SELECT. String escapes decode exactly as vitess's
// tokenizer decodes them (sqltypes.SQLDecodeMap), so a value reads the same
// on either path.
package insertparse

import (
	"strconv"
	"strings"

	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/dolthub/vitess/go/vt/sqlparser"
	"github.com/shopspring/decimal"
)

// Kind is the syntactic kind of a literal.
type Kind uint8

const (
	// Null is NULL.
	Null Kind = iota
	// Int is an integer literal: Value is int64, or uint64 above MaxInt64.
	Int
	// Decimal is a number with a point and no exponent: Value is decimal.Decimal.
	Decimal
	// Float is a number with an exponent: Value is float64.
	Float
	// String is a quoted string: Value is string.
	String
	// Bytes is a _binary string: Value is []byte.
	Bytes
	// Param is a ? placeholder of a prepared statement (ParsePrepared
	// only): Value is its 0-based position among the placeholders.
	Param
)

// Literal is one value of a row.
type Literal struct {
	Kind  Kind
	Value any
}

// Insert is a recognised statement.
type Insert struct {
	// Database is empty when the table name is not qualified.
	Database, Table string
	// Columns is nil when the statement lists no columns.
	Columns []string
	Rows    [][]Literal
	// Rest is the text after the statement's terminating semicolon (the
	// remaining statements of a multi-statement query), or "".
	Rest string
}

// Parse reads q. ok is false when q is not a statement of the accepted
// form; q may still be valid SQL for the full parser.
func Parse(q string) (ins *Insert, ok bool) {
	p := &parser{s: q}
	ins, ok = p.insert()
	if !ok {
		return nil, false
	}
	return ins, true
}

// ParsePrepared is Parse for the text of a prepared statement: a value may
// also be a ? placeholder (a Param literal), and the statement must be the
// whole text (no further statements).
func ParsePrepared(q string) (ins *Insert, ok bool) {
	p := &parser{s: q, params: true}
	ins, ok = p.insert()
	if !ok || strings.TrimSpace(ins.Rest) != "" {
		return nil, false
	}
	return ins, true
}

// LooksLikeInsert is a cheap test for whether Parse could apply.
func LooksLikeInsert(q string) bool {
	i := 0
	for i < len(q) && isSpace(q[i]) {
		i++
	}
	return len(q)-i >= 6 && strings.EqualFold(q[i:i+6], "insert")
}

type parser struct {
	s      string
	pos    int
	params bool // ? placeholders are values (ParsePrepared)
	nparam int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) skipSpace() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

// keyword consumes kw (case-insensitive) followed by a non-identifier byte.
func (p *parser) keyword(kw string) bool {
	p.skipSpace()
	end := p.pos + len(kw)
	if end > len(p.s) || !strings.EqualFold(p.s[p.pos:end], kw) {
		return false
	}
	if end < len(p.s) && isIdentByte(p.s[end]) {
		return false
	}
	p.pos = end
	return true
}

func (p *parser) punct(c byte) bool {
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// ident reads a backquoted or bare identifier.
func (p *parser) ident() (string, bool) {
	p.skipSpace()
	if p.pos >= len(p.s) {
		return "", false
	}
	if p.s[p.pos] == '`' {
		var b strings.Builder
		i := p.pos + 1
		for {
			j := strings.IndexByte(p.s[i:], '`')
			if j < 0 {
				return "", false
			}
			b.WriteString(p.s[i : i+j])
			i += j + 1
			if i < len(p.s) && p.s[i] == '`' { // doubled backquote
				b.WriteByte('`')
				i++
				continue
			}
			break
		}
		p.pos = i
		if b.Len() == 0 {
			return "", false
		}
		return b.String(), true
	}
	start := p.pos
	for p.pos < len(p.s) && isIdentByte(p.s[p.pos]) {
		p.pos++
	}
	id := p.s[start:p.pos]
	if id == "" {
		return "", false
	}
	if c := id[0]; c >= '0' && c <= '9' {
		return "", false // vitess's rules for these differ from MySQL's
	}
	// Keywords (reserved or not) are left to the full parser.
	if typ, _ := sqlparser.NewStringTokenizer(id).Scan(); typ != sqlparser.ID {
		return "", false
	}
	return id, true
}

func (p *parser) insert() (*Insert, bool) {
	if !p.keyword("insert") {
		return nil, false
	}
	p.keyword("into")
	ins := &Insert{}
	name, ok := p.ident()
	if !ok {
		return nil, false
	}
	if p.pos < len(p.s) && p.s[p.pos] == '.' {
		p.pos++
		tbl, ok := p.ident()
		if !ok {
			return nil, false
		}
		ins.Database, ins.Table = name, tbl
	} else {
		ins.Table = name
	}
	if p.punct('(') {
		for {
			c, ok := p.ident()
			if !ok {
				return nil, false
			}
			ins.Columns = append(ins.Columns, c)
			if p.punct(',') {
				continue
			}
			if !p.punct(')') {
				return nil, false
			}
			break
		}
	}
	if !p.keyword("values") && !p.keyword("value") {
		return nil, false
	}
	for {
		row, ok := p.row()
		if !ok {
			return nil, false
		}
		ins.Rows = append(ins.Rows, row)
		if !p.punct(',') {
			break
		}
	}
	p.skipSpace()
	switch {
	case p.pos == len(p.s):
	case p.s[p.pos] == ';':
		ins.Rest = p.s[p.pos+1:]
		if strings.Trim(ins.Rest, " \t\n\r") == "" {
			ins.Rest = ""
		}
	default:
		return nil, false // ON DUPLICATE KEY UPDATE, AS alias, comments, ...
	}
	return ins, true
}

func (p *parser) row() ([]Literal, bool) {
	if !p.punct('(') {
		return nil, false
	}
	var row []Literal
	for {
		l, ok := p.literal()
		if !ok {
			return nil, false
		}
		row = append(row, l)
		if p.punct(',') {
			continue
		}
		if p.punct(')') {
			return row, true
		}
		return nil, false
	}
}

func (p *parser) literal() (Literal, bool) {
	p.skipSpace()
	if p.pos >= len(p.s) {
		return Literal{}, false
	}
	c := p.s[p.pos]
	switch {
	case c == '\'' || c == '"':
		s, ok := p.quoted(c)
		if !ok {
			return Literal{}, false
		}
		return Literal{Kind: String, Value: s}, true
	case c == '-' || c == '.' || c >= '0' && c <= '9':
		if c == '0' && p.pos+1 < len(p.s) && (p.s[p.pos+1] == 'x' || p.s[p.pos+1] == 'X' || p.s[p.pos+1] == 'b' || p.s[p.pos+1] == 'B') {
			return Literal{}, false // hex and bit literals: left to the full parser
		}
		return p.number()
	case c == '_':
		if p.keyword("_binary") {
			p.skipSpace()
			if p.pos < len(p.s) && (p.s[p.pos] == '\'' || p.s[p.pos] == '"') {
				s, ok := p.quoted(p.s[p.pos])
				if !ok {
					return Literal{}, false
				}
				return Literal{Kind: Bytes, Value: []byte(s)}, true
			}
		}
		return Literal{}, false
	case c == 'n' || c == 'N':
		if p.keyword("null") {
			return Literal{Kind: Null}, true
		}
	case c == '?' && p.params:
		p.pos++
		p.nparam++
		return Literal{Kind: Param, Value: p.nparam - 1}, true
	}
	return Literal{}, false
}

// quoted reads a string delimited by q, decoding escapes as vitess does.
// Adjacent strings ('a' 'b'), which MySQL concatenates, are not accepted.
func (p *parser) quoted(q byte) (string, bool) {
	i := p.pos + 1
	var b []byte
	start := i
	for {
		if i >= len(p.s) {
			return "", false
		}
		c := p.s[i]
		switch {
		case c == '\\':
			if i+1 >= len(p.s) {
				return "", false
			}
			b = append(b, p.s[start:i]...)
			e := p.s[i+1]
			if d := sqltypes.SQLDecodeMap[e]; d == sqltypes.DontEscape {
				b = append(b, e)
			} else {
				b = append(b, d)
			}
			i += 2
			start = i
		case c == q:
			if i+1 < len(p.s) && p.s[i+1] == q { // doubled quote
				b = append(b, p.s[start:i+1]...)
				i += 2
				start = i
				continue
			}
			var s string
			if b == nil {
				s = p.s[start:i]
			} else {
				s = string(append(b, p.s[start:i]...))
			}
			p.pos = i + 1
			// A following string would be concatenated by MySQL.
			j := p.pos
			for j < len(p.s) && isSpace(p.s[j]) {
				j++
			}
			if j < len(p.s) && (p.s[j] == '\'' || p.s[j] == '"') {
				return "", false
			}
			return s, true
		default:
			i++
		}
	}
}

// number reads an optionally negative integer, decimal or float literal.
func (p *parser) number() (Literal, bool) {
	i := p.pos
	if p.s[i] == '-' {
		i++
	}
	digitsStart := i
	for i < len(p.s) && p.s[i] >= '0' && p.s[i] <= '9' {
		i++
	}
	intDigits := i - digitsStart
	point, exp := false, false
	if i < len(p.s) && p.s[i] == '.' {
		point = true
		i++
		fs := i
		for i < len(p.s) && p.s[i] >= '0' && p.s[i] <= '9' {
			i++
		}
		if intDigits == 0 && i == fs {
			return Literal{}, false
		}
	} else if intDigits == 0 {
		return Literal{}, false
	}
	if i < len(p.s) && (p.s[i] == 'e' || p.s[i] == 'E') {
		exp = true
		i++
		if i < len(p.s) && (p.s[i] == '-' || p.s[i] == '+') {
			i++
		}
		es := i
		for i < len(p.s) && p.s[i] >= '0' && p.s[i] <= '9' {
			i++
		}
		if i == es {
			return Literal{}, false
		}
	}
	if i < len(p.s) && (isIdentByte(p.s[i]) || p.s[i] == '.') {
		return Literal{}, false
	}
	text := p.s[p.pos:i]
	p.pos = i
	switch {
	case exp:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return Literal{}, false
		}
		return Literal{Kind: Float, Value: f}, true
	case point:
		d, err := decimal.NewFromString(text)
		if err != nil {
			return Literal{}, false
		}
		return Literal{Kind: Decimal, Value: d}, true
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return Literal{Kind: Int, Value: n}, true
	}
	if n, err := strconv.ParseUint(text, 10, 64); err == nil {
		return Literal{Kind: Int, Value: n}, true
	}
	d, err := decimal.NewFromString(text)
	if err != nil {
		return Literal{}, false
	}
	return Literal{Kind: Decimal, Value: d}, true
}
