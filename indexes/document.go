package indexes

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage"
)

// docBuilder builds a row's bleve document directly from the field
// mappings, as the index mapping would from Spec.Doc's map, without
// walking a map by reflection: indexing spends most of its time in bleve,
// and this was its avoidable part.
type docBuilder struct {
	spec   Spec
	fields []docField
	hash   docField
	// keys and nulls are the sort-key and NULL-marker fields of the
	// typed fields (nil keyer for text fields).
	keys, nulls []docField
	keyers      []*storage.SortKeyer
	// subs are the substring-gram fields (nil analyzer: none).
	subs []docField
	ctx  *sql.Context
}

type docField struct {
	name     string
	kind     string
	opts     index.FieldIndexingOptions
	analyzer analysis.Analyzer // text and keyword fields
}

func newDocBuilder(s Spec, im mapping.IndexMapping) (*docBuilder, error) {
	prep := func(name, kind string, fm *mapping.FieldMapping) (docField, error) {
		df := docField{name: name, kind: kind, opts: fm.Options()}
		if fm.Type == "text" {
			if df.analyzer = im.AnalyzerNamed(fm.Analyzer); df.analyzer == nil {
				return df, fmt.Errorf("indexes: no analyzer %q", fm.Analyzer)
			}
		}
		return df, nil
	}
	b := &docBuilder{spec: s, ctx: sql.NewEmptyContext()}
	for _, f := range s.Fields {
		df, err := prep(f.Name(), f.Kind, fieldMapping(f))
		if err != nil {
			return nil, err
		}
		b.fields = append(b.fields, df)
		var kf, nf docField
		var keyer *storage.SortKeyer
		if f.Typed() {
			if kf, err = prep(f.KeyName(), KindKeyword, termMapping()); err != nil {
				return nil, err
			}
			if nf, err = prep(f.NullName(), KindKeyword, termMapping()); err != nil {
				return nil, err
			}
			keyer, _ = storage.NewSortKeyer(f.Col.Type)
		}
		b.keys, b.nulls, b.keyers = append(b.keys, kf), append(b.nulls, nf), append(b.keyers, keyer)
		var sf docField
		if sorter, _, ok := substrSorter(f.Col.Type); ok && f.Substr {
			sf = docField{name: f.SubstrName(), kind: KindKeyword, opts: substrMapping().Options(), analyzer: substrAnalyzer{sorter}}
		}
		b.subs = append(b.subs, sf)
	}
	var err error
	b.hash, err = prep(hashField, KindKeyword, hashMapping())
	return b, err
}

// addKey adds the sort-key (or NULL-marker) term of typed field i. A
// value without a sort key (a type that cannot be a key) adds neither:
// predicates on such a column are never pushed (see pushdown).
func (b *docBuilder) addKey(doc *document.Document, i int, v any) {
	if v == nil {
		nf := &b.nulls[i]
		doc.AddField(document.NewTextFieldCustom(nf.name, nil, []byte(nullTerm), nf.opts, nf.analyzer))
		return
	}
	if b.keyers[i] == nil {
		return
	}
	k, err := b.keyers[i].Key(b.ctx, v)
	if err != nil {
		return
	}
	kf := &b.keys[i]
	doc.AddField(document.NewTextFieldCustom(kf.name, nil, []byte(hex.EncodeToString(k)), kf.opts, kf.analyzer))
}

// nullTerm is the term of NULL markers; outOfRangeTerm marks a date
// bleve cannot index as a date (see pusher.rangeQuery).
const (
	nullTerm       = "1"
	outOfRangeTerm = "2"
)

// document is the bleve document of row (full table schema) with ID id.
func (b *docBuilder) document(id string, row sql.Row) *document.Document {
	doc := document.NewDocument(id)
	for i, f := range b.spec.Fields {
		v := row[f.Col.Ord]
		if f.Typed() {
			b.addKey(doc, i, v)
		}
		if v == nil {
			continue
		}
		if sf := &b.subs[i]; sf.analyzer != nil {
			if str, ok := v.(string); ok {
				doc.AddField(document.NewTextFieldCustom(sf.name, nil, []byte(str), sf.opts, sf.analyzer))
			}
		}
		fv, ok := fieldValue(f, v)
		if !ok {
			continue
		}
		df := &b.fields[i]
		switch x := fv.(type) {
		case string:
			doc.AddField(document.NewTextFieldCustom(df.name, nil, []byte(x), df.opts, df.analyzer))
		case float64:
			doc.AddField(document.NewNumericFieldWithIndexingOptions(df.name, nil, x, df.opts))
		case time.Time:
			if field, err := document.NewDateTimeFieldWithIndexingOptions(df.name, nil, x, time.RFC3339, df.opts); err == nil {
				doc.AddField(field)
			} else if f.Typed() {
				// Out of bleve's range: date range queries match it anyway.
				nf := &b.nulls[i]
				doc.AddField(document.NewTextFieldCustom(nf.name, nil, []byte(outOfRangeTerm), nf.opts, nf.analyzer))
			}
		}
	}
	doc.AddField(document.NewTextFieldCustom(b.hash.name, nil, []byte(b.spec.Hash(row)), b.hash.opts, b.hash.analyzer))
	doc.SetIndexed()
	return doc
}
