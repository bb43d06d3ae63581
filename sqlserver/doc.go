// Package sqlserver owns the SQL front end of Quarry: it assembles the
// go-mysql-server (GMS) engine over Quarry's storage (NewEngine, the single
// place where that happens, shared by `quarry serve` and the conformance
// harness), bootstraps and persists the mysql.* privilege tables, pins the
// MySQL version and the system variables Quarry advertises, and runs the
// MySQL wire-protocol server with a secure listen default and graceful
// shutdown (New, Server).
package sqlserver
