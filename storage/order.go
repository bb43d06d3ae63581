package storage

import (
	"bytes"
	"fmt"
	"io"
	"sort"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/keycodec"
)

// Index scans whose keys do not order rows by the indexed values.
//
// GMS's replaceIdxSort drops an ORDER BY on an index's columns over any
// static index lookup (plan.IndexedTableAccess), whatever the index's
// sql.OrderedIndex says, so a lookup must return its rows ordered by the
// index columns as GMS's types compare them (descending for a reverse
// lookup). GMS's memory engine sorts the rows of every lookup. Two kinds of
// Quarry index need help:
//
//   - a prefix index (or a primary key with a prefix length): entries are
//     ordered by the column's prefix, so rows whose prefixes are equal
//     come in primary key order. Those runs are short; each is sorted as
//     it is read, and the scan still streams.
//   - a SPATIAL index: entries are ordered by quadtree cell, so all the
//     candidates are read and sorted.

// orderIter sorts the rows of r within runs of entries whose keys share
// their first runSegs encoded columns (after the 9-byte index prefix);
// runSegs < 0 makes the whole scan one run.
type orderIter struct {
	r       *rowIter
	runSegs int
	pos     []int // positions of the sort columns in r's rows
	typs    []sql.Type
	width   int // output width
	desc    bool

	run     []sql.Row
	next    int
	ahead   sql.Row // the first row of the next run
	aheadRK []byte
	eof     bool
}

// newOrderIter wraps r, whose rows must hold the columns ords (r.need).
func newOrderIter(r *rowIter, ords []int, runSegs int, desc bool) *orderIter {
	o := &orderIter{r: r, runSegs: runSegs, width: r.width, desc: desc}
	for _, ord := range ords {
		for i, n := range r.need {
			if n == ord {
				o.pos = append(o.pos, i)
				o.typs = append(o.typs, r.t.m.schema.Schema[ord].Type)
				break
			}
		}
	}
	r.width = len(r.need) // rows keep the sort columns until sorted
	return o
}

// firstPrefixed returns the position of the first column indexed by a
// prefix, or -1.
func firstPrefixed(cols []keyCol) int {
	for i, kc := range cols {
		if kc.prefix > 0 {
			return i
		}
	}
	return -1
}

// runKey returns the part of key that identifies its run.
func (o *orderIter) runKey(key []byte) ([]byte, error) {
	if o.runSegs < 0 || len(key) < 9 {
		return nil, nil
	}
	n := 9
	for i := 0; i < o.runSegs; i++ {
		l, err := keycodec.Skip(key[n:])
		if err != nil {
			return nil, fmt.Errorf("storage: run key: %w", err)
		}
		n += l
	}
	return key[:n], nil
}

func (o *orderIter) compare(ctx *sql.Context, a, b sql.Row) (int, error) {
	for i, p := range o.pos {
		x, y := a[p], b[p]
		var c int
		switch {
		case x == nil && y == nil:
		case x == nil:
			c = -1
		case y == nil:
			c = 1
		default:
			var err error
			if c, err = o.typs[i].Compare(ctx, x, y); err != nil {
				return 0, err
			}
		}
		if c != 0 {
			if o.desc {
				return -c, nil
			}
			return c, nil
		}
	}
	return 0, nil
}

// fill reads the next run into o.run and sorts it.
func (o *orderIter) fill(ctx *sql.Context) error {
	o.run, o.next = o.run[:0], 0
	var rk []byte
	if o.ahead != nil {
		o.run = append(o.run, o.ahead)
		rk, o.ahead = o.aheadRK, nil
	}
	for !o.eof {
		row, err := o.r.Next(ctx)
		if err == io.EOF {
			o.eof = true
			break
		}
		if err != nil {
			return err
		}
		k, err := o.runKey(o.r.lastKey)
		if err != nil {
			return err
		}
		if len(o.run) > 0 && !bytes.Equal(k, rk) {
			o.ahead, o.aheadRK = row, append([]byte(nil), k...)
			break
		}
		if len(o.run) == 0 {
			rk = append(rk[:0], k...)
		}
		o.run = append(o.run, row)
	}
	if len(o.run) < 2 {
		return nil
	}
	var cmpErr error
	sort.SliceStable(o.run, func(a, b int) bool {
		c, err := o.compare(ctx, o.run[a], o.run[b])
		if err != nil && cmpErr == nil {
			cmpErr = err
		}
		return c < 0
	})
	return cmpErr
}

// Next implements sql.RowIter.
func (o *orderIter) Next(ctx *sql.Context) (sql.Row, error) {
	if o.next >= len(o.run) {
		if o.eof && o.ahead == nil {
			return nil, io.EOF
		}
		if err := o.fill(ctx); err != nil {
			return nil, err
		}
		if len(o.run) == 0 {
			return nil, io.EOF
		}
	}
	row := o.run[o.next][:o.width]
	o.run[o.next] = nil
	o.next++
	return row, nil
}

// Close implements sql.RowIter.
func (o *orderIter) Close(ctx *sql.Context) error { return o.r.Close(ctx) }
