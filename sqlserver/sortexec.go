package sqlserver

import (
	"io"
	"sort"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// Quarry's iterator for ORDER BY over columns (plan.Sort whose sort
// expressions are all column references). GMS's sortIter compares two rows
// through expression.Sorter: per comparison it evaluates both sort
// expressions through their interface and compares strings rune by rune,
// each rune's collation weight a map lookup. sysbench's order_ranges and
// distinct_ranges sort 100 CHAR(120) values each; the comparisons were a
// tenth of oltp_read_only's CPU.
//
// colSortIter does what sortIter does, in the same order: buffer the child's
// rows in the context's rows cache (memory accounting and the statement's
// memory bound), then sort.Stable over the same Less sequence, so that the
// order, and with it which comparison error surfaces first, is GMS's. Less
// differs only in cost: the column values are read directly from the rows,
// and a utf8mb4 string column compares with StringType.Compare's
// algorithm, reading ASCII characters' weights from a 128-entry table of the
// collation's weights (computed once per collation from the same sorter)
// and falling back to GMS's per-rune decoding for the rest of the strings at
// the first non-ASCII byte.

// sortOverride builds a colSortIter for n, or returns nil to let GMS build
// its own; b builds the child.
func sortOverride(ctx *sql.Context, b sql.NodeExecBuilder, n *plan.Sort, r sql.Row) (sql.RowIter, error) {
	if colSortOff.Load() {
		return nil, nil
	}
	fields := make([]colSortField, len(n.SortFields))
	for i, sf := range n.SortFields {
		gf, ok := sf.Column.(*expression.GetField)
		if !ok {
			return nil, nil
		}
		fields[i] = colSortField{gf: gf, desc: sf.Order == sql.Descending, nullsFirst: sf.NullOrdering == sql.NullsFirst}
		fields[i].cmp = comparerFor(gf.Type())
	}
	colSorts.Add(1)
	span, ctx := ctx.Span("plan.Sort")
	child, err := b.Build(ctx, n.Child, r)
	if err != nil {
		span.End()
		return nil, err
	}
	return sql.NewSpanIter(span, &colSortIter{child: child, fields: fields, idx: -1}), nil
}

// colSortOff makes sortOverride leave every sort to GMS (tests compare
// the two).
var colSortOff atomic.Bool

// colSorts counts the colSortIters built (tests).
var colSorts atomic.Uint64

type colSortField struct {
	gf         *expression.GetField
	desc       bool
	nullsFirst bool
	cmp        func(ctx *sql.Context, a, b any) (int, error)
}

type colSortIter struct {
	child  sql.RowIter
	fields []colSortField
	rows   []sql.Row
	idx    int // -1 until the rows are sorted
}

var _ sql.RowIter = (*colSortIter)(nil)

// Next implements sql.RowIter.
func (it *colSortIter) Next(ctx *sql.Context) (sql.Row, error) {
	if it.idx == -1 {
		if err := it.sortRows(ctx); err != nil {
			return nil, err
		}
		it.idx = 0
	}
	if it.idx >= len(it.rows) {
		return nil, io.EOF
	}
	row := it.rows[it.idx]
	it.idx++
	return row, nil
}

// Close implements sql.RowIter.
func (it *colSortIter) Close(ctx *sql.Context) error {
	it.rows = nil
	return it.child.Close(ctx)
}

// sortRows is sortIter.computeSortedRows.
func (it *colSortIter) sortRows(ctx *sql.Context) error {
	cache, dispose := ctx.Memory.NewRowsCache()
	defer dispose()
	for {
		row, err := it.child.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := cache.Add(row); err != nil {
			return err
		}
	}
	s := &colSorter{ctx: ctx, fields: it.fields, rows: cache.Get()}
	sort.Stable(s)
	if s.err != nil {
		return s.err
	}
	it.rows = s.rows
	return nil
}

// colSorter is expression.Sorter for column sort fields.
type colSorter struct {
	ctx    *sql.Context
	fields []colSortField
	rows   []sql.Row
	err    error
}

func (s *colSorter) Len() int      { return len(s.rows) }
func (s *colSorter) Swap(i, j int) { s.rows[i], s.rows[j] = s.rows[j], s.rows[i] }

// Less is expression.Sorter.Less.
func (s *colSorter) Less(i, j int) bool {
	if s.err != nil {
		return false
	}
	c, err := s.compare(s.rows[i], s.rows[j])
	if err != nil {
		s.err = err
	}
	return c == -1
}

// compare is -1 or 1 from the first sort field that orders a and b
// (expression.Sorter goes on past any other result), or 0.
func (s *colSorter) compare(a, b sql.Row) (int, error) {
	for k := range s.fields {
		f := &s.fields[k]
		av, err := f.gf.Eval(s.ctx, a)
		if err != nil {
			return 0, sql.ErrUnableSort.Wrap(err)
		}
		bv, err := f.gf.Eval(s.ctx, b)
		if err != nil {
			return 0, sql.ErrUnableSort.Wrap(err)
		}
		if f.desc {
			av, bv = bv, av
		}
		var c int
		if av == nil || bv == nil {
			c = orderNulls(av == nil, bv == nil, f.nullsFirst)
		} else if c, err = f.cmp(s.ctx, av, bv); err != nil {
			return 0, err
		}
		if c == -1 || c == 1 {
			return c, nil
		}
	}
	return 0, nil
}

// orderNulls orders a pair of sort values of which one or both are NULL
// as expression.Sorter does: -1 when a sorts first, 1 when b does, 0 when
// both are NULL (the next sort field decides).
func orderNulls(aNull, bNull, nullsFirst bool) int {
	switch {
	case aNull && bNull:
		return 0
	case aNull == nullsFirst:
		return -1
	}
	return 1
}

// comparerFor returns typ.Compare, or for a non-binary utf8mb4 string type
// an equivalent comparison with ASCII weights from a table.
func comparerFor(typ sql.Type) func(ctx *sql.Context, a, b any) (int, error) {
	if !isUTF8Collated(typ) {
		return func(ctx *sql.Context, a, b any) (int, error) { return typ.Compare(ctx, a, b) }
	}
	w := weightsOf(typ.(types.StringType).Collation())
	return func(ctx *sql.Context, a, b any) (int, error) {
		as, aok := a.(string)
		bs, bok := b.(string)
		if !aok || !bok {
			return typ.Compare(ctx, a, b)
		}
		return w.compare(as, bs), nil
	}
}

// rowexecBuilder returns the builder that builds children of overridden
// nodes: GMS's builder with Quarry's overrides.
func rowexecBuilder(o execOverride) sql.NodeExecBuilder { return rowexec.NewOverrideBuilder(o) }
