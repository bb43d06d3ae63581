package keycodec

import (
	"errors"
	"math"
)

// Tag bytes. See the package documentation for the payload of each tag.
const (
	tagNull       = 0x01
	tagFloat      = 0x10
	tagDecimalNeg = 0x14
	tagDecimalZer = 0x15
	tagDecimalPos = 0x16
	tagTime       = 0x18
	tagBytes      = 0x20
	tagString     = 0x28
	tagIntMin     = intMin // first integer tag (0x80)
	tagIntMax     = intMax // last integer tag (0xFD)
)

// Errors returned by decoders and Skip. Decoding errors wrap ErrMalformed or
// ErrTruncated so callers can test with errors.Is.
var (
	// ErrTruncated reports that the input ends inside an encoded value.
	ErrTruncated = errors.New("keycodec: truncated key")
	// ErrMalformed reports bytes that are not a canonical encoding.
	ErrMalformed = errors.New("keycodec: malformed key")
	// ErrWrongKind reports that a typed decoder was applied to a value of
	// another family.
	ErrWrongKind = errors.New("keycodec: unexpected value kind")
	// ErrOutOfRange reports a well-formed value that does not fit the
	// requested Go type (e.g. DecodeInt of a value > MaxInt64).
	ErrOutOfRange = errors.New("keycodec: value out of range for type")
	// ErrNaN is returned by AppendFloat64 for NaN, which has no place in
	// the order (GMS compares NaN as greater than everything, both ways).
	ErrNaN = errors.New("keycodec: NaN cannot be encoded")
	// ErrNotDecodable is returned by Decode for collated strings: the key
	// holds collation weights, from which the string cannot be recovered.
	ErrNotDecodable = errors.New("keycodec: collated string key is not decodable")
)

// Kind is the family of an encoded value, as determined by its tag byte.
type Kind uint8

// Kinds of encoded values.
const (
	KindInvalid Kind = iota
	KindNull
	KindInt
	KindFloat
	KindDecimal
	KindTime
	KindBytes
	KindString
)

var kindNames = [...]string{
	KindInvalid: "invalid",
	KindNull:    "null",
	KindInt:     "int",
	KindFloat:   "float",
	KindDecimal: "decimal",
	KindTime:    "time",
	KindBytes:   "bytes",
	KindString:  "string",
}

// String returns the lower-case name of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

func tagKind(tag byte) Kind {
	switch {
	case tag == tagNull:
		return KindNull
	case tag >= tagIntMin && tag <= tagIntMax:
		return KindInt
	case tag == tagFloat:
		return KindFloat
	case tag == tagDecimalNeg, tag == tagDecimalZer, tag == tagDecimalPos:
		return KindDecimal
	case tag == tagTime:
		return KindTime
	case tag == tagBytes:
		return KindBytes
	case tag == tagString:
		return KindString
	}
	return KindInvalid
}

// PeekKind returns the kind of the first encoded value in b without
// validating its payload. It returns an error if b is empty or the tag is
// unknown.
func PeekKind(b []byte) (Kind, error) {
	if len(b) == 0 {
		return KindInvalid, ErrTruncated
	}
	k := tagKind(b[0])
	if k == KindInvalid {
		return k, malformed("unknown tag")
	}
	return k, nil
}

// AppendNull appends the encoding of SQL NULL, which sorts before every
// other encoded value.
func AppendNull(dst []byte) []byte {
	return append(dst, tagNull)
}

// IsNull reports whether the first encoded value in b is NULL.
func IsNull(b []byte) bool {
	return len(b) > 0 && b[0] == tagNull
}

// Skip returns the length of the first encoded value in b, so a composite
// key can be split into columns without knowing its schema. It validates
// the structure needed to find the end of the value (and, for collated
// strings, every weight), but not every canonical-form rule that the
// decoders check.
func Skip(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, ErrTruncated
	}
	switch tag := b[0]; {
	case tag == tagNull, tag == tagDecimalZer:
		return 1, nil
	case tag >= tagIntMin && tag <= tagIntMax:
		return varintLen(b)
	case tag == tagFloat:
		if len(b) < 1+8 {
			return 0, ErrTruncated
		}
		return 1 + 8, nil
	case tag == tagDecimalPos, tag == tagDecimalNeg:
		return skipDecimal(b)
	case tag == tagTime:
		return skipTime(b)
	case tag == tagBytes:
		_, n, err := scanBytes(b[1:], nil, false)
		return 1 + n, err
	case tag == tagString:
		n, err := skipWeights(b[1:])
		return 1 + n, err
	}
	return 0, malformed("unknown tag")
}

// Decode decodes the first encoded value in b and returns it as a canonical
// Go value together with the remaining bytes:
//
//	NULL            nil
//	integer         int64, or uint64 if the value exceeds math.MaxInt64
//	float           float64
//	DECIMAL         decimal.Decimal (an equal value; trailing zeros removed)
//	time            time.Time in UTC
//	bytes           []byte (a fresh copy, non-nil)
//	collated string nil with ErrNotDecodable; rest is still valid
//
// Decoding rejects non-canonical encodings, so a successfully decoded value
// re-encodes to exactly the consumed bytes.
func Decode(b []byte) (v any, rest []byte, err error) {
	if len(b) == 0 {
		return nil, nil, ErrTruncated
	}
	switch tag := b[0]; {
	case tag == tagNull:
		return nil, b[1:], nil
	case tag >= tagIntMin && tag <= tagIntMax:
		neg, u, n, err := decodeVarint(b)
		if err != nil {
			return nil, nil, err
		}
		if !neg && u > math.MaxInt64 {
			return u, b[n:], nil
		}
		return int64(u), b[n:], nil
	case tag == tagFloat:
		return wrapDecode(DecodeFloat64(b))
	case tag == tagDecimalNeg, tag == tagDecimalZer, tag == tagDecimalPos:
		return wrapDecode(DecodeDecimal(b))
	case tag == tagTime:
		return wrapDecode(DecodeTime(b))
	case tag == tagBytes:
		return wrapDecode(DecodeBytes(b))
	case tag == tagString:
		n, err := Skip(b)
		if err != nil {
			return nil, nil, err
		}
		return nil, b[n:], ErrNotDecodable
	}
	return nil, nil, malformed("unknown tag")
}

func wrapDecode[T any](v T, rest []byte, err error) (any, []byte, error) {
	if err != nil {
		return nil, nil, err
	}
	return v, rest, nil
}

// PrefixEnd returns the smallest key that is greater than every key having
// key as a prefix, i.e. the exclusive upper bound of a prefix scan. It
// returns nil if there is no such key (key is empty or all 0xFF). The
// result is a new slice; key is not modified.
func PrefixEnd(key []byte) []byte {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] != 0xFF {
			end := make([]byte, i+1)
			copy(end, key)
			end[i]++
			return end
		}
	}
	return nil
}

type malformedError string

func (e malformedError) Error() string { return "keycodec: malformed key: " + string(e) }

func (e malformedError) Unwrap() error { return ErrMalformed }

func malformed(msg string) error { return malformedError(msg) }
