package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/quarrydb/quarry/storage/keycodec"
)

// Keyspace layout. Every key starts with one of these bytes:
//
//	0x01 sys  <name>                 catalog records, counters, privileges
//	0x02 data <table u32> <index u32> <encoded key>
//
// Index 0 of a table holds its rows (primary key or, for a keyless table,
// a content hash) and the row value (rowcodec). Index n > 0 holds secondary
// index entries: <encoded index columns><encoded primary key> -> empty
// (a SPATIAL index encodes its geometry column as a quadtree cell, see
// spatial.go).
const (
	prefixSys  = 0x01
	prefixData = 0x02
)

const primaryIndexID = 0

func sysKey(parts ...string) []byte {
	k := []byte{prefixSys}
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0x00)
		}
		k = append(k, p...)
	}
	return k
}

func sysKeyU32(name string, id uint32) []byte {
	k := append([]byte{prefixSys}, name...)
	return binary.BigEndian.AppendUint32(append(k, 0x00), id)
}

func rowCountKey(table uint32) []byte { return sysKeyU32("rowcount", table) }
func autoIncKey(table uint32) []byte  { return sysKeyU32("autoinc", table) }

// indexPrefix returns the key prefix of one index of a table.
func indexPrefix(table, index uint32) []byte {
	k := make([]byte, 9, 32)
	k[0] = prefixData
	binary.BigEndian.PutUint32(k[1:], table)
	binary.BigEndian.PutUint32(k[5:], index)
	return k
}

// tablePrefix returns the prefix of every key of a table.
func tablePrefix(table uint32) []byte {
	k := make([]byte, 5)
	k[0] = prefixData
	binary.BigEndian.PutUint32(k[1:], table)
	return k
}

// keyKind says how a column type is encoded in keys.
type keyKind uint8

const (
	kkInvalid  keyKind = iota
	kkInt              // signed integers, YEAR, TIME (microseconds)
	kkUint             // unsigned integers, ENUM, SET, BIT
	kkFloat            // FLOAT, DOUBLE
	kkDecimal          // DECIMAL
	kkTime             // DATE, DATETIME, TIMESTAMP
	kkBytes            // binary strings
	kkCollated         // strings under a collation
	kkSpatial          // a geometry's quadtree cell (SPATIAL indexes, spatial.go)
)

// keyCol is the precomputed key encoding of one column.
type keyCol struct {
	typ      sql.Type
	kind     keyKind
	prefix   uint16 // prefix length in characters/bytes (0 = whole value)
	collator keycodec.Collator
	// plain is set for plain integer and temporal types, whose Go value
	// converts back losslessly from the decoded key.
	plain bool
}

func newKeyCol(t sql.Type, prefix uint16) (keyCol, error) {
	kc := keyCol{typ: t, prefix: prefix}
	switch {
	case types.IsEnum(t), types.IsSet(t), types.IsBit(t):
		kc.kind = kkUint
	case t == types.Year || t.Type() == sqltypes.Year:
		kc.kind = kkInt
	case types.IsTime(t) || t.Type() == sqltypes.Date:
		kc.kind, kc.plain = kkTime, true
	case t.Type() == sqltypes.Time:
		kc.kind = kkInt
	case types.IsSigned(t):
		kc.kind, kc.plain = kkInt, true
	case types.IsUnsigned(t):
		kc.kind, kc.plain = kkUint, true
	case types.IsFloat(t):
		kc.kind = kkFloat
	case types.IsDecimal(t):
		kc.kind = kkDecimal
	case types.IsTextOnly(t):
		st := t.(sql.StringType)
		coll := st.Collation()
		if sorter := coll.Sorter(); sorter != nil && coll != sql.Collation_binary {
			switch coll.CharacterSet() {
			case sql.CharacterSet_utf8mb4, sql.CharacterSet_utf8mb3:
				kc.collator = keycodec.UTF8Weights(sorter)
			default:
				enc := coll.CharacterSet().Encoder()
				kc.collator = &gmsCollator{next: enc.NextRune, weight: sorter}
			}
			kc.kind = kkCollated
		} else {
			kc.kind = kkBytes
		}
	case types.IsBinaryType(t) || types.IsTextBlob(t):
		kc.kind = kkBytes
	default:
		return kc, fmt.Errorf("storage: column type %s cannot be part of a key", t)
	}
	return kc, nil
}

type gmsCollator struct {
	next   func(string) (rune, int)
	weight sql.CollationSorter
}

func (g *gmsCollator) NextRune(s string) (rune, int) { return g.next(s) }
func (g *gmsCollator) Weight(r rune) int32           { return g.weight(r) }

// decodable reports whether values of the column can be recovered from the
// key alone (so they need not be repeated in the row value).
func (kc keyCol) decodable() bool {
	return kc.plain && kc.prefix == 0
}

// appendKey appends the order-preserving encoding of v.
func (kc keyCol) appendKey(dst []byte, v any) ([]byte, error) {
	if v == nil {
		return keycodec.AppendNull(dst), nil
	}
	switch kc.kind {
	case kkInt:
		n, err := toInt64(v)
		if err != nil {
			return nil, err
		}
		return keycodec.AppendInt(dst, n), nil
	case kkUint:
		n, err := toUint64(v)
		if err != nil {
			return nil, err
		}
		return keycodec.AppendUint(dst, n), nil
	case kkFloat:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		default:
			n, err := toInt64(v)
			if err != nil {
				return nil, err
			}
			f = float64(n)
		}
		return keycodec.AppendFloat64(dst, f)
	case kkDecimal:
		switch x := v.(type) {
		case decimal.Decimal:
			return keycodec.AppendDecimal(dst, x), nil
		case decimal.NullDecimal:
			if !x.Valid {
				return keycodec.AppendNull(dst), nil
			}
			return keycodec.AppendDecimal(dst, x.Decimal), nil
		}
		return nil, fmt.Errorf("storage: unexpected %T for DECIMAL key", v)
	case kkTime:
		tm, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("storage: unexpected %T for temporal key", v)
		}
		return keycodec.AppendTime(dst, tm), nil
	case kkBytes:
		var b []byte
		switch x := v.(type) {
		case []byte:
			b = x
		case string:
			b = []byte(x)
		default:
			return nil, fmt.Errorf("storage: unexpected %T for binary key", v)
		}
		if kc.prefix > 0 && len(b) > int(kc.prefix) {
			b = b[:kc.prefix]
		}
		return keycodec.AppendBytes(dst, b), nil
	case kkCollated:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		default:
			return nil, fmt.Errorf("storage: unexpected %T for string key", v)
		}
		if kc.prefix > 0 {
			s = truncateRunes(s, int(kc.prefix))
		}
		return keycodec.AppendString(dst, s, kc.collator), nil
	case kkSpatial:
		return appendSpatialKey(dst, v)
	}
	return nil, fmt.Errorf("storage: column type %s cannot be part of a key", kc.typ)
}

// decodeKey decodes one value written by appendKey for a decodable column
// and converts it to the Go type GMS uses for the column; BIGINT values
// are boxed from boxes (nil: by Go's conversion).
func (kc keyCol) decodeKey(b []byte, boxes *int64Boxes) (any, []byte, error) {
	if keycodec.IsNull(b) {
		n, err := keycodec.Skip(b)
		if err != nil {
			return nil, nil, err
		}
		return nil, b[n:], nil
	}
	if kc.plain && kc.kind != kkTime {
		if out, rest, ok := kc.decodeIntKey(b, boxes); ok {
			return out, rest, nil
		}
	}
	v, rest, err := keycodec.Decode(b)
	if err != nil {
		return nil, nil, err
	}
	out, _, err := kc.typ.Convert(context.Background(), v)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: convert key value for %s: %w", kc.typ, err)
	}
	return out, rest, nil
}

// decodeIntKey decodes a plain integer column's key value straight into
// the Go type the column's Convert returns (int8 ... uint64), without
// boxing the decoded int64 and converting it through the type; ok is false
// for anything else (a value outside the type's range, malformed bytes),
// which the general path handles. BIGINT values are boxed from boxes
// (nil: by Go's conversion).
func (kc keyCol) decodeIntKey(b []byte, boxes *int64Boxes) (any, []byte, bool) {
	if kc.kind == kkUint {
		u, rest, err := keycodec.DecodeUint(b)
		if err != nil {
			return nil, nil, false
		}
		switch kc.typ.Type() {
		case sqltypes.Uint8:
			if u <= math.MaxUint8 {
				return uint8(u), rest, true
			}
		case sqltypes.Uint16:
			if u <= math.MaxUint16 {
				return uint16(u), rest, true
			}
		case sqltypes.Uint24:
			if u <= 1<<24-1 {
				return uint32(u), rest, true
			}
		case sqltypes.Uint32:
			if u <= math.MaxUint32 {
				return uint32(u), rest, true
			}
		case sqltypes.Uint64:
			return u, rest, true
		}
		return nil, nil, false
	}
	v, rest, err := keycodec.DecodeInt(b)
	if err != nil {
		return nil, nil, false
	}
	switch kc.typ.Type() {
	case sqltypes.Int8:
		if v >= math.MinInt8 && v <= math.MaxInt8 {
			return int8(v), rest, true
		}
	case sqltypes.Int16:
		if v >= math.MinInt16 && v <= math.MaxInt16 {
			return int16(v), rest, true
		}
	case sqltypes.Int24:
		if v >= -1<<23 && v <= 1<<23-1 {
			return int32(v), rest, true
		}
	case sqltypes.Int32:
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			return int32(v), rest, true
		}
	case sqltypes.Int64:
		return boxes.box(v), rest, true
	}
	return nil, nil, false
}

func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		return int64(x), nil
	case types.Timespan:
		return int64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("storage: unexpected %T for integer key", v)
}

func toUint64(v any) (uint64, error) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), nil
	case uint16:
		return uint64(x), nil
	case uint32:
		return uint64(x), nil
	case uint64:
		return x, nil
	case uint:
		return uint64(x), nil
	case int8, int16, int32, int64, int:
		n, _ := toInt64(x)
		return uint64(n), nil
	}
	return 0, fmt.Errorf("storage: unexpected %T for unsigned key", v)
}
