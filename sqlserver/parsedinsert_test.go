package sqlserver

import (
	"reflect"
	"testing"

	"github.com/quarrydb/quarry/internal/insertparse"
)

// parsedInsert answers what insertparse.ParsePrepared answers, every time,
// and keeps no statement with a _binary literal.
func TestParsedInsertMatchesParsePrepared(t *testing.T) {
	cs := &connState{}
	queries := []string{
		"INSERT INTO sbtest1 (id, k, c, pad) VALUES (?, ?, ?, ?)",
		"INSERT INTO t VALUES (1, 'a', ?), (2.5, NULL, ?)",
		"insert into db.t (a) values (?)",
		"INSERT INTO t VALUES (_binary'ab', ?)",
		"INSERT INTO t SELECT * FROM u",
		"INSERT INTO t VALUES (1); DELETE FROM t",
		"UPDATE t SET a = ?",
	}
	for round := 0; round < 3; round++ {
		for _, q := range queries {
			want, wantOK := insertparse.ParsePrepared(q)
			got, ok := cs.parsedInsert(q)
			if ok != wantOK || !reflect.DeepEqual(got, want) && wantOK {
				t.Fatalf("round %d %q: got %+v %v, want %+v %v", round, q, got, ok, want, wantOK)
			}
		}
	}
	if _, kept := cs.inserts["INSERT INTO t VALUES (_binary'ab', ?)"]; kept {
		t.Error("a statement with a _binary literal was kept")
	}
	if ins, kept := cs.inserts["UPDATE t SET a = ?"]; !kept || ins != nil {
		t.Errorf("a statement not of the form: kept %v, %+v", kept, ins)
	}
	// Binding copies the rows; the kept statement is not changed.
	q := queries[0]
	before, _ := insertparse.ParsePrepared(q)
	kept, _ := cs.parsedInsert(q)
	bound := *kept
	bound.Rows = [][]insertparse.Literal{{{Kind: insertparse.Int, Value: int64(1)}}}
	if !reflect.DeepEqual(kept, before) {
		t.Error("binding changed the kept statement")
	}
}
