package keycodec

import (
	"encoding/binary"
	"math"
	"unicode/utf8"
)

// Collator supplies the two pieces of a collation that GMS's
// StringType.Compare uses: the character set's rune decoder and the
// collation's per-rune weight. A GMS adapter is
//
//	NextRune: collation.CharacterSet().Encoder().NextRune
//	Weight:   collation.Sorter()
//
// (for every GMS character set except binary, NextRune is
// utf8.DecodeRuneInString, see UTF8Weights).
type Collator interface {
	// NextRune decodes the first rune of s and returns it with its size
	// in bytes. s is never empty.
	NextRune(s string) (r rune, size int)
	// Weight returns the collation weight of r. Runes with equal weights
	// compare equal.
	Weight(r rune) int32
}

// UTF8Weights is a Collator for UTF-8 strings whose weights come from a
// per-rune function, such as a GMS sql.CollationSorter:
//
//	keycodec.UTF8Weights(collationID.Sorter())
type UTF8Weights func(r rune) int32

// NextRune implements Collator with utf8.DecodeRuneInString.
func (UTF8Weights) NextRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }

// Weight implements Collator.
func (f UTF8Weights) Weight(r rune) int32 { return f(r) }

// Weight classes. Each class covers a contiguous range of weights that
// starts where the previous one ends, so every weight has exactly one
// encoding and class order equals weight order.
const (
	strTerm = 0x00 // ends a collated string; below every weight byte

	wNeg   = 0x01 // + 4 bytes: negative weights
	w1Min  = 0x02 // 0x02..0x7F: 1 byte
	w2Min  = 0x80 // 0x80..0xBF + 1 byte
	w3Min  = 0xC0 // 0xC0..0xDF + 2 bytes
	w4Min  = 0xE0 // 0xE0..0xEF + 3 bytes
	w5Tag  = 0xF0 // + 4 bytes
	w2Base = 0x80 - w1Min
	w3Base = w2Base + 1<<14
	w4Base = w3Base + 1<<21
	w5Base = w4Base + 1<<28
)

// AppendString appends the encoding of s under collation c: the sequence
// of c.Weight of each rune returned by c.NextRune, followed by a 0x00
// terminator. This reproduces GMS's StringType.Compare exactly: the first
// differing weight decides, and if one weight sequence is a prefix of the
// other the shorter string sorts first. Like GMS (and unlike MySQL's PAD
// SPACE collations) trailing spaces are significant.
//
// Strings with equal weights encode identically (e.g. 'a' and 'A' under a
// case-insensitive collation), so the encoding cannot be decoded: Decode
// returns ErrNotDecodable, but Skip works.
//
// Invalid input never panics. A rune that the Collator returns is weighted
// as is: for UTF-8 an invalid byte decodes as (utf8.RuneError, 1), so it
// weighs like U+FFFD, which is also what GMS's Compare does. If NextRune
// reports a size < 1 or larger than the rest of s, one byte is consumed and
// weighted as utf8.RuneError.
func AppendString(dst []byte, s string, c Collator) []byte {
	dst = AppendStringPrefix(dst, s, c)
	return append(dst, strTerm)
}

// AppendStringPrefix appends the encoding of s without its terminator. The
// result is a prefix of the encoding of every string whose weight sequence
// starts with that of s (for example, LIKE 's%' under the collation), so
// [p, PrefixEnd(p)) scans exactly those keys. It is not itself a valid
// encoded value.
func AppendStringPrefix(dst []byte, s string, c Collator) []byte {
	dst = append(dst, tagString)
	if f, ok := c.(UTF8Weights); ok {
		// Fast path without interface calls; same result.
		for len(s) > 0 {
			r, size := utf8.DecodeRuneInString(s)
			dst = appendWeight(dst, f(r))
			s = s[size:]
		}
		return dst
	}
	for len(s) > 0 {
		r, size := c.NextRune(s)
		if size < 1 || size > len(s) {
			r, size = utf8.RuneError, 1
		}
		dst = appendWeight(dst, c.Weight(r))
		s = s[size:]
	}
	return dst
}

// AppendWeights appends the encoding of a collated string given its
// weight sequence directly; AppendString(dst, s, c) is equivalent to
// AppendWeights with the weights of s.
func AppendWeights(dst []byte, weights []int32) []byte {
	dst = append(dst, tagString)
	for _, w := range weights {
		dst = appendWeight(dst, w)
	}
	return append(dst, strTerm)
}

func appendWeight(dst []byte, w int32) []byte {
	switch {
	case w < 0:
		dst = append(dst, wNeg)
		return binary.BigEndian.AppendUint32(dst, uint32(w))
	case w < w2Base:
		return append(dst, byte(w1Min+w))
	case w < w3Base:
		x := uint32(w - w2Base)
		return append(dst, byte(w2Min|x>>8), byte(x))
	case w < w4Base:
		x := uint32(w - w3Base)
		return append(dst, byte(w3Min|x>>16), byte(x>>8), byte(x))
	case w < w5Base:
		x := uint32(w - w4Base)
		return append(dst, byte(w4Min|x>>24), byte(x>>16), byte(x>>8), byte(x))
	default:
		dst = append(dst, w5Tag)
		return binary.BigEndian.AppendUint32(dst, uint32(w-w5Base))
	}
}

// decodeWeight decodes one weight at the start of b (b[0] != strTerm).
func decodeWeight(b []byte) (int32, int, error) {
	c := b[0]
	var n int
	switch {
	case c == wNeg, c == w5Tag:
		n = 5
	case c < w2Min:
		return int32(c) - w1Min, 1, nil
	case c < w3Min:
		n = 2
	case c < w4Min:
		n = 3
	case c < w5Tag:
		n = 4
	default:
		return 0, 0, malformed("bad weight header")
	}
	if len(b) < n {
		return 0, 0, ErrTruncated
	}
	switch n {
	case 2:
		return w2Base + (int32(c&^w2Min)<<8 | int32(b[1])), 2, nil
	case 3:
		return w3Base + (int32(c&^w3Min)<<16 | int32(b[1])<<8 | int32(b[2])), 3, nil
	case 4:
		return w4Base + (int32(c&^w4Min)<<24 | int32(b[1])<<16 | int32(b[2])<<8 | int32(b[3])), 4, nil
	}
	x := binary.BigEndian.Uint32(b[1:5])
	if c == wNeg {
		if x < 1<<31 {
			return 0, 0, malformed("non-negative weight in negative class")
		}
		return int32(x), 5, nil
	}
	if x > math.MaxInt32-w5Base {
		return 0, 0, malformed("weight out of range")
	}
	return int32(x) + w5Base, 5, nil
}

// skipWeights returns the length of a weight sequence including its
// terminator, validating every weight.
func skipWeights(b []byte) (int, error) {
	n := 0
	for {
		if n >= len(b) {
			return 0, ErrTruncated
		}
		if b[n] == strTerm {
			return n + 1, nil
		}
		_, m, err := decodeWeight(b[n:])
		if err != nil {
			return 0, err
		}
		n += m
	}
}

// DecodeWeights decodes a collated string into its weight sequence and
// returns the remaining bytes. The weights are all that the key retains
// of the string; AppendWeights re-encodes them to the same bytes.
func DecodeWeights(b []byte) ([]int32, []byte, error) {
	if len(b) == 0 {
		return nil, nil, ErrTruncated
	}
	if b[0] != tagString {
		return nil, nil, ErrWrongKind
	}
	weights := []int32{}
	n := 1
	for {
		if n >= len(b) {
			return nil, nil, ErrTruncated
		}
		if b[n] == strTerm {
			return weights, b[n+1:], nil
		}
		w, m, err := decodeWeight(b[n:])
		if err != nil {
			return nil, nil, err
		}
		weights = append(weights, w)
		n += m
	}
}
