package planner

import (
	"container/heap"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/quarrydb/quarry/storage"
)

// TopKScan is ORDER BY ... LIMIT k over one Quarry table computed inside
// the parallel storage scan: each worker keeps a bounded heap of its k
// best rows (after the residual filter), and the heaps are merged. Rows
// with equal sort keys are taken in primary-key order. It outputs the
// table node's columns, sorted, at most k rows.
type TopKScan struct {
	src     scanSource
	fields  []sql.SortField // Column bound to the decoded row
	origOrd []string
	limit   int64
	width   int // output columns: the first width decoded ones
	schema  sql.Schema
	exprs   []sql.Expression // ProjectedExprs: the table columns' ids
	cfg     *Config
	stats   *execStats
}

var (
	_ sql.ExecSourceRel      = (*TopKScan)(nil)
	_ sql.Projector          = (*TopKScan)(nil)
	_ sql.CollationCoercible = (*TopKScan)(nil)
	_ sql.Describable        = (*TopKScan)(nil)
)

// Resolved implements sql.Node.
func (n *TopKScan) Resolved() bool { return true }

// IsReadOnly implements sql.Node.
func (n *TopKScan) IsReadOnly() bool { return true }

// Schema implements sql.Node.
func (n *TopKScan) Schema() sql.Schema { return n.schema }

// Children implements sql.Node.
func (n *TopKScan) Children() []sql.Node { return nil }

// WithChildren implements sql.Node.
func (n *TopKScan) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(n, len(children), 0)
	}
	return n, nil
}

// ProjectedExprs implements sql.Projector.
func (n *TopKScan) ProjectedExprs() []sql.Expression { return n.exprs }

// CollationCoercibility implements sql.CollationCoercible.
func (n *TopKScan) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 7
}

// String implements sql.Node.
func (n *TopKScan) String() string { return n.Describe(sql.DescribeOptions{}) }

// Describe implements sql.Describable.
func (n *TopKScan) Describe(opts sql.DescribeOptions) string {
	pr := sql.NewTreePrinter()
	_ = pr.WriteNode("QuarryTopKScan")
	kids := []string{
		fmt.Sprintf("top-k: %d by %s", n.limit, strings.Join(n.origOrd, ", ")),
		n.src.mode(n.cfg),
	}
	if opts.Analyze {
		kids = append(kids, n.stats.String())
	}
	_ = pr.WriteChildren(n.src.describe(kids)...)
	return pr.String()
}

// topRow is a candidate row with its scan position (for ties).
type topRow struct {
	row  sql.Row
	part int
	seq  int64
}

// topHeap keeps the k best rows with the worst on top.
type topHeap struct {
	n    *TopKScan
	ctx  *sql.Context
	rows []topRow
	err  error
}

func (h *topHeap) Len() int           { return len(h.rows) }
func (h *topHeap) Less(i, j int) bool { return h.n.before(h.ctx, &h.rows[j], &h.rows[i], &h.err) }
func (h *topHeap) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *topHeap) Push(x any)         { h.rows = append(h.rows, x.(topRow)) }
func (h *topHeap) Pop() any {
	x := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return x
}

// cmp compares two rows by the sort fields as GMS's Sorter does (NULLs
// by the field's null ordering, after applying the direction).
func (n *TopKScan) cmp(ctx *sql.Context, a, b sql.Row) (int, error) {
	for _, sf := range n.fields {
		av, err := sf.Column.Eval(ctx, a)
		if err != nil {
			return 0, err
		}
		bv, err := sf.Column.Eval(ctx, b)
		if err != nil {
			return 0, err
		}
		if sf.Order == sql.Descending {
			av, bv = bv, av
		}
		switch {
		case av == nil && bv == nil:
			continue
		case av == nil:
			if sf.NullOrdering == sql.NullsFirst {
				return -1, nil
			}
			return 1, nil
		case bv == nil:
			if sf.NullOrdering == sql.NullsFirst {
				return 1, nil
			}
			return -1, nil
		}
		c, err := sf.Column.Type().Compare(ctx, av, bv)
		if err != nil {
			return 0, err
		}
		if c != 0 {
			return c, nil
		}
	}
	return 0, nil
}

// before reports whether a sorts before b (ties: scan order).
func (n *TopKScan) before(ctx *sql.Context, a, b *topRow, errp *error) bool {
	c, err := n.cmp(ctx, a.row, b.row)
	if err != nil {
		if *errp == nil {
			*errp = err
		}
		return false
	}
	if c != 0 {
		return c < 0
	}
	if a.part != b.part {
		return a.part < b.part
	}
	return a.seq < b.seq
}

// RowIter implements sql.ExecSourceRel.
func (n *TopKScan) RowIter(ctx *sql.Context, _ sql.Row) (sql.RowIter, error) {
	return &lazyIter{run: func() ([]sql.Row, error) { return n.run(ctx) }}, nil
}

func (n *TopKScan) run(ctx *sql.Context) ([]sql.Row, error) {
	start := time.Now()
	nw := n.cfg.workers()
	if n.limit <= 0 {
		return nil, nil
	}
	type worker struct {
		h      *topHeap
		filter sql.Expression
		seq    int64
	}
	ws := make([]*worker, nw)
	for i := range ws {
		h := &topHeap{n: n, ctx: ctx}
		ws[i] = &worker{h: h, filter: copyExpr(n.src.filter)}
	}
	consume := func(wi, part int, row []any) error {
		w := ws[wi]
		w.seq++
		if w.filter != nil {
			v, err := w.filter.Eval(ctx, row)
			if err != nil || v == nil {
				return err
			}
			if b, err := sql.ConvertToBool(ctx, v); err != nil || !b {
				return err
			}
		}
		cand := topRow{row: row, part: part, seq: w.seq}
		if int64(w.h.Len()) == n.limit {
			// Only rows before the current worst enter the heap.
			if !n.before(ctx, &cand, &w.h.rows[0], &w.h.err) {
				return w.h.err
			}
			cand.row = append(sql.Row(nil), row...)
			w.h.rows[0] = cand
			heap.Fix(w.h, 0)
		} else {
			cand.row = append(sql.Row(nil), row...)
			heap.Push(w.h, cand)
		}
		return w.h.err
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
	var all []topRow
	for _, w := range ws {
		all = append(all, w.h.rows...)
	}
	var serr error
	sort.Slice(all, func(i, j int) bool { return n.before(ctx, &all[i], &all[j], &serr) })
	if serr != nil {
		return nil, serr
	}
	if int64(len(all)) > n.limit {
		all = all[:n.limit]
	}
	rows := make([]sql.Row, len(all))
	for i, r := range all {
		rows[i] = r.row[:n.width]
	}
	n.stats.record(st, false, int64(len(rows)), time.Since(start))
	return rows, nil
}

// TopKPushdown returns the post-analyze rule that replaces TopN over one
// Quarry table (optionally under a Filter) with a TopKScan.
func TopKPushdown(cfg *Config) analyzer.RuleFunc {
	return func(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (out sql.Node, same transform.TreeIdentity, err error) {
		if !Enabled(ctx) {
			return n, transform.SameTree, nil
		}
		defer keepOnPanic(ctx, n, &out, &same, &err)
		return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
			switch x := n.(type) {
			case *plan.TopN:
				if x.CalcFoundRows {
					return n, transform.SameTree, nil
				}
				if node, ok := buildTopK(ctx, x, cfg); ok {
					return node, transform.NewTree, nil
				}
			case *plan.Limit:
				// Limit -> Project -> Sort: GMS makes no TopN when the
				// select list drops a sort column; the Sort becomes a
				// TopKScan of the limit.
				pr, ok := x.Child.(*plan.Project)
				if !ok || x.CalcFoundRows {
					return n, transform.SameTree, nil
				}
				srt, ok := pr.Child.(*plan.Sort)
				if !ok {
					return n, transform.SameTree, nil
				}
				node, ok := buildTopK(ctx, plan.NewTopN(srt.SortFields, x.Limit, srt.Child), cfg)
				if !ok {
					return n, transform.SameTree, nil
				}
				np, err := pr.WithChildren(node)
				if err != nil {
					return nil, transform.SameTree, err
				}
				nl, err := x.WithChildren(np)
				if err != nil {
					return nil, transform.SameTree, err
				}
				return nl, transform.NewTree, nil
			}
			return n, transform.SameTree, nil
		})
	}
}

func buildTopK(ctx *sql.Context, tn *plan.TopN, cfg *Config) (sql.Node, bool) {
	lit, ok := tn.Limit.(*expression.Literal)
	if !ok {
		return nil, false
	}
	limit, ok := asInt64(lit.Value())
	if !ok || limit < 0 || limit > 1<<20 {
		return nil, false
	}
	for _, f := range tn.Fields {
		// ORDER BY MATCH ... AGAINST: the search rule replaces the
		// MATCH and may fold the limit into the search (searchplan).
		if needsFullRow(f.Column) {
			return nil, false
		}
	}
	src, t, filter, ok := matchSource(tn.Child)
	if !ok {
		return nil, false
	}
	tableNode := tn.Child
	if f, ok := tableNode.(*plan.Filter); ok {
		tableNode = f.Child
	}
	ids, ok := tableColumnIds(tableNode)
	if !ok {
		return nil, false
	}
	n := &TopKScan{src: *src, limit: limit, cfg: cfg, stats: &execStats{}}
	b := &binder{src: &n.src, sch: t.FullSchema(), ok: true, ctx: ctx, rewrite: cfg.rewrite()}
	// The output columns come first in the decoded row.
	sch := tableNode.Schema()
	if len(ids) != len(sch) {
		return nil, false
	}
	for i, c := range sch {
		ord := b.sch.IndexOfColName(c.Name)
		if ord < 0 {
			return nil, false
		}
		n.src.cols = append(n.src.cols, ord)
		n.src.names = append(n.src.names, b.sch[ord].Name)
		gf := expression.NewGetFieldWithTable(i, 0, c.Type, src.db, src.name, c.Name, c.Nullable)
		n.exprs = append(n.exprs, gf.WithId(ids[i]).(*expression.GetField))
	}
	n.width = len(sch)
	n.schema = sch
	if filter != nil {
		n.src.origFilter = filter.String()
		n.src.filter = b.bind(foldTimeLiterals(ctx, filter))
	}
	for _, f := range tn.Fields {
		nf := f
		nf.Column = b.bind(f.Column)
		n.fields = append(n.fields, nf)
		n.origOrd = append(n.origOrd, f.String())
	}
	if !b.ok {
		return nil, false
	}
	return n, true
}

// tableColumnIds returns the column ids a table node's rows carry, as
// GMS's assignExecIndexes computes them (columnIdsForNode).
func tableColumnIds(n sql.Node) ([]sql.ColumnId, bool) {
	if ta, ok := n.(*plan.TableAlias); ok {
		n = ta.Child
	}
	tin, ok := n.(plan.TableIdNode)
	if !ok {
		return nil, false
	}
	cols := tin.Columns()
	var ids []sql.ColumnId
	if tn, ok := n.(sql.TableNode); ok {
		if pkt, ok := tn.UnderlyingTable().(sql.PrimaryKeyTable); ok && len(pkt.PrimaryKeySchema().Schema) != len(n.Schema()) {
			first, _ := cols.Next(1)
			for _, c := range n.Schema() {
				ord := pkt.PrimaryKeySchema().IndexOfColName(c.Name)
				ids = append(ids, first+sql.ColumnId(ord))
			}
			return ids, true
		}
	}
	cols.ForEach(func(id sql.ColumnId) { ids = append(ids, id) })
	return ids, true
}
