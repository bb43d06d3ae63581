package indexes_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestPushdownDifferential compares, over random data and random WHERE
// clauses, the rows of the search-index pushdown (USE INDEX) with those of
// the table path (the same rows in a table without search indexes): collations (case-insensitive equality on
// keyword fields, binary, PAD SPACE), trailing spaces, NULLs, comparisons
// across types (string columns against numbers, lossy numeric and
// temporal bounds), IN, BETWEEN, both bounds of one column (merged into
// one range), IS [NOT] NULL, LIKE prefixes, AND/OR.
func TestPushdownDifferential(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	db.SetMaxOpenConns(1)
	mustExec(t, db, `CREATE TABLE t (
		id INT PRIMARY KEY,
		s VARCHAR(8),
		sb VARCHAR(8) COLLATE utf8mb4_bin,
		g VARCHAR(8) COLLATE utf8mb4_general_ci,
		n BIGINT,
		u INT UNSIGNED,
		dc DECIMAL(6,2),
		f DOUBLE,
		dt DATETIME,
		dd DATE,
		FULLTEXT KEY s (s, sb, g, n, u, dc, f, dt, dd) COMMENT 's=keyword sb=keyword g=keyword n=long u=long dc=double f=double dt=date dd=date'
	)`)
	seed := uint64(11)
	if v := os.Getenv("QUARRY_PUSHDOWN_SEED"); v != "" { // other data and predicates
		fmt.Sscan(v, &seed)
	}
	r := rand.New(rand.NewPCG(seed, 5))
	strs := []string{"a", "A", "a ", "ab", "Ab", "b", "B ", "à", "ß", "ss", "", " ", "0", "1", "10", "1e1", "abc", "aBc"}
	pick := func(vals []string) string {
		if r.IntN(8) == 0 {
			return "NULL"
		}
		return vals[r.IntN(len(vals))]
	}
	q := func(s string) string {
		if s == "NULL" {
			return s
		}
		return "'" + s + "'"
	}
	nums := []string{"-5", "0", "1", "2", "3", "10", "42", "100", "9007199254740993", "9007199254740992", "-9223372036854775808"}
	decs := []string{"-1.50", "0.00", "1.00", "1.50", "2.25", "10.00"}
	flts := []string{"-1.5", "0", "0.1", "1", "1.5", "2.5", "1e3"}
	dts := []string{"2024-01-01 00:00:00", "2024-01-01 10:00:00", "2024-01-02 00:00:00", "2024-06-30 23:59:59", "2025-01-01 00:00:00",
		"1000-01-01 00:00:00", "9999-12-31 23:59:59"} // the last two: beyond bleve's dates
	dds := []string{"2024-01-01", "2024-01-02", "2024-06-30", "2025-01-01", "1000-01-01"}
	insert := func(id int) string {
		u := pick(nums)
		if strings.HasPrefix(u, "-") || len(u) > 9 {
			u = "7"
		}
		return fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s, %s, %s, %s)", id, q(pick(strs)), q(pick(strs)), q(pick(strs)),
			pick(nums), u, pick(decs), pick(flts), q(pick(dts)), q(pick(dds)))
	}
	var vals []string
	for i := 1; i <= 400; i++ {
		vals = append(vals, insert(i))
	}
	mustExec(t, db, "INSERT INTO t VALUES "+strings.Join(vals, ","))
	// The reference: the same rows in a table without search indexes (on
	// t itself, GMS's costing also considers the search index, which
	// fails some cross-type comparisons: a known bug of its own).
	mustExec(t, db, "CREATE TABLE ref AS SELECT * FROM t")
	mustExec(t, db, "ALTER TABLE ref ADD PRIMARY KEY (id)")

	// Literals of every kind, for any column.
	lits := []string{"'a'", "'A'", "'a '", "'ab'", "'AB'", "'à'", "'ss'", "'ß'", "''", "' '", "'1'", "'10'", "'1e1'", "'abc'",
		"0", "1", "2", "10", "-5", "1.5", "1.50", "2.0", "0.1", "1e1", "100", "NULL",
		"9007199254740992", "9007199254740993", "'1000-01-01'", "'9999-12-31 23:59:59'", "'1500-06-01'",
		"'2024-01-01'", "'2024-01-01 10:00:00'", "'2024-01-02'", "'2024-06-30 23:59:59'", "'2024-01-01 10:00:00.5'", "'bad date'"}
	cols := []string{"s", "sb", "g", "n", "u", "dc", "f", "dt", "dd"}
	ops := []string{"=", "<", "<=", ">", ">=", "<>"}
	var leaf func() string
	leaf = func() string {
		c := cols[r.IntN(len(cols))]
		switch r.IntN(9) {
		case 5, 6: // both bounds of one column (one range when pushed)
			lo := []string{">", ">="}[r.IntN(2)]
			hi := []string{"<", "<="}[r.IntN(2)]
			a, b := lits[r.IntN(len(lits))], lits[r.IntN(len(lits))]
			if r.IntN(2) == 0 {
				return fmt.Sprintf("(%s %s %s AND %s %s %s)", c, hi, b, a, hi, c)
			}
			return fmt.Sprintf("(%s %s %s AND %s %s %s)", c, lo, a, c, hi, b)
		case 0:
			return fmt.Sprintf("%s IS NULL", c)
		case 1:
			return fmt.Sprintf("%s IS NOT NULL", c)
		case 2:
			k := 1 + r.IntN(3)
			var in []string
			for range k {
				in = append(in, lits[r.IntN(len(lits))])
			}
			return fmt.Sprintf("%s IN (%s)", c, strings.Join(in, ", "))
		case 3:
			return fmt.Sprintf("%s BETWEEN %s AND %s", c, lits[r.IntN(len(lits))], lits[r.IntN(len(lits))])
		case 4:
			p := []string{"a%", "A%", "ab%", "à%", "%", "a_%", "1%"}[r.IntN(7)]
			return fmt.Sprintf("%s LIKE '%s'", c, p)
		}
		if r.IntN(2) == 0 {
			return fmt.Sprintf("%s %s %s", lits[r.IntN(len(lits))], ops[r.IntN(len(ops))], c)
		}
		return fmt.Sprintf("%s %s %s", c, ops[r.IntN(len(ops))], lits[r.IntN(len(lits))])
	}
	var pred func(depth int) string
	pred = func(depth int) string {
		if depth == 0 || r.IntN(3) == 0 {
			return leaf()
		}
		op := " AND "
		if r.IntN(3) == 0 {
			op = " OR "
		}
		return "(" + pred(depth-1) + op + pred(depth-1) + ")"
	}
	ids := func(q string) string {
		got, err := testserver.FirstColumn(context.Background(), db, q)
		if err != nil {
			return "error: " + err.Error()
		}
		return got
	}
	n, used, convErrs, costErrs, counted := 300, 0, 0, 0, 0
	if testing.Short() {
		n = 100
	}
	for round := 0; round < 2; round++ {
		for i := 0; i < n; i++ {
			w := pred(2)
			push := ids("SELECT id FROM t USE INDEX (s) WHERE " + w + " ORDER BY id")
			table := ids("SELECT id FROM ref WHERE " + w + " ORDER BY id")
			if push != table {
				if strings.HasPrefix(table, "error:") && !strings.HasPrefix(push, "error:") && conversionError(table) {
					// GMS fails a comparison with a value it cannot convert
					// (MySQL warns instead); the pushdown evaluates the
					// filter on fewer rows and may never meet that value.
					convErrs++
					continue
				}
				if strings.HasPrefix(push, "error:") && conversionError(push) {
					// Nothing was pushed, and GMS's costing built key
					// ranges over the search index, converting a literal
					// into its column type: a known bug of the path
					// without pushdown (main has it), not of the pushdown.
					costErrs++
					continue
				}
				t.Errorf("WHERE %s:\n pushdown %s\n table    %s", w, push, table)
			}
			var cplan strings.Builder
			if rows, err := db.Query("EXPLAIN PLAN SELECT COUNT(*) FROM t USE INDEX (s) WHERE " + w); err == nil {
				for rows.Next() {
					var line string
					_ = rows.Scan(&line)
					cplan.WriteString(line)
				}
				rows.Close()
			}
			// COUNT(*) over an exactly pushed filter is counted in the
			// index; it must equal the number of rows the table path lists.
			// (Not the table path's COUNT(*): planner's QuarryAggScan
			// counts some cross-type comparisons differently from the
			// filter that lists the rows, a discrepancy of its own; so only
			// counts over a pushed-down lookup are compared.)
			pc := ids("SELECT COUNT(*) FROM t USE INDEX (s) WHERE " + w)
			if !strings.HasPrefix(table, "error:") && strings.Contains(cplan.String(), "pushed:") {
				want := "0"
				if table != "" {
					want = fmt.Sprint(len(strings.Split(table, ",")))
				}
				if pc != want {
					t.Errorf("COUNT(*) WHERE %s:\n pushdown %s\n table path lists %s rows\n%s", w, pc, want,
						strings.Join(queryStrings(t, db, "EXPLAIN PLAN SELECT COUNT(*) FROM t USE INDEX (s) WHERE "+w), "\n"))
				}
			}
			if strings.Contains(cplan.String(), "SearchCount") {
				counted++
			}
			var plan strings.Builder
			rows, err := db.Query("EXPLAIN PLAN SELECT id FROM t USE INDEX (s) WHERE " + w)
			if err == nil {
				for rows.Next() {
					var line string
					_ = rows.Scan(&line)
					plan.WriteString(line)
				}
				rows.Close()
			}
			if strings.Contains(plan.String(), "pushed:") {
				used++
			}
		}
		// Change the data and compare again (the index catches up).
		for i := 0; i < 100; i++ {
			id := 1 + r.IntN(450)
			switch r.IntN(3) {
			case 0:
				mustExec(t, db, "DELETE FROM t WHERE id = ?", id)
				mustExec(t, db, "DELETE FROM ref WHERE id = ?", id)
			default:
				row := insert(id)
				mustExec(t, db, "REPLACE INTO t VALUES "+row)
				mustExec(t, db, "REPLACE INTO ref VALUES "+row)
			}
		}
	}
	t.Logf("%d of %d predicates pushed down (%d exactly, counted in the index); skipped: %d where the table path failed converting a literal, %d where GMS's costing over the search index failed", used, 2*n, counted, convErrs, costErrs)
	if costErrs > n/2 {
		t.Errorf("%d of %d comparisons skipped", costErrs, 2*n)
	}
	if convErrs > n/10 {
		t.Errorf("%d of %d comparisons skipped", convErrs, 2*n)
	}
	if used < n/2 {
		t.Errorf("only %d of %d predicates were pushed down: the comparison says little", used, 2*n)
	}
}

// conversionError reports a GMS error converting a literal for a
// comparison.
func conversionError(msg string) bool {
	for _, s := range []string{"Error 1292", "Error 1366", "Error 1264", "number has no digits", "expected end of string"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
