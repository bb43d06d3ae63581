package sqlserver

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/bench/procstat"
)

// txnWireTranscript runs prepared BEGIN, START TRANSACTION and COMMIT over
// the raw protocol (OK packets: affected rows, status flags, warnings) in
// every transaction state: none, autocommit on and off, an open
// read-write or read-only transaction with and without writes, after a
// statement with warnings, around ROLLBACK and failed statements. After
// every step it records what the session says (ROW_COUNT, LAST_INSERT_ID,
// warning count, autocommit, and the row count its own transaction sees)
// and what another connection sees committed.
//
// With text, every statement is sent as text (COM_QUERY, the parameters
// written into it) instead of prepared.
func txnWireTranscript(t *testing.T, ts *testServer, text bool) []string {
	root := mustConnect(t, "root", "", ts.addr)
	root.SetMaxOpenConns(1)
	mustExec(t, root, "CREATE DATABASE xdb")
	mustExec(t, root, "CREATE TABLE xdb.t (id INT PRIMARY KEY AUTO_INCREMENT, v INT)")
	mustExec(t, root, "CREATE TABLE xdb.t2 (id INT PRIMARY KEY, v INT)")
	var out []string
	r := newRawStmtConn(t, ts.addr, "xdb", false)
	texts := map[uint32]string{}
	prep := func(q string) uint32 {
		if text {
			id := uint32(len(texts) + 1)
			texts[id] = q
			return id
		}
		return r.prepare(q)
	}
	begin, start, commit := prep("BEGIN"), prep("START TRANSACTION"), prep("COMMIT")
	commitWork, beginSemi := prep("COMMIT WORK"), prep("begin;")
	roStart, rwStart := prep("START TRANSACTION READ ONLY"), prep("START TRANSACTION READ WRITE")
	rollback := prep("ROLLBACK")
	ins := prep("INSERT INTO t (v) VALUES (?)")
	insID := prep("INSERT INTO t VALUES (?, ?)")
	insIgnore := prep("INSERT IGNORE INTO t VALUES (?, ?)")
	autoOff, autoOn := prep("SET autocommit = 0"), prep("SET autocommit = 1")
	names := map[uint32]string{begin: "BEGIN", start: "START TRANSACTION", commit: "COMMIT", commitWork: "COMMIT WORK",
		beginSemi: "begin;", roStart: "START TRANSACTION READ ONLY", rwStart: "START TRANSACTION READ WRITE",
		rollback: "ROLLBACK", ins: "INSERT v", insID: "INSERT id, v", insIgnore: "INSERT IGNORE", autoOff: "autocommit=0", autoOn: "autocommit=1"}
	fetch := func(q string) string {
		res, err := r.c.ExecuteFetch(q, 10, false)
		if err != nil {
			return "error " + err.Error()
		}
		return fmt.Sprint(res.Rows)
	}
	committed := func() string {
		var n int
		if err := root.QueryRow("SELECT COUNT(*) FROM xdb.t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(n)
	}
	questions := func(db *sql.DB) int64 {
		var name string
		var n int64
		if err := db.QueryRow("SHOW GLOBAL STATUS LIKE 'Questions'").Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	type step struct {
		id   uint32
		args []any
	}
	run := func(steps ...step) {
		for _, s := range steps {
			var res string
			if text {
				res = r.text(interpolate(texts[s.id], s.args))
			} else {
				res = r.exec(s.id, s.args...)
			}
			line := fmt.Sprintf("%s %v => %s", names[s.id], s.args, res)
			// SHOW WARNINGS first: the next statements clear them.
			line += " | warnings " + fetch("SHOW WARNINGS")
			line += " | " + fetch("SELECT ROW_COUNT(), LAST_INSERT_ID(), @@autocommit, COUNT(*) FROM t")
			line += " | committed " + committed()
			out = append(out, line)
		}
	}
	q0 := questions(root)
	for round := 0; round < 2; round++ {
		b := begin
		if round == 1 {
			b = start
		}
		run(
			step{commit, nil}, step{b, nil}, step{commit, nil}, step{b, nil}, step{b, nil},
			// BEGIN commits the open transaction's writes.
			step{b, nil}, step{ins, []any{1}}, step{b, nil}, step{ins, []any{2}}, step{commit, nil},
			step{commitWork, nil}, step{beginSemi, nil}, step{ins, []any{3}}, step{commitWork, nil},
			// Warnings and ROW_COUNT of the previous statement are reset.
			step{insIgnore, []any{1, 1}}, step{b, nil}, step{insIgnore, []any{1, 1}}, step{commit, nil},
			step{ins, []any{4}}, step{commit, nil},
			// Failed statements inside a transaction.
			step{b, nil}, step{insID, []any{1, 1}}, step{ins, []any{5}}, step{insID, []any{1, 1}}, step{commit, nil},
			// Without autocommit.
			step{autoOff, nil}, step{ins, []any{6}}, step{b, nil}, step{ins, []any{7}}, step{commit, nil},
			step{ins, []any{8}}, step{commit, nil}, step{commit, nil}, step{b, nil}, step{rollback, nil},
			step{ins, []any{9}}, step{rollback, nil}, step{autoOn, nil},
			// Read-only and read-write transactions started through GMS.
			step{roStart, nil}, step{ins, []any{10}}, step{b, nil}, step{ins, []any{11}}, step{commit, nil},
			step{roStart, nil}, step{commit, nil}, step{rwStart, nil}, step{ins, []any{12}}, step{b, nil},
			step{rollback, nil}, step{b, nil}, step{ins, []any{13}}, step{rollback, nil}, step{commit, nil},
			step{autoOff, nil}, step{roStart, nil}, step{ins, []any{14}}, step{commit, nil}, step{autoOn, nil},
		)
	}
	out = append(out, fmt.Sprintf("Questions +%d", questions(root)-q0))
	out = append(out, "rows "+rawResult(root.Query("SELECT * FROM xdb.t ORDER BY id")))
	return out
}

// TestPreparedTxnWireMatchesGMS runs the transcript against a server with
// the prepared BEGIN/COMMIT path and one without (GMS binds and analyses
// them), and requires identical OK packets, errors, session state, counters
// and committed data.
func TestPreparedTxnWireMatchesGMS(t *testing.T) { checkTxnWireMatchesGMS(t, false) }

// TestTextTxnWireMatchesGMS is TestPreparedTxnWireMatchesGMS with every
// statement sent as text: plain BEGIN, START TRANSACTION and COMMIT run
// through tryTextTxn, the rest through GMS.
func TestTextTxnWireMatchesGMS(t *testing.T) { checkTxnWireMatchesGMS(t, true) }

// checkTxnWireMatchesGMS runs txnWireTranscript (as text, or prepared)
// with the BEGIN/COMMIT path on and off and compares the transcripts.
func checkTxnWireMatchesGMS(t *testing.T, text bool) {
	var transcripts [2][]string
	var fast uint64
	defer textTxnOff.Store(false)
	for i, off := range []bool{false, true} {
		eopts := EngineOptions{}
		if text {
			textTxnOff.Store(off)
		} else {
			eopts.DisablePlanCache = off
		}
		ts := startServer(t, t.TempDir(), eopts, Config{})
		transcripts[i] = txnWireTranscript(t, ts, text)
		if !off {
			fast = ts.srv.LearnedTxn()
		} else if n := ts.srv.LearnedTxn(); n != 0 {
			t.Errorf("%d BEGIN/COMMIT executions took the path with it off", n)
		}
	}
	t.Logf("%d steps, %d BEGIN/COMMIT executions through the path (text %v)", len(transcripts[0]), fast, text)
	if testing.Verbose() {
		for _, l := range transcripts[0] {
			t.Log(l)
		}
	}
	if fast < 50 {
		t.Errorf("only %d BEGIN/COMMIT executions took the path", fast)
	}
	sameTranscripts(t, "path", transcripts[0], "GMS", transcripts[1])
}

// BenchmarkPreparedBeginCommit: one op is a prepared BEGIN and COMMIT of
// an empty transaction over the wire, with the path and through GMS.
// cpu-ns/op is the process's CPU time (server and client) per op.
func BenchmarkPreparedBeginCommit(b *testing.B) {
	for _, c := range []struct {
		name    string
		disable bool
	}{{"path", false}, {"gms", true}} {
		b.Run(c.name, func(b *testing.B) {
			ts := startServer(b, b.TempDir(), EngineOptions{DisablePlanCache: c.disable}, Config{})
			r := newRawStmtConn(b, ts.addr, "", false)
			begin, commit := r.prepare("BEGIN"), r.prepare("COMMIT")
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := procstat.CPU()
			for i := 0; i < b.N; i++ {
				for _, id := range []uint32{begin, commit} {
					if res := r.exec(id); !strings.HasPrefix(res, "ok ") {
						b.Fatal(res)
					}
				}
			}
			b.ReportMetric(float64(procstat.CPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkTextBeginCommit: one op is a text BEGIN and COMMIT of an empty
// transaction over the wire, with the path and through GMS. cpu-ns/op is
// the process's CPU time (server and client) per op.
func BenchmarkTextBeginCommit(b *testing.B) {
	for _, c := range []struct {
		name string
		off  bool
	}{{"path", false}, {"gms", true}} {
		b.Run(c.name, func(b *testing.B) {
			defer textTxnOff.Store(false)
			textTxnOff.Store(c.off)
			ts := startServer(b, b.TempDir(), EngineOptions{}, Config{})
			r := newRawStmtConn(b, ts.addr, "", false)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := procstat.CPU()
			for i := 0; i < b.N; i++ {
				for _, q := range []string{"BEGIN", "COMMIT"} {
					if res := r.text(q); !strings.HasPrefix(res, "ok ") {
						b.Fatal(res)
					}
				}
			}
			b.ReportMetric(float64(procstat.CPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
