package sqlserver

import (
	"context"
	"errors"
	"testing"
)

// TestFailedCommitOverWire: a commit the store fails reaches the client as
// ER_ERROR_DURING_COMMIT on every path (text, learned prepared DML, the
// fast insert, COMMIT), applies nothing, and leaves the session out of any
// transaction: its next statements autocommit and it holds no locks.
func TestFailedCommitOverWire(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	ctx := context.Background()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	exec := func(q string, args ...any) error {
		_, err := c.ExecContext(ctx, q, args...)
		return err
	}
	for _, q := range []string{
		"CREATE DATABASE f",
		"CREATE TABLE f.t (id INT PRIMARY KEY, v INT)",
		"INSERT INTO f.t VALUES (1, 1), (2, 2)",
	} {
		if err := exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	upd, err := c.PrepareContext(ctx, "UPDATE f.t SET v = ? WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	defer upd.Close()
	ins, err := c.PrepareContext(ctx, "INSERT INTO f.t VALUES (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	defer ins.Close()
	// Successful executions first, so the prepared statements are learned.
	for i := 0; i < 3; i++ {
		if _, err := upd.ExecContext(ctx, 10+i, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := ins.ExecContext(ctx, 100+i, 0); err != nil {
			t.Fatal(err)
		}
	}
	const before = "1:12,2:2,100:0,101:0,102:0"
	rows := func() string {
		t.Helper()
		return queryString(t, db, "SELECT GROUP_CONCAT(CONCAT(id, ':', v) ORDER BY id) FROM f.t")
	}
	if got := rows(); got != before {
		t.Fatalf("rows %s, want %s", got, before)
	}

	ts.store.InjectCommitFault(func() error { return errors.New("injected") })
	for _, step := range []struct {
		what string
		run  func() error
	}{
		{"text UPDATE", func() error { return exec("UPDATE f.t SET v = -1 WHERE id = 2") }},
		{"text INSERT", func() error { return exec("INSERT INTO f.t VALUES (3, -1)") }},
		{"learned UPDATE", func() error { _, err := upd.ExecContext(ctx, -1, 1); return err }},
		{"prepared INSERT", func() error { _, err := ins.ExecContext(ctx, 4, -1); return err }},
		{"COMMIT", func() error {
			if err := exec("BEGIN"); err != nil {
				return err
			}
			if _, err := upd.ExecContext(ctx, -1, 2); err != nil {
				return err
			}
			return exec("COMMIT")
		}},
	} {
		me := wantErrno(t, step.what, step.run(), erErrorDuringCommit)
		if me.SQLState != [5]byte{'H', 'Y', '0', '0', '0'} || me.Message != "Got error 'injected' during COMMIT" {
			t.Errorf("%s: %s %q", step.what, me.SQLState, me.Message)
		}
	}
	ts.store.InjectCommitFault(nil)
	if got := rows(); got != before {
		t.Fatalf("after failed commits: rows %s, want %s", got, before)
	}

	// The session autocommits again: another connection sees the write at
	// once and can lock the row the failed transaction had written.
	if _, err := upd.ExecContext(ctx, 20, 1); err != nil {
		t.Fatal(err)
	}
	other := mustConnect(t, "root", "", ts.addr)
	mustExec(t, other, "SET SESSION innodb_lock_wait_timeout = 1")
	mustExec(t, other, "UPDATE f.t SET v = 22 WHERE id = 2")
	if got, want := rows(), "1:20,2:22,100:0,101:0,102:0"; got != want {
		t.Fatalf("after recovering: rows %s, want %s", got, want)
	}
}
