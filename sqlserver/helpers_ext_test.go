package sqlserver_test

import (
	"database/sql"
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
	rows, err := db.Query(q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", err
		}
		got = append(got, s)
	}
	return strings.Join(got, ","), rows.Err()
}
