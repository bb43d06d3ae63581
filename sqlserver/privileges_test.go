package sqlserver

import (
	"database/sql"
	"strings"
	"testing"
)

// expectDenied runs query and wants one of the MySQL error codes. GMS
// reports a table of a database the user has no privilege on at all with
// 1044 (database access denied) where MySQL says 1142, and CREATE USER
// without the privilege with 1142 where MySQL says 1227; either way the
// statement is refused.
func expectDenied(t *testing.T, db *sql.DB, who, query string, codes ...uint16) {
	t.Helper()
	rows, err := db.Query(query)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if err == nil {
		t.Errorf("%s: %s succeeded, want error %v", who, query, codes)
		return
	}
	n := mysqlErrNumber(err)
	for _, c := range codes {
		if n == c {
			return
		}
	}
	t.Errorf("%s: %s: %v, want error %v", who, query, err, codes)
}

func expectAllowed(t *testing.T, db *sql.DB, who, query string) {
	t.Helper()
	rows, err := db.Query(query)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if err != nil {
		t.Errorf("%s: %s: %v", who, query, err)
	}
}

func TestPrivilegeEnforcement(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE DATABASE hr",
		"CREATE TABLE shop.orders (id INT PRIMARY KEY, amount INT)",
		"CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20))",
		"CREATE TABLE hr.salaries (id INT PRIMARY KEY, salary INT)",
		"INSERT INTO shop.orders VALUES (1, 10)",
		"INSERT INTO shop.items VALUES (1, 'nut')",
		"INSERT INTO hr.salaries VALUES (1, 1000)",
		"CREATE USER 'reader'@'%' IDENTIFIED BY 'r-pw'",
		"GRANT SELECT ON shop.* TO 'reader'@'%'",
		"CREATE USER 'clerk'@'%' IDENTIFIED BY 'c-pw'",
		"GRANT SELECT, INSERT ON shop.orders TO 'clerk'@'%'",
		"CREATE USER 'nobody'@'%' IDENTIFIED BY 'n-pw'",
	} {
		mustExec(t, root, q)
	}

	// Database level: reader reads all of shop and nothing of hr.
	reader := mustConnect(t, "reader", "r-pw", ts.addr)
	expectAllowed(t, reader, "reader", "SELECT * FROM shop.orders")
	expectAllowed(t, reader, "reader", "SELECT * FROM shop.items")
	expectDenied(t, reader, "reader", "INSERT INTO shop.orders VALUES (2, 20)", 1142)
	expectDenied(t, reader, "reader", "DELETE FROM shop.items", 1142)
	expectDenied(t, reader, "reader", "SELECT * FROM hr.salaries", 1142, 1044)
	expectDenied(t, reader, "reader", "USE hr", 1044)
	expectDenied(t, reader, "reader", "CREATE TABLE shop.x (id INT PRIMARY KEY)", 1142)
	expectDenied(t, reader, "reader", "CREATE USER 'evil'@'%'", 1227, 1142)
	dbs := map[string]bool{}
	rows, err := reader.Query("SHOW DATABASES")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		dbs[n] = true
	}
	rows.Close()
	if !dbs["shop"] || dbs["hr"] {
		t.Errorf("reader sees databases %v", dbs)
	}

	// Table level: clerk reads and inserts orders, nothing else.
	clerk := mustConnect(t, "clerk", "c-pw", ts.addr)
	expectAllowed(t, clerk, "clerk", "SELECT * FROM shop.orders")
	expectAllowed(t, clerk, "clerk", "INSERT INTO shop.orders VALUES (2, 20)")
	expectDenied(t, clerk, "clerk", "UPDATE shop.orders SET amount = 0", 1142)
	expectDenied(t, clerk, "clerk", "DELETE FROM shop.orders", 1142)
	expectDenied(t, clerk, "clerk", "SELECT * FROM shop.items", 1142)
	expectDenied(t, clerk, "clerk", "SELECT * FROM hr.salaries", 1142, 1044)

	// A user with no grants reaches nothing.
	nobody := mustConnect(t, "nobody", "n-pw", ts.addr)
	expectDenied(t, nobody, "nobody", "SELECT * FROM shop.orders", 1142, 1044)
	expectDenied(t, nobody, "nobody", "USE shop", 1044)

	grants := strings.Join(showGrants(t, root, "'clerk'@'%'"), "\n")
	if !strings.Contains(grants, "GRANT SELECT, INSERT ON `shop`.`orders` TO `clerk`@`%`") {
		t.Errorf("SHOW GRANTS FOR clerk:\n%s", grants)
	}

	// REVOKE takes effect on open connections.
	mustExec(t, root, "REVOKE INSERT ON shop.orders FROM 'clerk'@'%'")
	expectDenied(t, clerk, "clerk after REVOKE", "INSERT INTO shop.orders VALUES (3, 30)", 1142)
	expectAllowed(t, clerk, "clerk after REVOKE", "SELECT * FROM shop.orders")
	mustExec(t, root, "GRANT UPDATE ON shop.orders TO 'clerk'@'%'")
	expectAllowed(t, clerk, "clerk after GRANT UPDATE", "UPDATE shop.orders SET amount = amount + 1")
	mustExec(t, root, "REVOKE SELECT ON shop.* FROM 'reader'@'%'")
	expectDenied(t, reader, "reader after REVOKE", "SELECT * FROM shop.orders", 1142, 1044)

	// ALTER USER changes the password: the old one is refused, the new
	// one works, an open session stays.
	mustExec(t, root, "ALTER USER 'clerk'@'%' IDENTIFIED BY 'c-pw2'")
	if _, err := connect(t, "clerk", "c-pw", ts.addr); mysqlErrNumber(err) != 1045 {
		t.Errorf("clerk with the old password: %v, want 1045", err)
	}
	mustConnect(t, "clerk", "c-pw2", ts.addr)
	expectAllowed(t, clerk, "clerk's open session after ALTER USER", "SELECT * FROM shop.orders")

	// DROP USER: the account can no longer log in.
	mustExec(t, root, "DROP USER 'nobody'@'%'")
	if _, err := connect(t, "nobody", "n-pw", ts.addr); mysqlErrNumber(err) != 1045 {
		t.Errorf("dropped user login: %v, want 1045", err)
	}

	// Everything persists across a restart.
	ts.stop(t)
	ts = startServer(t, dir, EngineOptions{}, Config{})
	if _, err := connect(t, "clerk", "c-pw", ts.addr); mysqlErrNumber(err) != 1045 {
		t.Errorf("after restart, clerk with the old password: %v, want 1045", err)
	}
	clerk = mustConnect(t, "clerk", "c-pw2", ts.addr)
	expectAllowed(t, clerk, "clerk after restart", "SELECT * FROM shop.orders")
	expectAllowed(t, clerk, "clerk after restart", "UPDATE shop.orders SET amount = amount + 1")
	expectDenied(t, clerk, "clerk after restart", "INSERT INTO shop.orders VALUES (4, 40)", 1142)
	expectDenied(t, clerk, "clerk after restart", "SELECT * FROM shop.items", 1142)
	reader = mustConnect(t, "reader", "r-pw", ts.addr)
	expectDenied(t, reader, "reader after restart", "SELECT * FROM shop.orders", 1142, 1044)
	if _, err := connect(t, "nobody", "n-pw", ts.addr); mysqlErrNumber(err) != 1045 {
		t.Errorf("after restart, dropped user login: %v, want 1045", err)
	}
}

func showGrants(t *testing.T, db *sql.DB, account string) []string {
	t.Helper()
	rows, err := db.Query("SHOW GRANTS FOR " + account)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}
