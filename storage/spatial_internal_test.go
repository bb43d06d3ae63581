package storage

import (
	"bytes"
	"math"
	"math/rand"
	"testing"

	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage/keycodec"
)

// TestGridCoordMonotone checks that the float-to-grid map preserves order
// (the property the spatial index's correctness rests on), across signs,
// zeros, infinities and tiny and huge magnitudes.
func TestGridCoordMonotone(t *testing.T) {
	vals := []float64{math.Inf(-1), -math.MaxFloat64, -1e300, -1e10, -2, -1.5, -1, -1e-300, -math.SmallestNonzeroFloat64,
		math.Copysign(0, -1), 0, math.SmallestNonzeroFloat64, 1e-300, 1, 1.5, 2, 1e10, 1e300, math.MaxFloat64, math.Inf(1)}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		vals = append(vals, (rng.Float64()-0.5)*math.Pow(10, float64(rng.Intn(40)-20)))
	}
	for _, a := range vals {
		for _, b := range vals[:40] {
			if a <= b && gridCoord(a) > gridCoord(b) {
				t.Fatalf("gridCoord(%g)=%x > gridCoord(%g)=%x", a, gridCoord(a), b, gridCoord(b))
			}
			if a >= b && gridCoord(a) < gridCoord(b) {
				t.Fatalf("gridCoord(%g)=%x < gridCoord(%g)=%x", a, gridCoord(a), b, gridCoord(b))
			}
		}
	}
	if gridCoord(math.Copysign(0, -1)) != gridCoord(0) {
		t.Fatal("-0 and +0 map to different grid points")
	}
}

// randGeom returns a random point, line string or polygon (as a box ring)
// with coordinates at several scales, near the origin or far from it.
func randGeom(rng *rand.Rand) types.GeometryValue {
	scale := math.Pow(10, float64(rng.Intn(8)-3))
	coord := func() float64 {
		switch rng.Intn(5) {
		case 0:
			return float64(rng.Intn(5) - 2) // small integers: shared cells, zeros
		default:
			return (rng.Float64() - 0.5) * scale
		}
	}
	switch rng.Intn(3) {
	case 0:
		return types.Point{X: coord(), Y: coord()}
	case 1:
		return types.LineString{Points: []types.Point{{X: coord(), Y: coord()}, {X: coord(), Y: coord()}}}
	default:
		x0, y0, x1, y1 := coord(), coord(), coord(), coord()
		x0, x1 = min(x0, x1), max(x0, x1)
		y0, y1 = min(y0, y1), max(y0, y1)
		ring := types.LineString{Points: []types.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}}}
		return types.Polygon{Lines: []types.LineString{ring}}
	}
}

func inSpans(spans []span, key []byte) bool {
	for _, s := range spans {
		if bytes.Compare(s.start, key) <= 0 && bytes.Compare(key, s.end) < 0 {
			return true
		}
	}
	return false
}

// TestSpatialSpansCoverIntersectingBoxes is the spatial index's contract,
// checked against brute force: for random geometries and random query
// boxes, the entry key of every geometry whose bounding box intersects the
// query box lies in one of the lookup's spans, and the spans are sorted
// and disjoint.
func TestSpatialSpansCoverIntersectingBoxes(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	prefix := indexPrefix(42, 3)
	geoms := make([]types.GeometryValue, 400)
	keys := make([][]byte, len(geoms))
	for i := range geoms {
		geoms[i] = randGeom(rng)
		k, err := appendSpatialKey(append([]byte(nil), prefix...), geoms[i])
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = keycodec.AppendInt(k, int64(i)) // a primary key suffix
	}
	// The empty collection has no proper box: root cell, always a candidate.
	empty := types.GeomColl{}
	ek, err := appendSpatialKey(append([]byte(nil), prefix...), empty)
	if err != nil {
		t.Fatal(err)
	}
	candidates, total := 0, 0
	for q := 0; q < 600; q++ {
		qb := bboxOf(randGeom(rng))
		spans := spatialSpans(prefix, qb.grid())
		if len(spans) == 0 {
			t.Fatalf("query %v: no spans", qb)
		}
		for i := 1; i < len(spans); i++ {
			if bytes.Compare(spans[i-1].end, spans[i].start) > 0 {
				t.Fatalf("query %v: spans %d and %d overlap or are unsorted", qb, i-1, i)
			}
		}
		if !inSpans(spans, ek) {
			t.Fatalf("query %v: the empty geometry's entry is not read", qb)
		}
		for i, g := range geoms {
			in := inSpans(spans, keys[i])
			if bboxOf(g).intersects(qb) && !in {
				t.Fatalf("query %v: geometry %d %v (box %v, cell %+v) intersects but is not read", qb, i, g, bboxOf(g), spatialEntryCell(g))
			}
			if in {
				candidates++
			}
			total++
		}
	}
	t.Logf("lookups read %d of %d entries", candidates, total)
}

// TestSpatialSpansSelective guards against a covering that degenerates
// into reading everything (not a correctness property): points spread
// over [1000, 2000]^2, queried with boxes of side 10, must be read only
// near the box.
func TestSpatialSpansSelective(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	prefix := indexPrefix(1, 2)
	keys := make([][]byte, 5000)
	for i := range keys {
		p := types.Point{X: 1000 + 1000*rng.Float64(), Y: 1000 + 1000*rng.Float64()}
		k, err := appendSpatialKey(append([]byte(nil), prefix...), p)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	read, maxSpans := 0, 0
	const queries = 200
	for q := 0; q < queries; q++ {
		x, y := 1000+990*rng.Float64(), 1000+990*rng.Float64()
		spans := spatialSpans(prefix, geoBox{x, y, x + 10, y + 10}.grid())
		maxSpans = max(maxSpans, len(spans))
		for _, k := range keys {
			if inSpans(spans, k) {
				read++
			}
		}
	}
	// A box covers 1/10,000 of the area: 0.5 points on average. Allow the
	// covering cells a generous margin.
	if avg := float64(read) / queries; avg > 100 {
		t.Errorf("a lookup reads %.1f of %d entries on average", avg, len(keys))
	}
	t.Logf("a lookup reads %.1f of %d entries on average, at most %d spans", float64(read)/queries, len(keys), maxSpans)
}
