package sqlserver

import (
	"math"
	"math/big"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// ruleIntOverflow is Quarry's analyzer rule for integer +, - and *.
const ruleIntOverflow analyzer.RuleId = 1061

// erDataOutOfRange is ER_DATA_OUT_OF_RANGE.
const erDataOutOfRange = 1690

// In MySQL, integer +, - and * compute in 64 bits and fail with error
// 1690 (22003) "BIGINT value is out of range in '(a + b)'" when the exact
// result does not fit the result type (Item_func_plus/minus/mul::int_op,
// check_integer_overflow in sql/item_func.cc). The result is unsigned
// (BIGINT UNSIGNED, message "BIGINT UNSIGNED value ...") when either
// operand is unsigned, except for a subtraction under sql_mode
// NO_UNSIGNED_SUBTRACTION; so an unsigned column minus a larger value is
// an error, not a negative number
// (https://dev.mysql.com/doc/refman/8.0/en/out-of-range-and-overflow.html).
// GMS wraps around silently (9223372036854775807 + 1 gave
// -9223372036854775808). intOverflow wraps each such Arithmetic whose
// operands' MySQL signedness it knows (mysqlUnsigned) in an intArith,
// which computes the exact result and checks it.
//
// The rule sits in OnceAfterAll, which the simple INSERT/UPDATE/DELETE
// pipeline runs too; the learned prepared DML path reuses the analyzed plan
// (intArith included), so it checks the same way.

// installIntOverflow appends the rule to GMS's OnceAfterAll batch, once
// per process (before observeDML, which is installed last).
var installIntOverflow = sync.OnceFunc(func() {
	analyzer.OnceAfterAll = append(analyzer.OnceAfterAll, analyzer.Rule{Id: ruleIntOverflow, Apply: intOverflow})
})

func intOverflow(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprsWithOpaque(n, intOverflowExpr(ctx))
}

// intOverflowExpr is the rule's rewrite of one expression.
func intOverflowExpr(ctx *sql.Context) transform.ExprFunc {
	noUnsignedSub := false
	decided := false
	return func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		a, ok := e.(*expression.Arithmetic)
		if !ok {
			return e, transform.SameTree, nil
		}
		op := strings.ToLower(a.Op)
		if op != ast.PlusStr && op != ast.MinusStr && op != ast.MultStr {
			return e, transform.SameTree, nil
		}
		lu, lok := mysqlUnsigned(a.LeftChild)
		ru, rok := mysqlUnsigned(a.RightChild)
		if !lok || !rok {
			return e, transform.SameTree, nil
		}
		unsigned := lu || ru
		if unsigned && op == ast.MinusStr {
			if !decided {
				noUnsignedSub = sql.LoadSqlMode(ctx).ModeEnabled("NO_UNSIGNED_SUBTRACTION")
				decided = true
			}
			unsigned = !noUnsignedSub
		}
		gmsUnsigned := a.Type() == types.Uint64
		if gmsUnsigned && !unsigned {
			// GMS types the result BIGINT UNSIGNED where MySQL's is
			// signed (5 - 200: GMS types small literals unsigned): left
			// to GMS, as the result type cannot change here.
			return e, transform.SameTree, nil
		}
		return &intArith{Arithmetic: a, op: op[0], unsigned: unsigned, gmsUnsigned: gmsUnsigned}, transform.NewTree, nil
	}
}

// mysqlUnsigned reports whether e is unsigned in MySQL's sense (its
// unsigned_flag) and whether that is known. GMS's signed integer types
// are signed; of its unsigned ones, only columns, CAST(... AS UNSIGNED),
// literals above 2^63-1 and checked arithmetic are unsigned in MySQL
// (GMS types a literal by its magnitude: 200 is a TINYINT UNSIGNED, which
// MySQL's literal is not); other expressions are not known.
func mysqlUnsigned(e sql.Expression) (unsigned, known bool) {
	if x, ok := e.(*intArith); ok {
		return x.unsigned, true
	}
	t := e.Type()
	if types.IsSigned(t) {
		return false, true
	}
	if !types.IsUnsigned(t) {
		return false, false
	}
	switch x := e.(type) {
	case *expression.GetField, *expression.Convert:
		return true, true
	case *expression.Literal:
		v, ok := x.Value().(uint64)
		return ok && v > math.MaxInt64, true
	}
	return false, false
}

// intArith is an integer +, - or * with MySQL's result type and overflow
// check. Its children are the Arithmetic's (so the rule never wraps it
// twice).
//
// Its type stays GMS's (BIGINT, or BIGINT UNSIGNED when both operands are
// unsigned): the analyzer has matched UNION operands and conversions to
// it. So a result that MySQL gives as BIGINT UNSIGNED above 2^63-1 while
// GMS types it BIGINT (a signed and an unsigned operand) is left to GMS.
type intArith struct {
	*expression.Arithmetic
	op          byte // '+', '-' or '*'
	unsigned    bool // MySQL's result is BIGINT UNSIGNED (its unsigned_flag)
	gmsUnsigned bool // GMS's type is BIGINT UNSIGNED (then so is MySQL's)
}

var _ sql.Expression = (*intArith)(nil)

// WithChildren keeps the wrapper around the rebuilt Arithmetic.
func (e *intArith) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	a, err := e.Arithmetic.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	ar, ok := a.(*expression.Arithmetic)
	if !ok {
		return a, nil
	}
	return &intArith{Arithmetic: ar, op: e.op, unsigned: e.unsigned, gmsUnsigned: e.gmsUnsigned}, nil
}

// Eval computes the exact result of the operands (both evaluated, as GMS
// does) and returns it as uint64 (unsigned) or int64, or error 1690 if it
// does not fit.
func (e *intArith) Eval(ctx *sql.Context, row sql.Row) (interface{}, error) {
	l, err := e.LeftChild.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	r, err := e.RightChild.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	if l == nil || r == nil {
		return nil, nil
	}
	ls, lu, lok := intParts(l)
	rs, ru, rok := intParts(r)
	if !lok || !rok {
		// Not a Go integer (cannot happen for integer-typed operands,
		// but GMS's own arithmetic handles anything).
		return expression.NewArithmetic(expression.NewLiteral(l, e.LeftChild.Type()),
			expression.NewLiteral(r, e.RightChild.Type()), e.Op).Eval(ctx, nil)
	}
	// Fast path: both operands fit in int64 and so does the result.
	if !lu && !ru {
		if v, ok := e.int64Op(ls, rs); ok {
			switch {
			case !e.unsigned:
				return v, nil
			case v < 0:
				return nil, e.outOfRange()
			case e.gmsUnsigned:
				return uint64(v), nil
			}
			return v, nil
		}
	}
	// Exact arithmetic for the rest.
	var x, y, z big.Int
	setBig(&x, ls, lu)
	setBig(&y, rs, ru)
	switch e.op {
	case '+':
		z.Add(&x, &y)
	case '-':
		z.Sub(&x, &y)
	default:
		z.Mul(&x, &y)
	}
	switch {
	case !e.unsigned:
		if z.IsInt64() {
			return z.Int64(), nil
		}
	case z.Sign() >= 0 && z.IsUint64():
		if e.gmsUnsigned {
			return z.Uint64(), nil
		}
		if z.IsInt64() {
			return z.Int64(), nil
		}
		// Above GMS's BIGINT: GMS's (wrapped) result, as before.
		return expression.NewArithmetic(expression.NewLiteral(l, e.LeftChild.Type()),
			expression.NewLiteral(r, e.RightChild.Type()), e.Op).Eval(ctx, nil)
	}
	return nil, e.outOfRange()
}

// int64Op returns a op b, or false if it overflows int64.
func (e *intArith) int64Op(a, b int64) (int64, bool) {
	switch e.op {
	case '+':
		s := a + b
		return s, (a >= 0) != (b >= 0) || (s >= 0) == (a >= 0)
	case '-':
		d := a - b
		return d, (a >= 0) == (b >= 0) || (d >= 0) == (a >= 0)
	default:
		if a == 0 || b == 0 {
			return 0, true
		}
		p := a * b
		if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
			return 0, false
		}
		return p, true
	}
}

// outOfRange is MySQL's error for the expression.
func (e *intArith) outOfRange() error {
	typ := "BIGINT"
	if e.unsigned {
		typ = "BIGINT UNSIGNED"
	}
	return mysql.NewSQLError(erDataOutOfRange, "22003", "%s value is out of range in '%s'", typ, mysqlExprText(e))
}

// intParts returns v as a signed value, or (for a uint64 above
// math.MaxInt64) as an unsigned one with big set.
func intParts(v interface{}) (s int64, big bool, ok bool) {
	switch x := v.(type) {
	case int64:
		return x, false, true
	case int32:
		return int64(x), false, true
	case int8:
		return int64(x), false, true
	case int16:
		return int64(x), false, true
	case int:
		return int64(x), false, true
	case uint64:
		if x > math.MaxInt64 {
			return int64(x), true, true
		}
		return int64(x), false, true
	case uint32:
		return int64(x), false, true
	case uint8:
		return int64(x), false, true
	case uint16:
		return int64(x), false, true
	case uint:
		if uint64(x) > math.MaxInt64 {
			return int64(x), true, true
		}
		return int64(x), false, true
	case bool:
		if x {
			return 1, false, true
		}
		return 0, false, true
	}
	return 0, false, false
}

// setBig sets z to s, read as a uint64 if unsigned.
func setBig(z *big.Int, s int64, unsigned bool) {
	if unsigned {
		z.SetUint64(uint64(s))
	} else {
		z.SetInt64(s)
	}
}

// mysqlExprText prints e as MySQL does in error 1690: operations in
// parentheses, columns as `db`.`table`.`column`.
func mysqlExprText(e sql.Expression) string {
	switch x := e.(type) {
	case *intArith:
		return "(" + mysqlExprText(x.LeftChild) + " " + x.Op + " " + mysqlExprText(x.RightChild) + ")"
	case *expression.Arithmetic:
		return "(" + mysqlExprText(x.LeftChild) + " " + x.Op + " " + mysqlExprText(x.RightChild) + ")"
	case *expression.GetField:
		name := "`" + x.Name() + "`"
		if x.Table() != "" {
			name = "`" + x.Table() + "`." + name
			if x.Database() != "" {
				name = "`" + x.Database() + "`." + name
			}
		}
		return name
	}
	return e.String()
}
