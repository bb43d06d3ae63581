package sqlserver

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/planner"
	"github.com/quarrydb/quarry/storage"
)

// The plan cache skips GMS's analyzer (about a third of the CPU of a point
// SELECT) for repeated single-table index reads whose parameters only
// choose the key range: a primary-key or unique-key point lookup, or one
// key range, with any projection, sort, grouping or DISTINCT on top.
//
// GMS still parses and binds every statement (privileges are checked while
// binding, views and system variables are resolved there), so the cache is
// keyed by the bound plan with its literals masked, the tables' definitions,
// the current database, sql_mode, sql_select_limit, the query flags and the
// store's system generation (any DDL, ANALYZE TABLE, GRANT or view change). A
// cached entry is the analyzed plan for the literal values it was made with
// plus, for each bound of the index range, which literal it came from; a
// hit rebuilds that range from the new literals and swaps it into the plan.
//
// An entry is made only when that is provably what the analyzer does:
//   - every literal is an integer or a character string and feeds an
//     index range bound of a column whose type holds it exactly, the
//     analyzed plan holds no other literal (but LIMIT and OFFSET, whose
//     values are part of the key), and there is one range;
//   - rebuilding the entry with its own literals reproduces the analyzed
//     plan exactly (its debug string);
//   - analysis raised no warning.
//
// When the values themselves prevent an entry (ranges the analyzer merged
// because they overlap, equal literals), a connection learning a prepared
// statement analyzes it again after the statement with distinct values
// and keeps that entry only if it rebuilds the real analysis, from the
// real values, exactly (unkeyedPlan.synthEntry).
//
// A hit falls back to full analysis when a new value is not exactly
// representable in the column type, is NULL, or would make a bound cross
// its partner (an empty range, which the analyzer plans differently).
//
// Invalidation: every system write (DDL, statistics, privileges, stored
// objects) changes storage.Engine.SystemGeneration, and DDL installs new
// table definitions (storage.DefinitionOf); both are part of the key, so
// older entries are never hit again. The map is bounded and cleared when
// full.
type planCache struct {
	inner *analyzer.Analyzer
	store *storage.Engine

	mu      sync.RWMutex
	entries map[string]*planEntry // nil value: shape not cacheable

	hits, misses atomic.Uint64
}

// planCacheMaxEntries bounds the cache; it is cleared when full.
const planCacheMaxEntries = 4096

// rulePlanCache is the single rule of the analyzer GMS calls; it delegates
// to the real analyzer on a miss.
const rulePlanCache analyzer.RuleId = 1010

// installPlanCache replaces eng's analyzer batches by one rule that serves
// cached plans and otherwise runs a copy of the original analyzer (same
// catalog, coster, exec builder and rules). It must be called after the
// engine is fully assembled.
func installPlanCache(eng *sqle.Engine, store *storage.Engine) *planCache {
	outer := eng.Analyzer
	inner := *outer
	pc := &planCache{inner: &inner, store: store, entries: make(map[string]*planEntry)}
	outer.Batches = []*analyzer.Batch{{
		Desc:       "quarry-plan-cache",
		Iterations: 1,
		Rules:      []analyzer.Rule{{Id: rulePlanCache, Apply: pc.analyze}},
	}}
	return pc
}

// planEntry is a cached analyzed plan and how to re-key its index range.
type planEntry struct {
	plan sql.Node
	// src is the node reading the lookup: a GMS IndexedTableAccess or a
	// Quarry scan (planner.LookupNode).
	src    sql.Node
	lookup sql.IndexLookup
	cuts   []cutSlot
	flags  sql.FastIntSet // query flags after analysis
}

// cutSlot says that bound (lower or upper) of range column col is the
// literal number lit, converted to the column type.
type cutSlot struct {
	rng   int
	col   int
	upper bool
	lit   int
}

// boundLiteral is a literal of the bound plan, in walk order.
type boundLiteral struct {
	val any
	typ sql.Type
}

func (pc *planCache) analyze(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qFlags *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	out, same, err := pc.analyzeTop(ctx, a, n, scope, sel, qFlags)
	if err == nil && scope.IsEmpty() {
		observeAnalyzed(ctx, out, qFlags)
	}
	return out, same, err
}

func (pc *planCache) analyzeTop(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, scope *plan.Scope, _ analyzer.RuleSelector, qFlags *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if !scope.IsEmpty() || qFlags == nil || storage.IsExplain(ctx) || !n.IsReadOnly() {
		out, err := pc.inner.Analyze(ctx, n, scope, qFlags)
		return out, transform.NewTree, err
	}
	key, lits, ok := describeBound(ctx, n, qFlags, pc.store.SystemGeneration())
	if ok {
		pc.mu.RLock()
		e, found := pc.entries[key]
		pc.mu.RUnlock()
		if found && e != nil {
			if p := e.instantiate(ctx, lits); p != nil {
				pc.hits.Add(1)
				observeEntry(ctx, pc, e, lits)
				qFlags.Flags = e.flags.Copy()
				// What recordAccessPaths would have recorded.
				if _, _, err := recordAccessPaths(ctx, nil, p, nil, nil, qFlags); err != nil {
					return nil, transform.SameTree, err
				}
				return p, transform.NewTree, nil
			}
		}
		if found && e == nil {
			ok = false // known not cacheable
		}
	}
	pc.misses.Add(1)
	warnings := ctx.Session.WarningCount()
	var pre sql.FastIntSet // the flags as analysis found them
	capt := captureOf(ctx)
	if ok && capt != nil {
		pre = qFlags.Flags.Copy()
	}
	out, err := pc.inner.Analyze(ctx, n, scope, qFlags)
	if err != nil || !ok || ctx.Session.WarningCount() != warnings {
		return out, transform.NewTree, err
	}
	e, final := makePlanEntry(ctx, out, lits, qFlags)
	if e == nil && !final {
		if capt != nil {
			// A learning connection may make the entry from other
			// values after the statement (synthEntry).
			capt.unkeyed = &unkeyedPlan{pc: pc, key: key, bound: n, lits: lits, pre: pre, out: out, flags: qFlags.Flags.Copy()}
		}
		return out, transform.NewTree, nil // other values may make an entry
	}
	pc.mu.Lock()
	if len(pc.entries) >= planCacheMaxEntries {
		pc.entries = make(map[string]*planEntry)
	}
	pc.entries[key] = e
	pc.mu.Unlock()
	if e != nil {
		observeEntry(ctx, pc, e, lits)
	}
	return out, transform.NewTree, nil
}

// describeBound returns the cache key of a bound plan and its literals, or
// ok=false if the plan is not a shape the cache handles.
//
// The key is the statement text (for a prepared statement, with its ?
// markers) with everything else binding depends on: the current database,
// sql_mode, sql_select_limit, quarry_analytics_pushdown, the query flags, the definitions of the
// tables read (which change with every DDL) and the literals' types. Views
// and subqueries bind to nodes the cache refuses, and only statements whose
// text starts with SELECT are considered (EXECUTE binds a statement that
// PREPARE can redefine under the same text).
func describeBound(ctx *sql.Context, n sql.Node, qFlags *sql.QueryFlags, sysGen uint64) (key string, lits []boundLiteral, ok bool) {
	query := ctx.Query()
	if !startsWithSelect(query) {
		return "", nil, false
	}
	var b strings.Builder
	b.Grow(len(query) + 64)
	b.WriteString(ctx.GetCurrentDatabase())
	b.WriteByte(0)
	// Session settings the analyzer reads: GMS's, and Quarry's own rules'.
	mode, _ := ctx.GetSessionVariable(ctx, "sql_mode")
	limit, _ := ctx.GetSessionVariable(ctx, "sql_select_limit")
	pushdown, _ := ctx.GetSessionVariable(ctx, planner.EnabledVar)
	fmt.Fprintf(&b, "%v\x00%v\x00%v\x00%s\x00%d\x00", mode, limit, pushdown, qFlags.Flags.String(), sysGen)
	ok = true
	transform.Inspect(n, func(n sql.Node) bool {
		if !ok {
			return false
		}
		switch x := n.(type) {
		case nil, *plan.Project, *plan.Filter, *plan.Sort, *plan.GroupBy, *plan.Distinct, *plan.TableAlias, *plan.Limit, *plan.Offset:
		case *plan.ResolvedTable:
			def, isQuarry := storage.DefinitionOf(x.UnderlyingTable())
			if !isQuarry {
				ok = false
				return false
			}
			b.WriteString(strconv.FormatUint(uint64(reflect.ValueOf(def).Pointer()), 16))
			b.WriteByte(',')
		default:
			ok = false
			return false
		}
		return true
	})
	if !ok {
		return "", nil, false
	}
	shape, pinned, ok := shapeLiterals(n)
	if !ok {
		return "", nil, false
	}
	var strTypes []string
	transform.InspectExpressions(n, func(e sql.Expression) bool {
		if !ok {
			return false
		}
		switch x := e.(type) {
		case *expression.Literal:
			if shape[x] {
				return true // COUNT(*) is bound as COUNT(1); LIMIT values are pinned
			}
			v := x.Value()
			if _, isStr := v.(string); isStr && types.IsText(x.Type()) {
				// A string literal's type (its collation) goes into the key.
				strTypes = append(strTypes, x.Type().String())
			} else if v == nil || !types.IsInteger(x.Type()) {
				ok = false
				return false
			}
			// The key does not hold the literal's type: the binder types an
			// integer literal by its magnitude (int8, uint8, int16, ...),
			// and only its value reaches the plan, converted exactly to the
			// key column's type (convertExact) or not at all.
			lits = append(lits, boundLiteral{val: v, typ: x.Type()})
		case *expression.GetField, *expression.Alias, *expression.Star,
			*expression.Equals, *expression.NullSafeEquals, *expression.GreaterThan, *expression.GreaterThanOrEqual,
			*expression.LessThan, *expression.LessThanOrEqual, *expression.Between, *expression.InTuple, expression.Tuple,
			*expression.And, *expression.Or, *expression.Not, *expression.IsNull, *expression.Arithmetic,
			*aggregation.Count, *aggregation.Sum, *aggregation.Min, *aggregation.Max, *aggregation.Avg:
		default:
			// Anything else could be evaluated while planning (a user
			// variable, CONNECTION_ID()) and end up in the index range
			// without being a literal of the key.
			ok = false
		}
		return ok
	})
	if !ok {
		return "", nil, false
	}
	// LIMIT and OFFSET values shape the plan: part of the key.
	fmt.Fprintf(&b, "%v\x00%v\x00", pinned, strTypes)
	if norm, ok := normalizeIntegers(query, lits, pinned); ok {
		b.WriteByte('N')
		b.WriteString(norm)
	} else {
		b.WriteByte('R')
		b.WriteString(query)
	}
	return b.String(), lits, true
}

// shapeLiterals returns the literals of n that are part of the
// statement's shape rather than values the cache re-keys: the non-NULL
// argument of a COUNT (COUNT(*) binds as COUNT(1), and any non-NULL
// constant counts every row), and the row count and offset of LIMIT
// (whose values the key holds). pinned lists the LIMIT and OFFSET values
// in walk order; ok is false when one of them is not a literal. The map is
// nil when there are none.
func shapeLiterals(n sql.Node) (shape map[*expression.Literal]bool, pinned []any, ok bool) {
	add := func(l *expression.Literal) {
		if shape == nil {
			shape = make(map[*expression.Literal]bool)
		}
		shape[l] = true
	}
	ok = true
	transform.Inspect(n, func(n sql.Node) bool {
		for _, e := range limitExprs(n) {
			l, isLit := e.(*expression.Literal)
			if !isLit {
				ok = false
				return false
			}
			add(l)
			pinned = append(pinned, l.Value())
		}
		return true
	})
	transform.InspectExpressions(n, func(e sql.Expression) bool {
		if c, isCount := e.(*aggregation.Count); isCount {
			for _, ch := range c.Children() {
				if l, isLit := ch.(*expression.Literal); isLit && l.Value() != nil {
					add(l)
				}
			}
		}
		return true
	})
	return shape, pinned, ok
}

// limitExprs returns the row count and offset expressions of a LIMIT,
// OFFSET or TopN node.
func limitExprs(n sql.Node) []sql.Expression {
	switch x := n.(type) {
	case *plan.Limit:
		return []sql.Expression{x.Limit}
	case *plan.Offset:
		return []sql.Expression{x.Offset}
	case *plan.TopN:
		return []sql.Expression{x.Limit}
	}
	return nil
}

// normalizeIntegers replaces the integer literals of a statement's text by
// ?, so texts that differ only in those values share a cache entry, and
// reports whether that is sound: maskIntegers masked the text and its
// integer tokens are, as a multiset, exactly the integer literals of the
// bound plan, lits and the LIMIT values pinned (which the key holds). A
// token the binder used otherwise (ORDER BY 2, CHAR(10), a negated
// literal) leaves a literal missing or different, and the text is then
// used as it is.
func normalizeIntegers(q string, lits []boundLiteral, pinned []any) (string, bool) {
	masked, tokens, ok := maskIntegers(q, nil)
	if !ok || len(tokens) != len(lits)+len(pinned) {
		return "", false
	}
	vals := make([]string, 0, len(tokens))
	for _, l := range lits {
		vals = append(vals, fmt.Sprint(l.val))
	}
	for _, v := range pinned {
		vals = append(vals, fmt.Sprint(v))
	}
	toks := make([]string, len(tokens))
	for i, t := range tokens {
		toks[i] = strconv.FormatUint(t, 10)
	}
	sort.Strings(toks)
	sort.Strings(vals)
	for i := range toks {
		if toks[i] != vals[i] {
			return "", false
		}
	}
	return masked, true
}

// maskIntegers returns q with each integer token (a run of digits that is
// a whole word: not part of 1e5, 0x1F, 1.5 or t1) replaced by ?, and the
// tokens' values appended to tokens. ok is false for texts it cannot
// mask soundly: comments (MySQL executes version comments), an
// unterminated quote, a token beyond uint64, and bit and hex literals
// (b'101', 0b101, x'1F', 0x1F), which the binder turns into integers or
// bytes that are no token of the text.
func maskIntegers(q string, tokens []uint64) (masked string, _ []uint64, ok bool) {
	if strings.Contains(q, "/*") || strings.Contains(q, "--") || strings.Contains(q, "#") {
		return "", nil, false
	}
	out := make([]byte, 0, len(q))
	isWord := func(c byte) bool {
		return c == '_' || c == '$' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
	}
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			if c == '\'' && i > 0 && strings.IndexByte("bBxX", q[i-1]) >= 0 && (i == 1 || !isWord(q[i-2])) {
				return "", nil, false // b'101', x'1F'
			}
			j := i + 1
			for j < len(q) {
				if q[j] == '\\' && c != '`' {
					j += 2
					continue
				}
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(q) {
				return "", nil, false // unterminated
			}
			out = append(out, q[i:j+1]...)
			i = j + 1
		case c >= '0' && c <= '9' && (i == 0 || !isWord(q[i-1])):
			j := i
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j < len(q) && isWord(q[j]) {
				// 1e5, 1.5, 12abc: not an integer token.
				if c == '0' && j == i+1 && strings.IndexByte("bBxX", q[j]) >= 0 {
					return "", nil, false // 0b101, 0x1F
				}
				for j < len(q) && isWord(q[j]) {
					j++
				}
				out = append(out, q[i:j]...)
				i = j
				continue
			}
			v, err := strconv.ParseUint(q[i:j], 10, 64)
			if err != nil {
				return "", nil, false
			}
			tokens = append(tokens, v)
			out = append(out, '?')
			i = j
		default:
			out = append(out, c)
			i++
		}
	}
	return string(out), tokens, true
}

// startsWithSelect reports whether the first word of query is SELECT.
func startsWithSelect(q string) bool {
	q = strings.TrimLeft(q, " \t\r\n(")
	return len(q) >= 6 && strings.EqualFold(q[:6], "select")
}

// makePlanEntry returns the entry for an analyzed plan, or nil if the plan
// is not one the cache can re-key exactly; final says that no other values
// of the literals would do better (the plan's shape is wrong), as opposed
// to these values (two equal literals, a literal folded away).
func makePlanEntry(ctx *sql.Context, out sql.Node, lits []boundLiteral, qFlags *sql.QueryFlags) (e *planEntry, final bool) {
	if len(lits) == 0 {
		return nil, true
	}
	var src sql.Node
	var lookup sql.IndexLookup
	ok := true
	transform.Inspect(out, func(n sql.Node) bool {
		if !ok {
			return false
		}
		switch x := n.(type) {
		case nil, *plan.Project, *plan.Filter, *plan.Sort, *plan.GroupBy, *plan.Distinct, *plan.OrderedDistinct, *plan.TableAlias,
			*plan.Limit, *plan.Offset, *plan.TopN:
		case *plan.IndexedTableAccess:
			if src != nil || !x.IsStatic() {
				ok = false
				break
			}
			l, err := x.GetLookup(ctx, nil)
			if err != nil {
				ok = false
				break
			}
			src, lookup = x, l
		case planner.LookupNode:
			l, has := x.IndexLookup()
			if src != nil || !has || planner.HasLiteral(x.InternalExpressions()) {
				ok = false
				break
			}
			src, lookup = x, l
		default:
			ok = false
		}
		return ok
	})
	if !ok || src == nil {
		return nil, true
	}
	shape, _, _ := shapeLiterals(out)
	transform.InspectExpressions(out, func(e sql.Expression) bool {
		switch x := e.(type) {
		case *expression.Literal:
			ok = shape[x]
		case *plan.Subquery:
			ok = false
		}
		return ok
	})
	if !ok {
		return nil, true
	}
	if lookup.IsSpatialLookup || lookup.VectorOrderAndLimit.OrderBy != nil {
		return nil, true
	}
	ranges, isMySQL := lookup.Ranges.(sql.MySQLRangeCollection)
	if !isMySQL {
		return nil, true
	}
	if lookup.IsEmptyRange || len(ranges) == 0 {
		return nil, false
	}
	if len(ranges) > 1 {
		// Several ranges (IN lists, ORs) only on one column, where
		// disjointness is easy to decide.
		for _, r := range ranges {
			if len(r) != 1 {
				return nil, true
			}
		}
	}
	e = &planEntry{plan: out, src: src, lookup: lookup, flags: qFlags.Flags.Copy()}
	used := make([]bool, len(lits))
	for ri, rng := range ranges {
		for col, ce := range rng {
			for _, upper := range []bool{false, true} {
				cut := ce.LowerBound
				if upper {
					cut = ce.UpperBound
				}
				key, keyed := cutKey(cut)
				if !keyed {
					continue
				}
				match := -1
				for i, l := range lits {
					conv, ok := convertExact(ctx, l, ce.Typ)
					if !ok || reflect.TypeOf(conv) != reflect.TypeOf(key) {
						continue
					}
					if c, err := ce.Typ.Compare(ctx, conv, key); err != nil || c != 0 {
						continue
					}
					if match >= 0 {
						return nil, false // two literals with this value: ambiguous
					}
					match = i
				}
				if match < 0 {
					return nil, false // e.g. an out-of-range value clamped
				}
				used[match] = true
				e.cuts = append(e.cuts, cutSlot{rng: ri, col: col, upper: upper, lit: match})
			}
		}
	}
	for _, u := range used {
		if !u {
			return nil, false // a literal shaped the plan some other way
		}
	}
	// The entry must reproduce the analyzed plan from its own literals.
	again := e.instantiate(ctx, lits)
	if again == nil || sql.DebugString(again) != sql.DebugString(out) {
		return nil, false
	}
	return e, true
}

func cutKey(c sql.MySQLRangeCut) (any, bool) {
	switch x := c.(type) {
	case sql.Below:
		return x.Key, true
	case sql.Above:
		return x.Key, true
	}
	return nil, false
}

// convertExact converts an integer literal to typ, failing unless the value
// is represented exactly (in range, no truncation, not NULL).
func convertExact(ctx *sql.Context, l boundLiteral, typ sql.Type) (any, bool) {
	if s, isStr := l.val.(string); isStr {
		return convertExactString(ctx, s, typ)
	}
	if v, ok, known := convertExactInt(l.val, typ); known {
		return v, ok
	}
	return convertExactGeneric(ctx, l, typ)
}

// convertExactString converts a string literal to a character column
// type, failing unless the type holds it unchanged (not too long, every
// character in the type's character set, no padding or trimming). Other
// types (numbers, dates, binary strings) compare with a string through
// conversions the cache does not redo.
func convertExactString(ctx *sql.Context, s string, typ sql.Type) (any, bool) {
	if !types.IsText(typ) || types.IsBinaryType(typ) {
		return nil, false
	}
	conv, inRange, err := typ.Convert(ctx, s)
	if err != nil || inRange != sql.InRange {
		return nil, false
	}
	if cs, ok := conv.(string); !ok || cs != s {
		return nil, false
	}
	return s, true
}

// convertExactGeneric is convertExact through the types' conversions.
func convertExactGeneric(ctx *sql.Context, l boundLiteral, typ sql.Type) (any, bool) {
	if l.val == nil || !types.IsInteger(typ) {
		return nil, false
	}
	conv, inRange, err := typ.Convert(ctx, l.val)
	if err != nil || inRange != sql.InRange || conv == nil {
		return nil, false
	}
	back, _, err := types.Int64.Convert(ctx, conv)
	if err != nil {
		// Values above MaxInt64 only fit unsigned types.
		back, _, err = types.Uint64.Convert(ctx, conv)
		if err != nil {
			return nil, false
		}
		orig, _, err := types.Uint64.Convert(ctx, l.val)
		if err != nil || orig != back {
			return nil, false
		}
		return conv, true
	}
	orig, _, err := types.Int64.Convert(ctx, l.val)
	if err != nil || orig != back {
		return nil, false
	}
	return conv, true
}

// instantiate returns the cached plan with its index range rebuilt from
// lits, or nil when the new values need a full analysis.
func (e *planEntry) instantiate(ctx *sql.Context, lits []boundLiteral) sql.Node {
	old := e.lookup.Ranges.(sql.MySQLRangeCollection)
	// A private copy of the ranges, in one backing array.
	coll := make(sql.MySQLRangeCollection, len(old))
	n := 0
	for _, r := range old {
		n += len(r)
	}
	cols := make([]sql.MySQLRangeColumnExpr, 0, n)
	for i, r := range old {
		cols = append(cols, r...)
		coll[i] = cols[len(cols)-len(r) : len(cols) : len(cols)]
	}
	for _, s := range e.cuts {
		if s.lit >= len(lits) {
			return nil
		}
		ce := &coll[s.rng][s.col]
		v, ok := convertExact(ctx, lits[s.lit], ce.Typ)
		if !ok {
			return nil
		}
		if s.upper {
			ce.UpperBound = withKey(ce.UpperBound, v)
		} else {
			ce.LowerBound = withKey(ce.LowerBound, v)
		}
	}
	// Bounds must not cross: the analyzer plans empty ranges differently.
	for _, rng := range coll {
		for _, ce := range rng {
			lo, lok := cutKey(ce.LowerBound)
			hi, hok := cutKey(ce.UpperBound)
			if !lok || !hok {
				continue
			}
			c, err := ce.Typ.Compare(ctx, lo, hi)
			if err != nil || c > 0 {
				return nil
			}
			if c == 0 {
				// [v, v] is a point; (v, v), [v, v) and (v, v] are empty.
				_, loClosed := ce.LowerBound.(sql.Below)
				_, hiClosed := ce.UpperBound.(sql.Above)
				if !loClosed || !hiClosed {
					return nil
				}
			}
		}
	}
	if len(coll) > 1 {
		if merged, ok := mergeRanges1InPlace(coll); ok {
			// Single-column ranges, sorted, and merged where new values
			// made them overlap or touch, as the analyzer's range
			// builder does.
			coll = merged
		} else {
			disjoint, keyed := sortDisjoint(ctx, coll)
			if !keyed {
				return nil
			}
			if !disjoint {
				merged, err := sql.RemoveOverlappingRanges(coll...)
				if err != nil || len(merged) == 0 {
					return nil
				}
				coll = merged
			}
		}
	}
	lookup := e.lookup
	lookup.Ranges = coll
	var src sql.Node
	switch x := e.src.(type) {
	case *plan.IndexedTableAccess:
		ita, err := plan.NewStaticIndexedAccessForTableNode(ctx, x.TableNode, lookup)
		if err != nil {
			return nil
		}
		src = ita
	case planner.LookupNode:
		src = x.WithIndexLookup(lookup)
	default:
		return nil
	}
	out, _, err := transform.Node(e.plan, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		if n == e.src {
			return src, transform.NewTree, nil
		}
		return n, transform.SameTree, nil
	})
	if err != nil {
		return nil
	}
	return out
}

// PlanCacheStats reports plan cache hits and misses of an engine built by
// NewEngine (zeros when the cache is off).
func PlanCacheStats(eng *sqle.Engine) (hits, misses uint64) {
	pc := planCaches.get(eng)
	if pc == nil {
		return 0, 0
	}
	return pc.hits.Load(), pc.misses.Load()
}

// planCaches maps engines to their plan caches.
var planCaches = &planCacheRegistry{m: make(map[*sqle.Engine]*planCache)}

type planCacheRegistry struct {
	mu sync.Mutex
	m  map[*sqle.Engine]*planCache
}

func (r *planCacheRegistry) get(eng *sqle.Engine) *planCache {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[eng]
}

func (r *planCacheRegistry) put(eng *sqle.Engine, pc *planCache) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[eng] = pc
}

func (r *planCacheRegistry) drop(eng *sqle.Engine) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, eng)
}

// withKey returns cut c with key v (c is Above or Below).
func withKey(c sql.MySQLRangeCut, v any) sql.MySQLRangeCut {
	switch c.(type) {
	case sql.Above:
		return sql.Above{Key: v}
	case sql.Below:
		return sql.Below{Key: v}
	}
	return c
}

// sortDisjoint sorts single-column ranges by their lower bound and reports
// whether each ends strictly below the next one's start value, so that the
// analyzer, which merges overlapping and touching ranges, would have kept
// them all apart; keyed is false when a range has an open end.
func sortDisjoint(ctx *sql.Context, coll sql.MySQLRangeCollection) (disjoint, keyed bool) {
	for i := range coll {
		if _, ok := cutKey(coll[i][0].LowerBound); !ok {
			return false, false
		}
		if _, ok := cutKey(coll[i][0].UpperBound); !ok {
			return false, false
		}
	}
	typ := coll[0][0].Typ
	var err error
	sort.SliceStable(coll, func(i, j int) bool {
		a, _ := cutKey(coll[i][0].LowerBound)
		b, _ := cutKey(coll[j][0].LowerBound)
		c, e := typ.Compare(ctx, a, b)
		if e != nil {
			err = e
		}
		return c < 0
	})
	if err != nil {
		return false, false
	}
	for i := 1; i < len(coll); i++ {
		hi, _ := cutKey(coll[i-1][0].UpperBound)
		lo, _ := cutKey(coll[i][0].LowerBound)
		c, err := typ.Compare(ctx, hi, lo)
		if err != nil {
			return false, false
		}
		if c >= 0 {
			return false, true
		}
	}
	return true, true
}

// unkeyedPlan is a statement's bound plan whose analysis made no entry
// because of its values (makePlanEntry's final=false): the analyzer merged
// ranges that the values made overlap or touch, or two literals were equal.
type unkeyedPlan struct {
	pc    *planCache
	key   string
	bound sql.Node       // the bound plan, before analysis
	lits  []boundLiteral // its literals (describeBound)
	pre   sql.FastIntSet // the query flags before analysis
	out   sql.Node       // the analyzed plan
	flags sql.FastIntSet // the query flags after analysis
}

// synthEntry makes the entry u's analysis could not: it analyzes the bound
// plan again with literal i replaced by the number 2i+1 (in describeBound's
// walk order; a BETWEEN's or IN list's bounds come out increasing and
// apart, so no ranges merge) and makes the entry from that plan. The entry
// is kept only if, instantiated with the real literals, it reproduces the
// real analysis exactly (its debug string) with the same query flags, the
// check makePlanEntry applies to its own values. ctx must not be inside a
// statement (the second analysis records no access paths) and its session
// must have no warnings: if the analysis raises any, they are cleared and
// no entry is made. The entry is stored in the cache under u.key.
func (u *unkeyedPlan) synthEntry(ctx *sql.Context) *planEntry {
	if ctx.Session.WarningCount() != 0 {
		return nil
	}
	shape, _, _ := shapeLiterals(u.bound)
	repl := make(map[*expression.Literal]*expression.Literal, len(u.lits))
	synth := make([]boundLiteral, 0, len(u.lits))
	ok := true
	transform.InspectExpressions(u.bound, func(e sql.Expression) bool {
		l, isLit := e.(*expression.Literal)
		if !ok || !isLit || shape[l] {
			return ok
		}
		i := len(synth)
		if i >= len(u.lits) || repl[l] != nil {
			ok = false // not the walk describeBound made, or a shared literal
			return false
		}
		typ := u.lits[i].typ
		v, inRange, err := typ.Convert(ctx, int64(2*i+1))
		if err != nil || inRange != sql.InRange || v == nil {
			ok = false
			return false
		}
		repl[l] = expression.NewLiteral(v, typ)
		synth = append(synth, boundLiteral{val: v, typ: typ})
		return true
	})
	if !ok || len(synth) != len(u.lits) {
		return nil
	}
	replaced := 0
	n, _, err := transform.NodeExprs(u.bound, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		if l, isLit := e.(*expression.Literal); isLit {
			if r := repl[l]; r != nil {
				replaced++
				return r, transform.NewTree, nil
			}
		}
		return e, transform.SameTree, nil
	})
	if err != nil || replaced != len(synth) {
		return nil
	}
	qFlags := &sql.QueryFlags{Flags: u.pre.Copy()}
	out, err := u.pc.inner.Analyze(ctx, n, nil, qFlags)
	if ctx.Session.WarningCount() != 0 {
		ctx.ClearWarnings()
		return nil
	}
	if err != nil {
		return nil
	}
	e, _ := makePlanEntry(ctx, out, synth, qFlags)
	if e == nil || !e.flags.Equals(u.flags) {
		return nil
	}
	again := e.instantiate(ctx, u.lits)
	if again == nil || sql.DebugString(again) != sql.DebugString(u.out) {
		return nil
	}
	u.pc.mu.Lock()
	if len(u.pc.entries) >= planCacheMaxEntries {
		u.pc.entries = make(map[string]*planEntry)
	}
	u.pc.entries[u.key] = e
	u.pc.mu.Unlock()
	return e
}
