package planner

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
	"github.com/quarrydb/quarry/storage/rowcodec"
)

// typedPlan is how an AggScan folds the rows of a typed storage scan
// (storage.ScanTyped): filters, group keys and aggregates over plain
// columns read the decoded slots directly, with no boxing and no
// allocation per row; every other expression is evaluated by GMS as in
// the generic path, over values boxed from the slots (only the columns
// such expressions read, and only when a row needs them). Results are
// those of the generic path: typed steps are used only where they
// compute exactly what GMS would.
type typedPlan struct {
	dec *rowcodec.TypedDecoder
	// cmps is the filter when every conjunct is a typed comparison;
	// genFilter means the filter is evaluated by GMS instead.
	cmps      []typedCmp
	genFilter bool
	keys      []typedKey
	// intKey: the only key is an integer column, so groups are found
	// by its value in typedWorker.ints.
	intKey bool
	// strKey: the only key is a string or binary column, so a few
	// groups are found by comparing its bytes (typedWorker.strs).
	strKey bool
	aggs   []typedAgg
	box    []int // columns the GMS-evaluated expressions read
}

type keyMode uint8

const (
	keyGeneric keyMode = iota // GMS evaluates the key
	keyCol                    // a plain column: raw bytes from its slot
	keyDay                    // dayMemo over a DATETIME column: once per day
)

type typedKey struct {
	mode keyMode
	col  int
	cls  rowcodec.Class
}

type typedAggMode uint8

const (
	taGeneric typedAggMode = iota
	taCountStar
	taCount    // COUNT(col)
	taSum      // SUM, AVG of an integer or float column
	taMinMax   // MIN, MAX of an integer or datetime column
	taDistinct // COUNT(DISTINCT col) of one integer column
	taFirst    // a plain column's value on the group's first row
)

type typedAgg struct {
	mode typedAggMode
	col  int
	cls  rowcodec.Class
	// once: a non-aggregate expression that is also a group key, so
	// evaluating it on the group's first row only changes nothing (the
	// key's evaluation on every row raises any error it would).
	once bool
}

// typedCmp is `column op constant` over an integer or datetime column.
type typedCmp struct {
	col     int
	cls     rowcodec.Class
	lt, eq  bool // which orderings of column vs constant pass
	gt      bool
	i, nano int64 // the constant (uint64 bits for ClassUint)
}

// compileTyped builds the typed plan of n, or returns false when the
// table cannot be read typed.
func (n *AggScan) compileTyped() (*typedPlan, bool) {
	dec, ok := storage.TypedDecoderFor(n.src.table, n.src.cols)
	if !ok {
		return nil, false
	}
	p := &typedPlan{dec: dec}
	boxed := make([]bool, len(n.src.cols))
	need := func(e sql.Expression) {
		transform.InspectExpr(e, func(e sql.Expression) bool {
			if gf, ok := e.(*expression.GetField); ok && gf.Index() >= 0 && gf.Index() < len(boxed) {
				boxed[gf.Index()] = true
			}
			return false
		})
	}
	if f := n.src.filter; f != nil {
		if cmps, ok := compileFilter(f, dec); ok {
			p.cmps = cmps
		} else {
			p.genFilter = true
			need(f)
		}
	}
	for _, g := range n.group {
		k := typedKey{}
		switch x := unalias(g).(type) {
		case *expression.GetField:
			if c := dec.Class(x.Index()); c != rowcodec.ClassOther {
				k = typedKey{mode: keyCol, col: x.Index(), cls: c}
			}
		case *dayMemo:
			if gf, ok := x.arg.(*expression.GetField); ok && dec.Class(gf.Index()) == rowcodec.ClassDatetime {
				k = typedKey{mode: keyDay, col: gf.Index(), cls: rowcodec.ClassDatetime}
			}
		}
		if k.mode == keyGeneric {
			need(g)
		}
		p.keys = append(p.keys, k)
	}
	p.intKey = len(p.keys) == 1 && p.keys[0].mode == keyCol && (p.keys[0].cls == rowcodec.ClassInt || p.keys[0].cls == rowcodec.ClassUint)
	p.strKey = len(p.keys) == 1 && p.keys[0].mode == keyCol && (p.keys[0].cls == rowcodec.ClassString || p.keys[0].cls == rowcodec.ClassBytes)
	for i := range n.specs {
		s := &n.specs[i]
		a := typedAgg{}
		var gf *expression.GetField
		var c rowcodec.Class
		if len(s.args) == 1 {
			if gf, _ = s.args[0].(*expression.GetField); gf != nil {
				c = dec.Class(gf.Index())
			}
		}
		integer := (c == rowcodec.ClassInt || c == rowcodec.ClassUint) && s.argTyp != nil && types.IsInteger(s.argTyp)
		switch {
		case s.kind == aggCountStar:
			a.mode = taCountStar
		case gf == nil:
		case s.kind == aggCount, s.kind == aggFirst:
			a.mode = taCount
			if s.kind == aggFirst {
				a.mode = taFirst
			}
		case s.kind == aggSum || s.kind == aggAvg:
			if s.num == numInt && c == rowcodec.ClassInt || s.num == numUint && c == rowcodec.ClassUint || s.num == numFloat && c == rowcodec.ClassFloat {
				a.mode = taSum
			}
		case s.kind == aggMin || s.kind == aggMax:
			if integer || c == rowcodec.ClassDatetime && types.IsTime(s.argTyp) {
				a.mode = taMinMax
			}
		case s.kind == aggCountDistinct:
			if (c == rowcodec.ClassInt || c == rowcodec.ClassUint) && types.IsInteger(gf.Type()) {
				a.mode = taDistinct
			}
		}
		if a.mode != taGeneric && gf != nil {
			a.col, a.cls = gf.Index(), c
		}
		if a.mode == taGeneric {
			for _, e := range s.args {
				need(e)
			}
			if s.kind == aggFirst && len(s.args) == 1 {
				for _, g := range n.group {
					if unalias(g).String() == unalias(s.args[0]).String() {
						a.once = true
					}
				}
			}
		}
		p.aggs = append(p.aggs, a)
	}
	for i, b := range boxed {
		if b {
			p.box = append(p.box, i)
		}
	}
	return p, true
}

// unalias strips aliases off e.
func unalias(e sql.Expression) sql.Expression {
	for {
		a, ok := e.(*expression.Alias)
		if !ok {
			return e
		}
		e = a.Child
	}
}

// compileFilter compiles a conjunction of comparisons between an integer
// or datetime column and a constant of the same kind; false if any
// conjunct is something else.
func compileFilter(f sql.Expression, dec *rowcodec.TypedDecoder) ([]typedCmp, bool) {
	var out []typedCmp
	for _, c := range expression.SplitConjunction(f) {
		tc, ok := compileCmp(c, dec)
		if !ok {
			return nil, false
		}
		out = append(out, tc)
	}
	return out, true
}

func compileCmp(e sql.Expression, dec *rowcodec.TypedDecoder) (typedCmp, bool) {
	var lt, eq, gt bool
	switch e.(type) {
	case *expression.Equals:
		eq = true
	case *expression.GreaterThan:
		gt = true
	case *expression.GreaterThanOrEqual:
		gt, eq = true, true
	case *expression.LessThan:
		lt = true
	case *expression.LessThanOrEqual:
		lt, eq = true, true
	default:
		return typedCmp{}, false
	}
	kids := e.Children()
	if len(kids) != 2 {
		return typedCmp{}, false
	}
	gf, ok := kids[0].(*expression.GetField)
	lit, lok := kids[1].(*expression.Literal)
	if !ok || !lok {
		// constant op column: mirror the ordering.
		gf, ok = kids[1].(*expression.GetField)
		lit, lok = kids[0].(*expression.Literal)
		if !ok || !lok {
			return typedCmp{}, false
		}
		lt, gt = gt, lt
	}
	if gf.Index() < 0 || lit.Value() == nil {
		return typedCmp{}, false
	}
	tc := typedCmp{col: gf.Index(), cls: dec.Class(gf.Index()), lt: lt, eq: eq, gt: gt}
	ct, lt2 := gf.Type(), lit.Type()
	switch tc.cls {
	case rowcodec.ClassInt:
		// GMS compares two signed integer types as int64.
		x, ok := asInt64(lit.Value())
		if !ok || !types.IsInteger(ct) || !types.IsSigned(ct) || !types.IsSigned(lt2) {
			return typedCmp{}, false
		}
		tc.i = x
	case rowcodec.ClassUint:
		x, ok := asUint64(lit.Value())
		if !ok || !types.IsInteger(ct) || !types.IsUnsigned(ct) || !types.IsUnsigned(lt2) {
			return typedCmp{}, false
		}
		tc.i = int64(x)
	case rowcodec.ClassDatetime:
		// foldTimeLiterals gave the constant the column's own type, so
		// GMS compares with that type: by instant.
		t, ok := lit.Value().(time.Time)
		if !ok || !types.TypesEqual(ct, lt2) {
			return typedCmp{}, false
		}
		tc.i, tc.nano = t.Unix(), int64(t.Nanosecond())
	default:
		return typedCmp{}, false
	}
	return tc, true
}

// match reports whether slot s passes (a NULL never does).
func (c *typedCmp) match(s *rowcodec.Slot) bool {
	if s.Null {
		return false
	}
	var r int
	switch c.cls {
	case rowcodec.ClassUint:
		r = cmpU(uint64(s.I), uint64(c.i))
	case rowcodec.ClassDatetime:
		r = cmpTime(s.I, s.Nanos, c.i, c.nano)
	default:
		r = cmpI(s.I, c.i)
	}
	return r < 0 && c.lt || r == 0 && c.eq || r > 0 && c.gt
}

func cmpI(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpTime(s1, n1, s2, n2 int64) int {
	if r := cmpI(s1, s2); r != 0 {
		return r
	}
	return cmpI(n1, n2)
}

// cmpSlot orders two non-NULL slots of class cls (integer or datetime).
func cmpSlot(cls rowcodec.Class, a, b *rowcodec.Slot) int {
	switch cls {
	case rowcodec.ClassUint:
		return cmpU(uint64(a.I), uint64(b.I))
	case rowcodec.ClassDatetime:
		return cmpTime(a.I, a.Nanos, b.I, b.Nanos)
	}
	return cmpI(a.I, b.I)
}

// appendSlotRaw appends an exact, self-delimiting encoding of a key
// column's slot: equal bytes mean equal values.
func appendSlotRaw(dst []byte, cls rowcodec.Class, s *rowcodec.Slot) []byte {
	if s.Null {
		return append(dst, 0)
	}
	switch cls {
	case rowcodec.ClassInt, rowcodec.ClassUint:
		return binary.LittleEndian.AppendUint64(append(dst, 1), uint64(s.I))
	case rowcodec.ClassFloat:
		return binary.LittleEndian.AppendUint64(append(dst, 1), math.Float64bits(s.F))
	case rowcodec.ClassDatetime:
		dst = binary.LittleEndian.AppendUint64(append(dst, 1), uint64(s.I))
		return binary.LittleEndian.AppendUint32(dst, uint32(s.Nanos))
	}
	dst = binary.AppendUvarint(append(dst, 2), uint64(len(s.B)))
	return append(dst, s.B...)
}

// typedWorker is an aggWorker's state for the current typed row.
type typedWorker struct {
	*aggWorker
	slots []rowcodec.Slot
	row   sql.Row // boxed values of plan.box columns
	boxed bool    // row holds the current row's values
	// lastDay/lastDayVal memoize keyDay per key position.
	days    []map[int64]any
	lastDay []int64
	lastVal []any
	// dense and ints cache the groups of typedPlan.intKey by value:
	// dense for values in [0, denseMax), ints for the others (bounded
	// like the raw cache).
	dense []*group
	ints  map[uint64]*group
	// small lists every raw key and its group while there are at most
	// smallMax (a linear scan beats hashing); smallOff once there are
	// more, and the raw cache map is used instead.
	smallRaw []string
	smallG   []*group
	smallOff bool
	// strs/strG: the groups of typedPlan.strKey by key bytes, while
	// there are at most smallMax.
	strs []string
	strG []*group
	// dayGroups caches the group of each calendar day of a single keyDay
	// key (batch folding).
	dayGroups map[int64]*group
	// dense holds, per aggregate, batch folding's counts and sums by
	// group seq (see denseAcc).
	denseAccs []denseAcc
}

const smallMax = 8

// denseMax bounds the directly indexed group cache of an integer key.
const denseMax = 1 << 16

// box fills w.row with the values of the columns GMS expressions read.
func (w *typedWorker) box(p *typedPlan) error {
	if w.boxed {
		return nil
	}
	for _, c := range p.box {
		v, err := p.dec.Value(c, &w.slots[c])
		if err != nil {
			return err
		}
		w.row[c] = v
	}
	w.boxed = true
	return nil
}

// dayValue returns the value of key position i (a keyDay) for the
// current row: the group expression evaluated once per calendar day.
func (w *typedWorker) dayValue(ctx *sql.Context, p *typedPlan, i int) (any, error) {
	k := p.keys[i]
	s := &w.slots[k.col]
	if s.Null {
		return w.evalDay(ctx, p, i)
	}
	day := s.I / 86400
	if s.I%86400 < 0 {
		day--
	}
	if w.days[i] == nil {
		w.days[i] = make(map[int64]any)
	} else if day == w.lastDay[i] {
		return w.lastVal[i], nil
	}
	v, ok := w.days[i][day]
	if !ok {
		var err error
		if v, err = w.evalDay(ctx, p, i); err != nil {
			return nil, err
		}
		if len(w.days[i]) < dayMemoMax {
			w.days[i][day] = v
		}
	}
	w.lastDay[i], w.lastVal[i] = day, v
	return v, nil
}

// evalDay evaluates key expression i over the boxed day column.
func (w *typedWorker) evalDay(ctx *sql.Context, p *typedPlan, i int) (any, error) {
	c := p.keys[i].col
	v, err := p.dec.Value(c, &w.slots[c])
	if err != nil {
		return nil, err
	}
	row := make(sql.Row, len(w.row))
	row[c] = v
	return w.group[i].Eval(ctx, row)
}

// runTyped runs the aggregation over a typed scan; ok is false, with
// nothing read, when the scan cannot run typed (the caller then runs the
// generic path).
func (n *AggScan) runTyped(ctx *sql.Context, start time.Time) ([]sql.Row, bool, error) {
	if n.cfg != nil && n.cfg.GenericScan {
		return nil, false, nil
	}
	// ScanColumns and ScanTyped refuse serial scans (secondary index
	// lookups, locking reads): do not prepare for them. An error here is
	// the generic path's too, which reports it.
	if serial, err := storage.RunsSerially(ctx, n.src.table, storage.ScanRequest{Lookup: n.src.lookup, Columns: n.src.cols}); err == nil && serial {
		return nil, false, nil
	}
	p, ok := n.compileTyped()
	if !ok {
		return nil, false, nil
	}
	nw := n.cfg.workers()
	workers := make([]*typedWorker, nw)
	for i := range workers {
		workers[i] = &typedWorker{
			aggWorker: n.newWorker(),
			row:       make(sql.Row, len(n.src.cols)),
			days:      make([]map[int64]any, len(p.keys)),
			lastDay:   make([]int64, len(p.keys)),
			lastVal:   make([]any, len(p.keys)),
			ints:      make(map[uint64]*group),
		}
	}
	charge := n.cfg.memoryGuard(ctx, n.src.name)
	consume := func(wi, part int, slots []rowcodec.Slot) error {
		w := workers[wi]
		w.slots, w.boxed = slots, false
		if p.genFilter {
			if err := w.box(p); err != nil {
				return err
			}
			ok, err := passes(ctx, w.filter, w.row)
			if err != nil || !ok {
				return err
			}
		} else {
			for i := range p.cmps {
				if c := &p.cmps[i]; !c.match(&slots[c.col]) {
					return nil
				}
			}
		}
		g, err := n.typedGroup(ctx, p, w, part, charge)
		if err != nil {
			return err
		}
		for i := range n.specs {
			s := &n.specs[i]
			a := &g.accs[i]
			ta := &p.aggs[i]
			switch ta.mode {
			case taCountStar:
				a.n++
			case taCount:
				if !slots[ta.col].Null {
					a.n++
				}
			case taSum:
				sl := &slots[ta.col]
				if sl.Null {
					continue
				}
				a.set = true
				a.n++
				switch s.num {
				case numInt:
					a.addInt(sl.I)
				case numUint:
					a.addUint(uint64(sl.I))
				default:
					a.f += sl.F
				}
			case taMinMax:
				sl := &slots[ta.col]
				if sl.Null {
					continue
				}
				if a.set {
					c := cmpSlot(ta.cls, sl, &a.best)
					if !(s.kind == aggMin && c < 0 || s.kind == aggMax && c > 0) {
						continue
					}
				}
				a.set, a.best, a.part = true, *sl, part
				a.best.B = nil
			case taDistinct:
				sl := &slots[ta.col]
				if sl.Null {
					continue
				}
				if err := a.addDistinct(uint64(sl.I), charge); err != nil {
					return err
				}
			case taFirst:
				if !a.set {
					v, err := p.dec.Value(ta.col, &slots[ta.col])
					if err != nil {
						return err
					}
					a.set, a.v, a.part = true, v, part
				}
			default:
				if s.kind == aggFirst && a.set && ta.once {
					continue
				}
				if err := w.box(p); err != nil {
					return err
				}
				if err := n.foldGeneric(ctx, w.aggWorker, i, a, w.row, part, charge); err != nil {
					return err
				}
			}
		}
		return nil
	}
	req := storage.ScanRequest{
		Lookup:  n.src.lookup,
		Columns: n.src.cols,
		Parts:   n.cfg.parts(),
		Workers: nw,
	}
	var st storage.ScanStats
	ok, err := false, error(nil)
	if n.cfg == nil || !n.cfg.NoColumnCache {
		vp := p.vectorPlan()
		vss := make([]*vecState, nw)
		for i := range vss {
			vss[i] = &vecState{slots: make([]rowcodec.Slot, len(n.src.cols))}
		}
		st, ok, err = storage.ScanColumns(ctx, n.src.table, req, p.dec, func(wi, part int, b *storage.ColBatch) error {
			return n.foldBatch(ctx, p, vp, workers[wi], vss[wi], part, b, func(slots []rowcodec.Slot) error {
				return consume(wi, part, slots)
			}, charge)
		})
	}
	if !ok && err == nil {
		st, ok, err = storage.ScanTyped(ctx, n.src.table, req, p.dec, consume)
	}
	if !ok && err == nil {
		return nil, false, nil
	}
	n.src.report(ctx, n.cfg, st)
	if err != nil {
		return nil, true, err
	}
	aws := make([]*aggWorker, nw)
	for i, w := range workers {
		w.flushDense(n)
		if err := n.finishTyped(p, w.aggWorker); err != nil {
			return nil, true, err
		}
		aws[i] = w.aggWorker
	}
	rows, err := n.merge(ctx, aws)
	if err != nil {
		return nil, true, err
	}
	n.stats.record(st, true, int64(len(rows)), time.Since(start))
	return rows, true, nil
}

// typedGroup returns the current row's group in w, creating it as the
// generic path does.
func (n *AggScan) typedGroup(ctx *sql.Context, p *typedPlan, w *typedWorker, part int, charge func(int64) error) (*group, error) {
	if len(p.keys) == 0 {
		if w.single == nil {
			w.single = n.newGroup(w.aggWorker, part)
		}
		return w.single, nil
	}
	if p.intKey {
		if s := &w.slots[p.keys[0].col]; !s.Null {
			v := uint64(s.I)
			if v < uint64(len(w.dense)) {
				if g := w.dense[v]; g != nil {
					return g, nil
				}
			} else if g := w.ints[v]; g != nil {
				return g, nil
			}
			g, err := n.typedGroupRaw(ctx, p, w, part, charge)
			if err != nil {
				return nil, err
			}
			if v < denseMax {
				if v >= uint64(len(w.dense)) {
					grow := max(int(v)+1, 2*len(w.dense))
					grow = min(grow, denseMax)
					if err := charge(int64(8 * (grow - len(w.dense)))); err != nil {
						return nil, err
					}
					w.dense = append(w.dense, make([]*group, grow-len(w.dense))...)
				}
				w.dense[v] = g
				return g, nil
			}
			if len(w.ints) >= rawCacheMax {
				return g, nil
			}
			if err := charge(24); err != nil {
				return nil, err
			}
			w.ints[v] = g
			return g, nil
		}
	}
	if p.strKey {
		if s := &w.slots[p.keys[0].col]; !s.Null {
			for i, k := range w.strs {
				if k == string(s.B) {
					return w.strG[i], nil
				}
			}
			g, err := n.typedGroupRaw(ctx, p, w, part, charge)
			if err == nil && len(w.strs) < smallMax {
				w.strs = append(w.strs, string(s.B))
				w.strG = append(w.strG, g)
			}
			return g, err
		}
	}
	return n.typedGroupRaw(ctx, p, w, part, charge)
}

// typedGroupRaw finds the group by the raw encoding of its key values.
func (n *AggScan) typedGroupRaw(ctx *sql.Context, p *typedPlan, w *typedWorker, part int, charge func(int64) error) (*group, error) {
	raw := w.raw[:0]
	for i, k := range p.keys {
		switch k.mode {
		case keyCol:
			raw = appendSlotRaw(raw, k.cls, &w.slots[k.col])
			continue
		case keyDay:
			v, err := w.dayValue(ctx, p, i)
			if err != nil {
				return nil, err
			}
			w.vals[i] = v
		default:
			if err := w.box(p); err != nil {
				return nil, err
			}
			v, err := w.group[i].Eval(ctx, w.row)
			if err != nil {
				return nil, err
			}
			w.vals[i] = v
		}
		var err error
		if raw, err = appendRaw(ctx, raw, n.groupTyp[i], w.vals[i]); err != nil {
			return nil, err
		}
	}
	w.raw = raw
	if !w.smallOff {
		for i, k := range w.smallRaw {
			if k == string(raw) {
				return w.smallG[i], nil
			}
		}
	} else if g := w.rawGroups[string(raw)]; g != nil {
		return g, nil
	}
	for i, k := range p.keys {
		if k.mode == keyCol {
			v, err := p.dec.Value(k.col, &w.slots[k.col])
			if err != nil {
				return nil, err
			}
			w.vals[i] = v
		}
	}
	g, err := n.lookupGroup(ctx, w.aggWorker, part, charge)
	if err != nil {
		return nil, err
	}
	if !w.smallOff {
		if len(w.smallRaw) < smallMax {
			w.smallRaw = append(w.smallRaw, string(raw))
			w.smallG = append(w.smallG, g)
		} else {
			w.smallOff = true
		}
	}
	return g, nil
}

// finishTyped moves typed MIN/MAX results into acc.v for merge.
func (n *AggScan) finishTyped(p *typedPlan, w *aggWorker) error {
	fin := func(g *group) error {
		for i, ta := range p.aggs {
			if a := &g.accs[i]; ta.mode == taMinMax && a.set {
				v, err := p.dec.Value(ta.col, &a.best)
				if err != nil {
					return err
				}
				a.v = v
			}
		}
		return nil
	}
	if w.single != nil {
		if err := fin(w.single); err != nil {
			return err
		}
	}
	for _, g := range w.groups {
		if err := fin(g); err != nil {
			return err
		}
	}
	return nil
}
