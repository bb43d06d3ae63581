package sqlserver_test

import "testing"

// TestOrderByAliasInExpression: a select-list alias inside an ORDER BY
// expression resolves to the aliased expression (MySQL), grouped or not.
func TestOrderByAliasInExpression(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE oa",
		"CREATE TABLE oa.o (id INT PRIMARY KEY, amount INT)",
		"INSERT INTO oa.o VALUES (1, 10), (2, 50), (3, 70), (4, 5)",
	)
	for _, c := range []struct{ q, want string }{
		{"SELECT CASE WHEN amount < 20 THEN 'small' ELSE 'large' END AS bucket FROM oa.o GROUP BY bucket ORDER BY FIELD(bucket, 'small', 'large')", "small,large"},
		{"SELECT CASE WHEN amount < 20 THEN 'small' ELSE 'large' END AS bucket FROM oa.o GROUP BY bucket ORDER BY FIELD(bucket, 'large', 'small')", "large,small"},
		{"SELECT CASE WHEN amount < 20 THEN 'small' ELSE 'large' END AS bucket FROM oa.o ORDER BY FIELD(BUCKET, 'large', 'small'), id", "large,large,small,small"},
		{"SELECT COUNT(*) AS n FROM oa.o WHERE id < 4 GROUP BY amount > 20 ORDER BY n * -1", "2,1"},
		{"SELECT id FROM oa.o WHERE id IN (SELECT id AS k FROM oa.o ORDER BY -k) ORDER BY id", "1,2,3,4"},
		// A bare alias and a qualified column are GMS's as before.
		{"SELECT amount AS id FROM oa.o ORDER BY id", "5,10,50,70"},
		{"SELECT id FROM oa.o ORDER BY -o.id", "4,3,2,1"},
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
