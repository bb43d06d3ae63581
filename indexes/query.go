package indexes

import (
	"strings"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// NaturalQuery is MATCH ... AGAINST (... IN NATURAL LANGUAGE MODE): any
// word of text in any text field, ranked by BM25.
func (s Spec) NaturalQuery(text string) query.Query {
	var ds []query.Query
	for _, f := range s.TextFields() {
		q := bleve.NewMatchQuery(text)
		q.SetField(f.Name())
		q.Analyzer = f.BleveAnalyzer()
		ds = append(ds, q)
	}
	if len(ds) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	return bleve.NewDisjunctionQuery(ds...)
}

// boolTerm is one operand of a BOOLEAN MODE search string.
type boolTerm struct {
	op     byte // '+', '-' or 0
	text   string
	phrase bool
	prefix bool
}

// parseBoolean splits a MySQL BOOLEAN MODE search string into terms. It
// understands +word, -word, "phrase", word* and plain words; the ranking
// operators < > ~ and parentheses are accepted and ignored (their words
// count as plain words).
func parseBoolean(s string) []boolTerm {
	var out []boolTerm
	i := 0
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '(' || c == ')' || c == '<' || c == '>' || c == '~' {
			i++
			continue
		}
		t := boolTerm{}
		if c == '+' || c == '-' {
			t.op = c
			i++
			if i >= len(s) {
				break
			}
		}
		if s[i] == '"' {
			j := strings.IndexByte(s[i+1:], '"')
			var body string
			if j < 0 {
				body, i = s[i+1:], len(s)
			} else {
				body, i = s[i+1:i+1+j], i+2+j
			}
			t.text, t.phrase = body, true
		} else {
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n()<>~\"", rune(s[j])) {
				j++
			}
			w := s[i:j]
			i = j
			if strings.HasSuffix(w, "*") {
				w = strings.TrimRight(w, "*")
				t.prefix = true
			}
			t.text = w
		}
		if strings.TrimFunc(t.text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) == "" {
			continue
		}
		out = append(out, t)
	}
	return out
}

// BooleanQuery is MATCH ... AGAINST (... IN BOOLEAN MODE).
func (s Spec) BooleanQuery(text string) query.Query {
	var must, should, not []query.Query
	for _, t := range parseBoolean(text) {
		q := s.termQuery(t)
		switch t.op {
		case '+':
			must = append(must, q)
		case '-':
			not = append(not, q)
		default:
			should = append(should, q)
		}
	}
	if len(must) == 0 && len(should) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	bq := query.NewBooleanQuery(must, should, not)
	if len(must) == 0 {
		bq.SetMinShould(1)
	}
	return bq
}

// termQuery matches one term in any text field.
func (s Spec) termQuery(t boolTerm) query.Query {
	var ds []query.Query
	for _, f := range s.TextFields() {
		var q query.Query
		switch {
		case t.phrase:
			p := bleve.NewMatchPhraseQuery(t.text)
			p.SetField(f.Name())
			p.Analyzer = f.BleveAnalyzer()
			q = p
		case t.prefix:
			prefix := t.text
			if !f.CaseSensitive {
				prefix = strings.ToLower(prefix)
			}
			p := bleve.NewPrefixQuery(prefix)
			p.SetField(f.Name())
			q = p
		default:
			m := bleve.NewMatchQuery(t.text)
			m.SetField(f.Name())
			m.Analyzer = f.BleveAnalyzer()
			m.SetOperator(query.MatchQueryOperatorAnd)
			q = m
		}
		ds = append(ds, q)
	}
	if len(ds) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	if len(ds) == 1 {
		return ds[0]
	}
	return bleve.NewDisjunctionQuery(ds...)
}
