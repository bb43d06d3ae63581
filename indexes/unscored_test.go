package indexes

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/upsidedown"
	"github.com/blevesearch/bleve/v2/index/upsidedown/store/gtreap"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

// TestUnscoredFormSameMatches checks that unscoredForm keeps the matches
// of random natural and boolean mode searches (several text fields and
// analyzers, '+', '-', phrases, prefixes, stop words, CJK) and of their
// conjunctions and disjunctions.
func TestUnscoredFormSameMatches(t *testing.T) {
	sp := Spec{Def: storage.SearchIndexDef{Name: "t"}, Fields: []Field{
		{Col: storage.SearchColumn{Name: "a", ID: 1, Ord: 0, Type: types.Text}, Kind: KindText, Analyzer: AnalyzerStandard},
		{Col: storage.SearchColumn{Name: "b", ID: 2, Ord: 1, Type: types.Text}, Kind: KindText, Analyzer: AnalyzerCJK},
	}}
	ix := newMemIndex(t, sp)
	b := ix.b
	im := b.Mapping()
	words := []string{"drone", "tripod", "black", "the", "coffee", "maker", "无人机", "相机", "蓝牙", "Case", "phone", "a"}
	r := rand.New(rand.NewPCG(3, 4))
	text := func(n int) string {
		var ws []string
		for range n {
			ws = append(ws, words[r.IntN(len(words))])
		}
		return strings.Join(ws, " ")
	}
	batch := b.NewBatch()
	for i := range 400 {
		if err := batch.IndexAdvanced(ix.docs.document(fmt.Sprint(i), sql.Row{text(1 + r.IntN(5)), text(r.IntN(4))})); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Batch(batch); err != nil {
		t.Fatal(err)
	}
	matches := func(q query.Query) []string {
		rd := indexReader(t, b)
		defer rd.Close()
		return searcherIDs(t, rd, im, q)
	}
	boolText := func() string {
		var ts []string
		for range 1 + r.IntN(4) {
			w := words[r.IntN(len(words))]
			switch r.IntN(6) {
			case 0:
				w = "-" + w
			case 1, 2:
				w = "+" + w
			case 3:
				w = `"` + w + " " + words[r.IntN(len(words))] + `"`
			case 4:
				w = w[:1+r.IntN(len(w))] + "*"
			}
			ts = append(ts, w)
		}
		return strings.Join(ts, " ")
	}
	random := func() query.Query {
		if r.IntN(2) == 0 {
			return sp.NaturalQuery(text(1 + r.IntN(3)))
		}
		return sp.BooleanQuery(boolText())
	}
	nonEmpty := 0
	for range 500 {
		q := random()
		switch r.IntN(4) {
		case 0:
			q = bleve.NewConjunctionQuery(q, random())
		case 1:
			q = bleve.NewDisjunctionQuery(q, random())
		}
		want := matches(q)
		got := matches(unscoredForm(q, im))
		if !slices.Equal(got, want) {
			t.Fatalf("query %#v: %d matches unscored, %d as built", q, len(got), len(want))
		}
		if len(want) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 200 {
		t.Errorf("only %d of 500 queries matched anything", nonEmpty)
	}
}

// TestTermCountLive checks that counting a single term's matches from its
// postings (CountUpTo) counts live documents only, as iterating them
// does, in a scorch index with several segments, updates and deletes.
func TestTermCountLive(t *testing.T) {
	sp := Spec{Def: storage.SearchIndexDef{Name: "t"}, Fields: []Field{
		{Col: storage.SearchColumn{Name: "k", ID: 1, Ord: 0, Type: types.Text}, Kind: KindKeyword},
	}}
	ix := newScorchIndex(t, sp)
	b := ix.b
	vals := []string{"a", "b", "c", "d"}
	r := rand.New(rand.NewPCG(8, 9))
	for round := range 6 {
		batch := b.NewBatch()
		for range 200 {
			id := fmt.Sprint(r.IntN(500))
			if round > 0 && r.IntN(4) == 0 {
				batch.Delete(id)
				continue
			}
			if err := batch.IndexAdvanced(ix.docs.document(id, sql.Row{vals[r.IntN(len(vals))]})); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Batch(batch); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			tq := bleve.NewTermQuery(v)
			tq.SetField(sp.Fields[0].Name())
			got, err := ix.CountUpTo(context.Background(), tq, 0)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ix.Matches(context.Background(), bleve.NewConjunctionQuery(tq, bleve.NewMatchAllQuery()), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("round %d, term %s: counted %d, %d live matches", round, v, got, want)
			}
			if lim, _ := ix.CountUpTo(context.Background(), tq, 3); want >= 3 && lim != 3 {
				t.Fatalf("count up to 3: %d", lim)
			}
		}
	}
}

// indexReader opens a reader of b's current snapshot; the caller closes it.
func indexReader(t *testing.T, b bleve.Index) index.IndexReader {
	t.Helper()
	ii, err := b.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	rd, err := ii.Reader()
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

// searcherIDs runs q through bleve's own searcher, unscored, and returns
// the external IDs of its matches, sorted: the reference the unscored and
// bitmap evaluations are compared with.
func searcherIDs(t *testing.T, rd index.IndexReader, im mapping.IndexMapping, q query.Query) []string {
	t.Helper()
	sr, err := q.Searcher(context.Background(), rd, im, search.SearcherOptions{Score: "none"})
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(sr.DocumentMatchPoolSize(), 0)}
	var out []string
	for {
		dm, err := sr.Next(sctx)
		if err != nil {
			t.Fatal(err)
		}
		if dm == nil {
			break
		}
		id, err := rd.ExternalID(dm.IndexInternalID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
		sctx.DocumentMatchPool.Put(dm)
	}
	slices.Sort(out)
	return out
}

// newScorchIndex opens an Index for sp over a new scorch index in a
// temporary directory, closed when the test ends.
func newScorchIndex(t *testing.T, sp Spec) *Index {
	t.Helper()
	return newTestIndex(t, sp, func(im mapping.IndexMapping) (bleve.Index, error) {
		return bleve.NewUsing(t.TempDir(), im, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, nil)
	})
}

// newMemIndex opens an Index for sp over a new in-memory (upsidedown,
// gtreap) bleve index, closed when the test ends.
func newMemIndex(t *testing.T, sp Spec) *Index {
	t.Helper()
	return newTestIndex(t, sp, func(im mapping.IndexMapping) (bleve.Index, error) {
		return bleve.NewUsing("", im, upsidedown.Name, gtreap.Name, nil)
	})
}

func newTestIndex(t *testing.T, sp Spec, open func(mapping.IndexMapping) (bleve.Index, error)) *Index {
	t.Helper()
	im, err := sp.Mapping()
	if err != nil {
		t.Fatal(err)
	}
	b, err := open(im)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeBleve(b) })
	ix, err := newIndex(sp, b)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}
