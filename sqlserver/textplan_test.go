package sqlserver

import (
	"database/sql"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/bench/procstat"
)

// textPlanExtra are text shapes whose integer tokens are not all the
// literals they look like: positions (ORDER BY ?), COUNT arguments,
// negated values, bit literals (an integer literal that is no token),
// LIMIT, comments, locking reads and a trailing delimiter.
var textPlanExtra = []struct {
	q    string
	args [][]any
}{
	{"SELECT id, k, a, b, c FROM t WHERE id BETWEEN b'1' AND 60 ORDER BY ?", [][]any{{1}, {1}, {2}, {3}, {1}}},
	{"SELECT id, k, a, b, c FROM t WHERE id BETWEEN 0b1 AND ? ORDER BY ?", [][]any{{1, 1}, {5, 1}, {5, 2}, {7, 3}}},
	{"SELECT id, k, a FROM t WHERE id BETWEEN ? AND 60 ORDER BY ?", [][]any{{1, 1}, {2, 2}, {3, 1}, {3, 2}, {55, 3}}},
	{"SELECT id, k FROM t WHERE id BETWEEN ? AND ? ORDER BY ?, id", [][]any{{3, 9, 1}, {4, 12, 2}, {4, 12, 1}, {5, 9, 2}}},
	{"SELECT COUNT(?) FROM t WHERE id BETWEEN ? AND ?", [][]any{{1, 1, 5}, {1, 2, 9}, {7, 1, 3}, {3, 4, 9}}},
	{"SELECT c FROM t WHERE id = -? OR id = ?", [][]any{{0, 1}, {5, 6}, {1, 2}, {7, 8}}},
	{"SELECT c, k FROM t WHERE id = ? AND k = ?", [][]any{{9, 1}, {10, 2}, {10, 3}, {17, 1}, {4, 4}, {12, 4}}},
	{"SELECT c FROM t WHERE id = 0?", [][]any{{5}, {6}, {0}}},
	{"SELECT id FROM t WHERE id IN (?, ?) ORDER BY id ; ", [][]any{{3, 4}, {5, 6}, {6, 5}}},
	{"SELECT id FROM t WHERE id BETWEEN ? AND ? LIMIT ?", [][]any{{1, 10, 2}, {3, 12, 4}, {5, 20, 1}}},
	{"SELECT /*+ JOIN_ORDER(t) */ id FROM t WHERE id = ?", [][]any{{3}, {4}}},
	{"SELECT id FROM t WHERE id = ? # trailing", [][]any{{3}, {4}}},
	{"SELECT id, k FROM t WHERE id = ? FOR UPDATE", [][]any{{3}, {4}, {5}}},
	{"SELECT * FROM t WHERE id = ?", [][]any{{3}, {4}, {190}, {7}}},
	{"SELECT SQL_CALC_FOUND_ROWS id FROM t WHERE id BETWEEN ? AND ? ORDER BY id", [][]any{{1, 4}, {5, 9}}},
	{"SELECT id FROM t WHERE id = ? + ?", [][]any{{1, 2}, {3, 4}, {5, 6}}},
	{"SELECT SUM(k) FROM t WHERE id BETWEEN ? AND ?", [][]any{{1, 50}, {10, 20}, {20, 10}, {1, uint64(math.MaxUint64)}, {-3, 7}}},
}

// interpolate writes args into q's ? markers as a client library would.
func interpolate(q string, args []any) string {
	var b strings.Builder
	for _, a := range args {
		i := strings.IndexByte(q, '?')
		b.WriteString(q[:i])
		switch v := a.(type) {
		case nil:
			b.WriteString("NULL")
		case string:
			b.WriteString("'" + strings.ReplaceAll(v, "'", "''") + "'")
		default:
			fmt.Fprint(&b, v)
		}
		q = q[i+1:]
	}
	return b.String() + q
}

// textPlanTranscript runs planCacheQueries and textPlanExtra as text, in
// several session states (autocommit, a transaction with its own writes,
// sql_select_limit, another database, after DDL), and returns what the
// client saw, with the warnings, FOUND_ROWS and ROW_COUNT after each.
func textPlanTranscript(t *testing.T, db *sql.DB) []string {
	fillPlanCacheTable(t, db)
	mustExec(t, db, "CREATE DATABASE pc2")
	mustExec(t, db, "CREATE TABLE pc2.t (id INT PRIMARY KEY, k INT NOT NULL, u INT UNIQUE, a TINYINT, b BIGINT, c VARCHAR(20), KEY (k), KEY (a, b))")
	mustExec(t, db, "INSERT INTO pc2.t VALUES (3, 1, 30, 1, 1, 'other3'), (4, 2, 40, 2, 2, 'other4'), (50, 3, NULL, 0, 0, 'other50')")
	var out []string
	corpus := append(append([]struct {
		q    string
		args [][]any
	}{}, planCacheQueries...), textPlanExtra...)
	run := func(state string) {
		for round := 0; round < 2; round++ {
			for _, s := range corpus {
				if strings.Contains(s.q, "@lo") {
					mustExec(t, db, "SET @lo = 3")
				}
				for _, a := range s.args {
					q := interpolate(s.q, a)
					res := rawResult(db.Query(q))
					out = append(out, fmt.Sprintf("%s: %s => %s; warnings %s; info %s", state, q, res,
						rawResult(db.Query("SHOW WARNINGS")), rawResult(db.Query("SELECT FOUND_ROWS(), ROW_COUNT()"))))
				}
			}
		}
	}
	run("autocommit")
	mustExec(t, db, "BEGIN")
	mustExec(t, db, "UPDATE t SET k = k + 100, c = 'mine' WHERE id BETWEEN 3 AND 9")
	run("own writes")
	mustExec(t, db, "ROLLBACK")
	mustExec(t, db, "SET sql_select_limit = 2")
	run("sql_select_limit")
	mustExec(t, db, "SET sql_select_limit = DEFAULT")
	mustExec(t, db, "USE pc2")
	run("pc2")
	mustExec(t, db, "USE pc")
	mustExec(t, db, "ALTER TABLE t ADD COLUMN z INT DEFAULT 7")
	mustExec(t, db, "ALTER TABLE t DROP INDEX k")
	run("after DDL")
	return out
}

// TestTextPlansMatchGMS runs textPlanTranscript with learned text plans,
// without them (the plan cache, found through parse and bind), and
// without the plan cache (GMS's own path), and requires identical
// transcripts; with learned text plans most executions must use them.
func TestTextPlansMatchGMS(t *testing.T) {
	type run struct {
		name                   string
		noText, noCache, multi bool
		runs, directRuns       uint64
	}
	// "multi": CLIENT_MULTI_STATEMENTS (sysbench, mysql CLI), whose
	// COM_QUERY runs through ComMultiQuery.
	runs := []*run{{name: "text plans"}, {name: "plan cache", noText: true}, {name: "GMS", noText: true, noCache: true},
		{name: "text plans, multi-statements", multi: true}}
	var transcripts [4][]string
	defer textPlansOff.Store(false)
	for i, r := range runs {
		textPlansOff.Store(r.noText)
		before := textPlanRuns.Load()
		ts := startServer(t, t.TempDir(), EngineOptions{DisablePlanCache: r.noCache}, Config{})
		db := mustConnect(t, "root", "", ts.addr)
		if r.multi {
			db = mustConnectDSN(t, dsn("root", "", ts.addr, "")+"&multiStatements=true")
		}
		db.SetMaxOpenConns(1)
		transcripts[i] = textPlanTranscript(t, db)
		r.runs = textPlanRuns.Load() - before
		t.Logf("%s: %d statements, %d from learned text plans", r.name, len(transcripts[i]), r.runs)
	}
	// About 30%: the rest are shapes the plan cache does not serve
	// (NULL, strings, LIMIT, filters beyond the range) or must not be
	// learned.
	for _, r := range []*run{runs[0], runs[3]} {
		if r.runs < uint64(len(transcripts[0]))/4 {
			t.Errorf("%s: only %d of %d statements ran from learned text plans", r.name, r.runs, len(transcripts[0]))
		}
	}
	for _, r := range runs[1:3] {
		if r.runs != 0 {
			t.Errorf("%s: %d executions from learned text plans", r.name, r.runs)
		}
	}
	for i := 1; i < len(runs); i++ {
		if len(transcripts[0]) != len(transcripts[i]) {
			t.Fatalf("transcripts differ in length: %d vs %d (%s)", len(transcripts[0]), len(transcripts[i]), runs[i].name)
		}
		for j := range transcripts[0] {
			if runs[i].multi && strings.Contains(transcripts[0][j], "CONNECTION_ID()") {
				continue // that server's connection has another id
			}
			if transcripts[0][j] != transcripts[i][j] {
				t.Errorf("text plans: %s\n%s: %s", transcripts[0][j], runs[i].name, transcripts[i][j])
			}
		}
	}
}

// TestMaskIntegers checks which texts the masking takes and what it makes
// of them.
func TestMaskIntegers(t *testing.T) {
	for _, c := range []struct {
		q, masked string
		tokens    []uint64
	}{
		{"SELECT c FROM t WHERE id=5", "SELECT c FROM t WHERE id=?", []uint64{5}},
		{"select c from t1 where id between 007 and 18446744073709551615", "select c from t1 where id between ? and ?", []uint64{7, math.MaxUint64}},
		{"SELECT a FROM t WHERE x = 1e5 OR y = 1.5 OR z = .5 OR w = t.5", "SELECT a FROM t WHERE x = 1e5 OR y = 1.5 OR z = .5 OR w = t.5", nil},
		{"SELECT '5', \"6\", `7`, 'it''s 8', 'a\\'9' FROM t WHERE id = -3", "SELECT '5', \"6\", `7`, 'it''s 8', 'a\\'9' FROM t WHERE id = -?", []uint64{3}},
		{"SELECT c FROM t WHERE id = 18446744073709551616", "", nil},
		{"SELECT c FROM t WHERE id = b'101'", "", nil},
		{"SELECT c FROM t WHERE id = X'1F'", "", nil},
		{"SELECT c FROM t WHERE id = 0b101", "", nil},
		{"SELECT c FROM t WHERE id = 0x1F", "", nil},
		{"SELECT c FROM t WHERE id = 5 -- x", "", nil},
		{"SELECT /*!50000 5 */ c FROM t", "", nil},
		{"SELECT c FROM t WHERE c = 'open", "", nil},
		{"SELECT tab.c FROM tab WHERE tab.id = 5", "SELECT tab.c FROM tab WHERE tab.id = ?", []uint64{5}},
	} {
		masked, tokens, ok := maskIntegers(c.q, nil)
		if ok != (c.masked != "") || masked != c.masked || fmt.Sprint(tokens) != fmt.Sprint(c.tokens) {
			t.Errorf("maskIntegers(%q) = %q, %v, %v; want %q, %v", c.q, masked, tokens, ok, c.masked, c.tokens)
		}
	}
}

// BenchmarkTextSelect: one op is one of sysbench's read statements sent
// as text over the wire on one connection, from a learned text plan and
// from the plan cache found through parse and bind, and through GMS
// without the plan cache. cpu-ns/op is the process's CPU time (server and
// client) per statement.
func BenchmarkTextSelect(b *testing.B) {
	const rows = 1000
	for _, shape := range []struct{ name, q string }{
		{"point", "SELECT c FROM sbtest1 WHERE id=%d"},
		{"range", "SELECT c FROM sbtest1 WHERE id BETWEEN %d AND %d"},
		{"latest", "SELECT id, c FROM sbtest1 WHERE k = %d ORDER BY id DESC LIMIT 10"},
	} {
		for _, mode := range []struct {
			name           string
			off, noCaching bool
		}{{"learned", false, false}, {"cache", true, false}, {"gms", true, true}} {
			b.Run(shape.name+"/"+mode.name, func(b *testing.B) {
				defer textPlansOff.Store(false)
				textPlansOff.Store(mode.off)
				r := startSbtest(b, EngineOptions{DisablePlanCache: mode.noCaching}, rows)
				texts := make([]string, 997)
				for i := range texts {
					id := i%(rows-100) + 1
					switch shape.name {
					case "range":
						texts[i] = fmt.Sprintf(shape.q, id, id+99)
					case "latest":
						texts[i] = fmt.Sprintf(shape.q, id*7%rows)
					default:
						texts[i] = fmt.Sprintf(shape.q, id)
					}
				}
				before := textPlanRuns.Load()
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := procstat.CPU()
				for i := 0; i < b.N; i++ {
					res, err := r.c.ExecuteFetch(texts[i%len(texts)], 1000, false)
					if err != nil || len(res.Rows) == 0 {
						b.Fatalf("%s: %v %v", texts[i%len(texts)], res, err)
					}
				}
				b.ReportMetric(float64(procstat.CPU()-cpu0)/float64(b.N), "cpu-ns/op")
				if learned := textPlanRuns.Load() - before; !mode.off && learned < uint64(b.N)/2 {
					b.Fatalf("%d of %d statements from learned text plans", learned, b.N)
				}
			})
		}
	}
}
