package sqlserver_test

import "testing"

// TestNotInSubqueryNulls: x NOT IN (SELECT y ...) is NULL (so the row is
// filtered out) when the subquery yields a NULL and x matches nothing, and
// for a NULL x unless the subquery is empty.
func TestNotInSubqueryNulls(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE ni",
		"CREATE TABLE ni.p (code VARCHAR(8) PRIMARY KEY, label VARCHAR(30))",
		"INSERT INTO ni.p VALUES ('a', 'x'), ('b', NULL)",
		"CREATE TABLE ni.q (id INT PRIMARY KEY, v INT)",
		"INSERT INTO ni.q VALUES (1, 1), (2, NULL), (3, 3)",
		"CREATE TABLE ni.r (id INT PRIMARY KEY, w INT NOT NULL)",
		"INSERT INTO ni.r VALUES (1, 1)",
	)
	for _, c := range []struct{ q, want string }{
		// The subquery yields NULL: no row qualifies.
		{"SELECT code FROM ni.p WHERE code NOT IN (SELECT label FROM ni.p) ORDER BY code", ""},
		// No NULL in the subquery: the anti join is right.
		{"SELECT code FROM ni.p WHERE code NOT IN (SELECT label FROM ni.p WHERE label IS NOT NULL) ORDER BY code", "a,b"},
		// A NULL on the left qualifies only against an empty subquery.
		{"SELECT id FROM ni.q WHERE v NOT IN (SELECT w FROM ni.r) ORDER BY id", "3"},
		{"SELECT id FROM ni.q WHERE v NOT IN (SELECT w FROM ni.r WHERE w > 5) ORDER BY id", "1,2,3"},
		// Combined with other conjuncts, and IN still works.
		{"SELECT id FROM ni.q WHERE id > 1 AND v NOT IN (SELECT w FROM ni.r) ORDER BY id", "3"},
		{"SELECT id FROM ni.q WHERE v IN (SELECT w FROM ni.r) ORDER BY id", "1"},
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

// TestUnionWithPointLookup: a UNION whose branch is a primary-key point
// lookup returns all its rows (GMS flagged the statement "at most one row"
// and failed it).
func TestUnionWithPointLookup(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE un",
		"CREATE TABLE un.o (id INT PRIMARY KEY, v INT)",
		"INSERT INTO un.o VALUES (1, 10), (2, 20), (3, 30)",
	)
	for _, c := range []struct {
		q    string
		want int
	}{
		{"(SELECT v FROM un.o) UNION ALL (SELECT v FROM un.o WHERE id <=> 2)", 4},
		{"(SELECT v FROM un.o WHERE id = 1) UNION ALL (SELECT v FROM un.o WHERE id = 2)", 2},
		{"(SELECT v FROM un.o WHERE id = 1) UNION (SELECT COUNT(*) FROM un.o)", 2},
		{"SELECT v FROM un.o WHERE id = 3", 1},
	} {
		rows, err := db.Query(c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %v", c.q, err)
		}
		rows.Close()
		if n != c.want {
			t.Errorf("%s: %d rows, want %d", c.q, n, c.want)
		}
	}
}
