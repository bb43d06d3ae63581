package storage

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/catalog"
	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/rowcodec"
)

// tableMeta is the immutable runtime form of a catalog.Table: its GMS
// schema plus precomputed key and row codecs. A schema change builds a new
// tableMeta; readers holding the old one keep a consistent view.
type tableMeta struct {
	db     string
	def    *catalog.Table
	schema sql.PrimaryKeySchema

	keyless bool
	pkOrd   []int
	pkCols  []keyCol
	// fromKey[i] is set when column ordinal i is recovered from the primary
	// key instead of being stored in the row value.
	fromKey []bool
	// valueOrd lists, in rowcodec column order, the ordinals stored in the value.
	valueOrd []int
	enc      *rowcodec.Encoder
	rowCols  []rowcodec.Column // per ordinal

	// indexes are the maintained secondary indexes; disabled ones (DISABLE
	// KEYS) are listed apart, so writers and checks skip them.
	indexes  []*indexMeta
	disabled []*indexMeta
	autoInc  int // ordinal of the AUTO_INCREMENT column, or -1

	// temp is set for a temporary table: the tables of its session.
	temp *tempTables
	// rowBytes is the declared width of a row (DataLength).
	rowBytes uint64
	// lockKey is the key of the table's metadata lock (mdl.go).
	lockKey []byte
	// dataEpoch is the schema change that wrote the table's keyspace (a
	// rewrite), 0 if none since the engine opened (see nextDDLEpoch).
	dataEpoch uint64

	// decoders memoizes compiled row decoder plans (newRowDecoder).
	decoders decoderMemo
}

type indexMeta struct {
	def     *catalog.Index
	ord     []int
	keyCols []keyCol
	prefix  []byte
	unique  bool
	// disabled indexes are neither maintained nor readable (DISABLE KEYS).
	disabled bool
	// prefixed is set when some column is indexed by a prefix only.
	prefixed bool
	// spatial is set for a SPATIAL index: its one column is keyed by the
	// quadtree cell of the geometry's bounding box (spatial.go).
	spatial bool
	// Entries are <index columns><primary key columns not in the index>.
	// pkInIdx[j] is the index column holding primary key column j whole
	// (-1 if it is stored in the suffix); suffixPK lists the suffix's
	// primary key positions in key order. Keyless tables append the row's
	// content hash instead.
	pkInIdx  []int
	suffixPK []int
	// builtEpoch is the schema change that built the index's entries, 0
	// if none since the engine opened (see nextDDLEpoch).
	builtEpoch uint64
}

func newTableMeta(db string, def *catalog.Table) (*tableMeta, error) {
	sch, err := def.Schema(nil, db)
	if err != nil {
		return nil, err
	}
	m := &tableMeta{db: db, def: def, schema: sch, autoInc: -1, lockKey: mdlKey(db, def.Name)}
	m.keyless = len(def.PrimaryKey) == 0
	m.fromKey = make([]bool, len(sch.Schema))
	m.rowCols = make([]rowcodec.Column, len(sch.Schema))
	for i, c := range sch.Schema {
		m.rowBytes += uint64(rowDataBytes(c.Type))
		m.rowCols[i] = rowcodec.Column{ID: def.Columns[i].ID, Type: c.Type}
		if c.AutoIncrement {
			m.autoInc = i
		}
	}
	for i, ord := range def.PrimaryKey {
		var plen uint16
		if def.PKPrefixLengths != nil {
			plen = def.PKPrefixLengths[i]
		}
		kc, err := newKeyCol(sch.Schema[ord].Type, plen)
		if err != nil {
			return nil, fmt.Errorf("storage: table %s primary key: %w", def.Name, err)
		}
		m.pkOrd = append(m.pkOrd, ord)
		m.pkCols = append(m.pkCols, kc)
		m.fromKey[ord] = kc.decodable()
	}
	var cols []rowcodec.Column
	for i := range sch.Schema {
		if !m.fromKey[i] {
			m.valueOrd = append(m.valueOrd, i)
			cols = append(cols, m.rowCols[i])
		}
	}
	m.enc = rowcodec.NewEncoder(cols)
	if err := m.enc.Err(); err != nil {
		return nil, fmt.Errorf("storage: table %s: %w", def.Name, err)
	}
	for i := range def.Indexes {
		idx := &def.Indexes[i]
		if idx.FullText || idx.Vector {
			continue // maintained elsewhere, if at all
		}
		im := &indexMeta{def: idx, unique: idx.Unique && !idx.Spatial, spatial: idx.Spatial, disabled: idx.Disabled && !idx.Unique, prefix: indexPrefix(def.ID, idx.ID)}
		if im.spatial && len(idx.Columns) != 1 {
			return nil, fmt.Errorf("storage: SPATIAL index %s has %d columns", idx.Name, len(idx.Columns))
		}
		for _, ic := range idx.Columns {
			ord := def.ColumnByID(ic.ColumnID)
			if ord < 0 {
				return nil, fmt.Errorf("storage: index %s references missing column %d", idx.Name, ic.ColumnID)
			}
			var kc keyCol
			if im.spatial {
				kc = keyCol{typ: sch.Schema[ord].Type, kind: kkSpatial}
			} else if kc, err = newKeyCol(sch.Schema[ord].Type, ic.Length); err != nil {
				return nil, fmt.Errorf("storage: index %s: %w", idx.Name, err)
			}
			im.ord = append(im.ord, ord)
			im.keyCols = append(im.keyCols, kc)
			if ic.Length > 0 {
				im.prefixed = true
			}
		}
		for j, pord := range m.pkOrd {
			pos := -1
			for i, o := range im.ord {
				if o == pord && !im.spatial && im.keyCols[i].prefix == 0 && m.pkCols[j].prefix == 0 {
					pos = i
				}
			}
			im.pkInIdx = append(im.pkInIdx, pos)
			if pos < 0 {
				im.suffixPK = append(im.suffixPK, j)
			}
		}
		if im.disabled {
			m.disabled = append(m.disabled, im)
		} else {
			m.indexes = append(m.indexes, im)
		}
	}
	return m, nil
}

func (m *tableMeta) id() uint32 { return m.def.ID }

// rowKey returns the full data key of row (primary key, or content hash
// for keyless tables).
func (m *tableMeta) rowKey(row sql.Row) ([]byte, error) {
	k := indexPrefix(m.id(), primaryIndexID)
	if m.keyless {
		v, err := m.encodeValue(nil, row)
		if err != nil {
			return nil, err
		}
		h := sha256.Sum256(v)
		return keycodec.AppendBytes(k, h[:16]), nil
	}
	return m.appendPK(k, row)
}

func (m *tableMeta) appendPK(dst []byte, row sql.Row) ([]byte, error) {
	var err error
	for i, ord := range m.pkOrd {
		if dst, err = m.pkCols[i].appendKey(dst, row[ord]); err != nil {
			return nil, fmt.Errorf("storage: encode key column %s: %w", m.schema.Schema[ord].Name, err)
		}
	}
	return dst, nil
}

// pkSuffix returns the encoded primary key part of a data key.
func (m *tableMeta) pkSuffix(dataKey []byte) []byte { return dataKey[9:] }

// encodeValue encodes the value stored under the row's data key.
func (m *tableMeta) encodeValue(dst []byte, row sql.Row) ([]byte, error) {
	vals := make([]any, len(m.valueOrd))
	for i, ord := range m.valueOrd {
		vals[i] = row[ord]
	}
	return m.enc.Append(dst, vals)
}

// rowValue is encodeValue with the keyless cardinality header.
func (m *tableMeta) rowValue(row sql.Row, card uint64) ([]byte, error) {
	var dst []byte
	if m.keyless {
		dst = binary.AppendUvarint(dst, card)
	}
	return m.encodeValue(dst, row)
}

// entryKey returns the secondary index entry for row, given its data key.
func (im *indexMeta) entryKey(m *tableMeta, row sql.Row, dataKey []byte) ([]byte, error) {
	k, err := im.valuesKey(row)
	if err != nil {
		return nil, err
	}
	if m.keyless {
		return append(k, dataKey[9:]...), nil
	}
	for _, j := range im.suffixPK {
		if k, err = m.pkCols[j].appendKey(k, row[m.pkOrd[j]]); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// dataKey rebuilds the data key a secondary index entry points at.
func (im *indexMeta) dataKey(m *tableMeta, entry []byte) ([]byte, error) {
	rest := entry[9:]
	segs := make([][]byte, len(im.ord))
	for i := range segs {
		n, err := keycodec.Skip(rest)
		if err != nil {
			return nil, err
		}
		segs[i], rest = rest[:n], rest[n:]
	}
	dk := indexPrefix(m.id(), primaryIndexID)
	if m.keyless {
		return append(dk, rest...), nil
	}
	for j := range m.pkOrd {
		if pos := im.pkInIdx[j]; pos >= 0 {
			dk = append(dk, segs[pos]...)
			continue
		}
		n, err := keycodec.Skip(rest)
		if err != nil {
			return nil, err
		}
		dk, rest = append(dk, rest[:n]...), rest[n:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("storage: index %s entry has %d trailing bytes", im.def.Name, len(rest))
	}
	return dk, nil
}

// valuesKey returns the index prefix plus the encoded indexed values.
func (im *indexMeta) valuesKey(row sql.Row) ([]byte, error) {
	k := append([]byte(nil), im.prefix...)
	var err error
	for i, ord := range im.ord {
		if k, err = im.keyCols[i].appendKey(k, row[ord]); err != nil {
			return nil, fmt.Errorf("storage: index %s: %w", im.def.Name, err)
		}
	}
	return k, nil
}

func (im *indexMeta) hasNull(row sql.Row) bool {
	for _, ord := range im.ord {
		if row[ord] == nil {
			return true
		}
	}
	return false
}

// rowDecoder decodes data entries into rows of a projection.
type rowDecoder struct {
	m    *tableMeta
	proj []int // ordinals to output, in order
	*decoderPlan
	buf     []any
	keyVals []any // decoded key columns, reused row to row
}

// decoderPlan is the immutable part of a rowDecoder, shared by every
// decoder of the same table version and projection (tableMeta.decoders).
type decoderPlan struct {
	dec *rowcodec.Decoder
	// valSlot[i] is the decoder slot feeding output i, or -1 when output i
	// comes from the key.
	valSlot []int
	// keyPos[i] is the PK position feeding output i (when valSlot[i] < 0).
	keyPos  []int
	needKey bool
	nVals   int // decoder slots
}

// maxDecoderPlans bounds a table version's memo of decoder plans; the
// projections a workload reads are few, and past the bound plans are
// compiled per use as before.
const maxDecoderPlans = 64

// decoderMemo holds a tableMeta's compiled decoder plans by projection
// (ordinals as 2-byte big-endian pairs). Plans depend only on the
// immutable tableMeta, so a memo entry never goes stale.
type decoderMemo struct {
	mu    sync.RWMutex
	plans map[string]*decoderPlan
}

func newRowDecoder(m *tableMeta, proj []int) (*rowDecoder, error) {
	p, err := m.decoderPlan(proj)
	if err != nil {
		return nil, err
	}
	return &rowDecoder{m: m, proj: proj, decoderPlan: p, buf: make([]any, p.nVals)}, nil
}

// decoderPlan returns the plan for proj, from the memo when it is there.
func (m *tableMeta) decoderPlan(proj []int) (*decoderPlan, error) {
	var stack [32]byte
	key := stack[:0]
	for _, ord := range proj {
		if ord < 0 || ord > 0xffff {
			return compileDecoderPlan(m, proj)
		}
		key = binary.BigEndian.AppendUint16(key, uint16(ord))
	}
	m.decoders.mu.RLock()
	p := m.decoders.plans[string(key)]
	m.decoders.mu.RUnlock()
	if p != nil {
		return p, nil
	}
	p, err := compileDecoderPlan(m, proj)
	if err != nil {
		return nil, err
	}
	m.decoders.mu.Lock()
	if m.decoders.plans == nil {
		m.decoders.plans = make(map[string]*decoderPlan)
	}
	if len(m.decoders.plans) < maxDecoderPlans {
		m.decoders.plans[string(key)] = p
	}
	m.decoders.mu.Unlock()
	return p, nil
}

func compileDecoderPlan(m *tableMeta, proj []int) (*decoderPlan, error) {
	d := &decoderPlan{}
	var cols []rowcodec.Column
	for _, ord := range proj {
		if m.fromKey[ord] {
			pos := -1
			for i, o := range m.pkOrd {
				if o == ord {
					pos = i
				}
			}
			d.valSlot = append(d.valSlot, -1)
			d.keyPos = append(d.keyPos, pos)
			d.needKey = true
			continue
		}
		d.valSlot = append(d.valSlot, len(cols))
		d.keyPos = append(d.keyPos, -1)
		cols = append(cols, m.rowCols[ord])
	}
	d.dec = rowcodec.NewDecoder(cols)
	if err := d.dec.Err(); err != nil {
		return nil, err
	}
	d.nVals = len(cols)
	return d, nil
}

// decode builds the projected row from a data key and value. For keyless
// tables it also returns the cardinality.
func (d *rowDecoder) decode(key, value []byte) (sql.Row, uint64, error) {
	card := uint64(1)
	if d.m.keyless {
		c, n, err := keylessCard(value)
		if err != nil {
			return nil, 0, fmt.Errorf("storage: table %s: %w", d.m.def.Name, err)
		}
		card, value = c, value[n:]
	}
	if err := d.dec.Decode(value, d.buf); err != nil {
		return nil, 0, fmt.Errorf("storage: table %s: %w", d.m.def.Name, err)
	}
	var keyVals []any
	if d.needKey {
		rest := key[9:]
		if d.keyVals == nil {
			d.keyVals = make([]any, len(d.m.pkCols))
		}
		keyVals = d.keyVals
		for i, kc := range d.m.pkCols {
			if kc.decodable() {
				v, r, err := kc.decodeKey(rest, nil)
				if err != nil {
					return nil, 0, fmt.Errorf("storage: table %s: decode key: %w", d.m.def.Name, err)
				}
				keyVals[i], rest = v, r
				continue
			}
			n, err := keycodec.Skip(rest)
			if err != nil {
				return nil, 0, err
			}
			rest = rest[n:]
		}
	}
	row := make(sql.Row, len(d.proj))
	for i := range d.proj {
		if s := d.valSlot[i]; s >= 0 {
			row[i] = d.buf[s]
		} else {
			row[i] = keyVals[d.keyPos[i]]
		}
	}
	return row, card, nil
}
