package rowcodec

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/dolthub/go-mysql-server/sql/types"
)

// Geometry values are stored as GMS's own EWKB serialization
// (types.GeometryValue.Serialize). They are decoded by a hardened parser that
// builds exactly the values GMS's types.Deserialize* helpers build, but that
// never panics or over-allocates on corrupt input (the GMS helpers index
// without bounds checks and size slices from unchecked counts).

// checkGeometry verifies that g can be serialized and decoded again: every
// member of a collection must be one of GMS's concrete geometry value types
// (GeomColl.WriteData silently writes type 0 for anything else), and
// collections must not nest deeper than MaxDepth.
func checkGeometry(g types.GeometryValue, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("geometry collection nesting exceeds %d levels", MaxDepth)
	}
	switch x := g.(type) {
	case types.Point, types.LineString, types.Polygon, types.MultiPoint,
		types.MultiLineString, types.MultiPolygon:
		return nil
	case types.GeomColl:
		for _, m := range x.Geoms {
			if err := checkGeometry(m, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%w: unsupported geometry value of Go type %T", ErrValueType, g)
}

// decodeGeometry parses an EWKB payload written by GeometryValue.Serialize.
func decodeGeometry(b []byte) (types.GeometryValue, error) {
	if len(b) < types.EWKBHeaderSize {
		return nil, corruptf("geometry shorter than EWKB header")
	}
	srid := binary.LittleEndian.Uint32(b)
	p := geomParser{b: b, off: types.SRIDSize, srid: srid}
	big, typ, err := p.header()
	if err != nil {
		return nil, err
	}
	g, err := p.body(big, typ, 0)
	if err != nil {
		return nil, err
	}
	if p.off != len(b) {
		return nil, corruptf("%d trailing bytes after geometry", len(b)-p.off)
	}
	return g, nil
}

type geomParser struct {
	b    []byte
	off  int
	srid uint32
}

func (p *geomParser) remaining() int { return len(p.b) - p.off }

// header reads a WKB header: byte order (0 = big endian, 1 = little endian,
// as in types.DeserializeWKBHeader) and geometry type.
func (p *geomParser) header() (bool, uint32, error) {
	if p.remaining() < types.WKBHeaderSize {
		return false, 0, corruptf("truncated WKB header")
	}
	var big bool
	switch p.b[p.off] {
	case 0:
		big = true
	case 1:
	default:
		return false, 0, corruptf("bad WKB byte order %d", p.b[p.off])
	}
	p.off++
	typ := p.uint32(big)
	return big, typ, nil
}

// uint32 reads 4 bytes; callers check the length first.
func (p *geomParser) uint32(big bool) uint32 {
	var v uint32
	if big {
		v = binary.BigEndian.Uint32(p.b[p.off:])
	} else {
		v = binary.LittleEndian.Uint32(p.b[p.off:])
	}
	p.off += 4
	return v
}

// count reads an element count and checks that count elements of at least
// minSize bytes each fit in the remaining input.
func (p *geomParser) count(big bool, minSize int) (int, error) {
	if p.remaining() < types.CountSize {
		return 0, corruptf("truncated geometry count")
	}
	n := p.uint32(big)
	if uint64(n)*uint64(minSize) > uint64(p.remaining()) {
		return 0, corruptf("geometry count %d exceeds data", n)
	}
	return int(n), nil
}

func (p *geomParser) point(big bool) (types.Point, error) {
	if p.remaining() < types.PointSize {
		return types.Point{}, corruptf("truncated geometry point")
	}
	var x, y uint64
	if big {
		x = binary.BigEndian.Uint64(p.b[p.off:])
		y = binary.BigEndian.Uint64(p.b[p.off+8:])
	} else {
		x = binary.LittleEndian.Uint64(p.b[p.off:])
		y = binary.LittleEndian.Uint64(p.b[p.off+8:])
	}
	p.off += types.PointSize
	return types.Point{SRID: p.srid, X: math.Float64frombits(x), Y: math.Float64frombits(y)}, nil
}

func (p *geomParser) line(big bool) (types.LineString, error) {
	n, err := p.count(big, types.PointSize)
	if err != nil {
		return types.LineString{}, err
	}
	pts := make([]types.Point, n)
	for i := range pts {
		if pts[i], err = p.point(big); err != nil {
			return types.LineString{}, err
		}
	}
	return types.LineString{SRID: p.srid, Points: pts}, nil
}

func (p *geomParser) poly(big bool) (types.Polygon, error) {
	n, err := p.count(big, types.CountSize)
	if err != nil {
		return types.Polygon{}, err
	}
	lines := make([]types.LineString, n)
	for i := range lines {
		if lines[i], err = p.line(big); err != nil {
			return types.Polygon{}, err
		}
	}
	return types.Polygon{SRID: p.srid, Lines: lines}, nil
}

// member reads the WKB header of a collection member and checks its type.
func (p *geomParser) member(want uint32) (bool, error) {
	big, typ, err := p.header()
	if err != nil {
		return false, err
	}
	if typ != want {
		return false, corruptf("geometry member type %d, want %d", typ, want)
	}
	return big, nil
}

func (p *geomParser) body(big bool, typ uint32, depth int) (types.GeometryValue, error) {
	switch typ {
	case types.WKBPointID:
		return p.point(big)
	case types.WKBLineID:
		return p.line(big)
	case types.WKBPolyID:
		return p.poly(big)
	case types.WKBMultiPointID:
		n, err := p.count(big, types.WKBHeaderSize+types.PointSize)
		if err != nil {
			return nil, err
		}
		pts := make([]types.Point, n)
		for i := range pts {
			mbig, err := p.member(types.WKBPointID)
			if err != nil {
				return nil, err
			}
			if pts[i], err = p.point(mbig); err != nil {
				return nil, err
			}
		}
		return types.MultiPoint{SRID: p.srid, Points: pts}, nil
	case types.WKBMultiLineID:
		n, err := p.count(big, types.WKBHeaderSize+types.CountSize)
		if err != nil {
			return nil, err
		}
		lines := make([]types.LineString, n)
		for i := range lines {
			mbig, err := p.member(types.WKBLineID)
			if err != nil {
				return nil, err
			}
			if lines[i], err = p.line(mbig); err != nil {
				return nil, err
			}
		}
		return types.MultiLineString{SRID: p.srid, Lines: lines}, nil
	case types.WKBMultiPolyID:
		n, err := p.count(big, types.WKBHeaderSize+types.CountSize)
		if err != nil {
			return nil, err
		}
		polys := make([]types.Polygon, n)
		for i := range polys {
			mbig, err := p.member(types.WKBPolyID)
			if err != nil {
				return nil, err
			}
			if polys[i], err = p.poly(mbig); err != nil {
				return nil, err
			}
		}
		return types.MultiPolygon{SRID: p.srid, Polygons: polys}, nil
	case types.WKBGeomCollID:
		if depth > MaxDepth {
			return nil, corruptf("geometry collection nesting exceeds %d levels", MaxDepth)
		}
		n, err := p.count(big, types.WKBHeaderSize+types.CountSize)
		if err != nil {
			return nil, err
		}
		geoms := make([]types.GeometryValue, n)
		for i := range geoms {
			mbig, mtyp, err := p.header()
			if err != nil {
				return nil, err
			}
			if geoms[i], err = p.body(mbig, mtyp, depth+1); err != nil {
				return nil, err
			}
		}
		return types.GeomColl{SRID: p.srid, Geoms: geoms}, nil
	}
	return nil, corruptf("unknown geometry type %d", typ)
}
