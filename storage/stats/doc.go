// Package stats owns Quarry's persisted table statistics: an implementation
// of go-mysql-server's sql.StatsProvider that keeps the histograms built by
// ANALYZE TABLE in a durable key-value Store, so the optimizer sees the same
// statistics after a restart.
//
// # Building
//
// Histograms are built by go-mysql-server's own code: ANALYZE TABLE delegates
// to a fresh memory.StatsProv (reservoir sample, per-index-prefix buckets),
// and the resulting statistics are serialized and persisted. []byte key
// values (BINARY, VARBINARY, BLOB), on which memory.StatsProv panics, are
// shown to it as strings and restored afterwards; WithBuilder substitutes
// another builder. ANALYZE TABLE
// replaces every statistic stored for the table (including ones installed
// with ANALYZE TABLE ... UPDATE HISTOGRAM and ones for indexes that no longer
// exist); analyzing an empty table removes its statistics.
//
// # Reading
//
// Statistics are loaded lazily, one table at a time, on the first
// GetTableStats/GetStats/RowCount call for that table, and cached in memory
// afterwards. GetTableStats checks each statistic against the table it is
// given: a statistic whose columns no longer exist, or whose column types
// changed, is skipped rather than handed to the optimizer; types and
// functional dependencies are taken from the live table. RowCount and
// DataLength come from the table itself when it implements
// sql.StatisticsTable (Quarry's tables keep an exact count) and only fall
// back to the persisted statistics otherwise.
//
// # Key layout
//
// One record per statistic, under
//
//	stats/<db>/<table>/<index>/<col1>,<col2>,...
//
// Every name is lower-cased and then escaped so that it cannot contain the
// separators: '%' -> "%25", '/' -> "%2F", ',' -> "%2C", '.' -> "%2E". A
// schema-qualified table (not used by MySQL) is written as <schema>.<table>.
// "stats/<db>/" therefore holds exactly one database's statistics and
// "stats/<db>/<table>/" exactly one table's.
//
// The value is a JSON object (see record in codec.go), versioned by its "v"
// field. Bound and MCV values are stored as [tag, text] pairs that preserve
// the Go type of the value (int64, string, []byte, time.Time,
// decimal.Decimal, ...); values of other types are stored through their SQL
// type (sql.Type.SQL) and converted back with sql.Type.Convert. Column types
// are stored as sql.Type.String() and parsed back with
// planbuilder.ParseColumnTypeString.
//
// # What callers must do
//
// The provider does not observe DDL. The storage layer must call
//
//	DropStats(ctx, sql.StatQualifier{Database: db, Tab: table}, nil)
//
// when a table is dropped, renamed (for the old name) or its columns are
// altered, and DropDbStats(ctx, db, true) when a database is dropped.
// DropStats and DropDbStats only delete keys; they work even when stored
// records are corrupt. A corrupt record makes GetTableStats and RowCount
// (for non-sql.StatisticsTable tables) for that table return an error
// wrapping ErrCorrupt until ANALYZE TABLE or DropStats replaces it; the
// optimizer propagates that error, so filtered queries on the table fail
// meanwhile. GetStats just reports "not found".
//
// All methods are safe for concurrent use.
package stats
