package keycodec

import "time"

// AppendTime appends the encoding of t, ordered by instant (time.Time's
// Before/After, which is what GMS's datetime Compare uses). The location
// and monotonic clock reading are dropped: the same instant in different
// time zones encodes identically. The encoding is lossless to the
// nanosecond for every time.Time whose Unix seconds fit in an int64, which
// includes all of years 0000..9999 (unlike UnixNano, which overflows after
// 2262).
//
// DATE, DATETIME(p) and TIMESTAMP(p) share this encoding; callers must
// apply GMS's conversion first (rounding to the column precision, and for
// DATE truncation to the day), because GMS compares the converted values.
func AppendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, tagTime)
	dst = AppendInt(dst, t.Unix())
	return AppendUint(dst, uint64(t.Nanosecond()))
}

func skipTime(b []byte) (int, error) {
	n1, err := varintLen(b[1:])
	if err != nil {
		return 0, err
	}
	n2, err := varintLen(b[1+n1:])
	if err != nil {
		return 0, err
	}
	return 1 + n1 + n2, nil
}

// DecodeTime decodes a time and returns it in UTC together with the
// remaining bytes.
func DecodeTime(b []byte) (time.Time, []byte, error) {
	if len(b) == 0 {
		return time.Time{}, nil, ErrTruncated
	}
	if b[0] != tagTime {
		return time.Time{}, nil, ErrWrongKind
	}
	sec, n1, err := decodeSigned(b[1:])
	if err != nil {
		return time.Time{}, nil, err
	}
	neg, nsec, n2, err := decodeVarint(b[1+n1:])
	if err != nil {
		return time.Time{}, nil, err
	}
	if neg || nsec >= 1e9 {
		return time.Time{}, nil, malformed("time nanoseconds out of range")
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	if t.Unix() != sec {
		return time.Time{}, nil, ErrOutOfRange
	}
	return t, b[1+n1+n2:], nil
}
