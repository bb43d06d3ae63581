package replication

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"

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
	if n := r.metric("quarry_replica_applied_transactions_total"); n < 100 {
		t.Fatalf("applied transactions metric %v", n)
	}
	if lag, run := r.metric("quarry_replica_seconds_behind_source"), r.metric("quarry_replica_running"); lag != 0 || run != 1 {
		t.Fatalf("lag metric %v, running %v", lag, run)
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

// TestFilePosition replicates in file/position mode (SOURCE_AUTO_POSITION=0)
// from the source's current position, across a replica restart.
func TestFilePosition(t *testing.T) {
	src := mariadbtest.StartT(t, mariadbtest.Options{Binlog: true, ServerID: 1})
	sdb := openSource(t, src)
	schema := []string{"CREATE DATABASE fp", "CREATE TABLE fp.t (id INT PRIMARY KEY, v VARCHAR(20))"}
	mustExec(t, sdb, schema...)
	mustExec(t, sdb, "INSERT INTO fp.t VALUES (1, 'before')")
	dir := t.TempDir()
	r := startReplica(t, dir)
	mustExec(t, r.db, schema...)
	mustExec(t, r.db, "INSERT INTO fp.t VALUES (1, 'before')", "SET GLOBAL server_id = 2",
		fmt.Sprintf("CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT=%d, SOURCE_USER='root', SOURCE_CONNECT_RETRY=1, SOURCE_AUTO_POSITION=0", src.Port),
		"START REPLICA")
	// In file/position mode MariaDB still sends its GTID events, so the
	// executed set shows progress; the file must be the source's current
	// one. (The offset may trail the source's: events after the last
	// transaction, such as binlog checkpoints, do not move the applied
	// position.)
	waitFilePos := func(r *replica) {
		t.Helper()
		var gtid string
		if err := sdb.QueryRow("SELECT @@GLOBAL.gtid_binlog_pos").Scan(&gtid); err != nil {
			t.Fatal(err)
		}
		rows, err := sdb.Query("SHOW MASTER STATUS")
		if err != nil {
			t.Fatal(err)
		}
		var file string
		if rows.Next() {
			cols, _ := rows.Columns()
			dst := make([]any, len(cols))
			for i := range dst {
				dst[i] = new(sql.RawBytes)
			}
			if err := rows.Scan(dst...); err != nil {
				t.Fatal(err)
			}
			file = string(*dst[0].(*sql.RawBytes))
		}
		rows.Close()
		deadline := time.Now().Add(30 * time.Second)
		for {
			st := replicaStatus(t, r.db)
			if st["Last_SQL_Error"] != "" {
				t.Fatalf("replication stopped: %s", st["Last_SQL_Error"])
			}
			if st["Source_Log_File"] == file && st["Executed_Gtid_Set"] == gtid {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("not at %s / %s: %v", file, gtid, st)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Wait for the stream to be up before writing.
	deadline := time.Now().Add(20 * time.Second)
	for replicaStatus(t, r.db)["Replica_IO_Running"] != "Yes" {
		if time.Now().After(deadline) {
			t.Fatal("replica did not connect")
		}
		time.Sleep(50 * time.Millisecond)
	}
	mustExec(t, sdb, "INSERT INTO fp.t VALUES (2, 'a'), (3, 'b')", "UPDATE fp.t SET v = 'c' WHERE id = 3", "DELETE FROM fp.t WHERE id = 2")
	waitFilePos(r)
	compareDB(t, sdb, r.db, "fp")
	r.stop()
	mustExec(t, sdb, "INSERT INTO fp.t VALUES (4, 'while down')", "FLUSH BINARY LOGS", "INSERT INTO fp.t VALUES (5, 'new file')")
	r2 := startReplica(t, dir)
	waitFilePos(r2)
	compareDB(t, sdb, r2.db, "fp")
}

// TestReplicaUnderSuperReadOnly: the applier writes (DDL and rows) while
// the replica runs with super_read_only, which refuses every client's
// writes (1290), as MySQL's replication threads are exempt.
func TestReplicaUnderSuperReadOnly(t *testing.T) {
	src := mariadbtest.StartT(t, mariadbtest.Options{Binlog: true, ServerID: 1})
	sdb := openSource(t, src)
	r := startReplica(t, t.TempDir())
	configure(t, r.db, src)
	mustExec(t, r.db, "SET GLOBAL super_read_only = 1")
	t.Cleanup(func() {
		_, _ = r.db.Exec("SET GLOBAL super_read_only = 0")
		_, _ = r.db.Exec("SET GLOBAL read_only = 0")
	})
	mustExec(t, sdb, "CREATE DATABASE ro", "CREATE TABLE ro.t (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO ro.t VALUES (1, 'a'), (2, 'b')", "UPDATE ro.t SET v = 'c' WHERE id = 2", "DELETE FROM ro.t WHERE id = 1")
	waitCaughtUp(t, sdb, r.db, 30*time.Second)
	compareDB(t, sdb, r.db, "ro")
	var me *mysqldriver.MySQLError
	if _, err := r.db.Exec("INSERT INTO ro.t VALUES (9, 'client')"); !errors.As(err, &me) || me.Number != 1290 {
		t.Fatalf("client write under super_read_only: %v, want error 1290", err)
	}
}
