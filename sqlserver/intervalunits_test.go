package sqlserver

import "testing"

// TestCompoundIntervalUnits: DATE_ADD, DATE_SUB and ± with the compound
// units parse (they were syntax errors: the units are reserved words) and
// read the interval string as MySQL does: any separators, a leading '-'
// for the whole interval, missing leading parts, microseconds scaled to
// six digits. Column names keep the text as written. Values from MySQL 8.0's
// manual where it has them.
func TestCompoundIntervalUnits(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE iv")
	mustExec(t, db, "USE iv")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, d DATE, dt DATETIME, s VARCHAR(20))")
	mustExec(t, db, "INSERT INTO t VALUES (1, '2024-05-06', '2024-05-06 10:11:12', '1 2')")
	for _, c := range []struct{ q, want string }{
		{"SELECT DATE_ADD(d, INTERVAL '1-2' YEAR_MONTH) FROM t", "2025-07-06"},
		{"SELECT d + INTERVAL '1-2' year_month FROM t", "2025-07-06"},
		{"SELECT DATE_SUB(d, INTERVAL '-1-2' YEAR_MONTH) FROM t", "2025-07-06"},
		{"SELECT DATE_ADD('2023-12-15', INTERVAL '1-0' YEAR_MONTH)", "2024-12-15"},
		{"SELECT DATE_ADD('2024-01-01', INTERVAL '1 2' DAY_HOUR)", "2024-01-02 02:00:00"},
		{"SELECT DATE_ADD('2024-01-01', INTERVAL '1 2:3' DAY_MINUTE)", "2024-01-02 02:03:00"},
		{"SELECT DATE_ADD('2024-01-01', INTERVAL '1 2:3:4' DAY_SECOND)", "2024-01-02 02:03:04"},
		{"SELECT DATE_ADD('2024-01-01', INTERVAL '2:3' HOUR_MINUTE)", "2024-01-01 02:03:00"},
		{"SELECT DATE_ADD('2024-01-01', INTERVAL '2:3:4' HOUR_SECOND)", "2024-01-01 02:03:04"},
		{"SELECT DATE_ADD('2024-01-01', INTERVAL '3:4' MINUTE_SECOND)", "2024-01-01 00:03:04"},
		{"SELECT DATE_ADD('2024-01-01', INTERVAL '1 2:3:4.5' DAY_MICROSECOND)", "2024-01-02 02:03:04.500000"},
		{"SELECT DATE_ADD('2024-01-01', INTERVAL '2:3:4.5' HOUR_MICROSECOND)", "2024-01-01 02:03:04.500000"},
		{"SELECT DATE_ADD('2024-01-01', INTERVAL '3:4.5' MINUTE_MICROSECOND)", "2024-01-01 00:03:04.500000"},
		{"SELECT DATE_ADD('2024-01-01', INTERVAL '4.5' SECOND_MICROSECOND)", "2024-01-01 00:00:04.500000"},
		// The manual's examples.
		{"SELECT DATE_ADD('1992-12-31 23:59:59.000002', INTERVAL '1.999999' SECOND_MICROSECOND)", "1993-01-01 00:00:01.000001"},
		{"SELECT DATE_ADD('2100-12-31 23:59:59', INTERVAL '-1 10' DAY_HOUR)", "2100-12-30 13:59:59"},
		{"SELECT DATE_ADD('2018-12-31 23:59:59', INTERVAL '1:1' MINUTE_SECOND)", "2019-01-01 00:01:00"},
		{"SELECT DATE_SUB('2025-01-01 00:00:00', INTERVAL '1 1:1:1' DAY_SECOND)", "2024-12-30 22:58:59"},
		// Fewer parts are the rightmost ones; any separators.
		{"SELECT DATE_ADD('2024-01-01 00:00:00', INTERVAL '1:10' DAY_SECOND)", "2024-01-01 00:01:10"},
		{"SELECT DATE_ADD('2024-01-01', INTERVAL '1/2' DAY_HOUR)", "2024-01-02 02:00:00"},
		{"SELECT DATE_ADD(dt, INTERVAL ' -1:2' HOUR_MINUTE) FROM t", "2024-05-06 09:09:12"},
		{"SELECT DATE_ADD('2024-01-01', INTERVAL 5 DAY_HOUR)", "2024-01-01 05:00:00"},
		{"SELECT DATE_ADD(dt, INTERVAL s DAY_HOUR) FROM t", "2024-05-07 12:11:12"},
		{"SELECT '2024-01-01' + INTERVAL '1 2' DAY_HOUR", "2024-01-02 02:00:00"},
		{"SELECT INTERVAL '1 2' DAY_HOUR + '2024-01-01'", "2024-01-02 02:00:00"},
		{"SELECT COALESCE(DATE_ADD('2024-01-01', INTERVAL NULL DAY_HOUR), 'null')", "null"},
		// Other units and EXTRACT are unchanged.
		{"SELECT CONCAT(EXTRACT(YEAR_MONTH FROM d), ' ', d - INTERVAL 5 DAY) FROM t", "202405 2024-05-01"},
	} {
		if got := queryString(t, db, c.q); got != c.want {
			t.Errorf("%s: %q, want %q", c.q, got, c.want)
		}
	}
	rows, err := db.Query("SELECT DATE_ADD(d, INTERVAL '1-2' year_month), d + INTERVAL 1 DAY FROM t")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	rows.Close()
	if len(cols) != 2 || cols[0] != "DATE_ADD(d, INTERVAL '1-2' year_month)" {
		t.Errorf("column names %q", cols)
	}
	// UPDATE (GMS's simple pipeline) and SQL-level prepared statements
	// (COM_STMT_PREPARE is parsed by vitess before Quarry sees it: still a
	// syntax error there).
	mustExec(t, db, "UPDATE t SET dt = DATE_ADD(dt, INTERVAL '1 1' DAY_HOUR) WHERE id = 1")
	if got := queryString(t, db, "SELECT dt FROM t"); got != "2024-05-07 11:11:12" {
		t.Errorf("after UPDATE: %s", got)
	}
	mustExec(t, db, "PREPARE p FROM 'SELECT DATE_ADD(d, INTERVAL ? YEAR_MONTH) FROM t'")
	mustExec(t, db, "SET @v = '-2-1'")
	if got := queryString(t, db, "EXECUTE p USING @v"); got != "2022-04-06" {
		t.Errorf("prepared: %s", got)
	}
}

func TestMySQLIntervalText(t *testing.T) {
	for _, c := range []struct {
		s, unit, want string
		neg           bool
	}{
		{"1-2", "YEAR_MONTH", "1-2", false},
		{" -1 2", "DAY_HOUR", "1 2", true},
		{"5", "DAY_HOUR", "0 5", false},
		{"1:10", "DAY_SECOND", "0 0:1:10", false},
		{"1.2", "SECOND_MICROSECOND", "1.200000", false},
		{"1.2345678", "SECOND_MICROSECOND", "1.2345678", false},
		{"5", "SECOND_MICROSECOND", "0.5", false},
		{"1.5", "MINUTE_MICROSECOND", "0:1.5", false},
		{"abc", "HOUR_MINUTE", "0:0", false},
		{"1:2:3:4", "HOUR_MINUTE", "1:2", false},
	} {
		neg, got, ok := mysqlInterval(c.s, c.unit)
		if !ok || got != c.want || neg != c.neg {
			t.Errorf("%q %s: %v %q %v, want %v %q", c.s, c.unit, neg, got, ok, c.neg, c.want)
		}
	}
	if _, _, ok := mysqlInterval("99999999999999999999-1", "YEAR_MONTH"); ok {
		t.Error("overflow accepted")
	}
}
