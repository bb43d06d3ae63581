package sqlserver

import (
	"cmp"
	"errors"
	"hash/maphash"
	"slices"
	"sort"
	"sync"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage/rowcodec"
)

// Sorted and distinct range reads: sysbench's order_ranges (ORDER BY c
// under the projection) and distinct_ranges (ORDER BY over DISTINCT over
// the projection). Through GMS's executor each boxed every row into an
// sql.Row, sorted the boxed rows (colSortIter) and keyed them
// (collationDistinctIter): a fifth of oltp_read_write's CPU. A rowBuffer
// keeps the decoded slots instead, with their bytes copied into an arena,
// and does what those iterators do, in the same order:
//   - ORDER BY: sort.Stable over a permutation of the rows with
//     colSorter's Less (NULL ordering, DESC, then the column type's
//     comparison; utf8mb4 strings by collation weights, the same
//     runeWeights.compare; other non-integer types by the type's Compare
//     over the canonical values); the same Less results give the same
//     stable order;
//   - DISTINCT: the first row of each group of rows whose output columns
//     are equal, strings by their collation's weight string (as
//     collationDistinctIter keys them, exactly rather than by a hash),
//     integers by value;
//   - the statement's memory bound: GMS's operators fail with error 3170
//     once their buffered entries times the sampled average row size
//     (queryReporter) reach quarry_query_memory_limit. A rowBuffer bounds
//     that estimate from above as it reads and hands the statement back to
//     the executor (nothing has been sent yet) before the bound could be
//     reached, so the executor gives the error when there is one.

// errRangeFallback stops a buffered range read that must run through
// GMS's executor instead.
var errRangeFallback = errors.New("range read falls back to the executor")

// sortKey is one ORDER BY column of a buffered range read.
type sortKey struct {
	pos        int // in rangeRead.cols
	desc       bool
	nullsFirst bool
	kind       cmpKind
	typ        sql.Type
	weights    *runeWeights // cmpUTF8
	val        int          // cmpValue: index in rangeRead.valCols
}

type cmpKind uint8

const (
	cmpValue    cmpKind = iota // typ.Compare of the canonical values
	cmpSigned                  // Slot.I
	cmpUnsigned                // Slot.I's bits
	cmpUTF8                    // runeWeights.compare of Slot.B
)

// distinctKey is how one output column keys DISTINCT.
type distinctKey struct {
	weights *runeWeights // strings: the collation's weights; nil: integers
}

// buffered says whether the rows are sorted or deduplicated before any is
// sent.
func (rr *rangeRead) buffered() bool { return rr.entries > 0 }

// planBuffer fills rr's buffered part for sh (rr.cols and rr.out hold the
// projection; read adds a column of the table access); false when a sort
// or DISTINCT column, or a column the memory estimate cannot bound, keeps
// the executor.
func (rr *rangeRead) planBuffer(sh rangeShape, full, tsch, out sql.Schema, read func(*expression.GetField) (int, bool)) bool {
	keys := func(s *plan.Sort, pos func(gf *expression.GetField) (int, bool)) ([]sortKey, bool) {
		var ks []sortKey
		for _, sf := range s.SortFields {
			gf, ok := sf.Column.(*expression.GetField)
			if !ok {
				return nil, false
			}
			p, ok := pos(gf)
			if !ok {
				return nil, false
			}
			k := sortKey{pos: p, desc: sf.Order == sql.Descending, nullsFirst: sf.NullOrdering == sql.NullsFirst, typ: gf.Type()}
			switch kind := encKindOf(gf.Type(), sql.CharacterSet_utf8mb4); {
			case kind == encSigned:
				k.kind = cmpSigned
			case kind == encUnsigned:
				k.kind = cmpUnsigned
			case isUTF8Collated(gf.Type()):
				k.kind, k.weights = cmpUTF8, weightsOf(gf.Type().(types.StringType).Collation())
			default:
				k.kind, k.val = cmpValue, len(rr.valCols)
				rr.valCols = append(rr.valCols, p)
			}
			ks = append(ks, k)
		}
		return ks, true
	}
	var ok bool
	if sh.under != nil {
		if rr.under, ok = keys(sh.under, read); !ok {
			return false
		}
		rr.entries++
	}
	if sh.top != nil {
		outPos := func(gf *expression.GetField) (int, bool) {
			i := gf.Index()
			if i < 0 || i >= len(out) || !out[i].Type.Equals(gf.Type()) {
				return 0, false
			}
			return rr.out[i], true
		}
		if rr.top, ok = keys(sh.top, outPos); !ok {
			return false
		}
		rr.entries++
	}
	if sh.distinct {
		for i := range rr.out {
			t := out[i].Type
			switch {
			case isIntegerType(t):
				rr.distinct = append(rr.distinct, distinctKey{})
			case isUTF8Collated(t) && t.(types.StringType).Collation().Sorter() != nil:
				rr.distinct = append(rr.distinct, distinctKey{weights: weightsOf(t.(types.StringType).Collation())})
			default:
				return false
			}
		}
		rr.entries++
	}
	// rowSize of the table access's row: a header, 16 bytes per column,
	// and per value at most 256 bytes plus its string bytes. The columns
	// read are counted with their bytes as they come; the others must not
	// be strings, whose size only reading them would tell.
	for _, c := range tsch {
		if _, isStr := c.Type.(sql.StringType); isStr && !slices.Contains(rr.cols, full.IndexOfColName(c.Name)) {
			return false
		}
	}
	rr.rowBound = 24 + (16+256)*int64(len(tsch))
	return true
}

// isUTF8Collated says whether values of t compare by utf8mb4 collation
// weights (comparerFor's fast comparison).
func isUTF8Collated(t sql.Type) bool {
	st, ok := t.(types.StringType)
	return ok && !types.IsBinaryType(st) && st.Collation().CharacterSet() == sql.CharacterSet_utf8mb4
}

// rowBuffer holds a buffered range read's rows until they are sorted and
// deduplicated. Buffers are pooled; their slices keep their capacity.
type rowBuffer struct {
	rr    *rangeRead
	slots []rowcodec.Slot // row r's columns at [r*width, (r+1)*width)
	vals  []any           // row r's values of rr.valCols at [r*len(valCols), ...)
	arena []byte          // the slots' bytes; never moved once written
	order []int32         // the rows, in the order they are sent
	limit uint64          // quarry_query_memory_limit; 0: none
	entry int64           // the largest row estimate so far, plus an entry's overhead
	// DISTINCT: the first row of each key hash, and for each row the
	// previous one with its hash (-1 ends the chain).
	heads map[uint64]int32
	next  []int32
	ws    []byte // a weight string
}

var rowBuffers = sync.Pool{New: func() any { return &rowBuffer{heads: map[uint64]int32{}} }}

// newRowBuffer returns a buffer for rr under st's memory bound, or nil
// when the bound is not the statement's own (the executor keeps those
// statements). release returns it.
func newRowBuffer(rr *rangeRead, st *stmtState) *rowBuffer {
	if st == nil || st.memLimit == 0 && sql.ProcessMemory.MaxMemory() != 0 {
		return nil
	}
	b := rowBuffers.Get().(*rowBuffer)
	b.rr, b.limit, b.entry = rr, st.memLimit, 0
	return b
}

// release clears b and pools it unless it grew large.
func (b *rowBuffer) release() {
	const keep = 1 << 20 // bytes of slots or arena worth keeping
	if cap(b.slots)*int(unsafe.Sizeof(rowcodec.Slot{})) > keep || cap(b.arena) > keep || len(b.heads) > 1<<14 {
		return
	}
	clear(b.vals)
	b.rr, b.slots, b.vals, b.arena, b.order, b.next = nil, b.slots[:0], b.vals[:0], b.arena[:0], b.order[:0], b.next[:0]
	clear(b.heads)
	rowBuffers.Put(b)
}

func (b *rowBuffer) row(r int32) []rowcodec.Slot {
	w := len(b.rr.cols)
	return b.slots[int(r)*w : int(r+1)*w]
}

// add buffers a copy of row; errRangeFallback when GMS's estimate of the
// memory its operators hold could reach the statement's bound.
func (b *rowBuffer) add(row []rowcodec.Slot) error {
	size := b.rr.rowBound
	r := int32(len(b.order))
	for _, s := range row {
		if len(s.B) > 0 {
			s.B = b.copyBytes(s.B)
			size += int64(len(s.B))
		}
		b.slots = append(b.slots, s)
	}
	for _, pos := range b.rr.valCols {
		v, err := b.rr.dec.Value(pos, &b.row(r)[pos])
		if err != nil {
			return errRangeFallback // the executor's read raises it
		}
		b.vals = append(b.vals, v)
	}
	b.order = append(b.order, r)
	const entryOverhead = 48 // avgRowBytes'
	b.entry = max(b.entry, size+entryOverhead)
	if b.limit > 0 && uint64(int64(len(b.order))*b.rr.entries*b.entry) >= b.limit {
		return errRangeFallback
	}
	return nil
}

// copyBytes copies p into the arena.
func (b *rowBuffer) copyBytes(p []byte) []byte {
	if cap(b.arena)-len(b.arena) < len(p) {
		b.arena = make([]byte, 0, max(16<<10, len(p)))
	}
	n := len(b.arena)
	b.arena = append(b.arena, p...)
	return b.arena[n:len(b.arena):len(b.arena)]
}

// each sorts and deduplicates the rows as the plan's operators would and
// passes them to emit in that order.
func (b *rowBuffer) each(ctx *sql.Context, emit func(row []rowcodec.Slot) error) error {
	if err := b.sort(ctx, b.rr.under); err != nil {
		return err
	}
	if b.rr.distinct != nil {
		b.dedup()
	}
	if err := b.sort(ctx, b.rr.top); err != nil {
		return err
	}
	for _, r := range b.order {
		if err := emit(b.row(r)); err != nil {
			return err
		}
	}
	return nil
}

func (b *rowBuffer) sort(ctx *sql.Context, keys []sortKey) error {
	if len(keys) == 0 {
		return nil
	}
	s := &slotSorter{ctx: ctx, b: b, keys: keys}
	sort.Stable(s)
	return s.err
}

// dedup keeps the first row of each group of rows with equal output
// columns.
func (b *rowBuffer) dedup() {
	kept := b.order[:0]
	b.next = slices.Grow(b.next[:0], len(b.order))[:len(b.order)]
	for _, r := range b.order {
		h := b.keyHash(r)
		head, ok := b.heads[h]
		dup := false
		for c := head; ok && c >= 0; c = b.next[c] {
			if dup = b.sameKey(c, r); dup {
				break
			}
		}
		if dup {
			continue
		}
		if !ok {
			head = -1
		}
		b.next[r], b.heads[h] = head, r
		kept = append(kept, r)
	}
	b.order = kept
}

// keyHash hashes row r's DISTINCT key: each output column's NULL-ness
// and its value, a string by its collation's weight string.
func (b *rowBuffer) keyHash(r int32) uint64 {
	var h maphash.Hash
	h.SetSeed(keySeed)
	row := b.row(r)
	for i, dk := range b.rr.distinct {
		s := &row[b.rr.out[i]]
		switch {
		case s.Null:
			h.WriteByte(0)
		case dk.weights != nil:
			b.ws = dk.weights.appendWeightString(b.ws[:0], unsafeString(s.B))
			h.WriteByte(1)
			h.Write(b.ws)
		default:
			h.WriteByte(2)
			maphash.WriteComparable(&h, s.I)
		}
	}
	return h.Sum64() & keyHashMask
}

var keySeed = maphash.MakeSeed()

// keyHashMask is all ones; tests clear it to make every key collide.
var keyHashMask = ^uint64(0)

// sameKey says whether rows r and q have equal DISTINCT keys: both NULL
// or equal values, strings equal under their collation (equal weight
// strings).
func (b *rowBuffer) sameKey(r, q int32) bool {
	x, y := b.row(r), b.row(q)
	for i, dk := range b.rr.distinct {
		sx, sy := &x[b.rr.out[i]], &y[b.rr.out[i]]
		switch {
		case sx.Null || sy.Null:
			if sx.Null != sy.Null {
				return false
			}
		case dk.weights != nil:
			if dk.weights.compare(unsafeString(sx.B), unsafeString(sy.B)) != 0 {
				return false
			}
		default:
			if sx.I != sy.I {
				return false
			}
		}
	}
	return true
}

// unsafeString views b, which is never written again, as a string.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// slotSorter is colSorter over buffered slots: it permutes b.order.
type slotSorter struct {
	ctx  *sql.Context
	b    *rowBuffer
	keys []sortKey
	err  error
}

func (s *slotSorter) Len() int      { return len(s.b.order) }
func (s *slotSorter) Swap(i, j int) { s.b.order[i], s.b.order[j] = s.b.order[j], s.b.order[i] }

// Less is colSorter.Less.
func (s *slotSorter) Less(i, j int) bool {
	if s.err != nil {
		return false
	}
	c, err := s.compare(s.b.order[i], s.b.order[j])
	if err != nil {
		s.err = err
	}
	return c == -1
}

// compare is colSorter.compare of buffered rows a and b.
func (s *slotSorter) compare(a, b int32) (int, error) {
	for k := range s.keys {
		key := &s.keys[k]
		x, y := a, b
		if key.desc {
			x, y = y, x
		}
		sx, sy := &s.b.row(x)[key.pos], &s.b.row(y)[key.pos]
		var c int
		switch {
		case sx.Null || sy.Null:
			c = orderNulls(sx.Null, sy.Null, key.nullsFirst)
		case key.kind == cmpSigned:
			c = cmp.Compare(sx.I, sy.I)
		case key.kind == cmpUnsigned:
			c = cmp.Compare(uint64(sx.I), uint64(sy.I))
		case key.kind == cmpUTF8:
			c = key.weights.compare(unsafeString(sx.B), unsafeString(sy.B))
		default:
			nv := len(s.b.rr.valCols)
			var err error
			if c, err = key.typ.Compare(s.ctx, s.b.vals[int(x)*nv+key.val], s.b.vals[int(y)*nv+key.val]); err != nil {
				return 0, err
			}
		}
		if c == -1 || c == 1 {
			return c, nil
		}
	}
	return 0, nil
}
