package sqlserver

import "testing"

func TestAlterTableCommentParse(t *testing.T) {
	cases := []struct {
		q                  string
		db, table, comment string
		ok                 bool
	}{
		{"ALTER TABLE t COMMENT 'orders'", "", "t", "orders", true},
		{"alter table `d`.`t` comment = 'it''s'", "d", "t", "it's", true},
		{"ALTER TABLE t ENGINE=InnoDB, COMMENT='a' ROW_FORMAT=DYNAMIC;", "", "t", "a", true},
		{"ALTER TABLE t COMMENT 'a', COMMENT 'b'", "", "t", "b", true},
		{"ALTER TABLE t COMMENT ''", "", "t", "", true},
		{"ALTER TABLE t ENGINE=InnoDB", "", "", "", false},
		{"ALTER TABLE t ADD COLUMN c INT COMMENT 'x'", "", "", "", false},
		{"ALTER TABLE t MODIFY c INT COMMENT 'x', COMMENT 'y'", "", "", "", false},
		{"ALTER TABLE t COMMENT 5", "", "", "", false},
		{"CREATE TABLE t (a INT) COMMENT 'x'", "", "", "", false},
	}
	for _, c := range cases {
		db, table, comment, ok := alterTableComment(c.q)
		if ok != c.ok || ok && (db != c.db || table != c.table || comment != c.comment) {
			t.Errorf("%s: got (%q, %q, %q, %v), want (%q, %q, %q, %v)", c.q, db, table, comment, ok, c.db, c.table, c.comment, c.ok)
		}
	}
}
