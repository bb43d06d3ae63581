package keycodec

import (
	"encoding/binary"
	"math"
)

// AppendFloat64 appends the order-preserving encoding of f. FLOAT columns
// are encoded after widening to float64, which is exact and is what GMS
// compares. -0 and +0 encode identically (GMS compares them equal); -Inf
// and +Inf sort first and last. NaN is rejected with ErrNaN and dst is
// returned unchanged.
func AppendFloat64(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) {
		return dst, ErrNaN
	}
	if f == 0 {
		f = 0 // turns -0 into +0
	}
	u := math.Float64bits(f)
	if u&(1<<63) != 0 {
		u = ^u
	} else {
		u |= 1 << 63
	}
	dst = append(dst, tagFloat)
	return binary.BigEndian.AppendUint64(dst, u), nil
}

// DecodeFloat64 decodes a float and returns the remaining bytes. It
// rejects the encodings of NaN and -0, which AppendFloat64 never produces.
func DecodeFloat64(b []byte) (float64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, ErrTruncated
	}
	if b[0] != tagFloat {
		return 0, nil, ErrWrongKind
	}
	if len(b) < 9 {
		return 0, nil, ErrTruncated
	}
	u := binary.BigEndian.Uint64(b[1:9])
	if u&(1<<63) != 0 {
		u &^= 1 << 63
	} else {
		u = ^u
	}
	f := math.Float64frombits(u)
	if math.IsNaN(f) {
		return 0, nil, malformed("NaN float")
	}
	if f == 0 && math.Signbit(f) {
		return 0, nil, malformed("negative zero float")
	}
	return f, b[9:], nil
}
