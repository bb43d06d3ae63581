package sqlserver_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/internal/testserver"
)

// loadColumns are the columns of the LOAD DATA differential tables, with
// file fields that convert, truncate, overflow, fail or are NULL.
var loadColumns = []struct {
	def    string
	fields []string
}{
	{"i TINYINT NULL", []string{"1", "127", "128", "-129", "12", "abc", "1.5", "", `\N`, "NULL"}},
	{"u INT UNSIGNED NOT NULL DEFAULT 0", []string{"0", "-1", "4294967295", "4294967296", "7", "3.7", `\N`, ""}},
	{"d DECIMAL(6,2) NULL", []string{"1.005", "9999.99", "10000", "12.345", "-0.5", "1e2", "x", ""}},
	{"f DOUBLE NULL", []string{"1.5", "1e308", "3.25", "-0", ".5", "5.", "1e400"}},
	{"vc VARCHAR(5) NULL", []string{"abc", "abcdef", "中文😀", "", `a"b`, "12", `x\ty`, "a,b", `q\\`}},
	{"lat VARCHAR(4) CHARACTER SET latin1 NULL", []string{"abc", "é", "中", "abcde"}},
	{"e ENUM('x','y') NULL", []string{"x", "Y", "z", "", "1"}},
	{"dt DATETIME NULL", []string{"2024-01-02 03:04:05", "2024-02-30 00:00:00", "2024-01-02", "2024-01-02 03:04:05.6",
		"0000-00-00 00:00:00", "1999-12-31 23:59:59.999999", "abc", "2024-1-2 3:4:5", "0999-01-01 00:00:00", "2024-01-02T03:04:05", ""}},
	{"dt3 DATETIME(3) NULL", []string{"2024-01-02 03:04:05.1234", "2024-01-02 03:04:05.9999", "2024-12-31 23:59:59.9996", "2024-01-02"}},
	{"da DATE NULL", []string{"2024-01-02", "2024-01-02 10:00:00", "2023-02-29", "2024-02-29", "20240102"}},
	{"j JSON NULL", []string{`{"a": 1}`, "[1", `\N`, "[]"}},
	{"tx TEXT NULL", []string{"some text", "", "hello world", "red shoes"}},
	{"nn VARCHAR(3) NOT NULL DEFAULT 'd'", []string{"ok", `\N`, "toolong", ""}},
}

// loadFormat is a FIELDS/LINES clause and how to write a file for it.
type loadFormat struct {
	clause    string
	fieldSep  string
	lineSep   string
	lineStart string
	enclose   string // written around some fields
}

var loadFormats = []loadFormat{
	{clause: `FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' LINES TERMINATED BY '\n'`, fieldSep: ",", lineSep: "\n", enclose: `"`},
	{clause: ``, fieldSep: "\t", lineSep: "\n"},
	{clause: `FIELDS TERMINATED BY '||' ESCAPED BY '' LINES TERMINATED BY '\r\n'`, fieldSep: "||", lineSep: "\r\n"},
	{clause: `FIELDS TERMINATED BY ';' ENCLOSED BY '\'' LINES STARTING BY '>>' TERMINATED BY '\n'`, fieldSep: ";", lineSep: "\n", lineStart: ">>", enclose: "'"},
}

// TestLoadDataBulkMatchesGMS loads random files with random LOAD DATA
// statements through the bulk path (quarry_bulk_load=1) into one table and
// through GMS's row-by-row path (quarry_bulk_load=0) into an identical
// one, in strict and non-strict sql_mode, and requires the same errors,
// affected rows, warnings, rows, AUTO_INCREMENT counters and search
// results, and a consistent store.
func TestLoadDataBulkMatchesGMS(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	admin := srv.Open("")
	var defs []string
	for _, c := range loadColumns {
		defs = append(defs, c.def)
	}
	for _, q := range []string{"CREATE DATABASE ld", "SET GLOBAL local_infile = 1",
		// Not CREATE TABLE ... LIKE: it rejects the FULLTEXT key (error 1170).
		"CREATE TABLE ld.f (id INT AUTO_INCREMENT PRIMARY KEY, " + strings.Join(defs, ", ") + ", KEY kdt (dt), KEY kvc (vc, i), FULLTEXT KEY ft (tx))",
		"CREATE TABLE ld.s (id INT AUTO_INCREMENT PRIMARY KEY, " + strings.Join(defs, ", ") + ", KEY kdt (dt), KEY kvc (vc, i), FULLTEXT KEY ft (tx))"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ctx := context.Background()
	db, err := sql.Open("mysql", "root@tcp("+srv.Addr+")/ld?allowAllFiles=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn := func(bulk int) *sql.Conn {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ExecContext(ctx, fmt.Sprintf("SET quarry_bulk_load = %d", bulk)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	fast, slow := conn(1), conn(0)
	dir := t.TempDir()
	seed := int64(11)
	if v, err := strconv.ParseInt(os.Getenv("QUARRY_LOADDATA_SEED"), 10, 64); err == nil {
		seed = v
	}
	rng := rand.New(rand.NewSource(seed))
	nextID := 1
	colNames := []string{"id"}
	for _, c := range loadColumns {
		colNames = append(colNames, strings.Fields(c.def)[0])
	}

	// writeFile writes n records for the columns cols (indexes into
	// colNames, -1 for a field read into a user variable) in format f.
	// One field in dirt (never, with dirt 0) takes a random value from its
	// column's list instead of the first, valid one.
	writeFile := func(name string, f loadFormat, cols []int, n, ignore, dirt int) string {
		var b strings.Builder
		for i := 0; i < ignore; i++ {
			b.WriteString("header line" + f.lineSep)
		}
		for r := 0; r < n; r++ {
			if f.lineStart != "" {
				if rng.Intn(5) == 0 {
					b.WriteString("junk ")
				}
				b.WriteString(f.lineStart)
			}
			for k, c := range cols {
				if k > 0 {
					b.WriteString(f.fieldSep)
				}
				var v string
				switch {
				case c == 0:
					switch x := rng.Intn(25); {
					case x == 0:
						v = ""
					case x == 1:
						v = `\N`
					case x == 2 && dirt > 0:
						v = "0"
					case x == 3 && dirt > 0:
						v = fmt.Sprint(rng.Intn(nextID) + 1) // likely a duplicate
					case x == 4 && nextID > 50 && dirt > 0:
						v = fmt.Sprint(nextID - 40 + rng.Intn(20)) // out of order
					default:
						v = fmt.Sprint(nextID)
						nextID += 1 + rng.Intn(3)
					}
				case c < 0:
					v = fmt.Sprint(rng.Intn(1000))
				default:
					fs := loadColumns[c-1].fields
					if dirt == 0 || rng.Intn(dirt) != 0 {
						v = fs[0]
					} else {
						v = fs[rng.Intn(len(fs))]
					}
				}
				if f.enclose != "" && rng.Intn(3) == 0 && v != `\N` {
					v = f.enclose + strings.ReplaceAll(v, f.enclose, f.enclose+f.enclose) + f.enclose
				}
				b.WriteString(v)
			}
			if rng.Intn(30) == 0 && len(cols) > 1 {
				b.WriteString(f.fieldSep + "extra")
			}
			b.WriteString(f.lineSep)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	type outcome struct {
		code     uint16
		affected int64
		id       int64
		warnings string
	}
	run := func(c *sql.Conn, q string) outcome {
		var o outcome
		res, err := c.ExecContext(ctx, q)
		if err != nil {
			var me *mysql.MySQLError
			if !errors.As(err, &me) {
				t.Fatalf("%s: %v", q, err)
			}
			o.code = me.Number
		} else {
			o.affected, _ = res.RowsAffected()
			o.id, _ = res.LastInsertId()
		}
		rows, err := c.QueryContext(ctx, "SHOW WARNINGS")
		if err != nil {
			t.Fatal(err)
		}
		var w strings.Builder
		for rows.Next() {
			var level, msg string
			var code int
			if err := rows.Scan(&level, &code, &msg); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&w, "%s %d %s\n", level, code, msg)
		}
		rows.Close()
		o.warnings = w.String()
		return o
	}
	bulk0 := srv.Store().Stats().BulkLoads.Load()
	statements := 0
	for _, mode := range []string{"STRICT_TRANS_TABLES", "", "NO_AUTO_VALUE_ON_ZERO"} {
		for _, c := range []*sql.Conn{fast, slow} {
			if _, err := c.ExecContext(ctx, "SET sql_mode = '"+mode+"'"); err != nil {
				t.Fatal(err)
			}
		}
		for n := 0; n < 40; n++ {
			f := loadFormats[rng.Intn(len(loadFormats))]
			// The column list: all columns (no list), or a shuffled subset
			// with the id first, user variables and SET clauses.
			var cols []int
			list, set := "", ""
			if rng.Intn(2) == 0 {
				for i := range colNames {
					cols = append(cols, i)
				}
			} else {
				cols = []int{0}
				var names []string
				names = append(names, "id")
				for _, i := range rng.Perm(len(colNames) - 1) {
					if rng.Intn(2) == 0 {
						cols = append(cols, i+1)
						names = append(names, colNames[i+1])
					}
				}
				if rng.Intn(2) == 0 {
					cols = append(cols, -1)
					names = append(names, "@v")
					set = " SET tx = CONCAT('v', @v)"
				}
				list = " (" + strings.Join(names, ", ") + ")"
			}
			ignore := 0
			if rng.Intn(4) == 0 {
				ignore = 1 + rng.Intn(2)
			}
			rows := rng.Intn(60)
			if rng.Intn(10) == 0 {
				rows = 2000 + rng.Intn(3000)
			}
			dirt := []int{0, 0, 2000, 200, 8}[rng.Intn(5)]
			path := writeFile(fmt.Sprintf("f%d.txt", statements), f, cols, rows, ignore, dirt)
			local := " LOCAL"
			if rng.Intn(3) == 0 {
				local = ""
			}
			dup := []string{"", "", " IGNORE", " REPLACE"}[rng.Intn(4)]
			ign := ""
			if ignore > 0 {
				ign = fmt.Sprintf(" IGNORE %d LINES", ignore)
			}
			stmt := func(table string) string {
				return fmt.Sprintf("LOAD DATA%s INFILE '%s'%s INTO TABLE %s %s%s%s%s", local, path, dup, table, f.clause, ign, list, set)
			}
			got, want := run(fast, stmt("f")), run(slow, stmt("s"))
			if os.Getenv("LDDEBUG") != "" {
				t.Logf("%s\n%+v", stmt("f"), got)
			}
			if got != want {
				t.Fatalf("sql_mode %q: %s\nbulk path: %+v\nGMS:       %+v", mode, stmt("f"), got, want)
			}
			statements++
		}
	}
	compareFastAndGMSTables(t, admin, "ld")
	for _, q := range []string{
		"SELECT COUNT(*) FROM ld.%s WHERE MATCH(tx) AGAINST('hello')",
		"SELECT COUNT(*) FROM ld.%s WHERE MATCH(tx) AGAINST('shoes')",
		"SELECT COUNT(*) FROM ld.%s WHERE dt > '2020-01-01'",
		"SELECT COUNT(*) FROM ld.%s WHERE vc = 'abc'",
	} {
		var a, b int
		if err := admin.QueryRow(fmt.Sprintf(q, "f")).Scan(&a); err != nil {
			t.Fatal(err)
		}
		if err := admin.QueryRow(fmt.Sprintf(q, "s")).Scan(&b); err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Fatalf("%s: bulk path %d, GMS %d", q, a, b)
		}
	}
	bulk := srv.Store().Stats().BulkLoads.Load() - bulk0
	t.Logf("%d statements per path; %d committed by ingest, %d moved to the overlay (REPLACE of a loaded row...)",
		statements, bulk, srv.Store().Stats().BulkLoadSpills.Load())
	if bulk < uint64(statements)/5 {
		t.Fatalf("only %d of %d statements took the bulk path: the comparison says little", bulk, statements)
	}
	if err := srv.Store().CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// TestLoadDataBulkIsolation checks that a bulk LOAD DATA is invisible to
// other sessions until it commits, that it is atomic when it fails, and
// that inside a transaction it commits and rolls back with it.
func TestLoadDataBulkIsolation(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	admin := srv.Open("")
	for _, q := range []string{"CREATE DATABASE li", "SET GLOBAL local_infile = 1",
		"CREATE TABLE li.t (id INT PRIMARY KEY, v VARCHAR(10) NOT NULL, KEY kv (v))"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	count := func() (n int) {
		t.Helper()
		if err := admin.QueryRow("SELECT COUNT(*) FROM li.t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// A reader that stops half way until the test has looked.
	half := make(chan struct{})
	resume := make(chan struct{})
	mysql.RegisterReaderHandler("halfway", func() io.Reader {
		var first, second strings.Builder
		for i := 1; i <= 5000; i++ {
			fmt.Fprintf(&first, "%d\tv%d\n", i, i%7)
		}
		for i := 5001; i <= 10000; i++ {
			fmt.Fprintf(&second, "%d\tv%d\n", i, i%7)
		}
		return io.MultiReader(strings.NewReader(first.String()), &gate{half: half, resume: resume}, strings.NewReader(second.String()))
	})
	defer mysql.DeregisterReaderHandler("halfway")
	db, err := sql.Open("mysql", "root@tcp("+srv.Addr+")/li")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bulk0 := srv.Store().Stats().BulkLoads.Load()
	done := make(chan error, 1)
	go func() {
		_, err := db.Exec("LOAD DATA LOCAL INFILE 'Reader::halfway' INTO TABLE t")
		done <- err
	}()
	select {
	case <-half:
	case err := <-done:
		t.Fatalf("LOAD DATA ended early: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("LOAD DATA did not start")
	}
	// Give the server time to insert the first half.
	time.Sleep(300 * time.Millisecond)
	if n := count(); n != 0 {
		t.Fatalf("another session sees %d rows of a running LOAD DATA", n)
	}
	close(resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 10000 {
		t.Fatalf("%d rows after LOAD DATA, want 10000", n)
	}
	if got := srv.Store().Stats().BulkLoads.Load() - bulk0; got != 1 {
		t.Fatalf("%d bulk loads committed, want 1", got)
	}

	// A failing statement (strict mode, a bad value in its last row)
	// leaves nothing.
	dir := t.TempDir()
	var b strings.Builder
	for i := 20001; i <= 23000; i++ {
		fmt.Fprintf(&b, "%d\tv\n", i)
	}
	b.WriteString("23001\tvalue too long\n")
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("SET SESSION sql_mode = 'STRICT_TRANS_TABLES'"); err != nil {
		t.Fatal(err)
	}
	c, err := admin.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	exec := func(q string) error {
		_, err := c.ExecContext(ctx, q)
		return err
	}
	if err := exec("SET sql_mode = 'STRICT_TRANS_TABLES'"); err != nil {
		t.Fatal(err)
	}
	if err := exec(fmt.Sprintf("LOAD DATA INFILE '%s' INTO TABLE li.t", bad)); err == nil {
		t.Fatal("a value too long was accepted in strict mode")
	}
	if n := count(); n != 10000 {
		t.Fatalf("%d rows after a failed LOAD DATA, want 10000", n)
	}
	// Inside a transaction: rolled back, then committed.
	good := filepath.Join(dir, "good.txt")
	b.Reset()
	for i := 30001; i <= 33000; i++ {
		fmt.Fprintf(&b, "%d\tv\n", i)
	}
	if err := os.WriteFile(good, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"BEGIN", fmt.Sprintf("LOAD DATA INFILE '%s' INTO TABLE li.t", good)} {
		if err := exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var own int
	if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM li.t").Scan(&own); err != nil || own != 13000 {
		t.Fatalf("the loading transaction sees %d rows (%v), want 13000", own, err)
	}
	if n := count(); n != 10000 {
		t.Fatalf("another session sees %d rows, want 10000", n)
	}
	if err := exec("ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 10000 {
		t.Fatalf("%d rows after ROLLBACK, want 10000", n)
	}
	for _, q := range []string{"SET autocommit = 0", fmt.Sprintf("LOAD DATA INFILE '%s' INTO TABLE li.t", good), "COMMIT", "SET autocommit = 1"} {
		if err := exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 13000 {
		t.Fatalf("%d rows after COMMIT, want 13000", n)
	}
	var nv int
	if err := admin.QueryRow("SELECT COUNT(*) FROM li.t WHERE v = 'v3'").Scan(&nv); err != nil || nv != 10000/7+1 {
		t.Fatalf("index lookup v = 'v3': %d (%v)", nv, err)
	}
	if err := srv.Store().CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// gate is a reader that signals half and then blocks until resume.
type gate struct {
	half, resume chan struct{}
	done         bool
}

func (g *gate) Read(p []byte) (int, error) {
	if !g.done {
		g.done = true
		close(g.half)
		<-g.resume
	}
	return 0, io.EOF
}

// TestLoadDataBulkConcurrentWriters checks the bulk load's key
// reservations against row locks: a writer of a key the load already
// wrote waits for the load and then finds the duplicate; a writer of a key
// the load has not reached runs at once, and the load, reaching it, waits
// for the writer's transaction and then skips the duplicate (LOCAL means
// IGNORE); writers of other keys never wait.
func TestLoadDataBulkConcurrentWriters(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	admin := srv.Open("")
	for _, q := range []string{"CREATE DATABASE lw", "SET GLOBAL local_infile = 1",
		"CREATE TABLE lw.t (id INT PRIMARY KEY, v VARCHAR(10) NOT NULL, KEY kv (v))"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	half := make(chan struct{})
	resume := make(chan struct{})
	mysql.RegisterReaderHandler("lw", func() io.Reader {
		var first, second strings.Builder
		for i := 1; i <= 5000; i++ {
			fmt.Fprintf(&first, "%d\tload\n", i)
		}
		for i := 5001; i <= 10000; i++ {
			fmt.Fprintf(&second, "%d\tload\n", i)
		}
		return io.MultiReader(strings.NewReader(first.String()), &gate{half: half, resume: resume}, strings.NewReader(second.String()))
	})
	defer mysql.DeregisterReaderHandler("lw")
	db, err := sql.Open("mysql", "root@tcp("+srv.Addr+")/lw")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	type result struct {
		affected int64
		err      error
	}
	loadDone := make(chan result, 1)
	go func() {
		res, err := db.Exec("LOAD DATA LOCAL INFILE 'Reader::lw' INTO TABLE t")
		var n int64
		if err == nil {
			n, _ = res.RowsAffected()
		}
		loadDone <- result{n, err}
	}()
	<-half
	time.Sleep(300 * time.Millisecond) // the first half is in the runs

	// A key the load wrote: the writer waits for the load.
	w1Done := make(chan error, 1)
	go func() {
		_, err := db.Exec("INSERT INTO t VALUES (100, 'w1')")
		w1Done <- err
	}()
	// A key nobody else writes: at once.
	start := time.Now()
	if _, err := db.Exec("INSERT INTO t VALUES (20000, 'w2')"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("a writer of an unrelated key waited %s", d)
	}
	// A key the load has not reached, held by an open transaction.
	w3, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w3.Close()
	for _, q := range []string{"BEGIN", "INSERT INTO t VALUES (7000, 'w3')"} {
		if _, err := w3.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-w1Done:
		t.Fatalf("the writer of a loaded key did not wait for the load: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(resume)
	select {
	case r := <-loadDone:
		t.Fatalf("the load did not wait for the open transaction holding its key: %+v", r)
	case <-time.After(500 * time.Millisecond):
	}
	if _, err := w3.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	r := <-loadDone
	if r.err != nil || r.affected != 9999 {
		t.Fatalf("LOAD DATA: %d rows, %v; want 9999 (7000 skipped)", r.affected, r.err)
	}
	var me *mysql.MySQLError
	if err := <-w1Done; !errors.As(err, &me) || me.Number != 1062 {
		t.Fatalf("the writer of a loaded key: %v, want error 1062", err)
	}
	for id, want := range map[int]string{100: "load", 7000: "w3", 20000: "w2", 9999: "load"} {
		var v string
		if err := admin.QueryRow("SELECT v FROM lw.t WHERE id = ?", id).Scan(&v); err != nil || v != want {
			t.Fatalf("row %d: %q %v, want %q", id, v, err, want)
		}
	}
	var n int
	if err := admin.QueryRow("SELECT COUNT(*) FROM lw.t").Scan(&n); err != nil || n != 10001 {
		t.Fatalf("%d rows (%v), want 10001", n, err)
	}
	if err := srv.Store().CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}
