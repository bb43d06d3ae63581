package sqlserver

import (
	"fmt"
	"testing"
	"time"
)

// TestMonthIntervals compares adding and subtracting months with Go's
// calendar (day clamped to the month's last day, as MySQL does) for every
// start month and month counts from -30 to 30, through DATE_ADD, DATE_SUB,
// `+ INTERVAL` over DATE, DATETIME and string values, and TIMESTAMPADD.
// GMS put results landing in a December a year or more ahead one year too
// late (DATE_ADD('2023-12-15', INTERVAL 12 MONTH) was 2025-12-15).
func TestMonthIntervals(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE u")
	mustExec(t, db, "USE u")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, d DATE, dt DATETIME, n INT)")
	want := func(start time.Time, months int) time.Time {
		y, m := start.Year(), int(start.Month())-1+months
		y += m / 12
		if m %= 12; m < 0 {
			m += 12
			y--
		}
		first := time.Date(y, time.Month(m+1), 1, start.Hour(), start.Minute(), start.Second(), 0, time.UTC)
		last := first.AddDate(0, 1, -1).Day()
		return first.AddDate(0, 0, min(start.Day(), last)-1)
	}
	id := 0
	for mo := 1; mo <= 12; mo++ {
		// Month ends (which clamp) and a mid-month day.
		days := time.Date(2023, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day()
		start := time.Date(2023, time.Month(mo), min([]int{31, 30, 29, 15}[mo%4], days), 0, 0, 0, 0, time.UTC)
		for n := -30; n <= 30; n += 3 {
			id++
			mustExec(t, db, fmt.Sprintf("INSERT INTO t VALUES (%d, '%s', '%s', %d)", id, start.Format(time.DateOnly), start.Add(10*time.Hour+30*time.Minute).Format(time.DateTime), n))
		}
	}
	rows, err := db.Query(`SELECT d, n, DATE_ADD(d, INTERVAL n MONTH), DATE_SUB(dt, INTERVAL -n MONTH), dt + INTERVAL n MONTH,
		DATE_ADD(CAST(d AS CHAR), INTERVAL n MONTH), TIMESTAMPADD(MONTH, n, d), ADDDATE(d, INTERVAL n MONTH) FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	checked := 0
	for rows.Next() {
		var d, add, sub, plus, str, tsadd, adddate string
		var n int
		if err := rows.Scan(&d, &n, &add, &sub, &plus, &str, &tsadd, &adddate); err != nil {
			t.Fatal(err)
		}
		start, err := time.Parse(time.DateOnly, d)
		if err != nil {
			t.Fatal(err)
		}
		w := want(start, n).Format(time.DateOnly)
		wt := want(start.Add(10*time.Hour+30*time.Minute), n).Format(time.DateTime)
		for _, c := range []struct{ name, got, want string }{
			{"DATE_ADD(d)", add, w}, {"DATE_SUB(dt, -n)", sub, wt}, {"dt + INTERVAL", plus, wt},
			{"DATE_ADD(string)", str, w}, {"TIMESTAMPADD", tsadd[:10], w}, {"ADDDATE", adddate, w},
		} {
			if c.got != c.want {
				t.Errorf("%s from %s plus %d months: %s, want %s", c.name, d, n, c.got, c.want)
			}
		}
		checked++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if checked != id {
		t.Fatalf("checked %d rows of %d", checked, id)
	}
	if got := queryString(t, db, "SELECT DATE_ADD('1952-10-14', INTERVAL 26 MONTH)"); got != "1954-12-14" {
		t.Errorf("DATE_ADD('1952-10-14', INTERVAL 26 MONTH) = %s, want 1954-12-14", got)
	}
}
