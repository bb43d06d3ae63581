package sqlserver

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
)

// TestDistinctCollation: SELECT DISTINCT keeps one row per group of rows
// equal under the columns' collations (MySQL; GMS kept 'RUSH' and 'rush'
// apart under a case-insensitive collation), and returns exactly the
// groups GROUP BY finds, on random data over case-, accent- and
// binary-collated columns (GROUP BY is GMS's collation-aware path).
func TestDistinctCollation(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE dc")
	mustExec(t, db, "USE dc")
	mustExec(t, db, `CREATE TABLE t (id INT PRIMARY KEY, ci VARCHAR(20) COLLATE utf8mb4_general_ci,
		ai VARCHAR(20) COLLATE utf8mb4_0900_ai_ci, bn VARCHAR(20) COLLATE utf8mb4_bin, vb VARBINARY(20), n INT)`)
	mustExec(t, db, `INSERT INTO t VALUES (1, 'RUSH', 'café', 'a', 'a', 1), (2, 'rush', 'CAFE', 'A', 'A', 1),
		(3, 'Rush', 'cafe', 'a', 'a', 2), (4, NULL, NULL, NULL, NULL, NULL), (5, NULL, 'x', NULL, NULL, NULL)`)
	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM (" + q + ") s").Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	direct := func(q string) int {
		t.Helper()
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
		}
		return n
	}
	for _, c := range []struct {
		q    string
		want int
	}{
		{"SELECT DISTINCT ci FROM t", 2},        // RUSH/rush/Rush, NULL
		{"SELECT DISTINCT ai FROM t", 3},        // café/CAFE/cafe, NULL, x
		{"SELECT DISTINCT bn FROM t", 3},        // a, A, NULL
		{"SELECT DISTINCT vb FROM t", 3},        // a, A, NULL
		{"SELECT DISTINCT ci, n FROM t", 3},     // (rush,1), (rush,2), (NULL,NULL)
		{"SELECT DISTINCT ci, ai FROM t", 3},    // (rush, cafe), (NULL, NULL), (NULL, x)
		{"SELECT DISTINCT n FROM t", 3},         // 1, 2, NULL
		{"SELECT DISTINCT UPPER(ci) FROM t", 2}, // RUSH, NULL
	} {
		if got := direct(c.q); got != c.want {
			t.Errorf("%s: %d rows, want %d", c.q, got, c.want)
		}
	}
	// Random data: DISTINCT finds GROUP BY's groups.
	rng := rand.New(rand.NewSource(1))
	words := []string{"a", "A", "á", "b", "B", "ß", "ss", "e", "é", "E", "x "}
	var vals []string
	for i := 0; i < 300; i++ {
		pick := func() string {
			if rng.Intn(8) == 0 {
				return "NULL"
			}
			return "'" + words[rng.Intn(len(words))] + words[rng.Intn(len(words))] + "'"
		}
		vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s, %s, %d)", 100+i, pick(), pick(), pick(), pick(), rng.Intn(3)))
	}
	mustExec(t, db, "INSERT INTO t VALUES "+strings.Join(vals, ", "))
	for _, cols := range []string{"ci", "ai", "bn", "vb", "ci, ai", "ci, n", "ai, bn, vb", "ci, ai, bn, vb, n"} {
		d := direct("SELECT DISTINCT " + cols + " FROM t")
		g := count("SELECT " + cols + " FROM t GROUP BY " + cols)
		if d != g {
			t.Errorf("DISTINCT %s: %d rows, GROUP BY: %d groups", cols, d, g)
		}
	}
}

// TestWeightStringMatchesGMS: the table-driven weight string is byte for
// byte GMS's WriteWeightString, for random strings of ASCII (controls
// included), accented and CJK letters, emoji and invalid UTF-8, under
// every compiled collation.
func TestWeightStringMatchesGMS(t *testing.T) {
	pieces := []string{"a", "A", "z", "0", "-", " ", "\t", "\x01", "\x7f", "é", "É", "ß", "中", "文", "😀", "\xff", "\xc3", "ǅ", "ﬁ"}
	var colls []sql.CollationID
	for it := sql.NewCollationsIterator(); ; {
		c, ok := it.Next()
		if !ok {
			break
		}
		if c.ID != sql.Collation_binary && c.Sorter != nil {
			colls = append(colls, c.ID)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for _, c := range colls {
		w := weightsOf(c)
		for n := 0; n < 200; n++ {
			var b strings.Builder
			for k := rng.Intn(12); k > 0; k-- {
				b.WriteString(pieces[rng.Intn(len(pieces))])
			}
			s := b.String()
			var want bytes.Buffer
			if err := c.WriteWeightString(&want, s); err != nil {
				t.Fatalf("%s %q: %v", c, s, err)
			}
			if got := w.appendWeightString(nil, s); !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("%s %q: weight string %x, GMS %x", c, s, got, want.Bytes())
			}
		}
	}
}
