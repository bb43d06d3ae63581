package storage_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
)

// TestForeignKeyLookupsOnExtendedIndex covers GMS's foreign-key editor,
// which looks child rows up by the index columns plus the primary key.
func TestForeignKeyLookupsOnExtendedIndex(t *testing.T) {
	d := openDatabase(t, "x")
	d.mustQuery("CREATE TABLE p (id INT PRIMARY KEY, v INT)")
	d.mustQuery("CREATE TABLE c (id INT PRIMARY KEY, pid INT, KEY pid (pid), CONSTRAINT fk FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE ON UPDATE CASCADE)")
	d.mustQuery("INSERT INTO p VALUES (1, 1), (2, 2), (3, 3)")
	d.mustQuery("INSERT INTO c VALUES (10, 1), (11, 1), (12, 2), (13, 3)")
	d.mustQuery("DELETE FROM p WHERE id = 1")
	d.mustQuery("UPDATE p SET id = 20 WHERE id = 2")
	rows := d.mustQuery("SELECT id, pid FROM c ORDER BY id")
	if len(rows) != 2 || rows[0][1] != int32(20) || rows[1][1] != int32(3) {
		t.Fatalf("cascades: %v", rows)
	}
	if err := d.e.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// TestFailedStatementsReleaseResources: a failing ALTER must not leave
// iterators open (the store refuses to close with leaked iterators).
func TestFailedStatementsReleaseResources(t *testing.T) {
	d := openTestDB(t, t.TempDir())
	d.mustQuery("CREATE DATABASE x")
	d.ses.SetCurrentDatabase("x")
	d.mustQuery("CREATE TABLE p (id INT PRIMARY KEY)")
	d.mustQuery("CREATE TABLE c (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES p (id))")
	d.mustQuery("INSERT INTO p VALUES (1)")
	d.mustQuery("INSERT INTO c VALUES (10, 1)")
	if _, err := d.query("ALTER TABLE c ADD CONSTRAINT ck CHECK (id < 5)"); err == nil {
		t.Fatal("CHECK over violating rows was accepted")
	}
	if _, err := d.query("CREATE TABLE m (a INT PRIMARY KEY, b INT PRIMARY KEY)"); !sql.ErrMultiplePrimaryKeysDefined.Is(err) {
		t.Fatalf("two inline primary keys: %v", err)
	}
	d.close()
}

// TestTableCommentWithPrimaryKeyClause: GMS drops the comment of tables
// declared with a PRIMARY KEY (...) clause; storage recovers it.
func TestTableCommentWithPrimaryKeyClause(t *testing.T) {
	d := openDatabase(t, "x")
	d.mustQuery("CREATE TABLE t (id BIGINT NOT NULL, PRIMARY KEY (id)) COMMENT='orders of the day'")
	rows := d.mustQuery("SHOW CREATE TABLE t")
	if !strings.Contains(rows[0][1].(string), "COMMENT='orders of the day'") {
		t.Fatalf("comment lost: %v", rows)
	}
}

// TestMultiClauseAlterKeepsRows: GMS builds all clauses of an ALTER before
// running them, and the statement's snapshot predates the first rewrite.
func TestMultiClauseAlterKeepsRows(t *testing.T) {
	d := openDatabase(t, "x")
	d.mustQuery("CREATE TABLE x (pk BIGINT PRIMARY KEY, v1 BIGINT)")
	d.mustQuery("INSERT INTO x VALUES (1,1),(2,2),(3,2)")
	d.mustQuery("ALTER TABLE x ADD COLUMN v2 BIGINT DEFAULT 5, ADD COLUMN v3 BIGINT DEFAULT 6")
	if got := fmt.Sprint(d.mustQuery("SELECT * FROM x ORDER BY pk")); got != "[[1 1 5 6] [2 2 5 6] [3 2 5 6]]" {
		t.Fatalf("after two ADD COLUMNs: %s", got)
	}
	if _, err := d.query("ALTER TABLE x DROP PRIMARY KEY, ADD PRIMARY KEY (v1)"); err == nil {
		t.Fatal("new primary key over duplicate values was accepted")
	}
	// NB: clauses apply one by one (GMS has no atomic multi-clause ALTER):
	// the failed statement left the table without a primary key.
	if got := fmt.Sprint(d.mustQuery("SELECT COUNT(*) FROM x")); got != "[[3]]" {
		t.Fatalf("rows lost by the failed ALTER: %s", got)
	}
	d.mustQuery("ALTER TABLE x ADD PRIMARY KEY (v1, pk)")
	if got := fmt.Sprint(d.mustQuery("SELECT pk, v1 FROM x ORDER BY v1, pk")); got != "[[1 1] [2 2] [3 2]]" {
		t.Fatalf("after re-keying: %s", got)
	}
	d.mustQuery("ALTER TABLE x ADD COLUMN c BIGINT AS (v1 + 1) STORED, ADD INDEX b1 (v2), ADD COLUMN e BIGINT AS (v1 + 2) STORED")
	if got := fmt.Sprint(d.mustQuery("SELECT pk, c, e FROM x ORDER BY pk")); got != "[[1 2 3] [2 3 4] [3 3 4]]" {
		t.Fatalf("after generated columns: %s", got)
	}
	if err := d.e.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// TestCallRunsInsideTheTransaction: GMS detaches the transaction while a
// procedure runs; the procedure must join it, not end it.
func TestCallRunsInsideTheTransaction(t *testing.T) {
	d := openDatabase(t, "x")
	d.mustQuery("CREATE TABLE t (i INT PRIMARY KEY)")
	d.mustQuery("CREATE TABLE t4 (m INT PRIMARY KEY)")
	d.mustQuery("CREATE PROCEDURE proc(x INT) BEGIN INSERT INTO t4 VALUES (x); END")
	d.mustQuery("START TRANSACTION")
	d.mustQuery("INSERT INTO t VALUES (5)")
	d.mustQuery("CALL proc(6)")
	d.mustQuery("COMMIT")
	if got := fmt.Sprint(d.mustQuery("SELECT (SELECT COUNT(*) FROM t), (SELECT COUNT(*) FROM t4)")); got != "[[1 1]]" {
		t.Fatalf("writes around CALL: %s", got)
	}
	d.mustQuery("START TRANSACTION")
	d.mustQuery("INSERT INTO t VALUES (7)")
	d.mustQuery("CALL proc(8)")
	d.mustQuery("ROLLBACK")
	if got := fmt.Sprint(d.mustQuery("SELECT (SELECT COUNT(*) FROM t), (SELECT COUNT(*) FROM t4)")); got != "[[1 1]]" {
		t.Fatalf("rollback around CALL: %s", got)
	}
	// A trigger calling a procedure, in autocommit mode.
	d.mustQuery("CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW CALL proc(new.i * 10)")
	d.mustQuery("INSERT INTO t VALUES (1)")
	if got := fmt.Sprint(d.mustQuery("SELECT (SELECT COUNT(*) FROM t), (SELECT COUNT(*) FROM t4)")); got != "[[2 2]]" {
		t.Fatalf("trigger calling a procedure: %s", got)
	}
	// A cursor over a table inside a procedure.
	d.mustQuery(`CREATE PROCEDURE p1() BEGIN DECLARE a, b INT DEFAULT 1; DECLARE cur1 CURSOR FOR SELECT * FROM t;
		DECLARE EXIT HANDLER FOR NOT FOUND BEGIN END; OPEN cur1; BEGIN tloop: LOOP FETCH cur1 INTO b; SET a = (a + b) * 10;
		IF a < 1000 THEN ITERATE tloop; ELSE LEAVE tloop; END IF; END LOOP; END; CLOSE cur1; SELECT a; END`)
	d.mustQuery("INSERT INTO t VALUES (7), (8)") // rows 1, 5, 7, 8: a = 20, 250, 2570
	if got := fmt.Sprint(d.mustQuery("CALL p1()")); got != "[[2570]]" {
		t.Fatalf("cursor procedure: %s", got)
	}
}

// TestStatementDoesNotSeeItsOwnWrites: a statement's scans skip the rows
// it has written (an UPDATE of the key it scans must terminate; GMS's
// multi-table UPDATE relies on it to update each row once).
func TestStatementDoesNotSeeItsOwnWrites(t *testing.T) {
	d := openDatabase(t, "x")
	d.mustQuery("CREATE TABLE b (x INT PRIMARY KEY)")
	d.mustQuery("INSERT INTO b VALUES (1), (2), (3)")
	d.mustQuery("UPDATE b SET x = x + 10 WHERE x <> 2")
	if got := fmt.Sprint(d.mustQuery("SELECT x FROM b ORDER BY x")); got != "[[2] [11] [13]]" {
		t.Fatalf("primary key update: %s", got)
	}
	d.mustQuery("CREATE TABLE c (y INT)")
	d.mustQuery("INSERT INTO c VALUES (0), (1), (2), (3), (4), (5), (6), (7)")
	d.mustQuery("UPDATE c SET y = y + 3")
	if got := fmt.Sprint(d.mustQuery("SELECT y FROM c ORDER BY y")); got != "[[3] [4] [5] [6] [7] [8] [9] [10]]" {
		t.Fatalf("keyless update: %s", got)
	}
	d.mustQuery("CREATE TABLE p (id INT PRIMARY KEY, n INT)")
	d.mustQuery("CREATE TABLE ch (id INT PRIMARY KEY, pid INT)")
	d.mustQuery("INSERT INTO p VALUES (1, 0), (2, 0)")
	d.mustQuery("INSERT INTO ch VALUES (10, 1), (11, 1), (12, 1), (20, 2)")
	d.mustQuery("UPDATE p JOIN ch ON p.id = ch.pid SET p.n = p.n + 1")
	if got := fmt.Sprint(d.mustQuery("SELECT id, n FROM p ORDER BY id")); got != "[[1 1] [2 1]]" {
		t.Fatalf("multi-table update touched rows more than once: %s", got)
	}
	d.mustQuery("INSERT INTO b SELECT x + 100 FROM b")
	if got := fmt.Sprint(d.mustQuery("SELECT COUNT(*) FROM b")); got != "[[6]]" {
		t.Fatalf("INSERT ... SELECT from the same table: %s", got)
	}
	if err := d.e.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

func TestDropPrimaryKeyChecks(t *testing.T) {
	d := openDatabase(t, "x")
	d.mustQuery("CREATE TABLE a (id INT PRIMARY KEY AUTO_INCREMENT, v INT)")
	if _, err := d.query("ALTER TABLE a DROP PRIMARY KEY"); err == nil {
		t.Fatal("dropped the only index of an AUTO_INCREMENT column")
	}
	d.mustQuery("CREATE TABLE p (id INT PRIMARY KEY)")
	d.mustQuery("CREATE TABLE c (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES p (id))")
	if _, err := d.query("ALTER TABLE p DROP PRIMARY KEY"); err == nil {
		t.Fatal("dropped a primary key that a foreign key references")
	}
}

func TestForeignKeySetDefaultRejected(t *testing.T) {
	d := openDatabase(t, "x")
	d.mustQuery("CREATE TABLE p (id INT PRIMARY KEY)")
	if _, err := d.query("CREATE TABLE c (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES p (id) ON DELETE SET DEFAULT)"); !sql.ErrForeignKeySetDefault.Is(err) {
		t.Fatalf("SET DEFAULT foreign key: %v", err)
	}
}

func TestForeignKeyChecksSeeTheStatementsRows(t *testing.T) {
	d := openDatabase(t, "x")
	d.mustQuery("CREATE TABLE tree (id INT PRIMARY KEY, parent INT, FOREIGN KEY (parent) REFERENCES tree (id) ON DELETE CASCADE)")
	d.mustQuery("INSERT INTO tree VALUES (1, NULL), (2, 1), (3, 2)")
	d.mustQuery("DELETE FROM tree WHERE id = 1")
	if got := fmt.Sprint(d.mustQuery("SELECT COUNT(*) FROM tree")); got != "[[0]]" {
		t.Fatalf("cascade through a self reference: %s", got)
	}
}

// TestForeignKeyOnIndexWithPrimaryKeyColumns: an index that contains a
// primary key column stores only the other key columns after it, so it
// can serve a foreign key over (index columns, remaining key columns).
func TestForeignKeyOnIndexWithPrimaryKeyColumns(t *testing.T) {
	d := openDatabase(t, "x")
	d.mustQuery("CREATE TABLE parent1 (pk1 INT, pk2 INT, pk3 INT, fk1 INT, PRIMARY KEY (pk1, pk2, pk3), INDEX (fk1, pk2))")
	d.mustQuery("INSERT INTO parent1 VALUES (1, 2, 3, 0), (4, 5, 6, 0)")
	d.mustQuery("CREATE TABLE child2 (a INT PRIMARY KEY, fk1 INT, pk2 INT, pk1 INT)")
	d.mustQuery("ALTER TABLE child2 ADD CONSTRAINT fk2 FOREIGN KEY (fk1, pk2, pk1) REFERENCES parent1 (fk1, pk2, pk1)")
	d.mustQuery("INSERT INTO child2 VALUES (1, 0, 2, 1)")
	if _, err := d.query("INSERT INTO child2 VALUES (2, 0, 2, 4)"); err == nil {
		t.Fatal("foreign key not enforced")
	}
	if got := fmt.Sprint(d.mustQuery("SELECT pk1, pk3 FROM parent1 WHERE fk1 = 0 AND pk2 = 5")); got != "[[4 6]]" {
		t.Fatalf("lookup through the index: %s", got)
	}
	if err := d.e.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}
