package stats

import (
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/sql"
	gmsstats "github.com/dolthub/go-mysql-server/sql/stats"
)

// buildWithGMS builds the table's statistics with go-mysql-server's
// memory.StatsProv. That code compares key values with ==, which panics on
// []byte (VARBINARY, BINARY, BLOB keys), so the table is handed to it
// through sampleTable, which presents []byte values as strings; the bounds
// of those columns are turned back into []byte afterwards.
func buildWithGMS(ctx *sql.Context, table sql.Table, db string) ([]sql.Statistic, error) {
	iat, ok := table.(sql.IndexAddressableTable)
	if !ok {
		return nil, nil // memory.StatsProv only builds index statistics
	}
	if _, ok := table.(sql.DatabaseSchemaTable); ok {
		// Not wrapped: the wrapper would hide the schema name. Not used by MySQL.
		return runBuilder(ctx, memory.NewStatsProv(), table, db)
	}
	w := &sampleTable{IndexAddressableTable: iat, bytesCols: make([]bool, len(table.Schema()))}
	w.st, _ = table.(sql.StatisticsTable)
	built, err := runBuilder(ctx, memory.NewStatsProv(), w, db)
	if err != nil {
		return nil, err
	}
	sch := table.Schema()
	for i, s := range built {
		built[i] = restoreBytes(s, sch, w.bytesCols)
	}
	return built, nil
}

// runBuilder analyzes table with b and returns what b built for it.
func runBuilder(ctx *sql.Context, b sql.StatsProvider, table sql.Table, db string) ([]sql.Statistic, error) {
	if err := b.AnalyzeTable(ctx, table, db); err != nil {
		return nil, err
	}
	return b.GetTableStats(ctx, db, table)
}

// sampleTable is the view of a table memory.StatsProv samples: []byte
// values come out as strings, and the ordinals where that happened are
// recorded in bytesCols.
type sampleTable struct {
	sql.IndexAddressableTable
	st        sql.StatisticsTable // nil if the table is not one
	bytesCols []bool
}

var _ sql.StatisticsTable = (*sampleTable)(nil)
var _ sql.IndexAddressableTable = (*sampleTable)(nil)

// GetIndexes hides SPATIAL indexes: a histogram over geometries has no
// meaning (GMS costs spatial lookups without one), and memory.StatsProv
// would panic comparing them.
func (t *sampleTable) GetIndexes(ctx *sql.Context) ([]sql.Index, error) {
	all, err := t.IndexAddressableTable.GetIndexes(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0:0]
	for _, idx := range all {
		if !idx.IsSpatial() {
			out = append(out, idx)
		}
	}
	return out, nil
}

func (t *sampleTable) RowCount(ctx *sql.Context) (uint64, bool, error) {
	if t.st == nil {
		return 0, false, nil
	}
	return t.st.RowCount(ctx)
}

func (t *sampleTable) DataLength(ctx *sql.Context) (uint64, error) {
	if t.st == nil {
		return 0, nil
	}
	return t.st.DataLength(ctx)
}

func (t *sampleTable) PartitionRows(ctx *sql.Context, part sql.Partition) (sql.RowIter, error) {
	iter, err := t.IndexAddressableTable.PartitionRows(ctx, part)
	if err != nil {
		return nil, err
	}
	return &sampleIter{RowIter: iter, t: t}, nil
}

type sampleIter struct {
	sql.RowIter
	t *sampleTable
}

func (it *sampleIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.RowIter.Next(ctx)
	if err != nil {
		return nil, err
	}
	var out sql.Row
	for i, v := range row {
		if b, ok := v.([]byte); ok {
			if out == nil {
				out = row.Copy()
			}
			out[i] = string(b)
			if i < len(it.t.bytesCols) {
				it.t.bytesCols[i] = true
			}
		}
	}
	if out == nil {
		return row, nil
	}
	return out, nil
}

// restoreBytes turns the string key values of columns that were []byte
// back into []byte.
func restoreBytes(s sql.Statistic, sch sql.Schema, bytesCols []bool) sql.Statistic {
	st, ok := s.(*gmsstats.Statistic)
	if !ok {
		return s
	}
	conv := make([]bool, len(st.Cols))
	found := false
	for i, c := range st.Cols {
		if ord := sch.IndexOfColName(c); ord >= 0 && ord < len(bytesCols) && bytesCols[ord] {
			conv[i], found = true, true
		}
	}
	if !found {
		return s
	}
	fix := func(r sql.Row) sql.Row {
		if r == nil {
			return nil
		}
		out := r.Copy()
		for i, v := range out {
			if str, ok := v.(string); ok && i < len(conv) && conv[i] {
				out[i] = []byte(str)
			}
		}
		return out
	}
	ret := *st
	ret.LowerBnd = fix(st.LowerBnd)
	if st.Hist != nil {
		ret.Hist = make(sql.Histogram, len(st.Hist))
		for i, b := range st.Hist {
			var mcvs []sql.Row
			if b.Mcvs() != nil {
				mcvs = make([]sql.Row, len(b.Mcvs()))
				for j, m := range b.Mcvs() {
					mcvs[j] = fix(m)
				}
			}
			ret.Hist[i] = gmsstats.NewHistogramBucket(b.RowCount(), b.DistinctCount(), b.NullCount(), b.BoundCount(), fix(b.UpperBound()), b.McvCounts(), mcvs)
		}
	}
	return &ret
}
