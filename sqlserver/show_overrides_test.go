package sqlserver

import (
	"fmt"
	"strings"
	"testing"
)

// TestShowCreateTableDefaults: ENUM, SET and empty binary defaults print as
// MySQL prints them, and the statement loads back with the same defaults
// (mysqldump copies SHOW CREATE TABLE into dumps).
func TestShowCreateTableDefaults(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE sc")
	mustExec(t, db, "USE sc")
	mustExec(t, db, `CREATE TABLE t (id INT PRIMARY KEY, e ENUM('new','paid','it''s') NOT NULL DEFAULT 'paid',
		s SET('x','y','z') DEFAULT 'x,z', vb VARBINARY(10) NOT NULL DEFAULT '', e2 ENUM('a','b') DEFAULT NULL)`)
	var name, stmt string
	if err := db.QueryRow("SHOW CREATE TABLE t").Scan(&name, &stmt); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"`e` enum('new','paid','it''s') NOT NULL DEFAULT 'paid',",
		"`s` set('x','y','z') DEFAULT 'x,z',",
		"`vb` varbinary(10) NOT NULL DEFAULT '',",
	} {
		if !strings.Contains(stmt, want) {
			t.Errorf("SHOW CREATE TABLE lacks %q:\n%s", want, stmt)
		}
	}
	// Round trip: the printed statement creates a table with the same defaults.
	mustExec(t, db, strings.Replace(stmt, "CREATE TABLE `t`", "CREATE TABLE `t_copy`", 1))
	mustExec(t, db, "INSERT INTO t (id) VALUES (1)")
	mustExec(t, db, "INSERT INTO t_copy (id) VALUES (1)")
	row := func(table string) string {
		var e, s, vb string
		var e2 *string
		if err := db.QueryRow("SELECT e, s, HEX(vb), e2 FROM "+table).Scan(&e, &s, &vb, &e2); err != nil {
			t.Fatal(err)
		}
		return strings.Join([]string{e, s, vb, fmt.Sprint(e2 == nil)}, "|")
	}
	if a, b := row("t"), row("t_copy"); a != "paid|x,z||true" || a != b {
		t.Fatalf("defaults: original %q, reloaded %q, want paid|x,z||true", a, b)
	}
}

// TestShowColumnsMySQLValues: SHOW [FULL] COLUMNS and
// information_schema.COLUMNS report what MySQL does for a table whose
// collation is not utf8mb4_0900_bin: Type without the table's own
// collation, the column's Collation, ENUM/SET defaults unquoted, and ON
// UPDATE CURRENT_TIMESTAMP in Extra (TypeORM and Drizzle compare it).
func TestShowColumnsMySQLValues(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE sc")
	mustExec(t, db, "USE sc")
	mustExec(t, db, `CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20), b VARCHAR(5) COLLATE utf8mb4_bin,
		e ENUM('new','paid') NOT NULL DEFAULT 'paid', s SET('x','y') DEFAULT 'x,y',
		ts TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
		dt DATETIME(6) NULL ON UPDATE CURRENT_TIMESTAMP(6)) COLLATE utf8mb4_0900_ai_ci`)
	rowsText := func(q string) string {
		t.Helper()
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]*string, len(cols))
			dest := make([]any, len(cols))
			for i := range vals {
				dest[i] = &vals[i]
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			var fs []string
			for _, v := range vals {
				if v == nil {
					fs = append(fs, "NULL")
				} else {
					fs = append(fs, *v)
				}
			}
			out = append(out, strings.Join(fs, "|"))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, "\n")
	}
	for _, c := range []struct{ q, want string }{
		{"SHOW COLUMNS FROM t", strings.Join([]string{
			"id|int|NO|PRI|NULL|",
			"v|varchar(20)|YES||NULL|",
			"b|varchar(5) COLLATE utf8mb4_bin|YES||NULL|",
			"e|enum('new','paid')|NO||paid|",
			"s|set('x','y')|YES||x,y|",
			"ts|timestamp|YES||CURRENT_TIMESTAMP|DEFAULT_GENERATED on update CURRENT_TIMESTAMP",
			"dt|datetime(6)|YES||NULL|on update CURRENT_TIMESTAMP(6)",
		}, "\n")},
		{"SELECT COLUMN_NAME, COLLATION_NAME, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'sc' AND TABLE_NAME = 't' ORDER BY ORDINAL_POSITION", strings.Join([]string{
			"id|NULL|",
			"v|utf8mb4_0900_ai_ci|",
			"b|utf8mb4_bin|",
			"e|utf8mb4_0900_ai_ci|",
			"s|utf8mb4_0900_ai_ci|",
			"ts|NULL|DEFAULT_GENERATED on update CURRENT_TIMESTAMP",
			"dt|NULL|on update CURRENT_TIMESTAMP(6)",
		}, "\n")},
	} {
		if got := rowsText(c.q); got != c.want {
			t.Errorf("%s:\n%s\nwant\n%s", c.q, got, c.want)
		}
	}
	// SHOW FULL COLUMNS: Field, Type, Collation, Null, Key, Default, Extra.
	full := rowsText("SHOW FULL COLUMNS FROM t")
	var got []string
	for _, l := range strings.Split(full, "\n") {
		f := strings.Split(l, "|")
		got = append(got, strings.Join(f[:7], "|"))
	}
	want := strings.Join([]string{
		"id|int|NULL|NO|PRI|NULL|",
		"v|varchar(20)|utf8mb4_0900_ai_ci|YES||NULL|",
		"b|varchar(5) COLLATE utf8mb4_bin|utf8mb4_bin|YES||NULL|",
		"e|enum('new','paid')|utf8mb4_0900_ai_ci|NO||paid|",
		"s|set('x','y')|utf8mb4_0900_ai_ci|YES||x,y|",
		"ts|timestamp|NULL|YES||CURRENT_TIMESTAMP|DEFAULT_GENERATED on update CURRENT_TIMESTAMP",
		"dt|datetime(6)|NULL|YES||NULL|on update CURRENT_TIMESTAMP(6)",
	}, "\n")
	if g := strings.Join(got, "\n"); g != want {
		t.Errorf("SHOW FULL COLUMNS FROM t:\n%s\nwant\n%s", g, want)
	}

	// Default as MySQL prints it (information_schema's COLUMN_DEFAULT):
	// literals unquoted, expressions in one pair of parentheses; Privileges
	// are the user's, in MySQL's order.
	mustExec(t, db, `CREATE TABLE d (id INT PRIMARY KEY, s VARCHAR(10) DEFAULT 'q', s2 VARCHAR(10) DEFAULT '',
		q VARCHAR(10) DEFAULT 'it''s', n INT DEFAULT 0, dd DATE DEFAULT '2024-01-01', ex INT DEFAULT (1 + 2))`)
	full = rowsText("SHOW FULL COLUMNS FROM d")
	got = nil
	for _, l := range strings.Split(full, "\n") {
		f := strings.Split(l, "|")
		got = append(got, f[0]+"|"+f[5]+"|"+f[7])
	}
	const privs = "select,insert,update,references"
	want = strings.Join([]string{"id|NULL|" + privs, "s|q|" + privs, "s2||" + privs, "q|it's|" + privs, "n|0|" + privs,
		"dd|2024-01-01|" + privs, "ex|(1 + 2)|" + privs}, "\n")
	if g := strings.Join(got, "\n"); g != want {
		t.Errorf("SHOW FULL COLUMNS FROM d (Field, Default, Privileges):\n%s\nwant\n%s", g, want)
	}
	if got := rowsText("SELECT DISTINCT PRIVILEGES FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'sc'"); got != privs {
		t.Errorf("information_schema.COLUMNS.PRIVILEGES: %s, want %s", got, privs)
	}
	// A user with SELECT and UPDATE on the table only.
	mustExec(t, db, "CREATE USER ro@'%' IDENTIFIED BY 'pw'")
	mustExec(t, db, "GRANT SELECT, UPDATE ON sc.d TO ro@'%'")
	ro := mustConnect(t, "ro", "pw", ts.addr)
	var field, typ, coll, null, key, extra, priv, comment string
	var def *string
	if err := ro.QueryRow("SHOW FULL COLUMNS FROM sc.d LIKE 's'").Scan(&field, &typ, &coll, &null, &key, &def, &extra, &priv, &comment); err != nil {
		t.Fatal(err)
	}
	if priv != "select,update" {
		t.Errorf("ro's Privileges on sc.d.s: %q, want select,update", priv)
	}
}

// TestInfoSchemaTriggersViewsAnyDatabase: information_schema.TRIGGERS and
// VIEWS list every database's triggers and views whatever the current
// database is (none, or one where the trigger's table does not exist), as
// mysqldump reads them.
func TestInfoSchemaTriggersViewsAnyDatabase(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		"CREATE DATABASE a", "CREATE TABLE a.x (i INT)",
		"CREATE TRIGGER a.tr BEFORE INSERT ON a.x FOR EACH ROW SET NEW.i = 1",
		"CREATE VIEW a.vx AS SELECT i FROM a.x",
		"CREATE DATABASE b",
	} {
		mustExec(t, db, q)
	}
	check := func(where string) {
		t.Helper()
		var schema, name, table string
		if err := db.QueryRow("SELECT TRIGGER_SCHEMA, TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'a'").Scan(&schema, &name, &table); err != nil {
			t.Fatalf("%s: TRIGGERS: %v", where, err)
		}
		if schema+"."+name+"/"+table != "a.tr/x" {
			t.Errorf("%s: TRIGGERS row %s.%s/%s, want a.tr/x", where, schema, name, table)
		}
		if err := db.QueryRow("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'a'").Scan(&schema, &name); err != nil {
			t.Fatalf("%s: VIEWS: %v", where, err)
		}
		if schema+"."+name != "a.vx" {
			t.Errorf("%s: VIEWS row %s.%s, want a.vx", where, schema, name)
		}
	}
	check("no current database")
	mustExec(t, db, "USE b")
	check("in b")
	var cur string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&cur); err != nil || cur != "b" {
		t.Errorf("current database after the reads: %q (%v), want b", cur, err)
	}
}

// TestShowCreateTableNullClauses: nullable columns print MySQL 8.0's NULL
// clauses (sql_show.cc store_create_info, print_default_clause): DEFAULT
// NULL without a default, except BLOB/TEXT, generated and AUTO_INCREMENT
// columns; an explicit NULL after a nullable TIMESTAMP's type. The
// statement loads back into a table with the same SHOW CREATE TABLE.
func TestShowCreateTableNullClauses(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE sc")
	mustExec(t, db, "USE sc")
	mustExec(t, db, `CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(255), n2 INT NULL DEFAULT NULL,
		ts TIMESTAMP, ts2 TIMESTAMP(3) NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
		ts3 TIMESTAMP NOT NULL DEFAULT '2024-01-01 00:00:00', ts4 TIMESTAMP DEFAULT NULL,
		dt DATETIME(6), tx TEXT, bl BLOB DEFAULT NULL, j JSON, g INT GENERATED ALWAYS AS (id + 1),
		c INT COMMENT 'a comment', d INT DEFAULT 5, e ENUM('a','b'), nn INT NOT NULL,
		v VARCHAR(10) COLLATE utf8mb4_bin)`)
	mustExec(t, db, `CREATE TABLE ai (k INT NOT NULL, a INT AUTO_INCREMENT, KEY (a), PRIMARY KEY (k))`)
	show := func(table string) string {
		t.Helper()
		var name, stmt string
		if err := db.QueryRow("SHOW CREATE TABLE "+table).Scan(&name, &stmt); err != nil {
			t.Fatal(err)
		}
		return stmt
	}
	stmt := show("t")
	for _, want := range []string{
		"  `note` varchar(255) DEFAULT NULL,\n",
		"  `n2` int DEFAULT NULL,\n",
		"  `ts` timestamp NULL DEFAULT NULL,\n",
		"  `ts2` timestamp(3) NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),\n",
		"  `ts3` timestamp NOT NULL DEFAULT '2024-01-01 00:00:00',\n",
		"  `ts4` timestamp NULL DEFAULT NULL,\n",
		"  `dt` datetime(6) DEFAULT NULL,\n",
		"  `tx` text,\n",
		"  `bl` blob,\n",
		"  `j` json DEFAULT NULL,\n",
		"  `g` int GENERATED ALWAYS AS ((`id` + 1)),\n",
		"  `c` int DEFAULT NULL COMMENT 'a comment',\n",
		"  `d` int DEFAULT '5',\n",
		"  `e` enum('a','b') DEFAULT NULL,\n",
		"  `nn` int NOT NULL,\n",
		"  `v` varchar(10) COLLATE utf8mb4_bin DEFAULT NULL,\n",
	} {
		if !strings.Contains(stmt, want) {
			t.Errorf("SHOW CREATE TABLE lacks %q:\n%s", want, stmt)
		}
	}
	// An AUTO_INCREMENT column is NOT NULL even when not declared so (as in
	// MySQL), and never gets a DEFAULT clause.
	if got := show("ai"); !strings.Contains(got, "  `a` int NOT NULL AUTO_INCREMENT,\n") {
		t.Errorf("AUTO_INCREMENT column: want NOT NULL AUTO_INCREMENT:\n%s", got)
	}
	// Round trip (what a mysqldump reload does).
	mustExec(t, db, strings.Replace(stmt, "CREATE TABLE `t`", "CREATE TABLE `t_copy`", 1))
	if got := strings.Replace(show("t_copy"), "CREATE TABLE `t_copy`", "CREATE TABLE `t`", 1); got != stmt {
		t.Errorf("reloaded table prints\n%s\nwant\n%s", got, stmt)
	}
}
