package sqlserver

import (
	"strings"
	"testing"
)

// TestTimePrecisionColumns: TIME(0) to TIME(5) columns are accepted in
// CREATE TABLE and ALTER TABLE (GMS rejected them) and behave as plain
// TIME columns do; other TIME precisions keep GMS's handling.
func TestTimePrecisionColumns(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE tp")
	mustExec(t, db, "USE tp")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, a TIME(0), b time(3) NOT NULL DEFAULT '00:00:01', c TIME(5), d TIME(6), e TIME)")
	mustExec(t, db, "ALTER TABLE t ADD COLUMN f TIME(2), MODIFY COLUMN a TIME(4) NULL")
	mustExec(t, db, "ALTER TABLE t ADD COLUMN g TIME(1) AFTER id")
	mustExec(t, db, "INSERT INTO t (id, g, a, c, d, e, f) VALUES (1, '01:00:00', '02:00:00', '-838:59:59', '10:11:12.5', '23:59:59', '00:00:00')")
	var got string
	if err := db.QueryRow("SELECT CONCAT_WS('|', g, a, b, c, d, e, f) FROM t").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "01:00:00|02:00:00|00:00:01|-838:59:59|10:11:12.500000|23:59:59|00:00:00"; got != want {
		t.Errorf("values: got %q, want %q", got, want)
	}
	// Every TIME column has the type a plain TIME column has.
	rows, err := db.Query("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.columns WHERE table_schema = 'tp' AND table_name = 't' AND column_name <> 'id' ORDER BY ORDINAL_POSITION")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var n, ty string
		if err := rows.Scan(&n, &ty); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, n+" "+ty)
	}
	if want := "g time(6),a time(6),b time(6),c time(6),d time(6),e time(6),f time(6)"; strings.Join(cols, ",") != want {
		t.Errorf("column types: got %q, want %q", strings.Join(cols, ","), want)
	}
	// A precision above 6 is still an error; other types are untouched.
	if _, err := db.Exec("CREATE TABLE bad (c TIME(7))"); err == nil {
		t.Error("TIME(7) accepted")
	}
	mustExec(t, db, "CREATE TABLE other (id INT PRIMARY KEY, x DATETIME(3), y VARCHAR(3))")
	if err := db.QueryRow("SELECT GROUP_CONCAT(COLUMN_TYPE ORDER BY ORDINAL_POSITION) FROM information_schema.columns WHERE table_schema = 'tp' AND table_name = 'other'").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "int,datetime(3),varchar(3)" {
		t.Errorf("other table: %q", got)
	}
}
