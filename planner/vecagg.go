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
	gs    []*group
	codes []*group // composite dictionary code -> group, per batch
}

// maxCodeGroups bounds the composite dictionary code table of a batch.
const maxCodeGroups = 1 << 14

// foldBatch folds one batch of partition part into worker w.
func (n *AggScan) foldBatch(ctx *sql.Context, p *typedPlan, vp vecPlan, w *typedWorker, vs *vecState, part int, b *storage.ColBatch, rowFold func(slots []rowcodec.Slot) error, charge func(int64) error) error {
	if !vp.ok {
		return n.foldRows(ctx, w, vs, b, rowFold)
	}
	// Selection.
	sel := vs.sel[:0]
	if len(p.cmps) == 0 {
		for r := 0; r < b.Rows; r++ {
			sel = append(sel, int32(r))
		}
	} else {
		var s rowcodec.Slot
		for r := 0; r < b.Rows; r++ {
			pass := true
			for i := range p.cmps {
				c := &p.cmps[i]
				b.Cols[c.col].Fill(r, &s)
				if !c.match(&s) {
					pass = false
					break
				}
			}
			if pass {
				sel = append(sel, int32(r))
			}
		}
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
		vs.gs = make([]*group, b.Rows)
	}
	gs := vs.gs[:b.Rows]
	w.slots, w.boxed = vs.slots, false
	if err := n.batchGroups(ctx, p, w, vs, part, b, sel, gs, charge); err != nil {
		return err
	}
	// Aggregates, one vector at a time.
	for i := range n.specs {
		s := &n.specs[i]
		ta := &p.aggs[i]
		var v *storage.ColVec
		if ta.mode != taCountStar {
			v = b.Cols[ta.col]
		}
		switch ta.mode {
		case taCountStar:
			for _, r := range sel {
				gs[r].accs[i].n++
			}
		case taCount:
			for _, r := range sel {
				if !v.IsNull(int(r)) {
					gs[r].accs[i].n++
				}
			}
		case taSum:
			switch s.num {
			case numInt:
				for _, r := range sel {
					if v.Nulls != nil && v.Nulls[r] {
						continue
					}
					a := &gs[r].accs[i]
					a.set = true
					a.n++
					x := v.I[r]
					if sum := a.i + x; (sum > a.i) == (x > 0) {
						a.i = sum
					} else {
						a.addInt(x)
					}
				}
			case numUint:
				for _, r := range sel {
					if v.IsNull(int(r)) {
						continue
					}
					a := &gs[r].accs[i]
					a.set = true
					a.n++
					a.addUint(uint64(v.I[r]))
				}
			default:
				for _, r := range sel {
					if v.IsNull(int(r)) {
						continue
					}
					a := &gs[r].accs[i]
					a.set = true
					a.n++
					a.f += v.F[r]
				}
			}
		case taMinMax:
			var sl rowcodec.Slot
			for _, r := range sel {
				if v.IsNull(int(r)) {
					continue
				}
				v.Fill(int(r), &sl)
				a := &gs[r].accs[i]
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
			for _, r := range sel {
				if v.IsNull(int(r)) {
					continue
				}
				a := &gs[r].accs[i]
				if a.disU == nil {
					a.disU = make(map[uint64]struct{})
				}
				x := uint64(v.I[r])
				if _, seen := a.disU[x]; !seen {
					if err := charge(9 + 32); err != nil {
						return err
					}
					a.disU[x] = struct{}{}
				}
			}
		case taFirst:
			var sl rowcodec.Slot
			for _, r := range sel {
				a := &gs[r].accs[i]
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
func (n *AggScan) batchGroups(ctx *sql.Context, p *typedPlan, w *typedWorker, vs *vecState, part int, b *storage.ColBatch, sel []int32, gs []*group, charge func(int64) error) error {
	if len(p.keys) == 0 {
		if w.single == nil {
			w.single = n.newGroup(w.aggWorker, part)
		}
		for _, r := range sel {
			gs[r] = w.single
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
			gs[r] = g
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
		gs[r] = g
	}
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
