package indexes

import (
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

// TestDocBuilderMatchesMapping indexes the same rows through the index
// mapping (Batch.Index of Spec.Doc) and through docBuilder
// (Batch.IndexAdvanced), for every field kind and analyzer, and requires
// identical hits, scores and stored hashes for natural, boolean, phrase,
// prefix, keyword, numeric and date queries.
func TestDocBuilderMatchesMapping(t *testing.T) {
	def := storage.SearchIndexDef{Name: "s", Columns: []storage.SearchColumn{
		{Name: "title", Ord: 0, ID: 1, Type: types.Text}, {Name: "status", Ord: 1, ID: 2, Type: types.Text},
		{Name: "amount", Ord: 2, ID: 3, Type: types.Int64}, {Name: "note", Ord: 3, ID: 4, Type: types.Text},
		{Name: "price", Ord: 4, ID: 5, Type: types.Float64}, {Name: "at", Ord: 5, ID: 6, Type: types.Datetime},
		{Name: "cn", Ord: 6, ID: 7, Type: types.Text}, {Name: "one", Ord: 7, ID: 8, Type: types.Text},
	}}
	def.Comment = "status=keyword amount=long note=text:ngram price=double at=date cn=text:cjk one=text:single"
	sp, err := ParseSpec(def)
	if err != nil {
		t.Fatal(err)
	}
	open := func() bleve.Index {
		im, err := sp.Mapping()
		if err != nil {
			t.Fatal(err)
		}
		b, err := bleve.NewUsing(t.TempDir()+"/ix", im, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, bleveConfig())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}
	viaMap, direct := open(), open()
	ix, err := newIndex(sp, direct)
	if err != nil {
		t.Fatal(err)
	}
	words := []string{"red", "shoe", "Running", "blue", "the", "lamp", "café", "ÜBER", "x1", "水", "杯子", "猫"}
	rng := rand.New(rand.NewSource(3))
	text := func(n int) any {
		if rng.Intn(10) == 0 {
			return nil
		}
		s := ""
		for i := 0; i < 1+rng.Intn(n); i++ {
			if i > 0 {
				s += " "
			}
			s += words[rng.Intn(len(words))]
		}
		return s
	}
	bm, bd := viaMap.NewBatch(), direct.NewBatch()
	for i := 0; i < 500; i++ {
		row := sql.Row{text(6), []string{"new", "paid", "Shipped"}[rng.Intn(3)], int64(rng.Intn(100) - 50),
			text(3), rng.Float64() * 100, time.Date(2024, 1, 1+rng.Intn(60), rng.Intn(24), 0, 0, 0, time.UTC), text(4), text(2)}
		id := fmt.Sprintf("k%04d", i)
		if err := bm.Index(id, sp.Doc(row)); err != nil {
			t.Fatal(err)
		}
		if err := bd.IndexAdvanced(ix.docs.document(id, row)); err != nil {
			t.Fatal(err)
		}
	}
	if err := viaMap.Batch(bm); err != nil {
		t.Fatal(err)
	}
	if err := direct.Batch(bd); err != nil {
		t.Fatal(err)
	}
	field := func(name string) string {
		for _, f := range sp.Fields {
			if f.Col.Name == name {
				return f.Name()
			}
		}
		t.Fatalf("no field %s", name)
		return ""
	}
	term := bleve.NewTermQuery("Shipped")
	term.SetField(field("status"))
	lo, hi := -10.0, 20.0
	num := bleve.NewNumericRangeQuery(&lo, &hi)
	num.SetField(field("amount"))
	plo, phi := 10.0, 60.0
	price := bleve.NewNumericRangeQuery(&plo, &phi)
	price.SetField(field("price"))
	dr := bleve.NewDateRangeQuery(time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))
	dr.SetField(field("at"))
	queries := map[string]query.Query{
		"natural": sp.NaturalQuery("red running shoes café"),
		"keyword": term,
		"long":    num,
		"double":  price,
		"date":    dr,
		"all":     bleve.NewMatchAllQuery(),
	}
	for _, s := range []string{`+red -blue`, `"red shoe"`, `lam*`, `水 杯子`, `über`, `+"blue lamp" x1*`} {
		queries["boolean "+s] = sp.BooleanQuery(s)
	}
	for name, q := range queries {
		res := func(b bleve.Index) []string {
			req := bleve.NewSearchRequestOptions(q, 1000, 0, false)
			req.Fields = []string{hashField}
			r, err := b.Search(req)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var out []string
			for _, h := range r.Hits {
				out = append(out, fmt.Sprintf("%s %.9f %v", h.ID, h.Score, h.Fields[hashField]))
			}
			sort.Strings(out) // by ID: equal scores may come in either order
			return out
		}
		m, d := res(viaMap), res(direct)
		if !reflect.DeepEqual(m, d) {
			for i := range min(len(m), len(d)) {
				if m[i] != d[i] {
					t.Fatalf("%s: mapping path %d hits, direct %d; first difference %q vs %q", name, len(m), len(d), m[i], d[i])
				}
			}
			t.Fatalf("%s: mapping path %d hits, direct %d hits", name, len(m), len(d))
		}
		if len(m) == 0 && name != "boolean über" {
			t.Errorf("%s: no hits, the comparison says nothing", name)
		}
	}
}
