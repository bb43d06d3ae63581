package sqlserver

import (
	"fmt"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// ruleTimeString is Quarry's analyzer rule for TIME values used as strings.
const ruleTimeString analyzer.RuleId = 1062

// MySQL uses a TIME value as its text ('12:34:56', '-838:59:59') wherever
// a string is wanted: CAST(t AS CHAR), CONCAT, LIKE, GROUP_CONCAT, string
// functions, and storing it into a CHAR/VARCHAR/TEXT column
// (https://dev.mysql.com/doc/refman/8.0/en/type-conversion.html). GMS's
// string conversion (types.ConvertToBytes) has no case for its TIME value
// type (types.Timespan): every such use failed with "incompatible
// conversion to SQL type: '12:34:56'->longtext", and CAST(t AS CHAR)
// returned NULL. timeString wraps the TIME-typed arguments of these
// string consumers, the TIME values UPDATE stores into string columns and
// the TIME columns of an INSERT ... SELECT source that go into string
// columns in a timeText, which yields the text. It runs in OnceAfterAll,
// which the simple INSERT/UPDATE pipeline runs too.

// timeAsTextExcluded are the stringFunctions (enumstring.go) that take a
// TIME argument as TIME: MIN and MAX compare times, and JSON keeps a TIME
// as a JSON time (left to GMS).
var timeAsTextExcluded = map[string]bool{
	"max": true, "min": true, "json_object": true, "json_array": true, "json_quote": true,
	"json_arrayagg": true, "json_objectagg": true,
}

// installTimeString appends the rule to GMS's OnceAfterAll batch (run by
// the simple INSERT/UPDATE pipeline too), once per process.
var installTimeString = sync.OnceFunc(func() {
	analyzer.OnceAfterAll = append(analyzer.OnceAfterAll, analyzer.Rule{Id: ruleTimeString, Apply: timeString})
})

// timeStringExpr is the rule's rewrite of one expression: the TIME
// arguments of an expression reading them as text become timeText.
func timeStringExpr(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	if !readsTimeAsText(e) {
		return e, transform.SameTree, nil
	}
	children := e.Children()
	var out []sql.Expression
	for i, c := range children {
		if !isTimeType(c.Type()) {
			continue
		}
		if out == nil {
			out = append([]sql.Expression(nil), children...)
		}
		out[i] = &timeText{expression.UnaryExpression{Child: c}}
	}
	if out == nil {
		return e, transform.SameTree, nil
	}
	ne, err := e.WithChildren(out...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return ne, transform.NewTree, nil
}

func timeString(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	n, same, err := transform.NodeExprsWithOpaque(n, timeStringExpr)
	if err != nil {
		return nil, transform.SameTree, err
	}
	n2, same2, err := transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		ins, ok := n.(*plan.InsertInto)
		if !ok || ins.Source == nil {
			return n, transform.SameTree, nil
		}
		src, changed := insertTimeText(ins)
		if !changed {
			return n, transform.SameTree, nil
		}
		return ins.WithSource(src), transform.NewTree, nil
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n2, same && same2, nil
}

// readsTimeAsText reports whether e reads its TIME-typed arguments as
// strings.
func readsTimeAsText(e sql.Expression) bool {
	switch x := e.(type) {
	case *expression.Convert:
		t := x.Type()
		return types.IsText(t) || types.IsBinaryType(t)
	case *expression.Like:
		return true
	case *expression.SetField:
		// UPDATE ... SET c = t for a string column c (the left child, a
		// column, is never TIME-typed when c is a string column).
		return types.IsText(x.LeftChild.Type())
	}
	name := functionName(e)
	if _, ok := stringFunctions[name]; ok && !timeAsTextExcluded[name] {
		return true
	}
	return false
}

// isTimeType reports whether t is GMS's TIME type.
func isTimeType(t sql.Type) bool {
	_, ok := t.(types.TimeType)
	return ok
}

// insertTimeText returns ins's source with its TIME columns that go into
// string columns as text, and whether it changed anything.
func insertTimeText(ins *plan.InsertInto) (sql.Node, bool) {
	dst := ins.Destination.Schema()
	src := ins.Source.Schema()
	if len(src) != len(dst) {
		return ins.Source, false
	}
	if _, values := ins.Source.(*plan.Values); values {
		return ins.Source, false // (VALUES rows: GMS converts those itself)
	}
	proj, isProj := ins.Source.(*plan.Project)
	var exprs []sql.Expression
	for i, col := range dst {
		if !types.IsText(col.Type) || !isTimeType(insertSourceType(proj, src, i)) {
			continue
		}
		if exprs == nil {
			if isProj {
				exprs = append([]sql.Expression(nil), proj.Projections...)
			} else {
				exprs = make([]sql.Expression, len(src))
				for j, c := range src {
					exprs[j] = expression.NewGetFieldWithTable(j, 0, c.Type, c.DatabaseSource, c.Source, c.Name, c.Nullable)
				}
			}
		}
		if _, done := exprs[i].(*timeText); done {
			return ins.Source, false
		}
		exprs[i] = &timeText{expression.UnaryExpression{Child: exprs[i]}}
	}
	if exprs == nil {
		return ins.Source, false
	}
	if isProj {
		np, err := proj.WithExpressions(exprs...)
		if err != nil {
			return ins.Source, false
		}
		return np, true
	}
	return plan.NewProject(exprs, ins.Source), true
}

// insertSourceType is the type of the values of an INSERT source's
// column i. resolveInsertRows projects the source's columns onto the
// destination's with GetFields typed as the destination column: their
// values have the type of the Project's child's column.
func insertSourceType(proj *plan.Project, src sql.Schema, i int) sql.Type {
	if proj == nil {
		return src[i].Type
	}
	if gf, ok := proj.Projections[i].(*expression.GetField); ok {
		if cs := proj.Child.Schema(); gf.Index() >= 0 && gf.Index() < len(cs) {
			return cs[gf.Index()].Type
		}
	}
	return proj.Projections[i].Type()
}

// timeText is the text of a TIME value ('-838:59:59', '12:34:56.500000').
type timeText struct {
	expression.UnaryExpression
}

var _ sql.Expression = (*timeText)(nil)

// Type is a string.
func (e *timeText) Type() sql.Type { return types.LongText }

// CollationCoercibility is a string's of the connection.
func (e *timeText) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return ctx.GetCollation(), 4 // coercible, like a value converted from a number
}

// Eval returns the text of the TIME value (other values pass through).
func (e *timeText) Eval(ctx *sql.Context, row sql.Row) (interface{}, error) {
	v, err := e.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	if ts, ok := v.(types.Timespan); ok {
		return ts.String(), nil
	}
	return v, nil
}

// WithChildren implements sql.Expression.
func (e *timeText) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(e, len(children), 1)
	}
	return &timeText{expression.UnaryExpression{Child: children[0]}}, nil
}

// String is the child's: the conversion is implicit.
func (e *timeText) String() string { return e.Child.String() }

// DebugString marks the conversion.
func (e *timeText) DebugString() string {
	return fmt.Sprintf("timeText(%s)", sql.DebugString(e.Child))
}
