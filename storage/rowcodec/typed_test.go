package rowcodec

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// sameTyped is sameValue, with NaN equal to NaN (stored floats can hold
// any bits; a NaN's payload may change through float64).
func sameTyped(a, b any) bool {
	switch x := a.(type) {
	case float32:
		if y, ok := b.(float32); ok && math.IsNaN(float64(x)) && math.IsNaN(float64(y)) {
			return true
		}
	case float64:
		if y, ok := b.(float64); ok && math.IsNaN(x) && math.IsNaN(y) {
			return true
		}
	}
	return sameValue(a, b)
}

// FuzzTypedDecode: on any input, TypedDecoder agrees with Decoder. When
// Decoder accepts a row, the typed decoder accepts it and Value of every
// slot (and of a copy of a scalar slot) is the value Decoder returned;
// when Decoder rejects it, so does the typed decoder, except for payload
// errors in DECIMAL, JSON and geometry columns, which only Value checks
// (and then reports).
func FuzzTypedDecode(f *testing.F) {
	cols := fuzzCols(f)
	addValidRowSeeds(f, cols, rand.New(rand.NewPCG(3, 4)))
	for _, s := range []string{
		"", "\x01", "\x02", "\x01\x08\x01", "\x01\x0b", "\x01\x80", "\x01\x12\x05ab", "\x01\x08\xff\x01",
		"\x01\x6a\x02\x00\x01", "\x01\x08\x80\x02", "\x01\x78\x03\x01\x80\x94\xeb\xdc\x03",
	} {
		f.Add([]byte(s))
	}
	subsets := [][]Column{cols, {cols[24], cols[4], cols[12], cols[14], cols[21]}, {cols[0], cols[9], cols[10], cols[11]}}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, sub := range subsets {
			dec := NewDecoder(sub)
			td := NewTypedDecoder(sub)
			want := make([]any, len(sub))
			slots := make([]Slot, len(sub))
			werr := dec.Decode(data, want)
			terr := td.Decode(data, slots)
			if werr == nil && terr != nil {
				t.Fatalf("typed decoder rejects a row Decoder accepts: %v", terr)
			}
			if terr != nil {
				continue
			}
			var verr error
			for i := range sub {
				got, err := td.Value(i, &slots[i])
				if err != nil {
					verr = err
					continue
				}
				if werr != nil {
					continue
				}
				if !sameTyped(want[i], got) {
					t.Fatalf("column %d: typed %s, Decode %s", sub[i].ID, describe(got), describe(want[i]))
				}
				if c := td.Class(i); c != ClassOther && c != ClassString && c != ClassBytes {
					cp := slots[i]
					cp.B = nil
					again, err := td.Value(i, &cp)
					if err != nil || !sameTyped(again, got) {
						t.Fatalf("column %d: copied slot gives %s (%v), want %s", sub[i].ID, describe(again), err, describe(got))
					}
				}
			}
			if werr != nil && verr == nil {
				t.Fatalf("Decode rejects the row (%v) but the typed decoder and Value accept it", werr)
			}
			if werr == nil && verr != nil {
				t.Fatalf("Value fails on a row Decode accepts: %v", verr)
			}
		}
	})
}

// TestTypedDecodeRandomRows: typed decoding of random valid rows gives
// Decode's values, with no allocation.
func TestTypedDecodeRandomRows(t *testing.T) {
	cols := fuzzCols(t)
	gens := genTypes(t)
	enc := NewEncoder(cols)
	r := rand.New(rand.NewPCG(5, 6))
	dec := NewDecoder(cols)
	td := NewTypedDecoder(cols)
	slots := make([]Slot, len(cols))
	for n := 0; n < 500; n++ {
		vals := make([]any, len(cols))
		for j, c := range cols {
			if r.IntN(4) == 0 {
				continue
			}
			for _, g := range gens {
				if g.typ.Equals(c.Type) && g.typ.String() == c.Type.String() {
					vals[j] = g.gen(r)
					break
				}
			}
		}
		src, err := enc.Append(nil, vals)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]any, len(cols))
		if err := dec.Decode(src, want); err != nil {
			t.Fatal(err)
		}
		if err := td.Decode(src, slots); err != nil {
			t.Fatal(err)
		}
		for i := range cols {
			got, err := td.Value(i, &slots[i])
			if err != nil {
				t.Fatalf("column %d: %v", cols[i].ID, err)
			}
			if !sameTyped(want[i], got) {
				t.Fatalf("column %d: typed %s, Decode %s", cols[i].ID, describe(got), describe(want[i]))
			}
		}
		if a := testing.AllocsPerRun(5, func() { _ = td.Decode(src, slots) }); a != 0 {
			t.Fatalf("typed Decode allocates %v times per row", a)
		}
	}
}

// TestSkipUvarint: skipUvarint accepts exactly what binary.Uvarint
// accepts, with the same length.
func TestSkipUvarint(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	check := func(b []byte) {
		_, want := binary.Uvarint(b)
		got := skipUvarint(b)
		if (want > 0) != (got > 0) || want > 0 && got != want {
			t.Fatalf("% x: skipUvarint %d, Uvarint %d", b, got, want)
		}
	}
	for _, x := range []uint64{0, 1, 127, 128, 1 << 20, 1<<56 - 1, 1 << 56, 1<<63 - 1, 1 << 63, math.MaxUint64} {
		b := binary.AppendUvarint(nil, x)
		for pad := 0; pad < 10; pad++ {
			check(append(append([]byte(nil), b...), make([]byte, pad)...))
		}
		check(b[:len(b)-1])
	}
	for i := 0; i < 20000; i++ {
		b := make([]byte, r.IntN(14))
		for j := range b {
			b[j] = byte(r.Uint32())
			if r.IntN(3) > 0 {
				b[j] |= 0x80
			}
		}
		check(b)
	}
}
