package planner

import (
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// dayMemo evaluates DATE_FORMAT(col, 'fmt'), where fmt has only date
// specifiers, once per calendar day instead of once per row: a report's
// group key such as DATE_FORMAT(created_at, '%Y-%m') repeats for every
// order of a day. Each worker has its own copy (copyExpr calls
// WithChildren, which starts an empty cache), so the cache needs no lock.
type dayMemo struct {
	inner sql.Expression // the DATE_FORMAT
	arg   sql.Expression // its column argument
	cache map[int64]any
}

// dayMemoMax bounds the days cached per worker.
const dayMemoMax = 1 << 14

// dateOnlySpecs are the DATE_FORMAT specifiers that depend on the date
// alone (MySQL's list; time specifiers such as %H, %i, %s, %f, %p, %r, %T
// are not here).
var dateOnlySpecs = map[byte]bool{
	'a': true, 'b': true, 'c': true, 'D': true, 'd': true, 'e': true, 'j': true, 'M': true, 'm': true,
	'U': true, 'u': true, 'V': true, 'v': true, 'W': true, 'w': true, 'X': true, 'x': true, 'Y': true, 'y': true, '%': true,
}

// memoizeDays wraps every DATE_FORMAT in e that memoizeDay accepts.
func memoizeDays(e sql.Expression) sql.Expression {
	out, _, err := transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		if _, ok := e.(*function.DateFormat); !ok {
			return e, transform.SameTree, nil
		}
		if m := memoizeDay(e); m != e {
			return m, transform.NewTree, nil
		}
		return e, transform.SameTree, nil
	})
	if err != nil {
		return e
	}
	return out
}

// memoizeDay wraps e in a dayMemo when it is DATE_FORMAT of a DATE or
// DATETIME column reference with a constant, date-only format.
func memoizeDay(e sql.Expression) sql.Expression {
	df, ok := e.(*function.DateFormat)
	if !ok {
		return e
	}
	kids := df.Children()
	if len(kids) != 2 {
		return e
	}
	gf, ok := kids[0].(*expression.GetField)
	if !ok || !types.IsTime(gf.Type()) || types.IsTimestampType(gf.Type()) {
		return e
	}
	lit, ok := kids[1].(*expression.Literal)
	if !ok {
		return e
	}
	f, ok := lit.Value().(string)
	if !ok {
		return e
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		if i+1 >= len(f) || !dateOnlySpecs[f[i+1]] {
			return e
		}
		i++
	}
	return &dayMemo{inner: e, arg: gf, cache: map[int64]any{}}
}

func (m *dayMemo) Resolved() bool             { return m.inner.Resolved() }
func (m *dayMemo) String() string             { return m.inner.String() }
func (m *dayMemo) Type() sql.Type             { return m.inner.Type() }
func (m *dayMemo) IsNullable() bool           { return m.inner.IsNullable() }
func (m *dayMemo) Children() []sql.Expression { return []sql.Expression{m.inner} }
func (m *dayMemo) WithChildren(c ...sql.Expression) (sql.Expression, error) {
	if len(c) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(m, len(c), 1)
	}
	if n, ok := memoizeDay(c[0]).(*dayMemo); ok {
		return n, nil
	}
	return c[0], nil
}

// Eval implements sql.Expression.
func (m *dayMemo) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := m.arg.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	t, ok := v.(time.Time)
	if !ok || t.Location() != time.UTC {
		return m.inner.Eval(ctx, row)
	}
	key := int64(t.Year())<<9 | int64(t.YearDay())
	if r, ok := m.cache[key]; ok {
		return r, nil
	}
	r, err := m.inner.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	if len(m.cache) < dayMemoMax {
		m.cache[key] = r
	}
	return r, nil
}
