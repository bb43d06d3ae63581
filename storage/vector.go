package storage

import (
	"container/heap"
	"fmt"
	"io"
	"sort"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression/function/vector"
	"github.com/dolthub/go-mysql-server/sql/iters"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage/catalog"
)

// VECTOR indexes (CREATE VECTOR INDEX i ON t (json_column)).
//
// GMS's analyzer (replaceIdxOrderByDistance) turns ORDER BY
// VEC_DISTANCE[_L2_SQUARED](<constant>, column) LIMIT n over a table with
// a VECTOR index on that column into an index lookup carrying
// sql.IndexLookup.VectorOrderAndLimit, and drops the sort: the lookup must
// return the n rows nearest to the constant, nearest first. Quarry's
// VECTOR index answers it with an exact scan: it reads every row of the
// table (with the statement's visibility, like any scan), computes the
// squared L2 distance of the column's vector to the constant, and keeps
// the n nearest in a bounded heap. There is no nearest-neighbour
// structure and so nothing to maintain on writes: the catalog records the
// index, and the lookup is exactly what the sort it replaces would return
// (NULL distances first, as ORDER BY ... ASC sorts them; equal distances
// in primary key order; a vector of another length fails the statement as
// VEC_DISTANCE does). EXPLAIN shows the lookup's order and limit.

// VectorIndex is the sql.Index of a VECTOR index.
type VectorIndex struct {
	m   *tableMeta
	def *catalog.Index
}

var _ sql.Index = (*VectorIndex)(nil)

func (i *VectorIndex) ID() string       { return i.def.Name }
func (i *VectorIndex) Database() string { return i.m.db }
func (i *VectorIndex) Table() string    { return i.m.def.Name }
func (i *VectorIndex) Expressions() []string {
	return i.m.def.IndexExpressions(i.def)
}
func (i *VectorIndex) IsUnique() bool    { return false }
func (i *VectorIndex) IsSpatial() bool   { return false }
func (i *VectorIndex) IsFullText() bool  { return false }
func (i *VectorIndex) IsVector() bool    { return true }
func (i *VectorIndex) IsGenerated() bool { return false }
func (i *VectorIndex) Comment() string   { return i.def.Comment }
func (i *VectorIndex) IndexType() string { return "VECTOR" }

// CanSupport implements sql.Index: a VECTOR index serves no range
// lookups, only the ordered lookup GMS builds with no ranges.
func (i *VectorIndex) CanSupport(_ *sql.Context, r ...sql.Range) bool { return len(r) == 0 }

// CanSupportOrderBy implements sql.Index: ordering by the squared L2
// distance (VEC_DISTANCE, VEC_DISTANCE_L2_SQUARED) to the indexed column.
func (i *VectorIndex) CanSupportOrderBy(e sql.Expression) bool {
	d, ok := e.(*vector.Distance)
	return ok && d.DistanceType.CanEval(vector.DistanceL2Squared{})
}

func (i *VectorIndex) PrefixLengths() []uint16 { return nil }

func (i *VectorIndex) ColumnExpressionTypes() []sql.ColumnExpressionType {
	exprs := i.Expressions()
	out := make([]sql.ColumnExpressionType, 0, len(exprs))
	for j, ic := range i.def.Columns {
		if ord := i.m.def.ColumnByID(ic.ColumnID); ord >= 0 {
			out = append(out, sql.ColumnExpressionType{Expression: exprs[j], Type: i.m.schema.Schema[ord].Type})
		}
	}
	return out
}

// column returns the schema ordinal of the indexed column.
func (i *VectorIndex) column() (int, error) {
	if len(i.def.Columns) != 1 {
		return -1, fmt.Errorf("storage: VECTOR index %s has %d columns", i.def.Name, len(i.def.Columns))
	}
	ord := i.m.def.ColumnByID(i.def.Columns[0].ColumnID)
	if ord < 0 {
		return -1, fmt.Errorf("storage: VECTOR index %s references a missing column", i.def.Name)
	}
	return ord, nil
}

// vectorIndexes returns the sql.Index values of the table's VECTOR indexes.
func (t *Table) vectorIndexes() []sql.Index {
	var out []sql.Index
	for i := range t.m.def.Indexes {
		if t.m.def.Indexes[i].Vector {
			out = append(out, &VectorIndex{m: t.m, def: &t.m.def.Indexes[i]})
		}
	}
	return out
}

// createVectorIndex adds a VECTOR index: one JSON column, no prefix. It is
// a catalog change only (see the comment at the top).
func (t *Table) createVectorIndex(ctx *sql.Context, indexDef sql.IndexDef) error {
	if len(indexDef.Columns) != 1 {
		return sql.ErrUnsupportedFeature.New("VECTOR index on more than one column")
	}
	c := indexDef.Columns[0]
	ord := t.m.schema.Schema.IndexOfColName(c.Name)
	if ord < 0 {
		return sql.ErrKeyColumnDoesNotExist.New(c.Name)
	}
	if !types.IsJSON(t.m.schema.Schema[ord].Type) {
		return sql.ErrUnsupportedFeature.New(fmt.Sprintf("VECTOR index on column %s, which is not JSON", c.Name))
	}
	if c.Length != 0 {
		return sql.ErrUnsupportedFeature.New("VECTOR index on a column prefix")
	}
	return t.alter(ctx, func(def *catalog.Table) error {
		_, err := def.AddIndex(indexDef)
		return err
	})
}

// vectorOrder is a VECTOR lookup's order and limit, bound to the table.
type vectorOrder struct {
	ord     int // the indexed column
	dist    vector.DistanceType
	target  sql.Expression // the constant vector (Literal or UserVar)
	colLeft bool           // the column is the distance's left argument
	limit   sql.Expression // nil: every row, nearest first
}

// vectorPartitions is LookupPartitions for a VECTOR index lookup.
func (it *IndexedTable) vectorPartitions(idx *VectorIndex, lookup sql.IndexLookup) (sql.PartitionIter, error) {
	ol := lookup.VectorOrderAndLimit
	d, ok := ol.OrderBy.(*vector.Distance)
	if !ok || !idx.CanSupportOrderBy(d) || ol.Literal == nil {
		return nil, fmt.Errorf("storage: VECTOR index %s cannot serve the lookup %s", idx.ID(), ol.DebugString())
	}
	ord, err := idx.column()
	if err != nil {
		return nil, err
	}
	vo := &vectorOrder{ord: ord, dist: d.DistanceType, target: ol.Literal, colLeft: d.RightChild == ol.Literal, limit: ol.Limit}
	return &partitionIter{p: &partition{spans: it.m.wholeTable(), vector: vo}}, nil
}

// newVectorIter returns the limit rows of r nearest to the target. r's
// rows hold the width output columns followed by the vector column at pos.
func newVectorIter(ctx *sql.Context, r *rowIter, vo *vectorOrder, width, pos int) (sql.RowIter, error) {
	limit := int64(-1) // unlimited
	if vo.limit != nil {
		l, err := iters.GetInt64Value(ctx, vo.limit)
		if err != nil {
			return nil, err
		}
		limit = max(l, 0)
	}
	target, err := vo.target.Eval(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &vectorIter{r: r, vo: vo, pos: pos, limit: limit, target: target, width: width}, nil
}

type vectorIter struct {
	r      *rowIter
	vo     *vectorOrder
	pos    int
	limit  int64 // < 0: unlimited
	target any
	width  int // output width

	sorted []vectorRow
	next   int
	done   bool
}

// vectorRow is a candidate: its distance (null: NULL, which sorts first)
// and its position in the scan (equal distances keep scan order).
type vectorRow struct {
	row  sql.Row
	dist float64
	null bool
	seq  int
}

// before reports whether a sorts before b (ascending, NULLs first).
func (a vectorRow) before(b vectorRow) bool {
	if a.null != b.null {
		return a.null
	}
	if !a.null && a.dist != b.dist {
		return a.dist < b.dist
	}
	return a.seq < b.seq
}

// worstFirst is a max-heap of the candidates kept so far (the root is the
// one the next better candidate displaces).
type worstFirst []vectorRow

func (h worstFirst) Len() int           { return len(h) }
func (h worstFirst) Less(i, j int) bool { return h[j].before(h[i]) }
func (h worstFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *worstFirst) Push(x any)        { *h = append(*h, x.(vectorRow)) }
func (h *worstFirst) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// distance is VEC_DISTANCE's value for one row, with the arguments in the
// query's order (the error message names them in that order).
func (v *vectorIter) distance(val any) (float64, bool, error) {
	if val == nil || v.target == nil {
		return 0, true, nil
	}
	l, r := v.target, val
	if v.vo.colLeft {
		l, r = val, v.target
	}
	d, err := vector.MeasureDistance(l, r, v.vo.dist)
	if err != nil || d == nil {
		return 0, d == nil, err
	}
	f, ok := d.(float64)
	if !ok {
		return 0, false, fmt.Errorf("storage: vector distance of type %T", d)
	}
	return f, false, nil
}

// fill reads the whole scan and keeps the limit nearest rows (all rows
// when unlimited), sorted.
func (v *vectorIter) fill(ctx *sql.Context) error {
	h := worstFirst{}
	for seq := 0; ; seq++ {
		row, err := v.r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if v.limit == 0 {
			continue
		}
		d, null, err := v.distance(row[v.pos])
		if err != nil {
			return sql.ErrUnableSort.Wrap(err) // as the sort it replaces
		}
		c := vectorRow{dist: d, null: null, seq: seq}
		if v.limit < 0 {
			c.row = row[:v.width]
			h = append(h, c)
			continue
		}
		if int64(len(h)) == v.limit {
			if !c.before(h[0]) {
				continue
			}
			heap.Pop(&h)
		}
		c.row = row[:v.width].Copy()
		heap.Push(&h, c)
	}
	if v.limit < 0 {
		sort.Slice(h, func(i, j int) bool { return h[i].before(h[j]) })
		v.sorted = h
		return nil
	}
	v.sorted = make([]vectorRow, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		v.sorted[i] = heap.Pop(&h).(vectorRow)
	}
	return nil
}

func (v *vectorIter) Next(ctx *sql.Context) (sql.Row, error) {
	if !v.done {
		v.done = true
		if err := v.fill(ctx); err != nil {
			return nil, err
		}
	}
	if v.next >= len(v.sorted) {
		return nil, io.EOF
	}
	v.next++
	return v.sorted[v.next-1].row, nil
}

func (v *vectorIter) Close(ctx *sql.Context) error { return v.r.Close(ctx) }
