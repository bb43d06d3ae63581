package sqlserver_test

import "testing"

// TestDistinctOrderByExpression: ORDER BY over SELECT DISTINCT of
// expressions, by position, alias or the expression (client issue Q14).
func TestDistinctOrderByExpression(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE ds",
		"CREATE TABLE ds.o (id INT PRIMARY KEY, status VARCHAR(10), qty INT)",
		"INSERT INTO ds.o VALUES (1, 'b', 1), (2, 'a', 2), (3, 'b', 3), (4, 'c', 1)",
	)
	for _, c := range []struct{ q, want string }{
		{"SELECT DISTINCT QUOTE(status) FROM ds.o ORDER BY 1", "'a','b','c'"},
		{"SELECT DISTINCT QUOTE(status) AS s FROM ds.o ORDER BY 1 DESC", "'c','b','a'"},
		{"SELECT DISTINCT QUOTE(status) AS s FROM ds.o ORDER BY s", "'a','b','c'"},
		{"SELECT DISTINCT UPPER(status) AS s FROM ds.o ORDER BY 1 LIMIT 2", "A,B"},
		{"SELECT DISTINCT qty * 10 AS q FROM ds.o ORDER BY 1 DESC LIMIT 2 OFFSET 1", "20,10"},
		{"SELECT DISTINCT status FROM ds.o ORDER BY 1", "a,b,c"},
	} {
		got, err := firstColumn(db, c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s = %q, want %q", c.q, got, c.want)
		}
	}
}
