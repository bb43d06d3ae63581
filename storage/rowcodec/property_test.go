package rowcodec

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"
)

// genType pairs a column type with a generator of canonical GMS values.
type genType struct {
	typ sql.Type
	gen func(r *rand.Rand) any
}

func randString(r *rand.Rand, max int) string {
	alphabet := []rune("abcXYZ019 _-éß✓日本🚀")
	n := r.IntN(max + 1)
	var sb strings.Builder
	for range n {
		sb.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	return sb.String()
}

func randBytes(r *rand.Rand, max int) []byte {
	b := make([]byte, r.IntN(max+1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func randJSON(r *rand.Rand, depth int) any {
	k := r.IntN(11)
	if depth > 3 && k >= 8 {
		k = r.IntN(8)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return r.NormFloat64() * 1e6
	case 3:
		return randString(r, 12)
	case 4:
		return r.Int64() - r.Int64()
	case 5:
		return r.Uint64()
	case 6:
		return decimal.New(r.Int64N(1e12)-5e11, -r.Int32N(8))
	case 7:
		return float64(r.IntN(1000))
	case 8, 9:
		arr := make([]any, r.IntN(5))
		for i := range arr {
			arr[i] = randJSON(r, depth+1)
		}
		return arr
	default:
		m := make(map[string]any)
		for range r.IntN(5) {
			m[randString(r, 6)] = randJSON(r, depth+1)
		}
		return m
	}
}

func randPoint(r *rand.Rand, srid uint32) types.Point {
	return types.Point{SRID: srid, X: r.NormFloat64() * 100, Y: r.NormFloat64() * 100}
}

func randGeometry(r *rand.Rand, srid uint32, depth int) types.GeometryValue {
	pts := func(n int) []types.Point {
		p := make([]types.Point, n)
		for i := range p {
			p[i] = randPoint(r, srid)
		}
		return p
	}
	line := func() types.LineString { return types.LineString{SRID: srid, Points: pts(2 + r.IntN(4))} }
	poly := func() types.Polygon {
		lines := make([]types.LineString, 1+r.IntN(2))
		for i := range lines {
			ring := pts(3 + r.IntN(3))
			lines[i] = types.LineString{SRID: srid, Points: append(ring, ring[0])}
		}
		return types.Polygon{SRID: srid, Lines: lines}
	}
	k := r.IntN(7)
	if depth > 2 && k == 6 {
		k = 0
	}
	switch k {
	case 0:
		return randPoint(r, srid)
	case 1:
		return line()
	case 2:
		return poly()
	case 3:
		return types.MultiPoint{SRID: srid, Points: pts(1 + r.IntN(4))}
	case 4:
		return types.MultiLineString{SRID: srid, Lines: []types.LineString{line(), line()}}
	case 5:
		return types.MultiPolygon{SRID: srid, Polygons: []types.Polygon{poly()}}
	default:
		g := make([]types.GeometryValue, r.IntN(4))
		for i := range g {
			g[i] = randGeometry(r, srid, depth+1)
		}
		return types.GeomColl{SRID: srid, Geoms: g}
	}
}

func genTypes(tb testing.TB) []genType {
	dec122 := types.MustCreateColumnDecimalType(12, 2)
	dec6530 := types.MustCreateColumnDecimalType(65, 30)
	dt6 := mustDatetime(tb, sqltypes.Datetime, 6)
	ts := mustDatetime(tb, sqltypes.Timestamp, 3)
	enum := mustEnum(tb, "a", "b", "c", "d", "e")
	set := mustSet(tb, "x", "y", "z")
	minDT := time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	maxDT := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	randDigits := func(r *rand.Rand, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	return []genType{
		{types.Int8, func(r *rand.Rand) any { return int8(r.Uint32()) }},
		{types.Int16, func(r *rand.Rand) any { return int16(r.Uint32()) }},
		{types.Int24, func(r *rand.Rand) any { return r.Int32N(1<<24) - 1<<23 }},
		{types.Int32, func(r *rand.Rand) any { return int32(r.Uint32()) }},
		{types.Int64, func(r *rand.Rand) any { return int64(r.Uint64() >> r.IntN(64)) }},
		{types.Uint8, func(r *rand.Rand) any { return uint8(r.Uint32()) }},
		{types.Uint16, func(r *rand.Rand) any { return uint16(r.Uint32()) }},
		{types.Uint24, func(r *rand.Rand) any { return r.Uint32N(1 << 24) }},
		{types.Uint32, func(r *rand.Rand) any { return r.Uint32() }},
		{types.Uint64, func(r *rand.Rand) any { return r.Uint64() >> r.IntN(64) }},
		{types.Float32, func(r *rand.Rand) any { return float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(60)-30))) }},
		{types.Float64, func(r *rand.Rand) any { return r.NormFloat64() * math.Pow(10, float64(r.IntN(600)-300)) }},
		{dec122, func(r *rand.Rand) any { return decimal.New(r.Int64N(2e12-1)-(1e12-1), -2) }},
		{dec6530, func(r *rand.Rand) any {
			s := randDigits(r, 1+r.IntN(35)) + "." + randDigits(r, 30)
			if r.IntN(2) == 0 {
				s = "-" + s
			}
			return mustConvert(tb, dec6530, s)
		}},
		{types.Date, func(r *rand.Rand) any {
			return time.Unix(minDT+r.Int64N(maxDT-minDT), 0).UTC().Truncate(24 * time.Hour)
		}},
		{types.Datetime, func(r *rand.Rand) any { return time.Unix(minDT+r.Int64N(maxDT-minDT), 0).UTC() }},
		{dt6, func(r *rand.Rand) any { return time.Unix(minDT+r.Int64N(maxDT-minDT), int64(r.IntN(1e6))*1000).UTC() }},
		{ts, func(r *rand.Rand) any { return time.Unix(1+r.Int64N(1<<31-2), int64(r.IntN(1000))*1e6).UTC() }},
		{types.Time, func(r *rand.Rand) any { return types.Timespan(r.Int64N(2*838*3600e6) - 838*3600e6) }},
		{types.Year, func(r *rand.Rand) any { return int16(1901 + r.IntN(255)) }},
		{enum, func(r *rand.Rand) any { return uint16(r.IntN(6)) }},
		{set, func(r *rand.Rand) any { return uint64(r.IntN(8)) }},
		{mustBit(tb, 64), func(r *rand.Rand) any { return r.Uint64() }},
		{types.MustCreateString(sqltypes.VarChar, 255, sql.Collation_Default), func(r *rand.Rand) any { return randString(r, 40) }},
		{types.Text, func(r *rand.Rand) any { return randString(r, 300) }},
		{types.MustCreateBinary(sqltypes.VarBinary, 255), func(r *rand.Rand) any { return randBytes(r, 40) }},
		{types.Blob, func(r *rand.Rand) any { return randBytes(r, 3000) }},
		{types.JSON, func(r *rand.Rand) any { return types.JSONDocument{Val: randJSON(r, 0)} }},
		{types.GeometryType{}, func(r *rand.Rand) any { return randGeometry(r, uint32(r.IntN(2))*4326, 0) }},
		{types.PointType{}, func(r *rand.Rand) any { return randPoint(r, 0) }},
	}
}

// TestPropertyRandomRows checks, for random schemas and rows, that every row
// round-trips exactly, that encoding is deterministic and canonical, that any
// subset of columns decodes to the same values, and that columns missing from
// the writer's schema decode as NULL.
func TestPropertyRandomRows(t *testing.T) {
	r := rand.New(rand.NewPCG(20240601, 42))
	gens := genTypes(t)
	var buf []byte
	for iter := 0; iter < 4000; iter++ {
		n := 1 + r.IntN(16)
		ids := map[uint32]bool{}
		cols := make([]Column, 0, n)
		gcols := make([]genType, 0, n)
		for len(cols) < n {
			var id uint32
			switch r.IntN(3) {
			case 0:
				id = uint32(r.IntN(32))
			case 1:
				id = uint32(r.IntN(1 << 16))
			default:
				id = r.Uint32()
			}
			if ids[id] {
				continue
			}
			ids[id] = true
			g := gens[r.IntN(len(gens))]
			cols = append(cols, Column{ID: id, Type: g.typ})
			gcols = append(gcols, g)
		}
		vals := make([]any, n)
		for i, g := range gcols {
			if r.IntN(5) != 0 {
				vals[i] = g.gen(r)
			}
		}
		enc := NewEncoder(cols)
		var err error
		buf, err = enc.Append(buf[:0], vals)
		if err != nil {
			t.Fatalf("iter %d: Append: %v", iter, err)
		}
		src := bytes.Clone(buf)
		if err := Validate(src); err != nil {
			t.Fatalf("iter %d: Validate: %v", iter, err)
		}

		got := decodeRow(t, cols, src)
		for i := range vals {
			checkCanonical(t, cols[i].Type, vals[i], got[i])
		}
		if again, err := enc.Append(nil, got); err != nil || !bytes.Equal(again, src) {
			t.Fatalf("iter %d: re-encoding decoded row differs (%v)", iter, err)
		}

		// Random subset in random order, plus columns the writer never had.
		perm := r.Perm(n)[:r.IntN(n+1)]
		var sub []Column
		var want []any
		for _, i := range perm {
			sub = append(sub, cols[i])
			want = append(want, vals[i])
		}
		for range r.IntN(3) {
			id := r.Uint32()
			if ids[id] {
				continue
			}
			ids[id] = true
			sub = append(sub, Column{ID: id, Type: gens[r.IntN(len(gens))].typ})
			want = append(want, nil)
		}
		r.Shuffle(len(sub), func(i, j int) {
			sub[i], sub[j] = sub[j], sub[i]
			want[i], want[j] = want[j], want[i]
		})
		gotSub := decodeRow(t, sub, src)
		for i := range want {
			if !sameValue(want[i], gotSub[i]) {
				t.Fatalf("iter %d: subset column %d: %s, want %s", iter, sub[i].ID, describe(gotSub[i]), describe(want[i]))
			}
		}
	}
}
