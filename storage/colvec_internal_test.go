package storage

import (
	"bytes"
	"fmt"
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
