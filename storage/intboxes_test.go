package storage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
)

// TestInt64BoxesAreInt64s: an int64Boxes interface is indistinguishable
// from Go's own conversion of the value (type, assertion, equality, map
// keys, formatting), across several slab chunks and after collections
// with other allocations in between.
func TestInt64BoxesAreInt64s(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var vals []int64
	for v := int64(-300); v <= 300; v++ {
		vals = append(vals, v)
	}
	vals = append(vals, math.MinInt64, math.MaxInt64, 1<<40, -1<<40)
	for range 3 * int64BoxChunk {
		vals = append(vals, int64(r.Uint64()))
	}
	var b int64Boxes
	boxed := make([]any, len(vals))
	for i, v := range vals {
		boxed[i] = b.box(v)
		if i%97 == 0 {
			_ = make([]byte, 1<<16) // garbage between boxes
			runtime.GC()
		}
	}
	runtime.GC()
	seen := map[any]int{}
	for i, v := range vals {
		got := boxed[i]
		if got != any(v) {
			t.Fatalf("box(%d) = %v, not equal to any(%d)", v, got, v)
		}
		if n, ok := got.(int64); !ok || n != v {
			t.Fatalf("box(%d).(int64) = %d, %v", v, n, ok)
		}
		if reflect.TypeOf(got) != reflect.TypeOf(int64(0)) || fmt.Sprint(got) != fmt.Sprint(v) {
			t.Fatalf("box(%d): type %v, prints %s", v, reflect.TypeOf(got), fmt.Sprint(got))
		}
		seen[got]++
		if seen[any(v)] != seen[got] {
			t.Fatalf("box(%d) and any(%d) are different map keys", v, v)
		}
	}
}

// BenchmarkInt64Box compares boxing with the slab against Go's
// conversion.
func BenchmarkInt64Box(b *testing.B) {
	sink := make([]any, 1024)
	b.Run("slab", func(b *testing.B) {
		var bx int64Boxes
		i := 0
		for b.Loop() {
			sink[i%len(sink)] = bx.box(int64(i) << 20)
			i++
		}
	})
	b.Run("convert", func(b *testing.B) {
		i := 0
		for b.Loop() {
			sink[i%len(sink)] = any(int64(i) << 20)
			i++
		}
	})
}
