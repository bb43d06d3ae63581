package storage

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/kv"
)

// CheckConsistency verifies, on one snapshot of the committed state, that
// every secondary index holds exactly the entries its table's rows imply
// and that each table's persisted row count equals its rows. It reads whole
// tables (sessions' temporary tables too): it is for tests, crash checks
// and tools, not the serving path.
func (e *Engine) CheckConsistency() error {
	e.mu.RLock()
	var metas []*tableMeta
	for _, s := range e.dbs {
		for _, m := range s.tables {
			metas = append(metas, m)
		}
	}
	for tt := range e.temps {
		for _, s := range tt.dbs {
			for _, m := range s.tables {
				metas = append(metas, m)
			}
		}
	}
	e.mu.RUnlock()
	snap := e.kv.NewSnapshot()
	defer snap.Close()
	var problems []string
	for _, m := range metas {
		problems = append(problems, checkTable(snap, m)...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("storage: consistency check failed:\n%s", strings.Join(problems, "\n"))
	}
	return nil
}

func checkTable(r kv.Reader, m *tableMeta) []string {
	name := m.db + "." + m.def.Name
	fail := func(format string, args ...any) []string {
		return []string{name + ": " + fmt.Sprintf(format, args...)}
	}
	dec, err := newRowDecoder(m, allOrdinals(len(m.schema.Schema)))
	if err != nil {
		return fail("%v", err)
	}
	expected := make([][][]byte, len(m.indexes))
	var rows int64
	pre := indexPrefix(m.id(), primaryIndexID)
	it, err := r.NewIter(pre, keycodec.PrefixEnd(pre))
	if err != nil {
		return fail("%v", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.Value()
		if err != nil {
			it.Close()
			return fail("%v", err)
		}
		row, card, err := dec.decode(it.Key(), v)
		if err != nil {
			it.Close()
			return fail("row %s: %v", keycodec.Pretty(it.Key()[9:]), err)
		}
		rows += int64(card)
		for i, im := range m.indexes {
			ek, err := im.entryKey(m, row, it.Key())
			if err != nil {
				it.Close()
				return fail("%v", err)
			}
			expected[i] = append(expected[i], ek)
		}
	}
	if err := it.Close(); err != nil {
		return fail("%v", err)
	}
	var out []string
	if n, err := rowCountAt(r, m.id()); err != nil {
		out = append(out, fail("%v", err)...)
	} else if n != rows {
		out = append(out, fail("row count says %d, table has %d rows", n, rows)...)
	}
	for i, im := range m.indexes {
		want := expected[i]
		sort.Slice(want, func(a, b int) bool { return bytes.Compare(want[a], want[b]) < 0 })
		var got [][]byte
		it, err := r.NewIter(im.prefix, keycodec.PrefixEnd(im.prefix))
		if err != nil {
			return append(out, fail("%v", err)...)
		}
		for ok := it.First(); ok; ok = it.Next() {
			got = append(got, append([]byte(nil), it.Key()...))
		}
		if err := it.Close(); err != nil {
			return append(out, fail("%v", err)...)
		}
		if len(got) != len(want) {
			out = append(out, fail("index %s has %d entries, rows imply %d", im.def.Name, len(got), len(want))...)
			continue
		}
		for j := range got {
			if !bytes.Equal(got[j], want[j]) {
				out = append(out, fail("index %s entry %d is %s, rows imply %s", im.def.Name, j,
					keycodec.Pretty(got[j][9:]), keycodec.Pretty(want[j][9:]))...)
				break
			}
		}
	}
	return out
}
