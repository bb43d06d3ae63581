package sqlserver

import (
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

const pointSelectSchema = `
CREATE TABLE t1 (id INT PRIMARY KEY, ti TINYINT, u BIGINT UNSIGNED, d DECIMAL(12,3), f FLOAT, db DOUBLE,
  dt DATETIME(6), ts TIMESTAMP NULL, da DATE, tm TIME, y YEAR, c CHAR(5), vc VARCHAR(20) COLLATE utf8mb4_0900_ai_ci,
  tx TEXT, bl BLOB, vb VARBINARY(8), e ENUM('a','b'), s SET('x','y'), j JSON, b BIT(8));
INSERT INTO t1 VALUES
  (1, -5, 18446744073709551615, 123.456, 1.5, 2.25, '2026-01-02 03:04:05.123456', '2026-01-02 03:04:05', '2026-01-02', '-12:34:56',
   2026, 'ab', 'Grüße 你好', 'long text', x'00ff', x'0102', 'b', 'x,y', '{"a": [1, "x"]}', b'10101010'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (-7, 0, 0, -0.001, -1e10, 1e-300, '1000-01-01 00:00:00', NULL, '9999-12-31', '00:00:00', 1901, '', '', '', x'', x'', 'a', '', 'null', b'0');
CREATE TABLE t2 (id BIGINT UNSIGNED PRIMARY KEY, v VARCHAR(10));
INSERT INTO t2 VALUES (18446744073709551615, 'max'), (0, 'zero'), (5, 'five');
CREATE TABLE t3 (id TINYINT PRIMARY KEY, v INT);
INSERT INTO t3 VALUES (1, 10), (127, 1270), (-128, -1280);
CREATE TABLE t4 (a INT, b INT, v INT, PRIMARY KEY (a, b));
INSERT INTO t4 VALUES (1, 1, 11);
CREATE VIEW v3 AS SELECT id, v FROM t3`

var pointSelectStmts = []string{
	"SELECT * FROM t1 WHERE id = ?",
	"SELECT vc, id AS x, j, d FROM t1 WHERE id = ?",
	"SELECT v FROM t2 WHERE id = ?",
	"select v from t3 where ? = id",
	"SELECT t3.v, t3.id FROM t3 WHERE t3.id = ?",
	"SELECT v FROM t3 WHERE id = ? FOR UPDATE",
	"SELECT DISTINCT v FROM t3 WHERE id = ?",
	"SELECT v FROM t3 WHERE id = ? LIMIT 1",
	"SELECT v FROM v3 WHERE id = ?",
	"SELECT v FROM t4 WHERE a = ?",
	"SELECT SQL_CALC_FOUND_ROWS v FROM t3 WHERE id = ?",
	// Learned plans (prepplan.go): ranges and range aggregates.
	"SELECT id, v FROM t3 WHERE id > ? ORDER BY id",
	"SELECT COUNT(*), SUM(v) FROM t3 WHERE id BETWEEN ? AND 127",
	"SELECT id FROM t1 WHERE id <= ?",
	// GMS keys prepared statements by their trimmed text.
	"\n  SELECT v FROM t3 WHERE id = ? ;",
	"\n\tSELECT COUNT(*) FROM t3\n\tWHERE id BETWEEN ? AND 100;",
}

var pointSelectArgs = []any{1, 2, -7, 0, 5, 127, 128, -128, -129, 300, int64(math.MaxInt32) + 1, uint64(math.MaxUint64), "1", "abc", 1.0, 2.5, nil}

// sameTranscripts fails t where the transcript got (of the path named
// gotName) differs from want (of wantName): in length, and on each line
// the two have.
func sameTranscripts(t *testing.T, gotName string, got []string, wantName string, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("transcripts differ in length: %s %d, %s %d", gotName, len(got), wantName, len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("line %d\n%s: %s\n%s: %s", i, gotName, got[i], wantName, want[i])
		}
	}
}

// rawResult renders a result with its column metadata and raw values.
func rawResult(rows *sql.Rows, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	defer rows.Close()
	cols, _ := rows.ColumnTypes()
	var b strings.Builder
	for _, c := range cols {
		n, nok := c.Nullable()
		l, lok := c.Length()
		p, s, dok := c.DecimalSize()
		fmt.Fprintf(&b, "%s:%s:%v%v:%d%v:%d,%d%v:%v ", c.Name(), c.DatabaseTypeName(), n, nok, l, lok, p, s, dok, c.ScanType())
	}
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "scan error: " + err.Error()
		}
		b.WriteString("[")
		for _, v := range vals {
			if v == nil {
				b.WriteString("NULL|")
			} else {
				fmt.Fprintf(&b, "%q|", []byte(v))
			}
		}
		b.WriteString("]")
	}
	if err := rows.Err(); err != nil {
		b.WriteString(" error: " + err.Error())
	}
	return b.String()
}

// pointSelectTranscript runs the prepared point SELECTs, with the session
// state around them, and returns everything the client saw.
func pointSelectTranscript(t *testing.T, ts *testServer) []string {
	root := mustConnect(t, "root", "", ts.addr)
	root.SetMaxOpenConns(1)
	mustExec(t, root, "CREATE DATABASE pdb")
	mustExec(t, root, "USE pdb")
	for _, q := range strings.Split(pointSelectSchema, ";") {
		mustExec(t, root, q)
	}
	var out []string
	log := func(s string) { out = append(out, s) }
	text := func(db *sql.DB, q string) { log(q + " => " + rawResult(db.Query(q))) }
	// Rows examined, as Innodb_rows_read counts them (the statement
	// reading the counter counts nothing itself: it reads no table).
	var rowsRead int64
	readDelta := func(db *sql.DB) string {
		var name string
		var n int64
		if err := db.QueryRow("SHOW GLOBAL STATUS LIKE 'Innodb_rows_read'").Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		d := n - rowsRead
		rowsRead = n
		return fmt.Sprint(d)
	}
	state := func(db *sql.DB) {
		// (@@warning_count and @@in_transaction are not system variables
		// in GMS: selecting them fails the whole statement.)
		text(db, "SELECT FOUND_ROWS(), ROW_COUNT()")
		log("rows read: " + readDelta(db))
	}
	stmts := map[string]*sql.Stmt{}
	prepare := func(db *sql.DB, q string) *sql.Stmt {
		if st, ok := stmts[q]; ok {
			return st
		}
		st, err := db.Prepare(q)
		if err != nil {
			log(q + " prepare: " + err.Error())
			return nil
		}
		stmts[q] = st
		return st
	}
	exec := func(db *sql.DB, q string, arg any) {
		st := prepare(db, q)
		if st == nil {
			return
		}
		log(fmt.Sprintf("%s (%#v) => %s", q, arg, rawResult(st.Query(arg))))
	}
	// Every statement with every argument, twice: the second round runs
	// learned statements on the point path.
	for round := 0; round < 2; round++ {
		for _, q := range pointSelectStmts {
			for _, a := range pointSelectArgs {
				exec(root, q, a)
			}
			state(root)
		}
	}
	q := "SELECT v FROM t3 WHERE id = ?"
	exec(root, q, 1)
	exec(root, q, 1)
	// Warnings of an earlier statement are cleared.
	text(root, "SELECT 1/0, CAST('7x' AS SIGNED), v FROM t3 WHERE id = 1")
	text(root, "SHOW WARNINGS")
	text(root, "SELECT 1/0, CAST('7x' AS SIGNED), v FROM t3 WHERE id = 1")
	exec(root, q, 127)
	text(root, "SHOW WARNINGS")
	// Transactions: own writes are seen, a rollback undoes them, the
	// status flags follow (@@in_transaction).
	mustExec(t, root, "BEGIN")
	mustExec(t, root, "UPDATE t3 SET v = v + 1 WHERE id = 1")
	exec(root, q, 1)
	state(root)
	mustExec(t, root, "ROLLBACK")
	exec(root, q, 1)
	state(root)
	mustExec(t, root, "SET autocommit = 0")
	exec(root, q, 1)
	state(root)
	mustExec(t, root, "COMMIT")
	mustExec(t, root, "SET autocommit = 1")
	// Session settings the plan depends on.
	mustExec(t, root, "SET sql_select_limit = 0")
	exec(root, q, 1)
	mustExec(t, root, "SET sql_select_limit = DEFAULT")
	exec(root, q, 1)
	mustExec(t, root, "SET character_set_results = latin1")
	exec(root, "SELECT vc, id AS x, j, d FROM t1 WHERE id = ?", 1)
	mustExec(t, root, "SET character_set_results = utf8mb4")
	exec(root, "SELECT vc, id AS x, j, d FROM t1 WHERE id = ?", 1)
	// A temporary table hides the table.
	mustExec(t, root, "CREATE TEMPORARY TABLE t3 (id TINYINT PRIMARY KEY, v INT)")
	mustExec(t, root, "INSERT INTO t3 VALUES (1, 999)")
	exec(root, q, 1)
	mustExec(t, root, "DROP TEMPORARY TABLE t3")
	exec(root, q, 1)
	// DDL under a learned statement.
	exec(root, "SELECT * FROM t1 WHERE id = ?", 1)
	mustExec(t, root, "ALTER TABLE t1 DROP COLUMN ti")
	exec(root, "SELECT * FROM t1 WHERE id = ?", 1)
	mustExec(t, root, "ALTER TABLE t3 MODIFY v VARCHAR(10)")
	exec(root, q, 127)
	// Another database with the same table name.
	mustExec(t, root, "CREATE DATABASE pdb2")
	mustExec(t, root, "CREATE TABLE pdb2.t3 (id TINYINT PRIMARY KEY, v INT)")
	mustExec(t, root, "INSERT INTO pdb2.t3 VALUES (1, -1)")
	mustExec(t, root, "USE pdb2")
	exec(root, q, 1)
	mustExec(t, root, "USE pdb")
	exec(root, q, 1)

	// Privileges: a revoked grant takes effect on the next execution.
	mustExec(t, root, "CREATE USER pu@'%' IDENTIFIED BY 'pw'")
	mustExec(t, root, "GRANT SELECT ON pdb.t3 TO pu@'%'")
	pu := mustConnect(t, "pu", "pw", ts.addr)
	pu.SetMaxOpenConns(1)
	mustExec(t, pu, "USE pdb")
	for k := range stmts {
		delete(stmts, k)
	}
	exec(pu, q, 1)
	exec(pu, q, 1)
	exec(pu, q, 127)
	exec(pu, "SELECT id FROM t1 WHERE id = ?", 1)
	mustExec(t, root, "REVOKE SELECT ON pdb.t3 FROM pu@'%'")
	exec(pu, q, 1)
	mustExec(t, root, "GRANT SELECT ON pdb.* TO pu@'%'")
	exec(pu, q, 1)
	exec(pu, q, 1)
	for _, st := range stmts {
		st.Close()
	}
	return out
}

// TestPointSelectMatchesGMS runs the same client transcript against a
// server with the learned point path (and plan cache) and one without, and
// requires byte-identical results, column metadata, errors and session
// state.
func TestPointSelectMatchesGMS(t *testing.T) {
	var transcripts [2][]string
	var pointRuns, learned uint64
	for i, disable := range []bool{false, true} {
		ts := startServer(t, t.TempDir(), EngineOptions{DisablePlanCache: disable}, Config{})
		transcripts[i] = pointSelectTranscript(t, ts)
		if !disable {
			pointRuns, learned = ts.srv.PointSelects(), ts.srv.LearnedPlans()
		}
	}
	t.Logf("%d executions, %d on the point path, %d from learned plans", len(transcripts[0]), pointRuns, learned)
	if learned < 20 {
		t.Errorf("only %d executions ran from learned plans", learned)
	}
	if pointRuns < 50 {
		t.Errorf("only %d executions took the point path", pointRuns)
	}
	sameTranscripts(t, "point path", transcripts[0], "GMS", transcripts[1])
}

// TestPointSelectAccessPathMatchesGMS checks that learned point SELECTs
// record the access path GMS's execution records (the path is worked out
// once per learned statement): the access path counters move alike with
// and without the point path.
func TestPointSelectAccessPathMatchesGMS(t *testing.T) {
	const runs = 30
	var deltas [2][]float64
	for i, disable := range []bool{false, true} {
		ts := startServer(t, t.TempDir(), EngineOptions{DisablePlanCache: disable}, Config{})
		db := mustConnect(t, "root", "", ts.addr)
		db.SetMaxOpenConns(1)
		mustExec(t, db, "CREATE DATABASE apdb")
		mustExec(t, db, "CREATE TABLE apdb.t (id INT PRIMARY KEY, c VARCHAR(10))")
		mustExec(t, db, "INSERT INTO apdb.t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
		st, err := db.Prepare("SELECT c FROM apdb.t WHERE id = ?")
		if err != nil {
			t.Fatal(err)
		}
		before := make([]float64, len(ts.srv.m.paths))
		for p := range ts.srv.m.paths {
			before[p] = testutilCounter(ts.srv.m.paths[p])
		}
		for r := 0; r < runs; r++ {
			rawResult(st.Query(r % 5)) // ids 0 and 4 are missing
		}
		st.Close()
		for p := range ts.srv.m.paths {
			deltas[i] = append(deltas[i], testutilCounter(ts.srv.m.paths[p])-before[p])
		}
		if !disable && ts.srv.PointSelects() < runs-2 {
			t.Errorf("only %d executions took the point path", ts.srv.PointSelects())
		}
	}
	if deltas[0][pathPKPoint] != runs {
		t.Errorf("pk_point moved by %v, want %d", deltas[0][pathPKPoint], runs)
	}
	if !slices.Equal(deltas[0], deltas[1]) {
		t.Errorf("access path counters moved by %v with the point path, %v without", deltas[0], deltas[1])
	}
}
