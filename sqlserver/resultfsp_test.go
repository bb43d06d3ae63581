package sqlserver_test

import (
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestResultFsp: DATETIME/TIMESTAMP result fields carry MySQL's fractional
// precision, derived from the expression as MySQL does (MAX/MIN/IF/
// COALESCE/CASE/window functions keep their arguments' largest fsp;
// DATE_ADD its argument's unless the interval has fractions; NOW(n) n;
// CAST(x AS DATETIME(n)) n; all TIMESTAMP arguments give a TIMESTAMP, a
// mix or DATE_ADD a DATETIME): the column definition's type and Decimals,
// and text values with exactly that many digits, in the text protocol and
// in the binary one (where the driver formats by Decimals).
func TestResultFsp(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	db := srv.OpenText("")
	for _, q := range []string{
		"CREATE DATABASE rf",
		`CREATE TABLE rf.t (id INT PRIMARY KEY, d0 DATETIME, d3 DATETIME(3), d6 DATETIME(6),
			t0 TIMESTAMP NULL, t2 TIMESTAMP(2) NULL, t6 TIMESTAMP(6) NULL)`,
		`INSERT INTO rf.t VALUES
			(1, '2024-03-02 11:30:00', '2024-03-02 11:30:00.5', '2024-03-02 11:30:00.5',
			    '2024-03-02 11:30:00', '2024-03-02 11:30:00.5', '2024-03-02 11:30:00.5'),
			(2, '2024-03-01 10:00:00', '2024-03-01 10:00:00', '2024-03-01 10:00:00',
			    '2024-03-01 10:00:00', '2024-03-01 10:00:00', '2024-03-01 10:00:00')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	type want struct {
		typ string // DATETIME or TIMESTAMP
		fsp int
		// first is the first row's value (ORDER BY id), "" to check only the
		// form (NOW()).
		first string
	}
	for _, c := range []struct {
		q string
		w want
	}{
		{"SELECT d6 FROM rf.t ORDER BY id", want{"DATETIME", 6, "2024-03-02 11:30:00.500000"}},
		{"SELECT t2 FROM rf.t ORDER BY id", want{"TIMESTAMP", 2, "2024-03-02 11:30:00.50"}},
		{"SELECT t6 FROM rf.t ORDER BY id", want{"TIMESTAMP", 6, "2024-03-02 11:30:00.500000"}},
		{"SELECT t0 FROM rf.t ORDER BY id", want{"TIMESTAMP", 0, "2024-03-02 11:30:00"}},
		{"SELECT t2 FROM rf.t WHERE id = 2", want{"TIMESTAMP", 2, "2024-03-01 10:00:00.00"}},
		{"SELECT d3 AS x FROM rf.t ORDER BY id", want{"DATETIME", 3, "2024-03-02 11:30:00.500"}},
		{"SELECT t6 AS x FROM rf.t ORDER BY id", want{"TIMESTAMP", 6, "2024-03-02 11:30:00.500000"}},
		{"SELECT MAX(d6) FROM rf.t", want{"DATETIME", 6, "2024-03-02 11:30:00.500000"}},
		{"SELECT MIN(d3) FROM rf.t", want{"DATETIME", 3, "2024-03-01 10:00:00.000"}},
		{"SELECT MAX(d0) FROM rf.t", want{"DATETIME", 0, "2024-03-02 11:30:00"}},
		{"SELECT MAX(t2) AS m FROM rf.t", want{"TIMESTAMP", 2, "2024-03-02 11:30:00.50"}},
		{"SELECT MIN(t6) FROM rf.t", want{"TIMESTAMP", 6, "2024-03-01 10:00:00.000000"}},
		{"SELECT MAX(t0) FROM rf.t", want{"TIMESTAMP", 0, "2024-03-02 11:30:00"}},
		{"SELECT id, MAX(d3) FROM rf.t GROUP BY id ORDER BY id", want{"DATETIME", 3, "2024-03-02 11:30:00.500"}},
		{"SELECT MAX(d6) FROM rf.t GROUP BY id HAVING COUNT(*) > 0 ORDER BY 1 DESC LIMIT 1", want{"DATETIME", 6, "2024-03-02 11:30:00.500000"}},
		{"SELECT IF(id > 0, d3, d0) FROM rf.t ORDER BY id", want{"DATETIME", 3, "2024-03-02 11:30:00.500"}},
		{"SELECT IF(id > 0, t2, t6) FROM rf.t ORDER BY id", want{"TIMESTAMP", 6, "2024-03-02 11:30:00.500000"}},
		{"SELECT IF(id > 0, t2, d0) FROM rf.t ORDER BY id", want{"DATETIME", 2, "2024-03-02 11:30:00.50"}},
		{"SELECT COALESCE(d3, d6) FROM rf.t ORDER BY id", want{"DATETIME", 6, "2024-03-02 11:30:00.500000"}},
		{"SELECT COALESCE(NULL, t2) FROM rf.t ORDER BY id", want{"TIMESTAMP", 2, "2024-03-02 11:30:00.50"}},
		{"SELECT IFNULL(d0, d3) FROM rf.t ORDER BY id", want{"DATETIME", 3, "2024-03-02 11:30:00.000"}},
		{"SELECT CASE WHEN id = 1 THEN d3 ELSE NULL END FROM rf.t ORDER BY id", want{"DATETIME", 3, "2024-03-02 11:30:00.500"}},
		{"SELECT CASE id WHEN 1 THEN d3 WHEN 2 THEN d6 END AS c FROM rf.t ORDER BY id", want{"DATETIME", 6, "2024-03-02 11:30:00.500000"}},
		{"SELECT NULLIF(d3, d0) FROM rf.t ORDER BY id", want{"DATETIME", 3, "2024-03-02 11:30:00.500"}},
		{"SELECT DATE_ADD(d3, INTERVAL 1 DAY) FROM rf.t ORDER BY id", want{"DATETIME", 3, "2024-03-03 11:30:00.500"}},
		{"SELECT DATE_SUB(t2, INTERVAL 1 HOUR) FROM rf.t ORDER BY id", want{"DATETIME", 2, "2024-03-02 10:30:00.50"}},
		{"SELECT d0 + INTERVAL 1 SECOND FROM rf.t ORDER BY id", want{"DATETIME", 0, "2024-03-02 11:30:01"}},
		{"SELECT DATE_ADD(d0, INTERVAL 1 DAY) AS x FROM rf.t ORDER BY id", want{"DATETIME", 0, "2024-03-03 11:30:00"}},
		{"SELECT DATE_ADD(d0, INTERVAL 5 MICROSECOND) FROM rf.t ORDER BY id", want{"DATETIME", 6, "2024-03-02 11:30:00.000005"}},
		{"SELECT DATE_ADD(MAX(d3), INTERVAL 1 DAY) FROM rf.t", want{"DATETIME", 3, "2024-03-03 11:30:00.500"}},
		{"SELECT CAST(d6 AS DATETIME(2)) FROM rf.t ORDER BY id", want{"DATETIME", 2, "2024-03-02 11:30:00.50"}},
		{"SELECT CAST(d0 AS DATETIME(3)) FROM rf.t ORDER BY id", want{"DATETIME", 3, "2024-03-02 11:30:00.000"}},
		{"SELECT CONVERT_TZ(d3, '+00:00', '+01:00') FROM rf.t ORDER BY id", want{"DATETIME", 3, "2024-03-02 12:30:00.500"}},
		{"SELECT MAX(d3) OVER () FROM rf.t ORDER BY id", want{"DATETIME", 3, "2024-03-02 11:30:00.500"}},
		{"SELECT LAG(t2) OVER (ORDER BY id DESC) FROM rf.t ORDER BY id", want{"TIMESTAMP", 2, "2024-03-01 10:00:00.00"}},
		{"SELECT FIRST_VALUE(d3) OVER (ORDER BY id) AS f FROM rf.t ORDER BY id", want{"DATETIME", 3, "2024-03-02 11:30:00.500"}},
		{"SELECT x FROM (SELECT MAX(d3) AS x FROM rf.t) s", want{"DATETIME", 3, "2024-03-02 11:30:00.500"}},
		{"SELECT x FROM (SELECT id, DATE_ADD(d0, INTERVAL 1 DAY) AS x FROM rf.t) s ORDER BY id", want{"DATETIME", 0, "2024-03-03 11:30:00"}},
		{"SELECT (SELECT MAX(t2) FROM rf.t) AS m", want{"TIMESTAMP", 2, "2024-03-02 11:30:00.50"}},
		{"SELECT NOW()", want{"DATETIME", 0, ""}},
		{"SELECT NOW(3)", want{"DATETIME", 3, ""}},
		{"SELECT CURRENT_TIMESTAMP(6) AS n", want{"DATETIME", 6, ""}},
	} {
		for _, prepared := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/prepared=%v", c.q, prepared), func(t *testing.T) {
				checkResultFsp(t, db, c.q, prepared, c.w.typ, c.w.fsp, c.w.first)
			})
		}
	}
}

func checkResultFsp(t *testing.T, db *sql.DB, q string, prepared bool, typ string, fsp int, first string) {
	t.Helper()
	var rows *sql.Rows
	var err error
	if prepared {
		st, perr := db.Prepare(q)
		if perr != nil {
			t.Fatal(perr)
		}
		defer st.Close()
		rows, err = st.Query()
	} else {
		rows, err = db.Query(q)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	ct := cts[len(cts)-1]
	if got := ct.DatabaseTypeName(); got != typ {
		t.Errorf("type %s, want %s", got, typ)
	}
	if _, scale, ok := ct.DecimalSize(); !ok || scale != int64(fsp) {
		t.Errorf("Decimals %d (ok %v), want %d", scale, ok, fsp)
	}
	form := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)
	if fsp > 0 {
		form = regexp.MustCompile(fmt.Sprintf(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{%d}$`, fsp))
	}
	var vals []string
	for rows.Next() {
		dest := make([]any, len(cts))
		for i := range dest {
			dest[i] = new(sql.NullString)
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		v := dest[len(dest)-1].(*sql.NullString)
		if !v.Valid {
			continue
		}
		vals = append(vals, v.String)
		if !form.MatchString(v.String) {
			t.Errorf("value %q does not have %d fractional digits", v.String, fsp)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if first != "" && (len(vals) == 0 || vals[0] != first) {
		t.Errorf("values %q, want the first %q", vals, first)
	}
}

// TestResultFspNotInSources: the result fsp rule changes only the
// statement's own result fields: derived tables, views, UNION operands,
// CREATE TABLE ... AS SELECT and INSERT ... SELECT keep their types and
// values. (A UNION of DATETIME(3) and DATETIME(6) is TEXT in GMS, not
// MySQL's DATETIME(6); its rows keep their own digits.)
func TestResultFspNotInSources(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	db := srv.OpenText("")
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		"CREATE DATABASE rs",
		"USE rs",
		"CREATE TABLE t (id INT PRIMARY KEY, d3 DATETIME(3), d6 DATETIME(6), t2 TIMESTAMP(2) NULL)",
		"INSERT INTO t VALUES (1, '2024-03-02 11:30:00.5', '2024-03-02 11:30:00.123456', '2024-03-02 11:30:00.25')",
		"CREATE TABLE c AS SELECT MAX(d3) AS m, MAX(t2) AS mt, COALESCE(d3, d6) AS co FROM t",
		"CREATE TABLE i (id INT PRIMARY KEY, m DATETIME(6))",
		"INSERT INTO i SELECT id, MAX(d6) FROM t GROUP BY id",
		"CREATE VIEW v AS SELECT MAX(d3) AS m, MAX(t2) AS mt FROM t",
		"CREATE TABLE t2 (id INT PRIMARY KEY, d0 DATETIME)",
		"INSERT INTO t2 VALUES (1, '2024-03-02 11:30:00')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var name, stmt string
	if err := db.QueryRow("SHOW CREATE TABLE c").Scan(&name, &stmt); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`m` datetime(3)", "`mt` timestamp(2)"} {
		if !strings.Contains(stmt, want) {
			t.Errorf("CREATE TABLE ... AS SELECT made\n%s\nwant %s", stmt, want)
		}
	}
	for _, c := range []struct {
		q, typ string
		fsp    int
		first  string
	}{
		{"SELECT m FROM c", "DATETIME", 3, "2024-03-02 11:30:00.500"},
		{"SELECT mt FROM c", "TIMESTAMP", 2, "2024-03-02 11:30:00.25"},
		{"SELECT m FROM i", "DATETIME", 6, "2024-03-02 11:30:00.123456"},
		{"SELECT m FROM v", "DATETIME", 3, "2024-03-02 11:30:00.500"},
		{"SELECT mt FROM v", "TIMESTAMP", 2, "2024-03-02 11:30:00.25"},
	} {
		t.Run(c.q, func(t *testing.T) {
			checkResultFsp(t, db, c.q, false, c.typ, c.fsp, c.first)
		})
	}
	// A derived table's column that Quarry's AggScan computes (the GROUP BY
	// absorbs the derived table) has no known producer: GMS's type stays
	// and the value is not padded to it (GMS types DATE_ADD over a
	// DATETIME(0) as DATETIME(6); MySQL's value has no fraction).
	var x string
	var n int
	if err := db.QueryRow("SELECT d.x, COUNT(*) FROM (SELECT DATE_ADD(d0, INTERVAL 48 HOUR) AS x FROM t2) d GROUP BY d.x").Scan(&x, &n); err != nil {
		t.Fatal(err)
	}
	if x != "2024-03-04 11:30:00" {
		t.Errorf("grouped derived DATE_ADD = %q, want 2024-03-04 11:30:00", x)
	}
	// The UNION's second row keeps its six digits.
	var got []string
	rows, err := db.Query("SELECT MAX(d3) FROM t UNION ALL SELECT MAX(d6) FROM t")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	rows.Close()
	if len(got) != 2 || !strings.HasPrefix(got[1], "2024-03-02 11:30:00.123456") {
		t.Errorf("UNION rows %q, want the second 2024-03-02 11:30:00.123456", got)
	}
}
