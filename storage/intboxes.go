package storage

import "unsafe"

// int64Boxes boxes int64 values into interfaces without one allocation
// per value: the interface's data word points into a slab of int64s
// allocated a chunk at a time, where Go's conversion allocates eight
// bytes per value (runtime.convT64). A large result of integer keys
// spent about a sixth of its per-row time in that allocation.
//
// Invariant: a slab slot is written once, before the interface pointing
// to it is made, and never again; so each interface holds a value no one
// changes, as one from a conversion does, and keeps its chunk alive while
// referenced. The layout relied on is Go's empty interface (type word,
// data word; a non-pointer-shaped value's data word points to the value),
// which TestInt64BoxesAreInt64s checks against real conversions.
//
// An int64Boxes is used by one goroutine at a time.
type int64Boxes struct{ slab []int64 }

// int64BoxChunk is how many values a slab chunk holds.
const int64BoxChunk = 128

// eface is the layout of an empty interface.
type eface struct {
	typ, data unsafe.Pointer
}

// int64Type is the type word of an interface holding an int64.
var int64Type = func() unsafe.Pointer {
	var v any = int64(1 << 40)
	return (*eface)(unsafe.Pointer(&v)).typ
}()

// box returns v as an interface, as any(v) would (which a nil b uses).
func (b *int64Boxes) box(v int64) any {
	if b == nil {
		return v
	}
	if len(b.slab) == 0 {
		b.slab = make([]int64, int64BoxChunk)
	}
	p := &b.slab[0]
	b.slab = b.slab[1:]
	*p = v
	var out any
	e := (*eface)(unsafe.Pointer(&out))
	e.typ, e.data = int64Type, unsafe.Pointer(p)
	return out
}
