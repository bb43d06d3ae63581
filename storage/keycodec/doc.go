// Package keycodec owns the byte encoding of SQL index keys: an
// order-preserving, self-delimiting encoding of individual column values
// that are concatenated into composite keys and compared with
// bytes.Compare by the storage engine.
//
// The package is deliberately independent of go-mysql-server (GMS); the
// caller converts GMS values (after sql.Type.Convert) to the Go types
// accepted here. Its tests check the encoding against GMS's own
// sql.Type.Compare, because GMS drops ORDER BY when an index matches and
// turns WHERE clauses into ranges over these keys: if the byte order and
// GMS's order disagree, queries silently return wrong results.
//
// # Format invariants
//
//  1. Every encoded value starts with a tag byte that determines its family
//     (see the table below). Tag 0x00 and tags 0xFE, 0xFF are never
//     produced, so callers may use them as sentinels below/above every
//     encoded value.
//  2. Order: for two values of the same family, bytes.Compare of their
//     encodings equals the comparison of the values (GMS semantics, see
//     each Append function). NULL (0x01) sorts before every non-NULL value,
//     which is MySQL's ascending order and GMS's range-cut order.
//  3. Self-delimiting and prefix-free: the length of an encoded value is
//     determined by its bytes alone (Skip), and no encoded value is a
//     proper prefix of another. Hence concatenated encodings compare
//     lexicographically column by column, and a composite key sorts before
//     all of its extensions.
//  4. Canonical: values that compare equal encode to identical bytes
//     (+0/-0, 1.0/1.00, the same instant in different time zones, strings
//     with the same collation weights). Decoders reject non-canonical
//     input, so anything that decodes re-encodes to the same bytes.
//  5. The format is persistent: the pinned-bytes tests must not change.
//
// # Tags
//
//	0x00        reserved (never produced)
//	0x01        NULL
//	0x10        float64: 8 bytes, IEEE bits with the sign bit flipped
//	            (non-negative) or all bits inverted (negative); -0 is +0
//	0x14        DECIMAL < 0: ^exponent varint, ^digit pairs
//	0x15        DECIMAL = 0: no payload
//	0x16        DECIMAL > 0: exponent varint, digit pairs
//	0x18        time: varint Unix seconds, uvarint nanoseconds
//	0x20        bytes: 0x00 escaped as 0x00 0xFF, terminated by 0x00 0x01
//	0x28        collated string: weight sequence terminated by 0x00
//	0x80..0xFD  integer (int64 and uint64 share one numeric order); the tag
//	            is the first byte of the ordered varint:
//	              0x80..0x87  negative, 8..1 big-endian two's complement bytes
//	              0x88..0xF5  0..109 inline
//	              0xF6..0xFD  positive, 1..8 big-endian bytes
//	0xFE, 0xFF  reserved (never produced)
//
// The ordered varint is the integer encoding above (after its own tag, for
// DECIMAL exponents and time seconds/nanoseconds); every value has exactly
// one encoding.
//
// DECIMAL values are normalised to 0.d1d2...dn × 10^E with d1 != 0 and
// dn != 0; E is a varint and the digits are packed two per byte as
// 2*(10*a+b)+1, except the last pair, which is 2*(10*a+b) (a single trailing
// digit is padded with 0). For negative values every payload byte is
// inverted.
//
// Collated strings are encoded as the sequence of collation weights of
// their runes (not the runes themselves), so they cannot be decoded. Each
// weight uses an ordered variable-length form whose first byte is >= 0x01:
//
//	0x01 + 4 bytes        w < 0 (uint32(w) big-endian)
//	0x02..0x7F            0 <= w < 126
//	0x80..0xBF + 1 byte   126 <= w < 16510
//	0xC0..0xDF + 2 bytes  16510 <= w < 2113662
//	0xE0..0xEF + 3 bytes  2113662 <= w < 270549118
//	0xF0 + 4 bytes        270549118 <= w <= MaxInt32
//
// Families other than NULL are not meant to be compared with each other; a
// column always holds one family (plus NULL).
package keycodec
