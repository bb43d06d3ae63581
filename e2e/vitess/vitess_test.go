//go:build vitess

// Package vitess tests Quarry shards behind Vitess: deploy/vitess/cluster.sh
// starts etcd, vtctld, two Quarry shards with unmanaged vttablets and vtgate;
// the tests go through vtgate and check each shard directly.
//
//	go test -tags vitess -count=1 -v ./e2e/vitess/
//
// It is behind a build tag: building Vitess takes minutes and the cluster
// needs fixed ports, so it stays out of .ci/run.
package vitess

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/bench/orders"
	"github.com/quarrydb/quarry/internal/testserver"
)

const (
	password = "vtpass"
	vtgate   = "127.0.0.1:15306"
	keyspace = "commerce"
	rows     = 2000
)

var shards = []struct{ name, addr string }{{"-80", "127.0.0.1:17100"}, {"80-", "127.0.0.1:17200"}}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "quarry-vitess-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	script, _ := filepath.Abs("../../deploy/vitess/cluster.sh")
	run := func(arg string) error {
		cmd := exec.Command(script, arg)
		cmd.Env = append(os.Environ(), "VT_DIR="+dir)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd.Run()
	}
	code := 1
	if err := run("up"); err != nil {
		fmt.Fprintf(os.Stderr, "cluster up: %v (logs in %s/logs)\n", err, dir)
	} else {
		code = m.Run()
	}
	_ = run("down")
	if code == 0 {
		os.RemoveAll(dir)
	} else {
		fmt.Fprintf(os.Stderr, "cluster logs kept in %s/logs\n", dir)
	}
	os.Exit(code)
}

func open(t *testing.T, addr, user, pass string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", fmt.Sprintf("%s:%s@tcp(%s)/%s?parseTime=true", user, pass, addr, keyspace))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec1(t *testing.T, db interface {
	Exec(string, ...any) (sql.Result, error)
}, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		if len(q) > 200 {
			q = q[:200] + "..."
		}
		t.Fatalf("%s: %v", q, err)
	}
}

// trackedColumns returns the columns vtgate's schema tracking knows for
// keyspace.table (from vtgate's /debug/vschema), or nil.
func trackedColumns(t *testing.T, table string) []string {
	t.Helper()
	resp, err := http.Get("http://127.0.0.1:15001/debug/vschema")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var vs struct {
		Keyspaces map[string]struct {
			Tables map[string]struct {
				Columns []struct{ Name string }
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&vs); err != nil {
		t.Fatalf("vtgate /debug/vschema: %v", err)
	}
	var cols []string
	for _, c := range vs.Keyspaces[keyspace].Tables[table].Columns {
		cols = append(cols, c.Name)
	}
	return cols
}

// waitTracked waits until vtgate's schema tracking knows column of table.
func waitTracked(t *testing.T, table, column string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		cols := trackedColumns(t, table)
		for _, c := range cols {
			if c == column {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("vtgate's schema tracking does not know %s.%s (knows %v)", table, column, cols)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func queryRows(t *testing.T, db *sql.DB, q string) [][]string {
	t.Helper()
	rs, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out [][]string
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
			if !v.Valid {
				row[i] = "NULL"
			}
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// loaded is the dataset every test reads; TestLoad writes it through vtgate
// and into a single reference Quarry.
var (
	gen = orders.New(rows)
	ref *sql.DB
)

func TestCluster(t *testing.T) {
	gate := open(t, vtgate, "root", "")
	// Schema tracking: vtgate learns orders' columns from the shards (an
	// INSERT without a column list needs them).
	waitTracked(t, "orders", "title")

	single := testserver.Start(t, t.TempDir())
	ref = single.Open("")
	exec1(t, ref, "CREATE DATABASE "+keyspace)
	ref.Close()
	ref = single.Open(keyspace)
	schema, err := os.ReadFile("../../deploy/vitess/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	exec1(t, ref, string(schema))

	t.Run("load", func(t *testing.T) {
		for from := int64(1); from <= rows; from += 250 {
			var vals []string
			for i := from; i < from+250 && i <= rows; i++ {
				vals = append(vals, gen.Row(i).Values())
			}
			q := "INSERT INTO orders VALUES " + strings.Join(vals, ",")
			exec1(t, gate, q)
			exec1(t, ref, q)
		}
		if n := count(t, gate, "SELECT COUNT(*) FROM orders"); n != rows {
			t.Fatalf("COUNT(*) through vtgate = %d, want %d", n, rows)
		}
	})

	t.Run("rows land on the shard the vindex names", func(t *testing.T) {
		total := 0
		for _, sh := range shards {
			db := open(t, sh.addr, "root", password)
			n := count(t, db, "SELECT COUNT(*) FROM orders")
			t.Logf("shard %s holds %d rows", sh.name, n)
			if n == 0 {
				t.Errorf("shard %s is empty", sh.name)
			}
			total += n
			// Every user on this shard must map to it by the hash vindex.
			users := queryRows(t, db, "SELECT DISTINCT user_id FROM orders ORDER BY user_id LIMIT 50")
			for _, u := range users {
				var shard string
				if err := gate.QueryRow("SELECT shard FROM hash WHERE id = " + u[0]).Scan(&shard); err != nil {
					t.Fatalf("vindex lookup of %s: %v", u[0], err)
				}
				if shard != sh.name {
					t.Fatalf("user %s is stored on %s but the vindex maps it to %s", u[0], sh.name, shard)
				}
			}
		}
		if total != rows {
			t.Fatalf("shards hold %d rows in all, want %d", total, rows)
		}
	})

	t.Run("point queries route to one shard", func(t *testing.T) {
		var plan string
		if err := gate.QueryRow("VEXPLAIN PLAN SELECT * FROM orders WHERE user_id = 42").Scan(&plan); err != nil {
			t.Fatal(err)
		}
		var p struct {
			OperatorType, Variant string
			Keyspace              struct{ Sharded bool }
		}
		if err := json.Unmarshal([]byte(plan), &p); err != nil {
			t.Fatalf("plan %s: %v", plan, err)
		}
		if p.Variant != "EqualUnique" {
			t.Fatalf("user_id = 42 routes as %q, want EqualUnique (single shard):\n%s", p.Variant, plan)
		}
		got := queryRows(t, gate, "SELECT order_id, amount_cents FROM orders WHERE user_id = 42 ORDER BY order_id")
		want := queryRows(t, ref, "SELECT order_id, amount_cents FROM orders WHERE user_id = 42 ORDER BY order_id")
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("user 42: vtgate %v, single Quarry %v", got, want)
		}
	})

	t.Run("scatter aggregates equal a single Quarry", func(t *testing.T) {
		for _, q := range []string{
			"SELECT COUNT(*), SUM(amount_cents), MIN(created_at), MAX(amount_cents) FROM orders",
			"SELECT status, COUNT(*), SUM(amount_cents) FROM orders GROUP BY status ORDER BY status",
			"SELECT region, category, SUM(amount_cents) AS s FROM orders GROUP BY region, category ORDER BY s DESC, region, category LIMIT 10",
			"SELECT seller_id, COUNT(*) AS n FROM orders GROUP BY seller_id ORDER BY n DESC, seller_id LIMIT 10",
			"SELECT order_id, title FROM orders ORDER BY title, order_id LIMIT 15",
			"SELECT order_id, amount_cents FROM orders ORDER BY amount_cents DESC, order_id LIMIT 10",
			"SELECT COUNT(DISTINCT user_id) FROM orders",
		} {
			got := queryRows(t, gate, q)
			want := queryRows(t, ref, q)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s\n vtgate:        %v\n single Quarry: %v", q, got, want)
			} else {
				t.Logf("%s → %v", q, firstRows(got, 3))
			}
		}
	})

	t.Run("MATCH AGAINST across shards", func(t *testing.T) {
		for _, q := range []string{
			"SELECT order_id FROM orders WHERE MATCH(title) AGAINST('tripod') ORDER BY order_id",
			"SELECT order_id FROM orders WHERE MATCH(title) AGAINST('+drone +tripod -black' IN BOOLEAN MODE) ORDER BY order_id",
			"SELECT COUNT(*) FROM orders WHERE MATCH(title) AGAINST('+无人机' IN BOOLEAN MODE)",
		} {
			got, want := queryRows(t, gate, q), queryRows(t, ref, q)
			if len(want) == 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("%s\n vtgate:        %d rows %v\n single Quarry: %d rows %v", q, len(got), firstRows(got, 5), len(want), firstRows(want, 5))
			} else {
				t.Logf("%s → %d rows", q, len(got))
			}
		}
		// Ranked top-k: vtgate merge-sorts the shards' scores (weight_string of
		// a DOUBLE). Scores come from per-shard BM25 statistics, so only the
		// shape is checked: 10 rows, each a real match, scores descending.
		rows := queryRows(t, gate, "SELECT order_id, MATCH(title) AGAINST('drone tripod') AS score FROM orders WHERE MATCH(title) AGAINST('drone tripod') ORDER BY score DESC LIMIT 10")
		if len(rows) != 10 {
			t.Fatalf("top-10 through vtgate returned %d rows", len(rows))
		}
		prev := ""
		for _, r := range rows {
			if prev != "" && compareFloat(r[1], prev) > 0 {
				t.Fatalf("scores not descending: %v", rows)
			}
			prev = r[1]
			if n := count(t, ref, "SELECT COUNT(*) FROM orders WHERE order_id = "+r[0]+" AND MATCH(title) AGAINST('drone tripod')"); n != 1 {
				t.Fatalf("top-k row %s does not match on a single Quarry", r[0])
			}
		}
	})

	t.Run("multi-shard transactions", func(t *testing.T) {
		// Two users on different shards (checked through the vindex).
		a, b := userOn(t, gate, "-80"), userOn(t, gate, "80-")
		tx, err := gate.Begin()
		if err != nil {
			t.Fatal(err)
		}
		exec1(t, tx, "INSERT INTO orders VALUES (900001, ?, 1, 'paid', 'toys', 'north', 100, NOW(), 'rollback a')", a)
		exec1(t, tx, "INSERT INTO orders VALUES (900002, ?, 1, 'paid', 'toys', 'north', 100, NOW(), 'rollback b')", b)
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if n := count(t, gate, "SELECT COUNT(*) FROM orders WHERE order_id IN (900001, 900002)"); n != 0 {
			t.Fatalf("%d rows visible after ROLLBACK", n)
		}
		tx, err = gate.Begin()
		if err != nil {
			t.Fatal(err)
		}
		exec1(t, tx, "INSERT INTO orders VALUES (900003, ?, 1, 'paid', 'toys', 'north', 100, NOW(), 'commit a')", a)
		exec1(t, tx, "INSERT INTO orders VALUES (900004, ?, 1, 'paid', 'toys', 'north', 100, NOW(), 'commit b')", b)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n := count(t, gate, "SELECT COUNT(*) FROM orders WHERE order_id IN (900003, 900004)"); n != 2 {
			t.Fatalf("%d of 2 rows visible after COMMIT", n)
		}
		for i, sh := range shards {
			db := open(t, sh.addr, "root", password)
			if n := count(t, db, "SELECT COUNT(*) FROM orders WHERE order_id = ?", 900003+i); n != 1 {
				t.Errorf("shard %s lacks its committed row %d", sh.name, 900003+i)
			}
		}
		exec1(t, gate, "DELETE FROM orders WHERE order_id IN (900003, 900004)")
	})

	t.Run("DDL through vtgate reaches schema tracking", func(t *testing.T) {
		// Column changes need the FULLTEXT index dropped first (Quarry
		// refuses them with 1235 otherwise); it is re-created after.
		exec1(t, gate, "ALTER TABLE orders DROP INDEX ft_title")
		exec1(t, gate, "ALTER TABLE orders ADD COLUMN note VARCHAR(64) NULL")
		exec1(t, gate, "ALTER TABLE orders ADD FULLTEXT INDEX ft_title (title)")
		waitTracked(t, "orders", "note")
		if n := count(t, gate, "SELECT COUNT(*) FROM orders WHERE MATCH(title) AGAINST('tripod')"); n == 0 {
			t.Fatal("the re-created FULLTEXT index finds nothing")
		}
		got := queryRows(t, gate, "SELECT COUNT(*) FROM orders WHERE note IS NULL")
		if got[0][0] != fmt.Sprint(rows) {
			t.Fatalf("rows with NULL note: %v, want %d", got, rows)
		}
	})
}

// userOn returns a user id that the hash vindex maps to shard.
func userOn(t *testing.T, gate *sql.DB, shard string) int {
	t.Helper()
	for u := 1_000_000; u < 1_000_100; u++ {
		var s string
		if err := gate.QueryRow(fmt.Sprintf("SELECT shard FROM hash WHERE id = %d", u)).Scan(&s); err != nil {
			t.Fatal(err)
		}
		if s == shard {
			return u
		}
	}
	t.Fatalf("no user maps to %s", shard)
	return 0
}

func compareFloat(a, b string) int {
	x, _ := strconv.ParseFloat(a, 64)
	y, _ := strconv.ParseFloat(b, 64)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func firstRows(r [][]string, n int) [][]string {
	if len(r) > n {
		return r[:n]
	}
	return r
}
