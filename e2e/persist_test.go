package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestPersistenceAcrossRestart writes every kind of catalog object and data,
// restarts the server on the same directory, and reads it all back.
func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := testserver.Start(t, dir)
	db := s.Open("")
	mustExec(t, db, "CREATE DATABASE shop")
	db = s.Open("shop")
	for _, q := range []string{
		`CREATE TABLE shop.orders (
			id BIGINT NOT NULL AUTO_INCREMENT,
			shop INT NOT NULL,
			status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
			amount DECIMAL(12,2) NOT NULL,
			placed DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
			email VARCHAR(64) COLLATE utf8mb4_0900_ai_ci,
			doc JSON,
			total_cents BIGINT AS (amount * 100) STORED,
			PRIMARY KEY (id),
			KEY by_shop (shop, status),
			UNIQUE KEY by_email (email),
			CONSTRAINT amount_positive CHECK (amount >= 0)
		) COMMENT 'orders'`,
		"CREATE TABLE shop.shops (id INT PRIMARY KEY, name VARCHAR(32))",
		"INSERT INTO shop.shops VALUES (1, 'one'), (2, 'two')",
		"ALTER TABLE shop.orders ADD CONSTRAINT fk_shop FOREIGN KEY (shop) REFERENCES shop.shops (id)",
		"INSERT INTO shop.orders (shop, status, amount, email, doc) VALUES (1, 'paid', 10.50, 'a@x.com', '{\"k\": [1, 2]}'), (2, 'new', 3.00, 'B@x.com', NULL)",
		"CREATE VIEW shop.paid AS SELECT id, amount FROM shop.orders WHERE status = 'paid'",
		"CREATE TRIGGER shop.bump BEFORE INSERT ON shop.orders FOR EACH ROW SET NEW.amount = NEW.amount + 0",
		"CREATE PROCEDURE shop.count_orders() SELECT COUNT(*) FROM shop.orders",
		"CREATE TABLE shop.nopk (a INT, b VARCHAR(10), KEY (a))",
		"INSERT INTO shop.nopk VALUES (1, 'x'), (1, 'x'), (2, NULL)",
		"CREATE USER 'app'@'%' IDENTIFIED BY 'secret'",
		"GRANT SELECT ON shop.* TO 'app'@'%'",
	} {
		mustExec(t, db, q)
	}
	snapshot := func(db *sql.DB) map[string][][]string {
		out := map[string][][]string{}
		for _, q := range []string{
			"SELECT id, shop, status, amount, email, CAST(doc AS CHAR), total_cents FROM shop.orders ORDER BY id",
			"SELECT * FROM shop.paid",
			"SELECT a, b FROM shop.nopk ORDER BY a, b",
			"SHOW CREATE TABLE shop.orders",
			"SHOW TRIGGERS FROM shop",
			"SELECT COUNT(*) FROM shop.nopk",
		} {
			out[q] = queryStrings(t, db, q)
		}
		return out
	}
	before := snapshot(db)
	s.Stop()

	s2 := testserver.Start(t, dir)
	db2 := s2.Open("shop")
	after := snapshot(db2)
	if !reflect.DeepEqual(before, after) {
		for q := range before {
			if !reflect.DeepEqual(before[q], after[q]) {
				t.Errorf("%s:\nbefore %v\nafter  %v", q, before[q], after[q])
			}
		}
	}
	// Auto-increment continues, never reuses; defaults, triggers and
	// procedures work after the restart.
	mustExec(t, db2, "INSERT INTO shop.orders (shop, amount, email) VALUES (1, 1, 'c@x.com')")
	if id := queryInt(t, db2, "SELECT MAX(id) FROM shop.orders"); id != 3 {
		t.Errorf("auto_increment after restart gave %d, want 3", id)
	}
	if n := queryInt(t, db2, "CALL shop.count_orders()"); n != 3 {
		t.Errorf("procedure returned %d", n)
	}
	if _, err := db2.Exec("INSERT INTO shop.orders (shop, amount, email) VALUES (1, 1, 'A@X.COM')"); mysqlCode(err) != 1062 {
		t.Errorf("unique index under ai_ci: want 1062, got %v", err)
	}
	if _, err := db2.Exec("INSERT INTO shop.orders (shop, amount, email) VALUES (9, 1, 'z@x.com')"); mysqlCode(err) != 1452 {
		t.Errorf("foreign key after restart: want 1452, got %v", err)
	}
	if _, err := db2.Exec("INSERT INTO shop.orders (shop, amount, email) VALUES (1, -5, 'y@x.com')"); mysqlCode(err) != 3819 {
		t.Errorf("check constraint after restart: want 3819, got %v", err)
	}
	// The user created with SQL can log in after the restart.
	app, err := sql.Open("mysql", "app:secret@tcp("+s2.Addr+")/shop")
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if n := queryInt(t, app, "SELECT COUNT(*) FROM orders"); n != 3 {
		t.Errorf("app user sees %d orders", n)
	}
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryStrings(t *testing.T, db querier, q string) [][]string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if v.Valid {
				row[i] = v.String
			} else {
				row[i] = "NULL"
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// TestAnalyzeTablePersists checks that ANALYZE TABLE statistics survive a
// restart and that COUNT(*) on a bare table is answered without a scan.
func TestAnalyzeTablePersists(t *testing.T) {
	dir := t.TempDir()
	s := testserver.Start(t, dir)
	mustExec(t, s.Open(""), "CREATE DATABASE d")
	db := s.Open("d")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, g INT, KEY (g))")
	for i := 0; i < 300; i++ {
		mustExec(t, db, "INSERT INTO t VALUES (?, ?)", i, i%7)
	}
	mustExec(t, db, "ANALYZE TABLE t")
	before := queryStrings(t, db, "SELECT * FROM information_schema.column_statistics WHERE table_name = 't' ORDER BY column_name")
	if len(before) == 0 {
		t.Fatal("ANALYZE TABLE produced no statistics")
	}
	plan := queryStrings(t, db, "EXPLAIN PLAN SELECT COUNT(*) FROM t")
	if !strings.Contains(fmt.Sprint(plan), "table_count") {
		t.Errorf("COUNT(*) on a bare table should use the exact row count, plan: %v", plan)
	}
	s.Stop()
	s2 := testserver.Start(t, dir)
	db2 := s2.Open("d")
	after := queryStrings(t, db2, "SELECT * FROM information_schema.column_statistics WHERE table_name = 't' ORDER BY column_name")
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("statistics changed across restart:\nbefore %v\nafter  %v", before, after)
	}
	if n := queryInt(t, db2, "SELECT COUNT(*) FROM t"); n != 300 {
		t.Fatalf("count %d", n)
	}
}
