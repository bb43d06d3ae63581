package rowcodec

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/dolthub/go-mysql-server/sql"
)

// Class is how a TypedDecoder presents a column in a Slot.
type Class uint8

const (
	// ClassOther columns (DECIMAL, JSON, geometry, NULL-typed) keep only
	// their raw payload; Value decodes them.
	ClassOther Class = iota
	// ClassInt: TINYINT..BIGINT, YEAR, TIME; Slot.I is the signed value
	// (TIME: microseconds).
	ClassInt
	// ClassUint: unsigned integers, ENUM, SET, BIT; Slot.I holds the
	// uint64 bits.
	ClassUint
	// ClassFloat: FLOAT, DOUBLE; Slot.F is the value (a FLOAT's float32
	// widened exactly).
	ClassFloat
	// ClassDatetime: DATE, DATETIME, TIMESTAMP; Slot.I is unix seconds
	// and Slot.Nanos the nanoseconds (the value is UTC).
	ClassDatetime
	// ClassString: CHAR, VARCHAR, TEXT; Slot.B holds the bytes.
	ClassString
	// ClassBytes: BINARY, VARBINARY, BLOB; Slot.B holds the bytes.
	ClassBytes
)

// ClassOf returns the Slot class of values of column type t.
func ClassOf(t sql.Type) Class {
	switch kindOf(t) {
	case kInt8, kInt16, kInt24, kInt32, kInt64, kYear, kTime:
		return ClassInt
	case kUint8, kUint16, kUint24, kUint32, kUint64, kEnum, kSet, kBit:
		return ClassUint
	case kFloat32, kFloat64:
		return ClassFloat
	case kDatetime:
		return ClassDatetime
	case kString:
		return ClassString
	case kBytes:
		return ClassBytes
	}
	return ClassOther
}

// Slot is one column of a row decoded by a TypedDecoder. Which fields
// hold the value depends on the column's Class. B aliases the source
// row: it is valid only until the source buffer changes. Slots of the
// Int, Uint, Float and Datetime classes do not use B, so a copy of such
// a slot stays valid (Value reads only I, Nanos and F for them).
type Slot struct {
	Null  bool
	I     int64
	Nanos int64
	F     float64
	B     []byte
}

// TypedDecoder decodes chosen columns of encoded rows into reused Slots:
// no boxing into interface values, no copies of string bytes, no
// allocation per row. It checks wire types and integer ranges exactly as
// Decoder does, so a row Decode rejects is rejected here too (for the
// columns decoded; DECIMAL, JSON and geometry payloads are checked only
// by Value). It is immutable and safe for concurrent use.
type TypedDecoder struct {
	cols []colInfo
	// classes and at (index into cols) by the caller's column position.
	classes []Class
	at      []int
	err     error
}

// NewTypedDecoder compiles a typed decoder for cols (see NewDecoder).
func NewTypedDecoder(cols []Column) *TypedDecoder {
	infos, err := compile(cols)
	d := &TypedDecoder{cols: infos, err: err, classes: make([]Class, len(cols)), at: make([]int, len(cols))}
	for i, c := range cols {
		if c.Type != nil {
			d.classes[i] = ClassOf(c.Type)
		}
	}
	for j, c := range infos {
		d.at[c.idx] = j
	}
	return d
}

// Err reports whether the column list was invalid.
func (d *TypedDecoder) Err() error { return d.err }

// Class returns the class of the i-th column given to NewTypedDecoder.
func (d *TypedDecoder) Class(i int) Class { return d.classes[i] }

// Decode decodes src into dst (len(dst) at least the number of columns):
// dst[i] is the i-th column, Null when the row has no entry for it. As
// with Decoder.Decode, scanning stops after the last wanted column.
func (d *TypedDecoder) Decode(src []byte, dst []Slot) error {
	if d.err != nil {
		return d.err
	}
	if len(dst) < len(d.cols) {
		return fmt.Errorf("%w: dst has %d slots for %d columns", ErrInvalidSchema, len(dst), len(d.cols))
	}
	for i := range d.cols {
		dst[i].Null = true
	}
	if len(src) == 0 {
		return corruptf("empty row")
	}
	if src[0] != FormatVersion {
		return fmt.Errorf("%w: %d", ErrUnsupportedVersion, src[0])
	}
	cols := d.cols
	prev := int64(-1)
	for pos, j := 1, 0; pos < len(src) && j < len(cols); {
		// Tags, varints and lengths are read inline: one-byte forms
		// are by far the most common.
		var tag uint64
		if c := src[pos]; c < 0x80 {
			tag = uint64(c)
			pos++
		} else {
			t, n := binary.Uvarint(src[pos:])
			if n <= 0 {
				return corruptf("bad tag varint at offset %d", pos)
			}
			if t>>3 > math.MaxUint32 {
				return corruptf("column id %d out of range at offset %d", t>>3, pos)
			}
			tag = t
			pos += n
		}
		id := uint32(tag >> 3)
		if int64(id) <= prev {
			return corruptf("column id %d follows %d before offset %d", id, prev, pos)
		}
		prev = int64(id)
		for j < len(cols) && cols[j].id < id {
			j++
		}
		wanted := j < len(cols) && cols[j].id == id
		f := field{wt: tag & 7}
		switch f.wt {
		case wireVarint, wireBytes:
			if pos >= len(src) {
				return corruptf("bad varint at offset %d", pos)
			}
			if !wanted && f.wt == wireVarint {
				// Skipped varints are only checked, as binary.Uvarint
				// would: a last byte within ten, no overflow.
				n := skipUvarint(src[pos:])
				if n <= 0 {
					return corruptf("bad varint at offset %d", pos)
				}
				pos += n
				continue
			}
			var u uint64
			if c := src[pos]; c < 0x80 {
				u = uint64(c)
				pos++
			} else {
				x, n := binary.Uvarint(src[pos:])
				if n <= 0 {
					return corruptf("bad varint at offset %d", pos)
				}
				u = x
				pos += n
			}
			if f.wt == wireVarint {
				f.u = u
				break
			}
			if u > uint64(len(src)-pos) {
				return corruptf("length %d at offset %d exceeds row", u, pos)
			}
			end := pos + int(u)
			f.b = src[pos:end:end]
			pos = end
		case wireFixed64:
			if len(src)-pos < 8 {
				return corruptf("truncated fixed64 at offset %d", pos)
			}
			f.u = binary.LittleEndian.Uint64(src[pos:])
			pos += 8
		case wireFixed32:
			if len(src)-pos < 4 {
				return corruptf("truncated fixed32 at offset %d", pos)
			}
			f.u = uint64(binary.LittleEndian.Uint32(src[pos:]))
			pos += 4
		default:
			return corruptf("invalid wire type %d before offset %d", f.wt, pos)
		}
		if !wanted {
			continue
		}
		c := &cols[j]
		j++
		if err := c.slot(f, &dst[c.idx]); err != nil {
			return c.wrap(err)
		}
	}
	return nil
}

// skipUvarint returns the length of the uvarint at the start of b, or 0
// or less where binary.Uvarint fails (truncated, or overflowing 64 bits).
func skipUvarint(b []byte) int {
	if len(b) >= 8 {
		// The first byte without the continuation bit, 8 at a time
		// (overflow is only possible at the tenth byte).
		if m := ^binary.LittleEndian.Uint64(b) & 0x8080808080808080; m != 0 {
			return bits.TrailingZeros64(m)>>3 + 1
		}
	}
	for i := 0; i < len(b) && i < binary.MaxVarintLen64; i++ {
		if b[i] < 0x80 {
			if i == binary.MaxVarintLen64-1 && b[i] > 1 {
				return -1
			}
			return i + 1
		}
	}
	return -1
}

// slot fills s from entry f, with the checks of colInfo.value.
func (c *colInfo) slot(f field, s *Slot) error {
	s.Null, s.B = false, nil
	switch c.kind {
	case kInt8, kInt16, kInt24, kInt32, kInt64, kYear, kTime:
		if f.wt != wireVarint {
			return wireErr(f, "varint")
		}
		x := unzigzag(f.u)
		var lo, hi int64 = math.MinInt64, math.MaxInt64
		switch c.kind {
		case kInt8:
			lo, hi = math.MinInt8, math.MaxInt8
		case kInt16, kYear:
			lo, hi = math.MinInt16, math.MaxInt16
		case kInt24, kInt32:
			lo, hi = math.MinInt32, math.MaxInt32
		}
		if x < lo || x > hi {
			return rangeErr(x, goTypes[c.kind].String())
		}
		s.I = x
	case kUint8, kUint16, kUint24, kUint32, kUint64, kEnum, kSet, kBit:
		if f.wt != wireVarint {
			return wireErr(f, "varint")
		}
		var hi uint64 = math.MaxUint64
		switch c.kind {
		case kUint8:
			hi = math.MaxUint8
		case kUint16, kEnum:
			hi = math.MaxUint16
		case kUint24, kUint32:
			hi = math.MaxUint32
		}
		if f.u > hi {
			return rangeErr(f.u, goTypes[c.kind].String())
		}
		s.I = int64(f.u)
	case kFloat32:
		if f.wt != wireFixed32 {
			return wireErr(f, "fixed32")
		}
		s.F = float64(math.Float32frombits(uint32(f.u)))
	case kFloat64:
		switch f.wt {
		case wireFixed64:
			s.F = math.Float64frombits(f.u)
		case wireFixed32:
			s.F = float64(math.Float32frombits(uint32(f.u)))
		default:
			return wireErr(f, "fixed64")
		}
	case kDatetime:
		switch f.wt {
		case wireVarint:
			s.I, s.Nanos = unzigzag(f.u), 0
		case wireBytes:
			r := reader{b: f.b}
			sec, err := r.uvarint()
			if err != nil {
				return err
			}
			ns, err := r.uvarint()
			if err != nil {
				return err
			}
			if r.remaining() != 0 {
				return corruptf("%d trailing bytes after time", r.remaining())
			}
			if ns >= 1e9 {
				return corruptf("nanoseconds %d out of range", ns)
			}
			s.I, s.Nanos = unzigzag(sec), int64(ns)
		default:
			return wireErr(f, "varint or bytes")
		}
	case kString, kBytes, kDecimal, kJSON, kGeometry:
		if f.wt != wireBytes {
			return wireErr(f, "bytes")
		}
		s.B = f.b
	default:
		return corruptf("value present for a NULL-typed column")
	}
	return nil
}

// Value returns the canonical Go value of the i-th column from its slot,
// exactly what Decoder.Decode returns for it (nil for Null). Strings and
// byte slices are copied.
func (d *TypedDecoder) Value(i int, s *Slot) (any, error) {
	if s.Null {
		return nil, nil
	}
	if d.err != nil {
		return nil, d.err
	}
	c := &d.cols[d.at[i]]
	var f field
	switch c.kind {
	case kInt8, kInt16, kInt24, kInt32, kInt64, kYear, kTime:
		f = field{wt: wireVarint, u: zigzag(s.I)}
	case kUint8, kUint16, kUint24, kUint32, kUint64, kEnum, kSet, kBit:
		f = field{wt: wireVarint, u: uint64(s.I)}
	case kFloat32:
		f = field{wt: wireFixed32, u: uint64(math.Float32bits(float32(s.F)))}
	case kFloat64:
		f = field{wt: wireFixed64, u: math.Float64bits(s.F)}
	case kDatetime:
		v, err := makeTime(s.I, uint64(s.Nanos), 0)
		if err != nil {
			return nil, c.wrap(err)
		}
		return v, nil
	default:
		f = field{wt: wireBytes, b: s.B}
	}
	v, err := c.value(f, &arena{})
	if err != nil {
		return nil, c.wrap(err)
	}
	return v, nil
}
