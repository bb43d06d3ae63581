package storage_test

import (
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
)

// TestForeignKeyLookupsOnExtendedIndex covers GMS's foreign-key editor,
// which looks child rows up by the index columns plus the primary key.
func TestForeignKeyLookupsOnExtendedIndex(t *testing.T) {
	d := openTestDB(t, t.TempDir())
	defer d.close()
	d.mustQuery("CREATE DATABASE x")
	d.ses.SetCurrentDatabase("x")
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
	d := openTestDB(t, t.TempDir())
	defer d.close()
	d.mustQuery("CREATE DATABASE x")
	d.ses.SetCurrentDatabase("x")
	d.mustQuery("CREATE TABLE t (id BIGINT NOT NULL, PRIMARY KEY (id)) COMMENT='orders of the day'")
	rows := d.mustQuery("SHOW CREATE TABLE t")
	if !strings.Contains(rows[0][1].(string), "COMMENT='orders of the day'") {
		t.Fatalf("comment lost: %v", rows)
	}
}
