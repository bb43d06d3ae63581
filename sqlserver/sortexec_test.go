package sqlserver

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	gsql "github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
)

// TestCompareUTF8WeightsMatchesGMS: for random strings mixing ASCII (case,
// spaces, punctuation), accented letters, CJK, emoji and invalid UTF-8,
// under several collations, the column sort's comparison equals
// StringType.Compare.
func TestCompareUTF8WeightsMatchesGMS(t *testing.T) {
	alphabet := []string{"a", "A", "b", "B", "z", " ", "-", "0", "9", "~", "\x00", "\t", "é", "E", "ß", "ss", "你", "好", "😀", "\xff", "\xc3", "ǅ", "Å"}
	rnd := rand.New(rand.NewSource(7))
	gen := func() string {
		var b strings.Builder
		for n := rnd.Intn(8); n > 0; n-- {
			b.WriteString(alphabet[rnd.Intn(len(alphabet))])
		}
		return b.String()
	}
	ctx := gsql.NewEmptyContext()
	for _, coll := range []gsql.CollationID{gsql.Collation_utf8mb4_0900_ai_ci, gsql.Collation_utf8mb4_0900_bin,
		gsql.Collation_utf8mb4_general_ci, gsql.Collation_utf8mb4_0900_as_cs, gsql.Collation_utf8mb4_unicode_ci, gsql.Collation_utf8mb4_bin} {
		typ := types.MustCreateString(sqltypes.Char, 20, coll)
		cmp := comparerFor(typ)
		for i := 0; i < 50000; i++ {
			a, b := gen(), gen()
			if rnd.Intn(4) == 0 {
				b = a + gen() // shared prefixes
			}
			want, werr := typ.Compare(context.Background(), a, b)
			got, gerr := cmp(ctx, a, b)
			if got != want || fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Fatalf("%s: compare(%q, %q) = %d, %v; GMS %d, %v", coll, a, b, got, gerr, want, werr)
			}
		}
	}
}

// TestColumnSortMatchesGMS runs ORDER BY queries (string columns under
// several collations, mixed scripts, ties, NULLs, DESC, several keys,
// expressions, DISTINCT, joins, subqueries, GROUP BY, the memory bound)
// with the column sort and with GMS's sort, and requires identical
// results in identical order.
func TestColumnSortMatchesGMS(t *testing.T) {
	queries := []string{
		"SELECT id, s FROM st ORDER BY s",
		"SELECT id, s FROM st ORDER BY s DESC",
		"SELECT id, s, b FROM st ORDER BY b, s DESC, id",
		"SELECT id, cs FROM st ORDER BY cs",
		"SELECT id, gc FROM st ORDER BY gc DESC",
		"SELECT id, l FROM st ORDER BY l",
		"SELECT id, vb FROM st ORDER BY vb",
		"SELECT id, n FROM st ORDER BY n DESC, s",
		"SELECT id, n FROM st ORDER BY n IS NULL, n",
		"SELECT id, s FROM st ORDER BY LOWER(s), id",
		"SELECT DISTINCT s FROM st ORDER BY s",
		"SELECT DISTINCT b FROM st ORDER BY b DESC",
		"SELECT b, COUNT(*) FROM st GROUP BY b ORDER BY b",
		"SELECT x.id, y.s FROM st x JOIN st y ON x.id = y.id + 1 ORDER BY y.s, x.id",
		"SELECT * FROM (SELECT id, s FROM st ORDER BY s) d ORDER BY s DESC",
		"SELECT id FROM st WHERE id BETWEEN 5 AND 40 ORDER BY s",
		"SELECT id, s FROM st ORDER BY s LIMIT 7",
	}
	defer colSortOff.Store(false)
	var outs [2][]string
	for i, on := range []bool{true, false} {
		colSortOff.Store(!on)
		built := colSorts.Load()
		defer func() {
			if n := colSorts.Load() - built; on && n < 12 || !on && n != 0 {
				t.Errorf("column sort on=%v: %d built", on, n)
			}
		}()
		ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
		db := mustConnect(t, "root", "", ts.addr)
		db.SetMaxOpenConns(1)
		mustExec(t, db, "CREATE DATABASE sdb")
		mustExec(t, db, "USE sdb")
		mustExec(t, db, `CREATE TABLE st (id INT PRIMARY KEY, s VARCHAR(20) COLLATE utf8mb4_0900_ai_ci, b CHAR(3),
			cs VARCHAR(20) COLLATE utf8mb4_0900_as_cs, gc VARCHAR(20) COLLATE utf8mb4_general_ci,
			l VARCHAR(20) CHARACTER SET latin1, vb VARBINARY(20), n INT)`)
		words := []string{"a", "A", "b", "é", "E", "e", "ß", "ss", "你好", "😀x", "", " ", "a ", "Å", "zz", "Zz", "-1", "10", "9"}
		rnd := rand.New(rand.NewSource(3))
		var vals []string
		for id := 1; id <= 200; id++ {
			s := words[rnd.Intn(len(words))] + words[rnd.Intn(len(words))]
			q := func(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }
			n := "NULL"
			if rnd.Intn(3) > 0 {
				n = fmt.Sprint(rnd.Intn(10))
			}
			sv := q(s)
			if rnd.Intn(10) == 0 {
				sv = "NULL"
			}
			latin := "NULL"
			if !strings.ContainsAny(s, "你好😀ßÅé") {
				latin = q(s)
			}
			vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s, %s)", id, sv, q(words[rnd.Intn(4)]), q(s), q(s), latin, q(s), n))
		}
		mustExec(t, db, "INSERT INTO st VALUES "+strings.Join(vals, ","))
		for _, q := range queries {
			outs[i] = append(outs[i], q+" => "+rawResult(db.Query(q)))
		}
		// The statement memory bound applies to the sort's buffer.
		mustExec(t, db, "SET quarry_query_memory_limit = 2000")
		outs[i] = append(outs[i], "bounded => "+rawResult(db.Query("SELECT id, s FROM st ORDER BY s")))
	}
	for j := range outs[0] {
		if outs[0][j] != outs[1][j] {
			t.Errorf("column sort: %s\n  GMS sort: %s", outs[0][j], outs[1][j])
		}
	}
	if !strings.Contains(outs[0][len(outs[0])-1], "3170") {
		t.Errorf("memory bound not hit: %s", outs[0][len(outs[0])-1])
	}
}
