package planner

import (
	"runtime/debug"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

// RuleAggPushdown is the id of the aggregation pushdown rule (Quarry's
// rule ids start at 1000; sqlserver uses 1000-1002).
const RuleAggPushdown analyzer.RuleId = 1100

// RuleTopKPushdown is the id of the ORDER BY ... LIMIT pushdown rule.
const RuleTopKPushdown analyzer.RuleId = 1101

// AggPushdown returns the post-analyze rule that replaces a GroupBy over
// one Quarry table (optionally under a Filter, through a full scan or a
// static index lookup) with an AggScan. Shapes it does not handle are left
// to GMS unchanged.
func AggPushdown(cfg *Config) analyzer.RuleFunc {
	return func(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (out sql.Node, same transform.TreeIdentity, err error) {
		if !Enabled(ctx) {
			return n, transform.SameTree, nil
		}
		defer keepOnPanic(ctx, n, &out, &same, &err)
		retype := map[sql.ColumnId]sql.Type{}
		strict := strictGroupBys(ctx, n)
		out, same, err = transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
			gb, ok := n.(*plan.GroupBy)
			if !ok || strict[gb] {
				return n, transform.SameTree, nil
			}
			node, ok := buildAggScan(ctx, gb, cfg, retype)
			if !ok {
				return n, transform.SameTree, nil
			}
			return node, transform.NewTree, nil
		})
		if err != nil {
			return n, transform.SameTree, err
		}
		derivedTypes(out, retype)
		if len(retype) > 0 {
			if out, err = retypeRefs(out, retype); err != nil {
				return n, transform.SameTree, err
			}
		}
		// SUM and AVG of exact types that GMS still computes become
		// ExactAggs; a window over a column retyped by that is only seen
		// after its references are retyped, hence the rounds.
		for round := 0; round < 4; round++ {
			var replaced bool
			if out, replaced, err = exactAggs(out, retype); err != nil {
				return n, transform.SameTree, err
			}
			if !replaced {
				break
			}
			same = transform.NewTree
			derivedTypes(out, retype)
			if out, err = retypeRefs(out, retype); err != nil {
				return n, transform.SameTree, err
			}
		}
		if len(retype) == 0 && same {
			return n, transform.SameTree, nil
		}
		return out, transform.NewTree, nil
	}
}

// keepOnPanic turns a panic in a pushdown rule into "no pushdown": the
// statement runs on GMS's generic plan, and the panic is logged.
func keepOnPanic(ctx *sql.Context, n sql.Node, out *sql.Node, same *transform.TreeIdentity, err *error) {
	if r := recover(); r != nil {
		ctx.GetLogger().Errorf("planner: pushdown rule panicked, running the generic plan: %v\n%s", r, debug.Stack())
		*out, *same, *err = n, transform.SameTree, nil
	}
}

// EnabledVar is the system variable (declared by sqlserver, session and
// global, default ON) that turns the pushdown rules off when 0/OFF.
const EnabledVar = "quarry_analytics_pushdown"

// EnabledVariable declares quarry_analytics_pushdown with default def.
func EnabledVariable(def bool) *sql.MysqlSystemVariable {
	d := int8(0)
	if def {
		d = 1
	}
	return &sql.MysqlSystemVariable{
		Name:              EnabledVar,
		Scope:             sql.GetMysqlScope(sql.SystemVariableScope_Both),
		Dynamic:           true,
		SetVarHintApplies: true,
		Type:              types.NewSystemBoolType(EnabledVar),
		Default:           d,
	}
}

// Enabled reports whether the pushdown applies to ctx's statement: unless
// the session sets quarry_analytics_pushdown off (engines without the
// variable always push down).
func Enabled(ctx *sql.Context) bool {
	v, err := ctx.GetSessionVariable(ctx, EnabledVar)
	if err != nil {
		return true
	}
	switch x := v.(type) {
	case int8:
		return x != 0
	case int64:
		return x != 0
	case bool:
		return x
	}
	return true
}

// strictGroupBys returns the GroupBy nodes GMS's validateGroupBy checks
// under ONLY_FULL_GROUP_BY (those whose parent is not a Having, Project or
// Sort) that select a column outside the grouping: they must stay GroupBy
// nodes so the validation rule, which runs after this one, reports 1055.
func strictGroupBys(ctx *sql.Context, n sql.Node) map[*plan.GroupBy]bool {
	out := map[*plan.GroupBy]bool{}
	if !sql.LoadSqlMode(ctx).ModeEnabled(sql.OnlyFullGroupBy) {
		return out
	}
	var parent sql.Node
	transform.Inspect(n, func(n sql.Node) bool {
		defer func() { parent = n }()
		gb, ok := n.(*plan.GroupBy)
		if !ok || len(gb.GroupByExprs) == 0 {
			return true
		}
		switch parent.(type) {
		case *plan.Having, *plan.Project, *plan.Sort:
			return true
		}
		var groupBys []string
		for _, e := range gb.GroupByExprs {
			groupBys = append(groupBys, e.String())
		}
		for _, e := range gb.SelectedExprs {
			if _, ok := e.(sql.Aggregation); !ok && !onlyGroupBys(groupBys, e) {
				out[gb] = true
			}
		}
		return true
	})
	return out
}

// onlyGroupBys mirrors GMS's expressionReferencesOnlyGroupBys.
func onlyGroupBys(groupBys []string, e sql.Expression) bool {
	has := func(s string) bool {
		for _, g := range groupBys {
			if strings.EqualFold(g, s) {
				return true
			}
		}
		return false
	}
	valid := true
	sql.Inspect(e, func(e sql.Expression) bool {
		switch e.(type) {
		case nil, sql.Aggregation, *expression.Literal:
			return false
		case *expression.Alias, sql.FunctionExpression:
			return !has(e.String())
		default:
			if has(e.String()) {
				return false
			}
			if len(e.Children()) == 0 {
				valid = false
				return false
			}
			return true
		}
	})
	return valid
}

// derivedTypes adds to retype the DECIMAL columns of derived tables
// (subqueries in FROM) computed by an AggScan or an ExactAgg, analyzed before the outer
// query, so the outer query's references carry the scan's types too.
func derivedTypes(n sql.Node, retype map[sql.ColumnId]sql.Type) {
	transform.Inspect(n, func(n sql.Node) bool {
		sa, ok := n.(*plan.SubqueryAlias)
		if !ok {
			return true
		}
		hasScan := hasExactAgg(sa.Child)
		transform.Inspect(sa.Child, func(c sql.Node) bool {
			if _, ok := c.(*AggScan); ok {
				hasScan = true
			}
			return !hasScan
		})
		sch := sa.Schema()
		if !hasScan || sa.Columns().Len() != len(sch) {
			return true
		}
		i := 0
		sa.Columns().ForEach(func(id sql.ColumnId) {
			if types.IsDecimal(sch[i].Type) {
				retype[id] = sch[i].Type
			}
			i++
		})
		return true
	})
}

// retypeRefs gives every GetField that reads a retyped column (and every
// alias of one, transitively, bottom-up) the column's new type, so parents
// and the result set describe SUM and AVG as the scan produces them.
//
// Aliases in a Project carry no column id here; parents reference them by
// name (a GetField without table), so an alias of a retyped column is also
// matched by name, for references GMS typed DOUBLE (its SUM/AVG type).
func retypeRefs(n sql.Node, retype map[sql.ColumnId]sql.Type) (sql.Node, error) {
	byName := map[string]sql.Type{}
	out, _, err := transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		switch x := e.(type) {
		case *expression.GetField:
			t, ok := retype[x.Id()]
			if !ok && x.Table() == "" && types.IsFloat(x.Type()) {
				t, ok = byName[strings.ToLower(x.Name())]
			}
			if ok && !x.Type().Equals(t) {
				ng := expression.NewGetFieldWithTable(x.Index(), int(x.TableId()), t, x.Database(), x.Table(), x.Name(), x.IsNullable())
				return ng.WithId(x.Id()).(*expression.GetField), transform.NewTree, nil
			}
		case *expression.Alias:
			if gf, ok := x.Child.(*expression.GetField); ok {
				if t, ok := retype[gf.Id()]; ok {
					if x.Id() != 0 {
						retype[x.Id()] = t
					}
					byName[strings.ToLower(x.Name())] = t
				}
			}
		}
		return e, transform.SameTree, nil
	})
	return out, err
}

// needsFullRow reports whether e contains an expression that cannot be
// evaluated on the scan's column-selective rows: MATCH ... AGAINST (GMS's,
// or the search index's verifying relevance, which marks itself with
// NeedsFullRow).
func needsFullRow(e sql.Expression) bool {
	return transform.InspectExpr(e, func(e sql.Expression) bool {
		if _, ok := e.(*expression.MatchAgainst); ok {
			return true
		}
		fr, ok := e.(interface{ NeedsFullRow() bool })
		return ok && fr.NeedsFullRow()
	})
}

// source matches Filter? -> TableAlias? -> (ResolvedTable | static
// IndexedTableAccess) of a Quarry table.
func matchSource(child sql.Node) (*scanSource, *storage.Table, sql.Expression, bool) {
	var filter sql.Expression
	if f, ok := child.(*plan.Filter); ok {
		filter, child = f.Expression, f.Child
		if needsFullRow(filter) {
			return nil, nil, nil, false
		}
	}
	alias := ""
	if ta, ok := child.(*plan.TableAlias); ok {
		alias, child = ta.Name(), ta.Child
	}
	src := &scanSource{}
	switch c := child.(type) {
	case *plan.ResolvedTable:
		src.table, src.name = c.Table, c.Name()
		if c.Database() != nil {
			src.db = c.Database().Name()
		}
	case *plan.IndexedTableAccess:
		if !c.IsStatic() {
			return nil, nil, nil, false
		}
		l, err := c.GetLookup(nil, nil)
		// Only B-tree lookups are scanned here; a search-index lookup
		// (MATCH ... AGAINST) is answered by the search index's own path.
		if err != nil || l.Index == nil || l.Index.IsFullText() || l.Index.IsSpatial() || l.Index.IsVector() {
			return nil, nil, nil, false
		}
		src.table, src.name, src.lookup = c.Table, c.Name(), &l
		if c.Database() != nil {
			src.db = c.Database().Name()
		}
	default:
		return nil, nil, nil, false
	}
	t, ok := storage.TableOf(src.table)
	if !ok {
		return nil, nil, nil, false
	}
	src.qualified = src.db + "." + t.Name()
	if alias != "" {
		src.name = alias
	}
	return src, t, filter, true
}

// binder rewrites expressions over the plan's columns into expressions
// over the scan's decoded row, collecting the columns to decode.
type binder struct {
	src *scanSource
	sch sql.Schema
	ok  bool
	// rewrite (Config.Rewrite) is applied to each bound expression.
	ctx     *sql.Context
	rewrite func(*sql.Context, sql.Expression) (sql.Expression, error)
}

func (b *binder) bind(e sql.Expression) sql.Expression {
	if e == nil || !b.ok {
		return e
	}
	if !pushable(e) {
		b.ok = false
		return e
	}
	out, _, err := transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		gf, ok := e.(*expression.GetField)
		if !ok {
			return e, transform.SameTree, nil
		}
		if !strings.EqualFold(gf.Table(), b.src.name) {
			b.ok = false // an outer scope's column
			return e, transform.SameTree, nil
		}
		ord := b.sch.IndexOfColName(gf.Name())
		if ord < 0 {
			b.ok = false
			return e, transform.SameTree, nil
		}
		pos := -1
		for i, o := range b.src.cols {
			if o == ord {
				pos = i
			}
		}
		if pos < 0 {
			pos = len(b.src.cols)
			b.src.cols = append(b.src.cols, ord)
			b.src.names = append(b.src.names, b.sch[ord].Name)
		}
		return gf.WithIndex(pos), transform.NewTree, nil
	})
	if err != nil {
		b.ok = false
		return e
	}
	if b.rewrite != nil {
		if out, err = b.rewrite(b.ctx, out); err != nil {
			b.ok = false
			return e
		}
	}
	return out
}

// foldTimeLiterals converts, once, string literals compared with a
// DATETIME, TIMESTAMP or DATE column to the column's type: GMS's
// comparison would parse the string again for every row. The comparison
// is unchanged as long as the column's type holds the string's value
// exactly; a literal that does not convert exactly is left alone.
func foldTimeLiterals(ctx *sql.Context, e sql.Expression) sql.Expression {
	out, _, err := transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		switch e.(type) {
		case *expression.Equals, *expression.GreaterThan, *expression.GreaterThanOrEqual, *expression.LessThan, *expression.LessThanOrEqual:
		default:
			return e, transform.SameTree, nil
		}
		kids := e.Children()
		if len(kids) != 2 {
			return e, transform.SameTree, nil
		}
		l, r := kids[0], kids[1]
		nl, lok := timeLiteral(ctx, r, l)
		nr, rok := timeLiteral(ctx, l, r)
		switch {
		case lok:
			l = nl
		case rok:
			r = nr
		default:
			return e, transform.SameTree, nil
		}
		ne, err := e.WithChildren(l, r)
		if err != nil {
			return e, transform.SameTree, nil
		}
		return ne, transform.NewTree, nil
	})
	if err != nil {
		return e
	}
	return out
}

// timeLiteral returns lit converted to col's type when col is a time-typed
// column and lit a string literal that converts within range.
func timeLiteral(ctx *sql.Context, col, lit sql.Expression) (sql.Expression, bool) {
	gf, ok := col.(*expression.GetField)
	if !ok || !types.IsTime(gf.Type()) {
		return nil, false
	}
	l, ok := lit.(*expression.Literal)
	if !ok {
		return nil, false
	}
	if _, ok := l.Value().(string); !ok {
		return nil, false
	}
	v, inRange, err := gf.Type().Convert(ctx, l.Value())
	if err != nil || inRange != sql.InRange || v == nil {
		return nil, false
	}
	// Only a lossless conversion: GMS compares a DATE or DATETIME(n)
	// column with a string as DATETIME(6), so d < '2024-01-03 10:00:00'
	// holds for d = 2024-01-03, which the DATE literal 2024-01-03 (the
	// truncated string) would exclude.
	full, _, err := types.DatetimeMaxPrecision.Convert(ctx, l.Value())
	if err != nil || full == nil {
		return nil, false
	}
	ft, fok := full.(time.Time)
	vt, vok := v.(time.Time)
	if !fok || !vok || !ft.Equal(vt) {
		return nil, false
	}
	return expression.NewLiteral(v, gf.Type()), true
}

// pushable reports whether e can be evaluated inside the scan: no
// subqueries, bind variables, non-deterministic or stateful functions,
// nested aggregates or window functions.
func pushable(e sql.Expression) bool {
	ok := true
	transform.InspectExpr(e, func(e sql.Expression) bool {
		switch e.(type) {
		case *plan.Subquery, *expression.BindVar, *expression.ProcedureParam, *expression.UserVar,
			*expression.Star, *expression.SystemVar:
			ok = false
		case sql.NonDeterministicExpression:
			if x := e.(sql.NonDeterministicExpression); x.IsNonDeterministic() {
				ok = false
			}
		case sql.Aggregation, sql.WindowAggregation:
			ok = false
		}
		return !ok
	})
	return ok
}

func buildAggScan(ctx *sql.Context, gb *plan.GroupBy, cfg *Config, retype map[sql.ColumnId]sql.Type) (sql.Node, bool) {
	// ev is the GroupBy the scan evaluates: gb itself, or gb with a
	// view's (or derived table's) column references replaced by the
	// view's expressions over its one table.
	ev, ok := unwrapView(gb)
	if !ok {
		ev = gb
	}
	src, t, filter, ok := matchSource(ev.Child)
	if !ok {
		return nil, false
	}
	b := &binder{src: src, sch: t.FullSchema(), ok: true, ctx: ctx, rewrite: cfg.rewrite()}
	n := &AggScan{src: *src, cfg: cfg, stats: &execStats{}, selected: gb.SelectedExprs}
	b.src = &n.src
	if filter != nil {
		n.src.origFilter = filter.String()
		n.src.filter = b.bind(foldTimeLiterals(ctx, filter))
	}
	for _, g := range ev.GroupByExprs {
		n.origGrp = append(n.origGrp, g.String())
		n.group = append(n.group, memoizeDays(b.bind(g)))
		n.groupTyp = append(n.groupTyp, g.Type())
	}
	newTypes := map[sql.ColumnId]sql.Type{}
	for i, e := range gb.SelectedExprs {
		inner := ev.SelectedExprs[i]
		if a, ok := inner.(*expression.Alias); ok {
			inner = a.Child
		}
		s, ok := aggSpecFor(inner, b)
		if !ok || !b.ok {
			return nil, false
		}
		n.specs = append(n.specs, s)
		name := e.String()
		if nm, ok := e.(sql.Nameable); ok {
			name = nm.Name()
		}
		src := ""
		if tb, ok := e.(sql.Tableable); ok {
			src = tb.Table()
		}
		n.schema = append(n.schema, &sql.Column{Name: name, Type: s.typ, Nullable: e.IsNullable() || s.kind == aggSum || s.kind == aggAvg, Source: src})
		if id, ok := e.(sql.IdExpression); ok && !s.typ.Equals(e.Type()) {
			newTypes[id.Id()] = s.typ
		}
	}
	if !b.ok {
		return nil, false
	}
	for id, typ := range newTypes {
		retype[id] = typ
	}
	return n, true
}

// unwrapView matches GroupBy -> SubqueryAlias -> Project -> rest (a view
// or derived table that only filters and projects one table) and returns
// the GroupBy over rest with every reference to the alias's columns
// replaced by the projected expression.
func unwrapView(gb *plan.GroupBy) (*plan.GroupBy, bool) {
	sa, ok := gb.Child.(*plan.SubqueryAlias)
	if !ok {
		return nil, false
	}
	pr, ok := sa.Child.(*plan.Project)
	if !ok {
		return nil, false
	}
	sch := sa.Schema()
	if len(sch) != len(pr.Projections) {
		return nil, false
	}
	ok = true
	subst := func(e sql.Expression) sql.Expression {
		out, _, err := transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			gf, isGF := e.(*expression.GetField)
			if !isGF {
				return e, transform.SameTree, nil
			}
			if !strings.EqualFold(gf.Table(), sa.Name()) {
				ok = false
				return e, transform.SameTree, nil
			}
			for i, c := range sch {
				if strings.EqualFold(c.Name, gf.Name()) {
					p := pr.Projections[i]
					if a, isAlias := p.(*expression.Alias); isAlias {
						p = a.Child
					}
					return p, transform.NewTree, nil
				}
			}
			ok = false
			return e, transform.SameTree, nil
		})
		if err != nil {
			ok = false
		}
		return out
	}
	sel := make([]sql.Expression, len(gb.SelectedExprs))
	for i, e := range gb.SelectedExprs {
		sel[i] = subst(e)
	}
	grp := make([]sql.Expression, len(gb.GroupByExprs))
	for i, e := range gb.GroupByExprs {
		grp[i] = subst(e)
	}
	if !ok {
		return nil, false
	}
	return plan.NewGroupBy(sel, grp, pr.Child), true
}

// aggSpecFor builds the accumulator of one selected expression.
func aggSpecFor(e sql.Expression, b *binder) (aggSpec, bool) {
	switch x := e.(type) {
	case *aggregation.Count:
		if x.Window() != nil {
			return aggSpec{}, false
		}
		arg := x.Child
		if _, ok := arg.(*expression.DistinctExpression); ok {
			return aggSpec{}, false
		}
		if lit, ok := arg.(*expression.Literal); ok && lit.Value() != nil {
			return aggSpec{kind: aggCountStar, typ: x.Type(), label: "COUNT(*)"}, true
		}
		if _, ok := arg.(*expression.Star); ok {
			return aggSpec{kind: aggCountStar, typ: x.Type(), label: "COUNT(*)"}, true
		}
		return aggSpec{kind: aggCount, args: []sql.Expression{b.bind(arg)}, typ: x.Type(), label: "COUNT(" + arg.String() + ")"}, true
	case *aggregation.CountDistinct:
		if x.Window() != nil {
			return aggSpec{}, false
		}
		var args []sql.Expression
		var names []string
		for _, a := range x.Children() {
			args = append(args, b.bind(a))
			names = append(names, a.String())
		}
		if len(args) == 0 {
			return aggSpec{}, false
		}
		return aggSpec{kind: aggCountDistinct, args: args, typ: x.Type(), label: "COUNT(DISTINCT " + strings.Join(names, ", ") + ")"}, true
	case *aggregation.Sum, *aggregation.Avg:
		var arg sql.Expression
		kind := aggSum
		if s, ok := x.(*aggregation.Sum); ok {
			if s.Window() != nil {
				return aggSpec{}, false
			}
			arg = s.Child
		} else {
			a := x.(*aggregation.Avg)
			if a.Window() != nil {
				return aggSpec{}, false
			}
			arg, kind = a.Child, aggAvg
		}
		if _, ok := arg.(*expression.DistinctExpression); ok {
			return aggSpec{}, false
		}
		cls, st, at, scale, ok := sumAvgTypes(arg.Type())
		if !ok {
			return aggSpec{}, false
		}
		s := aggSpec{kind: kind, args: []sql.Expression{b.bind(arg)}, num: cls, typ: st, scale: scale}
		if kind == aggAvg {
			s.typ = at
		}
		s.label = aggNames[kind] + "(" + arg.String() + ") -> " + s.typ.String()
		return s, true
	case *aggregation.Min, *aggregation.Max:
		var arg sql.Expression
		kind := aggMin
		if m, ok := x.(*aggregation.Min); ok {
			if m.Window() != nil {
				return aggSpec{}, false
			}
			arg = m.Child
		} else {
			m := x.(*aggregation.Max)
			if m.Window() != nil {
				return aggSpec{}, false
			}
			arg, kind = m.Child, aggMax
		}
		if _, ok := arg.(*expression.DistinctExpression); ok {
			return aggSpec{}, false
		}
		if types.IsJSON(arg.Type()) || types.IsGeometry(arg.Type()) {
			return aggSpec{}, false
		}
		return aggSpec{kind: kind, args: []sql.Expression{b.bind(arg)}, typ: e.Type(), argTyp: arg.Type(), label: aggNames[kind] + "(" + arg.String() + ")"}, true
	case sql.Aggregation, sql.WindowAggregation:
		return aggSpec{}, false
	}
	return aggSpec{kind: aggFirst, args: []sql.Expression{b.bind(e)}, typ: e.Type(), label: e.String()}, true
}

// AddRules registers the pushdown rules on b (sqlserver.NewEngine does,
// as do tests that build their own analyzer).
func AddRules(b *analyzer.Builder, cfg *Config) {
	b.AddPostAnalyzeRule(RuleAggPushdown, AggPushdown(cfg))
	b.AddPostAnalyzeRule(RuleTopKPushdown, TopKPushdown(cfg))
}
