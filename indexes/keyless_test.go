package indexes_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/indexes"
	"github.com/quarrydb/quarry/internal/testserver"
)

// checkSearch runs the search manager's consistency check (every index
// holds exactly its table's rows).
func checkSearch(t *testing.T, srv *testserver.Server) {
	t.Helper()
	m, ok := srv.Store().Searcher().(*indexes.Manager)
	if !ok {
		t.Fatal("no search manager")
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestKeylessSearch: a FULLTEXT index on a table without a primary key
// returns every copy of a duplicated row, follows inserts, deletes of one
// copy and updates, counts copies in COUNT(*), scores every copy alike,
// and survives a restart.
func TestKeylessSearch(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, dir)
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	mustExec(t, db, "CREATE TABLE k (tag VARCHAR(20), body TEXT, FULLTEXT KEY ft (body))")
	mustExec(t, db, "INSERT INTO k VALUES ('a', 'red apple'), ('a', 'red apple'), ('b', 'green pear'), ('c', 'red apple')")
	match := "SELECT tag FROM k WHERE MATCH(body) AGAINST(?) ORDER BY tag"
	want := func(q string, w []string, args ...any) {
		t.Helper()
		if got := queryStrings(t, db, q, args...); !slices.Equal(got, w) {
			t.Errorf("%s %v: got %v, want %v", q, args, got, w)
		}
	}
	want(match, []string{"a", "a", "c"}, "apple")
	want("SELECT COUNT(*) FROM k WHERE MATCH(body) AGAINST(?)", []string{"3"}, "apple")
	want("SELECT COUNT(DISTINCT MATCH(body) AGAINST('apple')) FROM k WHERE MATCH(body) AGAINST('apple')", []string{"1"})
	want("SELECT tag FROM k ORDER BY MATCH(body) AGAINST('pear') DESC, tag LIMIT 1", []string{"b"})
	// One copy goes; the other stays found.
	mustExec(t, db, "DELETE FROM k WHERE tag = 'a' LIMIT 1")
	want(match, []string{"a", "c"}, "apple")
	mustExec(t, db, "UPDATE k SET body = 'yellow pear' WHERE tag = 'c'")
	want(match, []string{"a"}, "apple")
	want(match, []string{"b", "c"}, "pear")
	mustExec(t, db, "DELETE FROM k WHERE tag = 'a'")
	want(match, nil, "apple")
	// A transaction's own uncommitted copies are found, and are gone
	// after rollback.
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := tx.Exec("INSERT INTO k VALUES ('t', 'plum jam')"); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := tx.QueryRow("SELECT COUNT(*) FROM k WHERE MATCH(body) AGAINST('plum')").Scan(&n); err != nil || n != 2 {
		t.Errorf("in the transaction: %d rows, %v; want 2", n, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	want(match, nil, "plum")
	mustExec(t, db, "INSERT INTO k VALUES ('p', 'plum jam'), ('p', 'plum jam')")
	checkSearch(t, srv)
	srv.Stop()

	srv = testserver.Start(t, dir)
	db = srv.Open("d")
	want(match, []string{"p", "p"}, "plum")
	want(match, []string{"b", "c"}, "pear")
	checkSearch(t, srv)
}

// TestKeylessSearchDifferential applies random inserts (with many
// duplicates), single-copy deletes and updates to a keyless table with a
// FULLTEXT index and checks, after every step, that MATCH returns exactly
// the rows (with their multiplicity) that contain the word, computed from
// a plain scan of the table.
func TestKeylessSearchDifferential(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	mustExec(t, db, "CREATE TABLE k (n INT, body VARCHAR(100), FULLTEXT KEY ft (body))")
	r := rand.New(rand.NewPCG(42, 7))
	ws := words[:4]
	text := func() string { return ws[r.IntN(len(ws))] + " " + ws[r.IntN(len(ws))] }
	steps := 150
	if testing.Short() {
		steps = 50
	}
	for step := 0; step < steps; step++ {
		switch r.IntN(4) {
		case 0, 1:
			mustExec(t, db, "INSERT INTO k VALUES (?, ?)", r.IntN(3), text())
		case 2:
			mustExec(t, db, "DELETE FROM k WHERE n = ? LIMIT 1", r.IntN(3))
		case 3:
			mustExec(t, db, "UPDATE k SET body = ? WHERE n = ? LIMIT 1", text(), r.IntN(3))
		}
		w := ws[r.IntN(len(ws))]
		var expect []string
		for _, row := range queryStrings(t, db, "SELECT n, body FROM k") {
			n, body, _ := strings.Cut(row, "|")
			if slices.Contains(strings.Fields(body), w) {
				expect = append(expect, n+"|"+body)
			}
		}
		slices.Sort(expect)
		q := "SELECT n, body FROM k WHERE MATCH(body) AGAINST(?)"
		if r.IntN(2) == 0 {
			q = "SELECT n, body FROM k WHERE MATCH(body) AGAINST(? IN BOOLEAN MODE)"
			w = "+" + w
		}
		got := queryStrings(t, db, q, w)
		slices.Sort(got)
		if !slices.Equal(got, expect) {
			t.Fatalf("step %d: %s %q: got %v, want %v", step, q, w, got, expect)
		}
		var cnt int
		if err := db.QueryRow("SELECT COUNT(*) FROM k WHERE MATCH(body) AGAINST(?)", strings.TrimPrefix(w, "+")).Scan(&cnt); err != nil {
			t.Fatal(err)
		}
		if cnt != len(expect) {
			t.Fatalf("step %d: COUNT(*) for %q: got %d, want %d", step, w, cnt, len(expect))
		}
	}
	checkSearch(t, srv)
}

// TestSearchPrimaryKeyChanges: dropping a table's primary key re-keys its
// FULLTEXT documents by row content, and adding one re-keys them by the
// key; searches stay right throughout.
func TestSearchPrimaryKeyChanges(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, body TEXT, FULLTEXT KEY ft (body))")
	mustExec(t, db, "INSERT INTO t VALUES (1, 'red apple'), (2, 'green pear'), (3, 'apple pie')")
	q := "SELECT id FROM t WHERE MATCH(body) AGAINST('apple') ORDER BY id"
	for _, step := range []struct {
		sql  string
		want []string
	}{
		{"ALTER TABLE t DROP PRIMARY KEY", []string{"1", "3"}},
		{"INSERT INTO t VALUES (3, 'apple pie')", []string{"1", "3", "3"}},
		{"DELETE FROM t WHERE id = 3 LIMIT 1", []string{"1", "3"}},
		{"ALTER TABLE t ADD PRIMARY KEY (id)", []string{"1", "3"}},
	} {
		mustExec(t, db, step.sql)
		if got := queryStrings(t, db, q); !slices.Equal(got, step.want) {
			t.Errorf("after %s: got %v, want %v", step.sql, got, step.want)
		}
		checkSearch(t, srv)
	}
}

// TestSearchCaseSensitiveCollation: a column with a case-sensitive
// collation (_bin, _as_cs) matches words case-sensitively, in natural and
// boolean mode (prefixes too); a case-insensitive one does not.
func TestSearchCaseSensitiveCollation(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	mustExec(t, db, `CREATE TABLE t (id INT PRIMARY KEY,
		bin VARCHAR(100) COLLATE utf8mb4_0900_bin, cs VARCHAR(100) COLLATE utf8mb4_0900_as_cs,
		ci VARCHAR(100) COLLATE utf8mb4_0900_ai_ci,
		FULLTEXT KEY fb (bin), FULLTEXT KEY fc (cs), FULLTEXT KEY fi (ci))`)
	mustExec(t, db, "INSERT INTO t VALUES (1, 'Apple pie', 'Apple pie', 'Apple pie'), (2, 'apple tart', 'apple tart', 'apple tart')")
	for _, c := range []struct {
		col, against string
		want         []string
	}{
		{"bin", "'Apple'", []string{"1"}},
		{"bin", "'apple'", []string{"2"}},
		{"bin", "'APPLE'", nil},
		{"bin", "'+Appl*' IN BOOLEAN MODE", []string{"1"}},
		{"bin", "'+appl*' IN BOOLEAN MODE", []string{"2"}},
		{"bin", "'\"Apple pie\"' IN BOOLEAN MODE", []string{"1"}},
		{"bin", "'\"apple pie\"' IN BOOLEAN MODE", nil},
		{"cs", "'Apple'", []string{"1"}},
		{"cs", "'apple'", []string{"2"}},
		{"ci", "'APPLE'", []string{"1", "2"}},
		{"ci", "'+APPL*' IN BOOLEAN MODE", []string{"1", "2"}},
	} {
		q := fmt.Sprintf("SELECT id FROM t WHERE MATCH(%s) AGAINST(%s) ORDER BY id", c.col, c.against)
		if got := queryStrings(t, db, q); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", q, got, c.want)
		}
		// The relevance of each row agrees with the lookup.
		q = fmt.Sprintf("SELECT id FROM t WHERE MATCH(%s) AGAINST(%s) > 0 OR id < 0 ORDER BY id", c.col, c.against)
		if got := queryStrings(t, db, q); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", q, got, c.want)
		}
	}
}

// TestSearchTokenLimit: as InnoDB (innodb_ft_max_token_size 84), a word
// of more than 84 characters is not indexed and a search for one matches
// nothing; a word of 84 characters (multi-byte ones included) is found.
func TestSearchTokenLimit(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, body TEXT, FULLTEXT KEY ft (body), FULLTEXT KEY fc (body) COMMENT 'analyzer=cjk')")
	w84, w85 := strings.Repeat("a", 84), strings.Repeat("b", 85)
	e84, e85 := strings.Repeat("é", 84), strings.Repeat("ü", 85)
	mustExec(t, db, "INSERT INTO t VALUES (1, ?), (2, ?), (3, ?), (4, ?)", w84+" x", w85+" x", e84, e85)
	for _, c := range []struct {
		against string
		want    []string
	}{
		{w84, []string{"1"}},
		{w85, nil},
		{w85[:84], nil},
		{e84, []string{"3"}},
		{e85, nil},
	} {
		for _, idx := range []string{"", " USE INDEX (fc)"} {
			q := "SELECT id FROM t" + idx + " WHERE MATCH(body) AGAINST(?) ORDER BY id"
			if got := queryStrings(t, db, q, c.against); !slices.Equal(got, c.want) {
				t.Errorf("%s (%d chars): got %v, want %v", q, len([]rune(c.against)), got, c.want)
			}
		}
	}
}

// TestSearchInvalidColumnType: a FULLTEXT text field must be a CHAR,
// VARCHAR or TEXT column (MySQL's ER_BAD_FT_COLUMN, 1283); a typed field
// declared in the COMMENT may be of another type.
func TestSearchInvalidColumnType(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	for _, q := range []string{
		"CREATE TABLE t1 (v1 VARCHAR(200), v2 BIGINT, FULLTEXT idx (v1, v2))",
		"CREATE TABLE t2 (id INT PRIMARY KEY, b BLOB, FULLTEXT idx (b))",
	} {
		_, err := db.ExecContext(context.Background(), q)
		var me *mysql.MySQLError
		if !errors.As(err, &me) || me.Number != 1283 {
			t.Errorf("%s: got %v, want error 1283", q, err)
		}
	}
	mustExec(t, db, "CREATE TABLE t3 (id INT PRIMARY KEY, title VARCHAR(100), n BIGINT, FULLTEXT idx (title, n) COMMENT 'n=long')")
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'd'").Scan(&n); err != nil || n != 1 {
		t.Errorf("tables after the refused CREATEs: %d, %v; want 1", n, err)
	}
}

// TestKeylessConcurrentSearch runs writers that insert duplicate rows,
// delete single copies and update rows of a keyless table against
// searchers: every row a search returns contains the word searched for,
// and afterwards the index holds exactly the table's rows and MATCH finds
// every copy.
func TestKeylessConcurrentSearch(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	mustExec(t, db, "CREATE TABLE k (n INT, body VARCHAR(100), FULLTEXT KEY ft (body))")
	dur := 2 * time.Second
	if testing.Short() {
		dur = 700 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var wg sync.WaitGroup
	var failures, searches atomic.Int64
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 5 {
			t.Errorf(format, args...)
		}
	}
	ws := words[:4]
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 9))
			for ctx.Err() == nil {
				var err error
				switch r.IntN(4) {
				case 0, 1:
					_, err = db.Exec("INSERT INTO k VALUES (?, ?)", r.IntN(3), ws[r.IntN(len(ws))])
				case 2:
					_, err = db.Exec("DELETE FROM k WHERE n = ? LIMIT 1", r.IntN(3))
				case 3:
					_, err = db.Exec("UPDATE k SET body = ? WHERE n = ? LIMIT 1", ws[r.IntN(len(ws))], r.IntN(3))
				}
				if err != nil && !strings.Contains(err.Error(), "Deadlock") && !strings.Contains(err.Error(), "Lock wait") {
					fail("write: %v", err)
				}
			}
		}(uint64(w))
	}
	for s := 0; s < 2; s++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 10))
			for ctx.Err() == nil {
				w := ws[r.IntN(len(ws))]
				rows, err := db.Query("SELECT n, body FROM k WHERE MATCH(body) AGAINST(?)", w)
				if err != nil {
					fail("search: %v", err)
					return
				}
				for rows.Next() {
					var n int
					var body string
					if err := rows.Scan(&n, &body); err != nil {
						fail("scan: %v", err)
					}
					if body != w {
						fail("search for %q returned %q", w, body)
					}
				}
				rows.Close()
				searches.Add(1)
			}
		}(uint64(s))
	}
	wg.Wait()
	t.Logf("%d searches", searches.Load())
	checkSearch(t, srv)
	for _, w := range ws {
		var scan, match int
		if err := db.QueryRow("SELECT COUNT(*) FROM k WHERE body = ?", w).Scan(&scan); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow("SELECT COUNT(*) FROM k WHERE MATCH(body) AGAINST(?)", w).Scan(&match); err != nil {
			t.Fatal(err)
		}
		if scan != match {
			t.Errorf("%q: %d rows, MATCH finds %d", w, scan, match)
		}
	}
}
