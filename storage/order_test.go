package storage_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// TestPrefixIndexLookupOrder: GMS drops ORDER BY on an index's columns
// over a lookup on that index, so a lookup on a prefix index (or a
// primary key with a prefix length) must return rows ordered by the full
// values, not by the indexed prefixes. Checked against the same rows in a
// table without the index, for ranges, IN lists and ORs, both directions,
// binary and case-insensitive collations and NULLs.
func TestPrefixIndexLookupOrder(t *testing.T) {
	d := openDatabase(t, "po")
	d.mustQuery("CREATE TABLE plain (id INT PRIMARY KEY, b VARCHAR(20) COLLATE utf8mb4_0900_ai_ci, c INT, v VARBINARY(20))")
	d.mustQuery("CREATE TABLE sec (id INT PRIMARY KEY, b VARCHAR(20) COLLATE utf8mb4_0900_ai_ci, c INT, v VARBINARY(20), KEY kb (b(2)), KEY kbc (c, b(3)), KEY kv (v(2), c))")
	d.mustQuery("CREATE TABLE pk (id INT, b VARCHAR(20) COLLATE utf8mb4_0900_ai_ci NOT NULL, c INT, v VARBINARY(20), PRIMARY KEY (b(3), id))")
	rng := rand.New(rand.NewSource(9))
	word := func() string {
		var sb strings.Builder
		for n := 1 + rng.Intn(5); n > 0; n-- {
			sb.WriteByte("aAbBc"[rng.Intn(5)])
		}
		return sb.String()
	}
	for i := 0; i < 300; i++ {
		b, v := "'"+word()+"'", "'"+word()+"'"
		if rng.Intn(15) == 0 {
			v = "NULL"
		}
		bs := b
		if rng.Intn(15) == 0 {
			bs = "NULL"
		}
		c := rng.Intn(4)
		d.mustQuery(fmt.Sprintf("INSERT INTO plain VALUES (%d, %s, %d, %s)", i, bs, c, v))
		d.mustQuery(fmt.Sprintf("INSERT INTO sec VALUES (%d, %s, %d, %s)", i, bs, c, v))
		if bs != "NULL" {
			d.mustQuery(fmt.Sprintf("INSERT INTO pk VALUES (%d, %s, %d, %s)", i, b, c, v))
		}
	}
	for q := 0; q < 60; q++ {
		w1, w2 := word(), word()
		for _, dir := range []string{"", " DESC"} {
			cases := []struct{ cols, where string }{
				{"b", fmt.Sprintf("b >= '%s'", w1)},
				{"b", fmt.Sprintf("b BETWEEN '%s' AND '%s'", w1, w2)},
				{"b", fmt.Sprintf("b IN ('%s', '%s') OR b < 'ab'", w1, w2)},
				{"c, b", fmt.Sprintf("c = %d AND b > '%s'", q%4, w1)},
				{"c, b", fmt.Sprintf("c BETWEEN 1 AND 2 AND b > '%s'", w1)},
				{"v, c", fmt.Sprintf("v > '%s'", w1)},
			}
			for _, tc := range cases {
				order := strings.ReplaceAll(tc.cols, ",", dir+",") + dir
				want := fmt.Sprint(d.mustQuery("SELECT " + tc.cols + " FROM plain WHERE " + tc.where + " ORDER BY " + order))
				tables := []string{"sec"}
				if tc.cols == "b" {
					tables = append(tables, "pk")
				}
				for _, tb := range tables {
					where := tc.where
					if tb == "pk" {
						where = "b IS NOT NULL AND (" + where + ")"
						want := fmt.Sprint(d.mustQuery("SELECT b FROM plain WHERE " + where + " ORDER BY " + order))
						got := fmt.Sprint(d.mustQuery("SELECT b FROM pk WHERE " + where + " ORDER BY " + order))
						if norm(got) != norm(want) {
							t.Fatalf("pk WHERE %s ORDER BY %s:\n got %s\nwant %s", where, order, got, want)
						}
						continue
					}
					got := fmt.Sprint(d.mustQuery("SELECT " + tc.cols + " FROM " + tb + " WHERE " + where + " ORDER BY " + order))
					if norm(got) != norm(want) {
						t.Fatalf("%s WHERE %s ORDER BY %s:\n got %s\nwant %s", tb, where, order, got, want)
					}
				}
			}
		}
	}
}

// norm folds case: rows equal under the ci collation (a, A) are ties whose
// order is not defined.
func norm(s string) string { return strings.ToLower(s) }
