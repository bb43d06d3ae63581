package sqlserver

import (
	"fmt"
	"strings"
	"testing"
)

// TestRangeReadAutocommitSnapshot checks that a learned range read under
// autocommit ends its transaction, as GMS's committing iterator does: a
// later execution sees another connection's commit, and one inside an
// explicit transaction keeps the transaction's snapshot. (Storage's
// CommandEnd also ends a read transaction left open under autocommit, so
// this checks the outcome, not which of the two ended it.)
func TestRangeReadAutocommitSnapshot(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	a := mustConnect(t, "root", "", ts.addr)
	a.SetMaxOpenConns(1)
	b := mustConnect(t, "root", "", ts.addr)
	mustExec(t, a, "CREATE DATABASE rr")
	mustExec(t, a, "CREATE TABLE rr.t (id INT PRIMARY KEY, c VARCHAR(10) NOT NULL)")
	mustExec(t, a, "INSERT INTO rr.t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	st, err := a.Prepare("SELECT c FROM rr.t WHERE id BETWEEN ? AND ?")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	read := func() string {
		t.Helper()
		rows, err := st.Query(1, 3)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, ",")
	}
	expect := func(when, want string) {
		t.Helper()
		if got := read(); got != want {
			t.Errorf("%s: %q, want %q", when, got, want)
		}
	}
	before := rangeReadRuns.Load()
	for i := 0; i < 3; i++ {
		expect(fmt.Sprintf("read %d", i), "a,b,c")
	}
	mustExec(t, b, "UPDATE rr.t SET c = 'x' WHERE id = 2")
	expect("after another connection's commit", "a,x,c")
	// In a transaction the snapshot holds until COMMIT.
	mustExec(t, a, "BEGIN")
	expect("in a transaction", "a,x,c")
	mustExec(t, b, "UPDATE rr.t SET c = 'y' WHERE id = 3")
	expect("in a transaction after another commit", "a,x,c")
	mustExec(t, a, "COMMIT")
	expect("after COMMIT", "a,x,y")
	if n := rangeReadRuns.Load() - before; n < 4 {
		t.Errorf("%d range reads, want at least 4", n)
	}
}
