package indexes

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

func TestParseBoolean(t *testing.T) {
	got := parseBoolean(`+apple -"sour milk" pie* (>tart <cake) ~x + - "" "open`)
	want := []boolTerm{
		{op: '+', text: "apple"},
		{op: '-', text: "sour milk", phrase: true},
		{text: "pie", prefix: true},
		{text: "tart"},
		{text: "cake"},
		{text: "x"},
		{text: "open", phrase: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func FuzzParseBoolean(f *testing.F) {
	for _, s := range []string{`+a -b "c d" e*`, `"`, `+`, `-"`, `(((`, `*`, "蓝牙 +耳机*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, term := range parseBoolean(s) {
			if term.text == "" {
				t.Fatalf("empty term from %q", s)
			}
		}
		sp := Spec{Fields: []Field{{Col: storage.SearchColumn{ID: 1}, Kind: KindText, Analyzer: AnalyzerStandard}}}
		_ = sp.BooleanQuery(s)
	})
}

func TestParseSpec(t *testing.T) {
	def := storage.SearchIndexDef{Name: "s", Columns: []storage.SearchColumn{
		{Name: "title", ID: 1, Type: types.Text}, {Name: "Status", ID: 2, Type: types.Text},
		{Name: "amount", ID: 3, Type: types.Int64}, {Name: "note", ID: 4, Type: types.Text},
	}}
	def.Comment = "search fields: analyzer=cjk status=keyword AMOUNT=long note=text:ngram"
	sp, err := ParseSpec(def)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range sp.Fields {
		kinds = append(kinds, f.Kind+":"+f.Analyzer)
	}
	if want := []string{"text:cjk", "keyword:", "long:", "text:ngram"}; !reflect.DeepEqual(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	if _, err := sp.Mapping(); err != nil {
		t.Fatal(err)
	}
	def.Comment = "title=ngram status=keyword,ngram note=text:cjk,ngram"
	if sp, err = ParseSpec(def); err != nil {
		t.Fatal(err)
	}
	kinds = nil
	for _, f := range sp.Fields {
		kinds = append(kinds, fmt.Sprintf("%s:%s:%v", f.Kind, f.Analyzer, f.Substr))
	}
	if want := []string{"ngram::true", "keyword::true", "text:standard:false", "text:cjk:true"}; !reflect.DeepEqual(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	if _, err := sp.Mapping(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"analyzer=klingon", "title=text:klingon", "title=blob", "nosuchcol=long", "title=text,ngarm", "title=keyword,long"} {
		def.Comment = bad
		if _, err := ParseSpec(def); err == nil {
			t.Errorf("COMMENT %q: no error", bad)
		}
	}
}
