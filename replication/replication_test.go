package replication

import (
	"strings"
	"testing"
	"time"

	"github.com/quarrydb/quarry/internal/mariadbtest"
)

// TestReplicateWriteLoad replicates DDL, a seed load and a concurrent
// sysbench-like write load from MariaDB, then compares every table.
func TestReplicateWriteLoad(t *testing.T) {
	src := mariadbtest.StartT(t, mariadbtest.Options{Binlog: true, ServerID: 1})
	sdb := openSource(t, src)
	r := startReplica(t, t.TempDir())
	configure(t, r.db, src)

	const tables, rows = 3, 200
	seedSB(t, sdb, tables, rows)
	n := writeLoad(t, sdb, tables, rows, 4, 3*time.Second)
	t.Logf("source committed %d write transactions", n)
	mustExec(t, sdb, "ALTER TABLE sb.sbtest1 ADD COLUMN extra INT NULL", "UPDATE sb.sbtest1 SET extra = id % 7 WHERE id < 50")
	waitCaughtUp(t, sdb, r.db, 60*time.Second)
	compareDB(t, sdb, r.db, "sb")

	st := replicaStatus(t, r.db)
	if st["Replica_IO_Running"] != "Yes" || st["Replica_SQL_Running"] != "Yes" || st["Seconds_Behind_Source"] != "0" {
		t.Fatalf("status after catching up: %v", st)
	}
	mustExec(t, r.db, "STOP REPLICA")
	if st := replicaStatus(t, r.db); st["Replica_IO_Running"] != "No" || st["Seconds_Behind_Source"] != "NULL" {
		t.Fatalf("status after STOP REPLICA: %v", st)
	}
	// Changes while stopped arrive after START REPLICA.
	mustExec(t, sdb, "INSERT INTO sb.sbtest2 (k, c) VALUES (1, 'while stopped')")
	mustExec(t, r.db, "START REPLICA")
	waitCaughtUp(t, sdb, r.db, 30*time.Second)
	compareDB(t, sdb, r.db, "sb")
}

// TestStatementFormatStops checks that a statement-based event stops
// replication with a clear error instead of being skipped.
func TestStatementFormatStops(t *testing.T) {
	src := mariadbtest.StartT(t, mariadbtest.Options{Binlog: true, ServerID: 1})
	sdb := openSource(t, src)
	mustExec(t, sdb, "CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY, v INT)")
	r := startReplica(t, t.TempDir())
	configure(t, r.db, src)
	waitCaughtUp(t, sdb, r.db, 30*time.Second)
	conn, err := sdb.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"SET SESSION binlog_format = 'STATEMENT'", "INSERT INTO d.t VALUES (1, 1)"} {
		if _, err := conn.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := replicaStatus(t, r.db)
		if strings.Contains(st["Last_SQL_Error"], "binlog_format=ROW") {
			if st["Replica_SQL_Running"] != "No" {
				t.Fatalf("SQL thread still running after the error: %v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replication error for a statement-based event: %v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var n int
	if err := r.db.QueryRow("SELECT COUNT(*) FROM d.t").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows on the replica: %d, %v", n, err)
	}
}
