package keycodec

import (
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"
)

var sink []byte

func BenchmarkAppendInt(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 64)
	for i := 0; b.Loop(); i++ {
		buf = AppendInt(buf[:0], int64(i)*7919-1<<40)
	}
	sink = buf
}

func BenchmarkDecodeInt(b *testing.B) {
	b.ReportAllocs()
	enc := AppendInt(nil, -123456789)
	for b.Loop() {
		if _, _, err := DecodeInt(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompositeIntKey(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 64)
	for i := 0; b.Loop(); i++ {
		buf = AppendInt(buf[:0], int64(i))
		buf = AppendNull(buf)
		buf = AppendUint(buf, uint64(i)<<20)
	}
	sink = buf
}

func benchmarkString(b *testing.B, id sql.CollationID) {
	c, ok := newGMSCollator(id)
	if !ok {
		b.Skipf("%s has no sorter", id)
	}
	s := "The Quick Brown Fox Jumps Över The Lazy Dög 42"
	buf := AppendString(nil, s, c) // warm up lazily loaded weight tables
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = AppendString(buf[:0], s, c)
	}
	sink = buf
}

func BenchmarkAppendStringAICI(b *testing.B) { benchmarkString(b, sql.Collation_utf8mb4_0900_ai_ci) }

func BenchmarkAppendString0900Bin(b *testing.B) { benchmarkString(b, sql.Collation_utf8mb4_0900_bin) }

// BenchmarkAppendStringAICIUTF8Weights uses the UTF8Weights adapter, which
// avoids the per-rune interface and closure calls of a generic Collator.
func BenchmarkAppendStringAICIUTF8Weights(b *testing.B) {
	c := UTF8Weights(sql.Collation_utf8mb4_0900_ai_ci.Sorter())
	s := "The Quick Brown Fox Jumps Över The Lazy Dög 42"
	buf := AppendString(nil, s, c)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = AppendString(buf[:0], s, c)
	}
	sink = buf
}

func BenchmarkSkipStringAICI(b *testing.B) {
	c, _ := newGMSCollator(sql.Collation_utf8mb4_0900_ai_ci)
	enc := AppendString(nil, "The Quick Brown Fox Jumps Över The Lazy Dög 42", c)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Skip(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendDecimal(b *testing.B) {
	d := decimal.RequireFromString("-12345.678900")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendDecimal(buf[:0], d)
	}
	sink = buf
}

func BenchmarkAppendTime(b *testing.B) {
	tm := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendTime(buf[:0], tm)
	}
	sink = buf
}

func BenchmarkPretty(b *testing.B) {
	key := AppendInt(nil, 7)
	key = AppendBytes(key, []byte("abc"))
	key = AppendNull(key)
	key = AppendDecimal(key, decimal.RequireFromString("1.5"))
	b.ReportAllocs()
	for b.Loop() {
		_ = Pretty(key)
	}
}
