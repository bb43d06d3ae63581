// Package sqlserver owns the SQL front end of Quarry: it assembles the
// go-mysql-server (GMS) engine over Quarry's storage (NewEngine, the single
// place where that happens, shared by `quarry serve` and the conformance
// harness), bootstraps and persists the mysql.* privilege tables, pins the
// MySQL version and the system variables Quarry advertises, and runs the
// MySQL wire-protocol server with a secure listen default and graceful
// shutdown (New, Server).
//
// It also owns what running the server in production needs:
//   - authentication and transport: TLS (LoadTLS, with a generated
//     self-signed certificate), require_secure_transport, logged and counted
//     failed logins (auth.go);
//   - limits: max_connections with error 1040 and idle timeouts
//     (wait_timeout, interactive_timeout) in the listener (conn.go);
//     max_execution_time, the per-statement memory bound, max_allowed_packet
//     and cancellation of statements whose client went away, around each
//     statement (statement.go, querymem.go); KILL and PROCESSLIST privilege
//     rules GMS skips (exec.go, processlist.go);
//   - observability: Prometheus metrics registered with the Registerer the
//     caller passes (never the global one), the storage and Pebble
//     collectors, GMS status variables under mysqld_exporter's names
//     (metrics.go), SHOW STATUS counters GMS does not keep, the slow and
//     general query logs (querylog.go), and per-statement access paths
//     read from the analyzed plan (exec.go);
//   - the HTTP handler of the metrics listener, including the loopback-only
//     online backup endpoint (admin.go).
//
// It does not own flags or files (cmd/quarry opens the log files and the
// listeners' addresses come from there) nor anything below the sql.*
// interfaces (package storage).
package sqlserver
