package sqlserver

import (
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation/window"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// The fractional-seconds precision (fsp) of DATETIME/TIMESTAMP result
// fields. MySQL derives it from the expression (MAX, MIN, IF, COALESCE,
// CASE, window functions keep their arguments' largest fsp; DATE_ADD keeps
// its argument's unless the interval has fractions; NOW(n) has n; CAST(x
// AS DATETIME(n)) n), sends it as the field's Decimals and prints the text
// value with exactly that many digits. GMS types DATE_ADD, CONVERT_TZ,
// NOW(n), ... DATETIME(6) whatever the argument, sends no Decimals for
// TIMESTAMP, and trims trailing zeros. padDatetimeFields only fixes
// DATETIME columns read straight from a table.
//
// ruleResultFsp rewrites the top-level projections of a query whose fsp it
// can derive (fspDeriver) into resultFspExpr, whose type (fspType) prints
// the value with fsp digits and carries fsp to the field in the column
// length (fspLengthTag); fixFspFields turns that into MySQL's column length
// and Decimals before the fields reach the client. Projections it cannot
// derive (user variables, stored functions, UNIONs, results of CALL or
// EXECUTE, ...) keep GMS's type. Derived tables, UNION operands and the
// SELECT of CREATE TABLE ... AS SELECT or INSERT ... SELECT are left alone.

// ruleResultFsp is Quarry's analyzer rule for result fsp.
const ruleResultFsp analyzer.RuleId = 1042

// installResultFsp appends the rule to GMS's OnceAfterAll batch, after
// assignExecIndexes and trackProcess: the wrappers it adds are then seen
// by no other rule.
var installResultFsp = sync.OnceFunc(func() {
	analyzer.OnceAfterAll = append(analyzer.OnceAfterAll, analyzer.Rule{Id: ruleResultFsp, Apply: resultFsp})
})

func resultFsp(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	// Only the statement's own result: GMS analyzes derived tables,
	// subquery expressions and UNION operands on their own too, with
	// selectors that skip trackProcess (derived tables, subqueries) or
	// resolveUnions (UNION operands). Their projections' types feed the
	// outer query's (a UNION's column type comes from its left operand).
	// CREATE TABLE ... AS SELECT and INSERT ... SELECT analyze their
	// SELECT on its own as well: only a query statement's result is sent.
	// And only when Quarry's handler sends the result: fspType's column
	// length needs fixFspFields (GMS's own server, as in the conformance
	// suites' wire mode, would send it as is and no Decimals).
	if !scope.IsEmpty() || sel != nil && (!sel(analyzer.TrackProcessId) || resolveUnionsRule != 0 && !sel(resolveUnionsRule)) ||
		classifyStatement(ctx.Query()) != stmtSelect || ctx.Value(stmtRunKey{}) == nil {
		return n, transform.SameTree, nil
	}
	var d *fspDeriver
	out, changed := rewriteTopProject(n, func(p *plan.Project) *plan.Project {
		var exprs []sql.Expression
		for i, e := range p.Projections {
			inner := e
			alias, aliased := e.(*expression.Alias)
			if aliased {
				inner = alias.Child
			}
			if !isDatetimeOrTimestamp(inner.Type()) && !isTemporalChoice(inner) {
				continue
			}
			if d == nil {
				d = newFspDeriver(n)
			}
			fsp, ts, ok := d.fsp(inner, 0)
			if !ok || !needsFspWrapper(inner, aliased, fsp, ts) {
				continue
			}
			if exprs == nil {
				exprs = append([]sql.Expression(nil), p.Projections...)
			}
			w := newResultFspExpr(inner, fsp, ts)
			if aliased {
				// A copy keeps the alias's column id (WithChildren drops it).
				a := *alias
				a.Child = w
				exprs[i] = &a
			} else {
				exprs[i] = w
			}
		}
		if exprs == nil {
			return nil
		}
		np := *p
		np.Projections = exprs
		return &np
	})
	if !changed {
		return n, transform.SameTree, nil
	}
	return out, transform.NewTree, nil
}

// resolveUnionsRule is GMS's (unexported) resolveUnions rule id, found by
// its name; 0 if not found.
var resolveUnionsRule = func() analyzer.RuleId {
	for id := analyzer.RuleId(0); id < 1000; id++ {
		if id.String() == "resolveUnions" {
			return id
		}
	}
	return 0
}()

// rewriteTopProject applies f to the Project that defines n's result
// schema, found through the nodes that pass their child's rows through
// (Sort, Limit, ...). f returns nil to leave it.
func rewriteTopProject(n sql.Node, f func(*plan.Project) *plan.Project) (sql.Node, bool) {
	switch n := n.(type) {
	case *plan.Project:
		if np := f(n); np != nil {
			return np, true
		}
		return n, false
	case *plan.Sort, *plan.Limit, *plan.Offset, *plan.Distinct,
		*plan.OrderedDistinct, *plan.Filter, *plan.Having, *plan.TopN, *plan.Max1Row:
		children := n.Children()
		if len(children) != 1 {
			return n, false
		}
		c, changed := rewriteTopProject(children[0], f)
		if !changed {
			return n, false
		}
		out, err := n.WithChildren(c)
		if err != nil {
			return n, false
		}
		return out, true
	}
	// No Project (GMS drops one that only passes columns through): f
	// gets one over n that does, kept only if f changes it.
	if p := passThroughProject(n); p != nil {
		if np := f(p); np != nil {
			return np, true
		}
	}
	return n, false
}

// passThroughProject returns a Project of n's columns, or nil when n has
// no DATETIME/TIMESTAMP column or its columns cannot be named (a UNION's,
// typed by GMS from both operands). The GetFields carry the column ids
// of n's producing expressions where n has them (a sql.Projector such as
// GroupBy or Window, a derived table), so that fspDeriver finds those.
func passThroughProject(n sql.Node) *plan.Project {
	if _, ok := n.(*plan.SetOp); ok {
		return nil
	}
	sch := n.Schema()
	temporal := false
	for _, c := range sch {
		temporal = temporal || isDatetimeOrTimestamp(c.Type)
	}
	if !temporal {
		return nil
	}
	var ids []sql.ColumnId
	switch n := n.(type) {
	case *plan.SubqueryAlias:
		n.Columns().ForEach(func(id sql.ColumnId) { ids = append(ids, id) })
	case sql.Projector: // GroupBy, Window, AggScan
		ids = exprIds(n.ProjectedExprs())
	}
	if ids != nil && len(ids) != len(sch) {
		ids = nil
	}
	exprs := make([]sql.Expression, len(sch))
	for i, c := range sch {
		gf := expression.NewGetFieldWithTable(i, 0, c.Type, c.DatabaseSource, c.Source, c.Name, c.Nullable)
		if ids != nil && ids[i] != 0 {
			gf = gf.WithId(ids[i]).(*expression.GetField)
		}
		exprs[i] = gf
	}
	return plan.NewProject(exprs, n)
}

// exprIds returns the column ids of exprs, 0 for those without one.
func exprIds(exprs []sql.Expression) []sql.ColumnId {
	ids := make([]sql.ColumnId, len(exprs))
	for i, e := range exprs {
		if ie, ok := e.(idExpression); ok {
			ids[i] = ie.Id()
		}
	}
	return ids
}

// needsFspWrapper reports whether GMS's field for inner (fsp derived)
// differs from MySQL's: a TIMESTAMP(n) (GMS sends no Decimals), any field
// whose GMS precision is not fsp, and any field with fractions that
// padDatetimeFields does not pad (it pads only unaliased table columns).
func needsFspWrapper(inner sql.Expression, aliased bool, fsp int, ts bool) bool {
	dt, ok := inner.Type().(sql.DatetimeType)
	if !ok || !isDatetimeOrTimestamp(inner.Type()) {
		return true // GMS's type is not even temporal (isTemporalChoice)
	}
	gmsTS := types.IsTimestampType(inner.Type())
	if gmsTS != ts || dt.Precision() != fsp {
		return true
	}
	if fsp == 0 {
		return false
	}
	if ts {
		return true
	}
	gf, isField := inner.(*expression.GetField)
	return aliased || !isField || gf.Table() == "" || gf.Database() == ""
}

// isTemporalChoice reports whether e's value is one of its arguments'
// (IF, CASE, COALESCE, IFNULL, NULLIF): MySQL types it DATETIME/TIMESTAMP
// when they all are, where GMS may say TEXT (COALESCE(d3, d6)).
func isTemporalChoice(e sql.Expression) bool {
	switch e.(type) {
	case *expression.Case, *function.If, *function.IfNull, *function.Coalesce, *function.NullIf,
		*coalesce, *ifNull:
		return true
	}
	return false
}

func isDatetimeOrTimestamp(t sql.Type) bool {
	if _, ok := t.(fspType); ok {
		return true
	}
	return types.IsDatetimeType(t) || types.IsTimestampType(t)
}

// fspDeriver derives MySQL's fsp of expressions of one query.
type fspDeriver struct {
	// producers maps the column id of an alias, aggregate or window
	// function to it, so that a GetField reading its output (from a
	// GroupBy or Window below the top Project) is derived from it.
	producers map[sql.ColumnId]sql.Expression
}

type idExpression interface {
	Id() sql.ColumnId
}

func newFspDeriver(n sql.Node) *fspDeriver {
	d := &fspDeriver{producers: map[sql.ColumnId]sql.Expression{}}
	d.collect(n)
	return d
}

// collect records the producers of n, also inside derived tables (which
// transform.Inspect does not enter).
func (d *fspDeriver) collect(n sql.Node) {
	transform.Inspect(n, func(n sql.Node) bool {
		// A derived table's columns are its query's projections: by
		// ScopeMapping, or (the projections' own ids may be gone by now) by
		// position, the table's column ids being assigned in schema order.
		if sa, ok := n.(*plan.SubqueryAlias); ok {
			for id, e := range sa.ScopeMapping {
				if gf, ok := e.(*expression.GetField); ok && gf.Id() == id {
					continue
				}
				if _, seen := d.producers[id]; !seen {
					d.producers[id] = e
				}
			}
			d.mapByPosition(sa)
			d.collect(sa.Child)
		}
		// A node computing its columns (GroupBy, Window, Quarry's
		// AggScan, which keeps the GroupBy's expressions) names them.
		if p, ok := n.(sql.Projector); ok {
			for _, e := range p.ProjectedExprs() {
				d.addProducer(e)
			}
		}
		return true
	})
	transform.InspectExpressions(n, func(e sql.Expression) bool {
		d.addProducer(e)
		return true
	})
}

// addProducer records e if it computes a column (has an id and is not a
// GetField).
func (d *fspDeriver) addProducer(e sql.Expression) {
	if _, ok := e.(*expression.GetField); ok {
		return
	}
	if ie, ok := e.(idExpression); ok && ie.Id() != 0 {
		d.producers[ie.Id()] = e
	}
}

// mapByPosition maps the column ids of sa to the projections of its
// query's top Project, if their number and names agree.
func (d *fspDeriver) mapByPosition(sa *plan.SubqueryAlias) {
	var projs []sql.Expression
	rewriteTopProject(sa.Child, func(p *plan.Project) *plan.Project {
		projs = p.Projections
		return nil
	})
	sch := sa.Schema()
	if projs == nil || len(projs) != sa.Columns().Len() || len(projs) != len(sch) {
		return
	}
	var ids []sql.ColumnId
	sa.Columns().ForEach(func(id sql.ColumnId) { ids = append(ids, id) })
	for i, p := range projs {
		name := transform.ExpressionToColumn(p, plan.AliasSubqueryString(p)).Name
		if len(sa.ColumnNames) == 0 && !strings.EqualFold(name, sch[i].Name) {
			return
		}
	}
	for i, p := range projs {
		d.producers[ids[i]] = p
	}
}

// maxFspDepth bounds the derivation over nested expressions.
const maxFspDepth = 64

// fsp returns MySQL's fsp of e, whether MySQL types e TIMESTAMP (else
// DATETIME), and false when e's type is not DATETIME/TIMESTAMP or its fsp
// cannot be derived.
func (d *fspDeriver) fsp(e sql.Expression, depth int) (fsp int, ts bool, ok bool) {
	if w, ok := e.(*resultFspExpr); ok {
		return w.fsp, w.ts, true
	}
	if depth > maxFspDepth || !isDatetimeOrTimestamp(e.Type()) && !isTemporalChoice(e) {
		return 0, false, false
	}
	depth++
	switch e := e.(type) {
	case *expression.Alias:
		return d.fsp(e.Child, depth)
	case *expression.GetField:
		if p, found := d.producers[e.Id()]; found && e.Id() != 0 {
			return d.fsp(p, depth)
		}
		// A table's column (it names its database) has its type's fsp.
		// Another column without a known producer (a derived table's
		// column that a Quarry plan node computes, ...) has GMS's type,
		// which may be wrong (DATE_ADD's DATETIME(6)).
		if e.Database() == "" {
			return 0, false, false
		}
		return typeFsp(e.Type())
	case *plan.Subquery:
		// A scalar subquery: its one projection.
		var inner sql.Expression
		rewriteTopProject(e.Query, func(p *plan.Project) *plan.Project {
			if len(p.Projections) == 1 {
				inner = p.Projections[0]
			}
			return nil
		})
		if inner == nil {
			return 0, false, false
		}
		return newFspDeriver(e.Query).fsp(inner, depth)
	case *expression.Convert:
		// CAST(x AS DATETIME(n)): GMS types it DATETIME(n).
		return typeFsp(e.Type())
	case *aggregation.Max:
		return d.fsp(e.Child, depth)
	case *aggregation.Min:
		return d.fsp(e.Child, depth)
	case *aggregation.AnyValue:
		return d.fsp(e.Child, depth)
	case *aggregation.First:
		return d.fsp(e.Child, depth)
	case *aggregation.Last:
		return d.fsp(e.Child, depth)
	case *window.FirstValue:
		return d.fsp(e.Child, depth)
	case *window.LastValue:
		return d.fsp(e.Child, depth)
	case *window.Lag:
		return d.combine(e.ChildExpressions, depth)
	case *window.Lead:
		return d.combine(e.ChildExpressions, depth)
	case *expression.Case:
		values := make([]sql.Expression, 0, len(e.Branches)+1)
		for _, b := range e.Branches {
			values = append(values, b.Value)
		}
		if e.Else != nil {
			values = append(values, e.Else)
		}
		return d.combine(values, depth)
	case *function.If:
		c := e.Children()
		if len(c) != 3 {
			return 0, false, false
		}
		return d.combine(c[1:], depth)
	case *function.IfNull:
		return d.combine(e.Children(), depth)
	case *function.Coalesce:
		return d.combine(e.Children(), depth)
	case *coalesce: // Quarry's (functions.go)
		return d.combine(e.Children(), depth)
	case *ifNull: // Quarry's (functions.go)
		return d.combine(e.Children(), depth)
	case *function.NullIf:
		return d.combine([]sql.Expression{e.LeftChild}, depth)
	case *function.DateAdd:
		return d.dateAddFsp(e.Date, e.Interval, depth)
	case *function.DateSub:
		return d.dateAddFsp(e.Date, e.Interval, depth)
	case *expression.Arithmetic:
		date, iv := intervalOperands(e)
		if iv == nil {
			return 0, false, false
		}
		return d.dateAddFsp(date, iv, depth)
	case *function.ConvertTz:
		c := e.Children()
		if len(c) != 3 {
			return 0, false, false
		}
		fsp, _, ok := d.fsp(c[0], depth)
		return fsp, false, ok
	case *function.Now:
		// NOW(), CURRENT_TIMESTAMP, LOCALTIME, SYSDATE: a DATETIME with the
		// requested precision (GMS: DATETIME(6) for any argument).
		c := e.Children()
		if len(c) == 0 {
			return 0, false, true
		}
		lit, isLit := c[0].(*expression.Literal)
		if !isLit {
			return 0, false, false
		}
		n, isInt := smallInt(lit.Value())
		if !isInt || n < 0 || n > 6 {
			return 0, false, false
		}
		return n, false, true
	}
	return 0, false, false
}

// smallInt returns an integer literal's value.
func smallInt(v any) (int, bool) {
	switch v := v.(type) {
	case int8:
		return int(v), true
	case int16:
		return int(v), true
	case int32:
		return int(v), true
	case int64:
		return int(v), true
	case int:
		return v, true
	case uint8:
		return int(v), true
	case uint16:
		return int(v), true
	case uint32:
		return int(v), true
	case uint64:
		if v <= 6 {
			return int(v), true
		}
	}
	return 0, false
}

// typeFsp is the fsp of a DATETIME/TIMESTAMP type.
func typeFsp(t sql.Type) (int, bool, bool) {
	dt, ok := t.(sql.DatetimeType)
	if !ok || dt.Precision() < 0 || dt.Precision() > 6 {
		return 0, false, false
	}
	return dt.Precision(), types.IsTimestampType(t), true
}

// combine is the fsp of an expression whose value is one of values (IF,
// CASE, COALESCE, ...): the largest, TIMESTAMP only if all are (MySQL's
// aggregation of temporal types). NULL values do not count; any other
// value that is not a derivable DATETIME/TIMESTAMP makes it underivable
// (MySQL's result type would not be DATETIME).
func (d *fspDeriver) combine(values []sql.Expression, depth int) (int, bool, bool) {
	fsp, ts, found := 0, true, false
	for _, v := range values {
		if types.IsNull(v) {
			continue
		}
		if lit, isLit := v.(*expression.Literal); isLit && lit.Value() == nil {
			continue
		}
		f, t, ok := d.fsp(v, depth)
		if !ok {
			return 0, false, false
		}
		fsp, ts, found = max(fsp, f), ts && t, true
	}
	return fsp, ts, found
}

// dateAddFsp is the fsp of DATE_ADD(date, iv) (also DATE_SUB and date ±
// INTERVAL) over a DATETIME/TIMESTAMP: the result is a DATETIME with the
// argument's fsp, 6 when the unit has microseconds, and the interval
// value's scale when it counts fractional SECONDs.
func (d *fspDeriver) dateAddFsp(date sql.Expression, iv *expression.Interval, depth int) (int, bool, bool) {
	if iv == nil || !isDatetimeOrTimestamp(date.Type()) {
		return 0, false, false
	}
	fsp, _, ok := d.fsp(date, depth)
	if !ok {
		return 0, false, false
	}
	unit := strings.ToUpper(iv.Unit)
	switch {
	case strings.Contains(unit, "MICROSECOND"):
		return 6, false, true
	case unit == "SECOND":
		t := iv.Child.Type()
		switch {
		case types.IsInteger(t):
		case types.IsDecimal(t):
			fsp = max(fsp, min(int(t.(sql.DecimalType).Scale()), 6))
		default:
			return 0, false, false
		}
	}
	return fsp, false, true
}

// intervalOperands returns the date and interval of date + INTERVAL,
// INTERVAL + date or date - INTERVAL, or a nil interval.
func intervalOperands(a *expression.Arithmetic) (sql.Expression, *expression.Interval) {
	switch a.Op {
	case "+":
		if i, ok := a.RightChild.(*expression.Interval); ok {
			return a.LeftChild, i
		}
		if i, ok := a.LeftChild.(*expression.Interval); ok {
			return a.RightChild, i
		}
	case "-":
		if i, ok := a.RightChild.(*expression.Interval); ok {
			return a.LeftChild, i
		}
	}
	return nil, nil
}

// resultFspExpr is a top-level projection with MySQL's fsp: its value is
// the child's, its type fspType.
type resultFspExpr struct {
	sql.Expression
	fsp int
	ts  bool
	typ fspType
}

var _ sql.Expression = (*resultFspExpr)(nil)

// newResultFspExpr wraps child; a column (GetField) keeps its name, table
// and database in the result schema (resultFspField).
func newResultFspExpr(child sql.Expression, fsp int, ts bool) sql.Expression {
	base := sqltypes.Datetime
	if ts {
		base = sqltypes.Timestamp
	}
	w := &resultFspExpr{
		Expression: child,
		fsp:        fsp,
		ts:         ts,
		typ:        fspType{DatetimeType: types.MustCreateDatetimeType(base, fsp), fsp: fsp},
	}
	if gf, ok := child.(*expression.GetField); ok {
		return &resultFspField{resultFspExpr: w, field: gf}
	}
	return w
}

// resultFspField is a resultFspExpr over a column.
type resultFspField struct {
	*resultFspExpr
	field *expression.GetField
}

var _ sql.Nameable = (*resultFspField)(nil)
var _ sql.Tableable = (*resultFspField)(nil)
var _ sql.Databaseable = (*resultFspField)(nil)

// Name implements sql.Nameable.
func (f *resultFspField) Name() string { return f.field.Name() }

// Table implements sql.Tableable.
func (f *resultFspField) Table() string { return f.field.Table() }

// Database implements sql.Databaseable.
func (f *resultFspField) Database() string { return f.field.Database() }

// Type implements sql.Expression.
func (e *resultFspExpr) Type() sql.Type { return e.typ }

// Children implements sql.Expression.
func (e *resultFspExpr) Children() []sql.Expression { return []sql.Expression{e.Expression} }

// WithChildren implements sql.Expression.
func (e *resultFspExpr) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(e, len(children), 1)
	}
	return newResultFspExpr(children[0], e.fsp, e.ts), nil
}

// String keeps the child's text: it names an unaliased result column.
func (e *resultFspExpr) String() string { return e.Expression.String() }

// Eval implements sql.Expression.
func (e *resultFspExpr) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	return e.Expression.Eval(ctx, row)
}

// CollationCoercibility implements sql.CollationCoercible.
func (e *resultFspExpr) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

// fspLengthTag marks the column length of a field of fspType: GMS's
// handler copies a type's MaxTextResponseByteLength into the field and
// sends Decimals only for its own DATETIME type, so fspType reports
// fspLengthTag|fsp there and fixFspFields, on Quarry's side of the
// handler, replaces it by MySQL's length and Decimals. No real length is
// that large (a LONGTEXT's is 2^32-1, which has the low bits set beyond
// fspLengthMask).
const (
	fspLengthTag  uint32 = 0xFFFF_F500
	fspLengthMask uint32 = 0xFFFF_FF00
)

// fspType is a DATETIME(fsp)/TIMESTAMP(fsp) result type that prints fsp
// fractional digits (GMS's trims trailing zeros).
type fspType struct {
	sql.DatetimeType
	fsp int
}

// SQL implements sql.Type: GMS's text, padded to fsp digits.
func (t fspType) SQL(ctx *sql.Context, dest []byte, v any) (sqltypes.Value, error) {
	val, err := t.DatetimeType.SQL(ctx, dest, v)
	if err != nil || val.IsNull() {
		return val, err
	}
	if p, ok := padFraction(val.Raw(), t.fsp); ok {
		return sqltypes.MakeTrusted(val.Type(), p), nil
	}
	return val, nil
}

// MaxTextResponseByteLength implements sql.Type: the tagged fsp (see
// fspLengthTag).
func (t fspType) MaxTextResponseByteLength(*sql.Context) uint32 {
	return fspLengthTag | uint32(t.fsp)
}

// fixFspFields gives the fields of fspType results MySQL's column length
// (19, or 20 + fsp) and Decimals. It changes the fields in place, so it is
// idempotent and reaches every holder of the field list.
func fixFspFields(fields []*querypb.Field) {
	for _, f := range fields {
		if f == nil || f.ColumnLength&fspLengthMask != fspLengthTag {
			continue
		}
		fsp := f.ColumnLength &^ fspLengthMask
		f.Decimals = fsp
		f.ColumnLength = 19
		if fsp > 0 {
			f.ColumnLength = 20 + fsp
		}
	}
}
