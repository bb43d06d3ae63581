package sqlserver

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// SELECT DISTINCT under the columns' collations. GMS's Distinct keeps a
// row unless an earlier one printed the same (sql.HashOf formats values
// with %v), so under a case- or accent-insensitive collation 'RUSH' and
// 'rush' both stay; MySQL keeps one of them, as GMS's own GROUP BY does
// (rowexec groupingKey hashes strings by their collation's weights).
// distinctOverride keys string columns the way groupingKey does, and
// other values as HashOf does. OrderedDistinct already compares by type.

// distinctOverride builds n with collation-aware keys, or returns nil when
// n has no string column (GMS's iterator is then exact).
func distinctOverride(ctx *sql.Context, b sql.NodeExecBuilder, n *plan.Distinct, r sql.Row) (sql.RowIter, error) {
	sch := n.Child.Schema()
	strs := make([]sql.StringType, len(sch))
	collated := false
	for i, c := range sch {
		if st, ok := c.Type.(sql.StringType); ok && !types.IsBinaryType(c.Type) {
			strs[i], collated = st, true
		}
	}
	if !collated {
		return nil, nil
	}
	child, err := b.Build(ctx, n.Child, r)
	if err != nil {
		return nil, err
	}
	weights := make([]*runeWeights, len(sch))
	for i, st := range strs {
		if st != nil && st.Collation() != sql.Collation_binary && st.Collation().Sorter() != nil {
			weights[i] = weightsOf(st.Collation())
		}
	}
	seen, dispose := ctx.Memory.NewHistoryCache()
	return &collationDistinctIter{child: child, strs: strs, weights: weights, seen: seen, dispose: dispose, seed: maphash.MakeSeed()}, nil
}

// collationDistinctIter returns the first row of each group of rows equal
// under the columns' types (strs[i] is column i's string type, or nil).
type collationDistinctIter struct {
	child   sql.RowIter
	strs    []sql.StringType
	weights []*runeWeights // per string column of a non-binary collation
	buf     []byte         // a value's weight string
	seen    sql.KeyValueCache
	dispose sql.DisposeFunc
	seed    maphash.Seed
}

func (it *collationDistinctIter) Next(ctx *sql.Context) (sql.Row, error) {
	for {
		row, err := it.child.Next(ctx)
		if err != nil {
			if err == io.EOF {
				// As GMS's distinctIter: a parent may not close it (a
				// join's right side), and the cache must not outlive the
				// statement.
				it.release()
			}
			return nil, err
		}
		key, err := it.key(ctx, row)
		if err != nil {
			return nil, err
		}
		if _, err := it.seen.Get(key); err == nil {
			continue
		}
		if err := it.seen.Put(key, struct{}{}); err != nil {
			return nil, err
		}
		return row, nil
	}
}

// key hashes row: a tag byte per value (NULL, string weights, other), a
// string by its collation's weight string, another value by its %v text.
func (it *collationDistinctIter) key(ctx *sql.Context, row sql.Row) (uint64, error) {
	var h maphash.Hash
	h.SetSeed(it.seed)
	for i, v := range row {
		v, err := sql.UnwrapAny(ctx, v)
		if err != nil {
			return 0, err
		}
		switch {
		case v == nil:
			h.WriteByte(0)
		case i < len(it.strs) && it.strs[i] != nil:
			s, ok := v.(string)
			if !ok {
				if s, err = types.ConvertToString(ctx, v, it.strs[i], nil); err != nil {
					return 0, err
				}
			}
			h.WriteByte(1)
			if w := it.weights[i]; w != nil {
				it.buf = w.appendWeightString(it.buf[:0], s)
				h.Write(it.buf)
			} else if err := it.strs[i].Collation().WriteWeightString(&h, s); err != nil {
				return 0, err
			}
			h.WriteByte(0)
		default:
			h.WriteByte(2)
			if _, err := fmt.Fprintf(&h, "%v", v); err != nil {
				return 0, err
			}
			h.WriteByte(0)
		}
	}
	return h.Sum64(), nil
}

func (it *collationDistinctIter) Close(ctx *sql.Context) error {
	it.release()
	return it.child.Close(ctx)
}

// release frees the cache of seen keys.
func (it *collationDistinctIter) release() {
	if it.dispose != nil {
		it.dispose()
		it.dispose = nil
	}
}

// runeWeights is a collation's weights with those of the ASCII runes in
// a table. It computes a weight string as GMS's
// CollationID.WriteWeightString writes it (each rune's weight, 4 bytes
// little-endian), and compares strings as StringType.Compare does:
// WriteWeightString's per-rune hash writes and weight map lookups were a
// fifth of sysbench oltp_read_only's CPU (DISTINCT over CHAR(120)), and
// StringType.Compare's a tenth (ORDER BY).
type runeWeights struct {
	weight func(rune) int32
	ascii  [utf8.RuneSelf]int32
}

var weightTables sync.Map // sql.CollationID -> *runeWeights

func weightsOf(c sql.CollationID) *runeWeights {
	if w, ok := weightTables.Load(c); ok {
		return w.(*runeWeights)
	}
	w := &runeWeights{weight: c.Sorter()}
	for r := rune(0); r < utf8.RuneSelf; r++ {
		w.ascii[r] = w.weight(r)
	}
	got, _ := weightTables.LoadOrStore(c, w)
	return got.(*runeWeights)
}

// appendWeightString appends s's weight string to buf. Like
// WriteWeightString, a byte that is not valid UTF-8 weighs as RuneError.
func (w *runeWeights) appendWeightString(buf []byte, s string) []byte {
	for i := 0; i < len(s); {
		var wt int32
		if b := s[i]; b < utf8.RuneSelf {
			wt = w.ascii[b]
			i++
		} else {
			r, n := utf8.DecodeRuneInString(s[i:])
			wt = w.weight(r)
			i += n
		}
		buf = binary.LittleEndian.AppendUint32(buf, uint32(wt))
	}
	return buf
}

// compare is StringType.Compare for two utf8mb4 strings: rune by rune by
// collation weight, then the shorter first.
func (w *runeWeights) compare(as, bs string) int {
	for len(as) > 0 && len(bs) > 0 {
		var aw, bw int32
		if ac, bc := as[0], bs[0]; ac < utf8.RuneSelf && bc < utf8.RuneSelf {
			aw, bw = w.ascii[ac], w.ascii[bc]
			as, bs = as[1:], bs[1:]
		} else {
			ar, aRead := utf8.DecodeRuneInString(as)
			br, bRead := utf8.DecodeRuneInString(bs)
			aw, bw = w.weight(ar), w.weight(br)
			as, bs = as[aRead:], bs[bRead:]
		}
		if aw < bw {
			return -1
		} else if aw > bw {
			return 1
		}
	}
	return cmp.Compare(len(as), len(bs))
}
