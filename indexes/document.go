package indexes

import (
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
	"github.com/dolthub/go-mysql-server/sql"
)

// docBuilder builds a row's bleve document directly from the field
// mappings, as the index mapping would from Spec.Doc's map, without
// walking a map by reflection: indexing spends most of its time in bleve,
// and this was its avoidable part.
type docBuilder struct {
	spec   Spec
	fields []docField
	hash   docField
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
	b := &docBuilder{spec: s}
	for _, f := range s.Fields {
		df, err := prep(f.Name(), f.Kind, fieldMapping(f))
		if err != nil {
			return nil, err
		}
		b.fields = append(b.fields, df)
	}
	var err error
	b.hash, err = prep(hashField, KindKeyword, hashMapping())
	return b, err
}

// document is the bleve document of row (full table schema) with ID id.
func (b *docBuilder) document(id string, row sql.Row) *document.Document {
	doc := document.NewDocument(id)
	for i, f := range b.spec.Fields {
		v := row[f.Col.Ord]
		if v == nil {
			continue
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
			}
		}
	}
	doc.AddField(document.NewTextFieldCustom(b.hash.name, nil, []byte(b.spec.Hash(row)), b.hash.opts, b.hash.analyzer))
	doc.SetIndexed()
	return doc
}
