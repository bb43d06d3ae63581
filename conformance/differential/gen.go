package differential

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
)

// query is one generated statement and how its results may be compared.
type query struct {
	sql string
	// ordered: ORDER BY covers every output column, so the row order is
	// fixed up to rows equal under the collation.
	ordered bool
	// exact: the servers must return byte-identical values. Cleared when a
	// server may return any member of a group of strings equal under the
	// collation (DISTINCT, GROUP BY, MIN/MAX, UNION, LIMIT ties).
	exact bool
	// features are the constructs in the query that known mismatches can
	// name (see known_mismatches.json).
	features map[string]bool
}

// binding is a table (or derived table) in scope under an alias.
type binding struct {
	alias string
	t     table
}

// gen builds one query from its own random stream.
type gen struct {
	r      *rand.Rand
	scope  []binding
	depth  int // subquery nesting
	aliasN int
	exact  bool
	feats  map[string]bool
	// strFuncs counts string-valued function calls generated so far; a
	// comparison, ordering or MIN/MAX over one is collation-sensitive.
	strFuncs int
	// strItems counts select-list items that are string functions.
	strItems int
	// derivedFn holds the derived-table columns ("d5.x1") computed by a
	// string function.
	derivedFn map[string]bool
	// itemFns records, per select list built by plainSelectKinds, which
	// items are string functions.
	itemFns []bool
}

// strExpr returns a string expression and whether it calls a function.
func (g *gen) strExpr(d int) (string, bool) {
	before := g.strFuncs
	e := g.expr(kStr, d)
	return e, g.strFuncs > before
}

// exprSensitive is expr, noting a collation-sensitive use of a string
// function's result.
func (g *gen) exprSensitive(k kind, d int) string {
	if k != kStr {
		return g.expr(k, d)
	}
	e, fn := g.strExpr(d)
	if fn {
		g.feature("string-function-collation")
	}
	return e
}

func (g *gen) feature(name string) { g.feats[name] = true }

// generate returns query i of seed.
func generate(seed uint64, i int) query {
	g := &gen{r: rand.New(rand.NewPCG(seed, uint64(i))), exact: true, feats: map[string]bool{}, derivedFn: map[string]bool{}}
	q := query{}
	switch n := g.r.IntN(100); {
	case n < 35:
		q.sql, q.ordered = g.plainSelect(true)
	case n < 65:
		q.sql, q.ordered = g.groupSelect()
	case n < 75:
		q.sql = g.scalarAggregate()
	case n < 90:
		q.sql, q.ordered = g.derivedSelect()
	default:
		q.sql, q.ordered = g.unionSelect()
	}
	q.exact = g.exact
	q.features = g.feats
	if strings.Count(q.sql, "GROUP_CONCAT(") > 1 {
		g.feature("multiple-group-concat")
	}
	return q
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }
func (g *gen) intn(n int) int        { return g.r.IntN(n) }
func pick[T any](g *gen, xs []T) T   { return xs[g.r.IntN(len(xs))] }

func (g *gen) alias(base string) string {
	g.aliasN++
	return fmt.Sprintf("%s%d", base, g.aliasN)
}

// from picks the FROM clause and sets the scope.
func (g *gen) from() string {
	c, o, p := tableByName("c"), tableByName("o"), tableByName("p")
	ac, ao, ap := g.alias("c"), g.alias("o"), g.alias("p")
	bind := func(bs ...binding) { g.scope = append(g.scope, bs...) }
	on := func(cond string) string {
		if g.chance(0.2) {
			return cond + " AND " + g.pred(1)
		}
		return cond
	}
	switch g.intn(10) {
	case 0, 1:
		bind(binding{ac, c})
		return "c AS " + ac
	case 2, 3:
		bind(binding{ao, o})
		return "o AS " + ao
	case 4:
		bind(binding{ap, p})
		return "p AS " + ap
	case 5:
		bind(binding{ac, c}, binding{ao, o})
		join := pick(g, []string{"JOIN", "LEFT JOIN", "RIGHT JOIN"})
		return fmt.Sprintf("c AS %s %s o AS %s ON %s", ac, join, ao, on(fmt.Sprintf("%s.id = %s.cid", ac, ao)))
	case 6:
		bind(binding{ao, o}, binding{ap, p})
		join := pick(g, []string{"JOIN", "LEFT JOIN"})
		return fmt.Sprintf("o AS %s %s p AS %s ON %s", ao, join, ap, on(fmt.Sprintf("%s.pcode = %s.code", ao, ap)))
	case 7:
		bind(binding{ac, c}, binding{ao, o}, binding{ap, p})
		j1 := pick(g, []string{"JOIN", "LEFT JOIN"})
		j2 := pick(g, []string{"JOIN", "LEFT JOIN"})
		return fmt.Sprintf("c AS %s %s o AS %s ON %s.id = %s.cid %s p AS %s ON %s.pcode = %s.code",
			ac, j1, ao, ac, ao, j2, ap, ao, ap)
	case 8:
		bind(binding{ap, p}, binding{ac, c})
		return fmt.Sprintf("p AS %s CROSS JOIN c AS %s", ap, ac)
	default:
		bind(binding{ac, c}, binding{ao, o})
		return fmt.Sprintf("o AS %s LEFT JOIN c AS %s ON %s", ao, ac, on(fmt.Sprintf("%s.cid = %s.id", ao, ac)))
	}
}

// colRef returns a column of kind k in scope, or "" if there is none.
func (g *gen) colRef(k kind) string {
	var refs []string
	for _, b := range g.scope {
		for _, c := range b.t.cols {
			if c.kind == k {
				refs = append(refs, b.alias+"."+c.name)
			}
		}
	}
	if len(refs) == 0 {
		return ""
	}
	ref := pick(g, refs)
	if strings.HasSuffix(ref, ".tag") {
		g.feature("trailing-spaces")
	}
	if g.derivedFn[ref] {
		g.strFuncs++ // a derived table's column computed by a string function
	}
	return ref
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (g *gen) literal(k kind) string {
	switch k {
	case kInt:
		return fmt.Sprint(g.intn(220) - 20)
	case kDec:
		return fmt.Sprintf("%d.%02d", g.intn(600)-100, g.intn(100))
	case kStr:
		pool := pick(g, [][]string{names, cities, statuses, notes, codes, labels})
		s := pick(g, pool)
		switch g.intn(4) {
		case 0:
			s = strings.ToUpper(s)
		case 1:
			s = strings.ToLower(s)
		}
		return quote(s)
	case kDate:
		return fmt.Sprintf("'%04d-%02d-%02d'", pick(g, []int{1960, 1975, 1990, 2000, 2024}), 1+g.intn(12), 1+g.intn(28))
	case kDatetime:
		return fmt.Sprintf("'2024-%02d-%02d %02d:%02d:00'", 1+g.intn(12), 1+g.intn(28), g.intn(24), g.intn(60))
	default:
		return g.pred(0)
	}
}

// leaf is a column of kind k (mostly) or a literal.
func (g *gen) leaf(k kind) string {
	if g.chance(0.85) {
		if c := g.colRef(k); c != "" {
			return c
		}
	}
	return g.literal(k)
}

// expr returns an expression of kind k with at most d levels of nesting.
func (g *gen) expr(k kind, d int) string {
	if k == kBool {
		return g.pred(d)
	}
	if d <= 0 || g.chance(0.45) {
		return g.leaf(k)
	}
	e := func(k kind) string { return g.expr(k, d-1) }
	switch k {
	case kInt:
		switch g.intn(17) {
		case 0:
			return fmt.Sprintf("(%s + %s)", e(kInt), e(kInt))
		case 1:
			return fmt.Sprintf("(%s - %s)", e(kInt), e(kInt))
		case 2:
			return fmt.Sprintf("(%s * %d)", e(kInt), g.intn(7)-2)
		case 3:
			return fmt.Sprintf("ABS(%s)", e(kInt))
		case 4:
			return fmt.Sprintf("MOD(%s, %d)", e(kInt), 1+g.intn(7))
		case 5:
			return fmt.Sprintf("(%s DIV %d)", e(kInt), 1+g.intn(7))
		case 6:
			return fmt.Sprintf("CHAR_LENGTH(%s)", e(kStr))
		case 7:
			return fmt.Sprintf("LENGTH(%s)", e(kStr))
		case 8:
			return fmt.Sprintf("%s(%s)", pick(g, []string{"YEAR", "MONTH", "DAYOFMONTH", "QUARTER"}), e(kDate))
		case 9:
			return fmt.Sprintf("DATEDIFF(%s, '2024-01-01')", e(kDate))
		case 10:
			return fmt.Sprintf("CASE WHEN %s THEN %s ELSE %s END", g.pred(d-1), e(kInt), e(kInt))
		case 11:
			return fmt.Sprintf("COALESCE(%s, %d)", e(kInt), g.intn(10))
		case 12:
			return fmt.Sprintf("IF(%s, %s, %s)", g.pred(d-1), e(kInt), e(kInt))
		case 13:
			return fmt.Sprintf("LOCATE(%s, %s)", pick(g, []string{"'a'", "'o'", "'E'", "'张'"}), e(kStr))
		case 14:
			return fmt.Sprintf("%s(%s, %s)", pick(g, []string{"GREATEST", "LEAST"}), e(kInt), e(kInt))
		case 15:
			return fmt.Sprintf("%s(%s)", pick(g, []string{"FLOOR", "CEIL", "SIGN"}), e(kDec))
		default:
			return fmt.Sprintf("HOUR(%s)", e(kDatetime))
		}
	case kDec:
		switch g.intn(8) {
		case 0:
			return fmt.Sprintf("ROUND(%s, %d)", e(kDec), g.intn(3))
		case 1:
			return fmt.Sprintf("TRUNCATE(%s, 1)", e(kDec))
		case 2:
			return fmt.Sprintf("(%s + %s)", e(kDec), e(kDec))
		case 3:
			return fmt.Sprintf("(%s - %s)", e(kDec), e(kInt))
		case 4:
			return fmt.Sprintf("(%s * %d)", e(kDec), g.intn(5)-1)
		case 5:
			return fmt.Sprintf("(%s / %s)", e(pick(g, []kind{kInt, kDec})), e(kInt))
		case 6:
			return fmt.Sprintf("ABS(%s)", e(kDec))
		default:
			return fmt.Sprintf("COALESCE(%s, 0.5)", e(kDec))
		}
	case kStr:
		g.strFuncs++
		switch g.intn(16) {
		case 0:
			return fmt.Sprintf("%s(%s)", pick(g, []string{"UPPER", "LOWER", "TRIM", "LTRIM", "RTRIM", "REVERSE"}), e(kStr))
		case 1:
			return fmt.Sprintf("CONCAT(%s, %s)", e(kStr), e(kStr))
		case 2:
			return fmt.Sprintf("CONCAT_WS('-', %s, %s)", e(kStr), e(kInt))
		case 3:
			return fmt.Sprintf("SUBSTRING(%s, %d, %d)", e(kStr), 1+g.intn(3), 1+g.intn(4))
		case 4:
			return fmt.Sprintf("%s(%s, %d)", pick(g, []string{"LEFT", "RIGHT"}), e(kStr), 1+g.intn(4))
		case 5:
			return fmt.Sprintf("REPLACE(%s, %s, '@')", e(kStr), pick(g, []string{"'a'", "'o'", "'A'", "' '"}))
		case 6:
			return fmt.Sprintf("COALESCE(%s, '(none)')", e(kStr))
		case 7:
			return fmt.Sprintf("LPAD(%s, %d, '*')", e(kStr), 2+g.intn(6))
		case 8:
			return fmt.Sprintf("CASE WHEN %s THEN %s ELSE %s END", g.pred(d-1), e(kStr), e(kStr))
		case 9:
			return fmt.Sprintf("DATE_FORMAT(%s, %s)", e(kDate), pick(g, []string{"'%Y-%m'", "'%Y'", "'%d/%m/%Y'", "'%M %e'", "'%a %j'"}))
		case 10:
			return fmt.Sprintf("CAST(%s AS CHAR)", e(kInt))
		case 11:
			return fmt.Sprintf("CASE %s WHEN %s THEN 'one' WHEN %s THEN 'two' ELSE 'other' END", e(kInt), g.literal(kInt), g.literal(kInt))
		case 12:
			return fmt.Sprintf("IFNULL(%s, %s)", e(kStr), e(kStr))
		case 13:
			// NULLIF compares under the collation.
			g.feature("string-function-collation")
			return fmt.Sprintf("NULLIF(%s, %s)", e(kStr), g.literal(kStr))
		case 14:
			return fmt.Sprintf("DATE_FORMAT(%s, '%%Y-%%m-%%d %%H:00')", e(kDatetime))
		default:
			return fmt.Sprintf("INSERT(%s, 2, 1, 'x')", e(kStr))
		}
	case kDate:
		switch g.intn(5) {
		case 0:
			unit := pick(g, []string{"DAY", "MONTH", "YEAR"})
			if unit == "MONTH" {
				g.feature("month-interval")
			}
			return fmt.Sprintf("DATE_ADD(%s, INTERVAL %d %s)", e(kDate), g.intn(40)-10, unit)
		case 1:
			return fmt.Sprintf("DATE(%s)", e(kDatetime))
		case 2:
			return fmt.Sprintf("LAST_DAY(%s)", e(kDate))
		case 3:
			return fmt.Sprintf("COALESCE(%s, '2000-01-01')", e(kDate))
		default:
			return fmt.Sprintf("DATE_SUB(%s, INTERVAL %d DAY)", e(kDate), g.intn(100))
		}
	case kDatetime:
		if g.chance(0.5) {
			return fmt.Sprintf("DATE_ADD(%s, INTERVAL %d HOUR)", e(kDatetime), g.intn(50))
		}
		return g.leaf(kDatetime)
	}
	panic("differential: bad kind")
}

var cmpOps = []string{"=", "<>", "<", "<=", ">", ">=", "<=>"}

// valueKind picks a kind to compare.
func (g *gen) valueKind() kind {
	return pick(g, []kind{kInt, kInt, kDec, kStr, kStr, kDate, kDatetime})
}

// pred returns a boolean expression.
func (g *gen) pred(d int) string {
	n := g.intn(100)
	if d <= 0 {
		n = g.intn(60)
	}
	switch {
	case n < 20:
		k := g.valueKind()
		rhs := g.literal(k)
		if g.chance(0.35) {
			rhs = g.exprSensitive(k, d-1)
		}
		op := pick(g, cmpOps)
		if op == "<=>" && k == kStr {
			g.feature("null-safe-equals-string")
		}
		return fmt.Sprintf("%s %s %s", g.exprSensitive(k, d-1), op, rhs)
	case n < 30:
		k := g.valueKind()
		items := []string{g.literal(k), g.literal(k), g.literal(k)}
		if g.chance(0.15) {
			items = append(items, "NULL")
		}
		not := ""
		if g.chance(0.3) {
			not = "NOT "
		}
		return fmt.Sprintf("%s %sIN (%s)", g.exprSensitive(k, d-1), not, strings.Join(items, ", "))
	case n < 38:
		k := pick(g, []kind{kInt, kDec, kDate, kStr})
		a, b := g.literal(k), g.literal(k)
		not := ""
		if g.chance(0.2) {
			not = "NOT "
		}
		return fmt.Sprintf("%s %sBETWEEN %s AND %s", g.exprSensitive(k, d-1), not, a, b)
	case n < 48:
		not := ""
		if g.chance(0.2) {
			not = "NOT "
		}
		pat := pick(g, []string{"'a%'", "'%e'", "'%o%'", "'_o%'", "'B%'", "'%ë%'", "'张%'", "'%PAID%'", "'%\\_%'", "'% %'", "'%'", "'_'"})
		if strings.Contains(pat, "\\") {
			g.feature("like-escape")
		}
		if strings.HasPrefix(pat, "'张") {
			g.feature("like-cjk-prefix")
		}
		return fmt.Sprintf("%s %sLIKE %s", g.exprSensitive(kStr, d-1), not, pat)
	case n < 58:
		k := g.valueKind()
		if g.chance(0.5) {
			return fmt.Sprintf("%s IS NULL", g.expr(k, d-1))
		}
		return fmt.Sprintf("%s IS NOT NULL", g.expr(k, d-1))
	case n < 60:
		return pick(g, []string{"TRUE", "FALSE", "1 = 1"})
	case n < 72:
		return fmt.Sprintf("(%s AND %s)", g.pred(d-1), g.pred(d-1))
	case n < 82:
		return fmt.Sprintf("(%s OR %s)", g.pred(d-1), g.pred(d-1))
	case n < 86:
		return fmt.Sprintf("NOT (%s)", g.pred(d-1))
	default:
		if g.depth >= 2 {
			return fmt.Sprintf("%s IS NOT NULL", g.leaf(g.valueKind()))
		}
		return g.subqueryPred()
	}
}

// correlations maps an outer table and an inner table to a join condition
// template (outer alias first).
var correlations = map[[2]string]string{
	{"c", "o"}: "%[2]s.cid = %[1]s.id",
	{"o", "c"}: "%[2]s.id = %[1]s.cid",
	{"o", "p"}: "%[2]s.code = %[1]s.pcode",
	{"p", "o"}: "%[2]s.pcode = %[1]s.code",
}

// sub runs fn with a fresh scope holding only the inner table (plus the
// outer scope for correlation) and returns the inner alias and the
// correlation condition, if any.
func (g *gen) subqueryPred() string {
	inner := pick(g, tables)
	ia := g.alias(inner.name)
	for _, b := range g.scope {
		if b.t.name == inner.name {
			g.feature("subquery-same-table")
		}
	}
	var corr string
	for _, b := range g.scope {
		if tmpl, ok := correlations[[2]string{b.t.name, inner.name}]; ok && g.chance(0.7) {
			corr = fmt.Sprintf(tmpl, b.alias, ia)
			break
		}
	}
	outer := g.scope
	outerExpr := func(k kind) string { return g.expr(k, 1) }
	g.depth++
	g.scope = []binding{{ia, inner}}
	defer func() { g.scope = outer; g.depth-- }()
	where := func() string {
		var conds []string
		if corr != "" {
			conds = append(conds, corr)
		}
		if g.chance(0.6) {
			conds = append(conds, g.pred(1))
		}
		if len(conds) == 0 {
			return ""
		}
		return " WHERE " + strings.Join(conds, " AND ")
	}
	switch g.intn(4) {
	case 0:
		not := ""
		if g.chance(0.3) {
			not = "NOT "
		}
		w := where()
		if not != "" && corr != "" {
			g.feature("not-exists-correlated")
		}
		return fmt.Sprintf("%sEXISTS (SELECT 1 FROM %s AS %s%s)", not, inner.name, ia, w)
	case 1:
		// IN (SELECT col): same kind on both sides.
		var cols []column
		for _, c := range inner.cols {
			if c.kind == kInt || c.kind == kStr {
				cols = append(cols, c)
			}
		}
		c := pick(g, cols)
		if c.name == "tag" {
			g.feature("trailing-spaces")
		}
		g.scope = outer
		lhs := outerExpr(c.kind)
		g.scope = []binding{{ia, inner}}
		not := ""
		if g.chance(0.25) {
			not = "NOT "
		}
		w := where()
		return fmt.Sprintf("%s %sIN (SELECT %s.%s FROM %s AS %s%s)", lhs, not, ia, c.name, inner.name, ia, w)
	default:
		// Scalar aggregate subquery.
		var cols []column
		for _, c := range inner.cols {
			if c.kind != kStr {
				cols = append(cols, c)
			}
		}
		c := pick(g, cols)
		agg := pick(g, []string{"MIN", "MAX"})
		if c.kind == kInt || c.kind == kDec {
			agg = pick(g, []string{"MIN", "MAX", "AVG", "SUM", "COUNT"})
		}
		k := c.kind
		if agg == "AVG" {
			k = kDec
		}
		if agg == "COUNT" {
			k = kInt
		}
		g.scope = outer
		lhs := outerExpr(k)
		g.scope = []binding{{ia, inner}}
		w := where()
		return fmt.Sprintf("%s %s (SELECT %s(%s.%s) FROM %s AS %s%s)", lhs, pick(g, cmpOps[:6]), agg, ia, c.name, inner.name, ia, w)
	}
}

// selectList returns n expressions aliased x1..xn and their kinds.
func (g *gen) selectList(n int) ([]string, []kind) {
	var items []string
	var kinds []kind
	for i := 1; i <= n; i++ {
		k := pick(g, []kind{kInt, kInt, kDec, kStr, kStr, kDate, kDatetime})
		items = append(items, fmt.Sprintf("%s AS x%d", g.item(k), i))
		kinds = append(kinds, k)
	}
	return items, kinds
}

// item is a select-list expression of kind k. A string function's result
// is collation-sensitive under ORDER BY, DISTINCT and GROUP BY over a
// derived table, and as the operand of UNION.
func (g *gen) item(k kind) string {
	if k != kStr {
		g.itemFns = append(g.itemFns, false)
		return g.expr(k, 2)
	}
	e, fn := g.strExpr(2)
	if fn {
		g.strItems++
	}
	g.itemFns = append(g.itemFns, fn)
	return e
}

// orderBy orders by every output position; with a LIMIT the multiset may
// differ in ties, so exactness is dropped.
func (g *gen) orderBy(n int, allowLimit bool) string {
	var keys []string
	for i := 1; i <= n; i++ {
		dir := ""
		if g.chance(0.4) {
			dir = " DESC"
		}
		keys = append(keys, fmt.Sprintf("%d%s", i, dir))
	}
	s := " ORDER BY " + strings.Join(keys, ", ")
	if g.strItems > 0 {
		g.feature("string-function-collation")
	}
	if allowLimit && g.chance(0.5) {
		g.exact = false
		s += fmt.Sprintf(" LIMIT %d", 1+g.intn(15))
		if g.chance(0.3) {
			s += fmt.Sprintf(" OFFSET %d", g.intn(10))
		}
	}
	return s
}

// plainSelect: SELECT [DISTINCT] exprs FROM ... [WHERE] [ORDER BY [LIMIT]].
func (g *gen) plainSelect(allowOrder bool) (string, bool) {
	s, _, ordered := g.plainSelectKinds(allowOrder, 1+g.intn(4), nil)
	return s, ordered
}

func (g *gen) plainSelectKinds(allowOrder bool, n int, want []kind) (string, []kind, bool) {
	from := g.from()
	var items []string
	var kinds []kind
	if want != nil {
		for i, k := range want {
			items = append(items, fmt.Sprintf("%s AS x%d", g.item(k), i+1))
		}
		kinds = want
	} else {
		items, kinds = g.selectList(n)
	}
	sql := "SELECT "
	if g.chance(0.25) {
		sql += "DISTINCT "
		g.exact = false
		g.feature("distinct")
		if g.strItems > 0 {
			g.feature("string-function-collation")
		}
	}
	sql += strings.Join(items, ", ") + " FROM " + from
	if g.chance(0.75) {
		sql += " WHERE " + g.pred(3)
	}
	ordered := false
	if allowOrder && g.chance(0.45) {
		sql += g.orderBy(len(items), true)
		ordered = true
	}
	return sql, kinds, ordered
}

// aggregate returns an aggregate expression and its kind.
func (g *gen) aggregate() (string, kind) {
	switch g.intn(9) {
	case 0:
		return "COUNT(*)", kInt
	case 1:
		return fmt.Sprintf("COUNT(%s)", g.expr(g.valueKind(), 1)), kInt
	case 2:
		k := g.valueKind()
		if k == kStr {
			g.feature("distinct")
		}
		return fmt.Sprintf("COUNT(DISTINCT %s)", g.expr(k, 1)), kInt
	case 3:
		return fmt.Sprintf("SUM(%s)", g.expr(pick(g, []kind{kInt, kDec}), 1)), kDec
	case 4:
		return fmt.Sprintf("AVG(%s)", g.expr(pick(g, []kind{kInt, kDec}), 1)), kDec
	case 5, 6:
		k := g.valueKind()
		if k == kStr {
			g.exact = false
		}
		return fmt.Sprintf("%s(%s)", pick(g, []string{"MIN", "MAX"}), g.exprSensitive(k, 1)), k
	case 7:
		c := g.colRef(kInt)
		if c == "" {
			return "COUNT(*)", kInt
		}
		return fmt.Sprintf("GROUP_CONCAT(DISTINCT %s ORDER BY %s SEPARATOR ',')", c, c), kStr
	default:
		return fmt.Sprintf("SUM(CASE WHEN %s THEN 1 ELSE 0 END)", g.pred(1)), kDec
	}
}

// groupSelect: SELECT g1.., aggs FROM ... [WHERE] GROUP BY [HAVING] [ORDER BY].
func (g *gen) groupSelect() (string, bool) {
	from := g.from()
	ng := 1 + g.intn(2)
	var items, groups []string
	for i := 1; i <= ng; i++ {
		k := pick(g, []kind{kInt, kStr, kStr, kDate, kDec})
		if k == kStr {
			g.exact = false
		}
		if g.chance(0.5) {
			if c := g.colRef(k); c != "" {
				items = append(items, c)
				groups = append(groups, c)
				continue
			}
		}
		e := g.expr(k, 1)
		if k == kStr && !isColumn(e) {
			g.feature("group-by-string-expression")
		}
		if k != kStr && !isColumn(e) {
			g.feature("group-by-expression")
		}
		items = append(items, fmt.Sprintf("%s AS g%d", e, i))
		groups = append(groups, fmt.Sprintf("g%d", i))
	}
	na := 1 + g.intn(3)
	for i := 1; i <= na; i++ {
		a, _ := g.aggregate()
		items = append(items, fmt.Sprintf("%s AS a%d", a, i))
	}
	sql := "SELECT " + strings.Join(items, ", ") + " FROM " + from
	if g.chance(0.6) {
		sql += " WHERE " + g.pred(2)
	}
	sql += " GROUP BY " + strings.Join(groups, ", ")
	if g.chance(0.4) {
		a, k := g.aggregate()
		if k == kStr {
			a, k = "COUNT(*)", kInt
		}
		sql += fmt.Sprintf(" HAVING %s %s %s", a, pick(g, cmpOps[:6]), g.literal(k))
	}
	ordered := false
	if g.chance(0.5) {
		sql += g.orderBy(len(items), true)
		ordered = true
	}
	return sql, ordered
}

// scalarAggregate: aggregates over the whole (filtered) FROM.
func (g *gen) scalarAggregate() string {
	from := g.from()
	var items []string
	for i := 1; i <= 1+g.intn(4); i++ {
		a, _ := g.aggregate()
		items = append(items, fmt.Sprintf("%s AS a%d", a, i))
	}
	sql := "SELECT " + strings.Join(items, ", ") + " FROM " + from
	if g.chance(0.7) {
		sql += " WHERE " + g.pred(3)
	}
	return sql
}

// derivedSelect selects from a derived table.
func (g *gen) derivedSelect() (string, bool) {
	g.depth++
	g.itemFns = nil
	inner, kinds, _ := g.plainSelectKinds(false, 1+g.intn(3), nil)
	g.depth--
	d := table{name: "d"}
	da := g.alias("d")
	for i, k := range kinds {
		d.cols = append(d.cols, column{name: fmt.Sprintf("x%d", i+1), kind: k, nullable: true})
		if i < len(g.itemFns) && g.itemFns[i] {
			g.derivedFn[fmt.Sprintf("%s.x%d", da, i+1)] = true
		}
	}
	g.strItems = 0
	g.scope = []binding{{da, d}}
	if g.chance(0.5) {
		// Aggregate over the derived table.
		k := kinds[0]
		if k == kStr {
			g.exact = false
			g.feature("group-by-string-expression")
		}
		a, _ := g.aggregate()
		sql := fmt.Sprintf("SELECT %s.x1, %s AS a1 FROM (%s) AS %s GROUP BY %s.x1", da, a, inner, da, da)
		ordered := false
		if g.chance(0.5) {
			sql += g.orderBy(2, true)
			ordered = true
		}
		return sql, ordered
	}
	items, _ := g.selectList(1 + g.intn(3))
	sql := fmt.Sprintf("SELECT %s FROM (%s) AS %s", strings.Join(items, ", "), inner, da)
	if g.chance(0.7) {
		sql += " WHERE " + g.pred(2)
	}
	ordered := false
	if g.chance(0.4) {
		sql += g.orderBy(len(items), true)
		ordered = true
	}
	return sql, ordered
}

// unionSelect: two plain selects of the same kinds.
func (g *gen) unionSelect() (string, bool) {
	n := 1 + g.intn(3)
	var kinds []kind
	for i := 0; i < n; i++ {
		kinds = append(kinds, pick(g, []kind{kInt, kStr, kDate, kDec}))
	}
	a, _, _ := g.plainSelectKinds(false, n, kinds)
	g.scope = nil
	b, _, _ := g.plainSelectKinds(false, n, kinds)
	op := "UNION ALL"
	if g.chance(0.5) {
		op = "UNION"
		g.exact = false
		g.feature("distinct")
		if g.strItems > 0 {
			g.feature("string-function-collation")
		}
	}
	sql := "(" + a + ") " + op + " (" + b + ")"
	ordered := false
	if g.chance(0.4) {
		sql += g.orderBy(n, true)
		ordered = true
		if slices.Contains(kinds, kDec) {
			g.feature("union-ordered-decimals")
		}
	}
	return sql, ordered
}

var columnRE = regexp.MustCompile(`^[a-z]+[0-9]+\.[a-z]+$`)

// isColumn reports whether e is a bare column reference.
func isColumn(e string) bool { return columnRE.MatchString(e) }
