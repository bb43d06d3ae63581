package sqlserver

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// Compound INTERVAL units (YEAR_MONTH, DAY_HOUR, ..., SECOND_MICROSECOND).
//
// Parsing: the units are reserved words, and the grammar's INTERVAL
// expression takes its unit as an identifier, so DATE_ADD(d, INTERVAL
// '1-2' YEAR_MONTH) was a syntax error. When a statement fails to parse,
// intervalUnitParser quotes the unit after each INTERVAL (`YEAR_MONTH`, an
// identifier with the same name) and parses it again; statements that
// parse are untouched (event schedules take the units as keywords).
//
// Evaluation: GMS accepts only one exact layout per unit ('1 2' for
// DAY_HOUR) and no sign. MySQL (get_interval_value, get_interval_info)
// skips leading spaces, takes a leading '-' as the sign of the whole
// interval, reads digit groups separated by any non-digits, right-aligns
// them when there are fewer than the unit has ('1:10' DAY_SECOND is one
// minute ten seconds) and, for *_MICROSECOND units, scales a complete last
// group to six digits ('1.2' SECOND_MICROSECOND is 1.2 seconds).
// compoundInterval evaluates the interval that way and hands GMS's DATE_ADD,
// DATE_SUB or +/- the canonical unsigned text, with the operation flipped
// for a negative interval.

var compoundUnits = map[string]struct {
	parts int
	msec  bool
}{
	"YEAR_MONTH":         {2, false},
	"DAY_HOUR":           {2, false},
	"DAY_MINUTE":         {3, false},
	"DAY_SECOND":         {4, false},
	"HOUR_MINUTE":        {2, false},
	"HOUR_SECOND":        {3, false},
	"MINUTE_SECOND":      {2, false},
	"DAY_MICROSECOND":    {5, true},
	"HOUR_MICROSECOND":   {4, true},
	"MINUTE_MICROSECOND": {3, true},
	"SECOND_MICROSECOND": {2, true},
}

// mysqlInterval parses s as MySQL reads an interval string of a compound
// unit: the sign and GMS's canonical text of the magnitude. ok is false
// when a number overflows (MySQL's result is then NULL).
func mysqlInterval(s, unit string) (neg bool, canon string, ok bool) {
	u := compoundUnits[unit]
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	i := 0
	for i < len(s) && !isDigit(s[i]) {
		i++
	}
	vals := make([]int64, u.parts)
	for k := 0; k < u.parts; k++ {
		start := i
		var v int64
		for ; i < len(s) && isDigit(s[i]); i++ {
			if v > (math.MaxInt64-10)/10 {
				return false, "", false
			}
			v = v*10 + int64(s[i]-'0')
		}
		if u.msec && k == u.parts-1 {
			for n := i - start; n < 6; n++ {
				v *= 10
			}
		}
		vals[k] = v
		for i < len(s) && !isDigit(s[i]) {
			i++
		}
		if i == len(s) && k != u.parts-1 {
			got := k + 1
			copy(vals[u.parts-got:], vals[:got])
			for j := 0; j < u.parts-got; j++ {
				vals[j] = 0
			}
			break
		}
	}
	v := func(i int) any { return vals[i] }
	switch unit {
	case "YEAR_MONTH":
		canon = fmt.Sprintf("%d-%d", v(0), v(1))
	case "DAY_HOUR":
		canon = fmt.Sprintf("%d %d", v(0), v(1))
	case "DAY_MINUTE":
		canon = fmt.Sprintf("%d %d:%d", v(0), v(1), v(2))
	case "DAY_SECOND":
		canon = fmt.Sprintf("%d %d:%d:%d", v(0), v(1), v(2), v(3))
	case "HOUR_MINUTE", "MINUTE_SECOND":
		canon = fmt.Sprintf("%d:%d", v(0), v(1))
	case "HOUR_SECOND":
		canon = fmt.Sprintf("%d:%d:%d", v(0), v(1), v(2))
	case "DAY_MICROSECOND":
		canon = fmt.Sprintf("%d %d:%d:%d.%d", v(0), v(1), v(2), v(3), v(4))
	case "HOUR_MICROSECOND":
		canon = fmt.Sprintf("%d:%d:%d.%d", v(0), v(1), v(2), v(3))
	case "MINUTE_MICROSECOND":
		canon = fmt.Sprintf("%d:%d.%d", v(0), v(1), v(2))
	case "SECOND_MICROSECOND":
		canon = fmt.Sprintf("%d.%d", v(0), v(1))
	}
	return neg, canon, true
}

const ruleCompoundInterval analyzer.RuleId = 1058

// installCompoundInterval puts the rule into AlwaysBeforeDefault (which the
// simple UPDATE/DELETE pipelines run too) before monthFix's, so monthFix
// sees the intervals compoundInterval builds.
var installCompoundInterval = sync.OnceFunc(func() {
	analyzer.AlwaysBeforeDefault = append(analyzer.AlwaysBeforeDefault, analyzer.Rule{Id: ruleCompoundInterval, Apply: compoundIntervalRule})
})

func compoundIntervalRule(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprsWithOpaque(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			if ci := newCompoundInterval(e); ci != nil {
				return ci, transform.NewTree, nil
			}
			return e, transform.SameTree, nil
		})
	})
}

// compoundInterval is date ± an interval of a compound unit (see above).
type compoundInterval struct {
	orig  sql.Expression // the GMS expression; its type is the result's
	date  sql.Expression
	value sql.Expression // the interval's value
	unit  string
	add   bool
	arith bool // date + INTERVAL (else DATE_ADD/DATE_SUB)
}

func newCompoundInterval(e sql.Expression) *compoundInterval {
	c := &compoundInterval{orig: e}
	var iv *expression.Interval
	switch x := e.(type) {
	case *function.DateAdd:
		c.date, iv, c.add = x.Date, x.Interval, true
	case *function.DateSub:
		c.date, iv = x.Date, x.Interval
	case *expression.Arithmetic:
		c.arith = true
		switch {
		case x.Op == "+" && isInterval(x.RightChild) && !isInterval(x.LeftChild):
			c.date, iv, c.add = x.LeftChild, x.RightChild.(*expression.Interval), true
		case x.Op == "+" && isInterval(x.LeftChild) && !isInterval(x.RightChild):
			c.date, iv, c.add = x.RightChild, x.LeftChild.(*expression.Interval), true
		case x.Op == "-" && isInterval(x.RightChild) && !isInterval(x.LeftChild):
			c.date, iv = x.LeftChild, x.RightChild.(*expression.Interval)
		}
	}
	if iv == nil {
		return nil
	}
	if _, ok := compoundUnits[iv.Unit]; !ok {
		return nil
	}
	c.value, c.unit = iv.Child, iv.Unit
	return c
}

var _ sql.Expression = (*compoundInterval)(nil)
var _ sql.CollationCoercible = (*compoundInterval)(nil)

func (c *compoundInterval) Resolved() bool             { return c.orig.Resolved() }
func (c *compoundInterval) String() string             { return c.orig.String() }
func (c *compoundInterval) DebugString() string        { return sql.DebugString(c.orig) }
func (c *compoundInterval) Type() sql.Type             { return c.orig.Type() }
func (c *compoundInterval) IsNullable() bool           { return true }
func (c *compoundInterval) Children() []sql.Expression { return []sql.Expression{c.date, c.value} }

func (c *compoundInterval) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return sql.GetCoercibility(ctx, c.orig)
}

func (c *compoundInterval) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(c, len(children), 2)
	}
	orig, err := c.build(children[0], expression.NewInterval(children[1], c.unit), c.add)
	if err != nil {
		return nil, err
	}
	nc := *c
	nc.orig, nc.date, nc.value = orig, children[0], children[1]
	return &nc, nil
}

// build is GMS's date ± iv.
func (c *compoundInterval) build(date sql.Expression, iv *expression.Interval, add bool) (sql.Expression, error) {
	switch {
	case c.arith && add:
		return expression.NewArithmetic(date, iv, "+"), nil
	case c.arith:
		return expression.NewArithmetic(date, iv, "-"), nil
	case add:
		return function.NewDateAdd(date, iv)
	}
	return function.NewDateSub(date, iv)
}

func (c *compoundInterval) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := c.value.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	s, err := toString(ctx, v)
	if err != nil {
		return nil, err
	}
	neg, canon, ok := mysqlInterval(s, c.unit)
	if !ok {
		return nil, nil
	}
	e, err := c.build(c.date, expression.NewInterval(expression.NewLiteral(canon, types.LongText), c.unit), c.add != neg)
	if err != nil {
		return nil, err
	}
	if mf := newMonthFix(e); mf != nil {
		return mf.Eval(ctx, row)
	}
	return e.Eval(ctx, row)
}

// intervalUnitParser: see the comment at the top.
func intervalUnitParser(base sql.Parser) sql.Parser { return intervalUnits{base} }

type intervalUnits struct{ sql.Parser }

func (p intervalUnits) Parse(ctx *sql.Context, query string, multi bool) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.Parse(ctx, query, multi)
	if err == nil {
		return st, q, rest, err
	}
	text, ins := quoteIntervalUnits(query)
	if ins == nil {
		return st, q, rest, err
	}
	st2, q2, rest2, err2 := p.Parser.Parse(ctx, text, multi)
	if err2 != nil {
		return st, q, rest, err
	}
	q2, rest2 = mapBack(query, text, ins, q2, rest2)
	unquoteColumnNames(st2)
	return st2, q2, rest2, nil
}

func (p intervalUnits) ParseWithOptions(ctx context.Context, query string, delimiter rune, multi bool, options ast.ParserOptions) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.ParseWithOptions(ctx, query, delimiter, multi, options)
	if err == nil {
		return st, q, rest, err
	}
	text, ins := quoteIntervalUnits(query)
	if ins == nil {
		return st, q, rest, err
	}
	st2, q2, rest2, err2 := p.Parser.ParseWithOptions(ctx, text, delimiter, multi, options)
	if err2 != nil {
		return st, q, rest, err
	}
	q2, rest2 = mapBack(query, text, ins, q2, rest2)
	unquoteColumnNames(st2)
	return st2, q2, rest2, nil
}

func (p intervalUnits) ParseOneWithOptions(ctx context.Context, query string, options ast.ParserOptions) (ast.Statement, int, error) {
	st, n, err := p.Parser.ParseOneWithOptions(ctx, query, options)
	if err == nil {
		return st, n, err
	}
	text, ins := quoteIntervalUnits(query)
	if ins == nil {
		return st, n, err
	}
	st2, n2, err2 := p.Parser.ParseOneWithOptions(ctx, text, options)
	if err2 != nil {
		return st, n, err
	}
	unquoteColumnNames(st2)
	return st2, originalOffset(ins, n2), nil
}

// unquoteColumnNames removes the backquotes quoteIntervalUnits added from
// the expression texts GMS names result columns after.
func unquoteColumnNames(st ast.Statement) {
	if st == nil {
		return
	}
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		if ae, ok := n.(*ast.AliasedExpr); ok && strings.Contains(ae.InputExpression, "`") {
			for u := range compoundUnits {
				ae.InputExpression = replaceFold(ae.InputExpression, "`"+u+"`")
			}
		}
		return true, nil
	}, st)
}

// replaceFold drops the backquotes of every case-insensitive occurrence of
// quoted (a backquoted word) in s.
func replaceFold(s, quoted string) string {
	var b strings.Builder
	for {
		i := strings.Index(strings.ToUpper(s), strings.ToUpper(quoted))
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(s[i+1 : i+len(quoted)-1])
		s = s[i+len(quoted):]
	}
}

// intervalUnitWords are the units quoteIntervalUnits looks for; the first
// of them after INTERVAL (outside parentheses opened after it) ends the
// interval.
var intervalUnitWords = map[string]bool{
	"MICROSECOND": true, "SECOND": true, "MINUTE": true, "HOUR": true, "DAY": true,
	"WEEK": true, "MONTH": true, "QUARTER": true, "YEAR": true,
}

// quoteIntervalUnits returns query with the compound unit ending each
// INTERVAL expression in backquotes, and the offsets in the result of the
// backquotes it inserted (nil when none). Strings, comments and quoted
// identifiers are skipped.
func quoteIntervalUnits(query string) (string, []int) {
	type word struct{ start, end, depth int }
	var words []word
	depth := 0
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(query) {
				if query[j] == '\\' && c != '`' {
					j += 2
					continue
				}
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j + 1
		case c == '#' || c == '-' && strings.HasPrefix(query[i:], "-- "):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			i += j
		case c == '/' && strings.HasPrefix(query[i:], "/*") && !strings.HasPrefix(query[i:], "/*!"):
			j := strings.Index(query[i+2:], "*/")
			if j < 0 {
				i = len(query)
			} else {
				i += j + 4
			}
		case c == '(':
			depth++
			i++
		case c == ')':
			depth--
			i++
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(query) && (query[j] == '_' || query[j] == '$' || query[j] >= 'a' && query[j] <= 'z' || query[j] >= 'A' && query[j] <= 'Z' || query[j] >= '0' && query[j] <= '9') {
				j++
			}
			words = append(words, word{i, j, depth})
			i = j
		default:
			i++
		}
	}
	var quote []word
	for k, w := range words {
		if !strings.EqualFold(query[w.start:w.end], "INTERVAL") {
			continue
		}
		for _, u := range words[k+1:] {
			if u.depth < w.depth {
				break
			}
			name := strings.ToUpper(query[u.start:u.end])
			if u.depth != w.depth || !intervalUnitWords[name] && compoundUnits[name].parts == 0 {
				continue
			}
			if compoundUnits[name].parts > 0 {
				quote = append(quote, u)
			}
			break
		}
	}
	if quote == nil {
		return query, nil
	}
	var b strings.Builder
	var ins []int
	last := 0
	for _, u := range quote {
		b.WriteString(query[last:u.start])
		ins = append(ins, b.Len())
		b.WriteByte('`')
		b.WriteString(query[u.start:u.end])
		ins = append(ins, b.Len())
		b.WriteByte('`')
		last = u.end
	}
	b.WriteString(query[last:])
	return b.String(), ins
}
