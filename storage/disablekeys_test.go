package storage_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage"
)

// TestEnableKeysBuildsFromManyRuns builds disabled indexes through many
// small sorted runs (each ingested on its own, overlapping the others) and
// checks every entry against the rows, and the rows read through them.
func TestEnableKeysBuildsFromManyRuns(t *testing.T) {
	defer storage.SetBulkRunBytes(4 << 10)()
	d := openDatabase(t, "bk")
	d.mustQuery("CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(20) COLLATE utf8mb4_0900_ai_ci, KEY ia (a), KEY iba (b, a))")
	tbl := storageTable(t, d, "t")
	ctx := sql.NewContext(t.Context(), sql.WithSession(d.ses))
	if ok, err := tbl.DisableKeys(ctx); err != nil || !ok {
		t.Fatalf("DisableKeys: %v %v", ok, err)
	}
	var vals []string
	for i := 0; i < 4000; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d, '%c%d')", i, (i*7919)%1000, 'a'+rune(i%26), i%13))
	}
	d.mustQuery("INSERT INTO t VALUES " + strings.Join(vals, ","))
	if err := storageTable(t, d, "t").EnableKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.e.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(d.mustQuery("SELECT COUNT(*) FROM t WHERE a = 7")); got != "[[4]]" {
		t.Fatalf("a = 7: %s", got)
	}
	want := 0
	for i := 0; i < 4000; i++ {
		if i%26 == 2 && i%13 == 2 && (i*7919)%1000 < 500 {
			want++
		}
	}
	if got := fmt.Sprint(d.mustQuery("SELECT COUNT(*) FROM t WHERE b = 'C2' AND a < 500")); got != fmt.Sprintf("[[%d]]", want) || want == 0 {
		t.Fatalf("b = 'C2' (ci) AND a < 500: %s, want %d", got, want)
	}
}

func storageTable(t *testing.T, d *testDB, name string) *storage.Table {
	t.Helper()
	ctx := sql.NewContext(t.Context(), sql.WithSession(d.ses))
	db, err := d.e.Provider().Database(ctx, d.ses.GetCurrentDatabase())
	if err != nil {
		t.Fatal(err)
	}
	tb, ok, err := db.GetTableInsensitive(ctx, name)
	if err != nil || !ok {
		t.Fatalf("table %s: %v", name, err)
	}
	st, ok := tb.(*storage.Table)
	if !ok {
		t.Fatalf("table %s is %T", name, tb)
	}
	return st
}
