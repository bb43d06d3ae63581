package sqlserver

import (
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// convertExactInt is convertExact for an integer literal (int64, or uint64
// above MaxInt64, as paramInt and the binder make them) and one of GMS's
// integer column types, without the types' generic conversions (a learned
// select_random_ranges converts twenty literals per execution); known is
// false for anything else, which convertExactGeneric handles. The values
// are the Go types the types' Convert returns: int8, int16, int32 (also
// MEDIUMINT), int64 and their unsigned counterparts.
func convertExactInt(val any, typ sql.Type) (v any, ok, known bool) {
	var lo, hi int64
	var ulimit uint64
	signed := true
	switch typ {
	case types.Int64:
		lo, hi = math.MinInt64, math.MaxInt64
	case types.Int32:
		lo, hi = math.MinInt32, math.MaxInt32
	case types.Int24:
		lo, hi = -1<<23, 1<<23-1
	case types.Int16:
		lo, hi = math.MinInt16, math.MaxInt16
	case types.Int8:
		lo, hi = math.MinInt8, math.MaxInt8
	case types.Uint64:
		signed, ulimit = false, math.MaxUint64
	case types.Uint32:
		signed, ulimit = false, math.MaxUint32
	case types.Uint24:
		signed, ulimit = false, 1<<24-1
	case types.Uint16:
		signed, ulimit = false, math.MaxUint16
	case types.Uint8:
		signed, ulimit = false, math.MaxUint8
	default:
		return nil, false, false
	}
	var n int64
	var u uint64
	switch x := val.(type) {
	case int64:
		n = x
		if !signed {
			if x < 0 {
				return nil, false, true
			}
			u = uint64(x)
		}
	case uint64:
		if signed {
			if x > math.MaxInt64 {
				return nil, false, true
			}
			n = int64(x)
		}
		u = x
	default:
		return nil, false, false
	}
	if signed {
		if n < lo || n > hi {
			return nil, false, true
		}
		switch typ {
		case types.Int64:
			return n, true, true
		case types.Int32, types.Int24:
			return int32(n), true, true
		case types.Int16:
			return int16(n), true, true
		}
		return int8(n), true, true
	}
	if u > ulimit {
		return nil, false, true
	}
	switch typ {
	case types.Uint64:
		return u, true, true
	case types.Uint32, types.Uint24:
		return uint32(u), true, true
	case types.Uint16:
		return uint16(u), true, true
	}
	return uint8(u), true, true
}
