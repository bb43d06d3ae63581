package sqlserver

import (
	"fmt"
	"testing"

	"github.com/quarrydb/quarry/internal/insertparse"
)

// bulkStmtTranscript runs an INSERT of the bulk path again and again
// while what its kept table binding (bulkStmt) was made from changes: a
// CHECK constraint, a trigger, a column, the current database, sql_mode, a
// temporary table hiding the table, a read-only transaction, a foreign key
// with foreign_key_checks on and off, super_read_only. The INSERT is
// prepared, or with text it is a text statement, in turn with the table's
// column order, without a column list and with another column order. It renders every OK or error packet and then the
// tables' rows.
func bulkStmtTranscript(t *testing.T, ts *testServer, path, text bool) []string {
	root := mustConnect(t, "root", "", ts.addr)
	root.SetMaxOpenConns(1)
	mustExec(t, root, "CREATE DATABASE b1")
	mustExec(t, root, "CREATE DATABASE b2")
	mustExec(t, root, "CREATE TABLE b1.t (id INT PRIMARY KEY AUTO_INCREMENT, v INT, s VARCHAR(10))")
	mustExec(t, root, "CREATE TABLE b2.t (id INT PRIMARY KEY, v INT, s VARCHAR(10))")
	mustExec(t, root, "CREATE TABLE b1.p (id INT PRIMARY KEY)")
	mustExec(t, root, "INSERT INTO b1.p VALUES (1), (2), (3)")
	r := newRawStmtConn(t, ts.addr, "b1", false)
	var out []string
	run := func(q string) {
		out = append(out, q+" => "+r.exec(r.prepare(q)))
	}
	if !path {
		r.exec(r.prepare("SET quarry_bulk_insert = 0"))
	}
	var ins uint32
	if !text {
		ins = r.prepare("INSERT INTO t (id, v, s) VALUES (?, ?, ?)")
	}
	n := 0
	insert := func(args ...any) {
		n++
		if !text {
			out = append(out, fmt.Sprintf("insert %d %v => %s", n, args, r.exec(ins, args...)))
			return
		}
		q := "INSERT INTO t (id, v, s) VALUES ("
		switch n % 3 {
		case 1:
			q = "INSERT INTO t VALUES ("
		case 2:
			// Swapped integer columns: a binding of another column
			// order would store the row without any conversion error.
			q = "INSERT INTO t (v, id, s) VALUES ("
			args = []any{args[1], args[0], args[2]}
		}
		for i, a := range args {
			if i > 0 {
				q += ", "
			}
			switch a := a.(type) {
			case nil:
				q += "NULL"
			case string:
				q += "'" + a + "'"
			default:
				q += fmt.Sprint(a)
			}
		}
		q += ")"
		out = append(out, fmt.Sprintf("%s => %s", q, r.text(q)))
	}
	root2 := func(q string) {
		if _, err := root.Exec(q); err != nil {
			out = append(out, q+" => "+err.Error())
		}
	}
	insert(1, 1, "a")
	insert(2, 2, "b")
	insert(nil, 3, "c")
	insert(0, 3, "d")
	insert(2, 9, "dup")
	// (A failed autocommitted INSERT leaves the table's metadata lock held
	// until the session's next statement, on GMS's path too: DDL would
	// wait for it.)
	insert(5, 3, "dd")
	root2("ALTER TABLE b1.t ADD CONSTRAINT chk CHECK (v < 100)")
	insert(10, 200, "check")
	insert(11, 3, "e")
	root2("ALTER TABLE b1.t DROP CHECK chk")
	insert(30, 200, "nocheck")
	root2("CREATE TRIGGER b1.tr BEFORE INSERT ON b1.t FOR EACH ROW SET NEW.s = 'trig'")
	insert(12, 3, "f")
	root2("DROP TRIGGER b1.tr")
	insert(13, 3, "g")
	root2("ALTER TABLE b1.t ADD COLUMN w INT DEFAULT 7")
	insert(14, 3, "h")
	root2("ALTER TABLE b1.t DROP COLUMN w")
	insert(15, 3, "i")
	r.initDB("b2")
	insert(1, 1, "b2")
	insert(2, 2, "b2")
	r.initDB("b1")
	insert(16, 3, "j")
	run("SET sql_mode = 'ANSI_QUOTES'")
	insert(17, 3, "k")
	run("SET sql_mode = @@GLOBAL.sql_mode")
	insert(18, 3, "l")
	run("CREATE TEMPORARY TABLE t (id INT PRIMARY KEY, v INT, s VARCHAR(10))")
	insert(1, 1, "tmp")
	run("DROP TEMPORARY TABLE t")
	insert(19, 3, "m")
	run("START TRANSACTION READ ONLY")
	insert(20, 3, "ro")
	run("COMMIT")
	insert(21, 3, "n")
	root2("DELETE FROM b1.t WHERE v NOT IN (1, 2, 3)")
	root2("ALTER TABLE b1.t ADD CONSTRAINT fk FOREIGN KEY (v) REFERENCES b1.p (id)")
	insert(22, 99, "fk")
	insert(23, 2, "o")
	run("SET foreign_key_checks = 0")
	insert(24, 98, "nofk")
	run("SET foreign_key_checks = 1")
	insert(25, 97, "fk")
	root2("ALTER TABLE b1.t DROP FOREIGN KEY fk")
	insert(28, 97, "nofk")
	root2("SET GLOBAL super_read_only = ON")
	insert(26, 1, "sro")
	root2("SET GLOBAL read_only = OFF")
	insert(27, 1, "p")
	for _, q := range []string{"SELECT * FROM b1.t ORDER BY id", "SELECT * FROM b2.t ORDER BY id"} {
		rows, err := root.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, v int
			var s string
			if err := rows.Scan(&id, &v, &s); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s: %d %d %s", q, id, v, s))
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// initDB sends COM_INIT_DB.
func (r *rawStmtConn) initDB(db string) {
	r.write(append([]byte{0x02}, db...))
	if resp := r.read(); resp[0] != 0 {
		r.t.Fatalf("COM_INIT_DB %s: %q", db, resp)
	}
}

// TestPreparedBulkInsertKeptBindingMatchesGMS: a prepared INSERT that keeps
// its table binding per connection answers exactly as GMS does while the
// table, the session and the server change under it.
func TestPreparedBulkInsertKeptBindingMatchesGMS(t *testing.T) {
	testBulkInsertKeptBinding(t, false)
}

// TestTextBulkInsertKeptBindingMatchesGMS is the same for text INSERTs,
// whose binding is kept by table and column list (textInsertKey).
func TestTextBulkInsertKeptBindingMatchesGMS(t *testing.T) {
	testBulkInsertKeptBinding(t, true)
}

func testBulkInsertKeptBinding(t *testing.T, text bool) {
	var transcripts [2][]string
	var run uint64
	for i, path := range []bool{true, false} {
		ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
		t.Cleanup(func() { setGlobalNow("super_read_only", int64(0)); setGlobalNow("read_only", int64(0)) })
		transcripts[i] = bulkStmtTranscript(t, ts, path, text)
		if path {
			run, _ = ts.srv.BulkInserts()
		}
	}
	if run < 15 {
		t.Errorf("only %d INSERTs ran on the bulk path", run)
	}
	sameTranscripts(t, "path", transcripts[0], "GMS", transcripts[1])
	t.Logf("%d lines, %d INSERTs on the bulk path", len(transcripts[0]), run)
}

// TestTextInsertKey: statements share a kept binding only when
// planBulkInsert would read the same names from them.
func TestTextInsertKey(t *testing.T) {
	stmts := []*insertparse.Insert{
		{Table: "t"},
		{Table: "T"},
		{Database: "d", Table: "t"},
		{Database: "", Table: "dt"},
		{Table: "t", Columns: []string{}},
		{Table: "t", Columns: []string{"a", "b"}},
		{Table: "t", Columns: []string{"b", "a"}},
		{Table: "t", Columns: []string{"ab"}},
		{Table: "t", Columns: []string{"a:1", "b"}},
		{Table: "t", Columns: []string{"a", "1:b"}},
		{Table: "t:1"},
	}
	seen := map[string]int{}
	for i, ins := range stmts {
		k := textInsertKey(ins)
		if j, dup := seen[k]; dup {
			t.Errorf("statements %d and %d share key %q", j, i, k)
		}
		seen[k] = i
		if k[0] != 0 {
			t.Errorf("key %q does not start with NUL", k)
		}
		again := *ins
		again.Rows = [][]insertparse.Literal{{{Kind: insertparse.Int, Value: int64(1)}}}
		if textInsertKey(&again) != k {
			t.Errorf("statement %d: the key depends on the rows", i)
		}
	}
}
