package sqlserver_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/internal/testserver"
)

// startWith starts a Quarry test server and runs the setup statements.
func startWith(t *testing.T, setup ...string) *sql.DB {
	t.Helper()
	db := testserver.Start(t, t.TempDir()).Open("")
	for _, q := range setup {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return db
}

// firstColumn returns the first column of q's rows, joined with commas.
func firstColumn(db *sql.DB, q string) (string, error) {
	return testserver.FirstColumn(context.Background(), db, q)
}

// queryText returns q's column names and its rows as text, NULL as "NULL".
func queryText(t *testing.T, db *sql.DB, q string, args ...any) (cols []string, rows [][]string) {
	t.Helper()
	rs, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	cols, _ = rs.Columns()
	for rs.Next() {
		vals := make([]*string, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rs.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = *v
			}
		}
		rows = append(rows, row)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, rows
}

// joinRows joins each row's cells with cellSep and the rows with rowSep.
func joinRows(rows [][]string, cellSep, rowSep string) string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, cellSep)
	}
	return strings.Join(out, rowSep)
}

// compareFastAndGMSTables requires db.f (written by a fast path) and db.s
// (written by GMS) to hold the same rows and AUTO_INCREMENT counters.
func compareFastAndGMSTables(t *testing.T, admin *sql.DB, db string) {
	t.Helper()
	dump := func(table string) string {
		rows, err := admin.Query("SELECT * FROM " + db + "." + table + " ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out strings.Builder
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&out, vals)
		}
		return out.String()
	}
	if f, s := dump("f"), dump("s"); f != s {
		t.Fatalf("tables differ:\nbulk path:\n%s\nGMS:\n%s", f, s)
	}
	var aiF, aiS int64
	for table, dst := range map[string]*int64{"f": &aiF, "s": &aiS} {
		if err := admin.QueryRow("SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", db, table).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	if aiF != aiS {
		t.Fatalf("AUTO_INCREMENT: bulk path %d, GMS %d", aiF, aiS)
	}
}
