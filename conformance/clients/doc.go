// Package clients runs real client programs against Quarry: the drivers,
// ORMs, command-line tools and BI-tool query sets applications use. Every
// program does what an application does (schema with indexes and a foreign
// key, typed inserts, prepared statements, transactions, reads, updates,
// the library's own introspection or migration) and reports one line per
// check; the Go tests in this package start one Quarry server per program,
// run it and turn every check into a subtest.
//
// Checks that fail because of a known Quarry bug are listed in
// known_issues.json and reported as skipped with the issue id; a listed
// check that passes again fails the test, so the list stays accurate.
//
// The Go clients (go-sql-driver/mysql, GORM, sqlx) and the BI query sets
// run in-process; the others (mariadb CLI and mysqldump, Python, Node,
// Java) run as subprocesses and are skipped when their tool is not
// installed, except under CI=true, where a missing tool fails. setup.sh
// installs them. See README.md.
package clients
