package importer

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/internal/checksum"
	"github.com/quarrydb/quarry/internal/mariadbtest"
	"github.com/quarrydb/quarry/internal/testserver"
)

// shopSchema exercises what mariadb-dump emits with default options:
// charset and collation clauses, InnoDB options, AUTO_INCREMENT, extended
// INSERTs with escapes, NULLs, decimals and dates, a trigger and a view.
var shopSchema = []string{
	"CREATE DATABASE shop DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
	`CREATE TABLE shop.customers (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(200) CHARACTER SET ascii COLLATE ascii_general_ci DEFAULT NULL,
  created DATETIME NOT NULL DEFAULT '2020-01-01 00:00:00',
  PRIMARY KEY (id),
  UNIQUE KEY uk_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci ROW_FORMAT=DYNAMIC COMMENT='people'`,
	`CREATE TABLE shop.orders (
  order_id BIGINT NOT NULL AUTO_INCREMENT,
  customer_id INT UNSIGNED NOT NULL,
  status ENUM('new','paid','shipped') NOT NULL, -- no DEFAULT: Quarry's SHOW CREATE TABLE prints an ENUM default as its index (GMS v0.20)
  amount DECIMAL(10,2) NOT NULL,
  note TEXT,
  placed DATE DEFAULT NULL,
  PRIMARY KEY (order_id),
  KEY idx_customer (customer_id, placed)
) ENGINE=InnoDB AUTO_INCREMENT=1 DEFAULT CHARSET=utf8mb4`,
	`CREATE TABLE shop.order_log (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  what VARCHAR(20) NOT NULL
) ENGINE=InnoDB`,
	`CREATE TRIGGER shop.orders_ai AFTER INSERT ON shop.orders FOR EACH ROW INSERT INTO shop.order_log (order_id, what) VALUES (NEW.order_id, 'insert')`,
	`CREATE VIEW shop.big_orders AS SELECT order_id, amount FROM shop.orders WHERE amount > 100`,
}

func shopData(n int) []string {
	var out []string
	var b strings.Builder
	b.WriteString("INSERT INTO shop.customers (name, email, created) VALUES ")
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(",")
		}
		email := fmt.Sprintf("'c%d@example.com'", i)
		if i%10 == 0 {
			email = "NULL"
		}
		fmt.Fprintf(&b, "('Name %d O''Brien \\\\ 名前 \"q\"', %s, '2021-02-03 04:05:%02d')", i, email, i%60)
	}
	out = append(out, b.String())
	for i := 1; i <= n; i++ {
		note := "NULL"
		if i%3 == 0 {
			note = fmt.Sprintf("'line1\\nline2\\ttab %d'", i)
		}
		out = append(out, fmt.Sprintf("INSERT INTO shop.orders (customer_id, status, amount, note, placed) VALUES (%d, '%s', %d.%02d, %s, '2022-03-%02d')",
			1+i%n, []string{"new", "paid", "shipped"}[i%3], i*7%500, i%100, note, 1+i%28))
	}
	return out
}

func runTool(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, errb.String())
	}
	return out.Bytes()
}

func hostPort(addr string) (string, string) {
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}

func clientArgs(addr string) []string {
	h, p := hostPort(addr)
	return []string{"-h" + h, "-P" + p, "-uroot", "--protocol=TCP"}
}

func open(t *testing.T, addr string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", "root@tcp("+addr+")/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", truncate(s, 200), err)
		}
	}
}

func sums(t *testing.T, db *sql.DB, name string) map[string]checksum.Sum {
	t.Helper()
	s, err := checksum.Database(context.Background(), db, name)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) == 0 {
		t.Fatalf("no tables in %s", name)
	}
	return s
}

func requireTool(t *testing.T, name string) {
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed", name)
		}
		t.Skipf("%s not installed", name)
	}
}

// TestDumpRoundTrip: a default mariadb-dump of MariaDB loads into Quarry
// through the mariadb client and through Run with identical checksums,
// triggers and views; a mariadb-dump of Quarry loads back into MariaDB
// with identical checksums.
func TestDumpRoundTrip(t *testing.T) {
	requireTool(t, "mariadb-dump")
	requireTool(t, "mariadb")
	maria := mariadbtest.StartT(t, mariadbtest.Options{})
	mdb := open(t, maria.Addr())
	mustExec(t, mdb, shopSchema...)
	mustExec(t, mdb, shopData(300)...)
	want := sums(t, mdb, "shop")

	dump := runTool(t, nil, "mariadb-dump", append(clientArgs(maria.Addr()), "--databases", "shop")...)
	for _, s := range []string{"/*!40101 SET", "LOCK TABLES", "DISABLE KEYS", "TRIGGER", "VIEW", "DELIMITER"} {
		if !bytes.Contains(dump, []byte(s)) {
			t.Fatalf("dump has no %q; the test does not cover it", s)
		}
	}

	check := func(t *testing.T, q *sql.DB) {
		if d := checksum.Diff(want, sums(t, q, "shop")); d != "" {
			t.Fatalf("checksums differ:\n%s", d)
		}
		var n int
		c, err := q.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.ExecContext(context.Background(), "USE shop"); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM big_orders").Scan(&n); err != nil || n == 0 {
			t.Fatalf("view: %d rows, %v", n, err)
		}
		// The trigger came along: a new order is logged.
		before := 0
		if err := q.QueryRow("SELECT COUNT(*) FROM shop.order_log").Scan(&before); err != nil {
			t.Fatal(err)
		}
		mustExec(t, q, "INSERT INTO shop.orders (customer_id, status, amount) VALUES (1, 'new', 5)")
		after := 0
		if err := q.QueryRow("SELECT COUNT(*) FROM shop.order_log").Scan(&after); err != nil || after != before+1 {
			t.Fatalf("trigger: order_log %d -> %d, %v", before, after, err)
		}
	}

	t.Run("mariadb-client", func(t *testing.T) {
		q := testserver.Start(t, t.TempDir())
		runTool(t, dump, "mariadb", clientArgs(q.Addr)...)
		check(t, open(t, q.Addr))
	})

	t.Run("importer", func(t *testing.T) {
		q := testserver.Start(t, t.TempDir())
		db := open(t, q.Addr)
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		p, err := Run(context.Background(), conn, bytes.NewReader(dump), Options{Total: int64(len(dump))})
		if err != nil {
			t.Fatal(err)
		}
		if p.Rows < 600 || p.Bytes != int64(len(dump)) {
			t.Fatalf("progress: %+v", p)
		}
		check(t, db)
	})

	t.Run("export", func(t *testing.T) {
		q := testserver.Start(t, t.TempDir())
		runTool(t, dump, "mariadb", clientArgs(q.Addr)...)
		qdb := open(t, q.Addr)
		qsums := sums(t, qdb, "shop")
		// Quarry's default collation is MySQL 8's utf8mb4_0900_ai_ci, which
		// MariaDB 10.11 does not know; the dumps copy the session's
		// collation_connection into trigger definitions. Exporting for an
		// older MariaDB means choosing a collation it knows, as with MySQL 8.
		mustExec(t, qdb, "SET GLOBAL collation_connection = 'utf8mb4_general_ci'", "SET GLOBAL collation_server = 'utf8mb4_general_ci'")
		for _, tool := range []string{"mariadb-dump", "mysqldump"} {
			out := runTool(t, nil, tool, append(clientArgs(q.Addr), "--databases", "shop")...)
			back := mariadbtest.StartT(t, mariadbtest.Options{})
			runTool(t, out, "mariadb", clientArgs(back.Addr())...)
			if d := checksum.Diff(qsums, sums(t, open(t, back.Addr()), "shop")); d != "" {
				t.Fatalf("%s of Quarry loaded into MariaDB: checksums differ:\n%s", tool, d)
			}
			// and back into a fresh Quarry
			q2 := testserver.Start(t, t.TempDir())
			runTool(t, out, "mariadb", clientArgs(q2.Addr)...)
			if d := checksum.Diff(qsums, sums(t, open(t, q2.Addr), "shop")); d != "" {
				t.Fatalf("%s of Quarry loaded into Quarry: checksums differ:\n%s", tool, d)
			}
		}
	})
}
