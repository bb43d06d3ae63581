package indexes

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/quarrydb/quarry/storage"
)

// TestSubstrGramsSound checks the substring-gram query against GMS's own
// LIKE matcher over random values and patterns, per collation: every
// value the matcher accepts is a match of the query built from the
// pattern (the query may match more; it must prune some), and a query
// substrExact calls exact matches exactly the values the matcher accepts.
func TestSubstrGramsSound(t *testing.T) {
	alphabet := []rune("aAàÀbBcC ßsS_%\\xyz蓝牙e\u0301éÉ")
	r := rand.New(rand.NewPCG(1, 2))
	str := func(max int, pattern bool) string {
		var b strings.Builder
		for range r.IntN(max + 1) {
			if pattern && r.IntN(4) == 0 {
				b.WriteRune([]rune("%_%")[r.IntN(3)])
				continue
			}
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for _, coll := range []sql.CollationID{sql.Collation_utf8mb4_0900_ai_ci, sql.Collation_utf8mb4_general_ci,
		sql.Collation_utf8mb4_bin, sql.Collation_utf8mb4_0900_as_cs, sql.Collation_utf8mb3_general_ci} {
		t.Run(coll.Name(), func(t *testing.T) {
			typ := types.MustCreateString(sqltypes.VarChar, 64, coll)
			f := Field{Col: storage.SearchColumn{Name: "v", ID: 1, Type: typ}, Kind: KindNgram, Substr: true}
			sp := Spec{Def: storage.SearchIndexDef{Name: "t"}, Fields: []Field{f}}
			ix := newMemIndex(t, sp)
			b := ix.b
			vals := make([]string, 300)
			batch := b.NewBatch()
			for i := range vals {
				vals[i] = str(8, false)
				if err := batch.IndexAdvanced(ix.docs.document(fmt.Sprint(i), sql.Row{vals[i]})); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Batch(batch); err != nil {
				t.Fatal(err)
			}
			sorter, _, ok := substrSorter(typ)
			if !ok {
				t.Fatal("no sorter")
			}
			pruned, pushed, exacts, longExacts, longMatched := 0, 0, 0, 0, 0
			for i := range 400 {
				pat := str(5, true)
				switch i % 4 {
				case 0: // %run% with a short run: exact
					pat = "%" + str(1+r.IntN(substrN), false) + "%"
				case 1: // %run% with a longer run (a phrase of grams), often one a value holds
					run := str(substrN+1+r.IntN(4), false)
					if v := []rune(vals[r.IntN(len(vals))]); r.IntN(3) > 0 && len(v) > substrN {
						from := r.IntN(len(v) - substrN)
						run = string(v[from : from+substrN+1+r.IntN(len(v)-from-substrN)])
					}
					pat = "%" + run + "%"
				}
				if r.IntN(3) > 0 {
					pat = "%" + pat + "%"
				}
				runs, ok := likeRuns(pat, '\\', sorter)
				if !ok {
					continue
				}
				q, ok := substrQuery(f.SubstrName(), runs)
				if !ok {
					continue
				}
				pushed++
				m, err := expression.ConstructLikeMatcher(coll, pat, '\\')
				if err != nil {
					continue
				}
				cands := map[string]bool{}
				if _, err := ix.Matches(context.Background(), q, func(id []byte) { cands[string(id)] = true }); err != nil {
					t.Fatal(err)
				}
				exact := substrExact(pat, '\\', sorter)
				long := exact && len([]rune(strings.Trim(pat, "%"))) > substrN
				if exact {
					exacts++
				}
				if long {
					longExacts++
				}
				for i, v := range vals {
					if long && m.Match(v) {
						longMatched++
					}
					if m.Match(v) && !cands[fmt.Sprint(i)] {
						t.Errorf("%q LIKE %q holds, but the gram query misses it", v, pat)
					}
					if exact && !m.Match(v) && cands[fmt.Sprint(i)] {
						t.Errorf("%q LIKE %q fails, but the gram query, said exact, matches it", v, pat)
					}
				}
				if len(cands) < len(vals) {
					pruned++
				}
			}
			if pushed < 100 || pruned < pushed/2 || exacts < 50 || longExacts < 30 || longMatched < 15 {
				t.Errorf("%d patterns pushed, %d pruned anything, %d exact (%d with phrases, matching %d values): the test says little",
					pushed, pruned, exacts, longExacts, longMatched)
			}
			t.Logf("%d patterns pushed, %d pruned anything, %d exact (%d with phrases, matching %d values)", pushed, pruned, exacts, longExacts, longMatched)
		})
	}
}

func TestLikeRuns(t *testing.T) {
	s := sql.Collation_utf8mb4_bin.Sorter()
	w := func(str string) []int32 {
		var out []int32
		for _, r := range str {
			out = append(out, s(r))
		}
		return out
	}
	for _, c := range []struct {
		pat  string
		esc  rune
		want [][]int32
	}{
		{"%abc%", '\\', [][]int32{w("abc")}},
		{"a_bc%de", '\\', [][]int32{w("a"), w("bc"), w("de")}},
		{`ab\%c`, '\\', [][]int32{w("ab%c")}},
		{`ab|_c`, '|', [][]int32{w("ab_c")}},
		{`ab\_c`, '|', [][]int32{w(`ab\`), w("c")}},
		{"%%", '\\', nil},
	} {
		got, ok := likeRuns(c.pat, c.esc, s)
		if !ok || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("likeRuns(%q) = %v, %v; want %v", c.pat, got, ok, c.want)
		}
	}
	if _, ok := likeRuns(`abc\`, '\\', s); ok {
		t.Errorf("a trailing escape is an invalid pattern")
	}
}
