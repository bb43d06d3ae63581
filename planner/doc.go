// Package planner holds Quarry's own analyzer rules and plan nodes: the
// analytics pushdown (GROUP BY with typed aggregates, residual filters,
// projection and top-k evaluated inside a parallel, partitioned storage
// scan) and the EXPLAIN text that shows what was pushed.
package planner
