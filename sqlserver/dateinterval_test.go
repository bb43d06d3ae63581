package sqlserver_test

import "testing"

// TestDatePlusInterval: DATE ± INTERVAL with a date-only unit is a DATE
// (MySQL), other operands and units keep GMS's DATETIME. The values are
// read through go-sql-driver's parseTime, so the column type tells them apart.
func TestDatePlusInterval(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE di",
		"CREATE TABLE di.t (id INT PRIMARY KEY, d DATE, dt DATETIME)",
		"INSERT INTO di.t VALUES (1, '2024-02-10', '2024-02-10 10:00:00'), (2, '2024-05-31', '2024-05-31 10:00:00'), (3, NULL, NULL)",
	)
	for _, c := range []struct{ q, want, typ string }{
		{"SELECT MAKEDATE(2024, 1) + INTERVAL 1 QUARTER", "2024-04-01T00:00:00Z", "DATE"},
		{"SELECT INTERVAL 2 DAY + MAKEDATE(2024, 1)", "2024-01-03T00:00:00Z", "DATE"},
		{"SELECT MAKEDATE(2024, 1) - INTERVAL 1 WEEK", "2023-12-25T00:00:00Z", "DATE"},
		{"SELECT d + INTERVAL 1 MONTH FROM di.t WHERE d IS NOT NULL ORDER BY id", "2024-03-10T00:00:00Z,2024-06-30T00:00:00Z", "DATE"},
		{"SELECT d - INTERVAL 1 YEAR FROM di.t WHERE id = 1", "2023-02-10T00:00:00Z", "DATE"},
		// Superset's quarter grain, grouped.
		{"SELECT MAKEDATE(YEAR(d), 1) + INTERVAL QUARTER(d) QUARTER - INTERVAL 1 QUARTER AS q FROM di.t WHERE d IS NOT NULL GROUP BY q ORDER BY q", "2024-01-01T00:00:00Z,2024-04-01T00:00:00Z", "DATE"},
		// In a derived table and a scalar subquery.
		{"SELECT x FROM (SELECT d + INTERVAL 1 DAY AS x FROM di.t WHERE id = 2) s", "2024-06-01T00:00:00Z", "DATE"},
		{"SELECT (SELECT MAX(d) + INTERVAL 1 DAY FROM di.t)", "2024-06-01T00:00:00Z", "DATE"},
		{"SELECT id FROM di.t WHERE d + INTERVAL 1 MONTH > '2024-06-01'", "2", "INT"},
		// A time unit, or a DATETIME operand: DATETIME.
		{"SELECT MAKEDATE(2024, 1) + INTERVAL 1 HOUR", "2024-01-01T01:00:00Z", "DATETIME"},
		{"SELECT dt + INTERVAL 1 DAY FROM di.t WHERE id = 1", "2024-02-11T10:00:00Z", "DATETIME"},
	} {
		rows, err := db.Query(c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		cts, err := rows.ColumnTypes()
		if err != nil {
			t.Fatal(err)
		}
		if got := cts[0].DatabaseTypeName(); got != c.typ {
			t.Errorf("%s: type %s, want %s", c.q, got, c.typ)
		}
		rows.Close()
		got, err := firstColumn(db, c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s = %q, want %q", c.q, got, c.want)
		}
	}
}
