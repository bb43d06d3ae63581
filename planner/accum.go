package planner

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/quarrydb/quarry/storage/rowcodec"
)

// aggKind is what an output column of an AggScan computes per group.
type aggKind uint8

const (
	aggFirst aggKind = iota // a non-aggregate expression: its value on the group's first row
	aggCountStar
	aggCount
	aggCountDistinct
	aggSum
	aggAvg
	aggMin
	aggMax
)

var aggNames = [...]string{"FIRST", "COUNT(*)", "COUNT", "COUNT(DISTINCT)", "SUM", "AVG", "MIN", "MAX"}

// numClass is how SUM and AVG accumulate their argument.
type numClass uint8

const (
	numNone    numClass = iota
	numInt              // signed integers: int64, overflowing into an exact big sum
	numUint             // unsigned integers
	numDecimal          // DECIMAL: exact decimal sum
	numFloat            // FLOAT, DOUBLE: float64 sum
)

// aggSpec is one output column of an AggScan.
type aggSpec struct {
	kind aggKind
	// args are evaluated over the decoded row (COUNT(DISTINCT) may have
	// several; COUNT(*) none).
	args []sql.Expression
	num  numClass
	// typ is the output type (MySQL's: SUM(int) is DECIMAL, ...).
	typ sql.Type
	// argTyp compares MIN/MAX values.
	argTyp sql.Type
	// scale of an AVG's DECIMAL result.
	scale int32
	label string
}

// intDigits returns the decimal digits of an integer type's range, as
// MySQL uses for the precision of SUM and AVG over it.
func intDigits(t sql.Type) (int, bool) {
	switch t.Type() {
	case sqltypes.Int8, sqltypes.Uint8:
		return 3, true
	case sqltypes.Int16, sqltypes.Uint16:
		return 5, true
	case sqltypes.Int24:
		return 7, true
	case sqltypes.Uint24:
		return 8, true
	case sqltypes.Int32, sqltypes.Uint32:
		return 10, true
	case sqltypes.Int64:
		return 19, true
	case sqltypes.Uint64:
		return 20, true
	}
	return 0, false
}

// sumAvgTypes returns the accumulation class and MySQL's result types of
// SUM and AVG over t; ok is false for argument types the scan leaves to
// GMS (strings, dates, bits, ...).
func sumAvgTypes(t sql.Type) (cls numClass, sum, avg sql.Type, avgScale int32, ok bool) {
	switch {
	case types.IsInteger(t):
		d, ok := intDigits(t)
		if !ok {
			return numNone, nil, nil, 0, false
		}
		cls = numInt
		if types.IsUnsigned(t) {
			cls = numUint
		}
		return cls, mustDec(d+22, 0), mustDec(d+4, 4), 4, true
	case types.IsDecimal(t):
		dt := t.(sql.DecimalType)
		p, s := int(dt.Precision()), int(dt.Scale())
		as := min(s+4, 30)
		return numDecimal, mustDec(p+22, s), mustDec(p+4, as), int32(as), true
	case types.IsFloat(t):
		return numFloat, types.Float64, types.Float64, 0, true
	}
	return numNone, nil, nil, 0, false
}

func mustDec(p, s int) sql.Type {
	p = min(p, 65)
	if s > p {
		s = p
	}
	return types.MustCreateDecimalType(uint8(p), uint8(s))
}

// acc is one aggregate's state for one group in one worker. part is the
// scan partition of the row: a worker sees its partitions in ascending
// order, so the lowest part seen first is the group's first row.
type acc struct {
	set  bool // any non-NULL value (FIRST: any row)
	part int

	n   int64 // COUNT, AVG's count
	i   int64 // numInt, numUint (as uint64 bits)
	big *big.Int
	d   decimal.Decimal // numDecimal; numInt, numUint: values addOther added
	f   float64
	v   any                 // FIRST, MIN, MAX
	dis map[string]struct{} // COUNT(DISTINCT)

	// Typed scans only (see typedPlan): MIN and MAX keep the best value
	// as a slot until the worker finishes (then it moves to v), and
	// COUNT(DISTINCT) of one integer column keeps the values' bits.
	best rowcodec.Slot
	disU map[uint64]struct{}
	// bits is a bitmap of COUNT(DISTINCT) values in [bitBase, bitBase +
	// 64*len(bits)) (as uint64, wrapping): values in that range are set
	// here and never in disU, so the count is the sum of both.
	bits    []uint64
	bitBase uint64
}

// addDistinct records the integer x (its uint64 bits) of a typed
// COUNT(DISTINCT).
func (a *acc) addDistinct(x uint64, charge func(int64) error) error {
	if d := x - a.bitBase; a.bits != nil && d < uint64(len(a.bits))*64 {
		a.bits[d>>6] |= 1 << (d & 63)
		return nil
	}
	if a.disU == nil {
		a.disU = make(map[uint64]struct{})
	}
	if _, seen := a.disU[x]; !seen {
		if err := charge(9 + 32); err != nil { // as the generic path's 9-byte key
			return err
		}
		a.disU[x] = struct{}{}
	}
	return nil
}

// mergeBits folds b's bitmap into a, keeping a's bitmap and map disjoint.
func (a *acc) mergeBits(b *acc) {
	if b.bits == nil {
		return
	}
	if a.bits == nil {
		a.bits, a.bitBase = b.bits, b.bitBase
		for k := range a.disU {
			if d := k - a.bitBase; d < uint64(len(a.bits))*64 {
				a.bits[d>>6] |= 1 << (d & 63)
				delete(a.disU, k)
			}
		}
		return
	}
	if a.bitBase == b.bitBase && len(a.bits) == len(b.bits) {
		for i, w := range b.bits {
			a.bits[i] |= w
		}
		return
	}
	for i, w := range b.bits {
		for w != 0 {
			j := uint64(bits.TrailingZeros64(w))
			w &= w - 1
			_ = a.addDistinct(b.bitBase+uint64(i)*64+j, func(int64) error { return nil })
		}
	}
}

func popcount(ws []uint64) int {
	n := 0
	for _, w := range ws {
		n += bits.OnesCount64(w)
	}
	return n
}

// add folds v (the argument's value; nil is SQL NULL) into a.
func (s *aggSpec) add(ctx *sql.Context, a *acc, v any, part int) error {
	switch s.kind {
	case aggFirst:
		if !a.set {
			a.set, a.v, a.part = true, v, part
		}
		return nil
	case aggCountStar:
		a.n++
		return nil
	case aggCount:
		if v != nil {
			a.n++
		}
		return nil
	case aggMin, aggMax:
		if v == nil {
			return nil
		}
		if !a.set {
			a.set, a.v, a.part = true, v, part
			return nil
		}
		c, err := s.argTyp.Compare(ctx, v, a.v)
		if err != nil {
			return err
		}
		if s.kind == aggMin && c < 0 || s.kind == aggMax && c > 0 {
			a.v, a.part = v, part
		}
		return nil
	case aggSum, aggAvg:
		if v == nil {
			return nil
		}
		a.set = true
		a.n++
		return s.addNum(ctx, a, v)
	}
	return fmt.Errorf("planner: aggregate kind %d has no single argument", s.kind)
}

func (s *aggSpec) addNum(ctx *sql.Context, a *acc, v any) error {
	switch s.num {
	case numInt:
		if x, ok := asInt64(v); ok {
			a.addInt(x)
			return nil
		}
		return a.addOther(ctx, v)
	case numUint:
		if x, ok := asUint64(v); ok {
			a.addUint(x)
			return nil
		}
		return a.addOther(ctx, v)
	case numDecimal:
		d, ok := v.(decimal.Decimal)
		if !ok {
			return fmt.Errorf("planner: SUM over decimal column got %T", v)
		}
		a.d = a.d.Add(d)
	case numFloat:
		switch x := v.(type) {
		case float64:
			a.f += x
		case float32:
			a.f += float64(x)
		default:
			return fmt.Errorf("planner: SUM over float column got %T", v)
		}
	}
	return nil
}

// addOther adds to an integer sum a value of another Go type than the
// argument's type promises: GMS types IF(c, 128, unsigned_col) UNSIGNED
// but evaluates 128 to a signed integer, and IF(c, -1, unsigned_col) to a
// negative one. Such values are kept exactly in a.d, which result and
// merge add to the integer part.
func (a *acc) addOther(ctx *sql.Context, v any) error {
	d, _, err := types.InternalDecimalType.Convert(ctx, v)
	if err != nil {
		return fmt.Errorf("planner: SUM/AVG argument %v (%T): %w", v, v, err)
	}
	dd, ok := d.(decimal.Decimal)
	if !ok {
		return fmt.Errorf("planner: SUM/AVG argument %v (%T) is not a number", v, v)
	}
	a.d = a.d.Add(dd)
	return nil
}

// addInt adds x to a signed integer sum, continuing exactly in a big.Int
// on overflow.
func (a *acc) addInt(x int64) {
	r := a.i + x
	if (r > a.i) != (x > 0) { // overflow: continue exactly in big
		if a.big == nil {
			a.big = new(big.Int)
		}
		a.big.Add(a.big, big.NewInt(a.i))
		a.big.Add(a.big, big.NewInt(x))
		a.i = 0
		return
	}
	a.i = r
}

// addUint adds x to an unsigned integer sum (a.i holds the uint64 bits).
func (a *acc) addUint(x uint64) {
	u := uint64(a.i)
	r := u + x
	if r < u {
		if a.big == nil {
			a.big = new(big.Int)
		}
		a.big.Add(a.big, new(big.Int).SetUint64(u))
		a.big.Add(a.big, new(big.Int).SetUint64(x))
		a.i = 0
		return
	}
	a.i = int64(r)
}

// merge folds b (another worker's state of the same group) into a.
func (s *aggSpec) merge(ctx *sql.Context, a, b *acc) error {
	switch s.kind {
	case aggFirst:
		if b.set && (!a.set || b.part < a.part) {
			a.set, a.v, a.part = true, b.v, b.part
		}
	case aggCountStar, aggCount:
		a.n += b.n
	case aggCountDistinct:
		if a.disU == nil && a.bits == nil {
			a.disU, a.bits, a.bitBase = b.disU, b.bits, b.bitBase
		} else {
			a.mergeBits(b)
			for k := range b.disU {
				if err := a.addDistinct(k, func(int64) error { return nil }); err != nil {
					return err
				}
			}
		}
		if a.dis == nil {
			a.dis = b.dis
			return nil
		}
		for k := range b.dis {
			a.dis[k] = struct{}{}
		}
	case aggMin, aggMax:
		if !b.set {
			return nil
		}
		if !a.set {
			a.set, a.v, a.part = true, b.v, b.part
			return nil
		}
		c, err := s.argTyp.Compare(ctx, b.v, a.v)
		if err != nil {
			return err
		}
		if s.kind == aggMin && c < 0 || s.kind == aggMax && c > 0 || c == 0 && b.part < a.part {
			a.v, a.part = b.v, b.part
		}
	case aggSum, aggAvg:
		if !b.set {
			return nil
		}
		a.set = true
		a.n += b.n
		switch s.num {
		case numInt, numUint:
			bb := b.exactInt(s.num)
			aa := a.exactInt(s.num)
			aa.Add(aa, bb)
			if aa.IsInt64() && s.num == numInt {
				a.i, a.big = aa.Int64(), nil
			} else if aa.IsUint64() && s.num == numUint {
				a.i, a.big = int64(aa.Uint64()), nil
			} else {
				a.i, a.big = 0, aa
			}
			a.d = a.d.Add(b.d) // addOther's values
		case numDecimal:
			a.d = a.d.Add(b.d)
		case numFloat:
			a.f += b.f
		}
	}
	return nil
}

// exactInt returns the integer sum of a as a new big.Int.
func (a *acc) exactInt(cls numClass) *big.Int {
	r := new(big.Int)
	if cls == numUint {
		r.SetUint64(uint64(a.i))
	} else {
		r.SetInt64(a.i)
	}
	if a.big != nil {
		r.Add(r, a.big)
	}
	return r
}

// result returns the aggregate's value for the group.
func (s *aggSpec) result(a *acc) any {
	switch s.kind {
	case aggFirst, aggMin, aggMax:
		return a.v
	case aggCountStar, aggCount:
		return a.n
	case aggCountDistinct:
		return int64(len(a.dis) + len(a.disU) + popcount(a.bits))
	case aggSum, aggAvg:
		if !a.set {
			return nil
		}
		var sum decimal.Decimal
		switch s.num {
		case numFloat:
			if s.kind == aggSum {
				return a.f
			}
			return a.f / float64(a.n)
		case numInt, numUint:
			if a.big == nil && (s.num == numInt || a.i >= 0) {
				sum = decimal.NewFromInt(a.i) // no big.Int to build
			} else {
				sum = decimal.NewFromBigInt(a.exactInt(s.num), 0)
			}
			if !a.d.IsZero() {
				sum = sum.Add(a.d) // addOther's values
			}
		case numDecimal:
			sum = a.d
		}
		if s.kind == aggSum {
			return sum
		}
		// MySQL rounds AVG half away from zero to the result's scale.
		return sum.DivRound(decimal.NewFromInt(a.n), s.scale)
	}
	return nil
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case int:
		return int64(x), true
	case decimal.Decimal:
		// GMS types some expressions as integers but evaluates them to
		// integral decimals (FLOOR, CEIL and ROUND of a DECIMAL).
		if x.IsInteger() && x.Cmp(decimal.NewFromInt(x.IntPart())) == 0 {
			return x.IntPart(), true
		}
	case float64:
		if x == math.Trunc(x) && x >= math.MinInt64 && x < math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

func asUint64(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint64:
		return x, true
	case uint32:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint8:
		return uint64(x), true
	case uint:
		return uint64(x), true
	}
	return 0, false
}

// appendKey appends an encoding of v under type t to dst such that two
// values encode equally exactly when GMS's grouping treats them as one
// group: strings by the weights of their collation (so 'a' and 'A' are
// one group under a case-insensitive collation), integers by value, and
// other values by their printed form (GMS's own rule). Every encoding is
// self-delimiting.
func appendKey(ctx *sql.Context, dst []byte, t sql.Type, v any) ([]byte, error) {
	if v == nil {
		return append(dst, 0), nil
	}
	if st, ok := t.(sql.StringType); ok {
		s, err := types.ConvertToString(ctx, v, st, nil)
		if err != nil {
			return nil, err
		}
		var w weightWriter
		if err := st.Collation().WriteWeightString(&w, s); err != nil {
			return nil, err
		}
		dst = append(dst, 1)
		dst = binary.AppendUvarint(dst, uint64(len(w.b)))
		return append(dst, w.b...), nil
	}
	if x, ok := asInt64(v); ok {
		return binary.BigEndian.AppendUint64(append(dst, 2), uint64(x)), nil
	}
	if x, ok := asUint64(v); ok {
		if x <= math.MaxInt64 {
			return binary.BigEndian.AppendUint64(append(dst, 2), x), nil
		}
		return binary.BigEndian.AppendUint64(append(dst, 3), x), nil
	}
	if tm, ok := v.(time.Time); ok && tm.Location() == time.UTC {
		dst = binary.BigEndian.AppendUint64(append(dst, 4), uint64(tm.Unix()))
		return binary.BigEndian.AppendUint32(dst, uint32(tm.Nanosecond())), nil
	}
	s := fmt.Sprintf("%v", v)
	dst = append(dst, 5)
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...), nil
}

// appendRaw appends an exact encoding of v: equal bytes mean equal
// values, hence the same group (the converse needs appendKey).
func appendRaw(ctx *sql.Context, dst []byte, t sql.Type, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		dst = append(dst, 6)
		dst = binary.AppendUvarint(dst, uint64(len(x)))
		return append(dst, x...), nil
	case []byte:
		dst = append(dst, 7)
		dst = binary.AppendUvarint(dst, uint64(len(x)))
		return append(dst, x...), nil
	}
	return appendKey(ctx, dst, t, v)
}

// weightWriter collects a collation weight string.
type weightWriter struct{ b []byte }

func (w *weightWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
