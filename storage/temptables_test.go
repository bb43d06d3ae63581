package storage_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage"
)

func countKeys(t *testing.T, e *storage.Engine) (data, temps int) {
	t.Helper()
	data, temps, err := storage.CountKeys(e)
	if err != nil {
		t.Fatal(err)
	}
	return data, temps
}

// TestTemporaryTablesAreSessionScoped checks that a temporary table is
// visible only to its session, hides a permanent table of the same name
// there, is not listed as a table, and is dropped with its rows when the
// session ends.
func TestTemporaryTablesAreSessionScoped(t *testing.T) {
	d := openDatabase(t, "tt")
	d.mustQuery("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))")
	d.mustQuery("INSERT INTO t VALUES (1, 'perm')")
	dataBefore, _ := countKeys(t, d.e)

	other := d.e.NewSession(sql.NewBaseSession())
	other.SetCurrentDatabase("tt")
	onOther := func(q string) ([]sql.Row, error) { return queryOn(d, other, q) }

	d.mustQuery("CREATE TEMPORARY TABLE t (id INT PRIMARY KEY, v VARCHAR(10))")
	d.mustQuery("CREATE TEMPORARY TABLE only_mine (k INT PRIMARY KEY, s VARCHAR(20), UNIQUE KEY (s))")
	d.mustQuery("INSERT INTO t VALUES (1, 'tmp'), (2, 'tmp')")
	d.mustQuery("INSERT INTO only_mine VALUES (1, 'a'), (2, 'b')")

	if got := fmt.Sprint(d.mustQuery("SELECT id, v FROM t ORDER BY id")); got != "[[1 tmp] [2 tmp]]" {
		t.Errorf("own session reads the temporary t: got %s", got)
	}
	rows, err := onOther("SELECT id, v FROM t ORDER BY id")
	if err != nil || fmt.Sprint(rows) != "[[1 perm]]" {
		t.Errorf("other session reads the permanent t: got %v, %v", rows, err)
	}
	if _, err := onOther("SELECT * FROM only_mine"); err == nil || !sql.ErrTableNotFound.Is(err) {
		t.Errorf("other session must not see only_mine, got err %v", err)
	}
	// The other session may create its own temporary table of the same name.
	if _, err := onOther("CREATE TEMPORARY TABLE only_mine (k INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := onOther("INSERT INTO only_mine VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(d.mustQuery("SELECT k, s FROM only_mine ORDER BY k")); got != "[[1 a] [2 b]]" {
		t.Errorf("own only_mine: got %s", got)
	}
	if rows, err := onOther("SELECT k FROM only_mine"); err != nil || fmt.Sprint(rows) != "[[42]]" {
		t.Errorf("other's only_mine: got %v, %v", rows, err)
	}

	// Temporary tables are not listed (SHOW TABLES, information_schema).
	if got := fmt.Sprint(d.mustQuery("SHOW TABLES")); got != "[[t]]" {
		t.Errorf("SHOW TABLES: got %s", got)
	}
	if got := fmt.Sprint(d.mustQuery("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'tt'")); got != "[[1]]" {
		t.Errorf("information_schema.tables: got %s", got)
	}
	if got := d.mustQuery("SHOW CREATE TABLE only_mine"); !strings.HasPrefix(fmt.Sprint(got[0][1]), "CREATE TEMPORARY TABLE `only_mine`") {
		t.Errorf("SHOW CREATE TABLE: got %v", got[0][1])
	}

	// DROP TABLE drops the temporary table first; the permanent one is
	// visible again.
	d.mustQuery("DROP TABLE t")
	if got := fmt.Sprint(d.mustQuery("SELECT id, v FROM t")); got != "[[1 perm]]" {
		t.Errorf("after dropping the temporary t: got %s", got)
	}
	// DROP TEMPORARY TABLE does not touch permanent tables.
	if _, err := d.query("DROP TEMPORARY TABLE t"); err == nil {
		t.Error("DROP TEMPORARY TABLE of a permanent table must fail")
	}

	// Session end drops the remaining temporary tables and their rows.
	d.ses.(sql.LifecycleAwareSession).SessionEnd()
	other.(sql.LifecycleAwareSession).SessionEnd()
	data, temps := countKeys(t, d.e)
	if data != dataBefore || temps != 0 {
		t.Errorf("after session end: %d data keys (want %d), %d temporary registrations (want 0)", data, dataBefore, temps)
	}
	d.ses = d.e.NewSession(sql.NewBaseSession())
	d.ses.SetCurrentDatabase("tt")
	if _, err := d.query("SELECT * FROM only_mine"); err == nil {
		t.Error("only_mine survived the end of its session")
	}
}

// TestTemporaryTableIndexesAndTransactions checks indexes, unique checks,
// DDL and transactional behaviour of temporary tables.
func TestTemporaryTableIndexesAndTransactions(t *testing.T) {
	d := openDatabase(t, "tt")
	d.mustQuery("CREATE TABLE p (id INT PRIMARY KEY)")
	dataBefore, _ := countKeys(t, d.e)
	d.mustQuery("CREATE TEMPORARY TABLE tmp (id INT PRIMARY KEY AUTO_INCREMENT, a INT, b VARCHAR(10), UNIQUE KEY ua (a), KEY kb (b))")
	d.mustQuery("INSERT INTO tmp (a, b) VALUES (10, 'x'), (20, 'y'), (30, 'x')")
	if _, err := d.query("INSERT INTO tmp (a, b) VALUES (20, 'z')"); err == nil || !strings.Contains(err.Error(), "duplicate unique key") {
		t.Errorf("duplicate unique key: got %v", err)
	}
	if got := fmt.Sprint(d.mustQuery("SELECT id FROM tmp WHERE b = 'x' ORDER BY id")); got != "[[1] [3]]" {
		t.Errorf("secondary index lookup: got %s", got)
	}
	if got := fmt.Sprint(d.mustQuery("EXPLAIN PLAN SELECT id FROM tmp WHERE a = 20")); !strings.Contains(got, "IndexedTableAccess(tmp)") {
		t.Errorf("the unique index is not used: %s", got)
	}
	d.mustQuery("CREATE INDEX kab ON tmp (a, b)")
	d.mustQuery("ALTER TABLE tmp ADD COLUMN c INT DEFAULT 7")
	if got := fmt.Sprint(d.mustQuery("SELECT id, a, b, c FROM tmp WHERE a >= 20 ORDER BY a")); got != "[[2 20 y 7] [3 30 x 7]]" {
		t.Errorf("after DDL: got %s", got)
	}
	if err := d.e.CheckConsistency(); err != nil {
		t.Fatal(err)
	}

	// Row changes are transactional; the table itself survives ROLLBACK.
	d.mustQuery("BEGIN")
	d.mustQuery("UPDATE tmp SET b = 'changed' WHERE id = 1")
	d.mustQuery("DELETE FROM tmp WHERE id = 2")
	d.mustQuery("INSERT INTO tmp (a, b) VALUES (40, 'w')")
	d.mustQuery("ROLLBACK")
	if got := fmt.Sprint(d.mustQuery("SELECT id, b FROM tmp ORDER BY id")); got != "[[1 x] [2 y] [3 x]]" {
		t.Errorf("after ROLLBACK: got %s", got)
	}

	// A READ ONLY transaction may write temporary tables only.
	d.mustQuery("START TRANSACTION READ ONLY")
	d.mustQuery("INSERT INTO tmp (a, b) VALUES (50, 'ro')")
	if _, err := d.query("INSERT INTO p VALUES (1)"); err == nil || !sql.ErrReadOnlyTransaction.Is(err) {
		t.Errorf("permanent write in a READ ONLY transaction: got %v", err)
	}
	d.mustQuery("COMMIT")
	if got := fmt.Sprint(d.mustQuery("SELECT COUNT(*) FROM tmp")); got != "[[4]]" {
		t.Errorf("after READ ONLY commit: got %s", got)
	}

	// Rows buffered in a transaction for a temporary table dropped before
	// COMMIT are not committed.
	d.mustQuery("BEGIN")
	d.mustQuery("CREATE TEMPORARY TABLE tmp2 (k INT PRIMARY KEY, v INT, KEY (v))")
	d.mustQuery("INSERT INTO tmp2 VALUES (1, 1), (2, 2)")
	d.mustQuery("INSERT INTO p VALUES (1)")
	d.mustQuery("DROP TEMPORARY TABLE tmp2")
	d.mustQuery("COMMIT")
	if got := fmt.Sprint(d.mustQuery("SELECT id FROM p")); got != "[[1]]" {
		t.Errorf("the transaction's permanent write: got %s", got)
	}
	d.mustQuery("DROP TEMPORARY TABLE tmp")
	data, temps := countKeys(t, d.e)
	if data != dataBefore+1 || temps != 0 {
		t.Errorf("after dropping: %d data keys (want %d), %d temporary registrations (want 0)", data, dataBefore+1, temps)
	}
	if _, err := d.query("CREATE TEMPORARY TABLE f (id INT PRIMARY KEY, s TEXT, FULLTEXT KEY (s))"); err == nil {
		t.Error("FULLTEXT index on a temporary table must be refused")
	}
}

// TestTemporaryTablesDoNotSurviveRestart checks that temporary rows left by
// a store closed with sessions still open are gone after reopening.
func TestTemporaryTablesDoNotSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	d := openTestDB(t, dir)
	d.mustQuery("CREATE DATABASE tt")
	d.ses.SetCurrentDatabase("tt")
	d.mustQuery("CREATE TABLE keep (id INT PRIMARY KEY)")
	d.mustQuery("INSERT INTO keep VALUES (1), (2)")
	d.mustQuery("CREATE TEMPORARY TABLE tmp (id INT PRIMARY KEY, v INT, KEY (v))")
	d.mustQuery("INSERT INTO tmp VALUES (1, 1), (2, 2), (3, 3)")
	if _, temps := countKeys(t, d.e); temps != 1 {
		t.Fatalf("%d temporary registrations, want 1", temps)
	}
	d.close()

	d = openTestDB(t, dir)
	t.Cleanup(d.close)
	d.ses.SetCurrentDatabase("tt")
	data, temps := countKeys(t, d.e)
	if data != 2 || temps != 0 {
		t.Errorf("after reopening: %d data keys (want the 2 rows of keep), %d temporary registrations", data, temps)
	}
	if _, err := d.query("SELECT * FROM tmp"); err == nil {
		t.Error("the temporary table survived a restart")
	}
}
