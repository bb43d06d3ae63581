package storage_test

import (
	"fmt"
	"testing"
)

// TestStoredObjectCacheFollowsChanges reads views, after caching their
// absence and their definitions, across CREATE, DROP and CREATE OR REPLACE.
func TestStoredObjectCacheFollowsChanges(t *testing.T) {
	d := openDatabase(t, "oc")
	d.mustQuery("CREATE TABLE t (id INT PRIMARY KEY)")
	d.mustQuery("INSERT INTO t VALUES (1), (2), (3)")
	if _, err := d.query("SELECT * FROM v"); err == nil {
		t.Fatal("SELECT from a missing view succeeded")
	}
	d.mustQuery("CREATE VIEW v AS SELECT id FROM t WHERE id > 1")
	expect := func(want string) {
		t.Helper()
		if got := fmt.Sprint(d.mustQuery("SELECT id FROM v ORDER BY id")); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	expect("[[2] [3]]")
	d.mustQuery("CREATE OR REPLACE VIEW v AS SELECT id FROM t WHERE id < 3")
	expect("[[1] [2]]")
	d.mustQuery("DROP VIEW v")
	if _, err := d.query("SELECT * FROM v"); err == nil {
		t.Fatal("SELECT from a dropped view succeeded")
	}
	d.mustQuery("CREATE VIEW v AS SELECT id FROM t WHERE id = 3")
	expect("[[3]]")
	d.mustQuery("DROP DATABASE oc")
	d.mustQuery("CREATE DATABASE oc")
	d.mustQuery("CREATE TABLE oc.t (id INT PRIMARY KEY)")
	if _, err := d.query("SELECT * FROM oc.v"); err == nil {
		t.Fatal("view survived DROP DATABASE")
	}
}
