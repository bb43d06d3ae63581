package sqlserver

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	gmssql "github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestIntegerOutOfRange: a value outside an integer column's range is
// error 1264 (22003) "Out of range value for column 'c' at row n" under
// strict sql_mode, in INSERT (GMS's path and the bulk path), INSERT ...
// SELECT and UPDATE (also a learned prepared UPDATE), for every integer
// type, signed and unsigned, and nothing is written; without strict mode,
// and under IGNORE, the nearest bound is stored with warning 1264. Before,
// UPDATE clamped (TINYINT 200 -> 127) or wrapped (TINYINT UNSIGNED -1 ->
// 255) silently, a DECIMAL above 2^64-1 stored 2^63 into BIGINT UNSIGNED,
// and non-strict INSERT failed.
func TestIntegerOutOfRange(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE r")
	mustExec(t, db, "USE r")
	cols := []struct{ typ, below, above, lo, hi string }{
		{"TINYINT", "-129", "128", "-128", "127"},
		{"TINYINT UNSIGNED", "-1", "256", "0", "255"},
		{"SMALLINT", "-32769", "32768", "-32768", "32767"},
		{"SMALLINT UNSIGNED", "-1", "65536", "0", "65535"},
		{"MEDIUMINT", "-8388609", "8388608", "-8388608", "8388607"},
		{"MEDIUMINT UNSIGNED", "-1", "16777216", "0", "16777215"},
		{"INT", "-2147483649", "2147483648", "-2147483648", "2147483647"},
		{"INT UNSIGNED", "-1", "4294967296", "0", "4294967295"},
		{"BIGINT", "-9223372036854775809", "9223372036854775808", "-9223372036854775808", "9223372036854775807"},
		{"BIGINT UNSIGNED", "-1", "18446744073709551616", "0", "18446744073709551615"},
	}
	for i, c := range cols {
		tbl := fmt.Sprintf("t%d", i)
		mustExec(t, db, "CREATE TABLE "+tbl+" (id INT PRIMARY KEY, v "+c.typ+")")
		mustExec(t, db, "INSERT INTO "+tbl+" VALUES (1, 0)")
		strict := func(what, q string) {
			t.Helper()
			_, err := db.Exec(q)
			me := checkMySQLError(t, c.typ+" "+what+": "+q, err, 1264, "22003")
			if me != nil && me.Message != "Out of range value for column 'v' at row 1" {
				t.Errorf("%s %s: message %q", c.typ, what, me.Message)
			}
		}
		for _, v := range []string{c.below, c.above, "'" + c.above + "'", c.above + ".0", c.hi + ".5"} {
			strict("insert", "INSERT INTO "+tbl+" VALUES (2, "+v+")")
			strict("update", "UPDATE "+tbl+" SET v = "+v+" WHERE id = 1")
			strict("insert select", "INSERT INTO "+tbl+" SELECT 3, "+v)
		}
		if q := "UPDATE " + tbl + " SET v = v + " + c.below; strings.HasSuffix(c.typ, "UNSIGNED") {
			// v + -1 has an unsigned operand: MySQL computes it as BIGINT
			// UNSIGNED and fails with 1690 before storing (intoverflow.go).
			_, err := db.Exec(q)
			if me := checkMySQLError(t, c.typ+" update expression: "+q, err, 1690, "22003"); me != nil &&
				!strings.HasPrefix(me.Message, "BIGINT UNSIGNED value is out of range in '") {
				t.Errorf("%s update expression: message %q", c.typ, me.Message)
			}
		} else {
			strict("update expression", q)
		}
		if got := queryString(t, db, "SELECT GROUP_CONCAT(CONCAT(id, ':', v)) FROM "+tbl); got != "1:0" {
			t.Errorf("%s: rows %q after failed writes, want 1:0", c.typ, got)
		}
		// The bounds themselves are in range.
		mustExec(t, db, "INSERT INTO "+tbl+" VALUES (2, "+c.lo+"), (3, "+c.hi+")")
		mustExec(t, db, "UPDATE "+tbl+" SET v = "+c.hi+" WHERE id = 2")
		mustExec(t, db, "UPDATE "+tbl+" SET v = "+c.lo+" WHERE id = 2")
		// Non-strict and IGNORE: the bound, with warning 1264.
		mustExec(t, db, "DELETE FROM "+tbl+" WHERE id > 1")
		for _, mode := range []struct{ set, ignore string }{{"SET sql_mode = ''", ""}, {"SET sql_mode = DEFAULT", "IGNORE "}} {
			mustExec(t, db, mode.set)
			mustExec(t, db, "INSERT "+mode.ignore+"INTO "+tbl+" VALUES (2, "+c.below+"), (3, "+c.above+")")
			checkWarning(t, db, "Out of range value for column 'v' at row 2")
			mustExec(t, db, "UPDATE "+mode.ignore+tbl+" SET v = "+c.above+" WHERE id = 2")
			checkWarning(t, db, "Out of range value for column 'v' at row 1")
			if got := queryString(t, db, "SELECT CONCAT(v, ',', (SELECT v FROM "+tbl+" WHERE id = 3)) FROM "+tbl+" WHERE id = 2"); got != c.hi+","+c.hi {
				t.Errorf("%s %q: stored %q, want %s,%s", c.typ, mode.set+" "+mode.ignore, got, c.hi, c.hi)
			}
			mustExec(t, db, "DELETE FROM "+tbl+" WHERE id > 1")
		}
		mustExec(t, db, "SET sql_mode = DEFAULT")
	}
	// A row number counts the statement's rows.
	_, err := db.Exec("INSERT INTO t0 VALUES (5, 1), (6, 2), (7, 300)")
	if me := checkMySQLError(t, "third row", err, 1264, "22003"); me != nil && me.Message != "Out of range value for column 'v' at row 3" {
		t.Errorf("third row: %q", me.Message)
	}
	// ON DUPLICATE KEY UPDATE's assignments too.
	_, err = db.Exec("INSERT INTO t0 VALUES (1, 1) ON DUPLICATE KEY UPDATE v = 300")
	checkMySQLError(t, "on duplicate key update", err, 1264, "22003")
	if got := queryString(t, db, "SELECT v FROM t0 WHERE id = 1"); got != "0" {
		t.Errorf("after failed ON DUPLICATE KEY UPDATE v = %s, want 0", got)
	}
	// A prepared point UPDATE (learned by the connection after its first
	// runs) checks each new value.
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stmt, err := conn.PrepareContext(context.Background(), "UPDATE t0 SET v = ? WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	for i := 0; i < 5; i++ {
		if _, err := stmt.Exec(i, 1); err != nil {
			t.Fatalf("prepared update %d: %v", i, err)
		}
		_, err := stmt.Exec(200+i, 1)
		checkMySQLError(t, "prepared update out of range", err, 1264, "22003")
	}
	stmt.Close()
	conn.Close() // db holds one connection
	if got := queryString(t, db, "SELECT v FROM t0 WHERE id = 1"); got != "4" {
		t.Errorf("after prepared updates v = %s, want 4", got)
	}
}

// checkWarning fails unless SHOW WARNINGS (db holds one connection)
// lists warning 1264 with msg.
func checkWarning(t *testing.T, db *sql.DB, msg string) {
	t.Helper()
	ws := showWarnings(t, db, "SHOW WARNINGS")
	for _, w := range ws {
		if w == (warning{"Warning", 1264, msg}) {
			return
		}
	}
	t.Errorf("warnings %q, want Warning 1264 %q", ws, msg)
}

// BenchmarkIntRangeCheck: the cost the check adds to each integer value
// INSERT and UPDATE store (GMS's path; the bulk path only calls
// intOutOfRange).
func BenchmarkIntRangeCheck(b *testing.B) {
	ctx := gmssql.NewEmptyContext()
	lit := expression.NewLiteral(int64(100), types.Int64)
	check := newIntRangeCheck(lit, types.Int8, "v", false, &rowCounter{}, true)
	b.Run("literal", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := lit.Eval(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("checked", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := check.Eval(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
