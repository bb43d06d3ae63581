package indexes_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestOrderByMatchLimit: ORDER BY MATCH ... AGAINST with a LIMIT and no
// WHERE (a scan, not a search lookup) ranks by relevance: the planner's
// top-k scan must leave such a sort to the search rule. The limited
// result is the head of the unlimited one.
func TestOrderByMatchLimit(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	mustExec(t, srv.Open(""), "CREATE DATABASE d")
	db := srv.Open("d")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, tag VARCHAR(20), body TEXT, FULLTEXT KEY ft (body))")
	mustExec(t, db, "INSERT INTO t VALUES (1, 'a', 'red apple'), (2, 'b', 'pear pear pear'), (3, 'c', 'green pear tart'), (4, 'd', 'plum')")
	for _, order := range []string{"MATCH(body) AGAINST('pear') DESC", "MATCH(body) AGAINST('pear') DESC, tag", "MATCH(body) AGAINST('pear'), id DESC"} {
		all := queryStrings(t, db, "SELECT id FROM t ORDER BY "+order)
		for k := 1; k <= len(all); k++ {
			got := queryStrings(t, db, fmt.Sprintf("SELECT id FROM t ORDER BY %s LIMIT %d", order, k))
			if !slices.Equal(got, all[:k]) {
				t.Errorf("ORDER BY %s LIMIT %d: got %v, want %v", order, k, got, all[:k])
			}
		}
	}
	if got := queryStrings(t, db, "SELECT id FROM t ORDER BY MATCH(body) AGAINST('pear') DESC, id LIMIT 2"); !slices.Equal(got, []string{"2", "3"}) {
		t.Errorf("top 2 for pear: got %v, want [2 3]", got)
	}
}
