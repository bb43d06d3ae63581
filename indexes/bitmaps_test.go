package indexes

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"
	zap "github.com/blevesearch/zapx/v16"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/quarrydb/quarry/storage"
)

// TestBitmapMatchesSameAsSearcher checks that the bitmap evaluation of
// unscored searches with ranges (bitmapMatches) matches exactly the
// documents bleve's searchers match, and counts up to a limit as they do:
// random conjunctions and disjunctions of keyword terms, numeric ranges
// (integers, fractions, negative and huge values, open and exclusive
// bounds, empty ranges) and date ranges (second and sub-second values,
// open bounds), in a scorch index of several segments with updated and
// deleted documents.
func TestBitmapMatchesSameAsSearcher(t *testing.T) {
	sp := Spec{Def: storage.SearchIndexDef{Name: "t"}, Fields: []Field{
		{Col: storage.SearchColumn{Name: "k", ID: 1, Ord: 0, Type: types.Text}, Kind: KindKeyword},
		{Col: storage.SearchColumn{Name: "n", ID: 2, Ord: 1, Type: types.Int64}, Kind: KindLong},
		{Col: storage.SearchColumn{Name: "x", ID: 3, Ord: 2, Type: types.Float64}, Kind: KindDouble},
		{Col: storage.SearchColumn{Name: "d", ID: 4, Ord: 3, Type: types.DatetimeMaxPrecision}, Kind: KindDate},
		{Col: storage.SearchColumn{Name: "s", ID: 5, Ord: 4, Type: types.MustCreateString(sqltypes.VarChar, 64, sql.Collation_utf8mb4_bin)},
			Kind: KindNgram, Substr: true},
	}}
	ix := newScorchIndex(t, sp)
	b := ix.b
	grams := substrAnalyzer{sorter: sql.Collation_utf8mb4_bin.Sorter()}
	var strs []string // every string value indexed
	r := rand.New(rand.NewPCG(11, 12))
	keys := []string{"paid", "north", "south", "x"}
	epoch := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	randInt := func() int64 {
		switch r.IntN(5) {
		case 0:
			return r.Int64N(1<<40) - 1<<39
		case 1:
			return -r.Int64N(1000)
		}
		return r.Int64N(20000)
	}
	randTime := func() time.Time {
		tm := epoch.Add(time.Duration(r.Int64N(int64(730 * 24 * time.Hour)))).Truncate(time.Second)
		if r.IntN(5) == 0 {
			tm = tm.Add(time.Duration(r.IntN(1e9)))
		}
		return tm
	}
	for round := range 5 {
		batch := b.NewBatch()
		for range 300 {
			id := fmt.Sprint(r.IntN(1200))
			if round > 0 && r.IntN(5) == 0 {
				batch.Delete(id)
				continue
			}
			str := randGramString(r)
			strs = append(strs, str)
			row := sql.Row{keys[r.IntN(len(keys))], randInt(), float64(randInt()) / 8, randTime(), str}
			if r.IntN(10) == 0 {
				row[1] = nil
			}
			if err := batch.IndexAdvanced(ix.docs.document(id, row)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Batch(batch); err != nil {
			t.Fatal(err)
		}
	}
	yes, no := true, false
	bools := []*bool{&yes, &no, nil}
	term := func() query.Query {
		tq := bleve.NewTermQuery(keys[r.IntN(len(keys))])
		tq.SetField(sp.Fields[0].Name())
		return tq
	}
	numRange := func() query.Query {
		var lo, hi *float64
		f := 1
		scale := 1.0
		if r.IntN(2) == 0 {
			f, scale = 2, 8
		}
		if r.IntN(4) > 0 {
			x := float64(randInt()) / scale
			lo = &x
		}
		if r.IntN(4) > 0 {
			x := float64(randInt()) / scale
			if lo != nil && r.IntN(3) > 0 {
				x = *lo + math.Abs(x)
			}
			hi = &x
		}
		q := bleve.NewNumericRangeInclusiveQuery(lo, hi, bools[r.IntN(3)], bools[r.IntN(3)])
		q.SetField(sp.Fields[f].Name())
		return q
	}
	dateRange := func() query.Query {
		var lo, hi time.Time
		if r.IntN(4) > 0 {
			lo = randTime()
		}
		if r.IntN(4) > 0 || lo.IsZero() {
			hi = randTime()
			if !lo.IsZero() && r.IntN(3) > 0 {
				hi = lo.Add(time.Duration(r.Int64N(int64(90 * 24 * time.Hour))))
			}
		}
		q := bleve.NewDateRangeInclusiveQuery(lo, hi, bools[r.IntN(2)], bools[r.IntN(2)])
		q.SetField(sp.Fields[3].Name())
		return q
	}
	// phrase: the grams of a run of a value indexed (or of a random
	// string), some of them "" (any term), with "" around them at times.
	phrase := func() query.Query {
		str := strs[r.IntN(len(strs))]
		if r.IntN(4) == 0 {
			str = randGramString(r)
		}
		rs := []rune(str)
		from := r.IntN(len(rs) + 1)
		to := from + r.IntN(len(rs)-from+1)
		var terms []string
		if r.IntN(4) == 0 {
			terms = append(terms, "")
		}
		for _, tok := range grams.Analyze([]byte(string(rs[from:to]))) {
			if r.IntN(3) == 0 {
				terms = append(terms, "")
			} else {
				terms = append(terms, string(tok.Term))
			}
		}
		if r.IntN(4) == 0 {
			terms = append(terms, "")
		}
		if slices.IndexFunc(terms, func(t string) bool { return t != "" }) < 0 {
			terms = append(terms, string(grams.Analyze([]byte("ab"))[0].Term))
		}
		return bleve.NewPhraseQuery(terms, sp.Fields[4].SubstrName())
	}
	var random func(depth int) query.Query
	random = func(depth int) query.Query {
		n := r.IntN(7)
		if n == 6 {
			return phrase()
		}
		if depth > 1 {
			n = r.IntN(3)
		}
		switch n {
		case 0:
			return term()
		case 1:
			return numRange()
		case 2:
			return dateRange()
		case 3, 4:
			var cs []query.Query
			for range 2 + r.IntN(3) {
				cs = append(cs, random(depth+1))
			}
			return bleve.NewConjunctionQuery(cs...)
		}
		return bleve.NewDisjunctionQuery(random(depth+1), random(depth+1))
	}
	rd := indexReader(t, b)
	defer rd.Close()
	searched := func(q query.Query) []string { return searcherIDs(t, rd, b.Mapping(), q) }
	nonEmpty, partial := 0, 0
	for i := range 600 {
		q := random(0)
		p := planBitmaps(q)
		if p == nil {
			t.Fatalf("query %d: not planned: %#v", i, q)
		}
		want := searched(q)
		var got []string
		n, ok, err := bitmapMatches(context.Background(), rd, p, 0, func(id []byte) { got = append(got, string(id)) }, nil)
		if err != nil || !ok {
			t.Fatalf("query %d: ok %v, %v", i, ok, err)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) || n != len(want) {
			t.Fatalf("query %d %#v: %d bitmap matches (n %d), %d searched", i, q, len(got), n, len(want))
		}
		if len(want) > 0 {
			nonEmpty++
		}
		if len(want) > 0 && len(want) < 700 {
			partial++
		}
		lim := 1 + r.IntN(50)
		c, _, err := bitmapMatches(context.Background(), rd, p, lim, nil, nil)
		if err != nil || c != min(lim, len(want)) {
			t.Fatalf("query %d: count up to %d: %d (%v), %d matches", i, lim, c, err, len(want))
		}
	}
	if nonEmpty < 200 || partial < 150 {
		t.Errorf("weak sample: %d of 600 queries matched anything, %d some but not most", nonEmpty, partial)
	}
	// Phrases alone, against the searcher, and how often positions
	// decided (the terms' conjunction matched more).
	matched, positional := 0, 0
	for i := range 300 {
		q := phrase().(*query.PhraseQuery)
		p := planBitmaps(q)
		if p == nil {
			if slices.ContainsFunc(q.Terms, func(t string) bool { return t != "" }) {
				t.Fatalf("phrase %d %q: not planned", i, q.Terms)
			}
			continue
		}
		want := searched(q)
		var got []string
		if _, ok, err := bitmapMatches(context.Background(), rd, p, 0, func(id []byte) { got = append(got, string(id)) }, nil); err != nil || !ok {
			t.Fatalf("phrase %d: ok %v, %v", i, ok, err)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("phrase %d %q: %d bitmap matches, %d searched", i, q.Terms, len(got), len(want))
		}
		var tqs []query.Query
		for _, term := range q.Terms {
			if term != "" {
				tq := bleve.NewTermQuery(term)
				tq.SetField(q.FieldVal)
				tqs = append(tqs, tq)
			}
		}
		if len(want) > 0 {
			matched++
		}
		if len(searched(bleve.NewConjunctionQuery(tqs...))) > len(want) {
			positional++
		}
	}
	if matched < 100 || positional < 50 {
		t.Errorf("weak phrase sample: %d of 300 phrases matched anything, positions decided %d", matched, positional)
	}
	t.Logf("%d of 300 phrases matched, positions decided %d", matched, positional)
}

// randGramString is a short string of few letters, so that substring
// grams recur within and across values.
func randGramString(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(12) {
		b.WriteByte("aab"[r.IntN(3)])
	}
	return b.String()
}

// TestSegmentDocIDsMatchDocID checks segmentDocIDs (the direct read of
// zap v16 stored records, and the segment's idColumn) against the
// segments' own DocID on every document, and on random subsets, of a
// scorch index of several persisted segments with IDs of many lengths
// (empty to 300 bytes, any bytes), updated and deleted documents; and
// that the direct read and the columns were taken (the segments are zap
// v16).
func TestSegmentDocIDsMatchDocID(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	randID := func() string {
		id := make([]byte, []int{1, 2, 4, 9, 20, 130, 300}[r.IntN(7)])
		for i := range id {
			id[i] = byte(r.IntN(256))
		}
		return string(id)
	}
	_, b := churnedKeywordIndex(t, r, randID, func() string { return "x" })
	rd := indexReader(t, b)
	defer rd.Close()
	snap := rd.(*scorch.IndexSnapshot)
	defer func(c *idColumnCache, m uint64) { idColumns, idColumnMinDocs = c, m }(idColumns, idColumnMinDocs)
	idColumns, idColumnMinDocs = newIDColumnCache(64<<20), 1
	for _, columns := range []bool{false, true} {
		idColumnsOff.Store(!columns)
		direct, docsSeen := 0, 0
		for _, ss := range snap.Segments() {
			if _, ok := ss.Segment().(*zap.Segment); ok {
				direct++
			}
			all := make([]uint32, ss.Count())
			for i := range all {
				all[i] = uint32(i)
			}
			// The whole segment first: with columns on, that read
			// builds the column the subsets then read.
			subsets := [][]uint32{all, nil}
			for range 20 {
				var sub []uint32
				for _, d := range all {
					if r.IntN(7) == 0 {
						sub = append(sub, d)
					}
				}
				subsets = append(subsets, sub)
			}
			for _, docs := range subsets {
				var got, want []string
				if err := segmentDocIDs(ss, docs, &idArena{}, func(id []byte) { got = append(got, string(id)) }); err != nil {
					t.Fatal(err)
				}
				if err := docIDsByDocID(ss, docs, &idArena{}, func(id []byte) { want = append(want, string(id)) }); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("columns %v, segment of %d documents: direct IDs differ from DocID's", columns, ss.Count())
				}
				docsSeen += len(docs)
			}
		}
		if direct == 0 || docsSeen < 2000 {
			t.Errorf("weak sample: %d zap v16 segments, %d documents compared", direct, docsSeen)
		}
		if _, cols, _ := idColumns.stats(); columns != (cols == direct) || columns != (cols > 0) {
			t.Errorf("columns %v: %d of %d zap v16 segments have a column", columns, cols, direct)
		}
	}
	idColumnsOff.Store(false)
}

// IDs read in parallel (parallelDocIDs, made to run on small indexes and
// in small runs) come in the serial loop's order, over segments with
// deletes and updates. Run under -race.
func TestParallelDocIDsMatchSerial(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	vals := []string{"a", "b", "c"}
	sp, b := churnedKeywordIndex(t, r,
		func() string { return fmt.Sprintf("id%05d", r.IntN(100000)) },
		func() string { return vals[r.IntN(len(vals))] })
	rd := indexReader(t, b)
	defer rd.Close()
	if n := len(rd.(*scorch.IndexSnapshot).Segments()); n < 2 {
		t.Fatalf("%d segments, want several", n)
	}
	defer func(m uint64, d int) { parallelIDsMin, idRunDocs = m, d }(parallelIDsMin, idRunDocs)
	parallelIDsMin, idRunDocs = 1, 37
	run := func(q query.Query, serial bool) (got []string, n int) {
		parallelDocIDsOff.Store(serial)
		defer parallelDocIDsOff.Store(false)
		n, ok, err := bitmapMatches(context.Background(), rd, planBitmaps(q), 0, func(id []byte) { got = append(got, string(id)) }, nil)
		if err != nil || !ok {
			t.Fatalf("%#v: ok %v, %v", q, ok, err)
		}
		return got, n
	}
	term := func(v string) query.Query {
		tq := bleve.NewTermQuery(v)
		tq.SetField(sp.Fields[0].Name())
		return tq
	}
	compared := 0
	for _, q := range []query.Query{
		term("a"),
		bleve.NewDisjunctionQuery(term("a"), term("c")),
		bleve.NewDisjunctionQuery(term("a"), term("b"), term("c")),
	} {
		want, wn := run(q, true)
		got, gn := run(q, false)
		if !slices.Equal(got, want) || gn != wn || gn != len(got) {
			t.Fatalf("%#v: parallel read %d IDs (n %d), serial %d (n %d), or in another order", q, len(got), gn, len(want), wn)
		}
		compared += len(got)
	}
	if compared < 2000 {
		t.Errorf("weak sample: %d IDs compared", compared)
	}
}

// churnedKeywordIndex builds a scorch index of one keyword field over six
// batches (persisted segments) of 400 writes: new documents (newID and
// value draw the ID and the field), updates of earlier ones (one in five)
// and, after the first batch, deletes (one in six).
func churnedKeywordIndex(t *testing.T, r *rand.Rand, newID, value func() string) (Spec, bleve.Index) {
	t.Helper()
	sp := Spec{Def: storage.SearchIndexDef{Name: "t"}, Fields: []Field{
		{Col: storage.SearchColumn{Name: "k", ID: 1, Ord: 0, Type: types.Text}, Kind: KindKeyword},
	}}
	ix := newScorchIndex(t, sp)
	var ids []string
	for round := range 6 {
		batch := ix.b.NewBatch()
		for range 400 {
			if round > 0 && r.IntN(6) == 0 {
				batch.Delete(ids[r.IntN(len(ids))])
				continue
			}
			id := newID()
			if len(ids) > 0 && r.IntN(5) == 0 {
				id = ids[r.IntN(len(ids))] // an update
			}
			ids = append(ids, id)
			if err := batch.IndexAdvanced(ix.docs.document(id, sql.Row{value()})); err != nil {
				t.Fatal(err)
			}
		}
		if err := ix.b.Batch(batch); err != nil {
			t.Fatal(err)
		}
	}
	return sp, ix.b
}
