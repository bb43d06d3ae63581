package keycodec

import (
	"math"
	"math/bits"
)

// Ordered varint (after CockroachDB's EncodeVarintAscending). The first
// byte doubles as the integer tag; see the package documentation.
const (
	intMin      = 0x80
	intMaxWidth = 8
	intZero     = intMin + intMaxWidth           // 0x88: encodes 0
	intMax      = 0xFD                           // last valid first byte
	intSmall    = intMax - intZero - intMaxWidth // 109: largest inline value
)

// AppendInt appends the order-preserving encoding of a signed integer. It
// also carries YEAR, TIME (int64 microseconds) and the signed integer
// types. Non-negative values encode exactly like AppendUint, so signed and
// unsigned keys share one numeric order. Values in [0, 109] take one byte.
func AppendInt(dst []byte, v int64) []byte {
	if v >= 0 {
		return AppendUint(dst, uint64(v))
	}
	// -v overflows for MinInt64, but uint64(-v) is then 1<<63, which is
	// the magnitude we want.
	n := (bits.Len64(uint64(-v)) + 7) / 8
	dst = append(dst, byte(intZero-n))
	return appendBigEndian(dst, uint64(v), n)
}

// AppendUint appends the order-preserving encoding of an unsigned integer.
// It also carries ENUM (uint16 index), SET (uint64 bitmask) and BIT.
func AppendUint(dst []byte, v uint64) []byte {
	if v <= intSmall {
		return append(dst, byte(intZero+v))
	}
	n := (bits.Len64(v) + 7) / 8
	dst = append(dst, byte(intMax-intMaxWidth+n))
	return appendBigEndian(dst, v, n)
}

func appendBigEndian(dst []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*uint(i))))
	}
	return dst
}

// varintLen returns the encoded length of the varint at the start of b.
func varintLen(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, ErrTruncated
	}
	var n int
	switch c := int(b[0]); {
	case c < intMin || c > intMax:
		return 0, malformed("bad varint header")
	case c < intZero:
		n = 1 + intZero - c
	case c <= intZero+intSmall:
		n = 1
	default:
		n = 1 + c - (intMax - intMaxWidth)
	}
	if len(b) < n {
		return 0, ErrTruncated
	}
	return n, nil
}

// decodeVarint decodes the varint at the start of b. For negative values u
// is the two's complement bit pattern (int64(u) is the value). It rejects
// non-canonical encodings. n is the number of bytes consumed.
func decodeVarint(b []byte) (neg bool, u uint64, n int, err error) {
	n, err = varintLen(b)
	if err != nil {
		return false, 0, 0, err
	}
	c := int(b[0])
	if n == 1 {
		return false, uint64(c - intZero), 1, nil
	}
	for _, x := range b[1:n] {
		u = u<<8 | uint64(x)
	}
	width := n - 1
	if c < intZero {
		if width < 8 {
			u |= math.MaxUint64 << (8 * uint(width)) // sign-extend
		}
		if int64(u) >= 0 || (bits.Len64(-u)+7)/8 != width {
			return false, 0, 0, malformed("non-canonical negative varint")
		}
		return true, u, n, nil
	}
	if u <= intSmall || (bits.Len64(u)+7)/8 != width {
		return false, 0, 0, malformed("non-canonical varint")
	}
	return false, u, n, nil
}

// decodeSigned decodes a varint that must fit in an int64.
func decodeSigned(b []byte) (int64, int, error) {
	neg, u, n, err := decodeVarint(b)
	if err != nil {
		return 0, 0, err
	}
	if !neg && u > math.MaxInt64 {
		return 0, 0, ErrOutOfRange
	}
	return int64(u), n, nil
}

// DecodeInt decodes an integer that fits in an int64 and returns the
// remaining bytes.
func DecodeInt(b []byte) (int64, []byte, error) {
	if err := expectInt(b); err != nil {
		return 0, nil, err
	}
	v, n, err := decodeSigned(b)
	if err != nil {
		return 0, nil, err
	}
	return v, b[n:], nil
}

// DecodeUint decodes a non-negative integer and returns the remaining
// bytes.
func DecodeUint(b []byte) (uint64, []byte, error) {
	if err := expectInt(b); err != nil {
		return 0, nil, err
	}
	neg, u, n, err := decodeVarint(b)
	if err != nil {
		return 0, nil, err
	}
	if neg {
		return 0, nil, ErrOutOfRange
	}
	return u, b[n:], nil
}

func expectInt(b []byte) error {
	if len(b) == 0 {
		return ErrTruncated
	}
	if b[0] < tagIntMin || b[0] > tagIntMax {
		return ErrWrongKind
	}
	return nil
}
