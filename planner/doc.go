// Package planner holds Quarry's own analyzer rules and plan nodes: the
// analytics pushdown, which evaluates GROUP BY with typed aggregates,
// residual filters, projection and ORDER BY ... LIMIT inside a parallel,
// partitioned storage scan (storage.Scan), and the EXPLAIN text that shows
// what was pushed.
//
// Rules (post-analyze, registered by AddRules; sqlserver.NewEngine does):
//   - AggPushdown replaces GroupBy over one Quarry table (under an optional
//     Filter, through a full scan or a static index lookup, or through a
//     view or derived table that filters and projects that table) with an
//     AggScan: COUNT(*), COUNT(x), COUNT(DISTINCT ...), SUM, AVG, MIN, MAX
//     and non-aggregate expressions, with MySQL's result types (SUM and
//     AVG of exact types are DECIMAL) and collation-aware group keys.
//   - The same rule replaces every SUM and AVG of an integer or DECIMAL
//     argument that GMS still computes (GROUP BY over joins, window
//     functions, windows over a derived table's sums) with an ExactAgg:
//     MySQL's DECIMAL result type, computed exactly (GMS types them
//     DOUBLE and adds through float64).
//   - TopKPushdown replaces TopN (and Limit -> Project -> Sort) over one
//     table with a TopKScan: per-worker bounded heaps.
//
// An AggScan over a primary-key range reads through storage.ScanTyped
// when it can (typedagg.go): rows are decoded into typed slots, and
// integer/datetime comparisons, plain-column and per-day DATE_FORMAT
// group keys, COUNT, SUM/AVG of integers and floats, MIN/MAX of integers
// and datetimes and COUNT(DISTINCT integer) read the slots directly;
// other expressions are evaluated by GMS over values boxed on demand.
// Results are identical to the generic path (Config.GenericScan forces
// it; TestTypedScanMatchesGeneric compares the two).
//
// Anything else stays with GMS. The session/global variable
// quarry_analytics_pushdown (default ON) turns both rules off.
//
// Invariants: a node's whole scan runs on its first Next, before any row
// is returned (so a statement's own writes never interleave with it);
// workers evaluate private copies of the expressions; partitions are
// ascending key ranges, so "first row of a group" and ties are resolved in
// primary-key order, as GMS's serial scan does.
package planner
