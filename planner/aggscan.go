package planner

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/quarrydb/quarry/storage"
)

// Config tunes the pushdown nodes. The zero value is usable.
type Config struct {
	// Workers is how many goroutines a scan uses; 0 means GOMAXPROCS.
	Workers int
	// PartsPerWorker is how many key-range partitions a scan is cut into
	// per worker, for load balance; 0 means 4.
	PartsPerWorker int
	// OnRowsRead, if set, is told after each pushdown scan which table
	// ("db.table") it read, whether it read the whole table, and how many
	// rows (sqlserver adds them to the statement's rows examined).
	OnRowsRead func(ctx *sql.Context, table string, fullScan bool, rows int64)
	// MemoryLimit bounds, in bytes, the group tables of one aggregation
	// in engines without quarry_query_memory_limit (see memoryGuard); 0
	// means 1 GiB.
	MemoryLimit int64
	// GenericScan turns off typed scans (see typedPlan): every row is
	// decoded into boxed values and folded through GMS expressions. For
	// tests and comparisons.
	GenericScan bool
	// NoColumnCache makes typed scans read Pebble row by row instead of
	// the storage column cache (storage.ScanColumns). For tests and
	// comparisons.
	NoColumnCache bool
	// Rewrite, if set, is applied to every expression a pushdown node
	// evaluates (residual filter, group keys, aggregate arguments, sort
	// keys) once it is bound to the decoded row: the engine's expression
	// rules that run after these rules and so never see inside the nodes
	// (sqlserver's MySQL fixes of GMS's arithmetic and conversions).
	Rewrite func(ctx *sql.Context, e sql.Expression) (sql.Expression, error)
}

// rewrite returns the Rewrite hook, or nil.
func (c *Config) rewrite() func(*sql.Context, sql.Expression) (sql.Expression, error) {
	if c == nil {
		return nil
	}
	return c.Rewrite
}

func (c *Config) workers() int {
	if c != nil && c.Workers > 0 {
		return c.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func (c *Config) parts() int {
	n := 4
	if c != nil && c.PartsPerWorker > 0 {
		n = c.PartsPerWorker
	}
	return n * c.workers()
}

// memoryLimitVar is the session variable (declared by sqlserver) that
// bounds a statement's in-memory buffers; 0 disables it.
const memoryLimitVar = "quarry_query_memory_limit"

// memoryGuard returns the check a scan calls before it holds b more bytes
// (a new group or COUNT(DISTINCT) entry). Under Quarry's server, whose
// statements carry quarry_query_memory_limit, it asks the statement's
// memory manager, exactly as GMS's own GROUP BY does, so the limit, error
// 3170 and its metric are shared; elsewhere it bounds the bytes held at
// MemoryLimit. Safe for concurrent use.
func (c *Config) memoryGuard(ctx *sql.Context, table string) func(b int64) error {
	if _, err := ctx.GetSessionVariable(ctx, memoryLimitVar); err == nil {
		return func(int64) error {
			if ctx.Memory != nil && !ctx.Memory.HasAvailable() {
				return sql.ErrNoMemoryAvailable.New()
			}
			return nil
		}
	}
	limit := int64(1 << 30)
	if c != nil && c.MemoryLimit > 0 {
		limit = c.MemoryLimit
	}
	var used atomic.Int64
	return func(b int64) error {
		if u := used.Add(b); u > limit {
			return mysql.NewSQLError(erCapacityExceeded, mysql.SSUnknownSQLState,
				"Memory capacity of %d bytes exceeded by the aggregation over %s (about %d bytes of groups); group by fewer distinct values or raise the limit.",
				limit, table, u)
		}
		return nil
	}
}

// erCapacityExceeded is MySQL's ER_CAPACITY_EXCEEDED (3170).
const erCapacityExceeded = 3170

// scanSource is the table read of a pushdown node: which table, which
// range, which columns, which residual filter.
type scanSource struct {
	table     sql.Table // the storage table handle from the plan
	qualified string    // "db.table" of the underlying table
	name      string    // the table or alias name GetFields use
	db        string
	lookup    *sql.IndexLookup
	cols      []int    // decoded table ordinals; row position i holds cols[i]
	names     []string // their column names
	// filter is the residual WHERE over the decoded row; origFilter is
	// its text as written in the plan.
	filter     sql.Expression
	origFilter string
}

// mode says how the scan runs: parallel over primary-key partitions, or
// serially through a secondary index (locking reads also run serially,
// which only EXPLAIN ANALYZE shows).
func (s *scanSource) mode(cfg *Config) string {
	if s.lookup != nil && s.lookup.Index.ID() != "PRIMARY" {
		return "serial: secondary index order"
	}
	return fmt.Sprintf("parallel: %d partitions over %d workers", cfg.parts(), cfg.workers())
}

func (s *scanSource) describe(children []string) []string {
	out := []string{
		"table: " + s.name,
		"access: " + storage.DescribeLookup(s.lookup),
	}
	if s.origFilter != "" {
		out = append(out, "filter: "+s.origFilter)
	}
	out = append(out, "columns: ["+strings.Join(s.names, " ")+"]")
	return append(out, children...)
}

// execStats are the counters of the last execution of a node, shown by
// EXPLAIN ANALYZE.
type execStats struct {
	mu         sync.Mutex
	runs       int
	rowsRead   int64
	rowsOut    int64
	partitions int
	parallel   bool
	typed      bool
	// segments and cached: column cache segments covered and served
	// from the cache (storage.ScanColumns); segments is 0 otherwise.
	segments, cached int
	changed          int64 // rows written since their segments were cached
	changedRead      int64 // of them, read from the store
	elapsed          time.Duration
}

// report tells cfg.OnRowsRead about a finished scan.
func (s *scanSource) report(ctx *sql.Context, cfg *Config, st storage.ScanStats) {
	if cfg != nil && cfg.OnRowsRead != nil {
		cfg.OnRowsRead(ctx, s.qualified, s.lookup == nil, st.RowsRead)
	}
}

func (st *execStats) record(s storage.ScanStats, typed bool, out int64, d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.typed = typed
	st.runs++
	st.rowsRead += s.RowsRead
	st.rowsOut += out
	st.partitions = s.Partitions
	st.parallel = s.Parallel
	st.segments, st.cached, st.changed, st.changedRead = s.Segments, s.CachedSegments, s.ChangedKeys, s.ChangedRead
	st.elapsed += d
}

func (st *execStats) String() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	mode := "serial"
	if st.parallel {
		mode = "parallel"
	}
	if st.typed {
		mode += " typed"
	}
	if st.segments > 0 {
		mode += fmt.Sprintf(" column_segments=%d cached=%d", st.segments, st.cached)
		if st.changed > 0 {
			mode += fmt.Sprintf(" changed_rows=%d", st.changed)
		}
		if st.changedRead > 0 {
			mode += fmt.Sprintf(" changed_read=%d", st.changedRead)
		}
	}
	return fmt.Sprintf("actual: runs=%d rows_read=%d rows_out=%d partitions=%d %s time=%s",
		st.runs, st.rowsRead, st.rowsOut, st.partitions, mode, st.elapsed.Round(time.Microsecond))
}

// AggScan is a GROUP BY (or a whole-table aggregate) over one Quarry table
// computed inside a parallel storage scan: it decodes only the columns it
// needs, evaluates the residual filter and group keys on them, and folds
// rows into typed per-worker accumulators that are merged at the end.
//
// Its output row is GroupBy.SelectedExprs, in order, as GMS's GroupBy
// would produce it (non-aggregate expressions take the group's first row
// in key order), except that SUM and AVG have MySQL's types: DECIMAL over
// integers and decimals, DOUBLE over floats.
type AggScan struct {
	src      scanSource
	group    []sql.Expression // over the decoded row
	groupTyp []sql.Type
	specs    []aggSpec
	selected []sql.Expression // the GroupBy's, for Projector and ids
	schema   sql.Schema
	origGrp  []string
	cfg      *Config
	stats    *execStats
}

var (
	_ sql.ExecSourceRel      = (*AggScan)(nil)
	_ sql.Projector          = (*AggScan)(nil)
	_ sql.CollationCoercible = (*AggScan)(nil)
	_ sql.Describable        = (*AggScan)(nil)
)

// Resolved implements sql.Node.
func (n *AggScan) Resolved() bool { return true }

// IsReadOnly implements sql.Node.
func (n *AggScan) IsReadOnly() bool { return true }

// Schema implements sql.Node.
func (n *AggScan) Schema() sql.Schema { return n.schema }

// Children implements sql.Node: the scan is a leaf.
func (n *AggScan) Children() []sql.Node { return nil }

// WithChildren implements sql.Node.
func (n *AggScan) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(n, len(children), 0)
	}
	return n, nil
}

// ProjectedExprs implements sql.Projector: parents address the output by
// the GroupBy's column ids.
func (n *AggScan) ProjectedExprs() []sql.Expression { return n.selected }

// CollationCoercibility implements sql.CollationCoercible.
func (n *AggScan) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 7
}

// String implements sql.Node.
func (n *AggScan) String() string { return n.Describe(sql.DescribeOptions{}) }

// Describe implements sql.Describable; with ANALYZE it adds the counters
// of the execution.
func (n *AggScan) Describe(opts sql.DescribeOptions) string {
	pr := sql.NewTreePrinter()
	_ = pr.WriteNode("QuarryAggScan")
	aggs := make([]string, len(n.specs))
	for i, s := range n.specs {
		aggs[i] = s.label
	}
	var kids []string
	if len(n.origGrp) > 0 {
		kids = append(kids, "group: "+strings.Join(n.origGrp, ", "))
	}
	kids = append(kids, "aggregates: "+strings.Join(aggs, ", "))
	kids = append(kids, n.src.mode(n.cfg))
	if opts.Analyze {
		kids = append(kids, n.stats.String())
	}
	_ = pr.WriteChildren(n.src.describe(kids)...)
	return pr.String()
}

// group is one group's state in one worker.
type group struct {
	accs []acc
	part int // partition of the group's first row in this worker
	seq  int // creation order within the worker
}

type aggWorker struct {
	filter sql.Expression
	group  []sql.Expression
	args   [][]sql.Expression
	groups map[string]*group // by collation key
	// rawGroups maps exact value bytes to their group (bounded cache).
	rawGroups map[string]*group
	single    *group // no GROUP BY
	key, raw  []byte
	vals      []any
	seq       int
	// glist holds the worker's groups by seq (batch folding addresses
	// them by index: no pointer writes per row).
	glist []*group
}

// rawCacheMax bounds a worker's raw-key cache.
const rawCacheMax = 1 << 16

// RowIter implements sql.ExecSourceRel. The whole aggregation runs on the
// first Next, before any row is returned, so no write of the statement
// can interleave with the scan.
func (n *AggScan) RowIter(ctx *sql.Context, _ sql.Row) (sql.RowIter, error) {
	return &lazyIter{run: func() ([]sql.Row, error) { return n.run(ctx) }}, nil
}

func (n *AggScan) newWorker() *aggWorker {
	w := &aggWorker{
		filter:    copyExpr(n.src.filter),
		group:     copyExprs(n.group),
		args:      make([][]sql.Expression, len(n.specs)),
		groups:    make(map[string]*group),
		rawGroups: make(map[string]*group),
		vals:      make([]any, len(n.group)),
	}
	for i, s := range n.specs {
		w.args[i] = copyExprs(s.args)
	}
	return w
}

func (n *AggScan) newGroup(w *aggWorker, part int) *group {
	g := &group{accs: make([]acc, len(n.specs)), part: part, seq: w.seq}
	w.seq++
	w.glist = append(w.glist, g)
	return g
}

func (n *AggScan) run(ctx *sql.Context) ([]sql.Row, error) {
	start := time.Now()
	if rows, ok, err := n.runTyped(ctx, start); ok {
		return rows, err
	}
	nw := n.cfg.workers()
	workers := make([]*aggWorker, nw)
	for i := range workers {
		workers[i] = n.newWorker()
	}
	charge := n.cfg.memoryGuard(ctx, n.src.name)
	consume := func(wi, part int, row []any) error {
		w := workers[wi]
		if w.filter != nil {
			ok, err := passes(ctx, w.filter, row)
			if err != nil || !ok {
				return err
			}
		}
		var g *group
		if len(w.group) == 0 {
			if w.single == nil {
				w.single = n.newGroup(w, part)
			}
			g = w.single
		} else {
			// The raw key (exact bytes of the values) finds the group
			// without computing collation weights for every row.
			raw := w.raw[:0]
			for i, e := range w.group {
				v, err := e.Eval(ctx, row)
				if err != nil {
					return err
				}
				w.vals[i] = v
				if raw, err = appendRaw(ctx, raw, n.groupTyp[i], v); err != nil {
					return err
				}
			}
			w.raw = raw
			g = w.rawGroups[string(raw)]
			if g == nil {
				var err error
				if g, err = n.lookupGroup(ctx, w, part, charge); err != nil {
					return err
				}
			}
		}
		for i := range n.specs {
			if err := n.foldGeneric(ctx, w, i, &g.accs[i], row, part, charge); err != nil {
				return err
			}
		}
		return nil
	}

	st, err := storage.Scan(ctx, n.src.table, storage.ScanRequest{
		Lookup:  n.src.lookup,
		Columns: n.src.cols,
		Parts:   n.cfg.parts(),
		Workers: nw,
	}, consume)
	n.src.report(ctx, n.cfg, st)
	if err != nil {
		return nil, err
	}
	rows, err := n.merge(ctx, workers)
	if err != nil {
		return nil, err
	}
	n.stats.record(st, false, int64(len(rows)), time.Since(start))
	return rows, nil
}

// passes evaluates a WHERE filter: only TRUE keeps the row.
func passes(ctx *sql.Context, filter sql.Expression, row sql.Row) (bool, error) {
	v, err := filter.Eval(ctx, row)
	if err != nil || v == nil {
		return false, err
	}
	if b, ok := v.(bool); ok {
		return b, nil
	}
	b, err := sql.ConvertToBool(ctx, v)
	if err != nil {
		return false, err
	}
	return b, nil
}

// lookupGroup finds or creates the group of w.vals (the current row's
// group key values, whose raw encoding w.raw missed the raw cache) and
// caches it under w.raw.
func (n *AggScan) lookupGroup(ctx *sql.Context, w *aggWorker, part int, charge func(int64) error) (*group, error) {
	key := w.key[:0]
	for i, v := range w.vals {
		var err error
		if key, err = appendKey(ctx, key, n.groupTyp[i], v); err != nil {
			return nil, err
		}
	}
	w.key = key
	g := w.groups[string(key)]
	if g == nil {
		if err := charge(int64(64 + 96*len(n.specs) + len(key))); err != nil {
			return nil, err
		}
		g = n.newGroup(w, part)
		w.groups[string(key)] = g
	}
	if len(w.rawGroups) < rawCacheMax {
		if err := charge(int64(len(w.raw)) + 48); err != nil {
			return nil, err
		}
		w.rawGroups[string(w.raw)] = g
	}
	return g, nil
}

// foldGeneric folds the row into aggregate i of a group by evaluating
// its arguments with GMS.
func (n *AggScan) foldGeneric(ctx *sql.Context, w *aggWorker, i int, a *acc, row sql.Row, part int, charge func(int64) error) error {
	s := &n.specs[i]
	switch s.kind {
	case aggCountStar:
		a.n++
		return nil
	case aggCountDistinct:
		dk, ok, err := distinctKey(ctx, s, w.args[i], row)
		if err != nil || !ok {
			return err
		}
		if a.dis == nil {
			a.dis = make(map[string]struct{})
		}
		if _, seen := a.dis[string(dk)]; !seen {
			if err := charge(int64(len(dk)) + 32); err != nil {
				return err
			}
			a.dis[string(dk)] = struct{}{}
		}
		return nil
	}
	v, err := w.args[i][0].Eval(ctx, row)
	if err != nil {
		return err
	}
	return s.add(ctx, a, v, part)
}

// distinctKey encodes a COUNT(DISTINCT) argument tuple; ok is false when
// some argument is NULL (such rows are not counted).
func distinctKey(ctx *sql.Context, s *aggSpec, args []sql.Expression, row sql.Row) ([]byte, bool, error) {
	var k []byte
	for _, e := range args {
		v, err := e.Eval(ctx, row)
		if err != nil || v == nil {
			return nil, false, err
		}
		if k, err = appendKey(ctx, k, e.Type(), v); err != nil {
			return nil, false, err
		}
	}
	return k, true, nil
}

// merge combines the workers' groups and returns the output rows in the
// order of the groups' first rows.
func (n *AggScan) merge(ctx *sql.Context, workers []*aggWorker) ([]sql.Row, error) {
	type ordered struct {
		g    *group
		part int
		seq  int
	}
	if len(n.group) == 0 {
		var total *group
		for _, w := range workers {
			if w.single == nil {
				continue
			}
			if total == nil {
				total = w.single
				continue
			}
			for i := range n.specs {
				if err := n.specs[i].merge(ctx, &total.accs[i], &w.single.accs[i]); err != nil {
					return nil, err
				}
			}
		}
		if total == nil { // no rows: one row of empty aggregates
			total = &group{accs: make([]acc, len(n.specs))}
		}
		return []sql.Row{n.output(total)}, nil
	}
	all := workers[0].groups
	first := make(map[*group]ordered, len(all))
	for _, g := range all {
		first[g] = ordered{g, g.part, g.seq}
	}
	for _, w := range workers[1:] {
		for k, g := range w.groups {
			t, ok := all[k]
			if !ok {
				all[k] = g
				first[g] = ordered{g, g.part, g.seq}
				continue
			}
			for i := range n.specs {
				if err := n.specs[i].merge(ctx, &t.accs[i], &g.accs[i]); err != nil {
					return nil, err
				}
			}
			if o := first[t]; g.part < o.part {
				first[t] = ordered{t, g.part, g.seq}
			}
		}
	}
	list := make([]ordered, 0, len(first))
	for _, o := range first {
		list = append(list, o)
	}
	sort.Slice(list, func(a, b int) bool {
		if list[a].part != list[b].part {
			return list[a].part < list[b].part
		}
		return list[a].seq < list[b].seq
	})
	rows := make([]sql.Row, len(list))
	for i, o := range list {
		rows[i] = n.output(o.g)
	}
	return rows, nil
}

func (n *AggScan) output(g *group) sql.Row {
	row := make(sql.Row, len(n.specs))
	for i := range n.specs {
		row[i] = n.specs[i].result(&g.accs[i])
	}
	return row
}

// lazyIter computes its rows on the first Next.
type lazyIter struct {
	run  func() ([]sql.Row, error)
	rows []sql.Row
	done bool
	i    int
}

func (it *lazyIter) Next(*sql.Context) (row sql.Row, err error) {
	if !it.done {
		defer func() {
			if r := recover(); r != nil {
				row, err = nil, fmt.Errorf("planner: pushdown scan failed: %v", r)
			}
		}()
		rows, err := it.run()
		if err != nil {
			return nil, err
		}
		it.rows, it.done = rows, true
	}
	if it.i >= len(it.rows) {
		return nil, io.EOF
	}
	r := it.rows[it.i]
	it.rows[it.i] = nil
	it.i++
	return r, nil
}

func (it *lazyIter) Close(*sql.Context) error {
	it.rows = nil
	return nil
}

// copyExpr returns a deep copy of e, so each worker evaluates its own
// expression instances (some GMS expressions cache state when evaluated).
func copyExpr(e sql.Expression) sql.Expression {
	if e == nil {
		return nil
	}
	kids := e.Children()
	if len(kids) == 0 {
		return e
	}
	nk := make([]sql.Expression, len(kids))
	for i, k := range kids {
		nk[i] = copyExpr(k)
	}
	ne, err := e.WithChildren(nk...)
	if err != nil {
		return e
	}
	return ne
}

func copyExprs(es []sql.Expression) []sql.Expression {
	out := make([]sql.Expression, len(es))
	for i, e := range es {
		out[i] = copyExpr(e)
	}
	return out
}
