package indexes

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// Substring n-grams: LIKE '%abc%' (any pattern with literal characters)
// on a column declared <column>=ngram (or <type>,ngram) in the index
// COMMENT.
//
// GMS evaluates LIKE character by character: a pattern character matches
// one value character with the same collation sort order
// (sql.CollationID.Sorter), '_' any one character, '%' any run. So the
// field SubstrName holds the value folded to its characters' sort orders,
// cut into overlapping n-grams (substrN characters, the last ones padded
// with a sentinel so that every character starts a gram), the gram
// starting at character i at position i+1. A row the LIKE accepts
// contains each literal run of the pattern at some position, so its
// document holds the grams of each run of n or more characters at
// consecutive positions (a phrase), and a gram beginning with each
// shorter run: the pushed query (phrases and terms ANDed; a prefix query
// for a short run when there is no longer one) matches a superset of the
// accepted rows, and the LIKE stays above as the residual filter. Only
// utf8mb4/utf8mb3 string columns are folded (the characters GMS's matcher
// decodes are then Go's runes), and only a LIKE evaluated in the column's
// own collation is pushed.

// substrN is the gram length, in characters.
const substrN = 3

// substrPad is the sort order of the padding after a value's last
// character. A character whose sort order is negative matches any
// character in GMS's matcher (likeMatcherRune), so no real one has it.
const substrPad = -1

// substrSorter returns the sort-order function of a column substring
// grams can fold, and its collation.
func substrSorter(t sql.Type) (sql.CollationSorter, sql.CollationID, bool) {
	st, ok := t.(sql.StringType)
	if !ok || !types.IsText(t) || types.IsBinaryType(t) {
		return nil, 0, false
	}
	c := st.Collation()
	switch c.CharacterSet() {
	case sql.CharacterSet_utf8mb4, sql.CharacterSet_utf8mb3:
	default:
		return nil, 0, false
	}
	s := c.Sorter()
	if s == nil {
		return nil, 0, false
	}
	return s, c, true
}

// gramKey appends the term encoding of sort orders ws: 8 hex digits each,
// so that a prefix of a term ends at a character boundary.
func gramKey(dst []byte, ws []int32) []byte {
	var b [4]byte
	for _, w := range ws {
		binary.BigEndian.PutUint32(b[:], uint32(w))
		dst = hex.AppendEncode(dst, b[:])
	}
	return dst
}

// substrAnalyzer cuts a value into its substring grams (see above).
type substrAnalyzer struct{ sorter sql.CollationSorter }

// Analyze implements analysis.Analyzer.
func (a substrAnalyzer) Analyze(input []byte) analysis.TokenStream {
	s := string(input)
	ws := make([]int32, 0, len(s)+substrN-1)
	for _, r := range s {
		ws = append(ws, a.sorter(r))
	}
	n := len(ws)
	for range substrN - 1 {
		ws = append(ws, substrPad)
	}
	out := make(analysis.TokenStream, 0, n)
	for i := 0; i < n; i++ {
		term := gramKey(make([]byte, 0, 8*substrN), ws[i:i+substrN])
		out = append(out, &analysis.Token{Term: term, Position: i + 1, Type: analysis.AlphaNumeric})
	}
	return out
}

// likeRuns returns the literal runs of a LIKE pattern as GMS's matcher
// reads it (sql/expression.ConstructLikeMatcher): sort orders of the
// characters between wildcards; ok is false when the pattern is invalid
// (the LIKE fails) or not UTF-8.
func likeRuns(pattern string, escape rune, sorter sql.CollationSorter) (runs [][]int32, ok bool) {
	var cur []int32
	flush := func() {
		if len(cur) > 0 {
			runs = append(runs, cur)
			cur = nil
		}
	}
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		if r == utf8.RuneError {
			return nil, false
		}
		i += n
		switch r {
		case '_', '%':
			flush()
			continue
		case escape:
			if r, n = utf8.DecodeRuneInString(pattern[i:]); r == utf8.RuneError {
				return nil, false
			}
			i += n
		}
		w := sorter(r)
		if w < 0 { // matches any character, like '_'
			flush()
			continue
		}
		cur = append(cur, w)
	}
	flush()
	return runs, true
}

// substrQuery is the query over field (a SubstrName) a value must match
// to contain every run; ok is false when no run restricts anything. A
// run of substrN or more characters is the phrase of its grams: the
// value has them at consecutive positions exactly when it contains the
// run. Grams that overlap the ones around them add nothing the others do
// not say, so every substrN-th and the last one stand for them all.
func substrQuery(field string, runs [][]int32) (query.Query, bool) {
	var qs []query.Query
	seen := map[string]bool{}
	long := false
	for _, run := range runs {
		long = long || len(run) >= substrN
	}
	for _, run := range runs {
		if len(run) >= substrN {
			// The grams at offsets 0, substrN, 2*substrN, ... and the
			// last one cover the run's characters: the phrase names only
			// them, with "" (any gram) between.
			var grams []string
			last := len(run) - substrN
			for i := 0; i <= last; i++ {
				if i%substrN == 0 || i == last {
					grams = append(grams, string(gramKey(nil, run[i:i+substrN])))
				} else {
					grams = append(grams, "")
				}
			}
			key := strings.Join(grams, " ")
			if seen[key] {
				continue
			}
			seen[key] = true
			if len(grams) == 1 {
				tq := bleve.NewTermQuery(grams[0])
				tq.SetField(field)
				qs = append(qs, tq)
			} else {
				qs = append(qs, bleve.NewPhraseQuery(grams, field))
			}
		} else if !long {
			pq := bleve.NewPrefixQuery(string(gramKey(nil, run)))
			pq.SetField(field)
			qs = append(qs, pq)
		}
	}
	switch len(qs) {
	case 0:
		return nil, false
	case 1:
		return qs[0], true
	}
	return bleve.NewConjunctionQuery(qs...), true
}

// likeSubstr translates col LIKE pattern over col's substring grams.
func (p *pusher) likeSubstr(x *expression.Like, f Field, pat string, escape rune, litDesc string) (pushed, bool) {
	sorter, coll, ok := substrSorter(f.Col.Type)
	if !ok {
		return pushed{}, false
	}
	if c, _ := x.CollationCoercibility(p.ctx); c != coll {
		return pushed{}, false
	}
	runs, ok := likeRuns(pat, escape, sorter)
	if !ok {
		return pushed{}, false
	}
	q, ok := substrQuery(f.SubstrName(), runs)
	if !ok {
		return pushed{}, false
	}
	return pushed{q: q, desc: fmt.Sprintf("%s LIKE %s (n-grams)", f.Col.Name, litDesc), exact: substrExact(pat, escape, sorter)}, true
}

// substrExact reports whether the grams query of pattern (substrQuery)
// matches exactly the values the LIKE accepts: when the pattern is
// %run% (one or more % on each side) with a run of literal characters.
// The query then asks for a gram beginning with a short run (the value
// has one exactly when the run occurs in it: the gram at position i
// begins with the value's characters from i on, and a gram's padding,
// below every character's sort order, matches no character of a run), or
// for the phrase of a longer run's grams (the grams at positions i to
// i+len-substrN are the run's exactly when the value's characters from i
// on are the run).
func substrExact(pattern string, escape rune, sorter sql.CollationSorter) bool {
	if escape == '%' || escape == '_' {
		return false
	}
	// elems: -1 for %, -2 for _, else a literal's sort order.
	var elems []int32
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		if r == utf8.RuneError {
			return false
		}
		i += n
		switch r {
		case '%':
			elems = append(elems, -1)
			continue
		case '_':
			elems = append(elems, -2)
			continue
		case escape:
			if r, n = utf8.DecodeRuneInString(pattern[i:]); r == utf8.RuneError {
				return false
			}
			i += n
		}
		w := sorter(r)
		if w < 0 { // matches any character, like '_'
			return false
		}
		elems = append(elems, w)
	}
	lo, hi := 0, len(elems)
	for lo < hi && elems[lo] == -1 {
		lo++
	}
	for hi > lo && elems[hi-1] == -1 {
		hi--
	}
	if lo == 0 || hi == len(elems) || hi == lo {
		return false
	}
	for _, e := range elems[lo:hi] {
		if e < 0 {
			return false
		}
	}
	return true
}
