package sqlserver

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/quarrydb/quarry/storage"
	"github.com/quarrydb/quarry/storage/rowcodec"
)

// Learned range reads. A learned plan (prepplan.go) that is a projection
// of plain columns over an index lookup of a Quarry table — sysbench's
// simple_ranges, an order system's page of orders by id — spent most of
// its time per row in GMS's executor: a boxed sql.Row per row from the
// storage iterator, the wrapping iterators, and GMS's per-value encoding
// from the boxed values. runRangeRead reads such a lookup with the
// storage's typed scans (the column cache, or typed decoding of the
// stored rows; storage.ScanColumns and ScanTyped) and encodes each value
// straight from its decoded bytes into the result.
//
// It answers as runLearnedPlan would through GMS's executor:
//   - the same rows in the same order: the typed scans read exactly what
//     the table's row iterator reads for the lookup (same snapshot, own
//     writes, key order), and refuse, before reading anything, every
//     lookup they could not (locking reads, secondary indexes, residual
//     key checks, reverse order); the statement then runs through GMS;
//     an ORDER BY or DISTINCT of plain columns sorts and deduplicates
//     them as GMS's operators would (rangesort.go);
//   - the same bytes per value: integers as NumberTypeImpl_.SQL formats
//     them, utf8mb4 strings (with a result character set that leaves
//     them unchanged) as StringType.SQL passes them, after the same
//     UTF-8 check; every other value through the canonical Go value and
//     the column type's SQL method, as GMS encodes it;
//   - what the executor's iterators do around the rows: the transaction
//     begun as PrepQueryPlanForExecution begins it, rows examined (the
//     counting iterator), the committing iterator's commit under
//     autocommit, ROW_COUNT and FOUND_ROWS (the tracked iterator), the
//     batches of resultBatch rows and the status flags (sendResult).
//
// Statements with one-row or show-warnings flags, and plans of any other
// shape, keep the executor.

// rangeReadOff makes learned range reads run through GMS's executor
// (tests compare the two).
var rangeReadOff atomic.Bool

// rangeReadRuns counts executions answered by runRangeRead (tests).
var rangeReadRuns atomic.Uint64

// rangeReadSorts counts the runs that sorted or deduplicated their rows,
// and rangeReadFallbacks the buffered reads handed back to the executor
// (tests).
var rangeReadSorts, rangeReadFallbacks atomic.Uint64

// rangeRead is how a learned plan's result is read and encoded; the same
// for every instantiation of the plan.
type rangeRead struct {
	cols []int // table ordinals (storage FullSchema) read, in decoder order
	out  []int // by output column: its position in cols
	dec  *rowcodec.TypedDecoder
	encs []valueEnc // by output column
	// The buffered part (rangesort.go); all zero when the rows stream.
	under, top []sortKey     // ORDER BY below and above the DISTINCT
	distinct   []distinctKey // by output column; nil without DISTINCT
	valCols    []int         // positions in cols whose canonical values cmpValue keys compare
	rowBound   int64         // bound of GMS's estimate of a row, before its bytes
	entries    int64         // buffered entries per row GMS's operators count
}

// valueEnc encodes one output column's decoded values.
type valueEnc struct {
	kind encKind
	typ  sql.Type // the result column's type
}

type encKind uint8

const (
	encValue    encKind = iota // the canonical Go value through typ.SQL
	encSigned                  // signed integer: decimal text of Slot.I
	encUnsigned                // unsigned integer: decimal text of Slot.I's bits
	encUTF8                    // utf8mb4 string passed unchanged: Slot.B
)

// rangeShape is a learned plan runRangeRead can answer: a projection of
// plain columns over an IndexedTableAccess of a Quarry table, optionally
// with an ORDER BY of plain columns between the two (order_ranges), or
// a DISTINCT, an ORDER BY, or both above the projection
// (distinct_ranges).
type rangeShape struct {
	top      *plan.Sort // above the DISTINCT or the projection
	distinct bool
	proj     *plan.Project
	under    *plan.Sort // between the projection and the table access
	ita      *plan.IndexedTableAccess
}

// buffered says that the rows are sorted or deduplicated before any is
// sent.
func (sh rangeShape) buffered() bool { return sh.top != nil || sh.distinct || sh.under != nil }

// rangeReadPlan returns p's parts when p has a rangeShape.
func rangeReadPlan(p sql.Node) (sh rangeShape, ok bool) {
	if s, ok := p.(*plan.Sort); ok {
		sh.top, p = s, s.Child
	}
	if d, ok := p.(*plan.Distinct); ok {
		sh.distinct, p = true, d.Child
	}
	if sh.proj, ok = p.(*plan.Project); !ok {
		return sh, false
	}
	p = sh.proj.Child
	if s, ok := p.(*plan.Sort); ok && sh.top == nil {
		sh.under, p = s, s.Child
	}
	sh.ita, ok = p.(*plan.IndexedTableAccess)
	if !ok || sh.ita.Table == nil || !sh.ita.IsStatic() {
		return sh, false
	}
	return sh, true
}

// newRangeRead works out how to read and encode p's result for a session
// whose result character set is charset; nil when p is not a range read
// it can answer.
func newRangeRead(p sql.Node, charset sql.CharacterSetID) *rangeRead {
	sh, ok := rangeReadPlan(p)
	if !ok {
		return nil
	}
	base, ok := learnableTable(sh.ita)
	if !ok {
		return nil
	}
	full, tsch, out := base.FullSchema(), sh.ita.Schema(), sh.proj.Schema()
	rr := &rangeRead{}
	// read returns the position in rr.cols of the table access's column
	// gf reads, adding it.
	read := func(gf *expression.GetField) (int, bool) {
		if gf.Index() < 0 || gf.Index() >= len(tsch) {
			return 0, false
		}
		col := tsch[gf.Index()]
		ord := full.IndexOfColName(col.Name)
		if ord < 0 || !strings.EqualFold(full[ord].Name, col.Name) || !full[ord].Type.Equals(col.Type) || !col.Type.Equals(gf.Type()) {
			return 0, false
		}
		if i := slices.Index(rr.cols, ord); i >= 0 {
			return i, true
		}
		rr.cols = append(rr.cols, ord)
		return len(rr.cols) - 1, true
	}
	for i, e := range sh.proj.Projections {
		if a, ok := e.(*expression.Alias); ok {
			e = a.Child
		}
		gf, ok := e.(*expression.GetField)
		if !ok || i >= len(out) || !out[i].Type.Equals(gf.Type()) {
			return nil
		}
		pos, ok := read(gf)
		if !ok {
			return nil
		}
		rr.out = append(rr.out, pos)
		rr.encs = append(rr.encs, valueEnc{kind: encKindOf(out[i].Type, charset), typ: out[i].Type})
	}
	if len(rr.out) == 0 || len(rr.out) != len(out) {
		return nil
	}
	if sh.buffered() && !rr.planBuffer(sh, full, tsch, out, read) {
		return nil
	}
	dec, ok := storage.TypedDecoderFor(base, rr.cols)
	if !ok {
		return nil
	}
	rr.dec = dec
	return rr
}

// encKindOf returns how values of a column of type t are encoded for a
// session whose result character set is charset.
func encKindOf(t sql.Type, charset sql.CharacterSetID) encKind {
	switch t := t.(type) {
	case types.NumberTypeImpl_:
		switch t.Type() {
		case sqltypes.Int8, sqltypes.Int16, sqltypes.Int24, sqltypes.Int32, sqltypes.Int64:
			return encSigned
		case sqltypes.Uint8, sqltypes.Uint16, sqltypes.Uint24, sqltypes.Uint32, sqltypes.Uint64:
			return encUnsigned
		}
	case types.StringType:
		// StringType.SQL's result charset: character_set_results, or the
		// column's own when that is unset or binary.
		if types.IsBinaryType(t) || t.CharacterSet() != sql.CharacterSet_utf8mb4 {
			return encValue
		}
		switch charset {
		case sql.CharacterSet_Unspecified, sql.CharacterSet_binary, sql.CharacterSet_utf8mb4:
			return encUTF8
		}
	}
	return encValue
}

// encode appends column i's value in s to buf as GMS's encoding of its
// canonical Go value would.
func (rr *rangeRead) encode(ctx *sql.Context, i int, s *rowcodec.Slot, buf *sql.ByteBuffer) (sqltypes.Value, error) {
	if s.Null {
		return sqltypes.NULL, nil
	}
	e := &rr.encs[i]
	var b []byte
	switch e.kind {
	case encSigned:
		b = strconv.AppendInt(buf.Get(), s.I, 10)
	case encUnsigned:
		b = strconv.AppendUint(buf.Get(), uint64(s.I), 10)
	case encUTF8:
		if !utf8.Valid(s.B) {
			return rr.encodeValue(ctx, i, s, buf) // GMS's error
		}
		b = append(buf.Get(), s.B...)
	default:
		return rr.encodeValue(ctx, i, s, buf)
	}
	buf.Grow(len(b))
	return sqltypes.MakeTrusted(e.typ.Type(), b), nil
}

func (rr *rangeRead) encodeValue(ctx *sql.Context, i int, s *rowcodec.Slot, buf *sql.ByteBuffer) (sqltypes.Value, error) {
	v, err := rr.dec.Value(rr.out[i], s)
	if err != nil {
		return sqltypes.Value{}, err
	}
	if v == nil {
		return sqltypes.NULL, nil
	}
	return toSQL(ctx, rr.encs[i].typ, buf, v)
}

// rangeReadFor returns how ps's instantiated plan p is read directly, or
// nil; the first instantiation decides for all (they share one shape).
func (ps *planStmt) rangeReadFor(p sql.Node) *rangeRead {
	if rangeReadOff.Load() {
		return nil
	}
	if !ps.rrKnown {
		ps.rr, ps.rrKnown = newRangeRead(p, ps.charset), true
	}
	return ps.rr
}

// runRangeRead answers the learned plan p (rangeReadFor's rr) with flags;
// done is false, with nothing sent, when the statement must run through
// GMS's executor instead (which finds the transaction this may have
// begun, as PrepQueryPlanForExecution leaves it). Rows it may have read
// by then are not counted anywhere: the executor reads them again.
func runRangeRead(sctx *sql.Context, c *mysql.Conn, rr *rangeRead, p sql.Node, flags *sql.QueryFlags, fields []*querypb.Field, callback func(*sqltypes.Result) error) (done bool, err error) {
	if flags.IsSet(sql.QFlagMax1Row) || flags.IsSet(sql.QFlagShowWarnings) {
		return false, nil
	}
	st := stmtOf(sctx)
	sh, ok := rangeReadPlan(p)
	if !ok {
		return false, nil
	}
	base, ok := storage.AsTable(sh.ita.Table)
	if !ok {
		return false, nil
	}
	var rb *rowBuffer
	if rr.buffered() {
		if rb = newRowBuffer(rr, st); rb == nil {
			return false, nil
		}
		defer rb.release()
	}
	if err := beginExecution(sctx, sctx.Session); err != nil {
		return true, err
	}
	lookup, err := sh.ita.GetLookup(sctx, nil)
	if err != nil {
		return false, nil
	}
	buf := sql.ByteBufPool.Get().(*sql.ByteBuffer)
	defer func() {
		buf.Reset()
		sql.ByteBufPool.Put(buf)
	}()
	b := newResultBatcher(c, fields, buf, callback, false)
	var examined, sent int64
	emit := func(row []rowcodec.Slot) error {
		out := b.vals.next(len(rr.out))
		for i, pos := range rr.out {
			v, err := rr.encode(sctx, i, &row[pos], buf)
			if err != nil {
				return err
			}
			out[i] = v
		}
		sent++
		return b.add(out)
	}
	consume := emit
	if rb != nil {
		consume = rb.add
	}
	ok, err = rr.scan(sctx, base, &lookup, func(row []rowcodec.Slot) error {
		examined++
		return consume(row)
	})
	if errors.Is(err, errRangeFallback) {
		rangeReadFallbacks.Add(1)
		return false, nil
	}
	if !ok && err == nil {
		return false, nil
	}
	if rb != nil && err == nil {
		rangeReadSorts.Add(1)
		err = rb.each(sctx, emit)
	}
	rangeReadRuns.Add(1)
	if st != nil {
		st.rowsExamined.Add(examined) // what countingIter counts
	}
	// The iterators' Close, even after an error: the committing
	// iterator's commit, then the tracked iterator's session values.
	cerr := commitAutocommit(sctx)
	sctx.SetLastQueryInfoInt(sql.RowCount, -1)
	sctx.SetLastQueryInfoInt(sql.FoundRows, sent)
	if err != nil {
		return true, err
	}
	if cerr != nil {
		return true, cerr
	}
	r, wrote := b.rest()
	return true, sendRest(sctx, c, r, wrote, callback)
}

// scan reads lookup's rows of rr.cols in key order into consume, through
// the column cache or else typed decoding; ok is false, with nothing
// read, when neither can serve the lookup.
func (rr *rangeRead) scan(sctx *sql.Context, base *storage.Table, lookup *sql.IndexLookup, consume func(row []rowcodec.Slot) error) (ok bool, err error) {
	req := storage.ScanRequest{Lookup: lookup, Columns: rr.cols, Parts: 1, Workers: 1}
	slots := make([]rowcodec.Slot, len(rr.cols))
	_, ok, err = storage.ScanColumns(sctx, base, req, rr.dec, func(_, _ int, cb *storage.ColBatch) error {
		if err := sctx.Err(); err != nil {
			return context.Cause(sctx)
		}
		for r := 0; r < cb.Rows; r++ {
			for i, v := range cb.Cols {
				v.Fill(r, &slots[i])
			}
			if err := consume(slots); err != nil {
				return err
			}
		}
		return nil
	})
	if ok || err != nil {
		return ok, err
	}
	_, ok, err = storage.ScanTyped(sctx, base, req, rr.dec, func(_, _ int, row []rowcodec.Slot) error {
		if err := sctx.Err(); err != nil {
			return context.Cause(sctx)
		}
		return consume(row)
	})
	return ok, err
}
