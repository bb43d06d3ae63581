package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/kv"
	"github.com/quarrydb/quarry/storage/rowcodec"
)

// TypedConsumer receives the rows of ScanTyped: row[i] holds column
// req.Columns[i] as the TypedDecoder decoded it. row, and the bytes its
// slots point to, are valid only during the call.
type TypedConsumer func(worker, part int, row []rowcodec.Slot) error

// TypedDecoderFor returns a typed decoder of the given table ordinals
// (see FullSchema), or false when the table is not Quarry's or some
// column is stored in the primary key rather than in the row value (a
// typed scan cannot serve those; use Scan).
func TypedDecoderFor(tbl sql.Table, cols []int) (*rowcodec.TypedDecoder, bool) {
	t, ok := TableOf(tbl)
	if !ok || t.m.keyless {
		return nil, false
	}
	rc := make([]rowcodec.Column, len(cols))
	for i, o := range cols {
		if o < 0 || o >= len(t.m.schema.Schema) || t.m.fromKey[o] {
			return nil, false
		}
		rc[i] = t.m.rowCols[o]
	}
	d := rowcodec.NewTypedDecoder(rc)
	if d.Err() != nil {
		return nil, false
	}
	return d, true
}

// ScanTyped is Scan for consumers of typed values: it reads the same
// rows (same snapshot, same own writes, same partitions in key order)
// but decodes them with dec, which TypedDecoderFor built for
// req.Columns, into reused slots, with no per-row allocation and no copy
// of the stored bytes when the transaction has no pending writes.
//
// ok is false, and nothing is read, when the scan cannot run typed:
// whenever Scan would run serially (locking reads, secondary indexes,
// keyless tables) or the lookup leaves residual key checks. The caller
// then uses Scan.
func ScanTyped(ctx *sql.Context, tbl sql.Table, req ScanRequest, dec *rowcodec.TypedDecoder, consume TypedConsumer) (st ScanStats, ok bool, err error) {
	t, spans, ok, err := planTypedScan(ctx, tbl, req)
	if !ok || err != nil {
		return ScanStats{}, false, err
	}
	txn := t.e.txnFor(ctx)
	// Both are taken here, on the statement's goroutine: reader may
	// replace the snapshot (READ COMMITTED), and workers only read.
	rd := txn.reader(ctx)
	vis := txn.visFor(readMode{rows: true})
	ov := txn.ov
	if ov.len() == 0 {
		ov = nil
	}
	parts, err := splitSpans(rd, spans, max(req.Parts, 1))
	if err != nil {
		return ScanStats{}, true, err
	}
	st = ScanStats{Parallel: true, Partitions: len(parts)}
	if len(parts) == 0 {
		return st, true, nil
	}
	workers := min(max(req.Workers, 1), len(parts))
	slots := make([][]rowcodec.Slot, workers)
	for w := range slots {
		slots[w] = make([]rowcodec.Slot, len(req.Columns))
	}
	rows, err := t.runParts(ctx, parts, workers, func(gctx context.Context, w, p int, s span) (int64, error) {
		return t.scanSpanTyped(gctx, rd, ov, vis, s, dec, slots[w], func(row []rowcodec.Slot) error {
			return consume(w, p, row)
		})
	})
	st.RowsRead = rows
	return st, true, err
}

// scanSpanTyped reads one span of the primary data into row. Without
// overlay writes it walks the KV iterator directly, decoding each value
// in place; otherwise it reads through the merged iterator, as scanSpan
// does. It checks gctx every 256 rows.
func (t *Table) scanSpanTyped(gctx context.Context, rd kv.Reader, ov *overlay, vis func(*wentry) *wentry, s span, dec *rowcodec.TypedDecoder, row []rowcodec.Slot, emit func([]rowcodec.Slot) error) (int64, error) {
	if bytes.Compare(s.start, s.end) >= 0 {
		return 0, nil
	}
	base, err := rd.NewIter(s.start, s.end)
	if err != nil {
		return 0, err
	}
	var n int64
	if ov == nil {
		closed := false
		defer func() {
			if !closed {
				_ = base.Close()
			}
		}()
		i := 0
		for ok := base.First(); ok; ok = base.Next() {
			if i&255 == 0 {
				if err := gctx.Err(); err != nil {
					return n, err
				}
			}
			i++
			v, err := base.Value()
			if err != nil {
				return n, err
			}
			if err := dec.Decode(v, row); err != nil {
				return n, t.decodeErr(err)
			}
			n++
			if err := emit(row); err != nil {
				return n, err
			}
		}
		if err := base.Error(); err != nil {
			return n, err
		}
		closed = true
		return n, base.Close()
	}
	it := newMergedIter(base, ov, s.start, s.end, false, vis)
	defer it.close()
	for i := 0; it.next(); i++ {
		if i&255 == 0 {
			if err := gctx.Err(); err != nil {
				return n, err
			}
		}
		if err := dec.Decode(it.value, row); err != nil {
			return n, t.decodeErr(err)
		}
		n++
		if err := emit(row); err != nil {
			return n, err
		}
	}
	if err := it.close(); err != nil && !errors.Is(err, errTxnClosed) {
		return n, err
	}
	return n, nil
}

func (t *Table) decodeErr(err error) error {
	return fmt.Errorf("storage: table %s: %w", t.m.def.Name, err)
}

// planTypedScan plans a scan that runs typed (ScanTyped, ScanColumns): ok
// is false when it would run serially or its spans leave residual key
// checks.
func planTypedScan(ctx *sql.Context, tbl sql.Table, req ScanRequest) (t *Table, spans []span, ok bool, err error) {
	t, spans, serial, err := planScan(ctx, tbl, req)
	if err != nil || serial {
		return nil, nil, false, err
	}
	for _, s := range spans {
		if len(s.resid) > 0 {
			return nil, nil, false, nil
		}
	}
	return t, spans, true, nil
}
