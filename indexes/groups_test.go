package indexes_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/indexes"
	"github.com/quarrydb/quarry/internal/testserver"
)

// TestGroupsDifferential compares GROUP BY <keyword column> with COUNT(*)
// and COUNT(col) answered from the search index (SearchGroupBy) with the
// same query over a copy of the table without search indexes, over random
// data and random pushed-down WHERE clauses, with writes between the
// rounds and inside an open transaction (where the index must not answer).
// The values are chosen so that groups mix values equal under the
// collation ('a', 'A', 'a '), hold NULLs and empty strings: the group's
// value must be the table path's (its first row in primary-key order).
func TestGroupsDifferential(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	db.SetMaxOpenConns(1)
	const cols = `id INT PRIMARY KEY,
		s VARCHAR(8),
		sb VARCHAR(8) COLLATE utf8mb4_bin,
		g VARCHAR(8) COLLATE utf8mb4_general_ci,
		n BIGINT`
	mustExec(t, db, `CREATE TABLE t (`+cols+`,
		FULLTEXT KEY s (s, sb, g, n) COMMENT 's=keyword sb=keyword g=keyword n=long')`)
	mustExec(t, db, `CREATE TABLE ref (`+cols+`)`)
	seed := uint64(7)
	if v := os.Getenv("QUARRY_GROUPS_SEED"); v != "" {
		fmt.Sscan(v, &seed)
	}
	r := rand.New(rand.NewPCG(seed, 3))
	strs := []string{"a", "A", "a ", "ab", "AB", "b", "B", "b ", "à", "ß", "ss", "x", "y", "z"}
	str := func() string {
		switch r.IntN(12) {
		case 0:
			return "NULL"
		case 1:
			if r.IntN(4) == 0 { // rare: a group mixing '' and ' ' falls back
				return []string{"''", "' '"}[r.IntN(2)]
			}
		}
		return "'" + strs[r.IntN(len(strs))] + "'"
	}
	row := func(id int) string {
		return fmt.Sprintf("(%d, %s, %s, %s, %d)", id, str(), str(), str(), r.IntN(100))
	}
	var vals []string
	for i := 1; i <= 500; i++ {
		vals = append(vals, row(i))
	}
	mustExec(t, db, "INSERT INTO t VALUES "+strings.Join(vals, ","))
	mustExec(t, db, "INSERT INTO ref VALUES "+strings.Join(vals, ","))

	lits := []string{"'a'", "'A'", "'ab'", "'b'", "'à'", "'ss'", "'x'", "''"}
	leaf := func() string {
		c := []string{"s", "sb", "g"}[r.IntN(3)]
		switch r.IntN(6) {
		case 0:
			return fmt.Sprintf("n < %d", r.IntN(100))
		case 1:
			return fmt.Sprintf("n BETWEEN %d AND %d", r.IntN(50), 50+r.IntN(50))
		case 2:
			return fmt.Sprintf("%s IN (%s, %s)", c, lits[r.IntN(len(lits))], lits[r.IntN(len(lits))])
		case 3:
			return c + " IS NOT NULL"
		case 4:
			return fmt.Sprintf("%s LIKE '%s%%'", c, []string{"a", "b", "x"}[r.IntN(3)])
		}
		return fmt.Sprintf("%s = %s", c, lits[r.IntN(len(lits))])
	}
	where := func() string {
		w := leaf()
		for range r.IntN(3) {
			op := " AND "
			if r.IntN(3) == 0 {
				op = " OR "
			}
			w = "(" + w + op + leaf() + ")"
		}
		return w
	}
	query := func(q interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}, text string) string {
		rows, err := q.QueryContext(context.Background(), text)
		if err != nil {
			return "error: " + err.Error()
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var v sql.NullString
			var n, nc int64
			if err := rows.Scan(&v, &n, &nc); err != nil {
				return "error: " + err.Error()
			}
			if v.Valid {
				fmt.Fprintf(&b, "[%s] %d %d; ", v.String, n, nc)
			} else {
				fmt.Fprintf(&b, "NULL %d %d; ", n, nc)
			}
		}
		if err := rows.Err(); err != nil {
			return "error: " + err.Error()
		}
		return b.String()
	}
	groupQuery := func(table, col, w string) string {
		hint := ""
		if table == "t" {
			hint = " USE INDEX (s)"
		}
		return fmt.Sprintf("SELECT %s, COUNT(*), COUNT(%s) FROM %s%s WHERE %s GROUP BY %s ORDER BY %s", col, col, table, hint, w, col, col)
	}
	write := func(ex func(string, ...any) error) {
		id := 1 + r.IntN(550)
		if r.IntN(3) == 0 {
			for _, tb := range []string{"t", "ref"} {
				if err := ex("DELETE FROM "+tb+" WHERE id = ?", id); err != nil {
					t.Fatal(err)
				}
			}
			return
		}
		v := row(id)
		for _, tb := range []string{"t", "ref"} {
			if err := ex("REPLACE INTO " + tb + " VALUES " + v); err != nil {
				t.Fatal(err)
			}
		}
	}
	dbExec := func(q string, args ...any) error { _, err := db.Exec(q, args...); return err }

	n, planned := 150, 0
	if testing.Short() {
		n = 50
	}
	before := indexes.GroupsAnswered()
	for round := 0; round < 3; round++ {
		for i := 0; i < n; i++ {
			col := []string{"s", "sb", "g"}[r.IntN(3)]
			w := where()
			got := query(db, groupQuery("t", col, w))
			want := query(db, groupQuery("ref", col, w))
			if got != want {
				t.Errorf("GROUP BY %s WHERE %s:\n index %s\n table %s\n%s", col, w, got, want,
					strings.Join(queryStrings(t, db, "EXPLAIN PLAN "+groupQuery("t", col, w)), "\n"))
			}
			if strings.Contains(strings.Join(queryStrings(t, db, "EXPLAIN PLAN "+groupQuery("t", col, w)), "\n"), "SearchGroupBy") {
				planned++
			}
			if i%10 == 0 {
				write(dbExec)
			}
		}
		// Uncommitted writes in a transaction: the index does not have
		// them, so the table path must answer (and see them).
		ctx := context.Background()
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			t.Fatal(err)
		}
		txExec := func(q string, args ...any) error { _, err := conn.ExecContext(ctx, q, args...); return err }
		for range 5 {
			write(txExec)
		}
		for range 10 {
			col := []string{"s", "sb", "g"}[r.IntN(3)]
			w := where()
			got := query(conn, groupQuery("t", col, w))
			want := query(conn, groupQuery("ref", col, w))
			if got != want {
				t.Errorf("in a transaction, GROUP BY %s WHERE %s:\n index %s\n table %s", col, w, got, want)
			}
		}
		end := "ROLLBACK"
		if round%2 == 1 {
			end = "COMMIT"
		}
		if _, err := conn.ExecContext(ctx, end); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		for range 30 {
			write(dbExec)
		}
	}
	answered := indexes.GroupsAnswered() - before
	t.Logf("%d of %d GROUP BYs planned from the index, %d answered from it", planned, 3*n, answered)
	if planned < n || answered < int64(n) {
		t.Errorf("only %d planned and %d answered of %d: the comparison says little", planned, answered, 3*n)
	}
}
