package storage

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/keycodec"
)

// Index is a sql.Index over a table's primary key (im == nil) or one of its
// secondary indexes. Entries are kept in exact key order, so scans are
// ordered and reversible; secondary entries end with the primary key
// (sql.ExtendedIndex).
type Index struct {
	m  *tableMeta
	im *indexMeta
}

var (
	_ sql.Index         = (*Index)(nil)
	_ sql.OrderedIndex  = (*Index)(nil)
	_ sql.ExtendedIndex = extendedIndex{}
)

// extendedIndex is a secondary index whose entries are <index columns><the
// primary key columns not in the index>, exactly sql.ExtendedIndex's
// column list, so lookups may constrain those key columns too. An index
// that contains a primary key column is not extended: its entry suffix
// repeats that column (the suffix is always the whole primary key).
type extendedIndex struct{ *Index }

// extended reports whether the entry suffix holds exactly the primary key
// columns sql.ExtendedIndex lists: those the index does not contain (a key
// column indexed by a prefix only is in both, so such an index is not
// extended).
func (i *Index) extended() bool {
	if i.im == nil || i.m.keyless || i.im.spatial {
		return false
	}
	return len(i.extraPK()) == len(i.im.suffixPK)
}

// sqlIndex returns the GMS view of the index.
func (i *Index) sqlIndex() sql.Index {
	if i.extended() {
		return extendedIndex{i}
	}
	return i
}

// rangeCols returns the key columns lookups on this index may constrain.
func (i *Index) rangeCols() []keyCol {
	if !i.extended() {
		return i.keyCols()
	}
	cols := append([]keyCol(nil), i.im.keyCols...)
	for _, j := range i.im.suffixPK {
		cols = append(cols, i.m.pkCols[j])
	}
	return cols
}

// ID implements sql.Index.
func (i *Index) ID() string {
	if i.im == nil {
		return "PRIMARY"
	}
	return i.im.def.Name
}

// Database implements sql.Index.
func (i *Index) Database() string { return i.m.db }

// Table implements sql.Index.
func (i *Index) Table() string { return i.m.def.Name }

// Expressions implements sql.Index.
func (i *Index) Expressions() []string {
	if i.im == nil {
		return i.m.def.PrimaryKeyExpressions()
	}
	return i.m.def.IndexExpressions(i.im.def)
}

func (i *Index) ordinals() []int {
	if i.im == nil {
		return i.m.pkOrd
	}
	return i.im.ord
}

func (i *Index) keyCols() []keyCol {
	if i.im == nil {
		return i.m.pkCols
	}
	return i.im.keyCols
}

// ExtendedExpressions implements sql.ExtendedIndex.
func (i extendedIndex) ExtendedExpressions() []string {
	exprs := i.Expressions()
	for _, ord := range i.extraPK() {
		exprs = append(exprs, i.m.def.Name+"."+i.m.schema.Schema[ord].Name)
	}
	return exprs
}

func (i *Index) extraPK() []int {
	if i.im == nil {
		return nil
	}
	var out []int
	for _, p := range i.m.pkOrd {
		found := false
		for _, o := range i.im.ord {
			if o == p {
				found = true
			}
		}
		if !found {
			out = append(out, p)
		}
	}
	return out
}

// ColumnExpressionTypes implements sql.Index.
func (i *Index) ColumnExpressionTypes() []sql.ColumnExpressionType {
	exprs := i.Expressions()
	out := make([]sql.ColumnExpressionType, len(exprs))
	for j, ord := range i.ordinals() {
		out[j] = sql.ColumnExpressionType{Expression: exprs[j], Type: i.m.schema.Schema[ord].Type}
	}
	return out
}

// ExtendedColumnExpressionTypes implements sql.ExtendedIndex.
func (i extendedIndex) ExtendedColumnExpressionTypes() []sql.ColumnExpressionType {
	out := i.ColumnExpressionTypes()
	for _, ord := range i.extraPK() {
		c := i.m.schema.Schema[ord]
		out = append(out, sql.ColumnExpressionType{Expression: i.m.def.Name + "." + c.Name, Type: c.Type})
	}
	return out
}

// IsUnique implements sql.Index.
func (i *Index) IsUnique() bool { return i.im == nil || i.im.unique }

// IsSpatial implements sql.Index.
func (i *Index) IsSpatial() bool { return i.im != nil && i.im.spatial }

// IsFullText implements sql.Index.
func (i *Index) IsFullText() bool { return false }

// IsVector implements sql.Index.
func (i *Index) IsVector() bool { return false }

// IsGenerated implements sql.Index.
func (i *Index) IsGenerated() bool { return false }

// Comment implements sql.Index.
func (i *Index) Comment() string {
	if i.im == nil {
		return ""
	}
	return i.im.def.Comment
}

// IndexType implements sql.Index (SHOW INDEX's Index_type, as MySQL).
func (i *Index) IndexType() string {
	if i.IsSpatial() {
		return "SPATIAL"
	}
	return "BTREE"
}

// CanSupport implements sql.Index: a disabled index (DISABLE KEYS) is
// incomplete, so the analyzer must not read it.
func (i *Index) CanSupport(*sql.Context, ...sql.Range) bool { return i.im == nil || !i.im.disabled }

// CanSupportOrderBy implements sql.Index (vector ordering only).
func (i *Index) CanSupportOrderBy(sql.Expression) bool { return false }

// PrefixLengths implements sql.Index.
func (i *Index) PrefixLengths() []uint16 {
	if i.im == nil {
		return i.m.def.PKPrefixLengths
	}
	return i.im.def.PrefixLengths()
}

func (i *Index) prefixed() bool {
	for _, l := range i.PrefixLengths() {
		if l > 0 {
			return true
		}
	}
	return false
}

// Order implements sql.OrderedIndex. A prefix index cannot order by the
// full column value, nor a spatial index (ordered by quadtree cell) by the
// geometry.
func (i *Index) Order() sql.IndexOrder {
	if i.prefixed() || i.IsSpatial() {
		return sql.IndexOrderNone
	}
	return sql.IndexOrderAsc
}

// Reversible implements sql.OrderedIndex.
func (i *Index) Reversible() bool { return !i.prefixed() && !i.IsSpatial() }

func (i *Index) prefix() []byte {
	if i.im == nil {
		return indexPrefix(i.m.id(), primaryIndexID)
	}
	return i.im.prefix
}

// spans converts GMS ranges into key spans [start, end) over the index.
// Each span covers its range's leading point columns exactly and is bounded
// by the first non-point column; the range's later columns become residual
// checks on the fetched row, so every span returns exactly its range's rows
// (PreciseMatch). Spans come out sorted by start key.
func (i *Index) spans(ranges sql.MySQLRangeCollection) ([]span, error) {
	if i.im != nil && i.im.disabled {
		return nil, ErrIndexDisabled.New(i.im.def.Name, i.m.def.Name)
	}
	if i.im != nil && i.im.spatial {
		return spatialIndexSpans(i.im, ranges), nil
	}
	cols := i.rangeCols()
	ords := i.rangeOrdinals()
	out := make([]span, 0, len(ranges))
	residual := false
	for _, rng := range ranges {
		if len(rng) > len(cols) {
			return nil, fmt.Errorf("storage: range has %d columns, index %s has %d", len(rng), i.ID(), len(cols))
		}
		s, err := rangeSpan(i.prefix(), cols, ords, rng, i.im == nil && !i.m.keyless)
		if err != nil {
			return nil, err
		}
		if s.start != nil && bytes.Compare(s.start, s.end) < 0 {
			out = append(out, s)
			residual = residual || len(s.resid) > 0
		}
	}
	if len(out) > 1 {
		sort.SliceStable(out, func(a, b int) bool { return bytes.Compare(out[a].start, out[b].start) < 0 })
	}
	if residual {
		// Overlapping spans with different residuals must stay apart.
		return out, nil
	}
	return mergeSpans(out), nil
}

// rangeOrdinals returns the table ordinals of rangeCols.
func (i *Index) rangeOrdinals() []int {
	if i.im == nil {
		return i.m.pkOrd
	}
	if !i.extended() {
		return i.im.ord
	}
	ords := append([]int(nil), i.im.ord...)
	for _, j := range i.im.suffixPK {
		ords = append(ords, i.m.pkOrd[j])
	}
	return ords
}

// mergeSpans joins overlapping sorted spans so no key is read twice.
func mergeSpans(in []span) []span {
	if len(in) < 2 {
		return in
	}
	out := in[:1]
	for _, s := range in[1:] {
		last := &out[len(out)-1]
		if bytes.Compare(s.start, last.end) <= 0 {
			if !bytes.Equal(s.start, last.start) || !bytes.Equal(s.end, last.end) {
				last.exact = false
			}
			if bytes.Compare(s.end, last.end) > 0 {
				last.end = s.end
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// exact says that a key with every column of cols is a whole stored key
// (the primary index of a table with a primary key): a range that is a
// point on every column then yields an exact span.
func rangeSpan(prefix []byte, cols []keyCol, ords []int, rng sql.MySQLRange, exact bool) (span, error) {
	key := append([]byte(nil), prefix...)
	for j, ce := range rng {
		kc := cols[j]
		if k, isNull, ok := pointOf(ce); ok {
			var err error
			if isNull {
				key = keycodec.AppendNull(key)
			} else if key, err = kc.appendKey(key, k); err != nil {
				return span{}, err
			}
			if kc.prefix > 0 {
				return span{start: key, end: keycodec.PrefixEnd(key)}, nil
			}
			continue
		}
		start, err := lowerKey(key, kc, ce.LowerBound)
		if err != nil {
			return span{}, err
		}
		end, err := upperKey(key, kc, ce.UpperBound)
		if err != nil {
			return span{}, err
		}
		s := span{start: start, end: end}
		for r := j + 1; r < len(rng); r++ {
			if !isAll(rng[r]) && cols[r].prefix == 0 {
				s.resid = append(s.resid, residCheck{ord: ords[r], ce: rng[r]})
			}
		}
		return s, nil
	}
	return span{start: key, end: keycodec.PrefixEnd(key), exact: exact && len(rng) == len(cols)}, nil
}

// isAll reports whether ce does not constrain its column.
func isAll(ce sql.MySQLRangeColumnExpr) bool {
	_, lo := ce.LowerBound.(sql.BelowNull)
	_, hi := ce.UpperBound.(sql.AboveAll)
	return lo && hi
}

// residCheck is a range condition on a column that the span's key bounds
// do not enforce.
type residCheck struct {
	ord int
	ce  sql.MySQLRangeColumnExpr
	// box, when set, replaces ce: the value's bounding box must intersect
	// it (a spatial lookup, see spatial.go).
	box *geoBox
}

// matches reports whether v lies within ce's cuts. NULL sorts below every
// value, as in the cut order BelowNull < NULL < AboveNull < Below{k}.
func (r residCheck) matches(ctx context.Context, v any) (bool, error) {
	if r.box != nil {
		return boxMatches(*r.box, v)
	}
	ce := r.ce
	if v == nil {
		_, lo := ce.LowerBound.(sql.BelowNull)
		_, hiBelowNull := ce.UpperBound.(sql.BelowNull)
		return lo && !hiBelowNull, nil
	}
	switch lo := ce.LowerBound.(type) {
	case sql.AboveAll:
		return false, nil
	case sql.Below:
		c, err := ce.Typ.Compare(ctx, lo.Key, v)
		if err != nil || c > 0 {
			return false, err
		}
	case sql.Above:
		c, err := ce.Typ.Compare(ctx, lo.Key, v)
		if err != nil || c >= 0 {
			return false, err
		}
	}
	switch hi := ce.UpperBound.(type) {
	case sql.BelowNull, sql.AboveNull:
		return false, nil
	case sql.Below:
		c, err := ce.Typ.Compare(ctx, hi.Key, v)
		if err != nil || c <= 0 {
			return false, err
		}
	case sql.Above:
		c, err := ce.Typ.Compare(ctx, hi.Key, v)
		if err != nil || c < 0 {
			return false, err
		}
	}
	return true, nil
}

// pointOf reports whether ce selects exactly one value (or NULL).
func pointOf(ce sql.MySQLRangeColumnExpr) (key any, isNull, ok bool) {
	switch lo := ce.LowerBound.(type) {
	case sql.BelowNull:
		if _, ok := ce.UpperBound.(sql.AboveNull); ok {
			return nil, true, true
		}
	case sql.Below:
		if up, ok := ce.UpperBound.(sql.Above); ok {
			if c, err := ce.Typ.Compare(context.Background(), lo.Key, up.Key); err == nil && c == 0 {
				return lo.Key, false, true
			}
		}
	}
	return nil, false, false
}

func lowerKey(prefix []byte, kc keyCol, cut sql.MySQLRangeCut) ([]byte, error) {
	base := append([]byte(nil), prefix...)
	switch c := cut.(type) {
	case sql.BelowNull:
		return base, nil
	case sql.AboveNull:
		return keycodec.PrefixEnd(keycodec.AppendNull(base)), nil
	case sql.Below:
		return kc.appendKey(base, c.Key)
	case sql.Above:
		k, err := kc.appendKey(base, c.Key)
		if err != nil || kc.prefix > 0 { // a prefix key cannot exclude its equals
			return k, err
		}
		return keycodec.PrefixEnd(k), nil
	case sql.AboveAll:
		return keycodec.PrefixEnd(base), nil
	}
	return nil, fmt.Errorf("storage: unknown range cut %T", cut)
}

func upperKey(prefix []byte, kc keyCol, cut sql.MySQLRangeCut) ([]byte, error) {
	base := append([]byte(nil), prefix...)
	switch c := cut.(type) {
	case sql.BelowNull:
		return keycodec.AppendNull(base), nil
	case sql.AboveNull:
		return keycodec.PrefixEnd(keycodec.AppendNull(base)), nil
	case sql.Below:
		k, err := kc.appendKey(base, c.Key)
		if err != nil || kc.prefix == 0 {
			return k, err
		}
		return keycodec.PrefixEnd(k), nil
	case sql.Above:
		k, err := kc.appendKey(base, c.Key)
		if err != nil {
			return nil, err
		}
		return keycodec.PrefixEnd(k), nil
	case sql.AboveAll:
		return keycodec.PrefixEnd(base), nil
	}
	return nil, fmt.Errorf("storage: unknown range cut %T", cut)
}

// indexByName finds a secondary index.
func (m *tableMeta) indexByName(name string) *indexMeta {
	for _, im := range m.indexes {
		if strings.EqualFold(im.def.Name, name) {
			return im
		}
	}
	return nil
}
