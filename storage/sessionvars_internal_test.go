package storage

import (
	"context"
	"io"
	"testing"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
)

// TestSessionVarsFollowChanges: the cached session variables (varsOf)
// always equal a fresh read, whether a variable changes through SQL (SET,
// SET TRANSACTION) or through the session's methods.
func TestSessionVarsFollowChanges(t *testing.T) {
	e, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	eng := sqle.NewDefault(e.Provider())
	defer eng.Close()
	ses := e.NewSession(sql.NewBaseSession()).(*Session)
	ctx := sql.NewContext(context.Background(), sql.WithSession(ses))

	check := func(step string, want sessionVars) {
		t.Helper()
		got := varsOf(ctx)
		fresh := readVars(ctx)
		got.valid, got.gen = false, 0
		if got != fresh {
			t.Fatalf("%s: cached %+v, fresh read %+v", step, got, fresh)
		}
		if got.iso != want.iso || got.mdlWait != want.mdlWait || got.lockWait != want.lockWait || got.auto != want.auto {
			t.Fatalf("%s: got %+v, want %+v", step, got, want)
		}
		if auto, err := SessionAutocommit(ctx); err != nil || auto != want.auto {
			t.Fatalf("%s: SessionAutocommit = %v, %v; want %v", step, auto, err, want.auto)
		}
	}
	run := func(q string) {
		t.Helper()
		_, it, _, err := eng.Query(ctx, q)
		if err == nil {
			for err == nil {
				_, err = it.Next(ctx)
			}
			if err == io.EOF {
				err = it.Close(ctx)
			}
		}
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	want := readVars(ctx)
	if want.iso != RepeatableRead || !want.auto {
		t.Fatalf("defaults: %+v", want)
	}
	check("defaults", want)
	check("defaults again (cached)", want)

	run("SET lock_wait_timeout = 3, autocommit = 0")
	want.mdlWait, want.auto = 3*time.Second, false
	check("SET lock_wait_timeout, autocommit", want)

	run("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
	want.iso = ReadCommitted
	check("SET SESSION TRANSACTION ISOLATION LEVEL", want)

	if err := ses.SetSessionVariable(ctx, "autocommit", 1); err != nil {
		t.Fatal(err)
	}
	want.auto = true
	check("SetSessionVariable autocommit", want)

	// A failed SET changes nothing and must leave the cache right.
	if _, _, _, err := eng.Query(ctx, "SET SESSION lock_wait_timeout = 'x'"); err == nil {
		t.Fatal("SET lock_wait_timeout = 'x' did not fail")
	}
	check("failed SET", want)

	run("SET GLOBAL lock_wait_timeout = 11")
	check("SET GLOBAL (the session keeps its value)", want)
}
