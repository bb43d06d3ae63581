package indexes

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/numeric"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	zap "github.com/blevesearch/zapx/v16"
	"golang.org/x/sync/errgroup"
)

// Bitmap evaluation of unscored searches with numeric or date ranges.
//
// Bleve materializes a numeric or date range as the union of the postings
// of every prefix-coded term the range splits into (hundreds for a range
// of dates at second precision), with a heap of pairwise unions, before
// a conjunction intersects it with anything. In a multi-field filter the
// exact terms (status = 'paid' AND region = 'north') are far more
// selective than the ranges. bitmapMatches evaluates such a query per
// segment on the postings bitmaps instead: a conjunction intersects its
// term clauses first, most selective first, and then each range only
// within the candidates left (each range term's postings intersected
// with the candidates before the union). Deleted documents are removed
// once at the end, which is exact because every supported query is
// monotone (no negation). The matches are exactly the searcher's:
// TestBitmapMatchesSameAsSearcher compares them.

// precisionStep is the shift between bleve's prefix-coded numeric and
// date terms (document.DefaultPrecisionStep, DefaultDateTimePrecisionStep;
// NewNumericRangeSearcher splits ranges with the same step).
const precisionStep = 4

// bitmapPlan is a query bitmapMatches can evaluate.
type bitmapPlan struct {
	kind     byte // 't' term, 'c' conjunction, 'd' disjunction, 'r' range, 'p' phrase, '0' none
	field    string
	term     []byte
	phrase   []string    // 'p': the terms, "" for any term; neither first nor last is ""
	ranges   [][2][]byte // 'r': inclusive [start, end] prefix-coded term ranges
	children []*bitmapPlan
}

// hasRange reports whether the plan contains a range.
func (p *bitmapPlan) hasRange() bool {
	if p.kind == 'r' {
		return true
	}
	for _, c := range p.children {
		if c.hasRange() {
			return true
		}
	}
	return false
}

// planBitmaps returns the bitmap plan of an unscored-form query, or nil
// when a part of it is not supported (the searcher runs it then).
func planBitmaps(q query.Query) *bitmapPlan {
	switch x := q.(type) {
	case *query.TermQuery:
		if x.FieldVal == "" {
			return nil
		}
		return &bitmapPlan{kind: 't', field: x.FieldVal, term: []byte(x.Term)}
	case *query.MatchNoneQuery:
		return &bitmapPlan{kind: '0'}
	case *query.PhraseQuery:
		// (Quarry never sets auto fuzziness.) Leading and trailing ""
		// constrain nothing in bleve's findPhrasePaths.
		terms := x.Terms
		for len(terms) > 0 && terms[0] == "" {
			terms = terms[1:]
		}
		for len(terms) > 0 && terms[len(terms)-1] == "" {
			terms = terms[:len(terms)-1]
		}
		if x.FieldVal == "" || x.Fuzziness != 0 || len(terms) == 0 {
			return nil
		}
		return &bitmapPlan{kind: 'p', field: x.FieldVal, phrase: terms}
	case *query.ConjunctionQuery, *query.DisjunctionQuery:
		var cs []query.Query
		kind := byte('c')
		if c, ok := x.(*query.ConjunctionQuery); ok {
			cs = c.Conjuncts
		} else {
			d := x.(*query.DisjunctionQuery)
			if d.Min > 1 {
				return nil
			}
			cs, kind = d.Disjuncts, 'd'
		}
		if len(cs) == 0 {
			return nil
		}
		p := &bitmapPlan{kind: kind}
		for _, c := range cs {
			cp := planBitmaps(c)
			if cp == nil {
				return nil
			}
			p.children = append(p.children, cp)
		}
		return p
	case *query.NumericRangeQuery:
		if x.FieldVal == "" {
			return nil
		}
		return rangePlan(x.FieldVal, x.Min, x.Max, x.InclusiveMin, x.InclusiveMax)
	case *query.DateRangeQuery:
		// As DateRangeQuery.Searcher: UnixNano bounds as float64 bits,
		// into the numeric range searcher.
		if x.FieldVal == "" || x.Start.IsZero() && x.End.IsZero() {
			return nil
		}
		lo, hi := math.Inf(-1), math.Inf(1)
		if !x.Start.IsZero() {
			if !dateRepresentable(x.Start.Time) {
				return nil
			}
			lo = numeric.Int64ToFloat64(x.Start.UnixNano())
		}
		if !x.End.IsZero() {
			if !dateRepresentable(x.End.Time) {
				return nil
			}
			hi = numeric.Int64ToFloat64(x.End.UnixNano())
		}
		return rangePlan(x.FieldVal, &lo, &hi, x.InclusiveStart, x.InclusiveEnd)
	}
	return nil
}

// rangePlan is NewNumericRangeSearcher's split of a range into ranges of
// prefix-coded terms (with its defaults for missing bounds).
func rangePlan(field string, min, max *float64, inclMin, inclMax *bool) *bitmapPlan {
	lo, hi := math.Inf(-1), math.Inf(1)
	if min != nil {
		lo = *min
	}
	if max != nil {
		hi = *max
	}
	minIncl, maxIncl := true, false
	if inclMin != nil {
		minIncl = *inclMin
	}
	if inclMax != nil {
		maxIncl = *inclMax
	}
	minBound := numeric.Float64ToInt64(lo)
	if !minIncl && minBound != math.MaxInt64 {
		minBound++
	}
	maxBound := numeric.Float64ToInt64(hi)
	if !maxIncl && maxBound != math.MinInt64 {
		maxBound--
	}
	p := &bitmapPlan{kind: 'r', field: field}
	if minBound > maxBound {
		return p
	}
	add := func(lo, hi int64, shift uint) {
		hi |= int64(1)<<shift - 1
		p.ranges = append(p.ranges, [2][]byte{numeric.MustNewPrefixCodedInt64(lo, shift), numeric.MustNewPrefixCodedInt64(hi, shift)})
	}
	for shift := uint(0); ; shift += precisionStep {
		diff := int64(1) << (shift + precisionStep)
		mask := (int64(1)<<precisionStep - 1) << shift
		hasLower := minBound&mask != 0
		hasUpper := maxBound&mask != mask
		nextMin, nextMax := minBound&^mask, maxBound&^mask
		if hasLower {
			nextMin = (minBound + diff) &^ mask
		}
		if hasUpper {
			nextMax = (maxBound - diff) &^ mask
		}
		if shift+precisionStep >= 64 || nextMin > nextMax || nextMin < minBound || nextMax > maxBound {
			add(minBound, maxBound, shift)
			return p
		}
		if hasLower {
			add(minBound, minBound|mask, shift)
		}
		if hasUpper {
			add(maxBound&^mask, maxBound, shift)
		}
		minBound, maxBound = nextMin, nextMax
	}
}

// segEval evaluates a plan on one segment. Bitmaps it returns are its
// own (never a segment's postings, which are shared).
type segEval struct {
	seg   segment.Segment
	dicts map[string]segment.TermDictionary
	// pl and it are reused by postings (zap reads into them).
	pl segment.PostingsList
	it segment.PostingsIterator
}

func (e *segEval) dict(field string) (segment.TermDictionary, error) {
	if d, ok := e.dicts[field]; ok {
		return d, nil
	}
	d, err := e.seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	e.dicts[field] = d
	return d, nil
}

// postings calls fn with the postings of term in field (deleted
// documents included), as a bitmap not to be modified nor kept beyond
// the next call unless keep is set, or as one document number. It
// reports the postings' size.
func (e *segEval) postings(field string, term []byte, keep bool, fn func(bm *roaring.Bitmap, one uint32, isOne bool)) (uint64, error) {
	d, err := e.dict(field)
	if err != nil {
		return 0, err
	}
	var pre segment.PostingsList
	if !keep {
		pre = e.pl
	}
	pl, err := d.PostingsList(term, nil, pre)
	if err != nil {
		return 0, err
	}
	if !keep {
		e.pl = pl
	}
	n := pl.Count()
	if n == 0 {
		return 0, nil
	}
	if fn == nil {
		return n, nil
	}
	var preIt segment.PostingsIterator
	if !keep {
		preIt = e.it
	}
	pit := pl.Iterator(false, false, false, preIt)
	if !keep {
		e.it = pit
	}
	bm, one, isOne, err := postingsBitmap(pit)
	if err != nil {
		return 0, err
	}
	fn(bm, one, isOne)
	return n, nil
}

// postingsBitmap returns the documents of a postings iterator: its bitmap
// (the segment's, not to be modified), or its one document.
func postingsBitmap(pit segment.PostingsIterator) (bm *roaring.Bitmap, one uint32, isOne bool, err error) {
	it, ok := pit.(segment.OptimizablePostingsIterator)
	if !ok {
		return nil, 0, false, errNoBitmaps
	}
	if one, ok := it.DocNum1Hit(); ok {
		return nil, uint32(one), true, nil
	}
	if bm = it.ActualBitmap(); bm == nil {
		return nil, 0, false, errNoBitmaps
	}
	return bm, 0, false, nil
}

// eval returns the documents of the segment matching p, within cand when
// cand is not nil.
func (e *segEval) eval(p *bitmapPlan, cand *roaring.Bitmap) (*roaring.Bitmap, error) {
	switch p.kind {
	case '0':
		return roaring.New(), nil
	case 't':
		out := roaring.New()
		_, err := e.postings(p.field, p.term, false, func(bm *roaring.Bitmap, one uint32, isOne bool) {
			switch {
			case isOne:
				if cand == nil || cand.Contains(one) {
					out.Add(one)
				}
			case cand != nil:
				out = roaring.And(bm, cand)
			default:
				out = bm.Clone()
			}
		})
		return out, err
	case 'd':
		var parts []*roaring.Bitmap
		for _, c := range p.children {
			bm, err := e.eval(c, cand)
			if err != nil {
				return nil, err
			}
			parts = append(parts, bm)
		}
		return roaring.FastOr(parts...), nil
	case 'r':
		return e.evalRange(p, cand)
	case 'p':
		return e.evalPhrase(p, cand)
	}
	// Conjunction: terms first, smallest postings first; then the rest
	// (disjunctions, ranges: ranges last) within the candidates left.
	type step struct {
		p    *bitmapPlan
		rank int
		size uint64
	}
	steps := make([]step, len(p.children))
	for i, c := range p.children {
		steps[i] = step{p: c, rank: 1}
		switch {
		case c.kind == 't':
			n, err := e.postings(c.field, c.term, false, nil)
			if err != nil {
				return nil, err
			}
			steps[i].rank, steps[i].size = 0, n
		case c.kind == 'p':
			steps[i].rank = 3 // positions are read per candidate: last
		case c.hasRange():
			steps[i].rank = 2
		}
	}
	slices.SortStableFunc(steps, func(a, b step) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		switch {
		case a.size < b.size:
			return -1
		case a.size > b.size:
			return 1
		}
		return 0
	})
	cur := cand
	for _, s := range steps {
		bm, err := e.eval(s.p, cur)
		if err != nil {
			return nil, err
		}
		cur = bm
		if cur.IsEmpty() {
			break
		}
	}
	return cur, nil
}

// evalRange unites the postings of the terms of a range, within cand
// when cand is not nil.
func (e *segEval) evalRange(p *bitmapPlan, cand *roaring.Bitmap) (*roaring.Bitmap, error) {
	d, err := e.dict(p.field)
	if err != nil {
		return nil, err
	}
	if cand != nil {
		return e.evalRangeWithin(d, p, cand)
	}
	var whole []*roaring.Bitmap
	var ones []uint32
	err = forRangeTerms(d, p, func(term []byte) error {
		_, err := e.postings(p.field, term, true, func(bm *roaring.Bitmap, one uint32, isOne bool) {
			if isOne {
				ones = append(ones, one)
			} else {
				whole = append(whole, bm)
			}
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := roaring.FastOr(whole...)
	out.AddMany(ones)
	return out, nil
}

// forRangeTerms calls fn with each term of d in the range p. The terms of
// one of p's ranges share their shift, hence their length: the
// dictionary's terms in [start, end] are exactly those
// NewNumericRangeSearcher enumerates and finds indexed.
func forRangeTerms(d segment.TermDictionary, p *bitmapPlan, fn func(term []byte) error) error {
	for _, r := range p.ranges {
		it := d.AutomatonIterator(nil, r[0], append(bytes.Clone(r[1]), 0))
		for {
			de, err := it.Next()
			if err != nil {
				return err
			}
			if de == nil {
				break
			}
			if err := fn([]byte(de.Term)); err != nil {
				return err
			}
		}
	}
	return nil
}

// evalRangeWithin is evalRange within the candidates cand. The range of a
// multi-field filter has hundreds of terms and the candidates left by its
// terms are thousands of documents: intersecting each term's postings
// with cand merges cand's containers once per term. Instead cand becomes
// a dense bitset once and each term's postings are tested against it,
// which costs the size of the postings alone. A term with postings much
// larger than cand (a coarse term of a wide range) is still intersected by
// roaring, which gallops through it.
func (e *segEval) evalRangeWithin(d segment.TermDictionary, p *bitmapPlan, cand *roaring.Bitmap) (*roaring.Bitmap, error) {
	n := cand.GetCardinality()
	if n == 0 {
		return roaring.New(), nil
	}
	in := cand.ToDense()
	hit := make([]uint64, len(in))
	var big []*roaring.Bitmap
	var buf [256]uint32
	err := forRangeTerms(d, p, func(term []byte) error {
		_, err := e.postings(p.field, term, false, func(bm *roaring.Bitmap, one uint32, isOne bool) {
			if isOne {
				if w := int(one >> 6); w < len(in) {
					hit[w] |= in[w] & (1 << (one & 63))
				}
				return
			}
			if bm.GetCardinality() > 64*n {
				big = append(big, roaring.And(bm, cand))
				return
			}
			many := bm.ManyIterator()
			for k := many.NextMany(buf[:]); k > 0; k = many.NextMany(buf[:]) {
				for _, x := range buf[:k] {
					w := int(x >> 6)
					if w >= len(in) {
						return // ascending: the rest is beyond cand
					}
					hit[w] |= in[w] & (1 << (x & 63))
				}
			}
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := roaring.FromDense(hit, false)
	if len(big) > 0 {
		out = roaring.FastOr(append(big, out)...)
	}
	return out, nil
}

// evalPhrase returns the documents, within cand when cand is not nil,
// holding the phrase's terms at positions p, p+1, ... (any term where the
// phrase has ""), as bleve's phrase searcher (findPhrasePaths, no slop)
// matches them: the candidates are the intersection of the terms'
// postings, and each candidate's positions are read from the terms'
// postings iterators. Bleve's searcher builds a DocumentMatch with a term
// location map per candidate and walks the paths through it, about five
// times the cost. A location with array positions (never indexed by
// Quarry) sends the query to the searcher (errNoBitmaps).
func (e *segEval) evalPhrase(p *bitmapPlan, cand *roaring.Bitmap) (*roaring.Bitmap, error) {
	d, err := e.dict(p.field)
	if err != nil {
		return nil, err
	}
	var terms []string
	var parts []phrasePart
	for i, t := range p.phrase {
		if t == "" {
			continue
		}
		k := slices.Index(terms, t)
		if k < 0 {
			terms = append(terms, t)
			k = len(terms) - 1
		}
		parts = append(parts, phrasePart{term: k, off: uint64(i)})
	}
	its := make([]segment.PostingsIterator, len(terms))
	docs := cand
	for k, t := range terms {
		pl, err := d.PostingsList([]byte(t), nil, nil)
		if err != nil {
			return nil, err
		}
		if pl.Count() == 0 {
			return roaring.New(), nil
		}
		it := pl.Iterator(true, false, true, nil)
		bm, one, isOne, err := postingsBitmap(it)
		if err != nil {
			return nil, err
		}
		if isOne {
			bm = roaring.BitmapOf(one)
		}
		if docs == nil {
			docs = bm.Clone() // the segment's: not to be modified
		} else {
			docs = roaring.And(docs, bm)
		}
		if docs.IsEmpty() {
			return docs, nil
		}
		its[k] = it
	}
	pos := make([][]uint64, len(terms))
	var hits []uint32
	var buf [256]uint32
	many := docs.ManyIterator()
	for n := many.NextMany(buf[:]); n > 0; n = many.NextMany(buf[:]) {
		for _, doc := range buf[:n] {
			for k, it := range its {
				// Every candidate is in every term's postings, and they
				// ascend: Advance's precondition holds.
				pst, err := it.Advance(uint64(doc))
				if err != nil {
					return nil, err
				}
				if pst == nil || pst.Number() != uint64(doc) {
					return nil, fmt.Errorf("indexes: phrase postings of %q lack document %d", terms[k], doc)
				}
				pos[k] = pos[k][:0]
				for _, l := range pst.Locations() {
					if len(l.ArrayPositions()) != 0 {
						return nil, errNoBitmaps
					}
					pos[k] = append(pos[k], l.Pos())
				}
			}
			if phraseIn(pos, parts) {
				hits = append(hits, doc)
			}
		}
	}
	return roaring.BitmapOf(hits...), nil
}

// phraseIn reports whether the positions pos of the terms hold the
// phrase parts: a position p of the first part's term with each other
// part's term at p plus its offset.
func phraseIn(pos [][]uint64, parts []phrasePart) bool {
first:
	for _, p := range pos[parts[0].term] {
		for _, pt := range parts[1:] {
			if !slices.Contains(pos[pt.term], p+pt.off) {
				continue first
			}
		}
		return true
	}
	return false
}

// phrasePart is a term of a phrase (an index into its distinct terms)
// and its offset from the first term.
type phrasePart struct {
	term int
	off  uint64
}

// errNoBitmaps: a segment's postings do not expose their bitmaps.
var errNoBitmaps = errorString("indexes: postings without bitmaps")

type errorString string

func (e errorString) Error() string { return string(e) }

// bitmapMatches evaluates p on every segment of the scorch snapshot r and
// calls fn (unless nil) with the external ID of each live match, up to
// limit matches (limit <= 0: all), after telling grow (unless nil) how
// many there will be at most; it returns how many there were. ok is
// false when r is not a scorch snapshot or a segment's postings do not
// expose bitmaps (nothing was reported then).
func bitmapMatches(ctx context.Context, r index.IndexReader, p *bitmapPlan, limit int, fn func(id []byte), grow func(n int)) (n int, ok bool, err error) {
	snap, isScorch := r.(*scorch.IndexSnapshot)
	if !isScorch {
		return 0, false, nil
	}
	segs := snap.Segments()
	results := make([]*roaring.Bitmap, len(segs))
	for i, ss := range segs {
		if err := ctx.Err(); err != nil {
			return 0, true, err
		}
		e := &segEval{seg: ss.Segment(), dicts: map[string]segment.TermDictionary{}}
		bm, err := e.eval(p, nil)
		if err == errNoBitmaps {
			return 0, false, nil
		}
		if err != nil {
			return 0, true, err
		}
		if del := ss.Deleted(); del != nil {
			bm.AndNot(del)
		}
		results[i] = bm
	}
	total := uint64(0)
	for _, bm := range results {
		total += bm.GetCardinality()
	}
	if fn != nil && grow != nil {
		most := total
		if limit > 0 {
			most = min(most, uint64(limit))
		}
		grow(int(min(most, math.MaxInt32)))
	}
	if fn != nil && limit <= 0 {
		if n, ok, err := parallelDocIDs(ctx, segs, results, total, fn); ok {
			return n, true, err
		}
	}
	var ids idArena
	for i, bm := range results {
		c := int(min(bm.GetCardinality(), math.MaxInt32))
		if fn == nil {
			if limit > 0 && n+c >= limit {
				return limit, true, nil
			}
			n += c
			continue
		}
		docs := bm.ToArray()
		stop := limit > 0 && n+len(docs) >= limit
		if stop {
			// As the searcher: the limit-th match is counted, not reported.
			docs = docs[:limit-n-1]
		}
		if err := segmentDocIDs(segs[i], docs, &ids, fn); err != nil {
			return n, true, err
		}
		if stop {
			return limit, true, nil
		}
		n += len(docs)
	}
	return n, true, nil
}

// segmentDocIDs calls fn with the document ID of each of docs (local
// document numbers of segment ss, ascending), in order. The IDs are the
// caller's to keep: copied into arena, or from the segment's idColumn
// when it has one (idcolumn.go), which is the fastest way for a large
// result.
//
// For a persisted zap v16 segment it reads the stored-fields index
// directly, in two passes: every document's offset first, then every ID.
// zap's DocID does both loads per document through a pooled reader; each
// misses the cache when the documents are scattered (about 160 ns per ID
// over a million-document segment), and with the loads of one pass
// independent of each other the processor overlaps those misses (the
// records are touched a block at a time before they are parsed). The
// layout read is zap v16's (getDocStoredOffsets, DocID): at
// StoredIndexOffset + 8*doc the big-endian offset of the document's
// stored record; there uvarint metaLen, uvarint dataLen, the meta (its
// first uvarint the length of _id), then the data, _id first and
// uncompressed. Any other segment, or a record that does not fit in the
// segment, goes through DocID. TestSegmentDocIDsMatchDocID compares the
// two on every document of multi-segment indexes.
func segmentDocIDs(ss *scorch.SegmentSnapshot, docs []uint32, arena *idArena, fn func(id []byte)) error {
	zs, ok := ss.Segment().(*zap.Segment)
	if !ok || zs.Version() != zap.Version || segmentDocIDsOff.Load() {
		return docIDsByDocID(ss, docs, arena, fn)
	}
	mem := zs.Data()
	index, numDocs := zs.StoredIndexOffset(), zs.NumDocs()
	if index > uint64(len(mem)) || numDocs > (uint64(len(mem))-index)/8 {
		return docIDsByDocID(ss, docs, arena, fn)
	}
	for _, d := range docs {
		if uint64(d) >= numDocs {
			return docIDsByDocID(ss, docs, arena, fn)
		}
	}
	if col := idColumns.column(zs, mem, index, numDocs, len(docs)); col != nil {
		for _, d := range docs {
			fn(col.id(d))
		}
		return nil
	}
	offsets := make([]uint64, len(docs))
	for i, d := range docs {
		at := index + 8*uint64(d)
		offsets[i] = binary.BigEndian.Uint64(mem[at : at+8])
	}
	for start := 0; start < len(offsets); start += idBlock {
		block := offsets[start:min(start+idBlock, len(offsets))]
		// Touch each record first, in a loop without branches on the
		// data, so the cache misses of a block overlap; parsing the
		// varints right after a miss stalled on each.
		var touched byte
		for _, at := range block {
			if at < uint64(len(mem)) {
				touched += mem[at]
			}
		}
		runtime.KeepAlive(touched) // the loads are the point
		for i, at := range block {
			id, ok := storedID(mem, at)
			if !ok {
				return docIDsByDocID(ss, docs[start+i:], arena, fn)
			}
			fn(arena.copy(id)) // id is the segment's memory
		}
	}
	return nil
}

// idBlock is how many records segmentDocIDs touches before parsing them
// (their cache lines fit in the first-level caches).
const idBlock = 128

// storedID reads the _id of the zap v16 stored record at offset at of
// mem (see segmentDocIDs); ok is false if the record does not fit.
func storedID(mem []byte, at uint64) (id []byte, ok bool) {
	if at >= uint64(len(mem)) {
		return nil, false
	}
	rec := mem[at:]
	metaLen, n1 := binary.Uvarint(rec)
	if n1 <= 0 {
		return nil, false
	}
	dataLen, n2 := binary.Uvarint(rec[n1:])
	if n2 <= 0 {
		return nil, false
	}
	head := uint64(n1 + n2)
	if metaLen > uint64(len(rec))-head || dataLen > uint64(len(rec))-head-metaLen {
		return nil, false
	}
	meta := rec[head : head+metaLen]
	data := rec[head+metaLen : head+metaLen+dataLen]
	idLen, n3 := binary.Uvarint(meta)
	if n3 <= 0 || idLen > uint64(len(data)) {
		return nil, false
	}
	return data[:idLen], true
}

// docIDsByDocID is segmentDocIDs through the segment's DocID.
func docIDsByDocID(ss *scorch.SegmentSnapshot, docs []uint32, arena *idArena, fn func(id []byte)) error {
	for _, d := range docs {
		id, err := ss.DocID(uint64(d))
		if err != nil {
			return err
		}
		fn(arena.copy(id))
	}
	return nil
}

// idRun is a run of one segment's matches whose IDs one worker reads.
type idRun struct {
	seg  int
	docs []uint32
	ids  [][]byte
}

// Variables for the tests, which make them small.
var (
	// parallelIDsMin is the fewest matches whose IDs parallelDocIDs reads
	// with more than one worker (below it, starting them costs more).
	parallelIDsMin uint64 = 16 << 10
	// idRunDocs is the most matches in one idRun.
	idRunDocs = 4 << 10
)

// parallelDocIDsOff makes bitmapMatches read IDs on one goroutine (tests).
var parallelDocIDsOff atomic.Bool

// parallelDocIDs reads the IDs of the matches (results, per segment of
// segs; total in all) on up to GOMAXPROCS goroutines, and then calls fn
// with each, in the order the serial loop in bitmapMatches uses. Reading
// an ID is a cache miss or two in the segment's stored section
// (segmentDocIDs), and a search returning tens of thousands of rows
// spends most of its time there, before its first row is sent, while the
// client has nothing to do. ok is false (nothing read) when the matches
// are too few or there is one processor.
func parallelDocIDs(ctx context.Context, segs []*scorch.SegmentSnapshot, results []*roaring.Bitmap, total uint64, fn func(id []byte)) (n int, ok bool, err error) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || total < parallelIDsMin || total > math.MaxInt32 || parallelDocIDsOff.Load() {
		return 0, false, nil
	}
	var runs []*idRun
	for i, bm := range results {
		docs := bm.ToArray()
		for len(docs) > 0 {
			k := min(len(docs), idRunDocs)
			runs = append(runs, &idRun{seg: i, docs: docs[:k]})
			docs = docs[k:]
		}
	}
	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for range min(workers, len(runs)) {
		g.Go(func() error {
			var arena idArena
			for {
				i := int(next.Add(1) - 1)
				if i >= len(runs) {
					return nil
				}
				if err := gctx.Err(); err != nil {
					return err
				}
				run := runs[i]
				run.ids = make([][]byte, 0, len(run.docs))
				if err := segmentDocIDs(segs[run.seg], run.docs, &arena, func(id []byte) {
					run.ids = append(run.ids, id)
				}); err != nil {
					return err
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return 0, true, err
	}
	for _, run := range runs {
		for _, id := range run.ids {
			fn(id)
		}
		n += len(run.ids)
	}
	return n, true, nil
}

// segmentDocIDsOff makes segmentDocIDs use DocID only (tests).
var segmentDocIDsOff atomic.Bool

// idArena copies document IDs into shared chunks: one allocation per
// chunk instead of one per ID. Each copy is capped at its length, so a
// caller appending to one cannot overwrite the next.
type idArena struct{ buf []byte }

// idArenaChunk is the size of a fresh chunk (IDs are primary keys: a few
// to a few dozen bytes).
const idArenaChunk = 8 << 10

// copy returns a copy of id that the caller owns.
func (a *idArena) copy(id []byte) []byte {
	if len(id) > cap(a.buf)-len(a.buf) {
		a.buf = make([]byte, 0, max(idArenaChunk, len(id)))
	}
	n := len(a.buf)
	a.buf = append(a.buf, id...)
	return a.buf[n:len(a.buf):len(a.buf)]
}
