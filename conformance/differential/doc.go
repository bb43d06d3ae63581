// Package differential compares Quarry with MariaDB on random but valid
// SELECT statements over a fixed dataset.
//
// The dataset (dataset.go) is three small tables with NULLs, integers,
// decimals, mixed-case, accented and CJK strings, dates and datetimes, in
// utf8mb4_general_ci (the collation both servers share). The generator
// (gen.go) builds queries from a grammar: joins, WHERE with AND/OR/NOT, IN,
// BETWEEN, LIKE and IS NULL, GROUP BY with aggregates and HAVING, DISTINCT,
// ORDER BY with LIMIT, subqueries (IN, EXISTS, scalar, derived tables),
// CASE and common string, numeric and date functions. Query i of seed s is
// generated from its own random stream, so any query can be reproduced
// alone.
//
// TestDifferential loads the dataset into an in-process Quarry server and a
// throwaway MariaDB, runs a fixed number of queries (stopping early at a
// time limit on a slow machine) and compares results
// (compare.go): as multisets without ORDER BY, in order with it, numbers by
// value (MySQL and MariaDB legitimately differ in the scale and type of
// aggregates and in float formatting; those are checked by the client
// tests), strings exactly, or under the collation where the server may
// legitimately return any member of a group of equal strings (DISTINCT,
// GROUP BY, MIN/MAX, ties under LIMIT). Every mismatch must be fixed or
// listed in known_mismatches.json with its reason; an unlisted one fails.
//
// Environment: QUARRY_DIFF_QUERIES (default 1500, 200 with -short),
// QUARRY_DIFF_DURATION (time limit, default 120s, 5s with -short),
// QUARRY_DIFF_SEED (default 1), QUARRY_DIFF_QUERY (run only query i),
// QUARRY_DIFF_REPORT (how many unlisted mismatches to print, default 25).
package differential
