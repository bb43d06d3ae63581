package sqlserver

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// learnedRangeStmts are sysbench's read-only range statements and
// variations: results over several 128-row batches, an error after a
// batch was sent and before, warnings, overlapping ranges, aggregates (GMS's one-row
// shortcut), DISTINCT and ORDER BY.
var learnedRangeStmts = []struct {
	q    string
	args [][]any
}{
	{"SELECT c FROM sb WHERE id BETWEEN ? AND ?", [][]any{{1, 10}, {5, 300}, {20, 10}, {7, 7}, {-5, 2}, {0, 0}}},
	{"SELECT SUM(k) FROM sb WHERE id BETWEEN ? AND ?", [][]any{{1, 10}, {5, 300}, {20, 10}, {400, 500}}},
	{"SELECT c FROM sb WHERE id BETWEEN ? AND ? ORDER BY c", [][]any{{1, 10}, {3, 290}, {20, 10}}},
	{"SELECT DISTINCT c FROM sb WHERE id BETWEEN ? AND ? ORDER BY c", [][]any{{1, 10}, {3, 290}, {20, 10}}},
	{"SELECT count(k) FROM sb WHERE k BETWEEN ? AND ? OR k BETWEEN ? AND ? OR k BETWEEN ? AND ?",
		[][]any{{1, 5, 10, 15, 20, 25}, {1, 5, 3, 9, 8, 30}, {40, 45, 1, 2, 44, 50}, {9, 9, 9, 9, 9, 9}, {30, 20, 1, 2, 3, 4}}},
	{"SELECT id, k FROM sb WHERE k BETWEEN ? AND ? OR k BETWEEN ? AND ?", [][]any{{1, 5, 3, 9}, {10, 12, 30, 31}, {12, 13, 13, 14}}},
	{"SELECT id, JSON_EXTRACT(c, '$.a') FROM sb WHERE id BETWEEN ? AND ?", [][]any{{1, 10}, {150, 250}, {120, 190}}},
	{"SELECT id, 10 / (k - 7) FROM sb WHERE id BETWEEN ? AND ?", [][]any{{1, 3}, {1, 40}}},
	{"SELECT SQL_CALC_FOUND_ROWS id FROM sb WHERE id BETWEEN ? AND ? LIMIT 3", [][]any{{1, 10}, {5, 300}}},
}

// learnedRangeTranscript runs learnedRangeStmts in autocommit and in
// transactions and returns everything the client saw, with FOUND_ROWS,
// ROW_COUNT, warnings, the transaction flag and rows examined after each.
func learnedRangeTranscript(t *testing.T, ts *testServer) []string {
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE rdb")
	mustExec(t, db, "USE rdb")
	mustExec(t, db, "CREATE TABLE sb (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(40) NOT NULL, pad CHAR(20) NOT NULL, KEY k_1 (k))")
	var vals []string
	for id := 1; id <= 300; id++ {
		c := fmt.Sprintf(`{"a": %d}`, id%17)
		if id >= 200 {
			c = fmt.Sprintf("x%05d-%d", (id*7919)%1000, id%3)
		}
		vals = append(vals, fmt.Sprintf("(%d, %d, '%s', 'p%d')", id, id%50, c, id))
	}
	mustExec(t, db, "INSERT INTO sb VALUES "+strings.Join(vals, ","))
	var out []string
	log := func(s string) { out = append(out, s) }
	var rowsRead int64
	// state logs the session state; FOUND_ROWS, ROW_COUNT and rows
	// examined only after a statement that succeeded: after an error
	// GMS's values depend on how far its reading goroutine got ahead of
	// the failing row (they vary from run to run).
	state := func(failed bool) {
		if !failed {
			log("state => " + rawResult(db.Query("SELECT FOUND_ROWS(), ROW_COUNT()")))
		}
		log("warnings => " + rawResult(db.Query("SHOW WARNINGS")))
		var name string
		var n int64
		if err := db.QueryRow("SHOW GLOBAL STATUS LIKE 'Innodb_rows_read'").Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		if !failed {
			log(fmt.Sprintf("rows read: %d", n-rowsRead))
		}
		rowsRead = n
	}
	stmts := map[string]*sql.Stmt{}
	for _, mode := range []string{"autocommit", "begin", "autocommit=0"} {
		switch mode {
		case "begin":
			mustExec(t, db, "BEGIN")
		case "autocommit=0":
			mustExec(t, db, "SET autocommit = 0")
		}
		// Twice: the first executions learn, later ones run learned.
		for round := 0; round < 2; round++ {
			for _, s := range learnedRangeStmts {
				st := stmts[s.q]
				if st == nil {
					var err error
					if st, err = db.Prepare(s.q); err != nil {
						t.Fatalf("prepare %s: %v\n%s", s.q, err, strings.Join(out[max(0, len(out)-12):], "\n"))
					}
					stmts[s.q] = st
				}
				for _, a := range s.args {
					res := rawResult(st.Query(a...))
					log(fmt.Sprintf("%s %v => %s", s.q, a, res))
					state(strings.Contains(res, "error: "))
				}
			}
		}
		if mode == "begin" {
			// The transaction sees its own writes.
			mustExec(t, db, "UPDATE sb SET k = k + 100 WHERE id BETWEEN 3 AND 6")
			log("own writes => " + rawResult(stmts[learnedRangeStmts[4].q].Query(100, 110, 1, 5, 1, 1)))
			mustExec(t, db, "ROLLBACK")
			state(false)
		}
	}
	mustExec(t, db, "SET autocommit = 1")
	// An error after a full batch was sent (the client drops the
	// connection then, so this comes last).
	q := learnedRangeStmts[6].q
	log("error after a batch => " + rawResult(stmts[q].Query(1, 250)))
	for _, st := range stmts {
		st.Close()
	}
	return out
}

// TestLearnedRangesMatchGMS runs learnedRangeTranscript with learned plans
// on the connection's goroutine, with learned plans through GMS's
// executor, and without the plan cache (GMS's own path throughout), and
// requires identical transcripts.
func TestLearnedRangesMatchGMS(t *testing.T) {
	type run struct {
		name           string
		noCache, viaGM bool
	}
	runs := []run{{"direct", false, false}, {"learned via GMS executor", false, true}, {"GMS", true, false}}
	var transcripts [3][]string
	defer learnedDirectOff.Store(false)
	for i, r := range runs {
		learnedDirectOff.Store(r.viaGM)
		before := learnedDirectRuns.Load()
		ts := startServer(t, t.TempDir(), EngineOptions{DisablePlanCache: r.noCache}, Config{})
		transcripts[i] = learnedRangeTranscript(t, ts)
		direct := learnedDirectRuns.Load() - before
		t.Logf("%s: %d entries, %d learned executions, %d direct", r.name, len(transcripts[i]), ts.srv.LearnedPlans(), direct)
		if i == 0 && direct < 40 {
			t.Errorf("only %d executions ran learned plans directly", direct)
		}
		if i > 0 && direct != 0 {
			t.Errorf("%s: %d direct executions", r.name, direct)
		}
	}
	for i := 1; i < len(runs); i++ {
		if len(transcripts[0]) != len(transcripts[i]) {
			t.Fatalf("transcripts differ in length: %d vs %d (%s)", len(transcripts[0]), len(transcripts[i]), runs[i].name)
		}
		for j := range transcripts[0] {
			if transcripts[0][j] != transcripts[i][j] {
				t.Errorf("direct: %s\n%s: %s", transcripts[0][j], runs[i].name, transcripts[i][j])
			}
		}
	}
}
