package planner

import (
	"fmt"
	"math/big"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// ExactAgg is SUM or AVG over an integer or DECIMAL argument with MySQL's
// result: an exact DECIMAL (SUM(DECIMAL(p,s)) is DECIMAL(p+22,s), SUM of
// an integer DECIMAL(digits+22,0), AVG DECIMAL(p+4,s+4)), computed
// exactly, as a grouped aggregate and as a window function. GMS's Sum and
// Avg are typed DOUBLE by its planner and add through float64 (always in
// windows, and for integers in groups). The AggPushdown rule puts an
// ExactAgg in place of each Sum and Avg of an exact argument that GMS
// still evaluates: GROUP BY over joins or anything else the scan does not
// take, and window functions.
//
// It wraps GMS's expression, which still provides the name, window,
// column id and printing, so plans and GMS's string matching see the same
// SUM(...) as before.
type ExactAgg struct {
	orig sql.Aggregation // *aggregation.Sum or *aggregation.Avg
	spec aggSpec
}

var (
	_ sql.Aggregation        = (*ExactAgg)(nil)
	_ sql.FunctionExpression = (*ExactAgg)(nil)
	_ sql.CollationCoercible = (*ExactAgg)(nil)
)

// newExactAgg returns the ExactAgg of a GMS Sum or Avg, or false when e
// is neither, or its argument is not an integer or DECIMAL.
func newExactAgg(e sql.Expression) (*ExactAgg, bool) {
	var child sql.Expression
	kind := aggSum
	switch x := e.(type) {
	case *aggregation.Sum:
		child = x.Child
	case *aggregation.Avg:
		child, kind = x.Child, aggAvg
	default:
		return nil, false
	}
	arg := child
	if d, ok := arg.(*expression.DistinctExpression); ok {
		arg = d.Child
	}
	cls, st, at, scale, ok := sumAvgTypes(arg.Type())
	if !ok || cls == numFloat {
		return nil, false
	}
	s := aggSpec{kind: kind, num: cls, typ: st, scale: scale}
	if kind == aggAvg {
		s.typ = at
	}
	return &ExactAgg{orig: e.(sql.Aggregation), spec: s}, true
}

// rewrap returns the ExactAgg of e (a copy of the wrapped expression), or
// e itself when its argument is no longer exact.
func rewrap(e sql.Expression) sql.Expression {
	if x, ok := newExactAgg(e); ok {
		return x
	}
	return e
}

func (a *ExactAgg) Resolved() bool                { return a.orig.Resolved() }
func (a *ExactAgg) String() string                { return a.orig.String() }
func (a *ExactAgg) DebugString() string           { return sql.DebugString(a.orig) }
func (a *ExactAgg) Type() sql.Type                { return a.spec.typ }
func (a *ExactAgg) IsNullable() bool              { return true }
func (a *ExactAgg) Children() []sql.Expression    { return a.orig.Children() }
func (a *ExactAgg) Id() sql.ColumnId              { return a.orig.Id() }
func (a *ExactAgg) Window() *sql.WindowDefinition { return a.orig.Window() }

// FunctionName implements sql.FunctionExpression.
func (a *ExactAgg) FunctionName() string {
	if f, ok := a.orig.(sql.FunctionExpression); ok {
		return f.FunctionName()
	}
	return aggNames[a.spec.kind]
}

// Description implements sql.FunctionExpression.
func (a *ExactAgg) Description() string {
	if f, ok := a.orig.(sql.FunctionExpression); ok {
		return f.Description()
	}
	return ""
}

// CollationCoercibility implements sql.CollationCoercible.
func (a *ExactAgg) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

// Eval implements sql.Expression: an aggregate is evaluated through its
// buffer or window function, never directly (as GMS's).
func (a *ExactAgg) Eval(*sql.Context, sql.Row) (any, error) {
	return nil, fmt.Errorf("planner: %s evaluated outside an aggregation", a)
}

func (a *ExactAgg) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := a.orig.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return rewrap(e), nil
}

func (a *ExactAgg) WithId(id sql.ColumnId) sql.IdExpression {
	return rewrap(a.orig.WithId(id)).(sql.IdExpression)
}

func (a *ExactAgg) WithWindow(w *sql.WindowDefinition) sql.WindowAdaptableExpression {
	return rewrap(a.orig.WithWindow(w)).(sql.WindowAdaptableExpression)
}

// child returns a private copy of the argument (a DISTINCT argument
// keeps the values it has seen, so every buffer needs its own).
func (a *ExactAgg) child() (sql.Expression, error) {
	return transform.Clone(a.orig.Children()[0])
}

// NewBuffer implements sql.Aggregation.
func (a *ExactAgg) NewBuffer() (sql.AggregationBuffer, error) {
	c, err := a.child()
	if err != nil {
		return nil, err
	}
	return &exactBuffer{spec: &a.spec, expr: c}, nil
}

// NewWindowFunction implements sql.WindowAdaptableExpression.
func (a *ExactAgg) NewWindowFunction() (sql.WindowFunction, error) {
	c, err := a.child()
	if err != nil {
		return nil, err
	}
	f := &exactWindow{spec: &a.spec, expr: c}
	if w := a.orig.Window(); w != nil && w.Frame != nil {
		framer, err := w.Frame.NewFramer(w)
		if err != nil {
			return nil, err
		}
		f.framer = framer
	}
	return f, nil
}

// exactValue converts an argument value to what spec's accumulator adds:
// an integer (int64 or uint64) or a decimal.Decimal. Values of another Go
// type than the argument's type promises (GMS evaluates some DECIMAL
// expressions to strings or floats) are converted by that type.
func exactValue(ctx *sql.Context, spec *aggSpec, v any) (any, error) {
	switch spec.num {
	case numInt:
		if x, ok := asInt64(v); ok {
			return x, nil
		}
	case numUint:
		if x, ok := asUint64(v); ok {
			return x, nil
		}
	case numDecimal:
		if d, ok := v.(decimal.Decimal); ok {
			return d, nil
		}
	}
	d, _, err := types.InternalDecimalType.Convert(ctx, v)
	if err != nil {
		return nil, err
	}
	dd, ok := d.(decimal.Decimal)
	if !ok {
		return nil, fmt.Errorf("planner: SUM/AVG argument %v (%T) is not a number", v, v)
	}
	if spec.num == numDecimal {
		return dd, nil
	}
	if !dd.IsInteger() {
		// An integer-typed expression with a fractional value: add it as
		// a decimal (the result keeps its scale-0 type's rounding).
		return dd, nil
	}
	if spec.num == numUint && dd.Sign() >= 0 && dd.BigInt().IsUint64() {
		return dd.BigInt().Uint64(), nil
	}
	if dd.BigInt().IsInt64() {
		return dd.IntPart(), nil
	}
	return dd, nil
}

// exactBuffer accumulates one group's SUM or AVG.
type exactBuffer struct {
	spec *aggSpec
	expr sql.Expression
	a    acc
	// frac: values that exactValue could only give as decimals, added
	// apart from the integer sum.
	frac decimal.Decimal
}

// Update implements sql.AggregationBuffer.
func (b *exactBuffer) Update(ctx *sql.Context, row sql.Row) error {
	v, err := b.expr.Eval(ctx, row)
	if err != nil || v == nil {
		return err
	}
	x, err := exactValue(ctx, b.spec, v)
	if err != nil {
		return err
	}
	if d, ok := x.(decimal.Decimal); ok && b.spec.num != numDecimal {
		b.a.set = true
		b.a.n++
		b.frac = b.frac.Add(d)
		return nil
	}
	return b.spec.add(ctx, &b.a, x, 0)
}

// Eval implements sql.AggregationBuffer.
func (b *exactBuffer) Eval(*sql.Context) (any, error) {
	r := b.spec.result(&b.a)
	if r == nil || b.frac.IsZero() {
		return r, nil
	}
	if b.spec.kind == aggSum {
		return r.(decimal.Decimal).Add(b.frac), nil
	}
	sum := decimal.NewFromBigInt(b.a.exactInt(b.spec.num), 0).Add(b.frac)
	return sum.DivRound(decimal.NewFromInt(b.a.n), b.spec.scale), nil
}

// Dispose implements sql.AggregationBuffer.
func (b *exactBuffer) Dispose() { expression.Dispose(b.expr) }

// exactWindow is SUM or AVG over window frames: prefix sums of the
// partition, exact.
type exactWindow struct {
	spec   *aggSpec
	expr   sql.Expression
	framer sql.WindowFramer

	start int
	sums  []decimal.Decimal // sums[i]: rows start..start+i
	cnts  []int64           // non-NULL values among them
}

// DefaultFramer implements sql.WindowFunction as GMS's SumAgg and AvgAgg
// do: the window's frame, else rows from the partition's start to the
// current row (GMS's framer treats ORDER BY peers and no ORDER BY).
func (w *exactWindow) DefaultFramer() sql.WindowFramer {
	if w.framer != nil {
		return w.framer
	}
	return aggregation.NewUnboundedPrecedingToCurrentRowFramer()
}

// StartPartition implements sql.WindowFunction.
func (w *exactWindow) StartPartition(ctx *sql.Context, iv sql.WindowInterval, buf sql.WindowBuffer) error {
	expression.Dispose(w.expr)
	n := iv.End - iv.Start
	w.start = iv.Start
	w.sums = make([]decimal.Decimal, n)
	w.cnts = make([]int64, n)
	var sum decimal.Decimal
	var cnt int64
	for i := 0; i < n; i++ {
		v, err := w.expr.Eval(ctx, buf[iv.Start+i])
		if err != nil {
			return err
		}
		if v != nil {
			x, err := exactValue(ctx, w.spec, v)
			if err != nil {
				return err
			}
			switch x := x.(type) {
			case int64:
				sum = sum.Add(decimal.NewFromInt(x))
			case uint64:
				sum = sum.Add(decimal.NewFromBigInt(new(big.Int).SetUint64(x), 0))
			case decimal.Decimal:
				sum = sum.Add(x)
			}
			cnt++
		}
		w.sums[i], w.cnts[i] = sum, cnt
	}
	return nil
}

// Compute implements sql.WindowFunction: NULL for a frame without
// non-NULL values, as MySQL.
func (w *exactWindow) Compute(_ *sql.Context, iv sql.WindowInterval, _ sql.WindowBuffer) any {
	hi, lo := iv.End-w.start-1, iv.Start-w.start-1
	if iv.End <= iv.Start || hi < 0 || hi >= len(w.sums) {
		return nil
	}
	sum, cnt := w.sums[hi], w.cnts[hi]
	if lo >= 0 {
		sum, cnt = sum.Sub(w.sums[lo]), cnt-w.cnts[lo]
	}
	if cnt == 0 {
		return nil
	}
	if w.spec.kind == aggSum {
		return sum
	}
	return sum.DivRound(decimal.NewFromInt(cnt), w.spec.scale)
}

// Dispose implements sql.WindowFunction.
func (w *exactWindow) Dispose() { expression.Dispose(w.expr) }

// exactAggs replaces, in GroupBy and Window nodes, every GMS Sum and Avg
// of an integer or DECIMAL argument with an ExactAgg, and records each
// replaced column's new type in retype. It reports whether it replaced
// any.
func exactAggs(n sql.Node, retype map[sql.ColumnId]sql.Type) (sql.Node, bool, error) {
	replaced := false
	replace := func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		x, ok := newExactAgg(e)
		if !ok {
			return e, transform.SameTree, nil
		}
		replaced = true
		if id := x.Id(); id != 0 {
			retype[id] = x.Type()
		}
		return x, transform.NewTree, nil
	}
	out, _, err := transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch n.(type) {
		case *plan.GroupBy, *plan.Window:
		default:
			return n, transform.SameTree, nil
		}
		return transform.OneNodeExprsWithNode(n, func(_ sql.Node, e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			return transform.Expr(e, replace)
		})
	})
	if err != nil {
		return n, false, err
	}
	return out, replaced, nil
}

// hasExactAgg reports whether n's tree computes an ExactAgg.
func hasExactAgg(n sql.Node) bool {
	found := false
	transform.Inspect(n, func(n sql.Node) bool {
		if found {
			return false
		}
		ex, ok := n.(sql.Expressioner)
		if !ok {
			return true
		}
		for _, e := range ex.Expressions() {
			if transform.InspectExpr(e, func(e sql.Expression) bool {
				_, ok := e.(*ExactAgg)
				return ok
			}) {
				found = true
			}
		}
		return !found
	})
	return found
}
