package storage

import (
	"github.com/quarrydb/quarry/storage/rowcodec"
)

// ColVec is one column of a run of rows, decoded once into a typed
// vector: the column-major form of the Slots a TypedDecoder fills. Which
// fields hold the values depends on Class (see rowcodec.Class):
//   - Int, Uint: I (Uint as uint64 bits);
//   - Float: F;
//   - Datetime: I (unix seconds) and Nanos (nil when every value has
//     zero nanoseconds);
//   - String, Bytes and Other (DECIMAL, JSON, ... payloads): either a
//     dictionary (Codes index Dict) or raw values (value i is
//     Data[Off[i]:Off[i+1]]).
//
// Nulls is nil when no value is NULL. A ColVec is immutable once built:
// scans share cached vectors between goroutines.
type ColVec struct {
	Class rowcodec.Class
	Nulls []bool
	I     []int64
	Nanos []int32
	F     []float64
	Codes []uint32
	Dict  [][]byte
	Off   []uint32
	Data  []byte
}

// Len returns the number of values.
func (v *ColVec) Len() int {
	switch v.Class {
	case rowcodec.ClassInt, rowcodec.ClassUint, rowcodec.ClassDatetime:
		return len(v.I)
	case rowcodec.ClassFloat:
		return len(v.F)
	}
	if v.Dict != nil {
		return len(v.Codes)
	}
	if len(v.Off) == 0 {
		return 0
	}
	return len(v.Off) - 1
}

// IsNull reports whether value i is NULL.
func (v *ColVec) IsNull(i int) bool { return v.Nulls != nil && v.Nulls[i] }

// Bytes returns value i of a String, Bytes or Other column (nil when
// NULL). The slice aliases the vector: callers must not modify it.
func (v *ColVec) Bytes(i int) []byte {
	if v.IsNull(i) {
		return nil
	}
	if v.Dict != nil {
		return v.Dict[v.Codes[i]]
	}
	return v.Data[v.Off[i]:v.Off[i+1]:v.Off[i+1]]
}

// Fill sets s to value i, as TypedDecoder.Decode would have.
func (v *ColVec) Fill(i int, s *rowcodec.Slot) {
	if v.IsNull(i) {
		s.Null, s.B = true, nil
		return
	}
	s.Null = false
	switch v.Class {
	case rowcodec.ClassInt, rowcodec.ClassUint:
		s.I = v.I[i]
	case rowcodec.ClassFloat:
		s.F = v.F[i]
	case rowcodec.ClassDatetime:
		s.I, s.Nanos = v.I[i], 0
		if v.Nanos != nil {
			s.Nanos = int64(v.Nanos[i])
		}
	default:
		s.B = v.Bytes(i)
	}
}

// slice returns the values [lo, hi) as a vector sharing v's storage.
func (v *ColVec) slice(lo, hi int) *ColVec {
	out := &ColVec{Class: v.Class, Dict: v.Dict, Data: v.Data}
	if v.Nulls != nil {
		out.Nulls = v.Nulls[lo:hi:hi]
	}
	switch v.Class {
	case rowcodec.ClassInt, rowcodec.ClassUint, rowcodec.ClassDatetime:
		out.I = v.I[lo:hi:hi]
		if v.Nanos != nil {
			out.Nanos = v.Nanos[lo:hi:hi]
		}
	case rowcodec.ClassFloat:
		out.F = v.F[lo:hi:hi]
	default:
		if v.Dict != nil {
			out.Codes = v.Codes[lo:hi:hi]
		} else {
			out.Off = v.Off[lo : hi+1 : hi+1]
		}
	}
	return out
}

// size estimates the bytes v holds.
func (v *ColVec) size() int64 {
	n := int64(len(v.Nulls) + 8*len(v.I) + 4*len(v.Nanos) + 8*len(v.F) + 4*len(v.Codes) + 4*len(v.Off) + len(v.Data))
	for _, d := range v.Dict {
		n += int64(len(d)) + 24
	}
	return n + 128
}

// dictMax bounds a string column's dictionary: past it, values are kept
// raw.
const dictMax = 1 << 12

// colBuilder appends decoded slots to a ColVec.
type colBuilder struct {
	v     ColVec
	nulls int
	dict  map[string]uint32
	nodic bool
}

func newColBuilder(cls rowcodec.Class, capacity int, dict bool) *colBuilder {
	b := &colBuilder{v: ColVec{Class: cls}}
	switch cls {
	case rowcodec.ClassInt, rowcodec.ClassUint, rowcodec.ClassDatetime:
		b.v.I = make([]int64, 0, capacity)
	case rowcodec.ClassFloat:
		b.v.F = make([]float64, 0, capacity)
	default:
		b.v.Off = make([]uint32, 1, capacity+1)
		if !dict {
			b.nodic = true
			break
		}
		b.v.Codes = make([]uint32, 0, capacity)
		b.dict = make(map[string]uint32)
	}
	return b
}

func (b *colBuilder) add(s *rowcodec.Slot) {
	n := b.len()
	if s.Null {
		if b.v.Nulls == nil {
			b.v.Nulls = make([]bool, n, max(n, cap(b.v.I)+cap(b.v.F)+cap(b.v.Codes))+1)
		}
		b.v.Nulls = append(b.v.Nulls, true)
		b.nulls++
	} else if b.v.Nulls != nil {
		b.v.Nulls = append(b.v.Nulls, false)
	}
	switch b.v.Class {
	case rowcodec.ClassInt, rowcodec.ClassUint:
		if s.Null {
			b.v.I = append(b.v.I, 0)
			return
		}
		b.v.I = append(b.v.I, s.I)
	case rowcodec.ClassFloat:
		if s.Null {
			b.v.F = append(b.v.F, 0)
			return
		}
		b.v.F = append(b.v.F, s.F)
	case rowcodec.ClassDatetime:
		if s.Null {
			b.v.I = append(b.v.I, 0)
			if b.v.Nanos != nil {
				b.v.Nanos = append(b.v.Nanos, 0)
			}
			return
		}
		b.v.I = append(b.v.I, s.I)
		if s.Nanos != 0 && b.v.Nanos == nil {
			b.v.Nanos = make([]int32, n, cap(b.v.I))
		}
		if b.v.Nanos != nil {
			b.v.Nanos = append(b.v.Nanos, int32(s.Nanos))
		}
	default:
		var val []byte
		if !s.Null {
			val = s.B
		}
		b.v.Data = append(b.v.Data, val...)
		b.v.Off = append(b.v.Off, uint32(len(b.v.Data)))
		if b.nodic {
			return
		}
		c, ok := b.dict[string(val)]
		if !ok {
			if len(b.dict) >= dictMax {
				b.nodic, b.dict, b.v.Codes = true, nil, nil
				return
			}
			c = uint32(len(b.dict))
			b.dict[string(val)] = c
		}
		b.v.Codes = append(b.v.Codes, c)
	}
}

// appendRange appends values [lo, hi) of v, a vector of the builder's
// class: in bulk when neither uses a dictionary, value by value otherwise.
func (b *colBuilder) appendRange(v *ColVec, lo, hi int) {
	if v.Dict != nil || !b.nodic && b.v.Off != nil {
		var s rowcodec.Slot
		for i := lo; i < hi; i++ {
			v.Fill(i, &s)
			b.add(&s)
		}
		return
	}
	n := b.len()
	switch {
	case v.Nulls != nil:
		if b.v.Nulls == nil {
			b.v.Nulls = make([]bool, n, n+hi-lo)
		}
		for _, null := range v.Nulls[lo:hi] {
			b.v.Nulls = append(b.v.Nulls, null)
			if null {
				b.nulls++
			}
		}
	case b.v.Nulls != nil:
		b.v.Nulls = append(b.v.Nulls, make([]bool, hi-lo)...)
	}
	switch b.v.Class {
	case rowcodec.ClassInt, rowcodec.ClassUint:
		b.v.I = append(b.v.I, v.I[lo:hi]...)
	case rowcodec.ClassFloat:
		b.v.F = append(b.v.F, v.F[lo:hi]...)
	case rowcodec.ClassDatetime:
		b.v.I = append(b.v.I, v.I[lo:hi]...)
		if v.Nanos != nil && b.v.Nanos == nil {
			b.v.Nanos = make([]int32, n, cap(b.v.I))
		}
		switch {
		case b.v.Nanos == nil:
		case v.Nanos != nil:
			b.v.Nanos = append(b.v.Nanos, v.Nanos[lo:hi]...)
		default:
			b.v.Nanos = append(b.v.Nanos, make([]int32, hi-lo)...)
		}
	default:
		shift := uint32(len(b.v.Data)) - v.Off[lo]
		b.v.Data = append(b.v.Data, v.Data[v.Off[lo]:v.Off[hi]]...)
		for _, o := range v.Off[lo+1 : hi+1] {
			b.v.Off = append(b.v.Off, o+shift)
		}
	}
}

func (b *colBuilder) len() int {
	switch b.v.Class {
	case rowcodec.ClassInt, rowcodec.ClassUint, rowcodec.ClassDatetime:
		return len(b.v.I)
	case rowcodec.ClassFloat:
		return len(b.v.F)
	}
	return len(b.v.Off) - 1
}

// finish returns the vector; dictionary columns drop their raw values.
func (b *colBuilder) finish() *ColVec {
	v := b.v
	if b.nulls == 0 {
		v.Nulls = nil
	}
	if v.Class != rowcodec.ClassInt && v.Class != rowcodec.ClassUint && v.Class != rowcodec.ClassFloat && v.Class != rowcodec.ClassDatetime {
		if !b.nodic && len(b.dict) <= len(v.Codes)/2+1 {
			v.Dict = make([][]byte, len(b.dict))
			for s, c := range b.dict {
				v.Dict[c] = []byte(s)
			}
			v.Off, v.Data = nil, nil
		} else {
			v.Codes = nil
		}
	}
	return &v
}
