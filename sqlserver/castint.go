package sqlserver

import (
	"math"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
)

// ruleCastInt is Quarry's analyzer rule for CAST(string AS SIGNED/UNSIGNED).
const ruleCastInt analyzer.RuleId = 1065

// MySQL casts a string to SIGNED or UNSIGNED by reading the integer at its
// start (after spaces and tabs, with an optional sign) and, when anything
// follows it or there is none, raises warning 1292 "Truncated incorrect
// INTEGER value: '...'" (Item_func_signed::val_int_from_str, my_strtoll10):
// CAST('1y' AS SIGNED) is 1, CAST(' 12abc' AS UNSIGNED) 12, CAST('1.7' AS
// SIGNED) 1, CAST('-5x' AS SIGNED) -5, each with the warning. GMS parsed
// the whole string and gave 0 without a warning for all but '1.7', which it
// rounded to 2. castInt wraps such a Convert (a text-typed argument) in a
// castStrInt that reads the string as MySQL does; strings it does not
// decide (a number outside the type's range, a negative number cast to
// UNSIGNED) go to GMS's conversion.

// installCastInt appends the rule to GMS's OnceAfterAll batch, once per
// process.
var installCastInt = sync.OnceFunc(func() {
	analyzer.OnceAfterAll = append(analyzer.OnceAfterAll, analyzer.Rule{Id: ruleCastInt, Apply: castInt})
})

func castInt(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprsWithOpaque(n, castIntExpr)
}

// castIntExpr is the rule's rewrite of one expression.
func castIntExpr(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	c, ok := e.(*expression.Convert)
	if !ok || !types.IsTextOnly(c.Child.Type()) {
		return e, transform.SameTree, nil
	}
	switch c.Type() {
	case types.Int64:
		return &castStrInt{Convert: c}, transform.NewTree, nil
	case types.Uint64:
		return &castStrInt{Convert: c, unsigned: true}, transform.NewTree, nil
	}
	return e, transform.SameTree, nil
}

// castStrInt is CAST(string AS SIGNED) or (unsigned) AS UNSIGNED.
type castStrInt struct {
	*expression.Convert
	unsigned bool
}

var _ sql.Expression = (*castStrInt)(nil)

// WithChildren keeps the wrapper around the rebuilt Convert.
func (e *castStrInt) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	c, err := e.Convert.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	cv, ok := c.(*expression.Convert)
	if !ok {
		return c, nil
	}
	return &castStrInt{Convert: cv, unsigned: e.unsigned}, nil
}

// Eval reads the integer prefix of the string as MySQL does.
func (e *castStrInt) Eval(ctx *sql.Context, row sql.Row) (interface{}, error) {
	v, err := e.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return e.gms(ctx, v)
	}
	neg, mag, clean, ok := integerPrefix(s)
	switch {
	case !ok, e.unsigned && neg:
		return e.gms(ctx, v)
	case !e.unsigned && !neg && mag > math.MaxInt64, !e.unsigned && neg && mag > 1<<63:
		return e.gms(ctx, v)
	}
	if !clean {
		ctx.Warn(mysql.ERTruncatedWrongValue, "Truncated incorrect INTEGER value: '%s'", s)
	}
	if e.unsigned {
		return mag, nil
	}
	if neg {
		return -int64(mag-1) - 1, nil // (-2^63 too)
	}
	return int64(mag), nil
}

// gms converts v with GMS's CAST.
func (e *castStrInt) gms(ctx *sql.Context, v interface{}) (interface{}, error) {
	to := expression.ConvertToSigned
	if e.unsigned {
		to = expression.ConvertToUnsigned
	}
	return expression.NewConvert(expression.NewLiteral(v, e.Child.Type()), to).Eval(ctx, nil)
}

// integerPrefix reads s as my_strtoll10 does: spaces and tabs, an optional
// sign, decimal digits. clean is false when there are no digits or
// anything follows them; ok is false when the digits overflow 64 bits.
func integerPrefix(s string) (neg bool, mag uint64, clean, ok bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if mag > (math.MaxUint64-d)/10 {
			return neg, 0, false, false
		}
		mag = mag*10 + d
	}
	return neg, mag, i > start && i == len(s), true
}
