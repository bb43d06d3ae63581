package storage

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/kv"
	"github.com/quarrydb/quarry/storage/rowcodec"
)

// ColBatch is a run of consecutive rows of a scan (ascending key order)
// in column-major form: Cols[i] holds column req.Columns[i]. The vectors
// may be shared with the column cache: consumers must not modify them,
// and must not keep them after the scan returns.
type ColBatch struct {
	Rows int
	Cols []*ColVec
}

// ColumnConsumer receives the batches of ScanColumns. Batches of one
// partition arrive in key order from one goroutine; different workers
// call it concurrently.
type ColumnConsumer func(worker, part int, b *ColBatch) error

// ScanColumns is ScanTyped in column-major form, served from the column
// cache (see colCache) where the cache provably holds what a read of the
// transaction's snapshot would return, and from Pebble elsewhere (then
// caching what it read when it may). It reads exactly the rows ScanTyped
// would, with the same snapshot, own writes and key order. Partitions
// are the cache's segments cut by the scan's key ranges, in ascending
// order.
//
// ok is false, and nothing is read, when ScanTyped could not run, when
// the cache is off, or when a column is not typed-decodable.
func ScanColumns(ctx *sql.Context, tbl sql.Table, req ScanRequest, dec *rowcodec.TypedDecoder, consume ColumnConsumer) (st ScanStats, ok bool, err error) {
	t, spans, ok, err := planTypedScan(ctx, tbl, req)
	if !ok || err != nil {
		return ScanStats{}, false, err
	}
	tc := t.e.colTable(t.m)
	if tc == nil {
		return ScanStats{}, false, nil
	}
	txn := t.e.txnFor(ctx)
	// Taken here, on the statement's goroutine (see ScanTyped).
	rd := txn.reader(ctx)
	snapV := txn.snapV
	vis := txn.visFor(readMode{rows: true})
	ov := txn.ov
	if ov.len() == 0 {
		ov = nil
	}

	tc.mu.Lock()
	segs := append([]*segment(nil), tc.segs...)
	tc.mu.Unlock()
	type unit struct {
		seg    *segment
		lo, hi []byte
	}
	var units []unit
	var parts []scanPart
	for _, sp := range spans {
		if bytes.Compare(sp.start, sp.end) >= 0 {
			continue
		}
		for _, sg := range segs {
			if bytes.Compare(sg.start, sp.end) >= 0 || bytes.Compare(sp.start, sg.end) >= 0 {
				continue
			}
			u := unit{seg: sg, lo: sg.start, hi: sg.end}
			if bytes.Compare(sp.start, u.lo) > 0 {
				u.lo = sp.start
			}
			if bytes.Compare(sp.end, u.hi) < 0 {
				u.hi = sp.end
			}
			units = append(units, u)
			parts = append(parts, scanPart{spans: []span{{start: u.lo, end: u.hi}}})
		}
	}
	st = ScanStats{Parallel: true, Partitions: len(units), Segments: len(units)}
	if len(units) == 0 {
		return st, true, nil
	}
	workers := min(max(req.Workers, 1), len(units))
	preLen := len(indexPrefix(t.m.id(), primaryIndexID))
	decs := make([]*segDecoder, workers) // per worker: their slots are reused
	for w := range decs {
		decs[w] = newSegDecoder(t, req.Columns, dec, preLen)
	}
	var cached, storeRows, changedKeys, changedRead atomic.Int64
	rows, err := t.runParts(ctx, parts, workers, func(gctx context.Context, w, p int, _ span) (int64, error) {
		if err := gctx.Err(); err != nil {
			return 0, err
		}
		u := units[p]
		sg := u.seg
		ownInSeg := ov != nil && ov.firstGE(string(sg.start), sg.end) != nil
		var d *segData
		var changed []changedRow // rows to take instead of d's
		whole := false           // read all of sg, to cache it
		chosen := false          // whole, as readWhole chose
		var extra []int          // columns of sg's data a whole read adds
		if !ownInSeg {
			tc.mu.Lock()
			var reads int
			d, changed, reads = tc.usable(sg, snapV, u.lo, u.hi)
			part := bytes.Compare(u.lo, sg.start) > 0 || bytes.Compare(u.hi, sg.end) < 0
			if part && reads > maxChangedKeys {
				// Reading the part costs less. (A whole segment holds
				// at most changeLimit entries to read.)
				d, changed = nil, nil
			}
			if !part && len(changed) > t.e.cc.changeLimit() {
				// Merging this many into a whole segment costs about
				// what rereading (and caching) it does.
				d, changed = nil, nil
			}
			if d != nil {
				for _, o := range req.Columns {
					if d.cols[o] == nil {
						d = nil
						break
					}
				}
			}
			if d == nil && snapV >= tc.floor && t.e.cc.enabled() {
				whole = !part || tc.readWhole(sg, t.e.cc.segRows)
				chosen = part && whole
				if whole {
					tc.startBuild(sg)
				}
				if whole && sg.data != nil {
					// The columns other scans read too: a segment built
					// for one column set alone would be rebuilt by the next
					// scan of another.
					for o := range sg.data.cols {
						if !slices.Contains(req.Columns, o) {
							extra = append(extra, o)
						}
					}
				}
			}
			tc.mu.Unlock()
		}
		if d != nil {
			cached.Add(1)
			d.lastUse.Store(t.e.cc.tick.Add(1))
			if len(changed) > 0 {
				tc.mu.Lock()
				compact := tc.merge(sg, len(changed), t.e.cc.compactAfter())
				tc.mu.Unlock()
				if compact {
					// After this scan's rows: they are read from d.
					defer func() {
						if t.e.cc.compact(tc, sg, t) {
							t.e.counters.ColumnCompactions.Add(1)
						}
					}()
				}
			}
		} else {
			lo, hi := u.lo, u.hi
			if whole {
				lo, hi = sg.start, sg.end
			}
			var err error
			sd := decs[w]
			if len(extra) > 0 {
				if ud := t.segDecoderFor(append(slices.Clone(req.Columns), extra...)); ud != nil {
					sd = ud
				}
			}
			if whole {
				defer func() {
					tc.mu.Lock()
					tc.built(sg, chosen)
					tc.mu.Unlock()
				}()
			}
			d, err = sd.readSegment(gctx, rd, ov, vis, lo, hi, snapV, whole)
			if err == nil && whole {
				t.e.cc.install(tc, sg, d)
			}
			if err != nil {
				return 0, err
			}
			storeRows.Add(int64(d.rows()))
			if !whole && !ownInSeg {
				tc.mu.Lock()
				tc.rent(sg, d.rows())
				tc.mu.Unlock()
			}
		}
		lo, hi := 0, d.rows()
		if bytes.Compare(u.lo, sg.start) > 0 {
			lo = d.search(u.lo, preLen)
		}
		if bytes.Compare(u.hi, sg.end) < 0 {
			hi = d.search(u.hi, preLen)
		}
		emit := func(from *segData, lo, hi int) (int64, error) {
			if lo >= hi {
				return 0, nil
			}
			b := &ColBatch{Rows: hi - lo, Cols: make([]*ColVec, len(req.Columns))}
			for i, o := range req.Columns {
				v := from.cols[o]
				if lo > 0 || hi < from.rows() {
					v = v.slice(lo, hi)
				}
				b.Cols[i] = v
			}
			return int64(b.Rows), consume(w, p, b)
		}
		if len(changed) == 0 {
			return emit(d, lo, hi)
		}
		// The data's rows between the changed keys, and the changed keys'
		// rows as the snapshot has them, in key order.
		fresh, read, err := decs[w].readChanged(gctx, rd, changed, snapV)
		if err != nil {
			return 0, err
		}
		storeRows.Add(read)
		changedKeys.Add(int64(len(changed)))
		changedRead.Add(read)
		var n int64
		f := 0
		err = d.mergeChanged(lo, hi, preLen, changed, func(from, to int) error {
			m, err := emit(d, from, to)
			n += m
			return err
		}, func(c changedRow) error {
			if f < fresh.rows() && string(fresh.key(f)) == c.key[preLen:] {
				m, err := emit(fresh, f, f+1)
				n += m
				f++
				return err
			}
			return nil
		})
		return n, err
	})
	st.RowsRead = rows
	st.CachedSegments = int(cached.Load())
	st.StoreRows = storeRows.Load()
	st.ChangedKeys = changedKeys.Load()
	st.ChangedRead = changedRead.Load()
	return st, true, err
}

// readChanged collects the rows of changed (ascending, distinct primary
// keys of the table) into column vectors: the change record's rows, and
// those marked read from the scan's snapshot, one seek each (read counts
// them). A key without a row is left out. The transaction has no write
// among them (see ScanColumns).
func (sd *segDecoder) readChanged(gctx context.Context, rd kv.Reader, changed []changedRow, snapV uint64) (_ *segData, read int64, err error) {
	b := sd.builder(snapV, len(changed), false)
	if err := gctx.Err(); err != nil {
		return nil, 0, err
	}
	var it kv.Iterator
	defer func() {
		if it != nil {
			if cerr := it.Close(); err == nil {
				err = cerr
			}
		}
	}()
	for _, c := range changed {
		key := unsafe.Slice(unsafe.StringData(c.key), len(c.key))
		if !c.read {
			if !c.row.del {
				if err := b.add(key, c.row.val); err != nil {
					return nil, read, err
				}
			}
			continue
		}
		if it == nil {
			last := changed[len(changed)-1].key
			if it, err = rd.NewIter(key, append([]byte(last), 0)); err != nil {
				return nil, read, err
			}
		}
		read++
		if !it.SeekGE(key) || string(it.Key()) != c.key {
			if err := it.Error(); err != nil {
				return nil, read, err
			}
			continue
		}
		v, err := it.Value()
		if err == nil {
			err = b.add(it.Key(), v)
		}
		if err != nil {
			return nil, read, err
		}
	}
	return b.finish(), read, nil
}

// maxChangedKeys is the most changed keys a scan of part of a cached
// segment reads with one seek each (about four row steps each); past it,
// reading a short part in full costs less.
const maxChangedKeys = 8

// partRows is the initial capacity of the vectors of a part of a
// segment; sysbench's range scans read 100 rows.
const partRows = 128

// segDecoder decodes the stored rows of a scan's columns into segment
// data. Its slots are reused: one per worker.
type segDecoder struct {
	t       *Table
	cols    []int // table ordinals
	dec     *rowcodec.TypedDecoder
	classes []rowcodec.Class
	row     []rowcodec.Slot
	preLen  int // the primary index prefix, not kept in the data's keys
}

func newSegDecoder(t *Table, cols []int, dec *rowcodec.TypedDecoder, preLen int) *segDecoder {
	sd := &segDecoder{t: t, cols: cols, dec: dec, classes: make([]rowcodec.Class, len(cols)), row: make([]rowcodec.Slot, len(cols)), preLen: preLen}
	for i := range sd.classes {
		sd.classes[i] = dec.Class(i)
	}
	return sd
}

// segDecoderFor returns a segment decoder of t's columns cols, or nil
// when they are not typed-decodable.
func (t *Table) segDecoderFor(cols []int) *segDecoder {
	dec, ok := TypedDecoderFor(t, cols)
	if !ok {
		return nil
	}
	return newSegDecoder(t, cols, dec, len(indexPrefix(t.m.id(), primaryIndexID)))
}

// segBuilder collects decoded rows into segment data.
type segBuilder struct {
	sd *segDecoder
	d  *segData
	bs []*colBuilder
}

// builder starts segment data read at snapV, sized for capacity rows,
// dictionary-encoding strings when dict.
func (sd *segDecoder) builder(snapV uint64, capacity int, dict bool) *segBuilder {
	b := &segBuilder{sd: sd, d: &segData{built: snapV, cols: make(map[int]*ColVec, len(sd.cols)), keyOff: make([]uint32, 1, capacity+1)}, bs: make([]*colBuilder, len(sd.cols))}
	for i := range sd.cols {
		b.bs[i] = newColBuilder(sd.classes[i], capacity, dict)
	}
	return b
}

// add appends the stored row value of primary key key.
func (b *segBuilder) add(key, value []byte) error {
	sd := b.sd
	if err := sd.dec.Decode(value, sd.row); err != nil {
		return sd.t.decodeErr(err)
	}
	for i, cb := range b.bs {
		cb.add(&sd.row[i])
	}
	b.d.keyData = append(b.d.keyData, key[sd.preLen:]...)
	b.d.keyOff = append(b.d.keyOff, uint32(len(b.d.keyData)))
	return nil
}

// copyRows appends rows [lo, hi) of data d, whose vectors of the
// builder's columns are src.
func (b *segBuilder) copyRows(d *segData, src []*ColVec, lo, hi int) {
	if lo >= hi {
		return
	}
	for i, v := range src {
		b.bs[i].appendRange(v, lo, hi)
	}
	shift := uint32(len(b.d.keyData)) - d.keyOff[lo]
	b.d.keyData = append(b.d.keyData, d.keyData[d.keyOff[lo]:d.keyOff[hi]]...)
	for _, o := range d.keyOff[lo+1 : hi+1] {
		b.d.keyOff = append(b.d.keyOff, o+shift)
	}
}

// finish returns the data, with its size.
func (b *segBuilder) finish() *segData {
	d := b.d
	for i, o := range b.sd.cols {
		v := b.bs[i].finish()
		d.cols[o] = v
		d.size += v.size()
	}
	d.size += int64(len(d.keyData)+4*len(d.keyOff)) + 256
	return d
}

// readSegment reads the rows of [lo, hi) at the scan's snapshot (with
// the transaction's writes, as ScanTyped) into column vectors.
func (sd *segDecoder) readSegment(gctx context.Context, rd kv.Reader, ov *overlay, vis func(*wentry) *wentry, lo, hi []byte, snapV uint64, whole bool) (*segData, error) {
	// A whole segment is sized for the cache and dictionary-encoded; a
	// part is read once (a short range scan of rows rewritten since the
	// segment was cached) and only grows as it needs.
	capacity := sd.t.e.cc.segRows
	if !whole {
		capacity = partRows
	}
	b := sd.builder(snapV, capacity, whole)
	if bytes.Compare(lo, hi) < 0 {
		base, err := rd.NewIter(lo, hi)
		if err != nil {
			return nil, err
		}
		if ov == nil || ov.firstGE(string(lo), hi) == nil {
			i := 0
			for ok := base.First(); ok; ok = base.Next() {
				if i&255 == 0 {
					if err := gctx.Err(); err != nil {
						_ = base.Close()
						return nil, err
					}
				}
				i++
				v, err := base.Value()
				if err == nil {
					err = b.add(base.Key(), v)
				}
				if err != nil {
					_ = base.Close()
					return nil, err
				}
			}
			err := base.Error()
			if cerr := base.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, err
			}
		} else {
			it := newMergedIter(base, ov, lo, hi, false, vis)
			for i := 0; it.next(); i++ {
				if i&255 == 0 {
					if err := gctx.Err(); err != nil {
						_ = it.close()
						return nil, err
					}
				}
				if err := b.add(it.key, it.value); err != nil {
					_ = it.close()
					return nil, err
				}
			}
			if err := it.close(); err != nil && !errors.Is(err, errTxnClosed) {
				return nil, err
			}
		}
	}
	return b.finish(), nil
}
