package sqlserver

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestContainsASCIIFold compares containsASCIIFold with lower-casing the
// text and searching it, on random texts of ASCII letters in both cases,
// other ASCII bytes (a word's '_' must match exactly, not '\x7f'), and
// runes whose case mapping is special (U+0130, U+212A, U+017F, ß), plus
// invalid UTF-8.
func TestContainsASCIIFold(t *testing.T) {
	pieces := []string{"u", "U", "p", "P", "d", "D", "a", "A", "t", "T", "e", "E", "s", "S", "h", "H", "r", "R",
		"update", "UPDATE", "UpDaTe", "share", "SHARE", " ", "@", "`", "{", "[", "\u0130", "\u212a", "\u017f", "ß", "\xff", "é", "É",
		"_", "\x7f", "g", "G", "o", "O", "c", "C", "n", "N", "group_concat", "GROUP_CONCAT", "Group_Concat", "GROUP\x7fCONCAT"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for n := r.IntN(12); n > 0; n-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		for _, w := range []string{"update", "share", "group_concat"} {
			if got, want := containsASCIIFold(s, w), strings.Contains(strings.ToLower(s), w); got != want {
				t.Fatalf("containsASCIIFold(%q, %q) = %v, lower-casing says %v", s, w, got, want)
			}
		}
	}
}
