package clients

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// The application schema every client creates (each program in its own
// words; the Go database/sql clients use exactly this).
var schemaDDL = []string{
	`CREATE TABLE customers (
		id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
		email VARCHAR(190) NOT NULL,
		name VARCHAR(100) NOT NULL,
		nickname VARCHAR(100) NULL,
		tier ENUM('free','pro','enterprise') NOT NULL DEFAULT 'free',
		created_at DATETIME(6) NOT NULL,
		updated_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
		UNIQUE KEY uq_customers_email (email),
		KEY idx_customers_name (name)
	)`,
	`CREATE TABLE orders (
		id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
		customer_id BIGINT NOT NULL,
		amount DECIMAL(12,2) NOT NULL,
		qty INT NOT NULL DEFAULT 1,
		note VARCHAR(255) NULL,
		attrs JSON NULL,
		payload BLOB NULL,
		status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
		placed_at DATETIME(6) NOT NULL,
		KEY idx_orders_customer_placed (customer_id, placed_at),
		CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
	)`,
}

// fulltextDDL is the full-text index an application would add; Quarry does
// not support FULLTEXT yet (known issue).
const fulltextDDL = `CREATE TABLE articles (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	title VARCHAR(200) NOT NULL,
	body TEXT,
	FULLTEXT KEY ft_articles (title, body)
)`

var (
	placed1 = time.Date(2024, 3, 1, 10, 0, 0, 123456000, time.UTC)
	placed2 = time.Date(2024, 3, 2, 11, 30, 0, 500000000, time.UTC)
	placed3 = time.Date(2024, 4, 2, 9, 15, 0, 0, time.UTC)
	blob1   = []byte{0x00, 0xff, 0x10, 0x27, 0x5c, 0x00}
)

// queryer is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type queryer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

func bg() context.Context { return context.Background() }

func execAll(q queryer, stmts ...string) error {
	for _, s := range stmts {
		if _, err := q.ExecContext(bg(), s); err != nil {
			return fmt.Errorf("%s: %w", firstLine(s), err)
		}
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

func mysqlErrNo(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// wantErrNo checks that err is MySQL error number n.
func wantErrNo(err error, n uint16) error {
	if err == nil {
		return fmt.Errorf("no error, want MySQL error %d", n)
	}
	if got := mysqlErrNo(err); got != n {
		return fmt.Errorf("got error %d (%v), want %d", got, err, n)
	}
	return nil
}

func eq(what string, got, want any) error {
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("%s = %#v, want %#v", what, got, want)
	}
	return nil
}

func jsonEqual(a, b string) (bool, error) {
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		return false, fmt.Errorf("json %q: %w", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		return false, fmt.Errorf("json %q: %w", b, err)
	}
	return reflect.DeepEqual(x, y), nil
}

// strings2 reads a result of string-convertible columns ("NULL" for NULL).
func queryStrings(q queryer, query string, args ...any) ([][]string, error) {
	rows, err := q.QueryContext(bg(), query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// sqlScenario is the application scenario over database/sql, shared by the
// go-sql-driver text and binary protocol runs.
func sqlScenario(c *checker, open func(db string) *sql.DB, dbName string) {
	var custIDs []int64
	db := open("")
	var orderIDs []int64

	c.check("connect", func() error {
		if err := db.PingContext(bg()); err != nil {
			return err
		}
		var v string
		if err := db.QueryRowContext(bg(), "SELECT VERSION()").Scan(&v); err != nil {
			return err
		}
		if !strings.HasPrefix(v, "8.") {
			return fmt.Errorf("VERSION() = %q, want 8.x", v)
		}
		return nil
	})
	c.check("create_schema", func() error {
		if err := execAll(db, "CREATE DATABASE "+dbName); err != nil {
			return err
		}
		db = open(dbName)
		return execAll(db, schemaDDL...)
	})
	c.check("fulltext_index", func() error {
		return execAll(db, fulltextDDL)
	})
	c.check("insert_autoinc", func() error {
		// One connection, so that LAST_INSERT_ID() is this session's.
		conn, err := db.Conn(bg())
		if err != nil {
			return err
		}
		defer conn.Close()
		ins := "INSERT INTO customers (email, name, nickname, tier, created_at) VALUES (?, ?, ?, ?, ?)"
		for _, r := range [][]any{
			{"zhang@example.com", "张伟", "小张 😀🎉", "pro", time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)},
			{"bob@example.com", "Bob", nil, "free", time.Date(2024, 2, 1, 0, 0, 0, 1000, time.UTC)},
			{"carol@example.com", "Carol", "", "enterprise", time.Date(2024, 2, 3, 0, 0, 0, 0, time.UTC)},
		} {
			res, err := conn.ExecContext(bg(), ins, r...)
			if err != nil {
				return err
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			var lid int64
			if err := conn.QueryRowContext(bg(), "SELECT LAST_INSERT_ID()").Scan(&lid); err != nil {
				return err
			}
			if id <= 0 || id != lid {
				return fmt.Errorf("LastInsertId() = %d, SELECT LAST_INSERT_ID() = %d", id, lid)
			}
			var email string
			if err := conn.QueryRowContext(bg(), "SELECT email FROM customers WHERE id = ?", id).Scan(&email); err != nil {
				return err
			}
			if email != r[0] {
				return fmt.Errorf("row %d has email %q, want %q", id, email, r[0])
			}
			custIDs = append(custIDs, id)
		}
		return nil
	})
	if len(custIDs) != 3 {
		custIDs = []int64{1, 2, 3}
	}
	c.check("insert_multirow_autoinc", func() error {
		// A multi-row INSERT reports the id of its first row.
		res, err := db.ExecContext(bg(), "INSERT INTO orders (customer_id, amount, qty, note, attrs, payload, status, placed_at) VALUES "+
			"(?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?)",
			custIDs[0], "12.34", 2, nil, `{"gift": true, "tags": ["a", "b"], "名": "值"}`, blob1, "paid", placed1,
			custIDs[0], "0.01", 1, "多 emoji 🚀", nil, nil, "new", placed2,
			custIDs[1], "99999999.99", 3, "it's \"quoted\" \\ back", `{}`, []byte{}, "shipped", placed3)
		if err != nil {
			return err
		}
		first, err := res.LastInsertId()
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if n != 3 {
			return fmt.Errorf("RowsAffected = %d, want 3", n)
		}
		rows, err := queryStrings(db, "SELECT id FROM orders ORDER BY id")
		if err != nil {
			return err
		}
		for _, r := range rows {
			var id int64
			fmt.Sscan(r[0], &id)
			orderIDs = append(orderIDs, id)
		}
		if len(orderIDs) != 3 || orderIDs[0] != first {
			return fmt.Errorf("ids %v, LastInsertId %d (want the first id)", orderIDs, first)
		}
		return nil
	})
	if len(orderIDs) != 3 {
		orderIDs = []int64{1, 2, 3}
	}
	c.check("read_decimal", func() error {
		var s string
		if err := db.QueryRowContext(bg(), "SELECT amount FROM orders WHERE id = ?", orderIDs[2]).Scan(&s); err != nil {
			return err
		}
		if err := eq("amount", s, "99999999.99"); err != nil {
			return err
		}
		if err := db.QueryRowContext(bg(), "SELECT amount FROM orders WHERE id = ?", orderIDs[1]).Scan(&s); err != nil {
			return err
		}
		return eq("amount", s, "0.01")
	})
	c.check("read_datetime6", func() error {
		var got []time.Time
		rows, err := db.QueryContext(bg(), "SELECT placed_at FROM orders ORDER BY id")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ts time.Time
			if err := rows.Scan(&ts); err != nil {
				return err
			}
			got = append(got, ts.UTC())
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return eq("placed_at", got, []time.Time{placed1, placed2, placed3})
	})
	c.check("read_datetime6_text", func() error {
		// The text form of DATETIME(6) always has six fractional digits.
		var s string
		if err := db.QueryRowContext(bg(), "SELECT CAST(placed_at AS CHAR) FROM orders WHERE id = ?", orderIDs[1]).Scan(&s); err != nil {
			return err
		}
		return eq("CAST(placed_at AS CHAR)", s, "2024-03-02 11:30:00.500000")
	})
	c.check("read_json", func() error {
		var a1, a2 sql.NullString
		if err := db.QueryRowContext(bg(), "SELECT attrs, JSON_EXTRACT(attrs, '$.tags[1]') FROM orders WHERE id = ?", orderIDs[0]).Scan(&a1, &a2); err != nil {
			return err
		}
		ok, err := jsonEqual(a1.String, `{"gift": true, "tags": ["a", "b"], "名": "值"}`)
		if err != nil {
			return err
		}
		if !ok || a2.String != `"b"` {
			return fmt.Errorf("attrs = %q, tags[1] = %q", a1.String, a2.String)
		}
		var n int
		if err := db.QueryRowContext(bg(), "SELECT COUNT(*) FROM orders WHERE attrs->>'$.\"名\"' = '值'").Scan(&n); err != nil {
			return err
		}
		return eq("rows with attrs->>'$.名' = '值'", n, 1)
	})
	c.check("read_blob", func() error {
		var b1, b3 []byte
		var b2 []byte
		if err := db.QueryRowContext(bg(), "SELECT payload FROM orders WHERE id = ?", orderIDs[0]).Scan(&b1); err != nil {
			return err
		}
		if err := db.QueryRowContext(bg(), "SELECT payload FROM orders WHERE id = ?", orderIDs[1]).Scan(&b2); err != nil {
			return err
		}
		if err := db.QueryRowContext(bg(), "SELECT payload FROM orders WHERE id = ?", orderIDs[2]).Scan(&b3); err != nil {
			return err
		}
		if !bytes.Equal(b1, blob1) || b2 != nil || b3 == nil || len(b3) != 0 {
			return fmt.Errorf("payloads %x, %x (nil=%v), %x (nil=%v)", b1, b2, b2 == nil, b3, b3 == nil)
		}
		return nil
	})
	c.check("read_enum", func() error {
		rows, err := queryStrings(db, "SELECT status, tier FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id")
		if err != nil {
			return err
		}
		return eq("status, tier", rows, [][]string{{"paid", "pro"}, {"new", "pro"}, {"shipped", "free"}})
	})
	c.check("read_null_unicode", func() error {
		rows, err := queryStrings(db, "SELECT name, nickname FROM customers ORDER BY id")
		if err != nil {
			return err
		}
		if err := eq("name, nickname", rows, [][]string{{"张伟", "小张 😀🎉"}, {"Bob", "NULL"}, {"Carol", ""}}); err != nil {
			return err
		}
		var n int
		if err := db.QueryRowContext(bg(), "SELECT CHAR_LENGTH(nickname) FROM customers WHERE name = ?", "张伟").Scan(&n); err != nil {
			return err
		}
		return eq("CHAR_LENGTH(nickname)", n, 5)
	})
	c.check("default_values", func() error {
		if _, err := db.ExecContext(bg(), "INSERT INTO customers (email, name, created_at) VALUES ('dave@example.com', 'Dave', NOW(6))"); err != nil {
			return err
		}
		var tier string
		var upd sql.NullTime
		if err := db.QueryRowContext(bg(), "SELECT tier, updated_at FROM customers WHERE email = 'dave@example.com'").Scan(&tier, &upd); err != nil {
			return err
		}
		if tier != "free" || !upd.Valid {
			return fmt.Errorf("tier = %q, updated_at = %v; want the defaults 'free' and CURRENT_TIMESTAMP", tier, upd)
		}
		return nil
	})
	c.check("unique_violation", func() error {
		_, err := db.ExecContext(bg(), "INSERT INTO customers (email, name, created_at) VALUES (?, ?, ?)", "bob@example.com", "Bob 2", time.Now())
		return wantErrNo(err, 1062)
	})
	c.check("fk_violation", func() error {
		_, err := db.ExecContext(bg(), "INSERT INTO orders (customer_id, amount, placed_at) VALUES (?, ?, ?)", 999999, "1.00", time.Now())
		if err := wantErrNo(err, 1452); err != nil {
			return fmt.Errorf("insert child without parent: %w", err)
		}
		_, err = db.ExecContext(bg(), "DELETE FROM customers WHERE id = ?", custIDs[0])
		if err := wantErrNo(err, 1451); err != nil {
			return fmt.Errorf("delete parent with children: %w", err)
		}
		return nil
	})
	c.check("prepared_params", func() error {
		st, err := db.PrepareContext(bg(), "SELECT COUNT(*), COALESCE(SUM(qty), 0) FROM orders WHERE customer_id = ? AND amount >= ? AND (note <=> ?) = ?")
		if err != nil {
			return err
		}
		defer st.Close()
		type tc struct {
			cust   int64
			amount any
			note   any
			isNull bool
			n, qty int
		}
		for _, x := range []tc{
			{custIDs[0], "0", nil, true, 1, 2},
			{custIDs[0], 0.005, nil, false, 1, 1},
			{custIDs[1], 100, "x", false, 1, 3},
			{custIDs[2], 0, nil, false, 0, 0},
		} {
			var n, qty int
			if err := st.QueryRowContext(bg(), x.cust, x.amount, x.note, x.isNull).Scan(&n, &qty); err != nil {
				return fmt.Errorf("%v: %w", x, err)
			}
			if n != x.n || qty != x.qty {
				return fmt.Errorf("%v: got count %d, qty %d", x, n, qty)
			}
		}
		return nil
	})
	c.check("prepared_limit", func() error {
		rows, err := queryStrings(db, "SELECT id FROM orders WHERE customer_id = ? ORDER BY placed_at DESC LIMIT ?", custIDs[0], 1)
		if err != nil {
			return fmt.Errorf("LIMIT ?: %w", err)
		}
		if err := eq("LIMIT ?", rows, [][]string{{fmt.Sprint(orderIDs[1])}}); err != nil {
			return err
		}
		rows, err = queryStrings(db, "SELECT id FROM orders ORDER BY id LIMIT ? OFFSET ?", 2, 1)
		if err != nil {
			return fmt.Errorf("LIMIT ? OFFSET ?: %w", err)
		}
		if err := eq("LIMIT ? OFFSET ?", rows, [][]string{{fmt.Sprint(orderIDs[1])}, {fmt.Sprint(orderIDs[2])}}); err != nil {
			return err
		}
		rows, err = queryStrings(db, "SELECT id FROM orders ORDER BY id LIMIT ?, ?", 0, 1)
		if err != nil {
			return fmt.Errorf("LIMIT ?, ?: %w", err)
		}
		return eq("LIMIT ?, ?", rows, [][]string{{fmt.Sprint(orderIDs[0])}})
	})
	c.check("tx_commit", func() error {
		tx, err := db.BeginTx(bg(), nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(bg(), "UPDATE orders SET qty = qty + 10 WHERE id = ?", orderIDs[0]); err != nil {
			return err
		}
		if _, err := tx.ExecContext(bg(), "INSERT INTO orders (customer_id, amount, placed_at) VALUES (?, '5.00', ?)", custIDs[2], placed3); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		var qty, n int
		if err := db.QueryRowContext(bg(), "SELECT qty, (SELECT COUNT(*) FROM orders WHERE customer_id = ?) FROM orders WHERE id = ?", custIDs[2], orderIDs[0]).Scan(&qty, &n); err != nil {
			return err
		}
		if qty != 12 || n != 1 {
			return fmt.Errorf("after commit qty = %d (want 12), orders of customer 3 = %d (want 1)", qty, n)
		}
		return nil
	})
	c.check("tx_rollback", func() error {
		tx, err := db.BeginTx(bg(), nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(bg(), "UPDATE orders SET qty = 0"); err != nil {
			tx.Rollback()
			return err
		}
		if _, err := tx.ExecContext(bg(), "DELETE FROM orders WHERE customer_id = ?", custIDs[2]); err != nil {
			tx.Rollback()
			return err
		}
		var inside int
		if err := tx.QueryRowContext(bg(), "SELECT SUM(qty) FROM orders").Scan(&inside); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Rollback(); err != nil {
			return err
		}
		var after, n int
		if err := db.QueryRowContext(bg(), "SELECT SUM(qty), COUNT(*) FROM orders").Scan(&after, &n); err != nil {
			return err
		}
		if inside != 0 || after != 12+1+3+1 || n != 4 {
			return fmt.Errorf("SUM(qty) inside tx = %d (want 0), after rollback = %d (want 17), rows = %d (want 4)", inside, after, n)
		}
		return nil
	})
	c.check("select_for_update", func() error {
		ctx, cancel := context.WithTimeout(bg(), 20*time.Second)
		defer cancel()
		tx1, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx1.Rollback()
		var qty int
		if err := tx1.QueryRowContext(ctx, "SELECT qty FROM orders WHERE id = ? FOR UPDATE", orderIDs[1]).Scan(&qty); err != nil {
			return fmt.Errorf("FOR UPDATE: %w", err)
		}
		// A second session must wait for the row lock and time out.
		c2, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer c2.Close()
		if _, err := c2.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = 1"); err != nil {
			return err
		}
		tx2, err := c2.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		start := time.Now()
		_, err = tx2.ExecContext(ctx, "UPDATE orders SET qty = qty + 1 WHERE id = ?", orderIDs[1])
		tx2.Rollback()
		lockErr := wantErrNo(err, 1205)
		if lockErr != nil {
			lockErr = fmt.Errorf("concurrent UPDATE of a row locked FOR UPDATE: %w", lockErr)
		} else if d := time.Since(start); d < 500*time.Millisecond {
			lockErr = fmt.Errorf("lock wait timed out after %v, want about 1s", d)
		}
		// The update the lock was taken for (also when the lock failed, so
		// that later checks see the same data).
		if _, err := tx1.ExecContext(ctx, "UPDATE orders SET qty = ? WHERE id = ?", qty+1, orderIDs[1]); err != nil {
			return err
		}
		if err := tx1.Commit(); err != nil {
			return err
		}
		var got int
		if err := db.QueryRowContext(ctx, "SELECT qty FROM orders WHERE id = ?", orderIDs[1]).Scan(&got); err != nil {
			return err
		}
		if err := eq("qty", got, qty+1); err != nil {
			return err
		}
		return lockErr
	})
	c.check("join_group_by", func() error {
		rows, err := queryStrings(db, `SELECT c.name, COUNT(o.id) AS n, SUM(o.qty) AS q
			FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
			GROUP BY c.id, c.name HAVING COUNT(o.id) > 0 ORDER BY n DESC, c.name`)
		if err != nil {
			return err
		}
		return eq("rows", rows, [][]string{{"张伟", "2", "14"}, {"Bob", "1", "3"}, {"Carol", "1", "1"}})
	})
	c.check("sum_decimal", func() error {
		rows, err := queryStrings(db, "SELECT SUM(amount), MAX(amount), MIN(amount) FROM orders")
		if err != nil {
			return err
		}
		return eq("SUM, MAX, MIN(amount)", rows, [][]string{{"100000017.34", "99999999.99", "0.01"}})
	})
	c.check("window_functions", func() error {
		rows, err := queryStrings(db, `SELECT id,
				ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY placed_at) AS rn,
				RANK() OVER (ORDER BY qty DESC) AS rk,
				LAG(id) OVER (ORDER BY id) AS prev,
				SUM(qty) OVER (PARTITION BY customer_id) AS cust_qty
			FROM orders ORDER BY id`)
		if err != nil {
			return err
		}
		o := func(i int) string { return fmt.Sprint(orderIDs[i]) }
		// The id of the order tx_commit inserted (failed inserts may have
		// used ids, as in InnoDB).
		var last int64
		if err := db.QueryRowContext(bg(), "SELECT MAX(id) FROM orders").Scan(&last); err != nil {
			return err
		}
		return eq("rows", rows, [][]string{
			{o(0), "1", "1", "NULL", "14"},
			{o(1), "2", "3", o(0), "14"},
			{o(2), "1", "2", o(1), "3"},
			{fmt.Sprint(last), "1", "4", o(2), "1"},
		})
	})
	c.check("update", func() error {
		res, err := db.ExecContext(bg(), "UPDATE orders SET status = 'cancelled', note = NULL WHERE customer_id = ? AND status <> 'cancelled'", custIDs[0])
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 2 {
			return fmt.Errorf("RowsAffected = %d, want 2", n)
		}
		// MySQL counts changed rows, not matched rows.
		res, err = db.ExecContext(bg(), "UPDATE orders SET status = 'cancelled' WHERE customer_id = ?", custIDs[0])
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 0 {
			return fmt.Errorf("no-op UPDATE: RowsAffected = %d, want 0", n)
		}
		return nil
	})
	c.check("on_update_timestamp", func() error {
		if _, err := db.ExecContext(bg(), "UPDATE customers SET updated_at = '2000-01-01 00:00:00' WHERE id = ?", custIDs[1]); err != nil {
			return err
		}
		if _, err := db.ExecContext(bg(), "UPDATE customers SET name = 'Bobby' WHERE id = ?", custIDs[1]); err != nil {
			return err
		}
		var ts time.Time
		if err := db.QueryRowContext(bg(), "SELECT updated_at FROM customers WHERE id = ?", custIDs[1]).Scan(&ts); err != nil {
			return err
		}
		if ts.Year() < 2020 {
			return fmt.Errorf("updated_at = %v after UPDATE, want ON UPDATE CURRENT_TIMESTAMP", ts)
		}
		return nil
	})
	c.check("delete", func() error {
		res, err := db.ExecContext(bg(), "DELETE FROM orders WHERE status = ?", "cancelled")
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 2 {
			return fmt.Errorf("RowsAffected = %d, want 2", n)
		}
		res, err = db.ExecContext(bg(), "DELETE FROM customers WHERE id = ?", custIDs[0])
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("RowsAffected = %d, want 1", n)
		}
		var n int
		if err := db.QueryRowContext(bg(), "SELECT COUNT(*) FROM customers").Scan(&n); err != nil {
			return err
		}
		return eq("customers left", n, 3)
	})
	c.check("column_types", func() error {
		// database/sql's introspection: the result set's column metadata.
		rows, err := db.QueryContext(bg(), "SELECT id, amount, qty, note, attrs, payload, status, placed_at FROM orders LIMIT 1")
		if err != nil {
			return err
		}
		defer rows.Close()
		cts, err := rows.ColumnTypes()
		if err != nil {
			return err
		}
		var got []string
		for _, ct := range cts {
			s := ct.Name() + ":" + ct.DatabaseTypeName()
			if p, sc, ok := ct.DecimalSize(); ok {
				s += fmt.Sprintf("(%d,%d)", p, sc)
			}
			if n, ok := ct.Nullable(); ok && n {
				s += "?"
			}
			got = append(got, s)
		}
		return eq("column types", strings.Join(got, " "),
			"id:BIGINT amount:DECIMAL(12,2) qty:INT note:VARCHAR? attrs:JSON? payload:BLOB? status:CHAR placed_at:DATETIME(6,6)")
	})
	c.check("sum_decimal_type", func() error {
		rows, err := db.QueryContext(bg(), "SELECT SUM(amount) FROM orders")
		if err != nil {
			return err
		}
		defer rows.Close()
		cts, err := rows.ColumnTypes()
		if err != nil {
			return err
		}
		return eq("type of SUM(DECIMAL)", cts[0].DatabaseTypeName(), "DECIMAL")
	})
}
