package storage

import "testing"

func TestIsDDLStatement(t *testing.T) {
	for q, want := range map[string]bool{
		"ALTER TABLE t ADD c INT":              true,
		"  /* x */ create index i on t (a)":    true,
		"/*!40101 x */ DROP TABLE t":           true,
		"rename table a to b":                  true,
		"TRUNCATE t":                           true,
		"INSERT INTO child VALUES (1, 2)":      false,
		"SELECT 1":                             false,
		"CALL p()":                             false,
		"/* unterminated":                      false,
		"":                                     false,
		"createx":                              false,
		"(SELECT 1) UNION (SELECT 2)":          false,
		"\n\tALTER TABLE t COMMENT 'orders'\n": true,
	} {
		if got := isDDLStatement(q); got != want {
			t.Errorf("isDDLStatement(%q) = %v, want %v", q, got, want)
		}
	}
}
