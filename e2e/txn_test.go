package e2e

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarrydb/quarry/internal/testserver"
)

func setupBank(t *testing.T, accounts int, balance int) *testserver.Server {
	s := testserver.Start(t, t.TempDir())
	db := s.Open("")
	mustExec(t, db, "CREATE DATABASE bank")
	mustExec(t, db, "CREATE TABLE bank.acct (id INT PRIMARY KEY, bal BIGINT NOT NULL)")
	for i := 0; i < accounts; i++ {
		mustExec(t, db, "INSERT INTO bank.acct VALUES (?, ?)", i, balance)
	}
	return s
}

// TestBankTransferInvariant runs 8 concurrent writers moving money between
// accounts while readers check, inside REPEATABLE READ snapshots, that the
// total never changes. Deadlock victims and lock timeouts retry.
func TestBankTransferInvariant(t *testing.T) {
	const accounts, balance, writers = 10, 1000, 8
	s := setupBank(t, accounts, balance)
	db := s.Open("bank")
	db.SetMaxOpenConns(writers + 2)
	deadline := time.Now().Add(3 * time.Second)
	var committed, deadlocks, timeouts atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, writers+1)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 1))
			ctx := context.Background()
			for time.Now().Before(deadline) {
				a, b := rng.IntN(accounts), rng.IntN(accounts)
				if a == b {
					continue
				}
				amt := rng.IntN(50) + 1
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					errc <- err
					return
				}
				_, err = tx.Exec("UPDATE acct SET bal = bal - ? WHERE id = ?", amt, a)
				if err == nil {
					_, err = tx.Exec("UPDATE acct SET bal = bal + ? WHERE id = ?", amt, b)
				}
				if err != nil {
					_ = tx.Rollback()
					switch mysqlCode(err) {
					case 1213:
						deadlocks.Add(1)
						continue
					case 1205:
						timeouts.Add(1)
						continue
					}
					errc <- err
					return
				}
				if err := tx.Commit(); err != nil {
					errc <- err
					return
				}
				committed.Add(1)
			}
		}(uint64(w))
	}
	wg.Add(1)
	go func() { // snapshot reader
		defer wg.Done()
		for time.Now().Before(deadline) {
			tx, err := db.BeginTx(context.Background(), nil)
			if err != nil {
				errc <- err
				return
			}
			var first, second int64
			if err := tx.QueryRow("SELECT SUM(bal) FROM acct").Scan(&first); err != nil {
				errc <- err
				return
			}
			time.Sleep(5 * time.Millisecond)
			if err := tx.QueryRow("SELECT SUM(bal) FROM acct").Scan(&second); err != nil {
				errc <- err
				return
			}
			_ = tx.Commit()
			if first != accounts*balance || second != first {
				t.Errorf("snapshot saw totals %d then %d, want %d", first, second, accounts*balance)
				return
			}
		}
	}()
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	total := queryInt(t, db, "SELECT SUM(bal) FROM acct")
	if total != accounts*balance {
		t.Fatalf("total %d, want %d", total, accounts*balance)
	}
	if committed.Load() == 0 {
		t.Fatal("no transfer committed")
	}
	t.Logf("committed %d transfers, %d deadlocks, %d lock timeouts", committed.Load(), deadlocks.Load(), timeouts.Load())
}

// TestNoLostUpdates increments one counter from many transactions, both by
// UPDATE ... SET n = n + 1 and by SELECT ... FOR UPDATE then a computed
// UPDATE; every increment must survive.
func TestNoLostUpdates(t *testing.T) {
	s := setupBank(t, 1, 0)
	db := s.Open("bank")
	db.SetMaxOpenConns(8)
	const workers, each = 4, 25
	var wg sync.WaitGroup
	errc := make(chan error, 2*workers)
	for w := 0; w < workers; w++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				tx, err := db.Begin()
				if err != nil {
					errc <- err
					return
				}
				if _, err := tx.Exec("UPDATE acct SET bal = bal + 1 WHERE id = 0"); err != nil {
					tx.Rollback()
					errc <- err
					return
				}
				if err := tx.Commit(); err != nil {
					errc <- err
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				tx, err := db.Begin()
				if err != nil {
					errc <- err
					return
				}
				var v int64
				if err := tx.QueryRow("SELECT bal FROM acct WHERE id = 0 FOR UPDATE").Scan(&v); err != nil {
					tx.Rollback()
					errc <- err
					return
				}
				if _, err := tx.Exec("UPDATE acct SET bal = ? WHERE id = 0", v+1); err != nil {
					tx.Rollback()
					errc <- err
					return
				}
				if err := tx.Commit(); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if got := queryInt(t, db, "SELECT bal FROM acct WHERE id = 0"); got != 2*workers*each {
		t.Fatalf("counter = %d, want %d (lost updates)", got, 2*workers*each)
	}
}

func TestSnapshotIsolation(t *testing.T) {
	s := setupBank(t, 2, 100)
	db := s.Open("bank")
	reader, writer := conn(t, db), conn(t, db)
	ctx := context.Background()

	// REPEATABLE READ: one snapshot for the whole transaction.
	mustExec(t, reader, "START TRANSACTION")
	if v := queryInt(t, reader, "SELECT bal FROM acct WHERE id = 0"); v != 100 {
		t.Fatalf("got %d", v)
	}
	mustExec(t, writer, "UPDATE acct SET bal = 50 WHERE id = 0")
	mustExec(t, writer, "INSERT INTO acct VALUES (7, 1)")
	if v := queryInt(t, reader, "SELECT bal FROM acct WHERE id = 0"); v != 100 {
		t.Fatalf("repeatable read saw a later commit: %d", v)
	}
	if n := queryInt(t, reader, "SELECT COUNT(*) FROM acct"); n != 2 {
		t.Fatalf("repeatable read saw a phantom: count %d", n)
	}
	mustExec(t, reader, "COMMIT")
	if v := queryInt(t, reader, "SELECT bal FROM acct WHERE id = 0"); v != 50 {
		t.Fatalf("after commit got %d, want 50", v)
	}

	// READ COMMITTED: a fresh snapshot per statement.
	mustExec(t, reader, "SET SESSION transaction_isolation = 'READ-COMMITTED'")
	mustExec(t, reader, "START TRANSACTION")
	if v := queryInt(t, reader, "SELECT bal FROM acct WHERE id = 0"); v != 50 {
		t.Fatalf("got %d", v)
	}
	mustExec(t, writer, "UPDATE acct SET bal = 25 WHERE id = 0")
	if v := queryInt(t, reader, "SELECT bal FROM acct WHERE id = 0"); v != 25 {
		t.Fatalf("read committed did not see the commit: %d", v)
	}
	mustExec(t, reader, "COMMIT")

	// Uncommitted writes are invisible to others.
	mustExec(t, writer, "START TRANSACTION")
	mustExec(t, writer, "UPDATE acct SET bal = 1 WHERE id = 1")
	if v := queryInt(t, reader, "SELECT bal FROM acct WHERE id = 1"); v != 100 {
		t.Fatalf("dirty read: %d", v)
	}
	mustExec(t, writer, "ROLLBACK")
	_ = ctx
}

func TestLockWaitTimeout(t *testing.T) {
	s := setupBank(t, 2, 100)
	db := s.Open("bank")
	a, b := conn(t, db), conn(t, db)
	mustExec(t, a, "START TRANSACTION")
	mustExec(t, a, "UPDATE acct SET bal = 0 WHERE id = 0")
	mustExec(t, b, "SET SESSION innodb_lock_wait_timeout = 1")
	mustExec(t, b, "START TRANSACTION")
	mustExec(t, b, "UPDATE acct SET bal = 7 WHERE id = 1") // another row: no wait
	_, err := b.ExecContext(context.Background(), "UPDATE acct SET bal = 1 WHERE id = 0")
	if mysqlCode(err) != 1205 || sqlState(err) != "HY000" {
		t.Fatalf("want error 1205 (HY000), got %v", err)
	}
	// Only the statement was rolled back: b's earlier write stands.
	if v := queryInt(t, b, "SELECT bal FROM acct WHERE id = 1"); v != 7 {
		t.Fatalf("statement rollback undid earlier work: %d", v)
	}
	mustExec(t, b, "COMMIT")
	mustExec(t, a, "COMMIT")
	if v := queryInt(t, db, "SELECT bal FROM acct WHERE id = 0"); v != 0 {
		t.Fatalf("got %d", v)
	}
}

func TestDeadlockDetected(t *testing.T) {
	s := setupBank(t, 2, 100)
	db := s.Open("bank")
	a, b := conn(t, db), conn(t, db)
	mustExec(t, a, "START TRANSACTION")
	mustExec(t, b, "START TRANSACTION")
	mustExec(t, a, "UPDATE acct SET bal = bal + 1 WHERE id = 0")
	mustExec(t, b, "UPDATE acct SET bal = bal + 1 WHERE id = 1")
	done := make(chan error, 1)
	go func() {
		_, err := a.ExecContext(context.Background(), "UPDATE acct SET bal = bal + 1 WHERE id = 1")
		done <- err
	}()
	time.Sleep(200 * time.Millisecond) // let a block on b's lock
	_, errB := b.ExecContext(context.Background(), "UPDATE acct SET bal = bal + 1 WHERE id = 0")
	if mysqlCode(errB) != 1213 || sqlState(errB) != "40001" {
		t.Fatalf("want deadlock error 1213 (40001) for the transaction closing the cycle, got %v", errB)
	}
	if err := <-done; err != nil {
		t.Fatalf("survivor failed: %v", err)
	}
	mustExec(t, b, "ROLLBACK")
	mustExec(t, a, "COMMIT")
	if v := queryInt(t, db, "SELECT SUM(bal) FROM acct"); v != 202 {
		t.Fatalf("sum %d, want 202: the victim's work must be rolled back", v)
	}
}

func TestSavepointsAndStatementRollback(t *testing.T) {
	s := setupBank(t, 0, 0)
	db := s.Open("bank")
	c := conn(t, db)
	mustExec(t, c, "START TRANSACTION")
	mustExec(t, c, "INSERT INTO acct VALUES (1, 1)")
	mustExec(t, c, "SAVEPOINT s1")
	mustExec(t, c, "INSERT INTO acct VALUES (2, 2)")
	mustExec(t, c, "SAVEPOINT s2")
	mustExec(t, c, "INSERT INTO acct VALUES (3, 3)")
	mustExec(t, c, "ROLLBACK TO SAVEPOINT s2")
	mustExec(t, c, "INSERT INTO acct VALUES (4, 4)")
	mustExec(t, c, "ROLLBACK TO s1")
	// A failing multi-row statement is undone as a whole.
	if _, err := c.ExecContext(context.Background(), "INSERT INTO acct VALUES (5, 5), (1, 9)"); mysqlCode(err) != 1062 {
		t.Fatalf("want duplicate-key error 1062, got %v", err)
	}
	mustExec(t, c, "COMMIT")
	rows, err := db.Query("SELECT id FROM acct ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		rows.Scan(&id)
		ids = append(ids, id)
	}
	if len(ids) != 1 || ids[0] != 1 {
		t.Fatalf("rows %v, want [1]", ids)
	}
	if _, err := c.ExecContext(context.Background(), "ROLLBACK TO nosuch"); err == nil {
		t.Fatal("rollback to a missing savepoint succeeded")
	}
}

func TestReadOnlyTransaction(t *testing.T) {
	s := setupBank(t, 1, 1)
	db := s.Open("bank")
	c := conn(t, db)
	mustExec(t, c, "START TRANSACTION READ ONLY")
	if v := queryInt(t, c, "SELECT bal FROM acct WHERE id = 0"); v != 1 {
		t.Fatalf("got %d", v)
	}
	_, err := c.ExecContext(context.Background(), "UPDATE acct SET bal = 2 WHERE id = 0")
	if mysqlCode(err) != 1792 {
		t.Fatalf("want error 1792 in a READ ONLY transaction, got %v", err)
	}
	mustExec(t, c, "COMMIT")
}

// TestPreparedForUpdateLocks: a server-side prepared SELECT ... FOR UPDATE
// (EXECUTE does not re-parse) must lock like the text protocol does.
func TestPreparedForUpdateLocks(t *testing.T) {
	s := setupBank(t, 2, 100)
	db := s.Open("bank")
	a, b := conn(t, db), conn(t, db)
	mustExec(t, a, "START TRANSACTION")
	var v int64
	stmt, err := a.PrepareContext(context.Background(), "SELECT bal FROM acct WHERE id = ? FOR UPDATE")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	if err := stmt.QueryRow(0).Scan(&v); err != nil {
		t.Fatal(err)
	}
	mustExec(t, b, "SET SESSION innodb_lock_wait_timeout = 1")
	_, err = b.ExecContext(context.Background(), "UPDATE acct SET bal = bal + 1 WHERE id = 0")
	if mysqlCode(err) != 1205 {
		t.Fatalf("prepared FOR UPDATE took no lock: concurrent update got %v, want 1205", err)
	}
	mustExec(t, a, "COMMIT")
}

// TestViewReadKeepsTransaction: reading a view inside a transaction must
// not commit it (GMS flags view resolution as DDL).
func TestViewReadKeepsTransaction(t *testing.T) {
	s := setupBank(t, 2, 100)
	db := s.Open("bank")
	mustExec(t, db, "CREATE VIEW rich AS SELECT id FROM acct WHERE bal > 50")
	c := conn(t, db)
	mustExec(t, c, "START TRANSACTION")
	mustExec(t, c, "UPDATE acct SET bal = 0 WHERE id = 0")
	mustExec(t, c, "SAVEPOINT sp")
	if n := queryInt(t, c, "SELECT COUNT(*) FROM rich"); n != 1 {
		t.Fatalf("view sees %d rows, want 1 (own write)", n)
	}
	mustExec(t, c, "ROLLBACK TO SAVEPOINT sp") // fails with 1305 if the view read committed
	mustExec(t, c, "ROLLBACK")
	if v := queryInt(t, db, "SELECT bal FROM acct WHERE id = 0"); v != 100 {
		t.Fatalf("rolled back write is visible: bal %d", v)
	}
}

// TestLockWaitsCounted: a request that waits for a row lock is counted.
func TestLockWaitsCounted(t *testing.T) {
	s := setupBank(t, 1, 100)
	db := s.Open("bank")
	a, b := conn(t, db), conn(t, db)
	before := s.Store().Stats().LockWaits.Load()
	mustExec(t, a, "START TRANSACTION")
	mustExec(t, a, "UPDATE acct SET bal = 1 WHERE id = 0")
	done := make(chan error, 1)
	go func() {
		_, err := b.ExecContext(context.Background(), "UPDATE acct SET bal = 2 WHERE id = 0")
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	mustExec(t, a, "COMMIT")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := s.Store().Stats().LockWaits.Load() - before; got != 1 {
		t.Fatalf("lock waits %d, want 1", got)
	}
	if v := queryInt(t, db, "SELECT bal FROM acct WHERE id = 0"); v != 2 {
		t.Fatalf("the waiting update must apply after the commit: %d", v)
	}
}
