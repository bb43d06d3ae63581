package sqlserver_test

import (
	"database/sql"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestDatetimeFractionText: DATETIME(n) columns are sent with n fractional
// digits in the text protocol, and CAST(col AS CHAR) of a DATETIME(n) or
// TIMESTAMP(n) column has n digits (MySQL), in both protocols.
func TestDatetimeFractionText(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	db := srv.OpenText("")
	for _, q := range []string{
		"CREATE DATABASE dtf",
		"CREATE TABLE dtf.t (id INT PRIMARY KEY, a DATETIME(6), b TIMESTAMP(6) NULL, c DATETIME(3), d DATETIME)",
		"INSERT INTO dtf.t VALUES (1, '2024-03-02 11:30:00.5', '2024-03-02 11:30:00.5', '2024-03-02 11:30:00', '2024-03-02 11:30:00'), (2, '2024-04-02 09:15:00', NULL, NULL, NULL)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, c := range []struct{ q, want string }{
		{"SELECT a FROM dtf.t ORDER BY id", "2024-03-02 11:30:00.500000,2024-04-02 09:15:00.000000"},
		{"SELECT c FROM dtf.t WHERE id = 1", "2024-03-02 11:30:00.000"},
		{"SELECT d FROM dtf.t WHERE id = 1", "2024-03-02 11:30:00"},
		{"SELECT a FROM (SELECT a FROM dtf.t) s ORDER BY a", "2024-03-02 11:30:00.500000,2024-04-02 09:15:00.000000"},
		// GMS types DATE_ADD over a DATETIME as DATETIME(6); MySQL keeps 0
		// (text protocol only: in the binary one the driver formats the
		// value with the field's precision).
		{"TEXT SELECT x FROM (SELECT DATE_ADD(d, INTERVAL 1 DAY) AS x FROM dtf.t WHERE id = 1) s", "2024-03-03 11:30:00"},
		{"SELECT CAST(a AS CHAR) FROM dtf.t ORDER BY id", "2024-03-02 11:30:00.500000,2024-04-02 09:15:00.000000"},
		{"SELECT CAST(b AS CHAR) FROM dtf.t WHERE id = 1", "2024-03-02 11:30:00.500000"},
		{"SELECT CONVERT(c, CHAR) FROM dtf.t WHERE id = 1", "2024-03-02 11:30:00.000"},
		{"SELECT CAST(d AS CHAR) FROM dtf.t WHERE id = 1", "2024-03-02 11:30:00"},
		// A length truncates the text as before.
		{"SELECT CAST(a AS CHAR(19)) FROM dtf.t WHERE id = 1", "2024-03-02 11:30:00"},
	} {
		q, textOnly := strings.CutPrefix(c.q, "TEXT ")
		c.q = q
		for _, args := range [][]any{nil, {}} {
			if textOnly && args != nil {
				continue
			}
			var (
				rows *sql.Rows
				err  error
			)
			if args == nil {
				rows, err = db.Query(c.q)
			} else {
				// A placeholder-free statement prepared server-side.
				st, perr := db.Prepare(c.q)
				if perr != nil {
					t.Fatalf("%s: %v", c.q, perr)
				}
				rows, err = st.Query()
				defer st.Close()
			}
			if err != nil {
				t.Errorf("%s: %v", c.q, err)
				continue
			}
			var got []string
			for rows.Next() {
				var s sql.NullString
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				got = append(got, s.String)
			}
			rows.Close()
			if g := strings.Join(got, ","); g != c.want {
				t.Errorf("%s (prepared %v) = %q, want %q", c.q, args != nil, g, c.want)
			}
		}
	}
}
