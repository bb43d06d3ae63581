// Package replication makes Quarry a binlog replica of a MySQL or MariaDB
// primary. It owns the replica controller behind CHANGE REPLICATION SOURCE
// TO, START/STOP/RESET REPLICA and SHOW REPLICA STATUS (GMS's
// binlogreplication.BinlogReplicaController), the binlog connection (the
// vitess go/mysql client), and the applier that turns ROW events into
// writes through the storage table editors.
//
// Invariants:
//   - one binlog transaction is applied in one storage transaction, and the
//     position after it (GTID set, file and offset) is written through the
//     same transaction's overlay, so both reach Pebble in one batch: a
//     restart or a SIGKILL neither loses nor re-applies a transaction;
//   - a DDL statement (which storage commits on its own) is bracketed by a
//     durable marker, so re-running it after a crash between the DDL and
//     its position tolerates "already exists"/"unknown table" exactly once;
//   - an event the applier cannot apply stops the SQL thread with the error
//     in SHOW REPLICA STATUS; nothing is skipped silently;
//   - only binlog_format=ROW with binlog_row_image=FULL is accepted.
package replication
