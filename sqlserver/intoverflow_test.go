package sqlserver

import (
	"context"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestIntOverflow: integer +, - and * that leave the BIGINT (or, with an
// unsigned operand, BIGINT UNSIGNED) range fail with MySQL's error 1690
// (22003) and message, in SELECT, UPDATE, INSERT ... SELECT, server-side
// prepared statements and the learned prepared UPDATE; results in range
// are exact and typed as MySQL types them. (GMS wrapped around silently.)
func TestIntOverflow(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	mustExec(t, root, "CREATE DATABASE o")
	db := openDB(t, "root", "", ts.addr, "o")
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE TABLE u (id INT PRIMARY KEY, a BIGINT UNSIGNED, b BIGINT UNSIGNED, i INT UNSIGNED, s BIGINT)")
	mustExec(t, db, "INSERT INTO u VALUES (1, 1, 2, 0, 9223372036854775807)")

	refused := func(q, msg string, args ...any) {
		t.Helper()
		rows, err := db.Query(q, args...)
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
			rows.Close()
		}
		if me := checkMySQLError(t, q, err, 1690, "22003"); me != nil && msg != "" && me.Message != msg {
			t.Errorf("%s: message %q, want %q", q, me.Message, msg)
		}
	}
	refused("SELECT 9223372036854775807 + 1", "BIGINT value is out of range in '(9223372036854775807 + 1)'")
	refused("SELECT 18446744073709551615 + 1", "BIGINT UNSIGNED value is out of range in '(18446744073709551615 + 1)'")
	refused("SELECT -9223372036854775807 - 2", "BIGINT value is out of range in '(-9223372036854775807 - 2)'")
	refused("SELECT 4294967296 * 4294967296", "BIGINT value is out of range in '(4294967296 * 4294967296)'")
	refused("SELECT a - b FROM u", "BIGINT UNSIGNED value is out of range in '(`o`.`u`.`a` - `o`.`u`.`b`)'")
	refused("SELECT i - 1 FROM u", "BIGINT UNSIGNED value is out of range in '(`o`.`u`.`i` - 1)'")
	refused("SELECT s - b - 9223372036854775807 FROM u", "BIGINT UNSIGNED value is out of range in '((`o`.`u`.`s` - `o`.`u`.`b`) - 9223372036854775807)'")
	refused("SELECT s * 2 FROM u", "BIGINT value is out of range in '(`o`.`u`.`s` * 2)'")
	refused("SELECT id FROM u WHERE s + id > 0", "BIGINT value is out of range in '(`o`.`u`.`s` + `o`.`u`.`id`)'")
	refused("SELECT (SELECT s + 1 FROM u)", "")
	refused("SELECT * FROM (SELECT s + 1 FROM u) d", "")
	refused("SELECT ? + ?", "", int64(9223372036854775807), 1)
	refused("UPDATE u SET a = a - 5", "BIGINT UNSIGNED value is out of range in '(`o`.`u`.`a` - 5)'")
	refused("INSERT INTO u (id, s) SELECT 2, s + 1 FROM u", "")
	if got := queryString(t, db, "SELECT CONCAT(a, ',', s, ',', (SELECT COUNT(*) FROM u)) FROM u"); got != "1,9223372036854775807,1" {
		t.Errorf("after failed writes: %s", got)
	}

	// In range: exact, and unsigned when an operand is unsigned.
	for q, want := range map[string]string{
		"SELECT -9223372036854775807 - 1":        "-9223372036854775808",
		"SELECT 9223372036854775807 + 0":         "9223372036854775807",
		"SELECT 4294967296 * 2147483647":         "9223372032559808512",
		"SELECT a + 18446744073709551613 FROM u": "18446744073709551614",
		"SELECT CAST(5 AS UNSIGNED) + -3":        "2",
		"SELECT -3 * CAST(0 AS UNSIGNED)":        "0",
		"SELECT id - 191 FROM u":                 "-190",
		"SELECT 200 * id - 300 FROM u":           "-100",
		"SELECT b - a FROM u":                    "1",
		"SELECT ? * ?":                           "-9223372036854775808",
	} {
		var args []any
		if q == "SELECT ? * ?" {
			args = []any{int64(-4611686018427387904), 2}
		}
		if got := queryString(t, db, q, args...); got != want {
			t.Errorf("%s = %s, want %s", q, got, want)
		}
	}
	// NO_UNSIGNED_SUBTRACTION makes a subtraction signed; an addition of
	// unsigned values is still unsigned.
	mustExec(t, db, "SET sql_mode = CONCAT(@@sql_mode, ',NO_UNSIGNED_SUBTRACTION')")
	refused("SELECT a + 18446744073709551615 FROM u", "")
	mustExec(t, db, "SET sql_mode = DEFAULT")

	// A prepared UPDATE the connection learns (the fast path reuses the
	// analyzed plan) still checks.
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "UPDATE u SET s = -9223372036854775805"); err != nil {
		t.Fatal(err)
	}
	upd, err := conn.PrepareContext(ctx, "UPDATE u SET s = s - 1 WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	defer upd.Close()
	for i := 0; i < 3; i++ {
		if _, err := upd.Exec(1); err != nil {
			t.Fatal(err)
		}
	}
	learned := ts.srv.LearnedDML()
	_, err = upd.Exec(1)
	if ts.srv.LearnedDML() == learned {
		t.Error("the prepared UPDATE did not run on the learned path")
	}
	if me := checkMySQLError(t, "learned prepared UPDATE", err, 1690, "22003"); me != nil &&
		me.Message != "BIGINT value is out of range in '(`o`.`u`.`s` - 1)'" {
		t.Errorf("learned prepared UPDATE: message %q", me.Message)
	}
	var got string
	if err := conn.QueryRowContext(ctx, "SELECT s FROM u").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "-9223372036854775808" {
		t.Errorf("s = %s after the failed UPDATE, want -9223372036854775808", got)
	}
}

// BenchmarkIntArithEval compares the checked k + 1 with GMS's unchecked
// Arithmetic (the learned prepared UPDATE evaluates it once per row).
func BenchmarkIntArithEval(b *testing.B) {
	ctx := sql.NewEmptyContext()
	k := expression.NewGetField(0, types.Int64, "k", false)
	plus := expression.NewPlus(k, expression.NewLiteral(int8(1), types.Int8))
	row := sql.Row{int64(41)}
	for _, c := range []struct {
		name string
		e    sql.Expression
	}{{"gms", plus}, {"checked", &intArith{Arithmetic: plus, op: '+'}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := c.e.Eval(ctx, row); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
