package storage_test

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
)

// TestForeignKeyNamesUniquePerDatabase checks MySQL's rule that foreign
// key names are unique within a database, not just within a table.
func TestForeignKeyNamesUniquePerDatabase(t *testing.T) {
	d := openDatabase(t, "fk")
	d.mustQuery("CREATE TABLE p (id INT PRIMARY KEY)")
	d.mustQuery("CREATE TABLE c1 (id INT PRIMARY KEY, CONSTRAINT fk_shared FOREIGN KEY (id) REFERENCES p (id))")
	if _, err := d.query("CREATE TABLE c2 (id INT PRIMARY KEY, CONSTRAINT FK_SHARED FOREIGN KEY (id) REFERENCES p (id))"); !sql.ErrForeignKeyDuplicateName.Is(err) {
		t.Errorf("CREATE TABLE with a name used by another table: got %v", err)
	}
	d.mustQuery("CREATE TABLE c3 (id INT PRIMARY KEY)")
	if _, err := d.query("ALTER TABLE c3 ADD CONSTRAINT fk_shared FOREIGN KEY (id) REFERENCES p (id)"); !sql.ErrForeignKeyDuplicateName.Is(err) {
		t.Errorf("ALTER TABLE with a name used by another table: got %v", err)
	}
	// Another database may reuse the name.
	d.mustQuery("CREATE DATABASE other")
	d.mustQuery("CREATE TABLE other.c (id INT PRIMARY KEY, CONSTRAINT fk_shared FOREIGN KEY (id) REFERENCES fk.p (id))")
}
