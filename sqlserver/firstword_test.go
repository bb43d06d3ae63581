package sqlserver

import (
	"strings"
	"testing"
)

// TestFirstWordMatchesToLower checks that firstWord's keyword constants
// give exactly the lower-cased word and rest the plain lowering gave, for
// every known keyword in several cases and for words that only resemble
// them, and that upper-case statements are classified without allocating.
func TestFirstWordMatchesToLower(t *testing.T) {
	var words []string
	for _, kw := range leadingKeywords {
		words = append(words, kw, strings.ToUpper(kw), strings.ToUpper(kw[:1])+kw[1:], kw+"x", kw[:len(kw)-1], "_"+kw)
	}
	words = append(words, "", "Foo_Bar", "SELECT_", "kIlL")
	for _, w := range words {
		for _, q := range []string{w, w + " rest(1)", "  /* c */ " + w + "\n\tx", w + "1"} {
			gotW, gotRest := firstWord(q)
			s := skipSpaceAndComments(q)
			i := 0
			for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
				i++
			}
			if wantW, wantRest := strings.ToLower(s[:i]), s[i:]; gotW != wantW || gotRest != wantRest {
				t.Errorf("firstWord(%q) = %q, %q; want %q, %q", q, gotW, gotRest, wantW, wantRest)
			}
		}
	}
	q := "UPDATE sbtest1 SET k=k+1 WHERE id=?"
	if n := testing.AllocsPerRun(100, func() { classifyStatement(q) }); n != 0 {
		t.Errorf("classifyStatement(%q): %v allocations", q, n)
	}
}
