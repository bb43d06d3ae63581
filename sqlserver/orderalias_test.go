package sqlserver_test

import (
	"fmt"
	"testing"
)

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

// TestShowFullTriggers: SHOW FULL TRIGGERS is SHOW TRIGGERS (MySQL's
// grammar accepts FULL there; DBeaver sends it).
func TestShowFullTriggers(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE sft",
		"CREATE TABLE sft.o (id INT PRIMARY KEY, amount INT)",
		"CREATE TRIGGER sft.trg BEFORE INSERT ON sft.o FOR EACH ROW SET new.amount = new.amount + 1",
	)
	for _, q := range []string{"SHOW FULL TRIGGERS FROM sft", "show full\n triggers in `sft` like 'o'", "SHOW TRIGGERS FROM sft"} {
		rows, err := db.Query(q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		var got []string
		for rows.Next() {
			vals := make([]any, 11)
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s|%s|%s", vals[0], vals[1], vals[2]))
		}
		rows.Close()
		if len(got) != 1 || got[0] != "trg|INSERT|o" {
			t.Errorf("%s = %q, want trg|INSERT|o", q, got)
		}
	}
	if _, err := db.Exec("SHOW FULL TRIGGER FROM sft"); err == nil {
		t.Error("SHOW FULL TRIGGER (a typo) parsed")
	}
}
