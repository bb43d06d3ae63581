package sqlserver

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"
)

// TestRowToSQLMatchesGMS compares rowToSQL with GMS's server.RowToSQL on
// random rows of every column type a result carries (integers of each
// width and sign, floats, decimals, strings and binary strings of each
// kind, ENUM, SET, BIT, YEAR, DATE, DATETIME, TIMESTAMP, TIME, JSON) with
// NULLs, extreme values and values of the wrong Go type (the error, or
// GMS's fallback encoding), without and with deferred projections: the
// same value types and bytes row for row, the same errors, and the same
// buffer use (both encode into their own ByteBuffer through many rows,
// past its doublings).
func TestRowToSQLMatchesGMS(t *testing.T) {
	ctx := sql.NewEmptyContext()
	r := rand.New(rand.NewPCG(3, 4))
	dt := time.Date(2024, 2, 29, 13, 4, 5, 123456000, time.UTC)
	type col struct {
		typ  sql.Type
		vals []any
	}
	cols := []col{
		{types.Int8, []any{int8(-128), int8(127), int8(0)}},
		{types.Uint8, []any{uint8(255), uint8(0)}},
		{types.Int16, []any{int16(-32768), int16(12)}},
		{types.Uint16, []any{uint16(65535)}},
		{types.Int24, []any{int32(-8388608), int32(8388607)}},
		{types.Uint24, []any{uint32(16777215)}},
		{types.Int32, []any{int32(math.MinInt32), int32(7)}},
		{types.Uint32, []any{uint32(math.MaxUint32)}},
		{types.Int64, []any{int64(math.MinInt64), int64(math.MaxInt64), int64(0), int64(-1), int64(123456)}},
		{types.Uint64, []any{uint64(math.MaxUint64), uint64(1)}},
		{types.Float32, []any{float32(1.5), float32(-0.1), float32(math.MaxFloat32)}},
		{types.Float64, []any{1e300, -2.5, 0.1, math.SmallestNonzeroFloat64}},
		{types.MustCreateDecimalType(10, 2), []any{decimal.RequireFromString("12345678.91"), decimal.RequireFromString("-0.05")}},
		{types.MustCreateDecimalType(65, 30), []any{decimal.RequireFromString("1.000000000000000000000000000001")}},
		{types.LongText, []any{"", "héllo", "a\x00b"}},
		{types.MustCreateString(sqltypes.VarChar, 20, sql.Collation_utf8mb4_0900_ai_ci), []any{"abc", "ÀÉ"}},
		{types.MustCreateString(sqltypes.Char, 5, sql.Collation_utf8mb4_bin), []any{"ab", ""}},
		{types.MustCreateString(sqltypes.VarChar, 20, sql.Collation_latin1_swedish_ci), []any{"abc", "é"}},
		{types.MustCreateBinary(sqltypes.Binary, 4), []any{[]byte{1, 2}, []byte{}}},
		{types.MustCreateBinary(sqltypes.VarBinary, 10), []any{[]byte("xyz"), []byte{0xff, 0}}},
		{types.LongBlob, []any{[]byte("blob"), []byte{}}},
		{types.MustCreateEnumType([]string{"a", "b", "c"}, sql.Collation_Default), []any{uint16(1), uint16(3)}},
		{types.MustCreateSetType([]string{"x", "y", "z"}, sql.Collation_Default), []any{uint64(5), uint64(0), uint64(7)}},
		{types.MustCreateBitType(10), []any{uint64(1023), uint64(0)}},
		{types.Year, []any{int16(2024), int16(0)}},
		{types.Date, []any{dt, time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{types.Datetime, []any{dt}},
		{types.DatetimeMaxPrecision, []any{dt}},
		{types.Timestamp, []any{dt}},
		{types.Time, []any{types.Timespan(int64(-838*3600+59) * 1e6), types.Timespan(123456789)}},
		{types.JSON, []any{types.MustJSON(`{"a": [1, 2.5, "x", null]}`), types.MustJSON(`"s"`)}},
	}
	// Values of the wrong Go type: an error or GMS's fallback encoding.
	wrong := []any{"not a number", int64(300), 2.75, "2024-13-45", []byte("zz"), true}
	gmsBuf, ourBuf := sql.NewByteBuffer(64), sql.NewByteBuffer(64)
	var vals rowValues
	errs, rows := 0, 0
	for round := range 3000 {
		width := 1 + r.IntN(5)
		sch := make(sql.Schema, width)
		row := make(sql.Row, width)
		for i := range width {
			c := cols[r.IntN(len(cols))]
			sch[i] = &sql.Column{Name: fmt.Sprint("c", i), Type: c.typ, Nullable: true}
			switch k := r.IntN(20); {
			case k == 0:
				row[i] = nil
			case k == 1:
				row[i] = wrong[r.IntN(len(wrong))]
			default:
				row[i] = c.vals[r.IntN(len(c.vals))]
			}
		}
		var projs []sql.Expression
		if round%3 == 0 {
			// Deferred projections: each column a field of the row (in
			// any order) or a literal.
			projs = make([]sql.Expression, width)
			for i := range projs {
				if j := r.IntN(width); r.IntN(4) > 0 && sch[i].Type.Equals(sch[j].Type) {
					projs[i] = expression.NewGetField(j, sch[j].Type, sch[j].Name, true)
				} else {
					projs[i] = expression.NewLiteral(row[i], sch[i].Type)
				}
			}
		}
		want, wantErr := server.RowToSQL(ctx, sch, row, projs, gmsBuf)
		got, gotErr := rowToSQL(ctx, sch, row, projs, ourBuf, &vals)
		if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
			t.Fatalf("round %d %v: error %v, GMS %v", round, row, gotErr, wantErr)
		}
		if wantErr != nil {
			errs++
			continue
		}
		rows++
		if len(got) != len(want) {
			t.Fatalf("round %d: %d values, GMS %d", round, len(got), len(want))
		}
		for i := range want {
			if got[i].Type() != want[i].Type() || got[i].IsNull() != want[i].IsNull() || !bytes.Equal(got[i].Raw(), want[i].Raw()) {
				t.Fatalf("round %d column %d (%s, %v): %v %q, GMS %v %q", round, i, sch[i].Type, row[i],
					got[i].Type(), got[i].Raw(), want[i].Type(), want[i].Raw())
			}
		}
		if cap(gmsBuf.Get()) != cap(ourBuf.Get()) { // the same position in buffers of the same size
			t.Fatalf("round %d: buffers diverged", round)
		}
		if r.IntN(200) == 0 {
			gmsBuf.Reset()
			ourBuf.Reset()
		}
	}
	if errs < 50 || rows < 2000 {
		t.Errorf("weak sample: %d errors, %d rows", errs, rows)
	}
	// An empty schema: GMS returns an empty, non-nil row.
	got, err := rowToSQL(ctx, nil, sql.Row{}, nil, ourBuf, &vals)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty schema: %v, %v", got, err)
	}
}

// TestRowValuesDistinct checks that rowValues' rows do not share
// elements and that appending to one cannot overwrite the next.
func TestRowValuesDistinct(t *testing.T) {
	var vals rowValues
	var rows [][]sqltypes.Value
	for i := range 1000 {
		n := 1 + i%4
		row := vals.next(n)
		if len(row) != n || cap(row) != n {
			t.Fatalf("row %d: len %d cap %d, want %d", i, len(row), cap(row), n)
		}
		for j := range row {
			row[j] = sqltypes.NewInt64(int64(i))
		}
		rows = append(rows, row)
	}
	for i, row := range rows {
		for _, v := range row {
			if v.ToString() != fmt.Sprint(i) {
				t.Fatalf("row %d holds %s", i, v.ToString())
			}
		}
	}
}
