package rowcodec

import (
	"testing"
)

// The benchmark row is orders-like: bigint, int, varchar, decimal(12,2),
// datetime, enum, text, double, tinyint(1) and a NULL datetime.

func BenchmarkEncode(b *testing.B) {
	cols := ordersCols()
	vals := ordersRow(b, cols)
	enc := NewEncoder(cols)
	buf, err := enc.Append(nil, vals)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		buf, _ = enc.Append(buf[:0], vals)
	}
	b.ReportMetric(float64(len(buf)), "bytes/row")
}

func BenchmarkDecode(b *testing.B) {
	cols := ordersCols()
	src := encodeRow(b, cols, ordersRow(b, cols))
	dec := NewDecoder(cols)
	dst := make([]any, len(cols))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := dec.Decode(src, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// Two columns of ten, as for a narrow projection: the rest are skipped.
func BenchmarkDecodeSubset(b *testing.B) {
	cols := ordersCols()
	src := encodeRow(b, cols, ordersRow(b, cols))
	dec := NewDecoder([]Column{cols[0], cols[3]})
	dst := make([]any, 2)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := dec.Decode(src, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// A projection of one absent column: pure scanning, no values decoded.
func BenchmarkDecodeScanOnly(b *testing.B) {
	cols := ordersCols()
	src := encodeRow(b, cols, ordersRow(b, cols))
	dec := NewDecoder([]Column{cols[9]})
	dst := make([]any, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := dec.Decode(src, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// Integer-only projection: boxing is the only cost.
func BenchmarkDecodeInts(b *testing.B) {
	cols := ordersCols()
	src := encodeRow(b, cols, ordersRow(b, cols))
	dec := NewDecoder([]Column{cols[0], cols[1], cols[5], cols[8]})
	dst := make([]any, 4)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := dec.Decode(src, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// The typed decoder on the same projection as BenchmarkDecodeSubset.
func BenchmarkTypedDecodeSubset(b *testing.B) {
	cols := ordersCols()
	src := encodeRow(b, cols, ordersRow(b, cols))
	dec := NewTypedDecoder([]Column{cols[0], cols[3]})
	dst := make([]Slot, 2)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := dec.Decode(src, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// Every column of the orders-like row, typed.
func BenchmarkTypedDecode(b *testing.B) {
	cols := ordersCols()
	src := encodeRow(b, cols, ordersRow(b, cols))
	dec := NewTypedDecoder(cols)
	dst := make([]Slot, len(cols))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := dec.Decode(src, dst); err != nil {
			b.Fatal(err)
		}
	}
}
