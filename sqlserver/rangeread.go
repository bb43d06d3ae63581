package sqlserver

import (
	"context"
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
// shape, keep the executor. (The plan buffers no rows, so the statement's
// memory bound, which counts buffered rows, has nothing to count.)

// rangeReadOff makes learned range reads run through GMS's executor
// (tests compare the two).
var rangeReadOff atomic.Bool

// rangeReadRuns counts executions answered by runRangeRead (tests).
var rangeReadRuns atomic.Uint64

// rangeRead is how a learned plan's result is read and encoded; the same
// for every instantiation of the plan.
type rangeRead struct {
	cols []int // table ordinals (storage FullSchema) of the output columns
	dec  *rowcodec.TypedDecoder
	encs []valueEnc // by output column
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

// rangeReadPlan returns the projection and table access of p when p is a
// projection of plain columns over an IndexedTableAccess of a Quarry
// table.
func rangeReadPlan(p sql.Node) (*plan.Project, *plan.IndexedTableAccess, bool) {
	proj, ok := p.(*plan.Project)
	if !ok {
		return nil, nil, false
	}
	ita, ok := proj.Child.(*plan.IndexedTableAccess)
	if !ok || ita.Table == nil || !ita.IsStatic() {
		return nil, nil, false
	}
	return proj, ita, true
}

// newRangeRead works out how to read and encode p's result for a session
// whose result character set is charset; nil when p is not a range read
// it can answer.
func newRangeRead(p sql.Node, charset sql.CharacterSetID) *rangeRead {
	proj, ita, ok := rangeReadPlan(p)
	if !ok {
		return nil
	}
	base, ok := learnableTable(ita)
	if !ok {
		return nil
	}
	full, tsch, out := base.FullSchema(), ita.Schema(), proj.Schema()
	rr := &rangeRead{}
	for i, e := range proj.Projections {
		if a, ok := e.(*expression.Alias); ok {
			e = a.Child
		}
		gf, ok := e.(*expression.GetField)
		if !ok || gf.Index() < 0 || gf.Index() >= len(tsch) || i >= len(out) {
			return nil
		}
		col := tsch[gf.Index()]
		ord := full.IndexOfColName(col.Name)
		if ord < 0 || !strings.EqualFold(full[ord].Name, col.Name) || !full[ord].Type.Equals(col.Type) ||
			!col.Type.Equals(gf.Type()) || !out[i].Type.Equals(col.Type) {
			return nil
		}
		rr.cols = append(rr.cols, ord)
		rr.encs = append(rr.encs, valueEnc{kind: encKindOf(out[i].Type, charset), typ: out[i].Type})
	}
	if len(rr.cols) == 0 || len(rr.cols) != len(out) {
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
	v, err := rr.dec.Value(i, s)
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
// done is false, with nothing sent and nothing read, when the statement
// must run through GMS's executor instead (which finds the transaction
// this may have begun, as PrepQueryPlanForExecution leaves it).
func runRangeRead(sctx *sql.Context, c *mysql.Conn, rr *rangeRead, p sql.Node, flags *sql.QueryFlags, fields []*querypb.Field, callback func(*sqltypes.Result) error) (done bool, err error) {
	if flags.IsSet(sql.QFlagMax1Row) || flags.IsSet(sql.QFlagShowWarnings) {
		return false, nil
	}
	st := stmtOf(sctx)
	_, ita, ok := rangeReadPlan(p)
	if !ok {
		return false, nil
	}
	base, ok := storage.AsTable(ita.Table)
	if !ok {
		return false, nil
	}
	if err := beginExecution(sctx, sctx.Session); err != nil {
		return true, err
	}
	lookup, err := ita.GetLookup(sctx, nil)
	if err != nil {
		return false, nil
	}
	buf := sql.ByteBufPool.Get().(*sql.ByteBuffer)
	defer func() {
		buf.Reset()
		sql.ByteBufPool.Put(buf)
	}()
	b := newResultBatcher(c, fields, buf, callback, false)
	slots := make([]rowcodec.Slot, len(rr.cols))
	var rows int64
	emit := func(row []rowcodec.Slot) error {
		out := b.vals.next(len(rr.cols))
		for i := range row {
			v, err := rr.encode(sctx, i, &row[i], buf)
			if err != nil {
				return err
			}
			out[i] = v
		}
		rows++
		return b.add(out)
	}
	req := storage.ScanRequest{Lookup: &lookup, Columns: rr.cols, Parts: 1, Workers: 1}
	_, ok, err = storage.ScanColumns(sctx, base, req, rr.dec, func(_, _ int, cb *storage.ColBatch) error {
		if err := sctx.Err(); err != nil {
			return context.Cause(sctx)
		}
		for r := 0; r < cb.Rows; r++ {
			for i, v := range cb.Cols {
				v.Fill(r, &slots[i])
			}
			if err := emit(slots); err != nil {
				return err
			}
		}
		return nil
	})
	if !ok && err == nil {
		_, ok, err = storage.ScanTyped(sctx, base, req, rr.dec, func(_, _ int, row []rowcodec.Slot) error {
			if err := sctx.Err(); err != nil {
				return context.Cause(sctx)
			}
			return emit(row)
		})
	}
	if !ok && err == nil {
		return false, nil
	}
	rangeReadRuns.Add(1)
	if st != nil {
		st.rowsExamined.Add(rows) // what countingIter counts
	}
	// The iterators' Close, even after an error: the committing
	// iterator's commit, then the tracked iterator's session values.
	cerr := commitAutocommit(sctx)
	sctx.SetLastQueryInfoInt(sql.RowCount, -1)
	sctx.SetLastQueryInfoInt(sql.FoundRows, rows)
	if err != nil {
		return true, err
	}
	if cerr != nil {
		return true, cerr
	}
	r, sent := b.rest()
	return true, sendRest(sctx, c, r, sent, callback)
}
