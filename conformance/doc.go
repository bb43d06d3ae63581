// Package conformance runs go-mysql-server's own enginetest suites against
// Quarry's storage.
//
// Harness implements enginetest.Harness and the optional IndexHarness,
// ForeignKeyHarness, KeylessTableHarness, TransactionHarness (real,
// separate storage sessions), ClientHarness, ServerHarness (wire mode,
// SERVER_ENGINE_TEST=1), SkippingHarness (skips.json) and
// ValidatingHarness (every secondary index is checked against its table
// after every query GMS validates, and once more when each test ends).
// Every engine gets a fresh data directory under t.TempDir() and is built
// by sqlserver.NewEngine, exactly as `quarry serve` builds it; the only
// difference is that GMS's default system variables are restored (see
// useGMSSystemVariables).
//
// The suites themselves live in the package's tests (suites_test.go,
// plans_test.go); they only run with QUARRY_CONFORMANCE=1. cmd/count runs
// them, counts leaf tests per suite, compares with GMS's memory engine and
// enforces the ratchet in baseline.json. See README.md.
package conformance
