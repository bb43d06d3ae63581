package e2e

import (
	"testing"
	"time"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestEventsRun: a stored event runs on schedule, and again after a restart.
func TestEventsRun(t *testing.T) {
	dir := t.TempDir()
	s := testserver.Start(t, dir)
	mustExec(t, s.Open(""), "CREATE DATABASE d")
	db := s.Open("d")
	mustExec(t, db, "CREATE TABLE ticks (id INT PRIMARY KEY AUTO_INCREMENT, at DATETIME)")
	mustExec(t, db, "CREATE EVENT tick ON SCHEDULE EVERY 1 SECOND DO INSERT INTO ticks (at) VALUES (NOW())")
	deadline := time.Now().Add(15 * time.Second)
	for queryInt(t, db, "SELECT COUNT(*) FROM ticks") < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the event did not run twice within 15 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.Stop()

	s2 := testserver.Start(t, dir)
	db2 := s2.Open("d")
	before := queryInt(t, db2, "SELECT COUNT(*) FROM ticks")
	deadline = time.Now().Add(15 * time.Second)
	for queryInt(t, db2, "SELECT COUNT(*) FROM ticks") <= before {
		if time.Now().After(deadline) {
			t.Fatal("the event did not run after a restart")
		}
		time.Sleep(200 * time.Millisecond)
	}
	mustExec(t, db2, "DROP EVENT tick")
}
