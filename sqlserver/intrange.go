package sqlserver

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/shopspring/decimal"
)

// ruleIntRange is Quarry's analyzer rule for integer column ranges.
const ruleIntRange analyzer.RuleId = 1055

// Storing a value outside an integer column's range is, in MySQL, error
// 1264 "Out of range value for column 'c' at row n" (SQLSTATE 22003) under
// a strict sql_mode, and otherwise the nearest bound with warning 1264
// (also under INSERT/UPDATE IGNORE). GMS got several cases wrong: UPDATE
// ignored the range (SET a = 200 stored 127 into a TINYINT, SET b = -1
// stored 255 into a TINYINT UNSIGNED, silently, even in strict mode), a
// DECIMAL above 2^64-1 was "in range" for BIGINT UNSIGNED (it stored
// 9223372036854775808), INSERT failed also in non-strict mode, and the
// message was GMS's "-129 out of range for tinyint". intRange wraps the
// value that INSERT (the source's row, after GMS's resolveInsertRows) and
// UPDATE and ON DUPLICATE KEY UPDATE (each SET) store into an integer
// column in an intRangeCheck,
// which decides the range itself (intOutOfRange) and hands GMS's Convert
// only values in range.

// installIntRange puts the rule into GMS's OnceAfterAll batch right after
// resolveInsertRows (which builds the INSERT source's row), once per
// process; the simple UPDATE pipeline runs that batch too.
var installIntRange = sync.OnceFunc(func() {
	rules := analyzer.OnceAfterAll
	at := len(rules)
	for i, r := range rules {
		if r.Id.String() == "resolveInsertRows" {
			at = i + 1
		}
	}
	out := append([]analyzer.Rule(nil), rules[:at]...)
	out = append(out, analyzer.Rule{Id: ruleIntRange, Apply: intRange})
	analyzer.OnceAfterAll = append(out, rules[at:]...)
})

func intRange(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch n := n.(type) {
		case *plan.InsertInto:
			src, same := insertRangeChecks(n)
			if !same {
				n = n.WithSource(src)
			}
			// ON DUPLICATE KEY UPDATE's assignments.
			if dup, changed := setRangeChecks(n.OnDupExprs, n.Ignore); changed {
				nn := *n
				nn.OnDupExprs = dup
				n, same = &nn, false
			}
			if same {
				return n, transform.SameTree, nil
			}
			return n, transform.NewTree, nil
		case *plan.UpdateSource:
			exprs, changed := setRangeChecks(n.UpdateExprs, n.Ignore)
			if !changed {
				return n, transform.SameTree, nil
			}
			nn, err := n.WithExpressions(exprs...)
			if err != nil {
				return nil, transform.SameTree, err
			}
			return nn, transform.NewTree, nil
		}
		return n, transform.SameTree, nil
	})
}

// setRangeChecks returns the SET assignments with the values stored into
// integer columns checked, and whether it changed any.
func setRangeChecks(set []sql.Expression, ignore bool) ([]sql.Expression, bool) {
	rows := &rowCounter{}
	exprs := make([]sql.Expression, len(set))
	changed := false
	for i, e := range set {
		exprs[i] = e
		sf, ok := e.(*expression.SetField)
		if !ok {
			continue
		}
		gf, ok := sf.LeftChild.(*expression.GetField)
		if !ok || !isIntColumn(gf.Type()) {
			continue
		}
		if _, done := sf.RightChild.(*intRangeCheck); done {
			continue
		}
		exprs[i] = expression.NewSetField(sf.LeftChild, newIntRangeCheck(sf.RightChild, gf.Type(), gf.Name(), ignore, rows, !changed))
		changed = true
	}
	return exprs, changed
}

// insertRangeChecks returns ins's source with the values of its integer
// columns checked, and whether there was nothing to change.
func insertRangeChecks(ins *plan.InsertInto) (sql.Node, bool) {
	if ins.Source == nil {
		return ins.Source, true
	}
	dst := ins.Destination.Schema()
	srcSchema := ins.Source.Schema()
	if len(srcSchema) != len(dst) {
		return ins.Source, true
	}
	proj, isProj := ins.Source.(*plan.Project)
	var exprs []sql.Expression
	if isProj {
		exprs = append([]sql.Expression(nil), proj.Projections...)
	} else {
		exprs = make([]sql.Expression, len(srcSchema))
		for i, c := range srcSchema {
			exprs[i] = expression.NewGetFieldWithTable(i, 0, c.Type, c.DatabaseSource, c.Source, c.Name, c.Nullable)
		}
	}
	rows := &rowCounter{}
	changed := false
	for i, col := range dst {
		if !isIntColumn(col.Type) {
			continue
		}
		e := exprs[i]
		// GMS evaluates column defaults and generated columns itself,
		// finding them in the projection by type; their values were
		// checked when the column was defined.
		if _, isDefault := e.(*sql.ColumnDefaultValue); isDefault {
			continue
		}
		// GMS finds the AUTO_INCREMENT column by its expression's type
		// (LAST_INSERT_ID, the insert id): the check goes inside it.
		ai, isAuto := e.(*expression.AutoIncrement)
		if isAuto {
			e = ai.Child
		}
		if _, done := e.(*intRangeCheck); done {
			return ins.Source, true
		}
		e = newIntRangeCheck(e, col.Type, col.Name, ins.Ignore, rows, !changed)
		if isAuto {
			w, err := ai.WithChildren(e)
			if err != nil {
				return ins.Source, true
			}
			e = w
		}
		exprs[i] = e
		changed = true
	}
	if !changed {
		return ins.Source, true
	}
	if isProj {
		np, err := proj.WithExpressions(exprs...)
		if err != nil {
			return ins.Source, true
		}
		return np, false
	}
	return plan.NewProject(exprs, ins.Source), false
}

// isIntColumn reports whether t is one of the integer column types.
func isIntColumn(t sql.Type) bool {
	_, _, ok := intBounds(t)
	return ok
}

// intBounds returns the range of an integer column type.
func intBounds(t sql.Type) (lo int64, hi uint64, ok bool) {
	if !types.IsInteger(t) {
		return 0, 0, false
	}
	switch t.Type() {
	case querypb.Type_INT8:
		return math.MinInt8, math.MaxInt8, true
	case querypb.Type_UINT8:
		return 0, math.MaxUint8, true
	case querypb.Type_INT16:
		return math.MinInt16, math.MaxInt16, true
	case querypb.Type_UINT16:
		return 0, math.MaxUint16, true
	case querypb.Type_INT24:
		return -1 << 23, 1<<23 - 1, true
	case querypb.Type_UINT24:
		return 0, 1<<24 - 1, true
	case querypb.Type_INT32:
		return math.MinInt32, math.MaxInt32, true
	case querypb.Type_UINT32:
		return 0, math.MaxUint32, true
	case querypb.Type_INT64:
		return math.MinInt64, math.MaxInt64, true
	case querypb.Type_UINT64:
		return 0, math.MaxUint64, true
	}
	return 0, 0, false
}

var (
	decMaxUint64 = decimal.RequireFromString("18446744073709551615")
)

// intOutOfRange reports whether v, stored into an integer column of type
// t, is outside its range, and if so the bound MySQL stores instead. The
// value is rounded as MySQL does first: DECIMAL half away from zero,
// floating point to nearest even (rint), a numeric string as a DECIMAL.
// Values it does not read as numbers (non-numeric strings, temporal
// values, JSON, binary) are reported in range: GMS's Convert decides.
func intOutOfRange(t sql.Type, v any) (bound any, out bool) {
	lo, hi, ok := intBounds(t)
	if !ok {
		return nil, false
	}
	below := func() (any, bool) { return lo, true }
	above := func() (any, bool) { return hi, true }
	switch x := v.(type) {
	case int8, int16, int32, int64, int:
		n := signedValue(x)
		if n < lo {
			return below()
		}
		if n > 0 && uint64(n) > hi {
			return above()
		}
		return nil, false
	case uint8, uint16, uint32, uint64, uint:
		if unsignedValue(x) > hi {
			return above()
		}
		return nil, false
	case float32:
		return floatOutOfRange(float64(x), lo, hi)
	case float64:
		return floatOutOfRange(x, lo, hi)
	case decimal.Decimal:
		return decimalOutOfRange(x, lo, hi)
	case string:
		d, err := decimal.NewFromString(strings.TrimSpace(x))
		if err != nil {
			return nil, false
		}
		return decimalOutOfRange(d, lo, hi)
	}
	return nil, false
}

func signedValue(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case int:
		return int64(x)
	}
	return 0
}

func unsignedValue(v any) uint64 {
	switch x := v.(type) {
	case uint8:
		return uint64(x)
	case uint16:
		return uint64(x)
	case uint32:
		return uint64(x)
	case uint64:
		return x
	case uint:
		return uint64(x)
	}
	return 0
}

func floatOutOfRange(f float64, lo int64, hi uint64) (any, bool) {
	if math.IsNaN(f) {
		return nil, false
	}
	r := math.RoundToEven(f)
	if r < float64(lo) {
		return lo, true
	}
	// float64(hi) is exact below 2^53; MaxInt64 and MaxUint64 round up
	// to 2^63 and 2^64, which are themselves out of range.
	if h := float64(hi); r > h || hi > 1<<53 && r >= h {
		return hi, true
	}
	return nil, false
}

func decimalOutOfRange(d decimal.Decimal, lo int64, hi uint64) (any, bool) {
	r := d.Round(0)
	if r.LessThan(decimal.NewFromInt(lo)) {
		return lo, true
	}
	h := decMaxUint64
	if hi != math.MaxUint64 {
		h = decimal.NewFromInt(int64(hi))
	}
	if r.GreaterThan(h) {
		return hi, true
	}
	return nil, false
}

// intRangeCheck is the value stored into an integer column: its child's
// value when in range; otherwise error 1264 under a strict sql_mode
// without IGNORE, else the nearest bound with warning 1264.
type intRangeCheck struct {
	child  sql.Expression
	typ    sql.Type
	col    string
	ignore bool
	rows   *rowCounter
	counts bool // this check advances rows (the statement's first check)
}

func newIntRangeCheck(child sql.Expression, typ sql.Type, col string, ignore bool, rows *rowCounter, counts bool) *intRangeCheck {
	return &intRangeCheck{child: child, typ: typ, col: col, ignore: ignore, rows: rows, counts: counts}
}

var _ sql.Expression = (*intRangeCheck)(nil)
var _ sql.CollationCoercible = (*intRangeCheck)(nil)

func (c *intRangeCheck) Resolved() bool             { return c.child.Resolved() }
func (c *intRangeCheck) String() string             { return c.child.String() }
func (c *intRangeCheck) Type() sql.Type             { return c.child.Type() }
func (c *intRangeCheck) IsNullable() bool           { return c.child.IsNullable() }
func (c *intRangeCheck) Children() []sql.Expression { return []sql.Expression{c.child} }

// DebugString is the child's: plans (EXPLAIN) look as before.
func (c *intRangeCheck) DebugString() string { return sql.DebugString(c.child) }

func (c *intRangeCheck) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return sql.GetCoercibility(ctx, c.child)
}

func (c *intRangeCheck) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(c, len(children), 1)
	}
	nc := *c
	nc.child = children[0]
	return &nc, nil
}

func (c *intRangeCheck) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	if c.counts {
		c.rows.next(ctx)
	}
	v, err := c.child.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	bound, out := intOutOfRange(c.typ, v)
	if !out {
		return v, nil
	}
	n := c.rows.current(ctx)
	if !c.ignore && strictMode(ctx) {
		return nil, mysql.NewSQLError(mysql.ERWarnDataOutOfRange, mysql.SSDataOutOfRange,
			"Out of range value for column '%s' at row %d", c.col, n)
	}
	if ctx.Session != nil {
		ctx.Session.Warn(&sql.Warning{Level: "Warning", Code: mysql.ERWarnDataOutOfRange,
			Message: fmt.Sprintf("Out of range value for column '%s' at row %d", c.col, n)})
	}
	return bound, nil
}

// strictMode reports whether sql_mode makes bad data an error.
func strictMode(ctx *sql.Context) bool {
	m := sql.LoadSqlMode(ctx)
	return m.ModeEnabled("STRICT_TRANS_TABLES") || m.ModeEnabled("STRICT_ALL_TABLES")
}

// rowCounter numbers the rows of one statement execution for messages
// ("at row n"). A plan can be cached and run again, so the count restarts
// whenever the statement (session, process id, start time) changes.
type rowCounter struct {
	mu  sync.Mutex
	key rowCounterKey
	n   int
}

type rowCounterKey struct {
	sess uint32
	pid  uint64
	at   time.Time
}

func counterKey(ctx *sql.Context) rowCounterKey {
	var sess uint32
	if ctx.Session != nil {
		sess = ctx.Session.ID()
	}
	return rowCounterKey{sess: sess, pid: ctx.Pid(), at: ctx.QueryTime()}
}

func (r *rowCounter) next(ctx *sql.Context) {
	k := counterKey(ctx)
	r.mu.Lock()
	if k != r.key {
		r.key, r.n = k, 0
	}
	r.n++
	r.mu.Unlock()
}

func (r *rowCounter) current(ctx *sql.Context) int {
	k := counterKey(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	if k != r.key || r.n == 0 {
		return 1
	}
	return r.n
}
