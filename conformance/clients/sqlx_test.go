package clients

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

type xCustomer struct {
	ID        int64          `db:"id"`
	Email     string         `db:"email"`
	Name      string         `db:"name"`
	Nickname  sql.NullString `db:"nickname"`
	Tier      string         `db:"tier"`
	CreatedAt time.Time      `db:"created_at"`
}

type xOrder struct {
	ID         int64          `db:"id"`
	CustomerID int64          `db:"customer_id"`
	Amount     string         `db:"amount"`
	Qty        int            `db:"qty"`
	Note       sql.NullString `db:"note"`
	Attrs      sql.NullString `db:"attrs"`
	Payload    []byte         `db:"payload"`
	Status     string         `db:"status"`
	PlacedAt   time.Time      `db:"placed_at"`
}

func TestSQLX(t *testing.T) {
	srv := startServer(t)
	c := newChecker(t, "sqlx")
	var db *sqlx.DB
	c.check("connect", func() error {
		d0, err := sqlx.Connect("mysql", goDSN(srv.Addr, "", ""))
		if err != nil {
			return err
		}
		_, err = d0.Exec("CREATE DATABASE app")
		d0.Close()
		if err != nil {
			return err
		}
		db, err = sqlx.Connect("mysql", goDSN(srv.Addr, "app", ""))
		if err != nil {
			return err
		}
		t.Cleanup(func() { db.Close() })
		return nil
	})
	if db == nil {
		t.FailNow()
	}
	c.check("create_schema", func() error {
		return execAll(db, schemaDDL...)
	})
	custs := []xCustomer{
		{Email: "zhang@example.com", Name: "张伟", Nickname: sql.NullString{String: "小张 😀🎉", Valid: true}, Tier: "pro", CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)},
		{Email: "bob@example.com", Name: "Bob", Tier: "free", CreatedAt: time.Date(2024, 2, 1, 0, 0, 0, 1000, time.UTC)},
	}
	c.check("named_exec_autoinc", func() error {
		for i := range custs {
			res, err := db.NamedExec(`INSERT INTO customers (email, name, nickname, tier, created_at) VALUES (:email, :name, :nickname, :tier, :created_at)`, &custs[i])
			if err != nil {
				return err
			}
			if custs[i].ID, err = res.LastInsertId(); err != nil {
				return err
			}
		}
		// Batch NamedExec expands to a multi-row INSERT.
		orders := []xOrder{
			{CustomerID: custs[0].ID, Amount: "12.34", Qty: 2, Attrs: sql.NullString{String: `{"名": "值"}`, Valid: true}, Payload: blob1, Status: "paid", PlacedAt: placed1},
			{CustomerID: custs[0].ID, Amount: "0.01", Qty: 1, Note: sql.NullString{String: "🚀", Valid: true}, Status: "new", PlacedAt: placed2},
			{CustomerID: custs[1].ID, Amount: "99999999.99", Qty: 3, Payload: []byte{}, Status: "shipped", PlacedAt: placed3},
		}
		res, err := db.NamedExec(`INSERT INTO orders (customer_id, amount, qty, note, attrs, payload, status, placed_at)
			VALUES (:customer_id, :amount, :qty, :note, :attrs, :payload, :status, :placed_at)`, orders)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 3 {
			return fmt.Errorf("RowsAffected = %d", n)
		}
		return nil
	})
	c.check("get_select_structs", func() error {
		var cu xCustomer
		if err := db.Get(&cu, "SELECT id, email, name, nickname, tier, created_at FROM customers WHERE email = ?", "zhang@example.com"); err != nil {
			return err
		}
		if cu.ID != custs[0].ID || cu.Nickname.String != "小张 😀🎉" || !cu.CreatedAt.Equal(custs[0].CreatedAt) {
			return fmt.Errorf("Get = %+v", cu)
		}
		var os []xOrder
		if err := db.Select(&os, "SELECT * FROM orders ORDER BY id"); err != nil {
			return err
		}
		if len(os) != 3 || os[0].Amount != "12.34" || string(os[0].Payload) != string(blob1) || !os[0].PlacedAt.Equal(placed1) ||
			os[1].Attrs.Valid || os[1].Note.String != "🚀" || os[2].Payload == nil || os[2].Status != "shipped" {
			return fmt.Errorf("Select = %+v", os)
		}
		ok, err := jsonEqual(os[0].Attrs.String, `{"名": "值"}`)
		if err != nil || !ok {
			return fmt.Errorf("attrs = %q (%v)", os[0].Attrs.String, err)
		}
		return nil
	})
	c.check("in_and_named_query", func() error {
		q, args, err := sqlx.In("SELECT id FROM orders WHERE status IN (?) ORDER BY id LIMIT ?", []string{"paid", "shipped"}, 5)
		if err != nil {
			return err
		}
		var ids []int64
		if err := db.Select(&ids, db.Rebind(q), args...); err != nil {
			return err
		}
		if len(ids) != 2 {
			return fmt.Errorf("IN (?) = %v", ids)
		}
		st, err := db.PrepareNamed("SELECT COUNT(*) FROM orders WHERE customer_id = :cid AND amount > :min")
		if err != nil {
			return err
		}
		defer st.Close()
		var n int
		if err := st.Get(&n, map[string]any{"cid": custs[0].ID, "min": "0.5"}); err != nil {
			return err
		}
		return eq("COUNT(*)", n, 1)
	})
	c.check("tx_for_update", func() error {
		tx, err := db.Beginx()
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var o xOrder
		if err := tx.Get(&o, "SELECT * FROM orders WHERE customer_id = ? ORDER BY id LIMIT 1 FOR UPDATE", custs[1].ID); err != nil {
			return err
		}
		if _, err := tx.Exec("UPDATE orders SET qty = ? WHERE id = ?", o.Qty+1, o.ID); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		tx, err = db.Beginx()
		if err != nil {
			return err
		}
		tx.MustExec("DELETE FROM orders")
		if err := tx.Rollback(); err != nil {
			return err
		}
		var sum int
		if err := db.Get(&sum, "SELECT SUM(qty) FROM orders"); err != nil {
			return err
		}
		return eq("SUM(qty)", sum, 2+1+4)
	})
	c.check("mapscan_report", func() error {
		rows, err := db.Queryx(`WITH t AS (SELECT c.name, o.amount, o.placed_at FROM orders o JOIN customers c ON c.id = o.customer_id)
			SELECT name, COUNT(*) AS n, DATE_FORMAT(MAX(placed_at), '%Y-%m') AS last_month,
			       RANK() OVER (ORDER BY COUNT(*) DESC) AS rk
			FROM t GROUP BY name ORDER BY rk, name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				return err
			}
			// MapScan holds []byte for strings and, since go-sql-driver
			// 1.8, int64/uint64 for integer columns (text protocol too).
			got = append(got, fmt.Sprintf("%s/%v/%s/%v", m["name"], m["n"], m["last_month"], m["rk"]))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return eq("report", strings.Join(got, " "), "张伟/2/2024-03/1 Bob/1/2024-04/2")
	})
	c.check("schema_listing", func() error {
		// What sqlx-based migration tools (golang-migrate, goose) and admin
		// code do: list tables and columns from information_schema.
		type col struct {
			Table    string         `db:"TABLE_NAME"`
			Column   string         `db:"COLUMN_NAME"`
			Type     string         `db:"COLUMN_TYPE"`
			Nullable string         `db:"IS_NULLABLE"`
			Key      string         `db:"COLUMN_KEY"`
			Default  sql.NullString `db:"COLUMN_DEFAULT"`
			Extra    string         `db:"EXTRA"`
		}
		var cols []col
		if err := db.Select(&cols, `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY, COLUMN_DEFAULT, EXTRA
			FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'customers' ORDER BY ORDINAL_POSITION`); err != nil {
			return err
		}
		var got []string
		for _, c := range cols {
			d := "NULL"
			if c.Default.Valid {
				d = c.Default.String
			}
			got = append(got, fmt.Sprintf("%s|%s|%s|%s|%s|%s", c.Column, c.Type, c.Nullable, c.Key, d, c.Extra))
		}
		want := []string{
			"id|bigint|NO|PRI|NULL|auto_increment",
			"email|varchar(190)|NO|UNI|NULL|",
			"name|varchar(100)|NO|MUL|NULL|",
			"nickname|varchar(100)|YES||NULL|",
			"tier|enum('free','pro','enterprise')|NO||free|",
			"created_at|datetime(6)|NO||NULL|",
			"updated_at|timestamp|YES||CURRENT_TIMESTAMP|DEFAULT_GENERATED on update CURRENT_TIMESTAMP",
		}
		var errs []string
		for i := range want {
			if i >= len(got) || got[i] != want[i] {
				g := "(missing)"
				if i < len(got) {
					g = got[i]
				}
				errs = append(errs, fmt.Sprintf("got %s, want %s", g, want[i]))
			}
		}
		if len(errs) > 0 {
			return errors.New(strings.Join(errs, "; "))
		}
		return nil
	})
}
