package storage

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/keycodec"
)

// coverDecoder builds rows straight from secondary index entries, without
// reading the row, when the entry holds every column the scan needs in a
// form that decodes back to the stored value (an index-only read, like
// InnoDB's covering index). Entries are <index columns><primary key columns
// not in the index>; collated strings and prefixes store weights or
// fragments and are never decoded.
type coverDecoder struct {
	m  *tableMeta
	im *indexMeta
	// src[i] says where need[i] comes from: index column src[i] when >= 0,
	// suffix primary key position -1-src[i] otherwise.
	src     []int
	idxNeed []bool // index columns to decode
	sufNeed []bool // suffix positions to decode
}

// newCoverDecoder returns nil unless im covers need on a table with a
// primary key.
func newCoverDecoder(m *tableMeta, im *indexMeta, need []int) *coverDecoder {
	if m.keyless || im.prefixed || im.spatial {
		return nil
	}
	d := &coverDecoder{m: m, im: im, idxNeed: make([]bool, len(im.ord)), sufNeed: make([]bool, len(im.suffixPK))}
	for _, ord := range need {
		src, ok := 0, false
		for i, o := range im.ord {
			if o == ord && im.keyCols[i].decodable() {
				src, ok = i, true
				d.idxNeed[i] = true
				break
			}
		}
		if !ok {
			for k, j := range im.suffixPK {
				if m.pkOrd[j] == ord && m.pkCols[j].decodable() {
					src, ok = -1-k, true
					d.sufNeed[k] = true
					break
				}
			}
		}
		if !ok {
			return nil
		}
		d.src = append(d.src, src)
	}
	return d
}

// decode returns the needed columns of the entry at key, in need order.
func (d *coverDecoder) decode(key []byte) (sql.Row, error) {
	rest := key[9:]
	idx := make([]any, len(d.im.ord))
	for i := range d.im.ord {
		var err error
		rest, err = decodeOrSkip(d.im.keyCols[i], d.idxNeed[i], rest, &idx[i], nil)
		if err != nil {
			return nil, fmt.Errorf("storage: index %s entry: %w", d.im.def.Name, err)
		}
	}
	suf := make([]any, len(d.im.suffixPK))
	for k, j := range d.im.suffixPK {
		var err error
		rest, err = decodeOrSkip(d.m.pkCols[j], d.sufNeed[k], rest, &suf[k], nil)
		if err != nil {
			return nil, fmt.Errorf("storage: index %s entry: %w", d.im.def.Name, err)
		}
	}
	row := make(sql.Row, len(d.src))
	for i, s := range d.src {
		if s >= 0 {
			row[i] = idx[s]
		} else {
			row[i] = suf[-1-s]
		}
	}
	return row, nil
}

// decodeOrSkip decodes b's first value into *dst if need (boxes as
// decodeKey), else skips it, and returns the rest of b.
func decodeOrSkip(kc keyCol, need bool, b []byte, dst *any, boxes *int64Boxes) ([]byte, error) {
	if need {
		v, rest, err := kc.decodeKey(b, boxes)
		*dst = v
		return rest, err
	}
	n, err := keycodec.Skip(b)
	if err != nil {
		return nil, err
	}
	return b[n:], nil
}
