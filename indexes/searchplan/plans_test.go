package searchplan_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestPlans is the golden test of the planner's choices around search
// indexes: each case shows the query, its EXPLAIN PLAN and its rows.
//
//	exec     statements separated by ";" on their own lines
//	explain  EXPLAIN PLAN of the query
//	query    the rows, one per line, columns separated by " | "
func TestPlans(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		srv := testserver.Start(t, t.TempDir())
		root := srv.Open("")
		if _, err := root.Exec("CREATE DATABASE d"); err != nil {
			t.Fatal(err)
		}
		db := srv.Open("d")
		db.SetMaxOpenConns(1)
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			switch td.Cmd {
			case "exec":
				for _, st := range strings.Split(td.Input, ";\n") {
					if strings.TrimSpace(st) == "" {
						continue
					}
					if _, err := db.Exec(st); err != nil {
						return "error: " + err.Error() + "\n"
					}
				}
				return "ok\n"
			case "explain":
				return rows(db, "EXPLAIN PLAN "+td.Input)
			case "query":
				return rows(db, td.Input)
			}
			t.Fatalf("unknown command %s", td.Cmd)
			return ""
		})
	})
}

func rows(db *sql.DB, q string) string {
	rs, err := db.Query(q)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	defer rs.Close()
	return formatRows(rs)
}

// formatRows renders rows one per line, columns separated by " | ".
func formatRows(rs *sql.Rows) string {
	cols, _ := rs.Columns()
	var b strings.Builder
	for rs.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return "error: " + err.Error() + "\n"
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteString(" | ")
			}
			if v == nil {
				b.WriteString("NULL")
			} else {
				b.Write(v)
			}
		}
		b.WriteByte('\n')
	}
	if err := rs.Err(); err != nil {
		return fmt.Sprintf("error: %v\n", err)
	}
	if b.Len() == 0 {
		return "(no rows)\n"
	}
	return b.String()
}
