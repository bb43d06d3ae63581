package keycodec

import (
	"math"
	"math/big"

	"github.com/shopspring/decimal"
)

// AppendDecimal appends the order-preserving, canonical encoding of d.
// Values that compare equal (1.0 and 1.00, 0 and 0.000) encode to identical
// bytes, because d is normalised to 0.d1...dn × 10^E with no leading or
// trailing zero digits before encoding.
//
// The encoding is numeric: callers must first apply the column's
// DECIMAL(p,s) conversion (GMS rounds to the column scale in Convert and
// in Compare for column types), so equal column values are equal decimals.
func AppendDecimal(dst []byte, d decimal.Decimal) []byte {
	sign := d.Sign()
	if sign == 0 {
		return append(dst, tagDecimalZer)
	}
	var buf [40]byte
	coef := d.Coefficient() // a copy
	digits := coef.Abs(coef).Append(buf[:0], 10)
	// value = 0.digits × 10^(len(digits)+exp); trailing zeros do not
	// change the exponent, only the representation.
	e := int64(d.Exponent()) + int64(len(digits))
	for digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	start := len(dst)
	if sign > 0 {
		dst = append(dst, tagDecimalPos)
	} else {
		dst = append(dst, tagDecimalNeg)
	}
	dst = AppendInt(dst, e)
	for i := 0; i < len(digits); i += 2 {
		p := digits[i] - '0'
		p *= 10
		if i+1 < len(digits) {
			p += digits[i+1] - '0'
		}
		if i+2 < len(digits) {
			dst = append(dst, 2*p+1)
		} else {
			dst = append(dst, 2*p)
		}
	}
	if sign < 0 {
		for i := start + 1; i < len(dst); i++ {
			dst[i] = ^dst[i]
		}
	}
	return dst
}

// skipDecimal returns the length of a non-zero decimal at the start of b.
func skipDecimal(b []byte) (int, error) {
	neg := b[0] == tagDecimalNeg
	var inv byte
	if neg {
		inv = 0xFF
	}
	var hdr [9]byte
	m := min(len(b)-1, len(hdr))
	for i := 0; i < m; i++ {
		hdr[i] = b[1+i] ^ inv
	}
	n, err := varintLen(hdr[:m])
	if err != nil {
		return 0, err
	}
	for i := 1 + n; i < len(b); i++ {
		if (b[i]^inv)&1 == 0 {
			return i + 1, nil
		}
	}
	return 0, ErrTruncated
}

// maxDecimalShift bounds the trailing zeros DecodeDecimal restores for
// exponents beyond int32 (see DecodeDecimal).
const maxDecimalShift = 4096

// DecodeDecimal decodes a DECIMAL and returns the remaining bytes. The
// result equals the encoded value and has no trailing fractional zeros
// (1.50 decodes as 1.5; 100 decodes as coefficient 1, exponent 2). It
// returns ErrOutOfRange for a well-formed value that decimal.Decimal (with
// its int32 exponent) cannot hold.
func DecodeDecimal(b []byte) (decimal.Decimal, []byte, error) {
	if len(b) == 0 {
		return decimal.Decimal{}, nil, ErrTruncated
	}
	switch b[0] {
	case tagDecimalZer:
		return decimal.Decimal{}, b[1:], nil
	case tagDecimalPos, tagDecimalNeg:
	default:
		return decimal.Decimal{}, nil, ErrWrongKind
	}
	n, err := skipDecimal(b)
	if err != nil {
		return decimal.Decimal{}, nil, err
	}
	neg := b[0] == tagDecimalNeg
	payload := b[1:n]
	if neg {
		inverted := make([]byte, len(payload))
		for i, x := range payload {
			inverted[i] = ^x
		}
		payload = inverted
	}
	e, en, err := decodeSigned(payload)
	if err != nil {
		return decimal.Decimal{}, nil, err
	}
	pairs := payload[en:]
	var sbuf [64]byte
	digits := sbuf[:0]
	if neg {
		digits = append(digits, '-')
	}
	ndigits := 0
	for i, x := range pairs {
		p := x >> 1
		if p > 99 {
			return decimal.Decimal{}, nil, malformed("decimal digit pair out of range")
		}
		if i == 0 && p < 10 {
			return decimal.Decimal{}, nil, malformed("decimal leading zero")
		}
		digits = append(digits, '0'+p/10)
		ndigits++
		if i == len(pairs)-1 {
			if p == 0 {
				return decimal.Decimal{}, nil, malformed("decimal trailing zero")
			}
			if p%10 == 0 {
				break // odd number of digits; the 0 is padding
			}
		}
		digits = append(digits, '0'+p%10)
		ndigits++
	}
	exp := e - int64(ndigits)
	// A valid encoding never needs exp < MinInt32 (normalising only raises
	// the exponent), but it may need exp > MaxInt32 when the original
	// coefficient had trailing zeros: 10×10^MaxInt32 is 1×10^(MaxInt32+1).
	// Such values get their zeros back, up to maxDecimalShift of them.
	shift := int64(0)
	if exp > math.MaxInt32 {
		shift = exp - math.MaxInt32
		exp = math.MaxInt32
	}
	if exp < math.MinInt32 || shift > maxDecimalShift {
		return decimal.Decimal{}, nil, ErrOutOfRange
	}
	coef, ok := new(big.Int).SetString(string(digits), 10)
	if !ok {
		return decimal.Decimal{}, nil, malformed("decimal digits")
	}
	if shift > 0 {
		pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(shift), nil)
		coef.Mul(coef, pow)
	}
	return decimal.NewFromBigInt(coef, int32(exp)), b[n:], nil
}
