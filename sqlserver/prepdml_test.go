package sqlserver

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	vmysql "github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/vt/vttls"
	"github.com/go-sql-driver/mysql"
)

const dmlSchema = `
CREATE TABLE w (id INT PRIMARY KEY, k INT NOT NULL DEFAULT 0, c CHAR(12) NOT NULL DEFAULT '', pad CHAR(6),
  ti TINYINT, vc VARCHAR(5) COLLATE utf8mb4_0900_ai_ci, u INT, d DECIMAL(6,2), e ENUM('a','b'), dt DATETIME,
  KEY (k), UNIQUE KEY (u));
INSERT INTO w (id, k, c, pad, ti, vc, u, d, e, dt) VALUES
  (1, 10, 'one', 'p1', 1, 'ab', 100, 1.50, 'a', '2026-01-01 00:00:00'),
  (2, 20, 'two', 'p2', 2, 'cd', 200, 2.50, 'b', NULL),
  (3, 30, 'three', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (-4, 40, 'minus', 'p4', -4, 'x', 400, -4.00, 'a', NULL);
CREATE TABLE w2 (id BIGINT UNSIGNED PRIMARY KEY, v VARCHAR(10));
INSERT INTO w2 VALUES (18446744073709551615, 'max'), (0, 'zero'), (5, 'five');
CREATE TABLE w3 (id TINYINT PRIMARY KEY, v INT);
INSERT INTO w3 VALUES (1, 10), (127, 1270), (-128, -1280);
CREATE TABLE w4 (a INT, b INT, v INT, PRIMARY KEY (a, b));
INSERT INTO w4 VALUES (1, 1, 11);
CREATE TABLE wp (id INT PRIMARY KEY, v INT);
INSERT INTO wp VALUES (1, 1), (2, 2);
CREATE TABLE wch (id INT PRIMARY KEY, wid INT, FOREIGN KEY (wid) REFERENCES wp (id));
INSERT INTO wch VALUES (1, 2);
CREATE TABLE wck (id INT PRIMARY KEY, v INT, n INT, CONSTRAINT vset CHECK (v), CONSTRAINT nset CHECK (n) NOT ENFORCED);
INSERT INTO wck VALUES (1, 1, 1)`

// dmlStmts are prepared with the arguments in dmlArgs: each entry's
// statement takes one argument per ? and is run with every argument tuple.
var dmlStmts = []struct {
	q    string
	args [][]any
}{
	{"UPDATE w SET k = k + 1 WHERE id = ?", keyArgs},
	{"UPDATE w SET c = ? WHERE id = ?", [][]any{{"x", 1}, {"x", 1}, {"longer than twelve", 2}, {nil, 3}, {"", -4}, {5, 1}, {2.5, 2}, {"y", "1"}, {"y", 99}, {"é€", 3}}},
	{"UPDATE w SET ti = ?, vc = ? WHERE id = ?", [][]any{{5, "ab", 1}, {300, "abcdefg", 2}, {-129, "AB", 1}, {"7x", "ab", 3}, {nil, nil, -4}, {1.5, "a ", 1}, {uint64(math.MaxUint64), "q", 2}}},
	{"UPDATE w SET u = ? WHERE id = ?", [][]any{{100, 2}, {101, 2}, {100, 1}, {nil, 3}, {nil, 3}, {200, 3}, {999, 1}}},
	{"UPDATE w SET d = ?, e = ?, dt = ? WHERE id = ?", [][]any{{"3.14159", "b", "2026-02-03 04:05:06", 1}, {12345.6, "a", "bad", 2}, {1, "c", nil, 3}, {"x", 2, "2026-13-01", -4}, {-9999.99, "B", "2026-01-01", 1}}},
	{"update w set k = 7 where ? = id", keyArgs},
	{"UPDATE w SET k = k - 1, pad = 'zz' WHERE id = ?", keyArgs},
	{"UPDATE w SET k = ? + 1 WHERE id = ?", [][]any{{1, 1}, {2, 2}}},
	{"UPDATE w SET k = NULL WHERE id = ?", [][]any{{1}, {99}}},
	{"UPDATE w2 SET v = ? WHERE id = ?", [][]any{{"m", uint64(math.MaxUint64)}, {"z", 0}, {"f", 5}, {"n", -1}, {"q", 6}}},
	{"UPDATE w3 SET v = v * 2 WHERE id = ?", [][]any{{1}, {127}, {128}, {-128}, {-129}, {"1"}, {nil}}},
	{"UPDATE w3 SET id = ? WHERE id = ?", [][]any{{2, 1}, {1, 2}, {127, 1}, {3, 1}, {1, 3}, {200, 1}}},
	{"UPDATE w4 SET v = ? WHERE a = ?", [][]any{{1, 1}, {2, 1}}},
	{"UPDATE wck SET v = ? WHERE id = ?", [][]any{{2, 1}, {0, 1}, {nil, 1}, {3, 1}, {0, 2}}},
	{"UPDATE wck SET n = ? WHERE id = ?", [][]any{{0, 1}, {2, 1}}},
	{"DELETE FROM w WHERE id = ?", [][]any{{99}, {3}, {3}, {2}, {nil}, {"abc"}}},
	{"INSERT INTO w (id, k, c) VALUES (?, ?, ?)", [][]any{{3, 30, "three"}, {2, 20, "two"}}},
	{"DELETE FROM w3 WHERE id = ?", [][]any{{1}, {300}}},
	{"INSERT INTO w3 VALUES (?, ?)", [][]any{{1, 10}}},
}

var keyArgs = [][]any{{1}, {2}, {1}, {-4}, {99}, {0}, {int64(math.MaxInt32) + 1}, {uint64(math.MaxUint64)}, {"1"}, {"abc"}, {1.0}, {2.5}, {nil}}

// dmlTranscript runs the prepared UPDATEs and DELETEs with the session
// state around them and returns everything the clients saw.
func dmlTranscript(t *testing.T, ts *testServer) []string {
	root := mustConnect(t, "root", "", ts.addr)
	root.SetMaxOpenConns(1)
	mustExec(t, root, "CREATE DATABASE ddb")
	mustExec(t, root, "USE ddb")
	for _, q := range strings.Split(dmlSchema, ";") {
		mustExec(t, root, q)
	}
	var out []string
	log := func(s string) { out = append(out, s) }
	text := func(db *sql.DB, q string) { log(q + " => " + rawResult(db.Query(q))) }
	// Global counters, as deltas: statements, Com_update/Com_delete and
	// rows read (Innodb_rows_read counts rows examined).
	counters := []string{"Questions", "Com_update", "Com_delete", "Innodb_rows_read"}
	last := make([]int64, len(counters))
	status := func(db *sql.DB) {
		var b strings.Builder
		b.WriteString("status:")
		for i, c := range counters {
			var name string
			var n int64
			if err := db.QueryRow("SHOW GLOBAL STATUS LIKE '"+c+"'").Scan(&name, &n); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, " %s +%d", c, n-last[i])
			last[i] = n
		}
		log(b.String())
	}
	// A statement after a write shows either its warnings or its
	// ROW_COUNT and FOUND_ROWS (any other statement clears the warnings,
	// and SHOW WARNINGS sets ROW_COUNT).
	showWarnings := false
	state := func(db *sql.DB) {
		if showWarnings {
			text(db, "SHOW WARNINGS")
		} else {
			text(db, "SELECT ROW_COUNT(), LAST_INSERT_ID(), FOUND_ROWS()")
		}
	}
	dump := func(db *sql.DB) {
		for _, tb := range []string{"w", "w2", "w3", "w4", "wp", "wch", "wck"} {
			text(db, "SELECT * FROM "+tb+" ORDER BY 1")
		}
		// The secondary and unique indexes, read on their own.
		text(db, "SELECT k, id FROM w WHERE k BETWEEN -1000000 AND 1000000 ORDER BY k, id")
		text(db, "SELECT u, id FROM w WHERE u BETWEEN -1000000 AND 1000000 ORDER BY u")
	}
	type stmtKey struct {
		db *sql.DB
		q  string
	}
	stmts := map[stmtKey]*sql.Stmt{}
	exec := func(db *sql.DB, q string, args ...any) {
		st, ok := stmts[stmtKey{db, q}]
		if !ok {
			var err error
			if st, err = db.Prepare(q); err != nil {
				log(q + " prepare: " + err.Error())
				return
			}
			stmts[stmtKey{db, q}] = st
		}
		res, err := st.Exec(args...)
		if err != nil {
			log(fmt.Sprintf("%s %#v => error: %v", q, args, err))
			return
		}
		n, err1 := res.RowsAffected()
		id, err2 := res.LastInsertId()
		log(fmt.Sprintf("%s %#v => affected %d (%v) id %d (%v)", q, args, n, err1, id, err2))
	}
	all := func(db *sql.DB) {
		for _, s := range dmlStmts {
			for _, a := range s.args {
				exec(db, s.q, a...)
				state(db)
			}
			status(db)
		}
		dump(db)
	}
	status(root)
	// Every statement with every argument, in strict and non-strict
	// sql_mode, twice: later rounds run learned statements on the path.
	for round := 0; round < 2; round++ {
		all(root)
		showWarnings = !showWarnings
	}
	mustExec(t, root, "SET sql_mode = ''")
	for round := 0; round < 4; round++ {
		all(root)
		showWarnings = !showWarnings
	}
	mustExec(t, root, "SET sql_mode = DEFAULT")
	// A learned execution clears the warnings of the statement before.
	for _, sw := range []bool{true, false} {
		showWarnings = sw
		exec(root, "UPDATE w SET c = ? WHERE id = ?", "learn", 1)
		text(root, "SELECT 1/0, CAST('7x' AS SIGNED)")
		exec(root, "UPDATE w SET c = ? WHERE id = ?", "warned", 1)
		state(root)
	}

	u := "UPDATE w SET k = k + 1 WHERE id = ?"
	uc := "UPDATE w SET c = ? WHERE id = ?"
	del := "DELETE FROM w WHERE id = ?"
	// Transactions: a rollback undoes the writes; autocommit off.
	mustExec(t, root, "BEGIN")
	exec(root, u, 1)
	exec(root, uc, "in txn", 1)
	exec(root, del, -4)
	state(root)
	dump(root)
	mustExec(t, root, "ROLLBACK")
	dump(root)
	mustExec(t, root, "SET autocommit = 0")
	exec(root, u, 1)
	state(root)
	mustExec(t, root, "COMMIT")
	exec(root, u, 1)
	mustExec(t, root, "ROLLBACK")
	mustExec(t, root, "SET autocommit = 1")
	dump(root)
	// A read-only transaction refuses the write.
	mustExec(t, root, "START TRANSACTION READ ONLY")
	exec(root, u, 1)
	exec(root, del, 1)
	mustExec(t, root, "ROLLBACK")
	// CLIENT_FOUND_ROWS: matched rather than changed rows.
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName, cfg.ClientFoundRows = "root", "tcp", ts.addr, "ddb", true
	found, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer found.Close()
	found.SetMaxOpenConns(1)
	for i := 0; i < 3; i++ {
		exec(found, uc, "same", 1)
		exec(found, "update w set k = 7 where ? = id", 2)
		exec(found, del, 99)
		state(found)
	}
	// Write conflicts between two transactions on the same row.
	other := mustConnect(t, "root", "", ts.addr)
	other.SetMaxOpenConns(1)
	mustExec(t, other, "USE ddb")
	for i := 0; i < 2; i++ {
		exec(other, u, 2)
	}
	mustExec(t, other, "SET innodb_lock_wait_timeout = 1")
	mustExec(t, root, "BEGIN")
	mustExec(t, other, "BEGIN")
	exec(root, u, 2)
	exec(other, u, 2)
	exec(other, uc, "other", 1)
	mustExec(t, root, "COMMIT")
	exec(other, u, 1)
	text(other, "SELECT id, k, c FROM w WHERE id IN (1, 2)")
	if _, err := other.Exec("COMMIT"); err != nil {
		log("commit: " + err.Error())
	}
	mustExec(t, root, "BEGIN")
	mustExec(t, other, "BEGIN")
	exec(other, uc, "first", 1)
	mustExec(t, other, "COMMIT")
	exec(root, uc, "second", 1)
	if _, err := root.Exec("COMMIT"); err != nil {
		log("commit: " + err.Error())
	}
	dump(root)
	// Foreign keys: wp (2) is referenced by wch.
	dp := "DELETE FROM wp WHERE id = ?"
	up := "UPDATE wp SET id = ? WHERE id = ?"
	for i := 0; i < 2; i++ {
		exec(root, dp, 2)
		exec(root, up, 5, 2)
		exec(root, "UPDATE wch SET wid = ? WHERE id = ?", 3, 1)
		exec(root, "UPDATE wch SET id = ? WHERE id = ?", 7, 1)
		exec(root, "UPDATE wch SET id = ? WHERE id = ?", 1, 7)
	}
	// Learned without foreign key checks, run with them.
	mustExec(t, root, "INSERT INTO wp VALUES (8, 8), (9, 9)")
	mustExec(t, root, "SET foreign_key_checks = 0")
	exec(root, dp, 8)
	exec(root, dp, 9)
	exec(root, "UPDATE wch SET wid = ? WHERE id = ?", 3, 1)
	exec(root, "UPDATE wch SET wid = ? WHERE id = ?", 2, 1)
	mustExec(t, root, "SET foreign_key_checks = 1")
	exec(root, dp, 2)
	exec(root, "UPDATE wch SET wid = ? WHERE id = ?", 3, 1)
	exec(root, dp, 1)
	exec(root, "INSERT INTO wp VALUES (?, ?)", 2, 2)
	dump(root)
	// Triggers added under a learned statement, and dropped again.
	exec(root, u, 1)
	exec(root, del, 3)
	exec(root, "INSERT INTO w (id, k, c) VALUES (?, ?, ?)", 3, 30, "three")
	mustExec(t, root, "CREATE TABLE wlog (n INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20))")
	mustExec(t, root, "CREATE TRIGGER wbu BEFORE UPDATE ON w FOR EACH ROW SET NEW.k = NEW.k + 100")
	mustExec(t, root, "CREATE TRIGGER wad AFTER DELETE ON w FOR EACH ROW INSERT INTO wlog (what) VALUES (OLD.c)")
	exec(root, u, 1)
	exec(root, u, 1)
	exec(root, del, 3)
	exec(root, "INSERT INTO w (id, k, c) VALUES (?, ?, ?)", 3, 30, "three")
	exec(root, del, 3)
	text(root, "SELECT * FROM wlog")
	mustExec(t, root, "DROP TRIGGER wbu")
	mustExec(t, root, "DROP TRIGGER wad")
	exec(root, u, 1)
	exec(root, u, 1)
	exec(root, "INSERT INTO w (id, k, c) VALUES (?, ?, ?)", 3, 30, "three")
	// DDL under learned statements.
	exec(root, uc, "before", 1)
	mustExec(t, root, "ALTER TABLE w ADD COLUMN extra INT DEFAULT 5 FIRST")
	exec(root, uc, "after", 1)
	exec(root, uc, "after2", 1)
	mustExec(t, root, "UPDATE w SET c = LEFT(c, 3)")
	mustExec(t, root, "ALTER TABLE w MODIFY c VARCHAR(3)")
	exec(root, uc, "abcd", 1)
	exec(root, uc, "abc", 1)
	mustExec(t, root, "ALTER TABLE w ADD UNIQUE INDEX kc (c)")
	exec(root, uc, "abc", 2)
	exec(root, uc, "abd", 2)
	mustExec(t, root, "ALTER TABLE w ADD COLUMN up TIMESTAMP DEFAULT '2020-01-01 00:00:00' ON UPDATE CURRENT_TIMESTAMP, ADD COLUMN g INT AS (k * 2) STORED")
	exec(root, u, 1)
	exec(root, u, 1)
	text(root, "SELECT id, k, g, up > '2020-01-01' FROM w WHERE id = 1")
	mustExec(t, root, "ALTER TABLE w DROP COLUMN up")
	// A temporary table hides the table.
	mustExec(t, root, "CREATE TEMPORARY TABLE w3 (id TINYINT PRIMARY KEY, v INT)")
	mustExec(t, root, "INSERT INTO w3 VALUES (1, 999)")
	exec(root, "UPDATE w3 SET v = v * 2 WHERE id = ?", 1)
	text(root, "SELECT * FROM w3")
	mustExec(t, root, "DROP TEMPORARY TABLE w3")
	exec(root, "UPDATE w3 SET v = v * 2 WHERE id = ?", 1)
	// Another database with the same table name.
	mustExec(t, root, "CREATE DATABASE ddb2")
	mustExec(t, root, "CREATE TABLE ddb2.w3 (id TINYINT PRIMARY KEY, v INT)")
	mustExec(t, root, "INSERT INTO ddb2.w3 VALUES (1, -1)")
	mustExec(t, root, "USE ddb2")
	exec(root, "UPDATE w3 SET v = v * 2 WHERE id = ?", 1)
	text(root, "SELECT * FROM w3")
	mustExec(t, root, "USE ddb")
	exec(root, "UPDATE w3 SET v = v * 2 WHERE id = ?", 1)
	dump(root)

	// Privileges: a revoked grant takes effect on the next execution.
	mustExec(t, root, "CREATE USER du@'%' IDENTIFIED BY 'pw'")
	mustExec(t, root, "GRANT SELECT, UPDATE, DELETE ON ddb.w3 TO du@'%'")
	du := mustConnect(t, "du", "pw", ts.addr)
	du.SetMaxOpenConns(1)
	mustExec(t, du, "USE ddb")
	q3 := "UPDATE w3 SET v = v * 2 WHERE id = ?"
	d3 := "DELETE FROM w3 WHERE id = ?"
	for i := 0; i < 2; i++ {
		exec(du, q3, 1)
		exec(du, d3, 127)
		exec(du, uc, "no", 1)
	}
	mustExec(t, root, "REVOKE UPDATE ON ddb.w3 FROM du@'%'")
	exec(du, q3, 1)
	exec(du, d3, 99)
	mustExec(t, root, "REVOKE DELETE ON ddb.w3 FROM du@'%'")
	exec(du, d3, 99)
	mustExec(t, root, "GRANT UPDATE ON ddb.* TO du@'%'")
	exec(du, q3, 1)
	exec(du, q3, 1)
	mustExec(t, root, "REVOKE UPDATE ON ddb.* FROM du@'%'")
	exec(du, q3, 1)
	mustExec(t, root, "GRANT ALL ON ddb.* TO du@'%'")
	exec(du, q3, 1)
	exec(du, d3, -128)
	state(du)
	dump(root)
	status(root)
	for _, st := range stmts {
		st.Close()
	}
	return out
}

// TestPreparedDMLMatchesGMS runs the same client transcript against a
// server with the learned UPDATE/DELETE path and one without, and requires
// byte-identical results, errors, warnings, table contents and counters.
func TestPreparedDMLMatchesGMS(t *testing.T) {
	var transcripts [2][]string
	var learned uint64
	for i, disable := range []bool{false, true} {
		ts := startServer(t, t.TempDir(), EngineOptions{DisablePlanCache: disable}, Config{})
		transcripts[i] = dmlTranscript(t, ts)
		if !disable {
			learned = ts.srv.LearnedDML()
		} else if n := ts.srv.LearnedDML(); n != 0 {
			t.Errorf("%d learned executions with the path off", n)
		}
	}
	t.Logf("%d transcript lines, %d executions from learned UPDATE/DELETE plans", len(transcripts[0]), learned)
	if learned < 100 {
		t.Errorf("only %d executions ran from learned plans", learned)
	}
	sameTranscripts(t, "learned", transcripts[0], "GMS", transcripts[1])
}

// rawStmtConn speaks the binary protocol's COM_STMT_PREPARE and
// COM_STMT_EXECUTE itself, to see what database/sql hides: the OK packet's
// info text ("Rows matched: 1  Changed: 1  Warnings: 0") and status flags.
type rawStmtConn struct {
	t       testing.TB
	c       *vmysql.Conn
	pending []byte // a packet read ahead, for response
}

func newRawStmtConn(t testing.TB, addr, db string, foundRows bool) *rawStmtConn {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	params := &vmysql.ConnParams{Host: host, Port: p, Uname: "root", DbName: db, SslMode: vttls.Disabled}
	if foundRows {
		params.EnableClientFoundRows()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := vmysql.Connect(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &rawStmtConn{t: t, c: c}
}

// text runs q as a text statement and renders its OK packet (or error) as
// exec does.
func (r *rawStmtConn) text(q string) string {
	res, warnings, err := r.c.ExecuteFetchWithWarningCount(q, 100, true)
	if err != nil {
		return "error " + err.Error()
	}
	return fmt.Sprintf("ok affected %d id %d status %#x warnings %d info %q rows %v", res.RowsAffected, res.InsertID, r.c.StatusFlags, warnings, res.Info, res.Rows)
}

func (r *rawStmtConn) write(payload []byte) {
	hdr := []byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), 0}
	if err := r.c.Conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.c.Conn.Write(append(hdr, payload...)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawStmtConn) read() []byte {
	var hdr [4]byte
	if _, err := io.ReadFull(r.c.Conn, hdr[:]); err != nil {
		r.t.Fatal(err)
	}
	data := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
	if _, err := io.ReadFull(r.c.Conn, data); err != nil {
		r.t.Fatal(err)
	}
	return data
}

// prepare returns the statement id of q.
func (r *rawStmtConn) prepare(q string) uint32 {
	r.write(append([]byte{0x16}, q...))
	resp := r.read()
	if resp[0] != 0 {
		r.t.Fatalf("prepare %s: %q", q, resp)
	}
	id := binary.LittleEndian.Uint32(resp[1:])
	cols, params := int(binary.LittleEndian.Uint16(resp[5:])), int(binary.LittleEndian.Uint16(resp[7:]))
	for _, n := range []int{params, cols} {
		if n == 0 {
			continue
		}
		for i := 0; i < n; i++ {
			r.read()
		}
		if r.c.Capabilities&vmysql.CapabilityClientDeprecateEOF == 0 {
			r.read() // EOF
		}
	}
	return id
}

// exec runs statement id with args (int, string or nil) and renders the
// OK or error packet.
func (r *rawStmtConn) exec(id uint32, args ...any) string {
	r.send(id, args...)
	return r.response()
}

// execRows runs statement id with args and reads its result set, returning
// the number of rows, or the rendered OK or error packet if there is none.
func (r *rawStmtConn) execRows(id uint32, args ...any) (int, string) {
	r.send(id, args...)
	first := r.read()
	if first[0] == 0x00 || first[0] == 0xff {
		r.pending = first
		return 0, r.response()
	}
	for i := 0; i < int(first[0]); i++ {
		r.read() // column definitions
	}
	if r.c.Capabilities&vmysql.CapabilityClientDeprecateEOF == 0 {
		r.read()
	}
	rows := 0
	for {
		p := r.read()
		if p[0] == 0xfe && len(p) < 9 {
			return rows, ""
		}
		rows++
	}
}

// send writes a COM_STMT_EXECUTE of statement id with args (int, string
// or nil).
func (r *rawStmtConn) send(id uint32, args ...any) {
	p := []byte{0x17, 0, 0, 0, 0, 0, 1, 0, 0, 0}
	binary.LittleEndian.PutUint32(p[1:], id)
	nulls := make([]byte, (len(args)+7)/8)
	var typs, vals []byte
	for i, a := range args {
		switch v := a.(type) {
		case nil:
			nulls[i/8] |= 1 << (i % 8)
			typs = append(typs, 0x06, 0)
		case int:
			typs = append(typs, 0x08, 0)
			vals = binary.LittleEndian.AppendUint64(vals, uint64(int64(v)))
		case string:
			typs = append(typs, 0xfd, 0)
			vals = append(vals, byte(len(v)))
			vals = append(vals, v...)
		default:
			r.t.Fatalf("raw exec: argument type %T", a)
		}
	}
	p = append(p, nulls...)
	p = append(p, 1)
	p = append(append(p, typs...), vals...)
	r.write(p)
}

// response reads and renders an OK or error packet.
func (r *rawStmtConn) response() string {
	resp := r.pending
	if resp == nil {
		resp = r.read()
	}
	r.pending = nil
	switch resp[0] {
	case 0x00:
		pos := 1
		lenenc := func() uint64 {
			b := resp[pos]
			pos++
			switch b {
			case 0xfc:
				v := uint64(binary.LittleEndian.Uint16(resp[pos:]))
				pos += 2
				return v
			case 0xfd:
				v := uint64(resp[pos]) | uint64(resp[pos+1])<<8 | uint64(resp[pos+2])<<16
				pos += 3
				return v
			case 0xfe:
				v := binary.LittleEndian.Uint64(resp[pos:])
				pos += 8
				return v
			}
			return uint64(b)
		}
		affected, insertID := lenenc(), lenenc()
		status, warnings := binary.LittleEndian.Uint16(resp[pos:]), binary.LittleEndian.Uint16(resp[pos+2:])
		pos += 4
		info := string(resp[pos:])
		if r.c.Capabilities&vmysql.CapabilityClientSessionTrack != 0 && pos < len(resp) {
			n := int(lenenc())
			info = string(resp[pos : pos+n])
		}
		return fmt.Sprintf("ok affected %d id %d status %#x warnings %d info %q", affected, insertID, status, warnings, info)
	case 0xff:
		return fmt.Sprintf("error %d %s", binary.LittleEndian.Uint16(resp[1:]), resp[3:])
	}
	return fmt.Sprintf("unexpected %q", resp)
}

// dmlWireTranscript runs learned statements over the raw protocol, with
// and without CLIENT_FOUND_ROWS, in and out of transactions.
func dmlWireTranscript(t *testing.T, ts *testServer) []string {
	root := mustConnect(t, "root", "", ts.addr)
	root.SetMaxOpenConns(1)
	mustExec(t, root, "CREATE DATABASE rdb")
	mustExec(t, root, "CREATE TABLE rdb.r (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(10), u INT, UNIQUE KEY (u), KEY (k))")
	mustExec(t, root, "INSERT INTO rdb.r VALUES (1, 1, 'a', 1), (2, 2, 'b', 2), (3, 3, 'c', 3)")
	var out []string
	for _, found := range []bool{false, true} {
		r := newRawStmtConn(t, ts.addr, "rdb", found)
		inc := r.prepare("UPDATE r SET k = k + 1 WHERE id = ?")
		setC := r.prepare("UPDATE r SET c = ? WHERE id = ?")
		setU := r.prepare("UPDATE r SET u = ? WHERE id = ?")
		del := r.prepare("DELETE FROM r WHERE id = ?")
		ins := r.prepare("INSERT INTO r VALUES (?, ?, ?, ?)")
		begin := r.prepare("BEGIN")
		commit := r.prepare("COMMIT")
		autoOff := r.prepare("SET autocommit = 0")
		autoOn := r.prepare("SET autocommit = 1")
		for round := 0; round < 3; round++ {
			for _, step := range []struct {
				id   uint32
				args []any
			}{
				{inc, []any{1}}, {inc, []any{99}}, {setC, []any{"x", 2}}, {setC, []any{"x", 2}},
				{setC, []any{"much too long for c", 2}}, {setC, []any{nil, 3}}, {setU, []any{1, 2}},
				{setU, []any{nil, 2}}, {setU, []any{2, 2}}, {begin, nil}, {inc, []any{1}}, {setC, []any{"t", 1}},
				{del, []any{3}}, {del, []any{3}}, {ins, []any{3, 3, "c", 3}}, {commit, nil}, {del, []any{99}},
				// Without autocommit a learned write starts the transaction.
				{autoOff, nil}, {inc, []any{2}}, {commit, nil}, {del, []any{99}}, {commit, nil}, {autoOn, nil},
				{inc, []any{2}},
			} {
				out = append(out, fmt.Sprintf("found=%v %d %v => %s", found, step.id, step.args, r.exec(step.id, step.args...)))
			}
		}
	}
	return out
}

// TestPreparedDMLWireMatchesGMS compares the OK packets (affected rows,
// info, status flags, warnings) of learned executions with GMS's.
func TestPreparedDMLWireMatchesGMS(t *testing.T) {
	var transcripts [2][]string
	var learned uint64
	for i, disable := range []bool{false, true} {
		ts := startServer(t, t.TempDir(), EngineOptions{DisablePlanCache: disable}, Config{})
		transcripts[i] = dmlWireTranscript(t, ts)
		if !disable {
			learned = ts.srv.LearnedDML()
		}
	}
	t.Logf("%d executions, %d from learned plans", len(transcripts[0]), learned)
	if learned < 30 {
		t.Errorf("only %d executions ran from learned plans", learned)
	}
	sameTranscripts(t, "learned", transcripts[0], "GMS", transcripts[1])
}

// TestPreparedDMLConcurrent runs learned UPDATEs and DELETE/INSERT pairs
// from several connections while another one alters the table, and
// checks that every acknowledged write is in the table and nothing else.
func TestPreparedDMLConcurrent(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	root.SetMaxOpenConns(1)
	mustExec(t, root, "CREATE DATABASE cdb")
	mustExec(t, root, "CREATE TABLE cdb.t (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(20), KEY (k))")
	const rows, workers, iters = 20, 4, 150
	for i := 0; i < rows; i++ {
		mustExec(t, root, "INSERT INTO cdb.t VALUES (?, 0, 'x')", i)
	}
	var wg sync.WaitGroup
	incs := make([]int64, workers)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		db := mustConnect(t, "root", "", ts.addr)
		db.SetMaxOpenConns(1)
		mustExec(t, db, "USE cdb")
		wg.Add(1)
		go func(w int, db *sql.DB) {
			defer wg.Done()
			inc, err := db.Prepare("UPDATE t SET k = k + 1 WHERE id = ?")
			if err != nil {
				errs <- err
				return
			}
			defer inc.Close()
			setC, err := db.Prepare("UPDATE t SET c = ? WHERE id = ?")
			if err != nil {
				errs <- err
				return
			}
			defer setC.Close()
			for i := 0; i < iters; i++ {
				id := (w*7 + i*3) % rows
				res, err := inc.Exec(id)
				if err != nil {
					continue // a lock wait timeout or a DDL in between: not acknowledged
				}
				if n, _ := res.RowsAffected(); n == 1 {
					incs[w]++
				}
				if _, err := setC.Exec(fmt.Sprintf("w%d-%d", w, i), id); err != nil {
					continue
				}
			}
		}(w, db)
	}
	for i := 0; i < 6; i++ {
		if _, err := root.Exec("ALTER TABLE cdb.t ADD COLUMN x" + strconv.Itoa(i) + " INT"); err != nil {
			t.Logf("alter: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var want int64
	for _, n := range incs {
		want += n
	}
	var got int64
	if err := root.QueryRow("SELECT SUM(k) FROM cdb.t").Scan(&got); err != nil {
		t.Fatal(err)
	}
	var viaIndex int64
	if err := root.QueryRow("SELECT SUM(k) FROM cdb.t WHERE k BETWEEN 0 AND 1000000").Scan(&viaIndex); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d acknowledged increments, %d learned executions", want, ts.srv.LearnedDML())
	if got != want || viaIndex != want {
		t.Errorf("SUM(k) = %d (via index %d), want %d", got, viaIndex, want)
	}
	if ts.srv.LearnedDML() == 0 {
		t.Error("no execution took the learned path")
	}
}

// TestPreparedDMLSlowLogMatchesGMS compares the slow log entries of
// learned executions with GMS's: rows examined, sent and affected, and the
// access path.
func TestPreparedDMLSlowLogMatchesGMS(t *testing.T) {
	t.Cleanup(func() {
		setGlobalNow("slow_query_log", int8(0))
		setGlobalNow("long_query_time", float64(10))
	})
	timing := regexp.MustCompile(`Query_time: \S+\s+Lock_time: \S+\s+`)
	var logs [2][]string
	var learned uint64
	for i, disable := range []bool{false, true} {
		slow := &syncBuffer{}
		ts := startServer(t, t.TempDir(), EngineOptions{DisablePlanCache: disable}, Config{
			SlowLog:         slow,
			SystemVariables: map[string]any{"slow_query_log": int8(1), "long_query_time": float64(0)},
		})
		db := mustConnect(t, "root", "", ts.addr)
		db.SetMaxOpenConns(1)
		mustExec(t, db, "CREATE DATABASE sdb")
		mustExec(t, db, "USE sdb")
		mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, k INT NOT NULL, c VARCHAR(10), KEY (k))")
		mustExec(t, db, "INSERT INTO t VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c')")
		for _, s := range []struct {
			q    string
			args [][]any
		}{
			{"UPDATE t SET k = k + 1 WHERE id = ?", [][]any{{1}, {2}, {9}, {1}}},
			{"UPDATE t SET c = ? WHERE id = ?", [][]any{{"x", 1}, {"x", 1}, {"y", 9}, {nil, 2}}},
			{"DELETE FROM t WHERE id = ?", [][]any{{3}, {3}, {2}}},
		} {
			st, err := db.Prepare(s.q)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range s.args {
				if _, err := st.Exec(a...); err != nil {
					t.Fatalf("%s %v: %v", s.q, a, err)
				}
			}
			st.Close()
		}
		for _, line := range strings.Split(slow.String(), "\n") {
			switch {
			case strings.HasPrefix(line, "# Query_time:"):
				logs[i] = append(logs[i], timing.ReplaceAllString(line, ""))
			case strings.HasPrefix(line, "# Quarry_access_path:"), strings.HasPrefix(line, "UPDATE"), strings.HasPrefix(line, "DELETE"):
				logs[i] = append(logs[i], line)
			}
		}
		if !disable {
			learned = ts.srv.LearnedDML()
		}
	}
	if learned < 6 {
		t.Errorf("only %d executions ran from learned plans", learned)
	}
	if !slices.ContainsFunc(logs[0], func(l string) bool { return strings.HasPrefix(l, "# Quarry_access_path: sdb.t:pk_point") }) {
		t.Errorf("no pk_point access in the slow log:\n%s", strings.Join(logs[0], "\n"))
	}
	sameTranscripts(t, "learned", logs[0], "GMS", logs[1])
}
