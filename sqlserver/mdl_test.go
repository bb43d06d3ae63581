package sqlserver_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/internal/testserver"
)

// blockedFor is how long a statement must stay blocked to count as waiting
// for a metadata lock.
const blockedFor = 300 * time.Millisecond

// mdlFixture is a server with table d.t (ids 1, 2) and two connections.
type mdlFixture struct {
	t      *testing.T
	s      *testserver.Server
	db     *sql.DB
	a, b   *sql.Conn
	cancel context.CancelFunc
}

func newMDLFixture(t *testing.T) *mdlFixture {
	t.Helper()
	s := testserver.Start(t, t.TempDir())
	db := s.Open("")
	f := &mdlFixture{t: t, s: s, db: db}
	for _, q := range []string{
		"CREATE DATABASE d",
		"CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(20), w INT, KEY iw (w))",
		"CREATE TABLE d.u (id INT PRIMARY KEY, v INT)",
		"INSERT INTO d.t VALUES (1, 'a', 1), (2, 'b', 2)",
		"INSERT INTO d.u VALUES (1, 1)",
	} {
		f.exec(db, q)
	}
	f.a, f.b = f.conn(), f.conn()
	return f
}

func (f *mdlFixture) conn() *sql.Conn {
	f.t.Helper()
	c, err := f.db.Conn(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.Close() })
	if _, err := c.ExecContext(context.Background(), "USE d"); err != nil {
		f.t.Fatal(err)
	}
	return c
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (f *mdlFixture) exec(c execer, q string) {
	f.t.Helper()
	if _, err := c.ExecContext(context.Background(), q); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

// start runs q on c in the background; the channel yields its error.
func start(c *sql.Conn, q string) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := c.ExecContext(ctx, q)
		done <- err
	}()
	return done
}

func (f *mdlFixture) mustBlock(done <-chan error, what string) {
	f.t.Helper()
	select {
	case err := <-done:
		f.t.Fatalf("%s did not wait for the open transaction (err %v)", what, err)
	case <-time.After(blockedFor):
	}
}

func (f *mdlFixture) mustFinish(done <-chan error, what string) {
	f.t.Helper()
	select {
	case err := <-done:
		if err != nil {
			f.t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(15 * time.Second):
		f.t.Fatalf("%s still blocked after the transaction ended", what)
	}
}

func (f *mdlFixture) rows(q string) string {
	f.t.Helper()
	_, rows := queryText(f.t, f.db, q)
	return joinRows(rows, ",", ";")
}

func (f *mdlFixture) consistent() {
	f.t.Helper()
	if err := f.s.Store().CheckConsistency(); err != nil {
		f.t.Fatalf("indexes disagree with their tables: %v", err)
	}
}

func mysqlCode(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// TestDDLWaitsForOpenTransactions: a schema change waits for the
// transactions that used the table, and their committed writes survive
// it. Without metadata locks, a rewrite dropped the keyspace the open
// transaction then committed into, losing its rows.
func TestDDLWaitsForOpenTransactions(t *testing.T) {
	cases := []struct {
		ddl, want string
	}{
		{"ALTER TABLE t MODIFY v VARCHAR(40)", "1,a,1;2,bb,2;10,x,10"},
		{"ALTER TABLE t DROP COLUMN w", "1,a;2,bb;10,x"},
		{"ALTER TABLE t ADD COLUMN z INT FIRST", "NULL,1,a,1;NULL,2,bb,2;NULL,10,x,10"},
		{"ALTER TABLE t ADD COLUMN c INT", "1,a,1,NULL;2,bb,2,NULL;10,x,10,NULL"},
		{"ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, w)", "1,a,1;2,bb,2;10,x,10"},
		{"CREATE INDEX iv ON t (v)", "1,a,1;2,bb,2;10,x,10"},
		{"DROP INDEX iw ON t", "1,a,1;2,bb,2;10,x,10"},
		{"CREATE FULLTEXT INDEX ft ON t (v)", "1,a,1;2,bb,2;10,x,10"},
		{"ALTER TABLE t RENAME COLUMN w TO w2", "1,a,1;2,bb,2;10,x,10"},
		{"RENAME TABLE t TO t2", ""},
		{"DROP TABLE t", ""},
		{"DROP DATABASE d", ""},
	}
	for _, c := range cases {
		t.Run(c.ddl, func(t *testing.T) {
			f := newMDLFixture(t)
			f.exec(f.a, "BEGIN")
			f.exec(f.a, "INSERT INTO t VALUES (10, 'x', 10)")
			f.exec(f.a, "UPDATE t SET v = 'bb' WHERE id = 2")
			ddl := start(f.b, c.ddl)
			f.mustBlock(ddl, c.ddl)
			// A statement of the open transaction is not blocked by the
			// waiting DDL: it already holds the table.
			if got := f.rowsOn(f.a, "SELECT COUNT(*) FROM t"); got != "3" {
				t.Fatalf("COUNT(*) in the open transaction = %s, want 3", got)
			}
			f.exec(f.a, "COMMIT")
			f.mustFinish(ddl, c.ddl)
			switch {
			case c.want != "":
				if got := f.rows("SELECT * FROM d.t ORDER BY id"); got != c.want {
					t.Fatalf("rows after %s = %s, want %s", c.ddl, got, c.want)
				}
			case c.ddl == "RENAME TABLE t TO t2":
				if got := f.rows("SELECT id, v FROM d.t2 ORDER BY id"); got != "1,a;2,bb;10,x" {
					t.Fatalf("rows after rename = %s", got)
				}
			}
			f.consistent()
		})
	}
}

func (f *mdlFixture) rowsOn(c *sql.Conn, q string) string {
	f.t.Helper()
	var s string
	if err := c.QueryRowContext(context.Background(), q).Scan(&s); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return s
}

// TestMetadataLockTimeout: a DDL that cannot get the table within
// lock_wait_timeout fails with ER_LOCK_WAIT_TIMEOUT and changes nothing;
// the transaction holding the table goes on.
func TestMetadataLockTimeout(t *testing.T) {
	f := newMDLFixture(t)
	f.exec(f.a, "BEGIN")
	if got := f.rowsOn(f.a, "SELECT v FROM t WHERE id = 1"); got != "a" {
		t.Fatalf("v = %s", got)
	}
	f.exec(f.b, "SET SESSION lock_wait_timeout = 1")
	_, err := f.b.ExecContext(context.Background(), "ALTER TABLE t MODIFY v VARCHAR(40)")
	if mysqlCode(err) != 1205 {
		t.Fatalf("ALTER while a transaction reads t: %v, want error 1205", err)
	}
	f.exec(f.a, "INSERT INTO t VALUES (3, 'c', 3)")
	f.exec(f.a, "COMMIT")
	if got := f.rows("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'd' AND TABLE_NAME = 't' AND COLUMN_NAME = 'v'"); got != "varchar(20)" {
		t.Fatalf("column type after the timed-out ALTER = %s", got)
	}
	if got := f.rows("SELECT id FROM d.t ORDER BY id"); got != "1;2;3" {
		t.Fatalf("rows = %s", got)
	}
}

// TestStatementsQueueBehindWaitingDDL: once a DDL waits for a table, new
// statements on it wait for the DDL (no DDL starvation), then see the new
// definition; other tables are not affected.
func TestStatementsQueueBehindWaitingDDL(t *testing.T) {
	f := newMDLFixture(t)
	c := f.conn()
	f.exec(f.a, "BEGIN")
	f.exec(f.a, "UPDATE t SET w = 5 WHERE id = 1")
	ddl := start(f.b, "ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 7")
	f.mustBlock(ddl, "ALTER")
	ins := start(c, "INSERT INTO t (id, v, w) VALUES (20, 'y', 20)")
	f.mustBlock(ins, "INSERT queued behind the ALTER")
	if got := f.rows("SELECT COUNT(*) FROM d.u"); got != "1" {
		t.Fatalf("another table: COUNT(*) = %s", got)
	}
	f.exec(f.a, "COMMIT")
	f.mustFinish(ddl, "ALTER")
	f.mustFinish(ins, "INSERT")
	if got := f.rows("SELECT * FROM d.t ORDER BY id"); got != "1,a,5,7;2,b,2,7;20,y,20,7" {
		t.Fatalf("rows = %s", got)
	}
	f.consistent()
}

// TestDDLCommitsOpenTransaction: as in MySQL, a DDL statement commits the
// session's open transaction first, so a later ROLLBACK cannot undo
// writes made before it, and a rewrite keeps them.
func TestDDLCommitsOpenTransaction(t *testing.T) {
	f := newMDLFixture(t)
	f.exec(f.a, "BEGIN")
	f.exec(f.a, "INSERT INTO t VALUES (10, 'x', 10)")
	f.exec(f.a, "INSERT INTO u VALUES (2, 2)")
	f.exec(f.a, "ALTER TABLE t MODIFY v VARCHAR(40)")
	f.exec(f.a, "ROLLBACK")
	if got := f.rows("SELECT id FROM d.t ORDER BY id"); got != "1;2;10" {
		t.Fatalf("t after BEGIN; INSERT; ALTER; ROLLBACK = %s", got)
	}
	if got := f.rows("SELECT id FROM d.u ORDER BY id"); got != "1;2" {
		t.Fatalf("u after BEGIN; INSERT; ALTER; ROLLBACK = %s", got)
	}
	f.consistent()
}

// TestSnapshotOlderThanSchemaChange: a REPEATABLE READ snapshot taken
// before a table was rewritten, or before an index was built, cannot read
// the new keyspace: the read fails with ER_TABLE_DEF_CHANGED (1412), as
// in InnoDB, instead of returning no rows. A new transaction reads it.
func TestSnapshotOlderThanSchemaChange(t *testing.T) {
	f := newMDLFixture(t)
	f.exec(f.a, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
	f.exec(f.a, "BEGIN")
	if got := f.rowsOn(f.a, "SELECT v FROM u WHERE id = 1"); got != "1" {
		t.Fatalf("u.v = %s", got)
	}
	f.exec(f.b, "ALTER TABLE t MODIFY v VARCHAR(40)")
	_, err := f.a.ExecContext(context.Background(), "SELECT * FROM t")
	if mysqlCode(err) != 1412 {
		t.Fatalf("read of a table rewritten after the snapshot: %v, want error 1412", err)
	}
	f.exec(f.a, "ROLLBACK")
	if got := f.rowsOn(f.a, "SELECT COUNT(*) FROM t"); got != "2" {
		t.Fatalf("COUNT(*) in a new transaction = %s", got)
	}

	f.exec(f.a, "BEGIN")
	if got := f.rowsOn(f.a, "SELECT v FROM u WHERE id = 1"); got != "1" {
		t.Fatalf("u.v = %s", got)
	}
	f.exec(f.b, "CREATE INDEX iv ON t (v)")
	_, err = f.a.ExecContext(context.Background(), "SELECT id FROM t FORCE INDEX (iv) WHERE v = 'a'")
	if mysqlCode(err) != 1412 {
		t.Fatalf("read through an index built after the snapshot: %v, want error 1412", err)
	}
	// The table itself is unchanged: a scan still reads the snapshot.
	if got := f.rowsOn(f.a, "SELECT COUNT(*) FROM t WHERE CONCAT(v) = 'a'"); got != "1" {
		t.Fatalf("scan in the old snapshot = %s", got)
	}
	f.exec(f.a, "COMMIT")
	if got := f.rowsOn(f.a, "SELECT id FROM t FORCE INDEX (iv) WHERE v = 'a'"); got != "1" {
		t.Fatalf("index read in a new transaction = %s", got)
	}
}

// TestMetadataLockDeadlock: a DDL whose wait closes a cycle with row locks
// is the deadlock victim (1213), and the cycle's other transaction goes
// on. Session a reads t and then waits for a row lock of session b's
// transaction; b's ALTER of t would wait for a.
func TestMetadataLockDeadlock(t *testing.T) {
	f := newMDLFixture(t)
	c := f.conn()
	f.exec(f.a, "BEGIN")
	if got := f.rowsOn(f.a, "SELECT v FROM t WHERE id = 1"); got != "a" {
		t.Fatalf("v = %s", got)
	}
	f.exec(c, "BEGIN")
	f.exec(c, "UPDATE u SET v = 2 WHERE id = 1")
	upd := start(f.a, "UPDATE u SET v = 3 WHERE id = 1")
	f.mustBlock(upd, "UPDATE waiting for the row lock")
	// c's ALTER first commits c's transaction (implicit commit), which
	// releases the row lock a waits for: no deadlock, and the ALTER waits
	// for a as MySQL's does.
	ddl := start(c, "ALTER TABLE t ADD COLUMN c INT")
	f.mustFinish(upd, "UPDATE after the implicit commit")
	f.mustBlock(ddl, "ALTER waiting for a")
	f.exec(f.a, "COMMIT")
	f.mustFinish(ddl, "ALTER")
	if got := f.rows("SELECT v FROM d.u"); got != "3" {
		t.Fatalf("u.v = %s, want 3", got)
	}
}

// TestConcurrentWritesSurviveDDL: writers commit rows (autocommit and
// multi-statement transactions) while another session keeps rewriting the
// table and building and dropping an index. Every acknowledged commit must
// be in the table afterwards, and every index must agree with it.
func TestConcurrentWritesSurviveDDL(t *testing.T) {
	f := newMDLFixture(t)
	const writers = 3
	deadline := time.Now().Add(3 * time.Second)
	var acked [writers][]int
	errs := make(chan error, writers+1)
	for w := 0; w < writers; w++ {
		c := f.conn()
		go func(w int) {
			ctx := context.Background()
			for n := 0; time.Now().Before(deadline); n++ {
				id := 1000 + w*100000 + n
				var err error
				if n%2 == 0 {
					_, err = c.ExecContext(ctx, "INSERT INTO t VALUES (?, 'w', ?)", id, id)
				} else {
					err = func() error {
						if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
							return err
						}
						if _, err := c.ExecContext(ctx, "INSERT INTO t VALUES (?, 'w', ?)", id, id); err != nil {
							return err
						}
						if _, err := c.ExecContext(ctx, "UPDATE t SET v = 'tx' WHERE id = ?", id); err != nil {
							return err
						}
						_, err := c.ExecContext(ctx, "COMMIT")
						return err
					}()
				}
				switch code := mysqlCode(err); {
				case err == nil:
					acked[w] = append(acked[w], id)
				case code == 1412 || code == 1213 || code == 1205:
					_, _ = c.ExecContext(ctx, "ROLLBACK")
				default:
					errs <- err
					return
				}
			}
			errs <- nil
		}(w)
	}
	go func() {
		ctx := context.Background()
		ddls := []string{
			"ALTER TABLE t MODIFY v VARCHAR(40)",
			"CREATE INDEX iv ON t (v)",
			"ALTER TABLE t MODIFY v VARCHAR(20)",
			"DROP INDEX iv ON t",
		}
		for n := 0; time.Now().Before(deadline); n++ {
			if _, err := f.b.ExecContext(ctx, ddls[n%len(ddls)]); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	for i := 0; i < writers+1; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for w := range acked {
		for _, id := range acked[w] {
			var n int
			if err := f.db.QueryRow("SELECT COUNT(*) FROM d.t WHERE id = ?", id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Fatalf("acknowledged row %d is missing after the concurrent DDL", id)
			}
		}
		total += len(acked[w])
	}
	if total == 0 {
		t.Fatal("no writes were acknowledged")
	}
	t.Logf("%d acknowledged commits, all present", total)
	f.consistent()
}

// TestFailedAutocommitStatementReleasesLocks: a statement that fails under
// autocommit ends its transaction (MySQL rolls the statement back), so its
// metadata and row locks do not outlive it while the session sits idle: a
// DDL error, a duplicate key and a CHECK violation, each followed by an
// INSERT and an ALTER from another connection, which must not wait.
func TestFailedAutocommitStatementReleasesLocks(t *testing.T) {
	f := newMDLFixture(t)
	f.exec(f.db, "ALTER TABLE d.u ADD CONSTRAINT pos CHECK (v > 0)")
	f.exec(f.b, "SET SESSION lock_wait_timeout = 2")
	for i, fail := range []struct {
		q    string
		args []any
	}{
		{"ALTER TABLE t DROP FOREIGN KEY nope", nil},
		{"INSERT INTO t VALUES (10, 'x', 10), (1, 'dup', 1)", nil},
		{"UPDATE t SET id = 2 WHERE id = 1", nil},
		{"INSERT INTO u VALUES (5, -1)", nil},
		{"INSERT INTO t VALUES (?, ?, ?)", []any{1, "dup", 1}}, // prepared
		{"INSERT INTO u VALUES (?, ?)", []any{6, -1}},
		{"UPDATE t SET id = ? WHERE id = ?", []any{2, 1}},
	} {
		if _, err := f.a.ExecContext(context.Background(), fail.q, fail.args...); err == nil {
			t.Fatalf("%s succeeded", fail.q)
		}
		for _, q := range []string{
			fmt.Sprintf("INSERT INTO t VALUES (%d, 'y', 1)", 100+i),
			fmt.Sprintf("INSERT INTO u VALUES (%d, 1)", 100+i),
			"ALTER TABLE t COMMENT 'after failure'",
			"ALTER TABLE u COMMENT 'after failure'",
		} {
			start := time.Now()
			if _, err := f.b.ExecContext(context.Background(), q); err != nil {
				t.Errorf("after %q, %q: %v", fail, q, err)
			}
			if d := time.Since(start); d > blockedFor {
				t.Errorf("after %q, %q waited %s for the idle session", fail, q, d)
			}
		}
	}
	var n int
	if err := f.b.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM d.t WHERE id = 10").Scan(&n); err != nil || n != 0 {
		t.Errorf("the failed INSERT left %d rows (%v)", n, err)
	}
}
