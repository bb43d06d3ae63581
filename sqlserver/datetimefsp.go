package sqlserver

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// MySQL prints a DATETIME(n)/TIMESTAMP(n) value with exactly n fractional
// digits ('2024-04-02 09:15:00.000000'); GMS formats it with Go's trimming
// layout ('2024-04-02 09:15:00'), in the text protocol and in CAST(... AS
// CHAR). Both are padded back here, for values read straight from a column
// (a DATETIME(n) column of a table, also through a derived table: the
// field names its table and database). Other fields (expressions, TIMESTAMP
// columns, for which GMS sends no precision) get MySQL's precision from
// ruleResultFsp (resultfsp.go) where it can be derived.

// padDatetimeFields pads the DATETIME(n) column values of res to n
// fractional digits.
func padDatetimeFields(res *sqltypes.Result) {
	if res == nil || len(res.Rows) == 0 {
		return
	}
	var cols []int
	for i, f := range res.Fields {
		if f.Type == querypb.Type_DATETIME && f.Decimals > 0 && f.Decimals <= 6 && f.OrgTable != "" && f.Database != "" {
			cols = append(cols, i)
		}
	}
	if len(cols) == 0 {
		return
	}
	for _, row := range res.Rows {
		for _, i := range cols {
			if i >= len(row) || row[i].IsNull() {
				continue
			}
			b := row[i].Raw()
			if p, ok := padFraction(b, int(res.Fields[i].Decimals)); ok {
				row[i] = sqltypes.MakeTrusted(row[i].Type(), p)
			}
		}
	}
}

// padFraction returns 'YYYY-MM-DD hh:mm:ss[.f]' with exactly fsp
// fractional digits, or false when b is not of that form or already is.
func padFraction(b []byte, fsp int) ([]byte, bool) {
	const base = len("2006-01-02 15:04:05")
	if len(b) < base || b[base-3] != ':' {
		return nil, false
	}
	digits := 0
	if len(b) > base {
		if b[base] != '.' {
			return nil, false
		}
		digits = len(b) - base - 1
	}
	if digits >= fsp {
		return nil, false
	}
	out := make([]byte, 0, base+1+fsp)
	out = append(out, b...)
	if digits == 0 {
		out = append(out, '.')
	}
	for ; digits < fsp; digits++ {
		out = append(out, '0')
	}
	return out, true
}

// ruleDatetimeCharCast is Quarry's analyzer rule for CAST(col AS CHAR).
const ruleDatetimeCharCast analyzer.RuleId = 1041

// datetimeCharCast makes CAST(col AS CHAR) and CONVERT(col, CHAR) of a
// DATETIME(n)/TIMESTAMP(n) column print n fractional digits. It runs after
// validation: the cast keeps its place and text, with the padding on top.
func datetimeCharCast(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			c, ok := e.(*expression.Convert)
			if !ok {
				return e, transform.SameTree, nil
			}
			if fsp := charCastFsp(c); fsp > 0 {
				return &datetimeChar{Convert: c, fsp: fsp}, transform.NewTree, nil
			}
			return e, transform.SameTree, nil
		})
	})
}

// charCastFsp is the fractional precision of the DATETIME/TIMESTAMP column
// that c casts to CHAR (without a length), or 0.
func charCastFsp(c *expression.Convert) int {
	if c.Type() != types.LongText || !strings.HasSuffix(c.String(), ", char)") {
		return 0
	}
	if _, ok := c.Child.(*expression.GetField); !ok {
		return 0
	}
	t := c.Child.Type()
	if !types.IsDatetimeType(t) && !types.IsTimestampType(t) {
		return 0
	}
	dt, ok := t.(sql.DatetimeType)
	if !ok || dt.Precision() <= 0 || dt.Precision() > 6 {
		return 0
	}
	return dt.Precision()
}

// datetimeChar is CAST(col AS CHAR) of a DATETIME(fsp)/TIMESTAMP(fsp)
// column, with fsp fractional digits.
type datetimeChar struct {
	*expression.Convert
	fsp int
}

var _ sql.Expression = (*datetimeChar)(nil)
var _ sql.CollationCoercible = (*datetimeChar)(nil)

// Eval implements sql.Expression.
func (d *datetimeChar) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := d.Convert.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	s, ok := v.(string)
	if !ok {
		return v, nil
	}
	if p, ok := padFraction([]byte(s), d.fsp); ok {
		return string(p), nil
	}
	return s, nil
}

// WithChildren implements sql.Expression.
func (d *datetimeChar) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := d.Convert.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	if c, ok := e.(*expression.Convert); ok {
		if fsp := charCastFsp(c); fsp > 0 {
			return &datetimeChar{Convert: c, fsp: fsp}, nil
		}
	}
	return e, nil
}
