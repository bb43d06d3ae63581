package rowcodec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// FormatVersion is the first byte of every encoded row.
const FormatVersion byte = 1

// MaxDepth bounds the nesting of JSON containers and geometry collections on
// both encode and decode. It matches encoding/json's own nesting limit, so any
// document GMS can parse can be stored.
const MaxDepth = 10000

// Wire types (protocol buffers numbering).
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

var (
	// ErrCorrupt is wrapped by every error caused by malformed encoded input.
	ErrCorrupt = errors.New("rowcodec: corrupt row")
	// ErrUnsupportedVersion is returned for rows whose version byte is unknown.
	ErrUnsupportedVersion = errors.New("rowcodec: unsupported row format version")
	// ErrUnsupportedType is returned when a column's sql.Type has no encoding.
	ErrUnsupportedType = errors.New("rowcodec: unsupported column type")
	// ErrInvalidSchema is returned for column lists with duplicate IDs or nil types.
	ErrInvalidSchema = errors.New("rowcodec: invalid column list")
	// ErrValueType is returned when Append receives a value that is not, and
	// cannot be converted to, the column type's Go value type.
	ErrValueType = errors.New("rowcodec: value has wrong Go type for column")
)

func zigzag(x int64) uint64 { return uint64(x<<1) ^ uint64(x>>63) }

func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// appendTag appends the tag of an entry for column id with wire type wt.
func appendTag(dst []byte, id uint32, wt uint64) []byte {
	return binary.AppendUvarint(dst, uint64(id)<<3|wt)
}

// appendBytesField appends a length-delimited payload.
func appendBytesField(dst []byte, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendStringField(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// beginLen reserves one byte for the length prefix of a payload whose size is
// not known in advance; endLen fills it in, moving the payload if the length
// needs more than one byte.
func beginLen(dst []byte) ([]byte, int) {
	return append(dst, 0), len(dst)
}

func endLen(dst []byte, start int) []byte {
	n := len(dst) - start - 1
	if n < 0x80 {
		dst[start] = byte(n)
		return dst
	}
	k := uvarintLen(uint64(n))
	dst = append(dst, make([]byte, k-1)...)
	copy(dst[start+k:], dst[start+1:start+1+n])
	binary.PutUvarint(dst[start:], uint64(n))
	return dst
}

// field is one decoded entry payload. For wireBytes b holds the payload (a
// sub-slice of the source), otherwise u holds the integer or raw fixed bits.
type field struct {
	wt uint64
	u  uint64
	b  []byte
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// readTag reads an entry tag at pos.
func readTag(src []byte, pos int) (id uint32, wt uint64, next int, err error) {
	tag, n := binary.Uvarint(src[pos:])
	if n <= 0 {
		return 0, 0, pos, corruptf("bad tag varint at offset %d", pos)
	}
	if tag>>3 > math.MaxUint32 {
		return 0, 0, pos, corruptf("column id %d out of range at offset %d", tag>>3, pos)
	}
	return uint32(tag >> 3), tag & 7, pos + n, nil
}

// readField reads the payload of wire type wt at pos.
func readField(src []byte, pos int, wt uint64) (f field, next int, err error) {
	f.wt = wt
	switch wt {
	case wireVarint:
		u, n := binary.Uvarint(src[pos:])
		if n <= 0 {
			return f, pos, corruptf("bad varint at offset %d", pos)
		}
		f.u = u
		return f, pos + n, nil
	case wireFixed64:
		if len(src)-pos < 8 {
			return f, pos, corruptf("truncated fixed64 at offset %d", pos)
		}
		f.u = binary.LittleEndian.Uint64(src[pos:])
		return f, pos + 8, nil
	case wireFixed32:
		if len(src)-pos < 4 {
			return f, pos, corruptf("truncated fixed32 at offset %d", pos)
		}
		f.u = uint64(binary.LittleEndian.Uint32(src[pos:]))
		return f, pos + 4, nil
	case wireBytes:
		l, n := binary.Uvarint(src[pos:])
		if n <= 0 {
			return f, pos, corruptf("bad length varint at offset %d", pos)
		}
		start := pos + n
		if l > uint64(len(src)-start) {
			return f, pos, corruptf("length %d at offset %d exceeds row", l, pos)
		}
		end := start + int(l)
		f.b = src[start:end:end]
		return f, end, nil
	default:
		return f, pos, corruptf("invalid wire type %d before offset %d", wt, pos)
	}
}

// reader is a bounds-checked cursor used by the nested sub-formats.
type reader struct {
	b   []byte
	off int
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) uvarint() (uint64, error) {
	u, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		return 0, corruptf("bad varint at offset %d", r.off)
	}
	r.off += n
	return u, nil
}

func (r *reader) readByte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, corruptf("unexpected end of data")
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) next(n int) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, corruptf("length %d at offset %d exceeds data", n, r.off)
	}
	b := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return b, nil
}

// lenPrefixed reads uvarint(len) followed by len bytes.
func (r *reader) lenPrefixed() ([]byte, error) {
	l, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	if l > uint64(r.remaining()) {
		return nil, corruptf("length %d at offset %d exceeds data", l, r.off)
	}
	return r.next(int(l))
}
