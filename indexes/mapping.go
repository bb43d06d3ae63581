package indexes

import (
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/length"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/ngram"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

// Field kinds of a search index (see ParseSpec).
const (
	KindText    = "text"
	KindKeyword = "keyword"
	KindLong    = "long"
	KindDouble  = "double"
	KindDate    = "date"
	// KindNgram is a column indexed only by its substring grams (see
	// substr.go), for LIKE '%abc%'.
	KindNgram = "ngram"
)

// Analyzers for text fields.
const (
	AnalyzerStandard = "standard" // Unicode words, lower case, English stop words
	AnalyzerCJK      = "cjk"      // Unicode words; CJK runs as overlapping bigrams
	AnalyzerSingle   = "single"   // every character is a token
	AnalyzerNgram    = "ngram"    // 2- and 3-grams of each word (substring search)
)

// Field is one column of a search index as indexed.
type Field struct {
	Col      storage.SearchColumn
	Kind     string
	Analyzer string // text fields only
	// CaseSensitive is set for text fields over a column whose collation
	// is case-sensitive (_bin, _cs): their tokens keep their case, so
	// 'GHI' does not match 'ghi', as in InnoDB, which compares FULLTEXT
	// tokens with the column's collation.
	CaseSensitive bool
	// Substr: the column's substring grams are indexed too (SubstrName).
	Substr bool
}

// maxTokenChars is InnoDB's innodb_ft_max_token_size default: longer
// tokens are not indexed (and so never match; a longer search word
// matches nothing).
const maxTokenChars = 84

// BleveAnalyzer is the name of the analyzer of a text field in the
// index mapping (see Spec.Mapping).
func (f Field) BleveAnalyzer() string { return analyzerName(f.Analyzer, f.CaseSensitive) }

// analyzerName names the mapping's analyzer for one of the analyzers
// above, with or without lower-casing.
func analyzerName(a string, caseSensitive bool) string {
	if a == "" {
		a = AnalyzerStandard
	}
	n := "quarry_" + a
	if caseSensitive {
		n += "_cs"
	}
	return n
}

// caseSensitive reports whether a column's values compare case-sensitively
// (binary strings and _bin/_cs collations).
func caseSensitive(t sql.Type) bool {
	st, ok := t.(sql.StringType)
	if !ok {
		return false
	}
	c := st.Collation()
	return c == sql.Collation_binary || c.Collation().IsCaseSensitive
}

// Name is the bleve field name: the column ID, stable across renames.
func (f Field) Name() string { return fmt.Sprintf("c%d", f.Col.ID) }

// Typed reports whether the field is typed (keyword, long, double, date):
// such fields also index the column's sort key, for predicate pushdown.
func (f Field) Typed() bool { return f.Kind != KindText && f.Kind != KindNgram }

// KeyName is the field holding a typed column's sort key: the hex of the
// storage key encoding of the value (storage.SortKeyer), whose byte order
// and equality are the column type's (collation included), so =, IN,
// ranges and LIKE 'abc%' on the column are term, term-range and prefix
// queries. NULL has no sort key: NullName holds the term "1" instead.
func (f Field) KeyName() string { return fmt.Sprintf("k%d", f.Col.ID) }

// NullName is the field marking a typed column's NULLs (see KeyName).
func (f Field) NullName() string { return fmt.Sprintf("n%d", f.Col.ID) }

// SubstrName is the field holding the substring grams of a column
// declared ngram (see substr.go).
func (f Field) SubstrName() string { return fmt.Sprintf("g%d", f.Col.ID) }

// Spec is the parsed definition of a search index.
type Spec struct {
	Def    storage.SearchIndexDef
	Fields []Field
}

// hashField holds a hash of the indexed values of a document (stored, not
// indexed): a hit is verified against the row by comparing it.
const hashField = "_h"

// ParseSpec reads the index COMMENT. The syntax is space-separated
// key=value pairs:
//
//	analyzer=<standard|cjk|single|ngram>   default analyzer of text columns
//	<column>=text[:<analyzer>][,ngram]     a text column
//	<column>=keyword|long|double|date[,ngram]  a typed column
//	<column>=ngram                         substring grams only
//
// ",ngram" also indexes the column's substring grams, for LIKE '%abc%'
// (substr.go; string columns only, ignored on others). Columns not named are text with the default analyzer. Words without '='
// are ignored, so a COMMENT can also carry prose.
func ParseSpec(def storage.SearchIndexDef) (Spec, error) {
	sp := Spec{Def: def}
	defAnalyzer := AnalyzerStandard
	per := map[string]string{}
	for _, w := range strings.Fields(def.Comment) {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			continue
		}
		k, v = strings.ToLower(k), strings.ToLower(v)
		if k == "analyzer" {
			if !validAnalyzer(v) {
				return sp, fmt.Errorf("search index %s: unknown analyzer %q", def.Name, v)
			}
			defAnalyzer = v
			continue
		}
		per[k] = v
	}
	for _, c := range def.Columns {
		f := Field{Col: c, Kind: KindText, Analyzer: defAnalyzer, CaseSensitive: caseSensitive(c.Type)}
		if v, ok := per[strings.ToLower(c.Name)]; ok {
			v, mods, _ := strings.Cut(v, ",")
			for _, m := range strings.Split(mods, ",") {
				switch m {
				case "":
				case KindNgram:
					f.Substr = true
				default:
					return sp, fmt.Errorf("search index %s: column %s: unknown field option %q", def.Name, c.Name, m)
				}
			}
			kind, an, _ := strings.Cut(v, ":")
			switch kind {
			case KindText:
				if an != "" {
					if !validAnalyzer(an) {
						return sp, fmt.Errorf("search index %s: unknown analyzer %q", def.Name, an)
					}
					f.Analyzer = an
				}
			case KindKeyword, KindLong, KindDouble, KindDate:
				f.Kind, f.Analyzer, f.CaseSensitive = kind, "", false
			case KindNgram:
				f.Kind, f.Analyzer, f.CaseSensitive, f.Substr = kind, "", false, true
			default:
				return sp, fmt.Errorf("search index %s: column %s: unknown field type %q", def.Name, c.Name, kind)
			}
			delete(per, strings.ToLower(c.Name))
		}
		sp.Fields = append(sp.Fields, f)
	}
	for k := range per {
		return sp, fmt.Errorf("search index %s: COMMENT names %q, which is not a column of the index", def.Name, k)
	}
	return sp, nil
}

func validAnalyzer(a string) bool {
	switch a {
	case AnalyzerStandard, AnalyzerCJK, AnalyzerSingle, AnalyzerNgram:
		return true
	}
	return false
}

// TextFields returns the text fields.
func (s Spec) TextFields() []Field {
	var out []Field
	for _, f := range s.Fields {
		if f.Kind == KindText {
			out = append(out, f)
		}
	}
	return out
}

// Mapping builds the bleve index mapping (BM25 scoring).
func (s Spec) Mapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	im.ScoringModel = index.BM25Scoring
	im.DefaultAnalyzer = standard.Name // unused: every field names its analyzer
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false
	if err := addAnalyzers(im); err != nil {
		return nil, err
	}
	dm := bleve.NewDocumentStaticMapping()
	for _, f := range s.Fields {
		if f.Kind != KindNgram {
			dm.AddFieldMappingsAt(f.Name(), fieldMapping(f))
		}
		if f.Substr {
			dm.AddFieldMappingsAt(f.SubstrName(), substrMapping())
		}
		if f.Typed() {
			dm.AddFieldMappingsAt(f.KeyName(), termMapping())
			dm.AddFieldMappingsAt(f.NullName(), termMapping())
		}
	}
	dm.AddFieldMappingsAt(hashField, hashMapping())
	// Queries always name their fields, and no field is in _all: without
	// this, every document still builds the empty composite field.
	dm.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())
	im.DefaultMapping = dm
	return im, im.Validate()
}

// fieldMapping is the bleve mapping of one field.
func fieldMapping(f Field) *mapping.FieldMapping {
	var fm *mapping.FieldMapping
	switch f.Kind {
	case KindText:
		fm = bleve.NewTextFieldMapping()
		fm.Analyzer = f.BleveAnalyzer()
		fm.Store = false
		fm.IncludeInAll = false
		fm.IncludeTermVectors = true // phrases
	case KindKeyword:
		fm = bleve.NewKeywordFieldMapping()
		fm.Analyzer = keyword.Name
		fm.Store = false
	case KindLong, KindDouble:
		fm = bleve.NewNumericFieldMapping()
		fm.Store = false
	case KindNgram: // no field of its own (SubstrName only)
		return termMapping()
	default: // KindDate
		fm = bleve.NewDateTimeFieldMapping()
		fm.Store = false
	}
	fm.DocValues = f.Kind != KindText
	return fm
}

// termMapping maps an exact-term field that is only searched (sort keys,
// NULL markers).
func termMapping() *mapping.FieldMapping {
	fm := bleve.NewKeywordFieldMapping()
	fm.Analyzer = keyword.Name
	fm.Store = false
	fm.IncludeInAll = false
	fm.IncludeTermVectors = false
	fm.DocValues = false
	return fm
}

// substrMapping maps a column's substring grams (substr.go): exact terms
// with their positions, for phrases.
func substrMapping() *mapping.FieldMapping {
	fm := termMapping()
	fm.IncludeTermVectors = true
	return fm
}

// hashMapping maps the stored row hash (see Spec.Hash).
func hashMapping() *mapping.FieldMapping {
	h := bleve.NewKeywordFieldMapping()
	h.Index = false
	h.Store = true
	h.DocValues = false
	return h
}

// addAnalyzers registers the text analyzers in the mapping, each in a
// lower-casing and a case-preserving (_cs) variant. Every analyzer ends
// with a length filter dropping tokens longer than maxTokenChars.
//
//	standard: Unicode words, lower case, English stop words
//	cjk:      Unicode words, CJK width folding, lower case, CJK bigrams
//	single:   Unicode words, lower case, every character a token
//	ngram:    Unicode words, lower case, 2- and 3-grams
func addAnalyzers(im *mapping.IndexMappingImpl) error {
	filters := []struct {
		name string
		cfg  map[string]interface{}
	}{
		{"quarry_ngram11", map[string]interface{}{"type": ngram.Name, "min": 1.0, "max": 1.0}},
		{"quarry_ngram23", map[string]interface{}{"type": ngram.Name, "min": 2.0, "max": 3.0}},
		{"quarry_maxlen", map[string]interface{}{"type": length.Name, "max": float64(maxTokenChars)}},
	}
	for _, f := range filters {
		if err := im.AddCustomTokenFilter(f.name, f.cfg); err != nil {
			return err
		}
	}
	chains := map[string][]string{
		AnalyzerStandard: {"LOWER", en.StopName},
		AnalyzerCJK:      {cjk.WidthName, "LOWER", cjk.BigramName},
		AnalyzerSingle:   {"LOWER", "quarry_ngram11"},
		AnalyzerNgram:    {"LOWER", "quarry_ngram23"},
	}
	for a, chain := range chains {
		for _, cs := range []bool{false, true} {
			var fs []string
			for _, f := range chain {
				if f == "LOWER" {
					if cs {
						continue
					}
					f = lowercase.Name
				}
				fs = append(fs, f)
			}
			fs = append(fs, "quarry_maxlen")
			if err := im.AddCustomAnalyzer(analyzerName(a, cs), map[string]interface{}{"type": custom.Name,
				"tokenizer": unicode.Name, "token_filters": fs}); err != nil {
				return err
			}
		}
	}
	return nil
}

// textColumn reports whether a column can be a text field: CHAR, VARCHAR
// or TEXT with a character set (MySQL's rule for FULLTEXT columns).
func textColumn(t sql.Type) bool { return types.IsTextOnly(t) }
