package sqlserver

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// TestWeightStringOrdersLikeOrderBy: sorting rows by the bytes of
// WEIGHT_STRING(col) gives ORDER BY col's order, for every column type a
// vtgate merge-sort may ask about (random values, ties included).
func TestWeightStringOrdersLikeOrderBy(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE w")
	mustExec(t, db, "USE w")
	mustExec(t, db, `CREATE TABLE v (id INT PRIMARY KEY, i BIGINT, u BIGINT UNSIGNED, d DECIMAL(12,3), f DOUBLE,
		s VARCHAR(20) COLLATE utf8mb4_0900_ai_ci, b VARBINARY(20), dt DATETIME(6))`)
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "A", "ab", "Ab", "b", "é", "e", "z", "Z", "中", "文", "", " "}
	for id := 1; id <= 200; id++ {
		mustExec(t, db, "INSERT INTO v VALUES (?,?,?,?,?,?,?,?)", id,
			r.Int64N(2000)-1000, r.Uint64N(1<<63)+r.Uint64N(1<<62), fmt.Sprintf("%d.%03d", r.IntN(2000)-1000, r.IntN(1000)),
			r.NormFloat64()*1e3, words[r.IntN(len(words))]+words[r.IntN(len(words))],
			[]byte{byte(r.IntN(4)), byte(r.IntN(256))}, time.Unix(r.Int64N(2e9), r.Int64N(1e9)/1000*1000).UTC())
	}
	for _, col := range []string{"i", "u", "d", "f", "s", "b", "dt", "i * 2", "CONCAT(s, 'x')"} {
		rows, err := db.Query(fmt.Sprintf("SELECT id, WEIGHT_STRING(%s) FROM v ORDER BY %s, id", col, col))
		if err != nil {
			t.Fatalf("%s: %v", col, err)
		}
		type rec struct {
			id int
			w  []byte
		}
		var byOrder []rec
		for rows.Next() {
			var x rec
			if err := rows.Scan(&x.id, &x.w); err != nil {
				t.Fatal(err)
			}
			byOrder = append(byOrder, x)
		}
		rows.Close()
		if len(byOrder) != 200 {
			t.Fatalf("%s: %d rows", col, len(byOrder))
		}
		byWeight := append([]rec(nil), byOrder...)
		sort.SliceStable(byWeight, func(a, b int) bool {
			if c := bytes.Compare(byWeight[a].w, byWeight[b].w); c != 0 {
				return c < 0
			}
			return byWeight[a].id < byWeight[b].id
		})
		for k := range byOrder {
			if byOrder[k].id != byWeight[k].id {
				t.Fatalf("%s: position %d is id %d by ORDER BY but id %d by WEIGHT_STRING", col, k, byOrder[k].id, byWeight[k].id)
			}
		}
	}
	if got := queryString(t, db, "SELECT COALESCE(WEIGHT_STRING(NULL), 'null')"); got != "null" {
		t.Errorf("WEIGHT_STRING(NULL) = %q, want NULL", got)
	}
	if got := queryString(t, db, "SELECT WEIGHT_STRING('abc') = WEIGHT_STRING('ABC')"); got != "1" {
		t.Errorf("case-insensitive collation: equal strings must have equal weights, got %s", got)
	}
}

// TestTablesCreateAndUpdateTime: information_schema.TABLES.CREATE_TIME is
// set at CREATE and changes on ALTER (Vitess schema tracking and BI schema
// sync depend on it); UPDATE_TIME is NULL until a write commits.
func TestTablesCreateAndUpdateTime(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	db := mustConnect(t, "root", "", ts.addr)
	mustExec(t, db, "CREATE DATABASE ct")
	before := time.Now().Unix()
	mustExec(t, db, "CREATE TABLE ct.t (id INT PRIMARY KEY)")
	q := "SELECT UNIX_TIMESTAMP(create_time), COALESCE(UNIX_TIMESTAMP(update_time), -1) FROM information_schema.tables WHERE table_schema='ct' AND table_name='t'"
	var created, updated int64
	if err := db.QueryRow(q).Scan(&created, &updated); err != nil {
		t.Fatal(err)
	}
	if created < before || created > time.Now().Unix() || updated != -1 {
		t.Fatalf("after CREATE: create_time %d (want %d..now), update_time %d (want NULL)", created, before, updated)
	}
	time.Sleep(1100 * time.Millisecond) // CREATE_TIME has second resolution
	mustExec(t, db, "ALTER TABLE ct.t ADD COLUMN v INT")
	mustExec(t, db, "INSERT INTO ct.t VALUES (1, 2)")
	var created2 int64
	if err := db.QueryRow(q).Scan(&created2, &updated); err != nil {
		t.Fatal(err)
	}
	if created2 <= created {
		t.Fatalf("ALTER TABLE did not change create_time: %d then %d", created, created2)
	}
	if updated < created2 {
		t.Fatalf("update_time %d after an INSERT, want >= %d", updated, created2)
	}
	// Views keep GMS's row; the base table rows are the only ones changed.
	mustExec(t, db, "CREATE VIEW ct.vw AS SELECT id FROM ct.t")
	if got := queryString(t, db, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='ct'"); got != "2" {
		t.Fatalf("tables in ct: %s, want 2", got)
	}
}
