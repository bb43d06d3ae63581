package planner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/planner"
)

// TestExactAggregates checks SUM and AVG of integer and DECIMAL arguments
// where GMS, not the scan, computes them (GROUP BY over a join, window
// functions, a window over a CTE's sums): MySQL's DECIMAL result types
// and exact values, and the same numbers as GMS's DOUBLE results.
func TestExactAggregates(t *testing.T) {
	p := newPair(t, &planner.Config{})
	p.exec("CREATE DATABASE d")
	p.ses.SetCurrentDatabase("d")
	for _, q := range []string{
		"CREATE TABLE c (id INT PRIMARY KEY, name VARCHAR(10))",
		"CREATE TABLE o (id INT PRIMARY KEY, cid INT, amount DECIMAL(12,2), qty INT, big BIGINT, u INT UNSIGNED)",
		"INSERT INTO c VALUES (1, 'a'), (2, 'b'), (3, 'c')",
		`INSERT INTO o VALUES (1, 1, 1.10, 1, 9223372036854775807, 4294967295), (2, 1, 11.25, 2, 9223372036854775807, 4294967295),
			(3, 2, 99999999.99, 3, -5, 1), (4, 2, NULL, NULL, NULL, NULL), (5, 3, 0.10, 2, 1, 0), (6, 3, 0.20, 2, 1, 0)`,
	} {
		p.exec(q)
	}
	for _, tc := range []struct {
		q, types, rows string
	}{
		{
			"SELECT c.name, SUM(o.amount), AVG(o.amount), SUM(o.qty), AVG(o.qty), SUM(DISTINCT o.qty) FROM c JOIN o ON o.cid = c.id GROUP BY c.id, c.name ORDER BY c.id",
			"varchar(10) decimal(34,2) decimal(16,6) decimal(32,0) decimal(14,4) decimal(32,0)",
			"a 12.35 6.175000 3 1.5000 3|b 99999999.99 99999999.990000 3 3.0000 3|c 0.30 0.150000 4 2.0000 2",
		},
		{
			// Sums beyond BIGINT and INT UNSIGNED stay exact.
			"SELECT c.name, SUM(o.big), SUM(o.u), AVG(o.big) FROM c JOIN o ON o.cid = c.id GROUP BY c.name HAVING SUM(o.big) > 0 ORDER BY SUM(o.big) DESC",
			"varchar(10) decimal(41,0) decimal(32,0) decimal(23,4)",
			"a 18446744073709551614 8589934590 9223372036854775807.0000|c 2 0 1.0000",
		},
		{
			"SELECT SUM(o.amount), AVG(o.qty) FROM c JOIN o ON o.cid = c.id WHERE c.id > 10",
			"decimal(34,2) decimal(14,4)",
			"NULL NULL",
		},
		{
			"SELECT id, SUM(amount) OVER (ORDER BY id), AVG(amount) OVER (), SUM(qty) OVER (PARTITION BY cid ORDER BY id), " +
				"AVG(qty) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), SUM(qty) OVER (ORDER BY id ROWS BETWEEN 6 FOLLOWING AND 7 FOLLOWING) FROM o ORDER BY id",
			"int decimal(34,2) decimal(16,6) decimal(32,0) decimal(14,4) decimal(32,0)",
			"1 1.10 20000002.528000 1 1.0000 NULL|2 12.35 20000002.528000 3 1.5000 NULL|3 100000012.34 20000002.528000 3 2.5000 NULL|" +
				"4 100000012.34 20000002.528000 3 3.0000 NULL|5 100000012.44 20000002.528000 2 2.0000 NULL|6 100000012.64 20000002.528000 4 2.0000 NULL",
		},
		{
			// A running total over a CTE's sums (the CTE's GROUP BY is pushed down).
			"WITH daily AS (SELECT cid, SUM(amount) AS total FROM o GROUP BY cid) SELECT cid, total, SUM(total) OVER (ORDER BY cid) FROM daily ORDER BY cid",
			"int decimal(34,2) decimal(56,2)",
			"1 12.35 12.35|2 99999999.99 100000012.34|3 0.30 100000012.64",
		},
	} {
		sch, got, err := p.run(p.on, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		var types []string
		for _, c := range sch {
			types = append(types, strings.ToLower(c.Type.String()))
		}
		if g := strings.Join(types, " "); g != tc.types {
			t.Errorf("%s:\ntypes %s\nwant  %s", tc.q, g, tc.types)
		}
		if g := rowText(sch, got); g != tc.rows {
			t.Errorf("%s:\nrows %s\nwant %s", tc.q, g, tc.rows)
		}
		_, want, err := p.run(p.off, tc.q)
		if err != nil {
			t.Fatalf("%s (generic): %v", tc.q, err)
		}
		if err := sameRows(got, want); err != nil {
			t.Errorf("%s: %v\nexact   %v\ngeneric %v", tc.q, err, got, want)
		}
	}
}

// rowText prints rows as MySQL's text protocol would: values through
// their column's type, NULL, columns separated by spaces, rows by |.
func rowText(sch sql.Schema, rows []sql.Row) string {
	var out []string
	for _, r := range rows {
		var cols []string
		for i, v := range r {
			if v == nil {
				cols = append(cols, "NULL")
				continue
			}
			sv, err := sch[i].Type.SQL(sql.NewEmptyContext(), nil, v)
			if err != nil {
				cols = append(cols, fmt.Sprintf("err:%v", err))
				continue
			}
			cols = append(cols, sv.ToString())
		}
		out = append(out, strings.Join(cols, " "))
	}
	return strings.Join(out, "|")
}
