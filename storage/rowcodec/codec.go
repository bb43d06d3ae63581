package rowcodec

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"
)

// Column describes one column to encode or decode.
type Column struct {
	// ID is the column's stable catalog ID. It never changes for the life of
	// the column and is never reused after the column is dropped.
	ID uint32
	// Type is the column's GMS type.
	Type sql.Type
}

// kind is the precomputed per-column dispatch key.
type kind uint8

const (
	kInvalid kind = iota
	kInt8
	kInt16
	kInt24
	kInt32
	kInt64
	kUint8
	kUint16
	kUint24
	kUint32
	kUint64
	kFloat32
	kFloat64
	kDecimal
	kDatetime // DATE, DATETIME, TIMESTAMP
	kTime     // TIME
	kYear
	kEnum
	kSet
	kBit
	kString // CHAR, VARCHAR, TEXT
	kBytes  // BINARY, VARBINARY, BLOB
	kJSON
	kGeometry
	kNull
)

var (
	jsonWrapperType   = reflect.TypeOf((*sql.JSONWrapper)(nil)).Elem()
	geometryValueType = reflect.TypeOf((*types.GeometryValue)(nil)).Elem()

	// goTypes is the Go value type of each kind, cross-checked against
	// sql.Type.ValueType when a column is compiled.
	goTypes = [...]reflect.Type{
		kInt8:     reflect.TypeOf(int8(0)),
		kInt16:    reflect.TypeOf(int16(0)),
		kInt24:    reflect.TypeOf(int32(0)),
		kInt32:    reflect.TypeOf(int32(0)),
		kInt64:    reflect.TypeOf(int64(0)),
		kUint8:    reflect.TypeOf(uint8(0)),
		kUint16:   reflect.TypeOf(uint16(0)),
		kUint24:   reflect.TypeOf(uint32(0)),
		kUint32:   reflect.TypeOf(uint32(0)),
		kUint64:   reflect.TypeOf(uint64(0)),
		kFloat32:  reflect.TypeOf(float32(0)),
		kFloat64:  reflect.TypeOf(float64(0)),
		kDecimal:  reflect.TypeOf(decimal.Decimal{}),
		kDatetime: reflect.TypeOf(time.Time{}),
		kTime:     reflect.TypeOf(types.Timespan(0)),
		kYear:     reflect.TypeOf(int16(0)),
		kEnum:     reflect.TypeOf(uint16(0)),
		kSet:      reflect.TypeOf(uint64(0)),
		kBit:      reflect.TypeOf(uint64(0)),
		kString:   reflect.TypeOf(""),
		kBytes:    reflect.TypeOf([]byte(nil)),
		kJSON:     jsonWrapperType,
		kGeometry: geometryValueType,
		kNull:     nil,
	}
)

func kindOf(t sql.Type) kind {
	switch t.Type() {
	case sqltypes.Int8:
		return kInt8
	case sqltypes.Int16:
		return kInt16
	case sqltypes.Int24:
		return kInt24
	case sqltypes.Int32:
		return kInt32
	case sqltypes.Int64:
		return kInt64
	case sqltypes.Uint8:
		return kUint8
	case sqltypes.Uint16:
		return kUint16
	case sqltypes.Uint24:
		return kUint24
	case sqltypes.Uint32:
		return kUint32
	case sqltypes.Uint64:
		return kUint64
	case sqltypes.Float32:
		return kFloat32
	case sqltypes.Float64:
		return kFloat64
	case sqltypes.Decimal:
		return kDecimal
	case sqltypes.Date, sqltypes.Datetime, sqltypes.Timestamp:
		return kDatetime
	case sqltypes.Time:
		return kTime
	case sqltypes.Year:
		return kYear
	case sqltypes.Enum:
		return kEnum
	case sqltypes.Set:
		return kSet
	case sqltypes.Bit:
		return kBit
	case sqltypes.Char, sqltypes.VarChar, sqltypes.Text:
		return kString
	case sqltypes.Binary, sqltypes.VarBinary, sqltypes.Blob:
		return kBytes
	case sqltypes.TypeJSON:
		return kJSON
	case sqltypes.Geometry:
		return kGeometry
	case sqltypes.Null:
		return kNull
	}
	return kInvalid
}

// colInfo is a compiled column.
type colInfo struct {
	id   uint32
	idx  int // position in the caller's column list, vals and dst
	kind kind
	dec  decimalShape
	typ  sql.Type
	// geom is the concrete Go type of a spatial subtype column (types.Point
	// for POINT, ...), or nil for GEOMETRY, which holds any GeometryValue.
	geom reflect.Type
}

func (c *colInfo) wrap(err error) error {
	return fmt.Errorf("column %d (%s): %w", c.id, c.typ.String(), err)
}

// compile validates cols and returns them sorted by column ID.
func compile(cols []Column) ([]colInfo, error) {
	infos := make([]colInfo, len(cols))
	for i, col := range cols {
		if col.Type == nil {
			return nil, fmt.Errorf("%w: column %d has no type", ErrInvalidSchema, col.ID)
		}
		c := colInfo{id: col.ID, idx: i, kind: kindOf(col.Type), typ: col.Type}
		if c.kind == kInvalid {
			return nil, c.wrap(ErrUnsupportedType)
		}
		if want := goTypes[c.kind]; want != nil {
			got := col.Type.ValueType()
			if got == nil || (got != want && !got.AssignableTo(want)) {
				return nil, c.wrap(fmt.Errorf("%w: Go value type %v, expected %v", ErrUnsupportedType, got, want))
			}
		}
		if c.kind == kGeometry {
			if vt := col.Type.ValueType(); vt.Kind() != reflect.Interface {
				c.geom = vt
			}
		}
		if c.kind == kDecimal {
			dt, ok := col.Type.(sql.DecimalType)
			if !ok {
				return nil, c.wrap(fmt.Errorf("%w: %T does not implement sql.DecimalType", ErrUnsupportedType, col.Type))
			}
			c.dec = decimalShapeOf(dt)
		}
		infos[i] = c
	}
	slices.SortFunc(infos, func(a, b colInfo) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	for i := 1; i < len(infos); i++ {
		if infos[i].id == infos[i-1].id {
			return nil, fmt.Errorf("%w: duplicate column id %d", ErrInvalidSchema, infos[i].id)
		}
	}
	return infos, nil
}

// decimalShapeOf determines how GMS's Convert shapes values of dt. Column
// decimal types (types.CreateColumnDecimalType) rescale decimals to exponent
// -scale; expression decimal types keep the input's exponent. The flag is
// unexported in GMS, so probe it with a zero whose exponent (scale+1) every
// column type rewrites.
func decimalShapeOf(dt sql.DecimalType) decimalShape {
	s := decimalShape{scale: int32(dt.Scale())}
	if r, _, err := dt.Convert(context.Background(), decimal.New(0, s.scale+1)); err == nil {
		if d, ok := r.(decimal.Decimal); ok && d.Exponent() == -s.scale {
			s.rescale = true
		}
	}
	return s
}

// Encoder encodes rows for a fixed list of columns. It is safe for
// concurrent use.
type Encoder struct {
	cols []colInfo // sorted by ID
	n    int
	err  error
}

// NewEncoder compiles an encoder for cols. Errors in cols (duplicate IDs,
// unsupported types) are reported by Err and by every Append.
func NewEncoder(cols []Column) *Encoder {
	infos, err := compile(cols)
	return &Encoder{cols: infos, n: len(cols), err: err}
}

// Err reports whether the column list given to NewEncoder was invalid.
func (e *Encoder) Err() error { return e.err }

// Append appends the encoding of vals to dst and returns the extended slice.
// vals[i] is the value of the i-th column given to NewEncoder; nil is NULL.
//
// Values are expected in the canonical Go type of their column (what the
// column type's Convert returns, as GMS passes to table editors). Other values
// (sql.AnyWrapper implementations, strings for binary columns, any
// sql.JSONWrapper, EWKB bytes for spatial columns, ...) are converted with the
// column type's Convert first. On error dst is returned unextended.
func (e *Encoder) Append(dst []byte, vals []any) ([]byte, error) {
	if e.err != nil {
		return dst, e.err
	}
	if len(vals) != e.n {
		return dst, fmt.Errorf("%w: %d values for %d columns", ErrInvalidSchema, len(vals), e.n)
	}
	orig := len(dst)
	dst = append(dst, FormatVersion)
	for i := range e.cols {
		c := &e.cols[i]
		v := vals[c.idx]
		if v == nil {
			continue
		}
		var err error
		if dst, err = c.append(dst, v); err != nil {
			return dst[:orig], c.wrap(err)
		}
	}
	return dst, nil
}

func (c *colInfo) append(dst []byte, v any) ([]byte, error) {
	out, ok, err := c.appendCanonical(dst, v)
	if ok || err != nil {
		return out, err
	}
	ctx := context.Background()
	if w, isWrapper := v.(sql.AnyWrapper); isWrapper {
		if v, err = w.UnwrapAny(ctx); err != nil {
			return dst, err
		}
		if v == nil {
			return dst, nil
		}
		if out, ok, err = c.appendCanonical(dst, v); ok || err != nil {
			return out, err
		}
	}
	if c.kind == kGeometry {
		// GMS's EWKB deserializers panic on malformed input; parse it here.
		switch x := v.(type) {
		case []byte:
			if v, err = decodeGeometry(x); err != nil {
				return dst, err
			}
		case string:
			if v, err = decodeGeometry([]byte(x)); err != nil {
				return dst, err
			}
		}
	}
	cv, inRange, err := c.typ.Convert(ctx, v)
	if err != nil {
		return dst, fmt.Errorf("%w: converting %T: %w", ErrValueType, v, err)
	}
	if !inRange {
		return dst, fmt.Errorf("%w: %T value out of range", ErrValueType, v)
	}
	if cv == nil {
		return dst, nil // the value converts to NULL (e.g. an invalid decimal.NullDecimal)
	}
	if out, ok, err = c.appendCanonical(dst, cv); ok || err != nil {
		return out, err
	}
	return dst, fmt.Errorf("%w: %T converted to %T", ErrValueType, v, cv)
}

// appendCanonical appends the entry for v if v has the column's canonical Go
// type, and reports whether it did.
func (c *colInfo) appendCanonical(dst []byte, v any) ([]byte, bool, error) {
	switch c.kind {
	case kInt8:
		if x, ok := v.(int8); ok {
			return c.appendVarint(dst, zigzag(int64(x))), true, nil
		}
	case kInt16:
		if x, ok := v.(int16); ok {
			return c.appendVarint(dst, zigzag(int64(x))), true, nil
		}
	case kInt24, kInt32:
		if x, ok := v.(int32); ok {
			return c.appendVarint(dst, zigzag(int64(x))), true, nil
		}
	case kInt64:
		if x, ok := v.(int64); ok {
			return c.appendVarint(dst, zigzag(x)), true, nil
		}
	case kUint8:
		if x, ok := v.(uint8); ok {
			return c.appendVarint(dst, uint64(x)), true, nil
		}
	case kUint16, kEnum:
		if x, ok := v.(uint16); ok {
			return c.appendVarint(dst, uint64(x)), true, nil
		}
	case kUint24, kUint32:
		if x, ok := v.(uint32); ok {
			return c.appendVarint(dst, uint64(x)), true, nil
		}
	case kUint64, kSet, kBit:
		if x, ok := v.(uint64); ok {
			return c.appendVarint(dst, x), true, nil
		}
	case kYear:
		if x, ok := v.(int16); ok {
			return c.appendVarint(dst, zigzag(int64(x))), true, nil
		}
	case kTime:
		if x, ok := v.(types.Timespan); ok {
			return c.appendVarint(dst, zigzag(int64(x))), true, nil
		}
	case kFloat32:
		if x, ok := v.(float32); ok {
			dst = appendTag(dst, c.id, wireFixed32)
			return binary.LittleEndian.AppendUint32(dst, math.Float32bits(x)), true, nil
		}
	case kFloat64:
		if x, ok := v.(float64); ok {
			dst = appendTag(dst, c.id, wireFixed64)
			return binary.LittleEndian.AppendUint64(dst, math.Float64bits(x)), true, nil
		}
	case kDecimal:
		if x, ok := v.(decimal.Decimal); ok {
			dst, start := beginLen(appendTag(dst, c.id, wireBytes))
			dst = appendDecimalPayload(dst, x, c.dec)
			return endLen(dst, start), true, nil
		}
	case kDatetime:
		if x, ok := v.(time.Time); ok {
			sec, nsec := x.Unix(), x.Nanosecond()
			if nsec == 0 {
				return c.appendVarint(dst, zigzag(sec)), true, nil
			}
			dst, start := beginLen(appendTag(dst, c.id, wireBytes))
			dst = binary.AppendUvarint(dst, zigzag(sec))
			dst = binary.AppendUvarint(dst, uint64(nsec))
			return endLen(dst, start), true, nil
		}
	case kString:
		if x, ok := v.(string); ok {
			return appendStringField(appendTag(dst, c.id, wireBytes), x), true, nil
		}
	case kBytes:
		if x, ok := v.([]byte); ok {
			return appendBytesField(appendTag(dst, c.id, wireBytes), x), true, nil
		}
	case kJSON:
		if x, ok := v.(sql.JSONWrapper); ok {
			val, err := x.ToInterface()
			if err != nil {
				return dst, true, err
			}
			out, start := beginLen(appendTag(dst, c.id, wireBytes))
			if out, err = appendJSONValue(out, val, 0); err != nil {
				return dst, true, err
			}
			return endLen(out, start), true, nil
		}
	case kGeometry:
		if x, ok := v.(types.GeometryValue); ok && (c.geom == nil || reflect.TypeOf(x) == c.geom) {
			if err := checkGeometry(x, 0); err != nil {
				return dst, true, err
			}
			return appendBytesField(appendTag(dst, c.id, wireBytes), x.Serialize()), true, nil
		}
	case kNull:
		return dst, true, fmt.Errorf("%w: NULL-typed column cannot hold %T", ErrValueType, v)
	}
	return dst, false, nil
}

func (c *colInfo) appendVarint(dst []byte, u uint64) []byte {
	return binary.AppendUvarint(appendTag(dst, c.id, wireVarint), u)
}

// Decoder decodes a fixed subset of columns from encoded rows. It is safe for
// concurrent use.
type Decoder struct {
	cols   []colInfo // sorted by ID
	n      int
	nBytes int // string and binary columns
	err    error
}

// NewDecoder compiles a decoder for cols; only these columns are decoded and
// every other entry is skipped. Errors in cols are reported by Err and by
// every Decode.
func NewDecoder(cols []Column) *Decoder {
	infos, err := compile(cols)
	d := &Decoder{cols: infos, n: len(cols), err: err}
	for _, c := range infos {
		if c.kind == kString || c.kind == kBytes {
			d.nBytes++
		}
	}
	return d
}

// Err reports whether the column list given to NewDecoder was invalid.
func (d *Decoder) Err() error { return d.err }

// Decode decodes src into dst: dst[i] receives the value of the i-th column
// given to NewDecoder, or nil if the row has no entry for it (NULL, or a
// column added after the row was written). len(dst) must be at least the
// number of columns. Entries for other column IDs are skipped by wire type
// alone, and scanning stops after the last wanted column, so corruption
// beyond it goes unnoticed (use Validate to check a whole row). Decode does
// not retain src. On error the decoded slots of dst are reset to nil.
func (d *Decoder) Decode(src []byte, dst []any) error {
	if d.err != nil {
		return d.err
	}
	if len(dst) < d.n {
		return fmt.Errorf("%w: dst has %d slots for %d columns", ErrInvalidSchema, len(dst), d.n)
	}
	dst = dst[:d.n]
	clear(dst)
	if err := d.decode(src, dst); err != nil {
		clear(dst)
		return err
	}
	return nil
}

func (d *Decoder) decode(src []byte, dst []any) error {
	if len(src) == 0 {
		return corruptf("empty row")
	}
	if src[0] != FormatVersion {
		return fmt.Errorf("%w: %d", ErrUnsupportedVersion, src[0])
	}
	var ar arena
	if d.nBytes > 1 {
		if n := d.bytesTotal(src); n > 0 {
			ar.buf = make([]byte, 0, n)
		}
	}
	prev := int64(-1)
	for pos, j := 1, 0; pos < len(src) && j < len(d.cols); {
		var (
			id  uint32
			f   field
			err error
		)
		// Fast path: one-byte tag (column IDs < 16) and one-byte varint or
		// length prefix; anything else goes through readTag and readField.
		if t := src[pos]; t < 0x80 && pos+1 < len(src) && src[pos+1] < 0x80 {
			id, f.wt = uint32(t>>3), uint64(t&7)
			switch f.wt {
			case wireVarint:
				f.u = uint64(src[pos+1])
				pos += 2
			case wireBytes:
				start := pos + 2
				end := start + int(src[pos+1])
				if end > len(src) {
					return corruptf("length %d at offset %d exceeds row", src[pos+1], pos+1)
				}
				f.b = src[start:end:end]
				pos = end
			default:
				if f, pos, err = readField(src, pos+1, f.wt); err != nil {
					return err
				}
			}
		} else {
			var wt uint64
			if id, wt, pos, err = readTag(src, pos); err != nil {
				return err
			}
			if f, pos, err = readField(src, pos, wt); err != nil {
				return err
			}
		}
		if int64(id) <= prev {
			return corruptf("column id %d follows %d before offset %d", id, prev, pos)
		}
		prev = int64(id)
		for j < len(d.cols) && d.cols[j].id < id {
			j++
		}
		if j == len(d.cols) || d.cols[j].id != id {
			continue // a column this decoder does not want, possibly dropped
		}
		c := &d.cols[j]
		j++
		v, err := c.value(f, &ar)
		if err != nil {
			return c.wrap(err)
		}
		dst[c.idx] = v
	}
	return nil
}

// Validate checks the structure of an encoded row without a schema: the
// version byte, every tag, wire type and length, and strictly increasing
// column IDs. Payloads are not checked against column types; Decode does that
// for the columns it decodes.
func Validate(src []byte) error {
	if len(src) == 0 {
		return corruptf("empty row")
	}
	if src[0] != FormatVersion {
		return fmt.Errorf("%w: %d", ErrUnsupportedVersion, src[0])
	}
	prev := int64(-1)
	for pos := 1; pos < len(src); {
		id, wt, next, err := readTag(src, pos)
		if err != nil {
			return err
		}
		if int64(id) <= prev {
			return corruptf("column id %d follows %d at offset %d", id, prev, pos)
		}
		prev = int64(id)
		if _, pos, err = readField(src, next, wt); err != nil {
			return err
		}
	}
	return nil
}

// bytesTotal returns the total payload size of the wanted string and binary
// columns of src, so that their bytes can share one allocation. Malformed
// input is left for the main pass to report.
func (d *Decoder) bytesTotal(src []byte) int {
	total := 0
	for pos, j := 1, 0; pos < len(src) && j < len(d.cols); {
		id, wt, next, err := readTag(src, pos)
		if err != nil {
			return total
		}
		f, next, err := readField(src, next, wt)
		if err != nil {
			return total
		}
		pos = next
		for j < len(d.cols) && d.cols[j].id < id {
			j++
		}
		if j < len(d.cols) && d.cols[j].id == id {
			if k := d.cols[j].kind; k == kString || k == kBytes {
				total += len(f.b)
			}
			j++
		}
	}
	return total
}

// arena holds the bytes of all string and binary values of one decoded row.
// Bytes are only ever appended, so handed-out values are never overwritten.
type arena struct {
	buf []byte
}

func (a *arena) string(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		return string(b)
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[start], len(b))
}

func (a *arena) bytes(b []byte) []byte {
	if len(b) == 0 {
		return []byte{} // GMS's Convert never returns nil for binary values
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		out := make([]byte, len(b))
		copy(out, b)
		return out
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[start:len(a.buf):len(a.buf)]
}

func wireErr(f field, want string) error {
	return corruptf("wire type %d, want %s", f.wt, want)
}

func rangeErr(v any, goType string) error {
	return corruptf("value %v out of range for %s", v, goType)
}

// value decodes one entry payload into the column's canonical Go value.
func (c *colInfo) value(f field, ar *arena) (any, error) {
	switch c.kind {
	case kInt8, kInt16, kInt24, kInt32, kInt64, kYear, kTime:
		if f.wt != wireVarint {
			return nil, wireErr(f, "varint")
		}
		x := unzigzag(f.u)
		switch c.kind {
		case kInt8:
			if x < math.MinInt8 || x > math.MaxInt8 {
				return nil, rangeErr(x, "int8")
			}
			return int8(x), nil
		case kInt16, kYear:
			if x < math.MinInt16 || x > math.MaxInt16 {
				return nil, rangeErr(x, "int16")
			}
			return int16(x), nil
		case kInt24, kInt32:
			if x < math.MinInt32 || x > math.MaxInt32 {
				return nil, rangeErr(x, "int32")
			}
			return int32(x), nil
		case kTime:
			return types.Timespan(x), nil
		}
		return x, nil
	case kUint8, kUint16, kUint24, kUint32, kUint64, kEnum, kSet, kBit:
		if f.wt != wireVarint {
			return nil, wireErr(f, "varint")
		}
		switch c.kind {
		case kUint8:
			if f.u > math.MaxUint8 {
				return nil, rangeErr(f.u, "uint8")
			}
			return uint8(f.u), nil
		case kUint16, kEnum:
			if f.u > math.MaxUint16 {
				return nil, rangeErr(f.u, "uint16")
			}
			return uint16(f.u), nil
		case kUint24, kUint32:
			if f.u > math.MaxUint32 {
				return nil, rangeErr(f.u, "uint32")
			}
			return uint32(f.u), nil
		}
		return f.u, nil
	case kFloat32:
		if f.wt != wireFixed32 {
			return nil, wireErr(f, "fixed32")
		}
		return math.Float32frombits(uint32(f.u)), nil
	case kFloat64:
		switch f.wt {
		case wireFixed64:
			return math.Float64frombits(f.u), nil
		case wireFixed32: // written as FLOAT before the column was widened
			return float64(math.Float32frombits(uint32(f.u))), nil
		}
		return nil, wireErr(f, "fixed64")
	case kDecimal:
		if f.wt != wireBytes {
			return nil, wireErr(f, "bytes")
		}
		return decodeDecimalPayload(f.b, c.dec)
	case kDatetime:
		switch f.wt {
		case wireVarint:
			return makeTime(unzigzag(f.u), 0, 0)
		case wireBytes:
			r := reader{b: f.b}
			s, err := r.uvarint()
			if err != nil {
				return nil, err
			}
			ns, err := r.uvarint()
			if err != nil {
				return nil, err
			}
			if r.remaining() != 0 {
				return nil, corruptf("%d trailing bytes after time", r.remaining())
			}
			return makeTime(unzigzag(s), ns, 0)
		}
		return nil, wireErr(f, "varint or bytes")
	case kString:
		if f.wt != wireBytes {
			return nil, wireErr(f, "bytes")
		}
		return ar.string(f.b), nil
	case kBytes:
		if f.wt != wireBytes {
			return nil, wireErr(f, "bytes")
		}
		return ar.bytes(f.b), nil
	case kJSON:
		if f.wt != wireBytes {
			return nil, wireErr(f, "bytes")
		}
		r := reader{b: f.b}
		v, err := decodeJSONValue(&r, 0)
		if err != nil {
			return nil, err
		}
		if r.remaining() != 0 {
			return nil, corruptf("%d trailing bytes after JSON value", r.remaining())
		}
		return types.JSONDocument{Val: v}, nil
	case kGeometry:
		if f.wt != wireBytes {
			return nil, wireErr(f, "bytes")
		}
		g, err := decodeGeometry(f.b)
		if err != nil {
			return nil, err
		}
		if c.geom != nil && reflect.TypeOf(g) != c.geom {
			return nil, corruptf("%T value in a %v column", g, c.geom)
		}
		return g, nil
	}
	return nil, corruptf("value present for a NULL-typed column")
}
