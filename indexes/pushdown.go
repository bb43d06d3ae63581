package indexes

import (
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/quarrydb/quarry/storage"
)

// Predicate pushdown. A WHERE conjunction over the typed fields of a
// search index (keyword, long, double, date: declared in the index
// COMMENT) becomes one bleve query over the fields' sort keys
// (Field.KeyName: the hex of the storage key encoding, whose byte order
// and equality are the column type's, collation included):
//
//	col = lit, col IN (lits)      term queries
//	col < <= > >= lit, BETWEEN    term-range queries
//	col LIKE 'abc%'               a prefix query (collated VARCHAR only:
//	                              GMS's LIKE compares per-rune weights, and
//	                              the key of 'abc' is a prefix of the key of
//	                              exactly the strings whose weights start so)
//	col IS NULL / IS NOT NULL     the NULL-marker field
//	AND, OR                       conjunction, disjunction
//
// The bleve query matches a superset of the rows the predicate accepts:
// a conjunct that cannot be translated is left out of an AND (which only
// widens it), while an OR with an untranslatable branch is not
// translated at all. The whole WHERE clause stays above the lookup as a
// residual filter (search indexes are never precise), so the rows a query
// returns are exactly those of the table path. A comparison is translated
// only when it is made in the column's own type: a VARCHAR column with a
// string literal, a numeric column with a numeric literal, a DATE or
// DATETIME column with a string or temporal literal; and only when the
// literal converts to the column type without loss (the converted value
// compares equal to the literal), so that the converted bound keeps the
// predicate's meaning. Everything else (a string column against a number,
// which MySQL compares as numbers; a lossy bound such as int_col > 1.5;
// TIMESTAMP, which depends on the session time zone; TEXT, ENUM, SET...)
// stays in the residual filter only.
//
// The lookup reads the index only when the search is exact for the
// statement's snapshot (see Search.withIndex); otherwise it scans the
// table (Ranges.Keys), so a stale snapshot never loses rows.

// pushField is a typed field predicates can be pushed to.
type pushField struct {
	f     Field
	keyer *storage.SortKeyer
	kind  pushKind
}

type pushKind uint8

const (
	pushString pushKind = iota + 1
	pushNumber
	pushTemporal
)

// pushKindOf returns how values of a column type are compared, or 0 for
// types never pushed.
func pushKindOf(t sql.Type) pushKind {
	switch {
	case t.Type() == sqltypes.VarChar:
		return pushString
	case types.IsInteger(t), types.IsFloat(t), types.IsDecimal(t):
		return pushNumber
	case t.Type() == sqltypes.Date, t.Type() == sqltypes.Datetime:
		return pushTemporal
	}
	return 0
}

// pusher translates predicates over one search index.
type pusher struct {
	ctx    *sql.Context
	fields map[string]*pushField // by lower-case column name
	// subs are the fields with substring grams (LIKE '%abc%'), by
	// lower-case column name.
	subs map[string]Field
	// odd lists the NULL-marker fields whose out-of-range marker an exact
	// translation assumes absent (date ranges match those documents).
	odd map[string]bool
}

func newPusher(ctx *sql.Context, sp Spec) *pusher {
	p := &pusher{ctx: ctx, fields: map[string]*pushField{}, subs: map[string]Field{}, odd: map[string]bool{}}
	for _, f := range sp.Fields {
		if _, _, ok := substrSorter(f.Col.Type); ok && f.Substr {
			p.subs[strings.ToLower(f.Col.Name)] = f
		}
		if !f.Typed() {
			continue
		}
		k := pushKindOf(f.Col.Type)
		if k == 0 {
			continue
		}
		keyer, ok := storage.NewSortKeyer(f.Col.Type)
		if !ok {
			continue
		}
		p.fields[strings.ToLower(f.Col.Name)] = &pushField{f: f, keyer: keyer, kind: k}
	}
	return p
}

// pushed is the translation of a predicate.
type pushed struct {
	q query.Query
	// exact: the query matches exactly the rows the predicate accepts
	// (given that the pusher's odd fields hold no out-of-range marker).
	exact bool
	// desc renders the pushed predicate for EXPLAIN.
	desc string
}

// conjunction translates the conjuncts it can; n counts them. A lower
// and an upper bound on one column (BETWEEN reaches here as two
// comparisons) become one range: bleve would otherwise unite the terms
// of two half-open ranges, each matching most documents.
func (p *pusher) conjunction(exprs []sql.Expression) (pushed, int) {
	var qs []query.Query
	var descs []string
	exact := true
	merged := p.mergeBounds(exprs)
	for i, e := range exprs {
		if m, ok := merged[i]; ok {
			if m.q != nil {
				qs = append(qs, m.q)
				descs = append(descs, m.desc)
				exact = exact && m.exact
			}
			continue
		}
		if x, ok := p.expr(e); ok {
			qs = append(qs, x.q)
			descs = append(descs, x.desc)
			exact = exact && x.exact
		} else {
			exact = false
		}
	}
	if len(qs) == 0 {
		return pushed{}, 0
	}
	if len(qs) == 1 {
		return pushed{q: qs[0], desc: descs[0], exact: exact}, 1
	}
	return pushed{q: bleve.NewConjunctionQuery(qs...), desc: strings.Join(descs, " AND "), exact: exact}, len(qs)
}

// expr translates one predicate into a query matching a superset of the
// rows it accepts.
func (p *pusher) expr(e sql.Expression) (pushed, bool) {
	switch x := e.(type) {
	case *expression.And:
		c, n := p.conjunction(expression.SplitConjunction(x))
		if n == 0 {
			return pushed{}, false
		}
		return pushed{q: c.q, desc: "(" + c.desc + ")", exact: c.exact}, true
	case *expression.Or:
		var qs []query.Query
		var descs []string
		exact := true
		for _, b := range expression.SplitDisjunction(x) {
			t, ok := p.expr(b)
			if !ok {
				return pushed{}, false
			}
			qs = append(qs, t.q)
			descs = append(descs, t.desc)
			exact = exact && t.exact
		}
		return pushed{q: bleve.NewDisjunctionQuery(qs...), desc: "(" + strings.Join(descs, " OR ") + ")", exact: exact}, true
	case *expression.Equals:
		return p.compare(x.Left(), x.Right(), "=")
	case *expression.LessThan:
		return p.compare(x.Left(), x.Right(), "<")
	case *expression.LessThanOrEqual:
		return p.compare(x.Left(), x.Right(), "<=")
	case *expression.GreaterThan:
		return p.compare(x.Left(), x.Right(), ">")
	case *expression.GreaterThanOrEqual:
		return p.compare(x.Left(), x.Right(), ">=")
	case *expression.Between:
		f := p.field(x.Val)
		if f == nil {
			return pushed{}, false
		}
		lo, ok1 := p.value(f, x.Lower)
		hi, ok2 := p.value(f, x.Upper)
		if !ok1 || !ok2 {
			return pushed{}, false
		}
		q, exact, ok := p.rangeQuery(f, lo, hi, true, true)
		if !ok {
			return pushed{}, false
		}
		return pushed{q: q, desc: fmt.Sprintf("%s BETWEEN %s AND %s", f.f.Col.Name, x.Lower, x.Upper), exact: exact}, true
	case *expression.InTuple:
		f := p.field(x.Left())
		tup, ok := x.Right().(expression.Tuple)
		if f == nil || !ok || len(tup) == 0 {
			return pushed{}, false
		}
		var qs []query.Query
		var lits []string
		for _, el := range tup {
			v, ok := p.value(f, el)
			if !ok {
				return pushed{}, false
			}
			k, err := p.keyOf(f, v)
			if err != nil {
				return pushed{}, false
			}
			tq := bleve.NewTermQuery(k)
			tq.SetField(f.f.KeyName())
			qs = append(qs, tq)
			lits = append(lits, el.String())
		}
		return pushed{q: bleve.NewDisjunctionQuery(qs...), desc: fmt.Sprintf("%s IN (%s)", f.f.Col.Name, strings.Join(lits, ", ")), exact: true}, true
	case *expression.IsNull:
		f := p.field(x.Child)
		if f == nil {
			return pushed{}, false
		}
		return pushed{q: p.nullQuery(f), desc: f.f.Col.Name + " IS NULL", exact: true}, true
	case *expression.Not:
		in, ok := x.Child.(*expression.IsNull)
		if !ok {
			return pushed{}, false
		}
		f := p.field(in.Child)
		if f == nil {
			return pushed{}, false
		}
		b := bleve.NewBooleanQuery()
		b.AddMust(bleve.NewMatchAllQuery())
		b.AddMustNot(p.nullQuery(f))
		return pushed{q: b, desc: f.f.Col.Name + " IS NOT NULL", exact: true}, true
	case *expression.Like:
		return p.like(x)
	}
	return pushed{}, false
}

func (p *pusher) nullQuery(f *pushField) query.Query {
	q := bleve.NewTermQuery(nullTerm)
	q.SetField(f.f.NullName())
	return q
}

// bound is a one-sided comparison of a column with a value.
type bound struct {
	f    *pushField
	v    any
	op   string // <, <=, >, >=
	desc string
}

// boundOf recognises col op lit (or lit op col) with op one of <, <=, >,
// >=, and a literal that converts to the column's type.
func (p *pusher) boundOf(e sql.Expression) (bound, bool) {
	var l, r sql.Expression
	var op string
	switch x := e.(type) {
	case *expression.LessThan:
		l, r, op = x.Left(), x.Right(), "<"
	case *expression.LessThanOrEqual:
		l, r, op = x.Left(), x.Right(), "<="
	case *expression.GreaterThan:
		l, r, op = x.Left(), x.Right(), ">"
	case *expression.GreaterThanOrEqual:
		l, r, op = x.Left(), x.Right(), ">="
	default:
		return bound{}, false
	}
	f, v, op, lit, ok := p.comparison(l, r, op)
	if !ok {
		return bound{}, false
	}
	return bound{f: f, v: v, op: op, desc: fmt.Sprintf("%s %s %s", f.f.Col.Name, op, lit)}, true
}

// mergeBounds finds the columns of exprs bounded exactly once from below
// and once from above, and translates each pair into one range: the
// result holds it at the index of the first of the two and a zero
// pushed (nothing to add) at the other's. The translation is the same
// superset, and as exact, as the two ranges' conjunction (rangeQuery).
func (p *pusher) mergeBounds(exprs []sql.Expression) map[int]pushed {
	type pair struct{ lo, hi, n int }
	byField := map[string]*pair{}
	bounds := make([]bound, len(exprs))
	var order []string
	for i, e := range exprs {
		b, ok := p.boundOf(e)
		if !ok {
			continue
		}
		bounds[i] = b
		name := b.f.f.Name()
		pr := byField[name]
		if pr == nil {
			pr = &pair{lo: -1, hi: -1}
			byField[name] = pr
			order = append(order, name)
		}
		pr.n++
		if b.op[0] == '>' {
			pr.lo = i
		} else {
			pr.hi = i
		}
	}
	var out map[int]pushed
	for _, name := range order {
		pr := byField[name]
		if pr.n != 2 || pr.lo < 0 || pr.hi < 0 {
			continue
		}
		lo, hi := bounds[pr.lo], bounds[pr.hi]
		q, exact, ok := p.rangeQuery(lo.f, lo.v, hi.v, lo.op == ">=", hi.op == "<=")
		if !ok {
			continue
		}
		if out == nil {
			out = map[int]pushed{}
		}
		first, second := min(pr.lo, pr.hi), max(pr.lo, pr.hi)
		out[first] = pushed{q: q, desc: bounds[first].desc + " AND " + bounds[second].desc, exact: exact}
		out[second] = pushed{}
	}
	return out
}

// comparison resolves col op lit (or lit op col, op mirrored): the
// field, the literal's value in the column's type and the literal.
func (p *pusher) comparison(l, r sql.Expression, op string) (f *pushField, v any, _ string, lit sql.Expression, ok bool) {
	f = p.field(l)
	lit = r
	if f == nil {
		if f = p.field(r); f == nil {
			return nil, nil, "", nil, false
		}
		lit = l
		op = map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
	}
	v, ok = p.value(f, lit)
	return f, v, op, lit, ok
}

// compare translates col op lit (or lit op col).
func (p *pusher) compare(l, r sql.Expression, op string) (pushed, bool) {
	f, v, op, lit, ok := p.comparison(l, r, op)
	if !ok {
		return pushed{}, false
	}
	desc := fmt.Sprintf("%s %s %s", f.f.Col.Name, op, lit)
	var q query.Query
	exact := true
	switch op {
	case "=":
		k, err := p.keyOf(f, v)
		if err != nil {
			return pushed{}, false
		}
		tq := bleve.NewTermQuery(k)
		tq.SetField(f.f.KeyName())
		q = tq
	case "<":
		q, exact, ok = p.rangeQuery(f, nil, v, false, false)
	case "<=":
		q, exact, ok = p.rangeQuery(f, nil, v, false, true)
	case ">":
		q, exact, ok = p.rangeQuery(f, v, nil, false, false)
	default: // >=
		q, exact, ok = p.rangeQuery(f, v, nil, true, false)
	}
	if !ok {
		return pushed{}, false
	}
	return pushed{q: q, desc: desc, exact: exact}, true
}

// rangeQuery matches a superset of the rows whose column lies between lo
// and hi (nil: unbounded; inclusive as said). Numbers and dates use
// bleve's prefix-coded numeric fields (a handful of terms per range,
// where a range of sort-key terms would visit every distinct value): the
// value's float64 (or UnixNano) is a non-decreasing function of it, so
// inclusive bounds on the images keep every row (the residual filter
// applies the strict bounds). Dates bleve cannot represent carry an
// out-of-range marker that every date range also matches. Strings use a
// range of sort-key terms.
//
// exact reports whether the query matches exactly the rows in range:
// strings always; integer columns when the bounds, made inclusive (b+1
// for > b), lie within ±2^53, where float64 holds every integer (then
// v >= B exactly when float64(v) >= B, as rounding is monotone); dates
// when no document carries the out-of-range marker (p.odd, checked by
// the caller) since UnixNano is exact and the bounds' inclusivity is
// kept; DECIMAL and floating-point columns never.
func (p *pusher) rangeQuery(f *pushField, lo, hi any, loIncl, hiIncl bool) (q query.Query, exact, ok bool) {
	yes := true
	switch {
	case f.kind == pushNumber && (f.f.Kind == KindLong || f.f.Kind == KindDouble):
		if q, ok := p.intRange(f, lo, hi, loIncl, hiIncl); ok {
			return q, true, true
		}
		var min, max *float64
		if lo != nil {
			x, ok := toFloat(lo)
			if !ok {
				return nil, false, false
			}
			min = &x
		}
		if hi != nil {
			x, ok := toFloat(hi)
			if !ok {
				return nil, false, false
			}
			max = &x
		}
		nq := bleve.NewNumericRangeInclusiveQuery(min, max, &yes, &yes)
		nq.SetField(f.f.Name())
		return nq, false, true
	case f.kind == pushTemporal && f.f.Kind == KindDate:
		var start, end time.Time
		for i, v := range []any{lo, hi} {
			if v == nil {
				continue
			}
			t, ok := v.(time.Time)
			if !ok || !dateRepresentable(t) {
				return nil, false, false
			}
			if i == 0 {
				start = t
			} else {
				end = t
			}
		}
		if start.IsZero() && end.IsZero() {
			return nil, false, false
		}
		li, hi2 := loIncl, hiIncl
		dq := bleve.NewDateRangeInclusiveQuery(start, end, &li, &hi2)
		dq.SetField(f.f.Name())
		odd := bleve.NewTermQuery(outOfRangeTerm)
		odd.SetField(f.f.NullName())
		p.odd[f.f.NullName()] = true
		return bleve.NewDisjunctionQuery(dq, odd), true, true
	}
	var lk, hk string
	if lo != nil {
		k, err := p.keyOf(f, lo)
		if err != nil {
			return nil, false, false
		}
		lk = k
	}
	if hi != nil {
		k, err := p.keyOf(f, hi)
		if err != nil {
			return nil, false, false
		}
		hk = k
	}
	tq := bleve.NewTermRangeInclusiveQuery(lk, hk, &loIncl, &hiIncl)
	if lo == nil {
		tq = bleve.NewTermRangeInclusiveQuery("", hk, &yes, &hiIncl)
	}
	tq.SetField(f.f.KeyName())
	return tq, true, true
}

// maxExactInt bounds the integers float64 holds exactly.
const maxExactInt = 1 << 53

// intRange is rangeQuery for an integer column with bounds made
// inclusive and within ±2^53 (see rangeQuery); ok is false otherwise.
func (p *pusher) intRange(f *pushField, lo, hi any, loIncl, hiIncl bool) (query.Query, bool) {
	if !types.IsInteger(f.f.Col.Type) {
		return nil, false
	}
	bound := func(v any, incl bool, step int64) (*float64, bool) {
		if v == nil {
			return nil, true
		}
		iv, _, err := types.Int64.Convert(p.ctx, v)
		if err != nil {
			return nil, false
		}
		n, ok := iv.(int64)
		if !ok {
			return nil, false
		}
		if !incl {
			n += step
		}
		if n <= -maxExactInt || n >= maxExactInt {
			return nil, false
		}
		x := float64(n)
		return &x, true
	}
	min, ok1 := bound(lo, loIncl, 1)
	max, ok2 := bound(hi, hiIncl, -1)
	if !ok1 || !ok2 {
		return nil, false
	}
	yes := true
	q := bleve.NewNumericRangeInclusiveQuery(min, max, &yes, &yes)
	q.SetField(f.f.Name())
	return q, true
}

// dateRepresentable reports whether bleve can index t (as UnixNano).
func dateRepresentable(t time.Time) bool {
	return !t.Before(query.MinRFC3339CompatibleTime) && !t.After(query.MaxRFC3339CompatibleTime)
}

// keyOf returns the hex sort key of a value of f's column type.
func (p *pusher) keyOf(f *pushField, v any) (string, error) {
	k, err := f.keyer.Key(p.ctx, v)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(k), nil
}

// like translates col LIKE 'prefix%' (no other wildcard or escape
// character in the prefix) over a typed field's sort keys, exactly, and
// other patterns over the column's substring grams (substr.go), as
// candidates.
func (p *pusher) like(x *expression.Like) (pushed, bool) {
	gf, ok := x.LeftChild.(*expression.GetField)
	if !ok {
		return pushed{}, false
	}
	f := p.fields[strings.ToLower(gf.Name())]
	sub, hasSub := p.subs[strings.ToLower(gf.Name())]
	if (f == nil || f.kind != pushString) && !hasSub {
		return pushed{}, false
	}
	esc := `\`
	if x.Escape != nil {
		el, ok := x.Escape.(*expression.Literal)
		if !ok {
			return pushed{}, false
		}
		if esc, ok = el.Value().(string); !ok || utf8.RuneCountInString(esc) != 1 {
			return pushed{}, false
		}
	}
	lit, ok := x.RightChild.(*expression.Literal)
	if !ok || !types.IsText(lit.Type()) {
		return pushed{}, false
	}
	pat, ok := lit.Value().(string)
	if !ok {
		return pushed{}, false
	}
	if f != nil && f.kind == pushString && strings.HasSuffix(pat, "%") {
		prefix := strings.TrimRight(pat, "%")
		if !strings.ContainsAny(prefix, `%_\`) && !strings.Contains(prefix, esc) {
			if k, ok := f.keyer.PrefixKey(prefix); ok {
				q := bleve.NewPrefixQuery(hex.EncodeToString(k))
				q.SetField(f.f.KeyName())
				return pushed{q: q, desc: fmt.Sprintf("%s LIKE %s", f.f.Col.Name, lit), exact: true}, true
			}
		}
	}
	if !hasSub {
		return pushed{}, false
	}
	r, _ := utf8.DecodeRuneInString(esc)
	return p.likeSubstr(x, sub, pat, r, lit.String())
}

// field returns the pushable field e reads, if e is a bare column.
func (p *pusher) field(e sql.Expression) *pushField {
	gf, ok := e.(*expression.GetField)
	if !ok {
		return nil
	}
	return p.fields[strings.ToLower(gf.Name())]
}

// value returns literal e as a value of f's column type, when comparing
// the column with e is comparing in the column's type and e converts to
// it without loss.
func (p *pusher) value(f *pushField, e sql.Expression) (any, bool) {
	lit, ok := e.(*expression.Literal)
	if !ok || lit.Value() == nil {
		return nil, false
	}
	lt := lit.Type()
	switch f.kind {
	case pushString:
		if !types.IsText(lt) {
			return nil, false
		}
	case pushNumber:
		if !types.IsNumber(lt) {
			return nil, false
		}
	case pushTemporal:
		if !types.IsText(lt) && !types.IsTime(lt) && lt.Type() != sqltypes.Date {
			return nil, false
		}
	}
	ct := f.f.Col.Type
	cv, _, err := ct.Convert(p.ctx, lit.Value())
	if err != nil || cv == nil {
		return nil, false
	}
	eq, err := expression.NewEquals(expression.NewLiteral(cv, ct), lit).Eval(p.ctx, nil)
	if err != nil || eq != true {
		return nil, false
	}
	return cv, true
}

// indexHints are the USE / IGNORE / FORCE INDEX hints of one table in the
// statement. GMS v0.20.0 parses hints but drops them, so they are read
// back from the statement's text.
type indexHints struct {
	kind  string          // ast.UseStr, ast.IgnoreStr, ast.ForceStr; "" none
	names map[string]bool // lower-case index names
}

// hintsFor returns the hints of table in statement st.
func hintsFor(st ast.Statement, table string) indexHints {
	if ex, ok := st.(*ast.Explain); ok { // Walk does not enter EXPLAIN
		st = ex.Statement
	}
	var h indexHints
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		at, ok := n.(*ast.AliasedTableExpr)
		if !ok || at.Hints == nil {
			return true, nil
		}
		tn, ok := at.Expr.(ast.TableName)
		if !ok || !strings.EqualFold(tn.Name.String(), table) {
			return true, nil
		}
		h.kind = at.Hints.Type
		h.names = map[string]bool{}
		for _, ix := range at.Hints.Indexes {
			h.names[strings.ToLower(ix.String())] = true
		}
		return false, nil
	}, st)
	return h
}

// allows reports whether the hints let the planner use index name, and
// forced whether they ask for it.
func (h indexHints) allows(name string) (allowed, forced bool) {
	in := h.names[strings.ToLower(name)]
	switch h.kind {
	case ast.IgnoreStr:
		return !in, false
	case ast.UseStr, ast.ForceStr:
		return in, in
	}
	return true, false
}

// pushdownLookup is LookupForExpressions without a MATCH: it pushes the
// conjuncts into the search index that translates the most of them, when
// the hints allow it and, unless they force it, when it is cheaper than
// the table's other access paths. The estimates are counts from the
// search index itself (exact for the index's current contents): the
// pushed query's matches B; for each key (the primary key and the
// secondary indexes) whose first column the conjuncts restrict, the rows
// of that restriction (counted in the search index when the column is
// one of its typed fields, else assumed a tenth of the table for = and
// IN, a third for ranges). The search is chosen when B is below every
// such key estimate and below a fifth of the table (a scan reads rows in
// order, several times cheaper per row than fetches by key).
func (m *Manager) pushdownLookup(ctx *sql.Context, t *storage.Table, exprs []sql.Expression) (sql.IndexLookup, bool, error) {
	st, err := ast.Parse(ctx.Query())
	if err != nil || !plainSelect(st) {
		return sql.IndexLookup{}, false, nil
	}
	hints := hintsFor(st, t.Name())
	var best *Search
	var bestPush *pusher
	bestN := 0
	forced := false
	for _, d := range t.SearchIndexDefs() {
		ok, force := hints.allows(d.Name)
		if !ok {
			continue
		}
		sp, err := ParseSpec(d)
		if err != nil {
			return sql.IndexLookup{}, false, err
		}
		p := newPusher(ctx, sp)
		if len(p.fields) == 0 && len(p.subs) == 0 {
			continue
		}
		pq, n := p.conjunction(exprs)
		if n > bestN || n == bestN && n > 0 && force {
			best = &Search{m: m, Def: d, Table: t, Scoreless: true, Pushed: pq.q, PushedDesc: pq.desc}
			if pq.exact {
				for f := range p.odd {
					best.PushedOdd = append(best.PushedOdd, f)
				}
				best.PushedExact = true
			}
			bestPush, bestN, forced = p, n, force
		}
	}
	if best == nil {
		return sql.IndexLookup{}, false, nil
	}
	if !forced {
		cheaper, err := m.pushCheaper(ctx, t, best, bestPush, exprs, hints)
		if err != nil || !cheaper {
			return sql.IndexLookup{}, false, err
		}
	}
	ixs, err := t.GetIndexes(ctx)
	if err != nil {
		return sql.IndexLookup{}, false, err
	}
	for _, i := range ixs {
		if si, ok := i.(*storage.SearchIndex); ok && si.Def().IndexID == best.Def.IndexID {
			return sql.IndexLookup{Index: si, Ranges: &Ranges{S: best}}, true, nil
		}
	}
	return sql.IndexLookup{}, false, nil
}

// plainSelect reports whether the statement (or the statement an
// EXPLAIN shows) is a SELECT without locking clauses: writes and locking
// reads read current rows, never exactly the index's snapshot, so a
// pushed search would fall back to a scan (Ranges.Keys).
func plainSelect(st ast.Statement) bool {
	if ex, ok := st.(*ast.Explain); ok {
		st = ex.Statement
	}
	switch st.(type) {
	case *ast.Select, *ast.SetOp:
	default:
		return false
	}
	plain := true
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		if sel, ok := n.(*ast.Select); ok && (sel.Lock != "" || sel.Into != nil) {
			plain = false
		}
		return plain, nil
	}, st)
	return plain
}

// pushCheaper compares the pushed search with the table's keys (see
// pushdownLookup).
func (m *Manager) pushCheaper(ctx *sql.Context, t *storage.Table, s *Search, p *pusher, exprs []sql.Expression, hints indexHints) (bool, error) {
	rows, _, err := t.RowCount(ctx)
	if err != nil {
		return false, err
	}
	ix, err := m.Lookup(s.Def)
	if err != nil {
		return false, err
	}
	// Counts stop at the bound that decides each comparison, so that
	// planning a selective search does not iterate the matches of its
	// unselective parts: b*5 > rows exactly when b reaches rows/5+1, and
	// an estimate c gives b >= c exactly when c, counted up to b+1, is at
	// most b.
	count := func(q query.Query, limit uint64) (uint64, error) {
		c, err := ix.CountUpTo(ctx, q, int(min(limit, math.MaxInt32)))
		return uint64(c), err
	}
	ixs, err := t.GetIndexes(ctx)
	if err != nil {
		return false, err
	}
	// cheaperThanKeys reports whether every key's estimate exceeds b.
	cheaperThanKeys := func(b uint64) (bool, error) {
		for _, i := range ixs {
			if _, ok := i.(*storage.SearchIndex); ok {
				continue
			}
			if ok, _ := hints.allows(i.ID()); !ok && i.ID() != "PRIMARY" {
				continue
			}
			ex := i.Expressions()
			if len(ex) == 0 {
				continue
			}
			col := strings.ToLower(ex[0][strings.LastIndex(ex[0], ".")+1:])
			var on []sql.Expression // conjuncts restricting col
			eq := false
			for _, e := range exprs {
				if c, isEq := restricts(e, col); c {
					on = append(on, e)
					eq = eq || isEq
				}
			}
			if len(on) == 0 {
				continue
			}
			var est uint64
			if _, ok := p.fields[col]; ok {
				pq, n := p.conjunction(on)
				if n == 0 {
					continue
				}
				c, err := count(pq.q, b+1)
				if err != nil {
					return false, err
				}
				est = c
			} else if eq {
				est = rows / 10
			} else {
				est = rows / 3
			}
			if b >= est {
				return false, nil
			}
		}
		return true, nil
	}
	// First with an upper bound of the search's matches: those of its
	// term conjuncts (=, IN), which bleve intersects as bitmaps, without
	// the ranges, whose terms it unites first. When the bound passes, the
	// search does (it matches no more); otherwise the exact count decides.
	if tq := p.termConjuncts(exprs); tq != nil {
		ub, err := count(tq, rows/5+1)
		if err != nil {
			return false, err
		}
		if ub*5 <= rows {
			if ok, err := cheaperThanKeys(ub); err != nil || ok {
				return ok, err
			}
		}
	}
	b, err := count(s.Pushed, rows/5+1)
	if err != nil {
		return false, err
	}
	if b*5 > rows {
		return false, nil
	}
	return cheaperThanKeys(b)
}

// termConjuncts is a conjunction of term queries (and disjunctions of
// them) implied by the translations of exprs (=, IN, and the grams of a
// substring's phrases), so matching a superset of them, or nil if there is
// none.
func (p *pusher) termConjuncts(exprs []sql.Expression) query.Query {
	var qs []query.Query
	for _, e := range exprs {
		if x, ok := p.expr(e); ok {
			qs = appendTermConjuncts(qs, x.q)
		}
	}
	switch len(qs) {
	case 0:
		return nil
	case 1:
		return qs[0]
	}
	return bleve.NewConjunctionQuery(qs...)
}

// appendTermConjuncts appends to qs term queries and disjunctions of them
// that every match of q matches: q itself if it is one, the terms of a
// phrase, those of a conjunction's clauses.
func appendTermConjuncts(qs []query.Query, q query.Query) []query.Query {
	switch x := q.(type) {
	case *query.TermQuery:
		qs = append(qs, x)
	case *query.PhraseQuery:
		for _, t := range x.Terms {
			if t == "" { // any term
				continue
			}
			tq := bleve.NewTermQuery(t)
			tq.SetField(x.FieldVal)
			qs = append(qs, tq)
		}
	case *query.ConjunctionQuery:
		for _, c := range x.Conjuncts {
			qs = appendTermConjuncts(qs, c)
		}
	case *query.DisjunctionQuery:
		for _, d := range x.Disjuncts {
			if _, isTerm := d.(*query.TermQuery); !isTerm {
				return qs
			}
		}
		qs = append(qs, x)
	}
	return qs
}

// restricts reports whether e is a comparison a key on col can use (a
// literal compared with the bare column), and whether it is = or IN.
func restricts(e sql.Expression, col string) (ok, eq bool) {
	is := func(x sql.Expression) bool {
		gf, ok := x.(*expression.GetField)
		return ok && strings.EqualFold(gf.Name(), col)
	}
	lit := func(x sql.Expression) bool { _, ok := x.(*expression.Literal); return ok }
	switch x := e.(type) {
	case *expression.Equals:
		return is(x.Left()) && lit(x.Right()) || is(x.Right()) && lit(x.Left()), true
	case *expression.InTuple:
		return is(x.Left()), true
	case *expression.LessThan, *expression.LessThanOrEqual, *expression.GreaterThan, *expression.GreaterThanOrEqual:
		c := x.(expression.Comparer)
		return is(c.Left()) && lit(c.Right()) || is(c.Right()) && lit(c.Left()), false
	case *expression.Between:
		return is(x.Val), false
	case *expression.Like:
		return is(x.LeftChild), false
	}
	return false, false
}
