package rowcodec

import (
	"encoding/binary"
	"math"
	"math/big"

	"github.com/shopspring/decimal"
)

// decimalShape describes how a column's decimal values are canonicalized.
type decimalShape struct {
	// scale is the column type's scale.
	scale int32
	// rescale is true for column decimal types (types.CreateColumnDecimalType,
	// used for every table column). Their Convert rewrites a decimal.Decimal
	// to exponent -scale unless its exponent already equals +scale (sic: GMS
	// v0.20.0 sql/types/decimal.go:230 compares the exponent with +scale, so
	// e.g. '3e2' stays 3e2 in a DECIMAL(12,2) column and renders as "300").
	rescale bool
}

// needsRescale reports whether GMS's Convert would rewrite a value with
// exponent exp to exponent -scale without rounding, i.e. by appending zero
// digits. Values with more fractional digits than the column are left alone
// (GMS never stores them; rounding them would lose data), as are absurd
// exponents, to bound the work.
func (s decimalShape) needsRescale(exp int32) bool {
	return s.rescale && exp > -s.scale && exp != s.scale && int64(exp)+int64(s.scale) <= maxRescaleDigits
}

// appendDecimalPayload appends the DECIMAL payload (no length prefix).
func appendDecimalPayload(dst []byte, d decimal.Decimal, shape decimalShape) []byte {
	exp := d.Exponent()
	coef := d.Coefficient() // a copy; safe to modify
	if shape.needsRescale(exp) {
		coef.Mul(coef, pow10Big(int(exp+shape.scale)))
		exp = -shape.scale
	}
	dst = binary.AppendUvarint(dst, zigzag(int64(exp)))
	return appendTwosComplement(dst, coef)
}

// appendTwosComplement appends x as minimal big-endian two's complement.
// Zero is encoded as no bytes.
func appendTwosComplement(dst []byte, x *big.Int) []byte {
	if x.IsInt64() {
		return appendInt64TwosComplement(dst, x.Int64())
	}
	if x.Sign() > 0 {
		b := x.Bytes()
		if b[0]&0x80 != 0 {
			dst = append(dst, 0)
		}
		return append(dst, b...)
	}
	// -m == ^(m-1): encode m-1 with a clear sign bit, then invert.
	m := new(big.Int).Neg(x)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	start := len(dst)
	if len(b) == 0 || b[0]&0x80 != 0 {
		dst = append(dst, 0)
	}
	dst = append(dst, b...)
	for i := start; i < len(dst); i++ {
		dst[i] = ^dst[i]
	}
	return dst
}

func appendInt64TwosComplement(dst []byte, v int64) []byte {
	if v == 0 {
		return dst
	}
	n := 1
	for ; n < 8; n++ {
		// v fits in n bytes iff sign-extending its low n bytes gives v back.
		s := uint(64 - 8*n)
		if (v<<s)>>s == v {
			break
		}
	}
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*uint(i))))
	}
	return dst
}

// decodeDecimalPayload parses a DECIMAL payload and canonicalizes it.
func decodeDecimalPayload(b []byte, shape decimalShape) (decimal.Decimal, error) {
	u, n := binary.Uvarint(b)
	if n <= 0 {
		return decimal.Decimal{}, corruptf("bad decimal exponent")
	}
	e := unzigzag(u)
	if e < math.MinInt32 || e > math.MaxInt32 {
		return decimal.Decimal{}, corruptf("decimal exponent %d out of range", e)
	}
	exp := int32(e)
	cb := b[n:]
	if len(cb) <= 8 {
		var c int64
		if len(cb) > 0 {
			c = int64(int8(cb[0]))
			for _, x := range cb[1:] {
				c = c<<8 | int64(x)
			}
		}
		if shape.needsRescale(exp) {
			if k := int(exp + shape.scale); k < len(pow10Int64) {
				p := pow10Int64[k]
				if r := c * p; r/p == c {
					return decimal.New(r, -shape.scale), nil
				}
			}
		} else {
			return decimal.New(c, exp), nil
		}
	}
	coef := new(big.Int)
	if len(cb) > 0 && cb[0]&0x80 != 0 {
		inv := make([]byte, len(cb))
		for i, x := range cb {
			inv[i] = ^x
		}
		coef.SetBytes(inv)
		coef.Add(coef, big.NewInt(1))
		coef.Neg(coef)
	} else {
		coef.SetBytes(cb)
	}
	if shape.needsRescale(exp) {
		coef.Mul(coef, pow10Big(int(exp+shape.scale)))
		exp = -shape.scale
	}
	return decimal.NewFromBigInt(coef, exp), nil
}

// maxRescaleDigits bounds the work an unusual exponent can cause when a value
// is rescaled to a column's scale. MySQL decimals have at most 65 digits.
const maxRescaleDigits = 1024

var pow10Int64 = func() []int64 {
	p := make([]int64, 19)
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

func pow10Big(k int) *big.Int {
	if k < len(pow10Int64) {
		return big.NewInt(pow10Int64[k])
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil)
}
