// Package e2e holds end-to-end tests that drive a real Quarry server over
// the MySQL protocol with github.com/go-sql-driver/mysql: transactions and
// isolation, persistence across restarts, crash recovery and the driver's
// text and binary (prepared) protocols.
package e2e
