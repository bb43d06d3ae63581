package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/kv"
)

// TableOf returns the Quarry table behind a GMS table handle found in a
// plan (a *Table or the *IndexedTable of an IndexedTableAccess).
func TableOf(t sql.Table) (*Table, bool) {
	switch x := t.(type) {
	case *Table:
		return x, true
	case *IndexedTable:
		return x.Table, true
	}
	return nil, false
}

// FullSchema returns the table's whole schema (not the projection): scan
// requests name columns by their ordinal in it.
func (t *Table) FullSchema() sql.Schema { return t.m.schema.Schema }

// ScanRequest describes a typed, column-selective read of a table.
type ScanRequest struct {
	// Lookup restricts the scan to an index lookup; nil reads the table.
	Lookup *sql.IndexLookup
	// Columns are the table ordinals (see FullSchema) each row holds, in
	// order.
	Columns []int
	// Parts is how many partitions to split the scan into (at least 1).
	// Partitions are contiguous, ascending key ranges.
	Parts int
	// Workers bounds how many partitions are read at once.
	Workers int
}

// ScanStats says how a scan ran.
type ScanStats struct {
	// Parallel is false when the scan had to go through the ordinary row
	// iterator (locking reads, secondary indexes, keyless tables).
	Parallel   bool
	Partitions int
	// RowsRead counts the rows decoded (after key-range residual checks).
	RowsRead int64
	// Segments and CachedSegments count, for ScanColumns, the column
	// cache segments the scan covered and those served from the cache.
	Segments, CachedSegments int
	// StoreRows counts, for ScanColumns, the rows read from the store
	// (more than RowsRead when the scan read whole segments to cache
	// them, or rows written since a cached segment was built).
	StoreRows int64
	// ChangedKeys counts, for ScanColumns, the keys of cached segments
	// that commits wrote after the segment was built (see colCache):
	// their rows come from the segments' change records, or, ChangedRead
	// of them, from the store.
	ChangedKeys, ChangedRead int64
}

// ScanConsumer receives the rows of a scan. Rows of one partition arrive
// in key order from one goroutine; different workers call it concurrently.
// row is reused after the call returns (its values are not).
type ScanConsumer func(worker, part int, row []any) error

// Scan reads the rows of tbl that req selects and hands each to consume.
//
// It reads exactly what rowIter would: the transaction's snapshot (or a
// fresh one per statement at READ COMMITTED) with the transaction's own
// writes applied, hiding writes of statements still running. Primary-key
// scans that take no locks run in parallel over req.Parts partitions;
// everything else (locking reads, secondary index lookups, keyless tables)
// runs through the table's row iterator as one partition, in index order.
// Scan returns when every row was consumed, on the first error, or when
// ctx is cancelled (KILL QUERY).
func Scan(ctx *sql.Context, tbl sql.Table, req ScanRequest, consume ScanConsumer) (ScanStats, error) {
	t, spans, serial, err := planScan(ctx, tbl, req)
	if err != nil {
		return ScanStats{}, err
	}
	if serial {
		return t.scanSerial(ctx, req, consume)
	}
	return t.scanParallel(ctx, spans, req, consume)
}

// planScan checks req against tbl and returns the primary-key spans a
// parallel scan reads, or serial when the scan must go through the row
// iterator (see Scan).
func planScan(ctx *sql.Context, tbl sql.Table, req ScanRequest) (*Table, []span, bool, error) {
	t, idx, serial, err := scanTarget(ctx, tbl, req)
	if err != nil || serial {
		return t, nil, serial, err
	}
	var spans []span
	if req.Lookup == nil {
		spans = t.m.wholeTable()
	} else if !req.Lookup.IsEmptyRange {
		ranges, ok := req.Lookup.Ranges.(sql.MySQLRangeCollection)
		if !ok {
			return nil, nil, false, fmt.Errorf("storage: unsupported range collection %T", req.Lookup.Ranges)
		}
		s, err := idx.spans(ranges)
		if err != nil {
			return nil, nil, false, err
		}
		spans = s
	}
	return t, spans, false, nil
}

// RunsSerially reports whether Scan of req runs serially, through the
// row iterator (see Scan): ScanTyped and ScanColumns then refuse it, and
// a caller may skip preparing for them. It checks what planScan checks,
// with the same errors.
func RunsSerially(ctx *sql.Context, tbl sql.Table, req ScanRequest) (bool, error) {
	_, _, serial, err := scanTarget(ctx, tbl, req)
	return serial, err
}

// scanTarget checks req against tbl and returns the table, the lookup's
// index, and whether the scan must run serially.
func scanTarget(ctx *sql.Context, tbl sql.Table, req ScanRequest) (*Table, *Index, bool, error) {
	t, ok := TableOf(tbl)
	if !ok {
		return nil, nil, false, fmt.Errorf("storage: scan of foreign table %T", tbl)
	}
	for _, o := range req.Columns {
		if o < 0 || o >= len(t.m.schema.Schema) {
			return nil, nil, false, fmt.Errorf("storage: scan of %s: no column ordinal %d", t.m.def.Name, o)
		}
	}
	var idx *Index
	if req.Lookup != nil {
		switch x := req.Lookup.Index.(type) {
		case *Index:
			idx = x
		case extendedIndex:
			idx = x.Index
		default:
			return nil, nil, false, fmt.Errorf("storage: lookup on foreign index %T", req.Lookup.Index)
		}
	}
	if err := t.e.txnFor(ctx).useTable(ctx, t.m, false); err != nil {
		return nil, nil, false, err
	}
	serial := t.m.keyless || t.latest || t.ownWrites || (idx != nil && idx.im != nil) || req.Lookup != nil && req.Lookup.IsReverse || t.lockingScan(ctx)
	return t, idx, serial, nil
}

// lockingScan reports whether a row iterator of t in ctx's statement would
// take row locks (see rowIter.start); such scans stay serial.
func (t *Table) lockingScan(ctx *sql.Context) bool {
	txn := t.e.txnFor(ctx)
	pid := ctxPid(ctx)
	if p, ok := txn.lockingReads[t.m.id()]; ok && p == pid {
		return true
	}
	if s, ok := ctx.Session.(*Session); ok && (s.lockPid == pid && pid != 0 || s.pendingLock != NoLock) {
		return true
	}
	return false
}

// scanSerial reads through PartitionRows: one partition, one goroutine.
func (t *Table) scanSerial(ctx *sql.Context, req ScanRequest, consume ScanConsumer) (ScanStats, error) {
	st := ScanStats{Partitions: 1}
	names := make([]string, len(req.Columns))
	for i, o := range req.Columns {
		names[i] = t.m.schema.Schema[o].Name
	}
	pt := t.WithProjections(names).(*Table)
	var parts sql.PartitionIter
	var err error
	var src sql.Table = pt
	if req.Lookup != nil {
		it := &IndexedTable{Table: pt}
		src = it
		parts, err = it.LookupPartitions(ctx, *req.Lookup)
	} else {
		parts, err = pt.Partitions(ctx)
	}
	if err != nil {
		return st, err
	}
	defer parts.Close(ctx)
	for {
		p, err := parts.Next(ctx)
		if errors.Is(err, io.EOF) {
			return st, nil
		}
		if err != nil {
			return st, err
		}
		rows, err := src.PartitionRows(ctx, p)
		if err != nil {
			return st, err
		}
		for {
			if err := ctx.Err(); err != nil {
				_ = rows.Close(ctx)
				return st, err
			}
			row, err := rows.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				_ = rows.Close(ctx)
				return st, err
			}
			st.RowsRead++
			if err := consume(0, 0, row); err != nil {
				_ = rows.Close(ctx)
				return st, err
			}
		}
		if err := rows.Close(ctx); err != nil {
			return st, err
		}
	}
}

// scanPart is one partition of a parallel scan: ascending spans.
type scanPart struct {
	spans []span
}

func (t *Table) scanParallel(ctx *sql.Context, spans []span, req ScanRequest, consume ScanConsumer) (ScanStats, error) {
	txn := t.e.txnFor(ctx)
	// Both are taken here, on the statement's goroutine: reader may
	// replace the snapshot (READ COMMITTED), and workers only read.
	rd := txn.reader(ctx)
	vis := txn.visFor(readMode{rows: true})
	ov := txn.ov
	if ov.len() == 0 {
		ov = nil
	}
	nparts := max(req.Parts, 1)
	parts, err := splitSpans(rd, spans, nparts)
	if err != nil {
		return ScanStats{}, err
	}
	st := ScanStats{Parallel: true, Partitions: len(parts)}
	if len(parts) == 0 {
		return st, nil
	}
	workers := min(max(req.Workers, 1), len(parts))

	// need: the requested columns, then those only residual checks read.
	need := append([]int(nil), req.Columns...)
	for _, s := range spans {
		for _, rc := range s.resid {
			if !containsInt(need, rc.ord) {
				need = append(need, rc.ord)
			}
		}
	}

	decs := make([]*scanDecoder, workers)
	for w := range decs {
		if decs[w], err = newScanDecoder(t.m, need); err != nil {
			return st, err
		}
	}
	rows, err := t.runParts(ctx, parts, workers, func(gctx context.Context, w, p int, s span) (int64, error) {
		return t.scanSpan(gctx, ctx, rd, ov, vis, s, decs[w], len(req.Columns), func(row []any) error {
			return consume(w, p, row)
		})
	})
	st.RowsRead = rows
	return st, err
}

// runParts reads parts with workers goroutines: each takes the next
// partition and calls read on its spans in order. It returns the rows
// read, the first error (cancelling the others), or ctx's error when the
// statement was cancelled.
func (t *Table) runParts(ctx *sql.Context, parts []scanPart, workers int, read func(gctx context.Context, w, p int, s span) (int64, error)) (int64, error) {
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		rowsRead atomic.Int64
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		cancel()
	}
	work := func(w int) {
		defer func() {
			if r := recover(); r != nil {
				fail(fmt.Errorf("storage: scan of %s: panic: %v", t.m.def.Name, r))
			}
		}()
		var n int64
		defer func() { rowsRead.Add(n) }()
		for {
			p := int(next.Add(1) - 1)
			if p >= len(parts) || gctx.Err() != nil {
				return
			}
			for _, s := range parts[p].spans {
				read, err := read(gctx, w, p, s)
				n += read
				if err != nil {
					fail(err)
					return
				}
			}
		}
	}
	if workers == 1 {
		// One worker runs on the statement's goroutine: a goroutine to
		// wait for would add a handoff, and a wait for a processor, to
		// every small scan (a range of a few rows in one segment).
		work(0)
	} else {
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				work(w)
			}(w)
		}
		wg.Wait()
	}
	if firstErr != nil {
		return rowsRead.Load(), firstErr
	}
	// A cancelled statement (KILL QUERY, timeout) reports why.
	return rowsRead.Load(), ctx.Err()
}

// scanSpan reads one span of the primary data, decoding dec's columns and
// applying the span's residual key checks. It checks gctx every 256 rows.
func (t *Table) scanSpan(gctx context.Context, ctx *sql.Context, rd kv.Reader, ov *overlay, vis func(*wentry) *wentry, s span, dec *scanDecoder, width int, emit func([]any) error) (int64, error) {
	if bytes.Compare(s.start, s.end) >= 0 {
		return 0, nil
	}
	base, err := rd.NewIter(s.start, s.end)
	if err != nil {
		return 0, err
	}
	it := newMergedIter(base, ov, s.start, s.end, false, vis)
	defer it.close()
	var n int64
	row := dec.row
	for i := 0; it.next(); i++ {
		if i&255 == 0 {
			if err := gctx.Err(); err != nil {
				return n, err
			}
		}
		if err := dec.decode(it.key, it.value); err != nil {
			return n, err
		}
		ok := true
		for _, rc := range s.resid {
			m, err := rc.matches(ctx, row[dec.pos(rc.ord)])
			if err != nil {
				return n, err
			}
			if !m {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		n++
		if err := emit(row[:width]); err != nil {
			return n, err
		}
	}
	if err := it.close(); err != nil && !errors.Is(err, errTxnClosed) {
		return n, err
	}
	return n, nil
}

// scanDecoder decodes primary data entries into a reused row.
type scanDecoder struct {
	*rowDecoder
	row     []any
	keyVals []any
}

func newScanDecoder(m *tableMeta, need []int) (*scanDecoder, error) {
	d, err := newRowDecoder(m, need)
	if err != nil {
		return nil, err
	}
	return &scanDecoder{rowDecoder: d, row: make([]any, len(need)), keyVals: make([]any, len(m.pkCols))}, nil
}

// pos returns the row position of ordinal ord.
func (d *scanDecoder) pos(ord int) int {
	for i, o := range d.proj {
		if o == ord {
			return i
		}
	}
	return -1
}

func (d *scanDecoder) decode(key, value []byte) error {
	if err := d.dec.Decode(value, d.buf); err != nil {
		return fmt.Errorf("storage: table %s: %w", d.m.def.Name, err)
	}
	if d.needKey {
		rest := key[9:]
		for i, kc := range d.m.pkCols {
			if kc.decodable() {
				v, r, err := kc.decodeKey(rest, nil)
				if err != nil {
					return fmt.Errorf("storage: table %s: decode key: %w", d.m.def.Name, err)
				}
				d.keyVals[i], rest = v, r
				continue
			}
			n, err := keycodec.Skip(rest)
			if err != nil {
				return err
			}
			rest = rest[n:]
		}
	}
	for i := range d.proj {
		if s := d.valSlot[i]; s >= 0 {
			d.row[i] = d.buf[s]
		} else {
			d.row[i] = d.keyVals[d.keyPos[i]]
		}
	}
	return nil
}

// splitSpans groups spans into at most n partitions of contiguous key
// ranges, ascending. A single span (a table or one PK range) is cut at
// keys interpolated between its first and last keys.
func splitSpans(rd kv.Reader, spans []span, n int) ([]scanPart, error) {
	if len(spans) == 0 {
		return nil, nil
	}
	if n <= 1 {
		return []scanPart{{spans: spans}}, nil
	}
	if len(spans) >= n {
		parts := make([]scanPart, 0, n)
		per := (len(spans) + n - 1) / n
		for i := 0; i < len(spans); i += per {
			parts = append(parts, scanPart{spans: spans[i:min(i+per, len(spans))]})
		}
		return parts, nil
	}
	k := (n + len(spans) - 1) / len(spans)
	var parts []scanPart
	for _, s := range spans {
		cuts, err := spanCuts(rd, s, k)
		if err != nil {
			return nil, err
		}
		lo := s.start
		for _, c := range cuts {
			parts = append(parts, scanPart{spans: []span{{start: lo, end: c, resid: s.resid}}})
			lo = c
		}
		parts = append(parts, scanPart{spans: []span{{start: lo, end: s.end, resid: s.resid}}})
	}
	return parts, nil
}

// spanCuts returns up to k-1 ascending keys strictly inside s that cut it
// into pieces of about equal key distance between its first and last
// stored keys.
func spanCuts(rd kv.Reader, s span, k int) ([][]byte, error) {
	it, err := rd.NewIter(s.start, s.end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if !it.First() {
		return nil, it.Error()
	}
	first := append([]byte(nil), it.Key()...)
	if !it.Last() {
		return nil, it.Error()
	}
	last := append([]byte(nil), it.Key()...)
	p := 0
	for p < len(first) && p < len(last) && first[p] == last[p] {
		p++
	}
	a, b := be64(first[p:]), be64(last[p:])
	if b-a < uint64(k) {
		return nil, nil
	}
	step := (b - a) / uint64(k)
	cuts := make([][]byte, 0, k-1)
	for i := 1; i < k; i++ {
		c := append(append([]byte(nil), first[:p]...), binary.BigEndian.AppendUint64(nil, a+step*uint64(i))...)
		cuts = append(cuts, c)
	}
	return cuts, nil
}

// be64 reads up to 8 bytes as a big-endian number, zero-padded.
func be64(b []byte) uint64 {
	var buf [8]byte
	copy(buf[:], b)
	return binary.BigEndian.Uint64(buf[:])
}

// DescribeLookup renders a lookup for EXPLAIN: the index and its ranges.
func DescribeLookup(l *sql.IndexLookup) string {
	if l == nil {
		return "full table"
	}
	var b strings.Builder
	b.WriteString(l.Index.ID())
	b.WriteString(" ")
	if l.IsEmptyRange {
		b.WriteString("empty")
	} else if l.Ranges != nil {
		b.WriteString(l.Ranges.String())
	}
	return b.String()
}
