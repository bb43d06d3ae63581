package storage

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/quarrydb/quarry/storage/rowcodec"
)

// TestColBuilderLateNull builds string vectors whose first NULL comes
// after many values: with the dictionary (past dictMax distinct values,
// where the builder drops it) and without (a part of a segment). Each
// must hold every value and NULL where it was added. The NULL bitmap was
// once allocated with a capacity below its length there, a panic.
func TestColBuilderLateNull(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
		dict bool
	}{{"dictionary overflow", dictMax + 10, true}, {"part", 300, false}, {"dictionary", 50, true}} {
		t.Run(c.name, func(t *testing.T) {
			b := newColBuilder(rowcodec.ClassBytes, 16, c.dict)
			want := make([][]byte, c.n)
			for i := range want {
				s := rowcodec.Slot{B: []byte(fmt.Sprintf("v%d", i))}
				if i%3 == 2 && i >= c.n-8 {
					s = rowcodec.Slot{Null: true}
				}
				if !s.Null {
					want[i] = s.B
				}
				b.add(&s)
			}
			v := b.finish()
			if v.Len() != c.n {
				t.Fatalf("%d values, want %d", v.Len(), c.n)
			}
			for i, w := range want {
				var s rowcodec.Slot
				v.Fill(i, &s)
				if s.Null != (w == nil) || !s.Null && !bytes.Equal(s.B, w) {
					t.Fatalf("value %d: null %v %q, want %q", i, s.Null, s.B, w)
				}
			}
		})
	}
}

// TestColBuilderAppendRange: appending ranges of built vectors (bulk or
// value by value, into builders with or without a dictionary, across
// NULLs, sub-second datetimes and dictionary vectors) gives the values
// adding them one by one gives.
func TestColBuilderAppendRange(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	slot := func(cls rowcodec.Class, nullFrac, distinct int) rowcodec.Slot {
		if r.IntN(nullFrac) == 0 {
			return rowcodec.Slot{Null: true}
		}
		switch cls {
		case rowcodec.ClassFloat:
			return rowcodec.Slot{F: float64(r.IntN(distinct)) / 4}
		case rowcodec.ClassDatetime:
			s := rowcodec.Slot{I: int64(r.IntN(distinct))}
			if r.IntN(3) == 0 {
				s.Nanos = int64(r.IntN(1e9))
			}
			return s
		case rowcodec.ClassInt, rowcodec.ClassUint:
			return rowcodec.Slot{I: int64(r.IntN(distinct))}
		}
		return rowcodec.Slot{B: []byte(fmt.Sprintf("s%d", r.IntN(distinct)))}
	}
	render := func(s rowcodec.Slot) string {
		if s.Null {
			return "NULL"
		}
		return fmt.Sprintf("%d/%d/%g/%q", s.I, s.Nanos, s.F, s.B)
	}
	classes := []rowcodec.Class{rowcodec.ClassInt, rowcodec.ClassUint, rowcodec.ClassFloat, rowcodec.ClassDatetime, rowcodec.ClassBytes}
	for iter := 0; iter < 400; iter++ {
		cls := classes[r.IntN(len(classes))]
		nullFrac, distinct := 1+r.IntN(20), 1+r.IntN(100)
		// Two source vectors, each with or without a dictionary.
		var srcs []*ColVec
		for range 2 {
			n := 1 + r.IntN(60)
			b := newColBuilder(cls, n, r.IntN(2) == 0)
			for range n {
				s := slot(cls, nullFrac, distinct)
				b.add(&s)
			}
			srcs = append(srcs, b.finish())
		}
		got := newColBuilder(cls, 4, r.IntN(2) == 0)
		var want []string
		for range 1 + r.IntN(6) {
			v := srcs[r.IntN(2)]
			lo := r.IntN(v.Len() + 1)
			hi := lo + r.IntN(v.Len()-lo+1)
			if r.IntN(4) == 0 {
				s := slot(cls, nullFrac, distinct)
				got.add(&s)
				want = append(want, render(s))
				continue
			}
			got.appendRange(v, lo, hi)
			for i := lo; i < hi; i++ {
				var s rowcodec.Slot
				v.Fill(i, &s)
				want = append(want, render(s))
			}
		}
		v := got.finish()
		if v.Len() != len(want) {
			t.Fatalf("iteration %d (class %v): %d values, want %d", iter, cls, v.Len(), len(want))
		}
		for i, w := range want {
			var s rowcodec.Slot
			v.Fill(i, &s)
			if g := render(s); g != w {
				t.Fatalf("iteration %d (class %v): value %d is %s, want %s", iter, cls, i, g, w)
			}
		}
	}
}
