package sqlserver

import (
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// planCacheQueries are prepared statements with the arguments they run
// with: point lookups, ranges and the edge values that must bypass the
// cache (NULL, out of range, crossing bounds, empty ranges).
var planCacheQueries = []struct {
	q    string
	args [][]any
}{
	{"SELECT c FROM t WHERE id = ?", [][]any{{1}, {2}, {3}, {17}, {0}, {-1}, {nil}, {int64(math.MaxInt32) + 1}, {uint64(math.MaxUint64)}, {"5"}, {"5abc"}, {2.5}, {200}}},
	{"SELECT id, k, c FROM t WHERE id = ?", [][]any{{4}, {5}, {5}, {999}}},
	{"SELECT c FROM t WHERE id BETWEEN ? AND ?", [][]any{{1, 5}, {5, 1}, {3, 3}, {7, 12}, {-5, 2}, {190, 300}}},
	{"SELECT SUM(k) FROM t WHERE id BETWEEN ? AND ?", [][]any{{1, 50}, {10, 20}, {20, 10}, {nil, 3}}},
	{"SELECT c FROM t WHERE id BETWEEN ? AND ? ORDER BY c", [][]any{{1, 50}, {10, 20}, {33, 33}}},
	{"SELECT DISTINCT c FROM t WHERE id BETWEEN ? AND ? ORDER BY c", [][]any{{1, 50}, {10, 20}}},
	{"SELECT id FROM t WHERE k = ?", [][]any{{1}, {3}, {7}, {8}, {nil}}},
	{"SELECT id FROM t WHERE u = ?", [][]any{{10}, {20}, {-3}, {nil}}},
	{"SELECT id FROM t WHERE id > ? AND id < ?", [][]any{{3, 9}, {9, 3}, {4, 5}, {4, 6}}},
	{"SELECT id FROM t WHERE id >= ? AND id <= ? LIMIT 3", [][]any{{3, 9}, {1, 100}}},
	{"SELECT id FROM t WHERE id = ? OR id = ?", [][]any{{3, 9}, {9, 9}, {4, 5}}},
	{"SELECT id FROM t WHERE a = ? AND b = ?", [][]any{{1, 2}, {2, 1}, {1, 1}, {nil, 1}}},
	{"SELECT id FROM t WHERE a = ? AND b BETWEEN ? AND ?", [][]any{{1, 0, 5}, {2, 5, 0}, {1, 1, 1}}},
	{"SELECT id, c FROM t WHERE id = ? + 1", [][]any{{1}, {5}}},
	{"SELECT COUNT(k) FROM t WHERE id BETWEEN ? AND ? OR id BETWEEN ? AND ?", [][]any{{1, 5, 10, 20}, {10, 20, 1, 5}, {1, 10, 5, 20}, {1, 5, 6, 9}, {1, 5, 5, 9}, {9, 5, 1, 2}, {3, 3, 4, 4}}},
	{"SELECT id FROM t WHERE id IN (?, ?, ?) ORDER BY id DESC", [][]any{{1, 2, 3}, {3, 1, 2}, {7, 7, 8}, {5, nil, 6}, {300, 2, -1}}},
	{"SELECT k, id FROM t WHERE k IN (?, ?)", [][]any{{1, 2}, {2, 1}, {3, 3}}},
	{"SELECT SUM(id), COUNT(*) FROM t WHERE k BETWEEN ? AND ? AND b = ?", [][]any{{1, 3, 2}, {1, 3, 4}, {2, 5, 6}, {2, 5, 6}, {0, 7, 3}}},
	{"SELECT MAX(c) FROM t WHERE id BETWEEN ? AND ? AND k > ?", [][]any{{1, 50, 3}, {10, 90, 6}, {10, 90, 6}}},
	// Parameters whose magnitudes give the binder's literals other types
	// (int8, uint8, int16, int32, int64, uint64) share an entry.
	{"SELECT id, c FROM t WHERE k BETWEEN ? AND ? OR id BETWEEN ? AND ?", [][]any{{1, 2, 3, 5}, {6, 7, 127, 128}, {3, 4, 255, 256}, {-129, 0, 190, 40000}, {5, 6, 199, int64(1) << 40}, {2, 3, 100, uint64(math.MaxUint64)}}},
	{"SELECT COUNT(*), SUM(id) FROM t WHERE id BETWEEN ? AND ?", [][]any{{1, 5}, {100, 300}, {120, 130}, {-200, 3}, {70000, 70001}, {127, 255}}},
	// Ranges that overlap for some values: merged as the analyzer does.
	{"SELECT COUNT(*), SUM(id) FROM t WHERE k BETWEEN ? AND ? OR k BETWEEN ? AND ? OR k BETWEEN ? AND ?", [][]any{{0, 1, 3, 4, 6, 7}, {0, 2, 1, 5, 6, 7}, {3, 3, 3, 3, 1, 1}, {0, 7, 2, 3, 4, 5}, {5, 6, 0, 1, 2, 3}, {1, 2, 2, 3, 3, 4}}},
	{"SELECT id FROM t WHERE id BETWEEN ? AND ? OR id BETWEEN ? AND ? ORDER BY id DESC", [][]any{{1, 3, 10, 12}, {1, 5, 3, 8}, {10, 12, 1, 3}, {4, 4, 4, 4}, {1, 9, 2, 3}}},
	// String keys: collations (case, accents, PAD SPACE in general_ci),
	// latin1, CHAR, too long for the column, not in latin1, binary, NULL,
	// numbers for strings.
	{"SELECT id FROM s WHERE c = ? ORDER BY id", [][]any{{"k05"}, {"K05"}, {"k06"}, {"k11 "}, {"k11"}, {"e"}, {"é"}, {""}, {"toolongvalue"}, {nil}, {5}, {"k07"}}},
	{"SELECT id FROM s WHERE g = ? ORDER BY id", [][]any{{"k05"}, {"K05"}, {"k11"}, {"k11 "}, {"k11  "}, {"E"}, {""}, {"k07"}}},
	{"SELECT id FROM s WHERE l = ? ORDER BY id", [][]any{{"k05"}, {"K05"}, {"é"}, {"中"}, {"k07"}}},
	{"SELECT id FROM s WHERE x = ? ORDER BY id", [][]any{{"k05"}, {"k05 "}, {"k1"}, {"k07"}}},
	{"SELECT id FROM s WHERE b = ?", [][]any{{"b05"}, {"B05"}, {"b06"}, {""}}},
	{"SELECT id, c FROM s WHERE c IN (?, ?) ORDER BY id", [][]any{{"k01", "k02"}, {"K01", "k01"}, {"k03", "k04"}, {"k02", "nope"}}},
	{"SELECT COUNT(*), MIN(id) FROM s WHERE c BETWEEN ? AND ?", [][]any{{"k01", "k09"}, {"k09", "k01"}, {"K01", "k05"}, {"k1", "k2"}, {"", "k00"}}},
	{"SELECT id FROM s WHERE c > ? ORDER BY c, id LIMIT 3", [][]any{{"k20"}, {"K25"}, {"k28"}, {""}}},
	{"SELECT id FROM s WHERE c = ? AND id > ?", [][]any{{"k05", 3}, {"k05", 40}, {"k06", 1}}},
	// LIMIT and OFFSET values are part of the key, not re-keyed.
	{"SELECT id, c FROM t WHERE k = ? ORDER BY id DESC LIMIT ?", [][]any{{1, 2}, {1, 3}, {2, 3}, {2, 0}, {3, 2}, {3, 2}}},
	{"SELECT id FROM t WHERE id BETWEEN ? AND ? ORDER BY c, id LIMIT ? OFFSET ?", [][]any{{1, 50, 3, 0}, {1, 50, 3, 2}, {10, 60, 3, 2}, {10, 60, 5, 2}}},
	{"SELECT id, k FROM t WHERE id >= ? ORDER BY id LIMIT ?", [][]any{{5, 3}, {6, 3}, {6, 4}, {190, 50}}},
	{"SELECT SQL_CALC_FOUND_ROWS id FROM t WHERE k = ? LIMIT ?", [][]any{{1, 2}, {2, 2}, {2, 5}}},
	{"SELECT id FROM t WHERE id BETWEEN @lo AND ?", [][]any{{5}, {5}, {9}}},
	{"SELECT id FROM t WHERE id BETWEEN CONNECTION_ID() AND ?", [][]any{{5}, {5}, {9}}},
}

const planCacheSchema = `CREATE TABLE t (id INT PRIMARY KEY, k INT NOT NULL, u INT UNIQUE, a TINYINT, b BIGINT,
	c VARCHAR(20) COLLATE utf8mb4_0900_ai_ci, KEY (k), KEY (a, b))`

func fillPlanCacheTable(t *testing.T, db *sql.DB) {
	t.Helper()
	mustExec(t, db, "CREATE DATABASE pc")
	mustExec(t, db, "USE pc")
	mustExec(t, db, planCacheSchema)
	var vals []string
	for i := 1; i <= 200; i++ {
		u := "NULL"
		if i%4 != 0 {
			u = fmt.Sprint(i * 10)
		}
		vals = append(vals, fmt.Sprintf("(%d, %d, %s, %d, %d, 'c%03d')", i, i%8, u, i%3, i%7, (i*37)%101))
	}
	mustExec(t, db, "INSERT INTO t VALUES "+strings.Join(vals, ","))
	// String keys in three collations and a binary string.
	mustExec(t, db, `CREATE TABLE s (id INT PRIMARY KEY, c VARCHAR(8) COLLATE utf8mb4_0900_ai_ci, g VARCHAR(8) COLLATE utf8mb4_general_ci,
		l VARCHAR(8) CHARACTER SET latin1, x CHAR(4), b VARBINARY(8), KEY (c), KEY (g), KEY (l), KEY (x), UNIQUE KEY (b))`)
	vals = vals[:0]
	for i := 1; i <= 60; i++ {
		v := fmt.Sprintf("k%02d", i%30)
		if i%7 == 0 {
			v = strings.ToUpper(v)
		}
		if i%11 == 0 {
			v += " "
		}
		vals = append(vals, fmt.Sprintf("(%d, '%s', '%s', '%s', '%s', 'b%02d')", i, v, v, v, v[:min(len(v), 4)], i))
	}
	vals = append(vals, "(61, 'é', 'é', 'é', 'é', ''), (62, '', '', '', '', 'x'), (63, NULL, NULL, NULL, NULL, NULL)")
	mustExec(t, db, "INSERT INTO s VALUES "+strings.Join(vals, ","))
}

// runPrepared runs every query of planCacheQueries with each argument list
// twice on one connection (prepared, so the second run can hit the cache)
// and returns the results and errors as strings.
func runPrepared(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var out []string
	for _, pq := range planCacheQueries {
		st, err := db.Prepare(pq.q)
		if err != nil {
			t.Fatalf("prepare %s: %v", pq.q, err)
		}
		for round := 0; round < 2; round++ {
			for _, args := range pq.args {
				out = append(out, fmt.Sprintf("%s %v: %s", pq.q, args, queryResult(st.Query(args...))))
			}
		}
		st.Close()
	}
	return out
}

func queryResult(rows *sql.Rows, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	defer rows.Close()
	cols, _ := rows.ColumnTypes()
	var b strings.Builder
	for _, c := range cols {
		fmt.Fprintf(&b, "%s:%s ", c.Name(), c.DatabaseTypeName())
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "scan error: " + err.Error()
		}
		b.WriteString("[")
		for _, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%v,", v)
		}
		b.WriteString("]")
	}
	if err := rows.Err(); err != nil {
		b.WriteString(" error: " + err.Error())
	}
	return b.String()
}

// TestPlanCacheMatchesUncached runs the same prepared statements against a
// server with the plan cache and one without, and requires identical
// results, column types and errors, and cache hits on the first.
func TestPlanCacheMatchesUncached(t *testing.T) {
	var results [2][]string
	for i, disable := range []bool{false, true} {
		ts := startServer(t, t.TempDir(), EngineOptions{DisablePlanCache: disable}, Config{})
		db := mustConnect(t, "root", "", ts.addr)
		db.SetMaxOpenConns(1)
		fillPlanCacheTable(t, db)
		results[i] = runPrepared(t, db)
		// Text statements differing only in integer literals share an
		// entry; ORDER BY 1 and negative values must not be confused.
		for _, q := range []string{
			"SELECT c FROM t WHERE id = %d", "SELECT c FROM t WHERE id = -%d", "SELECT c, id FROM t WHERE id BETWEEN %d AND 60 ORDER BY 1",
			"SELECT id FROM t WHERE id BETWEEN %d AND 60 ORDER BY 1 DESC LIMIT 2", "SELECT id FROM t WHERE k = 3 AND id < %d",
			"select  c from t where id = 0%d", "SELECT c FROM t WHERE id = '%d'", "SELECT c FROM t WHERE id = %d.0",
			"SELECT id FROM t WHERE k = 3 ORDER BY id DESC LIMIT %d", "SELECT id FROM t WHERE id > %d ORDER BY id LIMIT 2",
			"SELECT id FROM t WHERE id > %d ORDER BY id LIMIT 4, 2",
		} {
			for _, v := range []int{3, 4, 50, 50, 0, 7} {
				text := fmt.Sprintf(q, v)
				results[i] = append(results[i], text+": "+queryResult(db.Query(text)))
			}
		}
		// Warnings of the last statement are the same too.
		results[i] = append(results[i], queryResult(db.Query("SELECT c FROM t WHERE id = '7x'")), queryResult(db.Query("SHOW WARNINGS")))
		hits, misses := PlanCacheStats(ts.eng)
		t.Logf("plan cache disabled=%v: %d hits, %d misses", disable, hits, misses)
		if !disable && hits == 0 {
			t.Errorf("no plan cache hits")
		}
		t.Logf("point path: %d executions, learned plans: %d", ts.srv.PointSelects(), ts.srv.LearnedPlans())
		if !disable && ts.srv.LearnedPlans() == 0 {
			t.Errorf("no execution ran from a learned plan")
		}
		if !disable && ts.srv.PointSelects() == 0 {
			t.Errorf("no execution took the prepared point path")
		}
	}
	if !reflect.DeepEqual(results[0], results[1]) {
		for i := range results[0] {
			if i >= len(results[1]) || results[0][i] != results[1][i] {
				t.Errorf("cached:   %s", results[0][i])
				if i < len(results[1]) {
					t.Errorf("uncached: %s", results[1][i])
				}
			}
		}
	}
}

// TestPlanCacheInvalidatedByDDL caches a point lookup, changes the table
// and index definitions underneath, and checks results follow.
func TestPlanCacheInvalidatedByDDL(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	fillPlanCacheTable(t, db)
	q := func(query string, args ...any) string { return queryResult(db.Query(query, args...)) }
	for i := 0; i < 3; i++ {
		q("SELECT id, c FROM t WHERE u = ?", 30)
		q("SELECT id FROM t WHERE id BETWEEN ? AND ?", 1, 3)
	}
	hits, _ := PlanCacheStats(ts.eng)
	if hits == 0 {
		t.Fatal("no plan cache hits")
	}
	// Statistics change plans: ANALYZE TABLE starts new entries.
	mustExec(t, db, "ANALYZE TABLE t")
	hits, _ = PlanCacheStats(ts.eng)
	q("SELECT id, c FROM t WHERE u = ?", 30)
	if h, _ := PlanCacheStats(ts.eng); h != hits {
		t.Errorf("the first lookup after ANALYZE TABLE hit the cache")
	}
	mustExec(t, db, "ALTER TABLE t DROP INDEX u")
	if got, want := q("SELECT id, c FROM t WHERE u = ?", 30), "id:INT c:VARCHAR [3,c010,]"; got != want {
		t.Errorf("after DROP INDEX: %s, want %s", got, want)
	}
	mustExec(t, db, "ALTER TABLE t MODIFY c VARCHAR(20) COLLATE utf8mb4_bin")
	mustExec(t, db, "UPDATE t SET c = 'X' WHERE id = 3")
	if got, want := q("SELECT id, c FROM t WHERE u = ?", 30), "id:INT c:VARCHAR [3,X,]"; got != want {
		t.Errorf("after MODIFY: %s, want %s", got, want)
	}
	mustExec(t, db, "DROP TABLE t")
	mustExec(t, db, "CREATE TABLE t (id BIGINT PRIMARY KEY, c TEXT)")
	mustExec(t, db, "INSERT INTO t VALUES (2, 'new')")
	if got, want := q("SELECT id FROM t WHERE id BETWEEN ? AND ?", 1, 3), "id:BIGINT [2,]"; got != want {
		t.Errorf("after re-CREATE: %s, want %s", got, want)
	}
}

// TestPlanCacheConcurrent shares cached plans between connections running
// at once (run with -race): every answer must match the data.
func TestPlanCacheConcurrent(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	fillPlanCacheTable(t, db)
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func(w int) {
			conn, err := sql.Open("mysql", dsn("root", "", ts.addr, "pc"))
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			for i := 0; i < 150; i++ {
				id := (i*7+w*13)%200 + 1
				var k int
				if err := conn.QueryRow("SELECT k FROM t WHERE id = ?", id).Scan(&k); err != nil {
					errs <- fmt.Errorf("id %d: %w", id, err)
					return
				}
				if k != id%8 {
					errs <- fmt.Errorf("id %d: k = %d, want %d", id, k, id%8)
					return
				}
				var n int
				if err := conn.QueryRow("SELECT COUNT(c) FROM t WHERE id BETWEEN ? AND ?", id, id+9).Scan(&n); err != nil {
					errs <- err
					return
				}
				if want := min(200, id+9) - id + 1; n != want {
					errs <- fmt.Errorf("range from %d: %d rows, want %d", id, n, want)
					return
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < 4; w++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if hits, _ := PlanCacheStats(ts.eng); hits == 0 {
		t.Error("no plan cache hits")
	}
}

// TestPlanCacheUserVariables: a range bound from a user variable is known
// while planning but is not a literal of the cache key; changing it must
// change the result.
func TestPlanCacheUserVariables(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	fillPlanCacheTable(t, db)
	for _, lo := range []int{5, 5, 1, 3} {
		mustExec(t, db, fmt.Sprintf("SET @lo = %d", lo))
		for i := 0; i < 2; i++ {
			var n int
			if err := db.QueryRow("SELECT COUNT(c) FROM t WHERE id BETWEEN @lo AND ?", 5).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if want := 5 - lo + 1; n != want {
				t.Fatalf("@lo = %d: %d rows, want %d", lo, n, want)
			}
		}
	}
}

// TestPlanCacheLimit checks that statements with LIMIT and OFFSET are
// served from the cache, one entry per LIMIT/OFFSET value (which shape
// the plan), with other values of the key range re-keyed.
func TestPlanCacheLimit(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	fillPlanCacheTable(t, db)
	hits := func() uint64 { h, _ := PlanCacheStats(ts.eng); return h }
	for _, c := range []struct {
		q   string
		hit bool
	}{
		{"SELECT id FROM t WHERE k = 3 ORDER BY id DESC LIMIT 2", false},
		{"SELECT id FROM t WHERE k = 4 ORDER BY id DESC LIMIT 2", true},
		{"SELECT id FROM t WHERE k = 4 ORDER BY id DESC LIMIT 3", false},
		{"SELECT id FROM t WHERE k = 5 ORDER BY id DESC LIMIT 3", true},
		{"SELECT id FROM t WHERE id > 10 ORDER BY id LIMIT 4, 2", false},
		{"SELECT id FROM t WHERE id > 20 ORDER BY id LIMIT 4, 2", true},
		{"SELECT id FROM t WHERE id > 20 ORDER BY id LIMIT 5, 2", false},
	} {
		before := hits()
		want := queryResult(db.Query(c.q))
		if hit := hits() > before; hit != c.hit {
			t.Errorf("%s: cache hit %v, want %v", c.q, hit, c.hit)
		}
		mustExec(t, db, "SET quarry_analytics_pushdown = OFF") // a different key: full analysis
		if got := queryResult(db.Query(c.q)); got != want {
			t.Errorf("%s: cached %s, analysed %s", c.q, want, got)
		}
		mustExec(t, db, "SET quarry_analytics_pushdown = ON")
	}
}
