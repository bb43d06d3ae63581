package sqlserver

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/sqltypes"
)

// rowValues hands out the []sqltypes.Value of result rows cut from
// chunks, instead of GMS's RowToSQL allocating one slice per row. Each
// row's slice is distinct and capped at its width, and chunks are never
// reused, so rows live exactly as long as with GMS's allocation (vitess
// may keep a batch, e.g. for a cursor's fetches). Chunks start at a few
// rows (short results stay small) and double up to a batch.
type rowValues struct {
	free []sqltypes.Value
	rows int // rows in the last chunk
}

// next returns n zero values for one row.
func (v *rowValues) next(n int) []sqltypes.Value {
	if len(v.free) < n {
		v.rows = min(resultBatch, max(8, 2*v.rows))
		v.free = make([]sqltypes.Value, v.rows*n)
	}
	out := v.free[:n:n]
	v.free = v.free[n:]
	return out
}

// rowToSQL is GMS's server.RowToSQL (server/handler.go) with the output
// slice taken from vals: the same encoding of each value (the column
// type's SQL method into buf, then buf.Grow, as toSqlHelper does), the
// same NULLs, the same deferred projections and errors.
// TestRowToSQLMatchesGMS compares the two on random rows of every type.
func rowToSQL(ctx *sql.Context, sch sql.Schema, row sql.Row, projs []sql.Expression, buf *sql.ByteBuffer, vals *rowValues) ([]sqltypes.Value, error) {
	// GMS: some plan schemas are nil (e.g. IfElseBlock).
	if len(sch) == 0 {
		return []sqltypes.Value{}, nil
	}
	out := vals.next(len(sch))
	for i, col := range sch {
		var field any
		if len(projs) == 0 {
			field = row[i]
		} else {
			// With deferred projections row is the child's row.
			var err error
			if field, err = projs[i].Eval(ctx, row); err != nil {
				return nil, err
			}
		}
		if field == nil {
			out[i] = sqltypes.NULL
			continue
		}
		v, err := toSQL(ctx, col.Type, buf, field)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// toSQL is GMS's toSqlHelper.
func toSQL(ctx *sql.Context, typ sql.Type, buf *sql.ByteBuffer, val any) (sqltypes.Value, error) {
	if buf == nil {
		return typ.SQL(ctx, nil, val)
	}
	ret, err := typ.SQL(ctx, buf.Get(), val)
	buf.Grow(ret.Len())
	return ret, err
}
