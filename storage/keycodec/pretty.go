package keycodec

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Pretty renders a composite key for test output and debugging, one
// "/"-prefixed segment per encoded value, e.g.
//
//	/7/'abc'/NULL/1.5/2.5f/2024-01-02T03:04:05.5Z/w[61 62]
//
// Integers and DECIMALs print as numbers, floats with an "f" suffix (or
// +Inf/-Inf), times in RFC 3339 UTC, binary strings as 'text' when
// printable ASCII and x'hex' otherwise, and collated strings as their
// hexadecimal weights w[...]. A malformed segment prints as
// /!err(reason):x'remaining bytes' and ends the output. Pretty never
// panics. The empty key prints as "".
func Pretty(key []byte) string {
	var sb strings.Builder
	for len(key) > 0 {
		sb.WriteByte('/')
		n, err := prettyValue(&sb, key)
		if err != nil {
			sb.WriteString("!err(")
			sb.WriteString(err.Error())
			sb.WriteString("):x'")
			sb.WriteString(hex.EncodeToString(key))
			sb.WriteByte('\'')
			break
		}
		key = key[n:]
	}
	return sb.String()
}

func prettyValue(sb *strings.Builder, b []byte) (int, error) {
	if len(b) > 0 && b[0] == tagString {
		weights, rest, err := DecodeWeights(b)
		if err != nil {
			return 0, err
		}
		sb.WriteString("w[")
		for i, w := range weights {
			if i > 0 {
				sb.WriteByte(' ')
			}
			if w < 0 {
				sb.WriteByte('-')
				sb.WriteString(strconv.FormatInt(-int64(w), 16))
			} else {
				sb.WriteString(strconv.FormatInt(int64(w), 16))
			}
		}
		sb.WriteByte(']')
		return len(b) - len(rest), nil
	}
	v, rest, err := Decode(b)
	if err != nil {
		return 0, err
	}
	switch v := v.(type) {
	case nil:
		sb.WriteString("NULL")
	case int64:
		sb.WriteString(strconv.FormatInt(v, 10))
	case uint64:
		sb.WriteString(strconv.FormatUint(v, 10))
	case float64:
		switch {
		case math.IsInf(v, 1):
			sb.WriteString("+Inf")
		case math.IsInf(v, -1):
			sb.WriteString("-Inf")
		default:
			sb.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			sb.WriteByte('f')
		}
	case time.Time:
		sb.WriteString(v.Format(time.RFC3339Nano))
	case []byte:
		if printable(v) {
			sb.WriteByte('\'')
			sb.Write(v)
			sb.WriteByte('\'')
		} else {
			sb.WriteString("x'")
			sb.WriteString(hex.EncodeToString(v))
			sb.WriteByte('\'')
		}
	case decimal.Decimal:
		writeDecimal(sb, v)
	}
	return len(b) - len(rest), nil
}

func printable(v []byte) bool {
	for _, c := range v {
		if c < 0x20 || c > 0x7E || c == '\'' || c == '\\' {
			return false
		}
	}
	return true
}

// writeDecimal prints d in plain notation, or as <coefficient>e<exponent>
// when plain notation would be long (decimal.String of 1×10^MaxInt32 would
// allocate gigabytes).
func writeDecimal(sb *strings.Builder, d decimal.Decimal) {
	if e := d.Exponent(); e >= -maxPlainDecimalExp && e <= maxPlainDecimalExp {
		sb.WriteString(d.String())
		return
	}
	sb.WriteString(d.Coefficient().String())
	sb.WriteByte('e')
	sb.WriteString(strconv.FormatInt(int64(d.Exponent()), 10))
}

const maxPlainDecimalExp = 100
