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
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
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
	im, err := sp.Mapping()
	if err != nil {
		t.Fatal(err)
	}
	b, err := bleve.NewUsing("", im, upsidedown.Name, gtreap.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ix, err := newIndex(sp, b)
	if err != nil {
		t.Fatal(err)
	}
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
		ii, err := b.Advanced()
		if err != nil {
			t.Fatal(err)
		}
		rd, err := ii.Reader()
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
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
