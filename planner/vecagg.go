package planner

import (
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage"
	"github.com/quarrydb/quarry/storage/rowcodec"
)

// Column-batch folding: the rows of storage.ScanColumns arrive as typed
// column vectors. When the typed plan has a typed filter (or none),
// column or day keys, and only typed aggregates, batches are folded
// column by column (vecFold): the filter builds a selection, each row's
// group is found once (by dictionary codes when every key is a
// dictionary string column), and then each aggregate runs one tight loop
// over its vector. Everything else fills the slots of each row from the
// vectors and runs the per-row typed fold, so results are those of the
// typed path, which equal the generic path's.

// vecPlan says how batches of a typed plan are folded.
type vecPlan struct {
	ok bool
}

func (p *typedPlan) vectorPlan() vecPlan {
	if p.genFilter {
		return vecPlan{}
	}
	for _, k := range p.keys {
		if k.mode == keyGeneric {
			return vecPlan{}
		}
	}
	for _, a := range p.aggs {
		switch a.mode {
		case taCountStar, taCount, taSum, taMinMax, taDistinct, taFirst:
		default:
			return vecPlan{}
		}
	}
	return vecPlan{ok: true}
}

// vecState is a worker's reusable buffers for batch folding.
type vecState struct {
	slots []rowcodec.Slot // the slots the per-row paths read
	sel   []int32
	gs    []int32  // each row's group, as its seq in the worker
	codes []*group // composite dictionary code -> group, per batch
}

// maxCodeGroups bounds the composite dictionary code table of a batch.
const maxCodeGroups = 1 << 14

// foldBatch folds one batch of partition part into worker w.
func (n *AggScan) foldBatch(ctx *sql.Context, p *typedPlan, vp vecPlan, w *typedWorker, vs *vecState, part int, b *storage.ColBatch, rowFold func(slots []rowcodec.Slot) error, charge func(int64) error) error {
	if !vp.ok {
		return n.foldRows(ctx, w, vs, b, rowFold)
	}
	// Selection: every row, then narrowed by each typed comparison.
	sel := vs.sel[:0]
	for r := 0; r < b.Rows; r++ {
		sel = append(sel, int32(r))
	}
	for i := range p.cmps {
		sel = p.cmps[i].filterVec(b.Cols[p.cmps[i].col], sel)
	}
	vs.sel = sel
	if len(sel) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Groups.
	if cap(vs.gs) < b.Rows {
		vs.gs = make([]int32, b.Rows)
	}
	gs := vs.gs[:b.Rows]
	w.slots, w.boxed = vs.slots, false
	if err := n.batchGroups(ctx, p, w, vs, part, b, sel, gs, charge); err != nil {
		return err
	}
	// Aggregates, one vector at a time.
	gl := w.glist
	for i := range n.specs {
		s := &n.specs[i]
		ta := &p.aggs[i]
		var v *storage.ColVec
		if ta.mode != taCountStar {
			v = b.Cols[ta.col]
		}
		da := w.denseFor(i, len(gl))
		switch ta.mode {
		case taCountStar:
			cnt := da.n
			for _, r := range sel {
				cnt[gs[r]]++
			}
		case taCount:
			cnt := da.n
			for _, r := range sel {
				if v.Nulls == nil || !v.Nulls[r] {
					cnt[gs[r]]++
				}
			}
		case taSum:
			cnt := da.n
			switch s.num {
			case numInt:
				sums := da.s
				for _, r := range sel {
					if v.Nulls != nil && v.Nulls[r] {
						continue
					}
					g := gs[r]
					cnt[g]++
					x := v.I[r]
					if sum := sums[g] + x; (sum > sums[g]) == (x > 0) {
						sums[g] = sum
					} else {
						// Overflow: the group's exact sum takes over.
						a := &gl[g].accs[i]
						a.addInt(sums[g])
						a.addInt(x)
						sums[g] = 0
					}
				}
			case numUint:
				sums := da.s
				for _, r := range sel {
					if v.Nulls != nil && v.Nulls[r] {
						continue
					}
					g := gs[r]
					cnt[g]++
					x := uint64(v.I[r])
					if sum := uint64(sums[g]) + x; sum >= x {
						sums[g] = int64(sum)
					} else {
						a := &gl[g].accs[i]
						a.addUint(uint64(sums[g]))
						a.addUint(x)
						sums[g] = 0
					}
				}
			default:
				fs := da.f
				for _, r := range sel {
					if v.Nulls != nil && v.Nulls[r] {
						continue
					}
					g := gs[r]
					cnt[g]++
					fs[g] += v.F[r]
				}
			}
		case taMinMax:
			var sl rowcodec.Slot
			for _, r := range sel {
				if v.IsNull(int(r)) {
					continue
				}
				v.Fill(int(r), &sl)
				a := &gl[gs[r]].accs[i]
				if a.set {
					c := cmpSlot(ta.cls, &sl, &a.best)
					if !(s.kind == aggMin && c < 0 || s.kind == aggMax && c > 0) {
						continue
					}
				}
				a.set, a.best, a.part = true, sl, part
				a.best.B = nil
			}
		case taDistinct:
			if len(p.keys) == 0 && w.single != nil {
				if err := distinctBitmap(&w.single.accs[i], ta.cls, v, sel, charge); err != nil {
					return err
				}
			}
			for _, r := range sel {
				if v.IsNull(int(r)) {
					continue
				}
				if err := gl[gs[r]].accs[i].addDistinct(uint64(v.I[r]), charge); err != nil {
					return err
				}
			}
		case taFirst:
			var sl rowcodec.Slot
			seen := da.seen
			for _, r := range sel {
				g := gs[r]
				if seen[g] {
					continue
				}
				seen[g] = true
				a := &gl[g].accs[i]
				if a.set {
					continue
				}
				v.Fill(int(r), &sl)
				val, err := p.dec.Value(ta.col, &sl)
				if err != nil {
					return err
				}
				a.set, a.v, a.part = true, val, part
			}
		}
	}
	return nil
}

// batchGroups sets gs[r] to the group of every selected row r.
func (n *AggScan) batchGroups(ctx *sql.Context, p *typedPlan, w *typedWorker, vs *vecState, part int, b *storage.ColBatch, sel []int32, gs []int32, charge func(int64) error) error {
	if len(p.keys) == 0 {
		if w.single == nil {
			w.single = n.newGroup(w.aggWorker, part)
		}
		for _, r := range sel {
			gs[r] = int32(w.single.seq)
		}
		return nil
	}
	fill := func(r int32) {
		for _, k := range p.keys {
			b.Cols[k.col].Fill(int(r), &vs.slots[k.col])
		}
	}
	// Every key a dictionary column: groups by composite code.
	total := 1
	for _, k := range p.keys {
		v := b.Cols[k.col]
		if k.mode != keyCol || v.Dict == nil {
			total = 0
			break
		}
		total *= len(v.Dict) + 1
		if total > maxCodeGroups {
			total = 0
			break
		}
	}
	if total > 0 {
		if cap(vs.codes) < total {
			vs.codes = make([]*group, total)
		}
		codes := vs.codes[:total]
		clear(codes)
		for _, r := range sel {
			c, stride := 0, 1
			for _, k := range p.keys {
				v := b.Cols[k.col]
				x := int(v.Codes[r])
				if v.IsNull(int(r)) {
					x = len(v.Dict)
				}
				c += x * stride
				stride *= len(v.Dict) + 1
			}
			g := codes[c]
			if g == nil {
				fill(r)
				var err error
				if g, err = n.typedGroup(ctx, p, w, part, charge); err != nil {
					return err
				}
				codes[c] = g
			}
			gs[r] = int32(g.seq)
		}
		return nil
	}
	// One integer key: the worker's dense array first.
	if p.intKey {
		v := b.Cols[p.keys[0].col]
		for _, r := range sel {
			if v.Nulls == nil || !v.Nulls[r] {
				if x := uint64(v.I[r]); x < uint64(len(w.dense)) {
					if g := w.dense[x]; g != nil {
						gs[r] = int32(g.seq)
						continue
					}
				}
			}
			fill(r)
			g, err := n.typedGroup(ctx, p, w, part, charge)
			if err != nil {
				return err
			}
			gs[r] = int32(g.seq)
		}
		return nil
	}
	// One day key (dayMemo): the group depends on the calendar day only.
	if len(p.keys) == 1 && p.keys[0].mode == keyDay {
		v := b.Cols[p.keys[0].col]
		if w.dayGroups == nil {
			w.dayGroups = make(map[int64]*group)
		}
		var lastG *group
		lastDay := int64(0)
		for _, r := range sel {
			if v.Nulls == nil || !v.Nulls[r] {
				sec := v.I[r]
				day := sec / 86400
				if sec%86400 < 0 {
					day--
				}
				if lastG != nil && day == lastDay {
					gs[r] = int32(lastG.seq)
					continue
				}
				if g := w.dayGroups[day]; g != nil {
					gs[r], lastG, lastDay = int32(g.seq), g, day
					continue
				}
				fill(r)
				g, err := n.typedGroup(ctx, p, w, part, charge)
				if err != nil {
					return err
				}
				if len(w.dayGroups) < dayMemoMax {
					w.dayGroups[day] = g
				}
				gs[r], lastG, lastDay = int32(g.seq), g, day
				continue
			}
			fill(r)
			g, err := n.typedGroup(ctx, p, w, part, charge)
			if err != nil {
				return err
			}
			gs[r] = int32(g.seq)
		}
		return nil
	}
	for i, r := range sel {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		fill(r)
		g, err := n.typedGroup(ctx, p, w, part, charge)
		if err != nil {
			return err
		}
		gs[r] = int32(g.seq)
	}
	return nil
}

// filterVec keeps the rows of sel whose value in v passes c (NULL never
// does), in place.
func (c *typedCmp) filterVec(v *storage.ColVec, sel []int32) []int32 {
	out := sel[:0]
	for _, r := range sel {
		if v.Nulls != nil && v.Nulls[r] {
			continue
		}
		var o int
		switch c.cls {
		case rowcodec.ClassUint:
			o = cmpU(uint64(v.I[r]), uint64(c.i))
		case rowcodec.ClassDatetime:
			var ns int64
			if v.Nanos != nil {
				ns = int64(v.Nanos[r])
			}
			o = cmpTime(v.I[r], ns, c.i, c.nano)
		default:
			o = cmpI(v.I[r], c.i)
		}
		if o < 0 && c.lt || o == 0 && c.eq || o > 0 && c.gt {
			out = append(out, r)
		}
	}
	return out
}

// bitmapMaxBits bounds a COUNT(DISTINCT) bitmap (16 MiB); up to
// bitmapFreeBits (2 MiB) a bitmap is used whatever the batch size.
const (
	bitmapMaxBits  = 1 << 27
	bitmapFreeBits = 1 << 24
)

// distinctBitmap gives a whole-table COUNT(DISTINCT) of an integer
// column a bitmap over the range of this batch's values, when the range
// is small against the rows (at most 256 bits a row of the batch, about
// what a hash set of its distinct values would take) or small outright
// (bitmapFreeBits): later values in the range cost a bit
// each instead of a hash set entry.
func distinctBitmap(a *acc, cls rowcodec.Class, v *storage.ColVec, sel []int32, charge func(int64) error) error {
	if a.bits != nil || len(a.disU) > 0 || len(sel) < 32 {
		return nil
	}
	first := true
	var lo, hi int64
	for _, r := range sel {
		if v.Nulls != nil && v.Nulls[r] {
			continue
		}
		x := v.I[r]
		if first {
			lo, hi, first = x, x, false
			continue
		}
		if cls == rowcodec.ClassUint {
			if uint64(x) < uint64(lo) {
				lo = x
			}
			if uint64(x) > uint64(hi) {
				hi = x
			}
		} else {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	if first {
		return nil
	}
	span := uint64(hi) - uint64(lo) // wrapping: exact for both classes
	if span >= bitmapMaxBits/2 {
		return nil
	}
	// Room around the batch's range for the values of later batches;
	// membership is x-bitBase < bits in wrapping arithmetic, so any base
	// is exact.
	margin := span/2 + 16*uint64(len(sel))
	words := (span+2*margin)/64 + 1
	if words*64 > bitmapMaxBits || words*64 > max(256*uint64(len(sel)), bitmapFreeBits) {
		return nil
	}
	if err := charge(int64(8 * words)); err != nil {
		return err
	}
	a.bits = make([]uint64, words)
	a.bitBase = uint64(lo) - margin
	return nil
}

// foldRows runs the per-row typed fold over the rows of b.
func (n *AggScan) foldRows(ctx *sql.Context, w *typedWorker, vs *vecState, b *storage.ColBatch, rowFold func(slots []rowcodec.Slot) error) error {
	sl := vs.slots
	for r := 0; r < b.Rows; r++ {
		if r&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for c, v := range b.Cols {
			v.Fill(r, &sl[c])
		}
		if err := rowFold(sl); err != nil {
			return err
		}
	}
	return nil
}

// denseAcc is one aggregate's batch-folding state of a worker, by group
// seq: plain arrays instead of the groups' acc structs, so the per-row
// loops touch a few bytes per group. COUNT counts and SUM/AVG counts in
// n, integer sums in s (uint64 bits for unsigned; on overflow the group's
// acc takes over exactly), float sums in f; seen marks groups whose FIRST
// value is set. flushDense moves them into the accs.
type denseAcc struct {
	n    []int64
	s    []int64
	f    []float64
	seen []bool
}

// denseFor returns aggregate i's arrays, grown to hold groups seqs < groups.
func (w *typedWorker) denseFor(i, groups int) *denseAcc {
	if w.denseAccs == nil {
		w.denseAccs = make([]denseAcc, len(w.args))
	}
	d := &w.denseAccs[i]
	if len(d.n) < groups {
		grow := max(groups, 2*len(d.n), 64)
		d.n = append(d.n, make([]int64, grow-len(d.n))...)
		d.s = append(d.s, make([]int64, grow-len(d.s))...)
		d.f = append(d.f, make([]float64, grow-len(d.f))...)
		d.seen = append(d.seen, make([]bool, grow-len(d.seen))...)
	}
	return d
}

// flushDense folds the dense arrays into the groups' accs (before the
// workers are merged).
func (w *typedWorker) flushDense(n *AggScan) {
	for i := range w.denseAccs {
		d := &w.denseAccs[i]
		s := &n.specs[i]
		for g, grp := range w.glist {
			if g >= len(d.n) || d.n[g] == 0 {
				continue
			}
			a := &grp.accs[i]
			a.n += d.n[g]
			switch s.kind {
			case aggSum, aggAvg:
				a.set = true
				switch s.num {
				case numInt:
					a.addInt(d.s[g])
				case numUint:
					a.addUint(uint64(d.s[g]))
				default:
					a.f += d.f[g]
				}
			}
		}
	}
	w.denseAccs = nil
}
