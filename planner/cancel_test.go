package planner_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/quarrydb/quarry/planner"
)

// TestCancel: a cancelled statement (KILL QUERY, client gone, timeout)
// stops the parallel scan's workers and reports the cancellation.
func TestCancel(t *testing.T) {
	p := newPair(t, &planner.Config{Workers: 2})
	p.exec("CREATE DATABASE d")
	p.ses.SetCurrentDatabase("d")
	p.exec("CREATE TABLE t (id INT PRIMARY KEY, g INT)")
	for b := 0; b < 20; b++ {
		var vals []string
		for i := 0; i < 1000; i++ {
			vals = append(vals, fmt.Sprintf("(%d, %d)", b*1000+i, i%7))
		}
		p.exec("INSERT INTO t VALUES " + strings.Join(vals, ","))
	}
	for _, q := range []string{"SELECT g, COUNT(*) FROM t GROUP BY g", "SELECT * FROM t ORDER BY g DESC LIMIT 5"} {
		cctx, cancel := context.WithCancel(context.Background())
		cancel()
		ctx := sql.NewContext(cctx, sql.WithSession(p.ses), sql.WithQuery(q))
		ctx.SetCurrentDatabase("d")
		start := time.Now()
		_, it, _, err := p.on.Query(ctx, q)
		if err == nil {
			_, err = it.Next(ctx)
			_ = it.Close(ctx)
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: cancelled statement returned %v, want context.Canceled", q, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s: cancellation took %s", q, d)
		}
	}
}

// TestMemoryLimit: a GROUP BY whose groups outgrow Config.MemoryLimit
// fails with error 3170 instead of growing without bound.
func TestMemoryLimit(t *testing.T) {
	p := newPair(t, &planner.Config{Workers: 2, MemoryLimit: 64 << 10})
	p.exec("CREATE DATABASE d")
	p.ses.SetCurrentDatabase("d")
	p.exec("CREATE TABLE t (id INT PRIMARY KEY, g INT)")
	var vals []string
	for i := 0; i < 2000; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d)", i, i%5))
	}
	p.exec("INSERT INTO t VALUES " + strings.Join(vals, ","))
	if _, rows, err := p.run(p.on, "SELECT g, COUNT(*) FROM t GROUP BY g"); err != nil || len(rows) != 5 {
		t.Fatalf("five groups: %v %v", rows, err)
	}
	_, _, err := p.run(p.on, "SELECT id, COUNT(*) FROM t GROUP BY id")
	var me *mysql.SQLError
	if !errors.As(err, &me) || me.Num != 3170 {
		t.Fatalf("2000 groups over 64 KiB: %v, want error 3170", err)
	}
}
