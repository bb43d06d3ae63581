package keycodec

import "bytes"

// Escaping for binary strings: 0x00 is written as 0x00 0xFF and the value
// ends with 0x00 0x01, so a value that is a proper prefix of another sorts
// first and the encoding is self-delimiting.
const (
	escByte  = 0x00
	escFF    = 0xFF // 0x00 0xFF: a literal 0x00 byte
	escTerm  = 0x01 // 0x00 0x01: end of value
	bytesEnd = 2    // length of the terminator
)

// AppendBytes appends the encoding of a binary string (BINARY, VARBINARY,
// BLOB prefixes, binary-collation strings). Encodings are ordered like
// bytes.Compare of the raw values: byte-wise, shorter prefix first. GMS
// pads BINARY(n) values with 0x00 in Convert, so callers must encode the
// converted (padded) value, including for lookup keys.
func AppendBytes(dst []byte, v []byte) []byte {
	dst = append(dst, tagBytes)
	dst = appendEscaped(dst, v)
	return append(dst, escByte, escTerm)
}

// AppendBytesPrefix appends the encoding of v without its terminator. The
// result is a prefix of the encoding of every value that starts with v,
// so [p, PrefixEnd(p)) with p = AppendBytesPrefix(prefix, v) scans exactly
// the keys whose column value starts with v. It is not itself a valid
// encoded value.
func AppendBytesPrefix(dst []byte, v []byte) []byte {
	dst = append(dst, tagBytes)
	return appendEscaped(dst, v)
}

func appendEscaped(dst []byte, v []byte) []byte {
	for {
		i := bytes.IndexByte(v, escByte)
		if i < 0 {
			return append(dst, v...)
		}
		dst = append(dst, v[:i]...)
		dst = append(dst, escByte, escFF)
		v = v[i+1:]
	}
}

// scanBytes scans an escaped value (after its tag), optionally appending
// the unescaped bytes to out. n is the number of bytes consumed, including
// the terminator.
func scanBytes(b []byte, out []byte, decode bool) ([]byte, int, error) {
	n := 0
	for {
		i := bytes.IndexByte(b[n:], escByte)
		if i < 0 || n+i+1 >= len(b) {
			return nil, 0, ErrTruncated
		}
		if decode {
			out = append(out, b[n:n+i]...)
		}
		switch b[n+i+1] {
		case escTerm:
			return out, n + i + bytesEnd, nil
		case escFF:
			if decode {
				out = append(out, escByte)
			}
			n += i + 2
		default:
			return nil, 0, malformed("bad escape in bytes")
		}
	}
}

// DecodeBytes decodes a binary string and returns a fresh (non-nil) copy
// of it together with the remaining bytes.
func DecodeBytes(b []byte) ([]byte, []byte, error) {
	return AppendDecodedBytes(make([]byte, 0, len(b)), b)
}

// AppendDecodedBytes is like DecodeBytes but appends the value to dst.
func AppendDecodedBytes(dst []byte, b []byte) ([]byte, []byte, error) {
	if len(b) == 0 {
		return nil, nil, ErrTruncated
	}
	if b[0] != tagBytes {
		return nil, nil, ErrWrongKind
	}
	out, n, err := scanBytes(b[1:], dst, true)
	if err != nil {
		return nil, nil, err
	}
	return out, b[1+n:], nil
}
