package sqlserver

import "testing"

// TestGreatestLeastTemporalStrings: GREATEST/LEAST of DATE, DATETIME or
// TIMESTAMP values and strings compare as DATETIME, of TIME values and
// strings as TIME, and return the winning argument's text, as MySQL (GMS
// returned 0 for a DATE with a string and refused TIME: 1105).
func TestGreatestLeastTemporalStrings(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE g")
	mustExec(t, db, "USE g")
	mustExec(t, db, "CREATE TABLE d (id INT PRIMARY KEY, d DATE, dt DATETIME, ts TIMESTAMP, t TIME)")
	mustExec(t, db, "INSERT INTO d VALUES (1, '2024-05-06', '2024-05-06 10:11:12', '2024-05-06 10:11:12', '10:11:12')")
	for _, c := range []struct{ q, want string }{
		{"SELECT GREATEST(d, '2024-01-01') FROM d", "2024-05-06"},
		{"SELECT LEAST(d, '2024-01-01') FROM d", "2024-01-01"},
		{"SELECT GREATEST(d, '2025-1-1') FROM d", "2025-1-1"},
		{"SELECT LEAST(d, '2024-5-7', '2024-06-01') FROM d", "2024-05-06"},
		{"SELECT LEAST('2024-05-06 00:00:01', d) FROM d", "2024-05-06"},
		{"SELECT GREATEST(dt, '2024-05-06') FROM d", "2024-05-06 10:11:12"},
		{"SELECT LEAST(ts, '2024-05-06 10:11:13', d) FROM d", "2024-05-06"},
		{"SELECT GREATEST(t, '9:00:00') FROM d", "10:11:12"},
		{"SELECT LEAST(t, '9:00:00') FROM d", "9:00:00"},
		{"SELECT COALESCE(GREATEST(d, NULL, 'x'), 'null') FROM d", "null"},
		{"SELECT GREATEST(d, 'abc') FROM d", "2024-05-06"},
	} {
		if got := queryString(t, db, c.q); got != c.want {
			t.Errorf("%s: %q, want %q", c.q, got, c.want)
		}
	}
	// The last query compared 'abc' as a zero datetime.
	var level, msg string
	var code int
	if err := db.QueryRow("SHOW WARNINGS").Scan(&level, &code, &msg); err != nil || code != 1292 || msg != "Truncated incorrect datetime value: 'abc'" {
		t.Errorf("warning %s %d %q (%v), want 1292 Truncated incorrect datetime value: 'abc'", level, code, msg, err)
	}
}
