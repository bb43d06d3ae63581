package rowcodec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"
)

// JSON sub-format value tags; see the package documentation.
const (
	jNull byte = iota
	jFalse
	jTrue
	jFloat64
	jInt64
	jUint64
	jString
	jDecimal
	jArray
	jObject
	jInt
	jInt8
	jInt16
	jInt32
	jUint
	jUint8
	jUint16
	jUint32
	jFloat32
	jTime
)

// jsonDecimalShape keeps decimals inside JSON documents exactly as written.
var jsonDecimalShape = decimalShape{}

// appendJSONValue appends v, a JSON document's Go value tree, to dst. It
// accepts every value GMS's own JSON renderer (types.JsonToMySqlString)
// accepts, in the same precedence order.
func appendJSONValue(dst []byte, v any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return dst, fmt.Errorf("JSON nesting exceeds %d levels", MaxDepth)
	}
	switch x := v.(type) {
	case nil:
		return append(dst, jNull), nil
	case bool:
		if x {
			return append(dst, jTrue), nil
		}
		return append(dst, jFalse), nil
	case string:
		return appendStringField(append(dst, jString), x), nil
	case float64:
		return binary.LittleEndian.AppendUint64(append(dst, jFloat64), math.Float64bits(x)), nil
	case int64:
		return binary.AppendUvarint(append(dst, jInt64), zigzag(x)), nil
	case uint64:
		return binary.AppendUvarint(append(dst, jUint64), x), nil
	case []any:
		dst = binary.AppendUvarint(append(dst, jArray), uint64(len(x)))
		for _, e := range x {
			var err error
			if dst, err = appendJSONValue(dst, e, depth+1); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = binary.AppendUvarint(append(dst, jObject), uint64(len(keys)))
		for _, k := range keys {
			dst = appendStringField(dst, k)
			var err error
			if dst, err = appendJSONValue(dst, x[k], depth+1); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = binary.AppendUvarint(append(dst, jObject), uint64(len(keys)))
		for _, k := range keys {
			dst = appendStringField(dst, k)
			dst = appendStringField(append(dst, jString), x[k])
		}
		return dst, nil
	case decimal.Decimal:
		dst, start := beginLen(append(dst, jDecimal))
		dst = appendDecimalPayload(dst, x, jsonDecimalShape)
		return endLen(dst, start), nil
	case int:
		return binary.AppendUvarint(append(dst, jInt), zigzag(int64(x))), nil
	case int8:
		return binary.AppendUvarint(append(dst, jInt8), zigzag(int64(x))), nil
	case int16:
		return binary.AppendUvarint(append(dst, jInt16), zigzag(int64(x))), nil
	case int32:
		return binary.AppendUvarint(append(dst, jInt32), zigzag(int64(x))), nil
	case uint:
		return binary.AppendUvarint(append(dst, jUint), uint64(x)), nil
	case uint8:
		return binary.AppendUvarint(append(dst, jUint8), uint64(x)), nil
	case uint16:
		return binary.AppendUvarint(append(dst, jUint16), uint64(x)), nil
	case uint32:
		return binary.AppendUvarint(append(dst, jUint32), uint64(x)), nil
	case float32:
		return binary.LittleEndian.AppendUint32(append(dst, jFloat32), math.Float32bits(x)), nil
	case time.Time:
		_, off := x.Zone()
		dst = binary.AppendUvarint(append(dst, jTime), zigzag(x.Unix()))
		dst = binary.AppendUvarint(dst, uint64(x.Nanosecond()))
		return binary.AppendUvarint(dst, zigzag(int64(off))), nil
	case sql.JSONWrapper:
		inner, err := x.ToInterface()
		if err != nil {
			return dst, err
		}
		return appendJSONValue(dst, inner, depth+1)
	case json.Marshaler:
		b, err := x.MarshalJSON()
		if err != nil {
			return dst, err
		}
		var inner any
		if err := json.Unmarshal(b, &inner); err != nil {
			return dst, err
		}
		return appendJSONValue(dst, inner, depth)
	}
	// Same reflective fallbacks as GMS's JSON renderer.
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Slice, reflect.Array:
		n := r.Len()
		dst = binary.AppendUvarint(append(dst, jArray), uint64(n))
		for i := range n {
			var err error
			if dst, err = appendJSONValue(dst, r.Index(i).Interface(), depth+1); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case reflect.Map:
		m := make(map[string]any, r.Len())
		for _, k := range r.MapKeys() {
			m[k.String()] = r.MapIndex(k).Interface()
		}
		return appendJSONValue(dst, m, depth)
	}
	return dst, fmt.Errorf("%w: unsupported JSON value of Go type %T", ErrValueType, v)
}

// decodeJSONValue decodes one value of the JSON sub-format.
func decodeJSONValue(r *reader, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, corruptf("JSON nesting exceeds %d levels", MaxDepth)
	}
	tag, err := r.readByte()
	if err != nil {
		return nil, err
	}
	switch tag {
	case jNull:
		return nil, nil
	case jFalse:
		return false, nil
	case jTrue:
		return true, nil
	case jFloat64:
		b, err := r.next(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
	case jFloat32:
		b, err := r.next(4)
		if err != nil {
			return nil, err
		}
		return math.Float32frombits(binary.LittleEndian.Uint32(b)), nil
	case jString:
		b, err := r.lenPrefixed()
		if err != nil {
			return nil, err
		}
		return string(b), nil
	case jDecimal:
		b, err := r.lenPrefixed()
		if err != nil {
			return nil, err
		}
		return decodeDecimalPayload(b, jsonDecimalShape)
	case jArray:
		n, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		if n > uint64(r.remaining()) { // every element takes at least one byte
			return nil, corruptf("JSON array length %d exceeds data", n)
		}
		arr := make([]any, n)
		for i := range arr {
			if arr[i], err = decodeJSONValue(r, depth+1); err != nil {
				return nil, err
			}
		}
		return arr, nil
	case jObject:
		n, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		if n > uint64(r.remaining()/2) { // every member takes at least two bytes
			return nil, corruptf("JSON object size %d exceeds data", n)
		}
		obj := make(map[string]any, n)
		for range n {
			k, err := r.lenPrefixed()
			if err != nil {
				return nil, err
			}
			v, err := decodeJSONValue(r, depth+1)
			if err != nil {
				return nil, err
			}
			obj[string(k)] = v
		}
		if uint64(len(obj)) != n {
			return nil, corruptf("duplicate JSON object key")
		}
		return obj, nil
	case jTime:
		s, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		ns, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		off, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		return makeTime(unzigzag(s), ns, unzigzag(off))
	}
	if tag != jInt64 && tag != jUint64 && (tag < jInt || tag > jUint32) {
		return nil, corruptf("unknown JSON value tag 0x%02x", tag)
	}
	u, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	switch tag {
	case jInt64:
		return unzigzag(u), nil
	case jUint64:
		return u, nil
	case jInt:
		i := unzigzag(u)
		if int64(int(i)) != i {
			return nil, corruptf("JSON int %d out of range", i)
		}
		return int(i), nil
	case jInt8:
		i := unzigzag(u)
		if i < math.MinInt8 || i > math.MaxInt8 {
			return nil, corruptf("JSON int8 %d out of range", i)
		}
		return int8(i), nil
	case jInt16:
		i := unzigzag(u)
		if i < math.MinInt16 || i > math.MaxInt16 {
			return nil, corruptf("JSON int16 %d out of range", i)
		}
		return int16(i), nil
	case jInt32:
		i := unzigzag(u)
		if i < math.MinInt32 || i > math.MaxInt32 {
			return nil, corruptf("JSON int32 %d out of range", i)
		}
		return int32(i), nil
	case jUint:
		if uint64(uint(u)) != u {
			return nil, corruptf("JSON uint %d out of range", u)
		}
		return uint(u), nil
	case jUint8:
		if u > math.MaxUint8 {
			return nil, corruptf("JSON uint8 %d out of range", u)
		}
		return uint8(u), nil
	case jUint16:
		if u > math.MaxUint16 {
			return nil, corruptf("JSON uint16 %d out of range", u)
		}
		return uint16(u), nil
	default: // jUint32
		if u > math.MaxUint32 {
			return nil, corruptf("JSON uint32 %d out of range", u)
		}
		return uint32(u), nil
	}
}

// makeTime rebuilds a time.Time from unix seconds, nanoseconds and a zone
// offset in seconds east of UTC (offset 0 means UTC).
func makeTime(sec int64, nsec uint64, off int64) (time.Time, error) {
	if nsec >= 1e9 {
		return time.Time{}, corruptf("nanoseconds %d out of range", nsec)
	}
	if off < -24*3600 || off > 24*3600 {
		return time.Time{}, corruptf("zone offset %d out of range", off)
	}
	t := time.Unix(sec, int64(nsec))
	if off == 0 {
		return t.UTC(), nil
	}
	return t.In(time.FixedZone("", int(off))), nil
}
