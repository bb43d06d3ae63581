package sqlserver_test

import (
	"strings"
	"testing"
)

// TestEnumSetStrings: ENUM and SET values are their strings in string
// context (string functions, LIKE, REGEXP, comparisons with strings,
// MIN/MAX, GROUP_CONCAT, JSON, CASE/IF/COALESCE mixing them with strings)
// and their numbers in numeric context, as in MySQL (client issue Q14:
// QUOTE(status) gave '2'). The expected values are MariaDB 10.11's answers
// to the same statements over the same rows, which agree with MySQL 8.0's
// rules for these cases.
func TestEnumSetStrings(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE es",
		"CREATE TABLE es.t (id INT PRIMARY KEY, s ENUM('new','paid','shipped','cancelled') NOT NULL, st SET('a','b','c'), n ENUM('x','y') NULL)",
		"INSERT INTO es.t VALUES (1,'new','a,c','x'),(2,'paid','',NULL),(3,'shipped','b','y'),(4,'cancelled',NULL,'x')",
	)
	if _, err := db.Exec("USE es"); err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, c := range []struct{ q, want string }{
		{"SELECT id, QUOTE(s), CONCAT(s, '!'), UPPER(s), LOWER(s), SUBSTRING(s, 2), LENGTH(s), CHAR_LENGTH(s), REPLACE(s, 'a', 'A') FROM t ORDER BY id", "1|'new'|new!|NEW|new|ew|3|3|new;2|'paid'|paid!|PAID|paid|aid|4|4|pAid;3|'shipped'|shipped!|SHIPPED|shipped|hipped|7|7|shipped;4|'cancelled'|cancelled!|CANCELLED|cancelled|ancelled|9|9|cAncelled"},
		{"SELECT id, QUOTE(st), CONCAT(st, '!'), UPPER(st), LENGTH(st), CONCAT_WS('-', s, st) FROM t ORDER BY id", "1|'a,c'|a,c!|A,C|3|new-a,c;2|''|!||0|paid-;3|'b'|b!|B|1|shipped-b;4|NULL|NULL|NULL|NULL|cancelled"},
		{"SELECT id, LEFT(s, 2), RIGHT(s, 2), REVERSE(s), HEX(s), INSTR(s, 'p'), LOCATE('p', s), LPAD(s, 10, '*'), RPAD(s, 10, '*'), TRIM(s), REPEAT(s, 2) FROM t ORDER BY id", "1|ne|ew|wen|6E6577|0|0|*******new|new*******|new|newnew;2|pa|id|diap|70616964|1|1|******paid|paid******|paid|paidpaid;3|sh|ed|deppihs|73686970706564|4|4|***shipped|shipped***|shipped|shippedshipped;4|ca|ed|dellecnac|63616E63656C6C6564|0|0|*cancelled|cancelled*|cancelled|cancelledcancelled"},
		{"SELECT id, MD5(s), ASCII(s), STRCMP(s, 'paid'), SUBSTRING_INDEX(s, 'p', 1), INSERT(s, 1, 1, 'X'), FIELD(s, 'paid', 'new'), FIND_IN_SET(s, 'paid,new') FROM t ORDER BY id", "1|22af645d1859cb5ca6da0c484f1f37ea|110|-1|new|Xew|2|2;2|76e084771e78c194efd0e2d5b8920bea|112|0||Xaid|1|1;3|8407efe4e76e884909955a5e7293661e|115|1|shi|Xhipped|0|0;4|38881e0a24039dc2621e1d6f86cb71f7|99|-1|cancelled|Xancelled|0|0"},
		{"SELECT id, s + 0, st + 0, ABS(s), ROUND(s), s * 2, s = 2, s = '2', ELT(s, 'a', 'b', 'c', 'd') FROM t ORDER BY id", "1|1|5|1|1|2|0|0|a;2|2|0|2|2|4|1|0|b;3|3|2|3|3|6|0|0|c;4|4|NULL|4|4|8|0|0|d"},
		{"SELECT id, IF(id > 2, s, 'zz'), IFNULL(n, 'none'), COALESCE(n, s), NULLIF(s, 'new'), GREATEST(s, 'm'), CASE WHEN id > 2 THEN s ELSE 'x' END FROM t ORDER BY id", "1|zz|x|x|NULL|new|x;2|zz|none|paid|paid|paid|x;3|shipped|y|y|shipped|shipped|shipped;4|cancelled|x|x|cancelled|m|cancelled"},
		{"SELECT id, JSON_OBJECT('s', s), JSON_ARRAY(s, st), CAST(s AS CHAR), CAST(st AS CHAR), s = n, CONCAT(s, n) FROM t ORDER BY id", "1|{\"s\": \"new\"}|[\"new\", \"a,c\"]|new|a,c|0|newx;2|{\"s\": \"paid\"}|[\"paid\", \"\"]|paid||NULL|NULL;3|{\"s\": \"shipped\"}|[\"shipped\", \"b\"]|shipped|b|0|shippedy;4|{\"s\": \"cancelled\"}|[\"cancelled\", null]|cancelled|NULL|0|cancelledx"},
		{"SELECT GROUP_CONCAT(s ORDER BY id), GROUP_CONCAT(s ORDER BY s), MAX(s), MIN(s), MAX(st) FROM t", "new,paid,shipped,cancelled|new,paid,shipped,cancelled|shipped|cancelled|b"},
		{"SELECT DISTINCT QUOTE(s) FROM t ORDER BY 1", "'cancelled';'new';'paid';'shipped'"},
		{"SELECT id FROM t WHERE s LIKE 'p%' OR st LIKE '%c%' ORDER BY id", "1;2"},
		{"SELECT id FROM t WHERE s > 'o' ORDER BY id", "2;3"},
		{"SELECT id FROM t WHERE s BETWEEN 'a' AND 'o' ORDER BY id", "1;4"},
		{"SELECT id FROM t WHERE s = 'PAID' OR st = 'c,a' ORDER BY id", "2"},
		{"SELECT id FROM t WHERE s REGEXP '^(p|s)' ORDER BY id", "2;3"},
		{"SELECT s FROM t ORDER BY s", "new;paid;shipped;cancelled"},
		{"SELECT UPPER(s) AS u FROM t ORDER BY u", "CANCELLED;NEW;PAID;SHIPPED"},
		{"SELECT x FROM (SELECT SUBSTRING(s, 2) AS x FROM t) AS d ORDER BY x", "aid;ancelled;ew;hipped"},
		{"SELECT LEFT(s, 1) AS k, COUNT(*) FROM t GROUP BY LEFT(s, 1) ORDER BY k", "c|1;n|1;p|1;s|1"},
		{"SELECT id FROM t WHERE id IN (SELECT id FROM t WHERE s LIKE 'p%')", "2"},
		{"SELECT CONCAT(s) FROM t UNION SELECT 'zzz' ORDER BY 1", "cancelled;new;paid;shipped;zzz"},
		{"WITH c AS (SELECT id, CONCAT(s, '') AS x FROM t) SELECT x FROM c WHERE x LIKE '%a%' ORDER BY x", "cancelled;paid"},
		{"SELECT (SELECT MAX(s) FROM t), (SELECT UPPER(s) FROM t WHERE id = 1)", "shipped|NEW"},
		{"SELECT a.id FROM t a JOIN t b ON a.s = b.s AND a.id = b.id ORDER BY a.id", "1;2;3;4"},
		{"SELECT id FROM t WHERE s IN ('PAID', 'nope') ORDER BY id", "2"},
		{"SELECT id FROM t WHERE s NOT IN ('x', 'new') ORDER BY id", "2;3;4"},
		{"SELECT 'paid' IN (SELECT s FROM t), 'nope' IN (SELECT s FROM t)", "1|0"},
		{"SELECT id FROM t WHERE 'Shipped' IN (SELECT s FROM t AS t2 WHERE t2.id = t.id)", "3"},
		{"SELECT DISTINCT CASE WHEN id > 2 THEN 'x' ELSE REVERSE(s) END AS c FROM t ORDER BY 1", "diap;wen;x"},
		{"SELECT id, CASE WHEN id > 1 THEN NULLIF(s, 'paid') ELSE 'zz' END FROM t ORDER BY id", "1|zz;2|NULL;3|shipped;4|cancelled"},
	} {
		_, rows := queryText(t, db, c.q)
		if got := joinRows(rows, "|", ";"); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.q, got, c.want)
		}
	}
}

// TestEnumSetStringsDML: the same rules in statements GMS analyzes
// through its shortcut batches (simple UPDATE and DELETE), in INSERT ...
// SELECT and UPDATE ... SET into text columns, in CREATE TABLE ... AS
// SELECT, and with prepared-statement parameters; and an ENUM compared
// with one of its members keeps using the index on it.
func TestEnumSetStringsDML(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE ed",
		"CREATE TABLE ed.t (id INT PRIMARY KEY, s ENUM('new','paid','shipped','cancelled') NOT NULL, st SET('a','b','c'), note VARCHAR(20), KEY (s))",
		"INSERT INTO ed.t VALUES (1,'new','a,c',NULL),(2,'paid','',NULL),(3,'shipped','b',NULL),(4,'cancelled',NULL,NULL)",
	)
	if _, err := db.Exec("USE ed"); err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	check := func(q, want string, args ...any) {
		t.Helper()
		_, rows := queryText(t, db, q, args...)
		if got := joinRows(rows, "|", ";"); got != want {
			t.Errorf("%s %v\n got %s\nwant %s", q, args, got, want)
		}
	}
	exec("UPDATE t SET note = CONCAT(UPPER(s), '!') WHERE s LIKE '%e%'")
	check("SELECT id, note FROM t ORDER BY id", "1|NEW!;2|NULL;3|SHIPPED!;4|CANCELLED!")
	exec("UPDATE t SET note = s WHERE s > 'o'")
	exec("UPDATE t SET note = st WHERE id = 1")
	check("SELECT id, note FROM t ORDER BY id", "1|a,c;2|paid;3|shipped;4|CANCELLED!")
	exec("CREATE TABLE w (id INT PRIMARY KEY, note VARCHAR(20), e ENUM('new','paid','shipped','cancelled'), n INT)")
	exec("INSERT INTO w SELECT id, s, s, s FROM t")
	exec("INSERT INTO w (note, id) SELECT st, id + 10 FROM t WHERE id < 3")
	check("SELECT * FROM w ORDER BY id", "1|new|new|1;2|paid|paid|2;3|shipped|shipped|3;4|cancelled|cancelled|4;11|a,c|NULL|NULL;12||NULL|NULL")
	exec("CREATE TABLE c AS SELECT id, UPPER(s) AS us, s FROM t")
	check("SELECT * FROM c ORDER BY id", "1|NEW|new;2|PAID|paid;3|SHIPPED|shipped;4|CANCELLED|cancelled")
	_, rows := queryText(t, db, "SHOW CREATE TABLE c")
	if ddl := rows[0][1]; !strings.Contains(ddl, "`us` varchar(9)") || !strings.Contains(ddl, "`s` enum(") {
		t.Errorf("CREATE TABLE ... AS SELECT UPPER(enum): %s", ddl)
	}
	// Prepared statements (go-sql-driver sends these with COM_STMT_EXECUTE).
	check("SELECT id, QUOTE(s) FROM t WHERE s LIKE ? ORDER BY id", "2|'paid'", "p%")
	check("SELECT id FROM t WHERE s = ? ORDER BY id", "3", "SHIPPED")
	check("SELECT id FROM t WHERE s = ? ORDER BY id", "", "2")
	check("SELECT id FROM t WHERE s = ? ORDER BY id", "2", 2)
	exec("DELETE FROM t WHERE s LIKE 'c%' OR st LIKE '%c%'")
	check("SELECT id FROM t ORDER BY id", "2;3")
	// = with a member's name still compares indexes, so the index is used.
	_, rows = queryText(t, db, "EXPLAIN PLAN SELECT id FROM t WHERE s = 'PAID'")
	if plan := joinRows(rows, "", "\n"); !strings.Contains(plan, "IndexedTableAccess") {
		t.Errorf("s = 'PAID' does not use the index on s:\n%s", plan)
	}
}

// TestEnumStringsPlaceholders: the rule leaves expressions without a type
// alone (HEX(*) is an error, COUNT(*) counts).
func TestEnumStringsPlaceholders(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE ep",
		"CREATE TABLE ep.t (id INT PRIMARY KEY, s ENUM('a','b'))",
		"INSERT INTO ep.t VALUES (1,'a'),(2,'b')",
	)
	if _, err := db.Exec("SELECT HEX(*) FROM ep.t"); err == nil {
		t.Error("SELECT HEX(*): no error")
	}
	if got, err := firstColumn(db, "SELECT COUNT(*) FROM ep.t WHERE s LIKE 'b'"); err != nil || got != "1" {
		t.Errorf("COUNT(*) ... LIKE: %q, %v", got, err)
	}
}
