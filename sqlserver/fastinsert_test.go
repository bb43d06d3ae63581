package sqlserver_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/internal/insertparse"
	"github.com/quarrydb/quarry/internal/testserver"
)

// bulkColumns is a table exercising every literal form the bulk INSERT
// path reads against every column type family, with values for each
// column that convert, truncate, overflow or fail.
var bulkColumns = []struct {
	def  string
	vals []string
}{
	{"i TINYINT NULL", []string{"1", "127", "128", "-129", "'12'", "'abc'", "1.5", "2.5e0", "NULL", "-0"}},
	{"u INT UNSIGNED NOT NULL DEFAULT 0", []string{"0", "-1", "4294967295", "4294967296", "'7'", "3.7", "NULL"}},
	{"b BIGINT NULL", []string{"9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551615", "123456789012345678901234"}},
	{"d DECIMAL(6,2) NULL", []string{"1.005", "9999.99", "10000", "'12.345'", "-0.5", "1e2", "'x'"}},
	{"f DOUBLE NULL", []string{"1.5", "1e308", "'3.25'", "-0", ".5", "5."}},
	{"vc VARCHAR(5) NULL", []string{"NULL", "'abc'", "'abcdef'", "'中文😀'", "''", `'a\'b'`, `'\\'`, "12", `"dq"`, `'tab\there'`}},
	{"lat VARCHAR(4) CHARACTER SET latin1 NULL", []string{"'abc'", "'é'", "'中'", "'abcde'"}},
	{"vb VARBINARY(4) NULL", []string{"_binary 'ab'", "'abcd'", "'abcde'", `_binary 'a\0b'`}},
	{"e ENUM('x','y') NULL", []string{"'x'", "'Y'", "'z'", "''", "1"}},
	{"st SET('a','b') NULL", []string{"'a,b'", "'b'", "'c'", "''"}},
	{"dt DATETIME NULL", []string{"'2024-01-02 03:04:05'", "'2024-02-30 00:00:00'", "'2024-01-02'", "'2024-01-02 03:04:05.6'",
		"'0000-00-00 00:00:00'", "'1999-12-31 23:59:59.999999'", "'abc'", "'2024-1-2 3:4:5'", "'0999-01-01 00:00:00'", "'2024-01-02T03:04:05'"}},
	{"dt3 DATETIME(3) NULL", []string{"'2024-01-02 03:04:05.1234'", "'2024-01-02 03:04:05.9999'", "'2024-12-31 23:59:59.9996'"}},
	{"da DATE NULL", []string{"'2024-01-02'", "'2024-01-02 10:00:00'", "'2023-02-29'", "'2024-02-29'"}},
	{"ts TIMESTAMP NULL", []string{"NULL", "'2024-01-02 03:04:05'"}},
	{"j JSON NULL", []string{"NULL", `'{"a": 1}'`, "'[1'"}},
	{"tx TEXT NULL", []string{"'some text'", "''"}},
	{"nn VARCHAR(3) NOT NULL DEFAULT 'd'", []string{"'ok'", "NULL", "'toolong'"}},
}

// TestBulkInsertMatchesGMS runs random literal INSERTs through the bulk
// path and, into an identical table, through GMS (quarry_bulk_insert=0),
// in strict and non-strict sql_mode, and requires the same errors,
// affected rows, insert ids, rows and AUTO_INCREMENT counters.
func TestBulkInsertMatchesGMS(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	admin := srv.Open("")
	var defs []string
	for _, c := range bulkColumns {
		defs = append(defs, c.def)
	}
	for _, q := range []string{"CREATE DATABASE bi",
		"CREATE TABLE bi.f (id INT AUTO_INCREMENT PRIMARY KEY, " + strings.Join(defs, ", ") + ", UNIQUE KEY uvc (vc), KEY kdt (dt))",
		"CREATE TABLE bi.s LIKE bi.f"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ctx := context.Background()
	conn := func(bulk int) *sql.Conn {
		c, err := srv.Open("bi").Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ExecContext(ctx, fmt.Sprintf("SET quarry_bulk_insert = %d", bulk)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	fast, slow := conn(1), conn(0)
	rng := rand.New(rand.NewSource(7))
	nextID := 1
	literalRow := func() string {
		var vals []string
		switch r := rng.Intn(20); {
		case r == 0:
			vals = append(vals, "NULL")
		case r == 1:
			vals = append(vals, "0")
		case r == 2:
			vals = append(vals, fmt.Sprint(rng.Intn(nextID)+1)) // likely a duplicate
		default:
			vals = append(vals, fmt.Sprint(nextID))
			nextID += 1 + rng.Intn(3)
		}
		for _, c := range bulkColumns {
			if rng.Intn(10) != 0 {
				vals = append(vals, c.vals[0]) // mostly valid rows
			} else {
				vals = append(vals, c.vals[rng.Intn(len(c.vals))])
			}
		}
		return "(" + strings.Join(vals, ", ") + ")"
	}
	type outcome struct {
		code                     uint16
		affected, id, lastInsert int64
	}
	run := func(c *sql.Conn, q string, args ...any) outcome {
		var o outcome
		res, err := c.ExecContext(ctx, q, args...)
		if err != nil {
			var me *mysql.MySQLError
			if !errors.As(err, &me) {
				t.Fatalf("%s: %v", q, err)
			}
			o.code = me.Number
		} else {
			o.affected, _ = res.RowsAffected()
			o.id, _ = res.LastInsertId()
		}
		if err := c.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&o.lastInsert); err != nil {
			t.Fatal(err)
		}
		return o
	}
	statements, preparedRan := 0, 0
	for _, mode := range []string{"STRICT_TRANS_TABLES", "", "NO_AUTO_VALUE_ON_ZERO"} {
		for _, c := range []*sql.Conn{fast, slow} {
			if _, err := c.ExecContext(ctx, "SET sql_mode = '"+mode+"'"); err != nil {
				t.Fatal(err)
			}
		}
		for n := 0; n < 400; n++ {
			rows := make([]string, 1+rng.Intn(4))
			for i := range rows {
				rows[i] = literalRow()
			}
			values := " VALUES " + strings.Join(rows, ", ")
			var args []any
			if n%2 == 1 {
				// The same values as parameters of a prepared statement.
				values, args = preparedValues(t, "INSERT INTO f"+values)
			}
			before, _ := srv.SQLServer().BulkInserts()
			got, want := run(fast, "INSERT INTO f"+values, args...), run(slow, "INSERT INTO s"+values, args...)
			if after, _ := srv.SQLServer().BulkInserts(); args != nil && after > before {
				preparedRan++
			}
			if got != want {
				t.Fatalf("sql_mode %q: INSERT ...%s %v\nbulk path: %+v\nGMS:       %+v", mode, values, args, got, want)
			}
			statements++
		}
	}
	compareFastAndGMSTables(t, admin, "bi")
	ran, fellBack := srv.SQLServer().BulkInserts()
	t.Logf("%d statements per path; bulk path ran %d (%d prepared), handed %d back to GMS", statements, ran, preparedRan, fellBack)
	if preparedRan < statements/20 {
		t.Fatalf("the bulk path ran only %d prepared statements", preparedRan)
	}
	if ran < uint64(statements)/10 {
		t.Fatalf("the bulk path ran only %d of %d statements: the comparison says little", ran, statements)
	}
	if err := srv.Store().CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// TestBulkInsertTransactions checks the bulk path inside transactions,
// with autocommit off and in multi-statement queries.
func TestBulkInsertTransactions(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	admin := srv.Open("")
	for _, q := range []string{"CREATE DATABASE bt", "CREATE TABLE bt.t (id INT PRIMARY KEY, v VARCHAR(10))"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	c, err := srv.Open("bt").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		t.Helper()
		if err := admin.QueryRow("SELECT COUNT(*) FROM bt.t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec := func(q string) {
		t.Helper()
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ran0, _ := srv.SQLServer().BulkInserts()
	exec("BEGIN")
	exec("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
	if n := count(); n != 0 {
		t.Fatalf("another session sees %d uncommitted rows", n)
	}
	exec("ROLLBACK")
	if n := count(); n != 0 {
		t.Fatalf("%d rows after ROLLBACK", n)
	}
	exec("SET autocommit = 0")
	exec("INSERT INTO t VALUES (1, 'a')")
	exec("INSERT INTO t VALUES (2, 'b')")
	if n := count(); n != 0 {
		t.Fatalf("autocommit=0: another session sees %d rows", n)
	}
	exec("COMMIT")
	exec("SET autocommit = 1")
	if n := count(); n != 2 {
		t.Fatalf("%d rows after COMMIT, want 2", n)
	}
	// A duplicate in the middle of a statement leaves none of its rows.
	if _, err := c.ExecContext(ctx, "INSERT INTO t VALUES (3, 'c'), (1, 'dup')"); err == nil {
		t.Fatal("duplicate key accepted")
	} else if me, ok := err.(*mysql.MySQLError); !ok || me.Number != 1062 {
		t.Fatalf("duplicate key: %v, want error 1062", err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d rows after the failed statement, want 2", n)
	}
	ran1, _ := srv.SQLServer().BulkInserts()
	if ran1-ran0 < 3 {
		t.Fatalf("the bulk path ran %d statements, want at least 3", ran1-ran0)
	}

	multi, err := sql.Open("mysql", "root@tcp("+srv.Addr+")/bt?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	defer multi.Close()
	if _, err := multi.Exec("INSERT INTO t VALUES (10, 'x'), (11, 'y'); INSERT INTO t VALUES (12, 'z');UPDATE t SET v = 'w' WHERE id = 12"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := admin.QueryRow("SELECT GROUP_CONCAT(v ORDER BY id) FROM bt.t WHERE id >= 10").Scan(&v); err != nil || v != "x,y,w" {
		t.Fatalf("multi-statement: %q %v", v, err)
	}
	if err := srv.Store().CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// preparedValues turns the literal rows of an INSERT into ? placeholders
// and the Go values a client would bind.
func preparedValues(t *testing.T, q string) (string, []any) {
	t.Helper()
	ins, ok := insertparse.Parse(q)
	if !ok {
		t.Fatalf("insertparse cannot read %s", q)
	}
	var rows []string
	var args []any
	for _, row := range ins.Rows {
		marks := make([]string, len(row))
		for i, lit := range row {
			marks[i] = "?"
			switch lit.Kind {
			case insertparse.Null:
				args = append(args, nil)
			case insertparse.Decimal:
				args = append(args, fmt.Sprint(lit.Value))
			default:
				args = append(args, lit.Value)
			}
		}
		rows = append(rows, "("+strings.Join(marks, ", ")+")")
	}
	return " VALUES " + strings.Join(rows, ", "), args
}
