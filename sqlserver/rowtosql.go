package sqlserver

import (
	"strconv"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
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
	rows int              // rows in the last chunk
	last []sqltypes.Value // the last chunk, whole
}

// next returns n values for one row (zero, or a sent row's: rowToSQL sets
// each).
func (v *rowValues) next(n int) []sqltypes.Value {
	if len(v.free) < n {
		v.rows = min(resultBatch, max(8, 2*v.rows))
		v.last = make([]sqltypes.Value, v.rows*n)
		v.free = v.last
	}
	out := v.free[:n:n]
	v.free = v.free[n:]
	return out
}

// reuse hands out the last chunk again once every row taken from the
// chunks has been written: a chunk of a full batch's rows then serves
// each later batch.
func (v *rowValues) reuse() {
	if v.rows == resultBatch {
		v.free = v.last
	}
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

// toSQL is GMS's toSqlHelper. Integers of the column's own Go type (the
// common case: key and counter columns of large results) are formatted
// here, as NumberTypeImpl_.SQL formats them, without its conversions.
func toSQL(ctx *sql.Context, typ sql.Type, buf *sql.ByteBuffer, val any) (sqltypes.Value, error) {
	if buf == nil {
		return typ.SQL(ctx, nil, val)
	}
	if b, ok := appendOwnInt(buf.Get(), typ, val); ok {
		buf.Grow(len(b))
		return sqltypes.MakeTrusted(typ.Type(), b), nil
	}
	ret, err := typ.SQL(ctx, buf.Get(), val)
	buf.Grow(ret.Len())
	return ret, err
}

// appendOwnInt appends the decimal text of val when typ is a 32- or 64-bit
// integer type and val that type's Go value (no conversion or clamping
// applies); ok is false otherwise.
func appendOwnInt(dst []byte, typ sql.Type, val any) ([]byte, bool) {
	nt, ok := typ.(types.NumberTypeImpl_)
	if !ok {
		return nil, false
	}
	switch v := val.(type) {
	case int64:
		if nt.Type() == sqltypes.Int64 {
			return strconv.AppendInt(dst, v, 10), true
		}
	case uint64:
		if nt.Type() == sqltypes.Uint64 {
			return strconv.AppendUint(dst, v, 10), true
		}
	case int32:
		if nt.Type() == sqltypes.Int32 {
			return strconv.AppendInt(dst, int64(v), 10), true
		}
	case uint32:
		if nt.Type() == sqltypes.Uint32 {
			return strconv.AppendUint(dst, uint64(v), 10), true
		}
	}
	return nil, false
}
