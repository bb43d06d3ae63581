package storage

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"sort"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage/keycodec"
)

// SPATIAL indexes.
//
// A spatial index entry is <cell><primary key suffix>, where cell is the
// smallest cell of a quadtree over the plane that contains the geometry's
// bounding box. The plane is the square of uint32 x uint32 grid
// coordinates; a float64 coordinate maps onto it through gridCoord, which
// is monotone (x <= y implies gridCoord(x) <= gridCoord(y)), so a bounding
// box that intersects another still does so on the grid. A cell at level
// L (0 = the whole plane, 32 = one grid point) has the top L bits of x and
// y in common; its code is the Morton (Z-order) interleaving of those bits,
// left aligned in 64 bits, followed by the level byte, stored as one
// keycodec bytes value. The codes of a cell's descendants, itself
// included, are exactly the 9-byte strings in [code(cell),
// code(next cell at that level)), so they form one key range, and the
// cells containing a cell (its ancestors) are single keys.
//
// GMS plans ST_Intersects, ST_Within and ST_Equals on an indexed column as
// a spatial lookup: one range from Below{Point(minX, minY)} to
// Above{Point(maxX, maxY)}, the bounding box of the other argument
// (sql.SpatialIndexBuilder, costed_index_scan.go's rangeBuildSpatialLeaf),
// and keeps the predicate as a filter above the scan (a spatial index is
// never precise). Each of those predicates implies that the two bounding
// boxes intersect. The lookup therefore returns the rows whose bounding
// box intersects the lookup's box, like GMS's memory engine: it covers
// the box with at most spatialMaxCells quadtree cells, reads the entries
// of each covering cell's descendants and ancestors (every cell that
// intersects a covering cell is one or the other), and checks the row's
// actual bounding box (a residual check, spatialBox). GMS then evaluates
// the predicate exactly.
//
// Geometries whose bounding box has no extent (an empty geometry
// collection: min > max) or a NaN coordinate are stored in the root cell
// and always returned as candidates; the exact predicate decides.
// Lookups that are not a box (other ranges GMS could build on the column)
// read the whole index.

// spatialMaxCells bounds the cells covering a lookup's box.
const spatialMaxCells = 16

// spatialCellLen is the length of a cell code: 8 bytes of Morton code and
// a level byte.
const spatialCellLen = 9

// gridCoord maps a float64 onto the uint32 grid, preserving order: the
// top 32 bits of the float's order-preserving 64-bit form. -0 and +0 map
// to the same point.
func gridCoord(f float64) uint32 {
	if f == 0 {
		f = 0 // -0 -> +0
	}
	b := math.Float64bits(f)
	if b>>63 != 0 {
		b = ^b
	} else {
		b |= 1 << 63
	}
	return uint32(b >> 32)
}

// gridBox is a box on the grid, bounds inclusive.
type gridBox struct{ x0, y0, x1, y1 uint32 }

// geoBox is a bounding box in the geometry's coordinates.
type geoBox struct{ minX, minY, maxX, maxY float64 }

// proper reports whether the box is a box: no NaN, min <= max.
func (b geoBox) proper() bool {
	return b.minX <= b.maxX && b.minY <= b.maxY // false for NaN
}

func (b geoBox) grid() gridBox {
	return gridBox{gridCoord(b.minX), gridCoord(b.minY), gridCoord(b.maxX), gridCoord(b.maxY)}
}

// intersects reports whether the boxes share a point (bounds inclusive).
func (b geoBox) intersects(o geoBox) bool {
	return b.minX <= o.maxX && o.minX <= b.maxX && b.minY <= o.maxY && o.minY <= b.maxY
}

func (b geoBox) union(o geoBox) geoBox {
	return geoBox{math.Min(b.minX, o.minX), math.Min(b.minY, o.minY), math.Max(b.maxX, o.maxX), math.Max(b.maxY, o.maxY)}
}

func bboxOf(g types.GeometryValue) geoBox {
	minX, minY, maxX, maxY := g.BBox()
	return geoBox{minX, minY, maxX, maxY}
}

// interleave returns the Morton code of (x, y): bit 63 is x's bit 31, bit
// 62 is y's bit 31, and so on.
func interleave(x, y uint32) uint64 {
	return spread(x)<<1 | spread(y)
}

// spread moves bit i of v to bit 2i.
func spread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// cell is a quadtree cell: the grid points whose coordinates start with
// the top level bits of x and y.
type cell struct {
	level uint8 // 0..32
	x, y  uint32
}

// mask keeps the top level bits of a coordinate.
func (c cell) mask() uint32 {
	if c.level == 0 {
		return 0
	}
	return ^uint32(0) << (32 - c.level)
}

// bounds returns the cell's grid box.
func (c cell) bounds() gridBox {
	m := c.mask()
	return gridBox{c.x & m, c.y & m, c.x | ^m, c.y | ^m}
}

// morton returns the cell's left-aligned Morton code.
func (c cell) morton() uint64 {
	if c.level == 0 {
		return 0
	}
	return interleave(c.x&c.mask(), c.y&c.mask()) & (^uint64(0) << (64 - 2*uint(c.level)))
}

// code returns the cell's 9-byte code.
func (c cell) code() []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, spatialCellLen), c.morton())
	return append(b, c.level)
}

// parent returns the cell one level up.
func (c cell) parent() cell {
	p := cell{level: c.level - 1, x: c.x, y: c.y}
	m := p.mask()
	p.x, p.y = p.x&m, p.y&m
	return p
}

// cellOf returns the smallest cell containing a grid box.
func cellOf(b gridBox) cell {
	level := min(bits.LeadingZeros32(b.x0^b.x1), bits.LeadingZeros32(b.y0^b.y1))
	c := cell{level: uint8(level), x: b.x0, y: b.y0}
	m := c.mask()
	c.x, c.y = c.x&m, c.y&m
	return c
}

// spatialEntryCell returns the cell a geometry's entry is stored under.
func spatialEntryCell(g types.GeometryValue) cell {
	b := bboxOf(g)
	if !b.proper() {
		return cell{}
	}
	return cellOf(b.grid())
}

// appendSpatialKey appends the key of the geometry v's cell.
func appendSpatialKey(dst []byte, v any) ([]byte, error) {
	g, ok := v.(types.GeometryValue)
	if !ok {
		return nil, sql.ErrInvalidGISData.New()
	}
	return keycodec.AppendBytes(dst, spatialEntryCell(g).code()), nil
}

func gridIntersects(a, b gridBox) bool {
	return a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1
}

func gridContains(outer, inner gridBox) bool {
	return outer.x0 <= inner.x0 && inner.x1 <= outer.x1 && outer.y0 <= inner.y0 && inner.y1 <= outer.y1
}

// coverBox returns at most maxCells disjoint cells whose union contains q:
// starting from the root, a cell that q does not contain is replaced by
// its children that intersect q while the budget allows, coarsest first.
func coverBox(q gridBox, maxCells int) []cell {
	var out []cell
	queue := []cell{{}}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c.level == 32 || gridContains(q, c.bounds()) {
			out = append(out, c)
			continue
		}
		var kids []cell
		for i := uint32(0); i < 4; i++ {
			k := cell{level: c.level + 1, x: c.x, y: c.y}
			bit := uint32(1) << (31 - c.level)
			if i&1 != 0 {
				k.x |= bit
			}
			if i&2 != 0 {
				k.y |= bit
			}
			if gridIntersects(q, k.bounds()) {
				kids = append(kids, k)
			}
		}
		if len(out)+len(queue)+len(kids) > maxCells {
			out = append(out, c)
			continue
		}
		queue = append(queue, kids...)
	}
	return out
}

// spatialSpans returns the spans of the spatial index with key prefix
// prefix that hold every entry whose cell intersects the grid box q,
// sorted and disjoint.
func spatialSpans(prefix []byte, q gridBox) []span {
	var out []span
	seen := make(map[cell]bool)
	for _, c := range coverBox(q, spatialMaxCells) {
		// c and its descendants: one range.
		start := keycodec.AppendBytes(append([]byte(nil), prefix...), c.code())
		var end []byte
		if c.level == 0 {
			end = keycodec.PrefixEnd(prefix)
		} else {
			next := c.morton() + 1<<(64-2*uint(c.level))
			if next == 0 { // the last cell of its level
				end = keycodec.PrefixEnd(prefix)
			} else {
				code := binary.BigEndian.AppendUint64(make([]byte, 0, spatialCellLen), next)
				end = keycodec.AppendBytes(append([]byte(nil), prefix...), append(code, 0))
			}
		}
		out = append(out, span{start: start, end: end})
		// Its ancestors: one key each.
		for a := c; a.level > 0; {
			a = a.parent()
			if seen[a] {
				break // and so are its ancestors
			}
			seen[a] = true
			k := keycodec.AppendBytes(append([]byte(nil), prefix...), a.code())
			out = append(out, span{start: k, end: keycodec.PrefixEnd(k)})
		}
	}
	sort.Slice(out, func(a, b int) bool { return bytes.Compare(out[a].start, out[b].start) < 0 })
	return mergeSpans(out)
}

// lookupBox returns the box a lookup on a spatial index asks for, or ok
// false when the lookup is not a proper box (then the whole index is read).
// Several ranges are read as the union of their boxes.
func lookupBox(ranges sql.MySQLRangeCollection) (box geoBox, ok bool) {
	for i, rng := range ranges {
		if len(rng) != 1 {
			return geoBox{}, false
		}
		lo, lok := rng[0].LowerBound.(sql.Below)
		hi, hok := rng[0].UpperBound.(sql.Above)
		if !lok || !hok {
			return geoBox{}, false
		}
		lg, lok := lo.Key.(types.GeometryValue)
		hg, hok := hi.Key.(types.GeometryValue)
		if !lok || !hok {
			return geoBox{}, false
		}
		lb, hb := bboxOf(lg), bboxOf(hg)
		if !lb.proper() || !hb.proper() {
			return geoBox{}, false
		}
		b := lb.union(hb)
		if i == 0 {
			box = b
		} else {
			box = box.union(b)
		}
	}
	return box, len(ranges) > 0
}

// spatialIndexSpans returns the spans of a lookup on the spatial index im:
// the candidates of the lookup's box, with the bounding-box check as a
// residual on the indexed column, or the whole index.
func spatialIndexSpans(im *indexMeta, ranges sql.MySQLRangeCollection) []span {
	box, ok := lookupBox(ranges)
	if !ok {
		return []span{{start: append([]byte(nil), im.prefix...), end: keycodec.PrefixEnd(im.prefix)}}
	}
	spans := spatialSpans(im.prefix, box.grid())
	resid := []residCheck{{ord: im.ord[0], box: &box}}
	for i := range spans {
		spans[i].resid = resid
	}
	return spans
}

// boxMatches is the residual check of a spatial lookup: the value's
// bounding box intersects box, or the value has no proper bounding box
// (left to GMS's exact predicate).
func boxMatches(box geoBox, v any) (bool, error) {
	if v == nil {
		return false, nil
	}
	g, ok := v.(types.GeometryValue)
	if !ok {
		return false, sql.ErrInvalidGISData.New()
	}
	b := bboxOf(g)
	if !b.proper() {
		return true, nil
	}
	return b.intersects(box), nil
}
