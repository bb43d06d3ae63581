package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
)

// TestRowCountFoldingStaysExact commits many more row-count deltas than the
// folding threshold from concurrent sessions (inserts, deletes, rolled back
// writes) and checks that COUNT(*) (answered from the counter), the rows
// themselves and the consistency check agree, also after a reopen.
func TestRowCountFoldingStaysExact(t *testing.T) {
	dir := t.TempDir()
	d := openTestDB(t, dir)
	d.mustQuery("CREATE DATABASE rc")
	d.mustQuery("CREATE TABLE rc.t (id INT PRIMARY KEY, v INT)")
	const workers, perWorker = 4, 150
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ses := d.e.NewSession(sql.NewBaseSession())
			q := func(s string) error { return runStmt(d.eng, ses, s) }
			for i := 0; i < perWorker; i++ {
				id := w*perWorker + i
				if err := q(fmt.Sprintf("INSERT INTO rc.t VALUES (%d, %d)", id, i)); err != nil {
					errs <- err
					return
				}
				if i%3 == 0 {
					if err := q(fmt.Sprintf("DELETE FROM rc.t WHERE id = %d", id)); err != nil {
						errs <- err
						return
					}
				}
				if i%7 == 0 {
					for _, s := range []string{"BEGIN", fmt.Sprintf("INSERT INTO rc.t VALUES (%d, 0)", 100000+id), "ROLLBACK"} {
						if err := q(s); err != nil {
							errs <- err
							return
						}
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := int64(workers * (perWorker - (perWorker+2)/3))
	check := func(d *testDB) {
		t.Helper()
		got := d.mustQuery("SELECT COUNT(*) FROM rc.t")[0][0]
		scanned := d.mustQuery("SELECT COUNT(v) FROM rc.t")[0][0]
		if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(scanned) != fmt.Sprint(want) {
			t.Fatalf("COUNT(*) = %v, COUNT(v) = %v, want %d", got, scanned, want)
		}
		if err := d.e.CheckConsistency(); err != nil {
			t.Fatal(err)
		}
	}
	check(d)
	d.close()
	d = openTestDB(t, dir)
	defer d.close()
	check(d)
}

func runStmt(eng *sqle.Engine, ses sql.Session, q string) error {
	ctx := sql.NewContext(context.Background(), sql.WithSession(ses), sql.WithQuery(q))
	_, iter, _, err := eng.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	if _, err := sql.RowIterToRows(ctx, iter); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}
