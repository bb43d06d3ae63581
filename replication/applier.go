package replication

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// applier applies the events of one binlog stream. It is used by the
// replication goroutine only.
type applier struct {
	c      *Controller
	flavor string

	format mysql.BinlogFormat
	tables map[uint64]*mysql.TableMap
	cache  map[string]*targetTable

	// pos is the committed position; gtids is its parsed GTID set; file is
	// the binlog file the stream is in now.
	pos     Position
	gtids   mysql.GTIDSet
	file    string
	curGTID mysql.GTID

	sess sql.Session
	ctx  *sql.Context
	tx   sql.Transaction
	// inTxn: a source transaction is open; pending: complete source
	// transactions in tx not yet committed (the commit group).
	inTxn   bool
	pending int
	// evalCtx evaluates JSON expressions outside the applier's transaction.
	evalCtx *sql.Context
}

// targetTable is a replica table with its schema.
type targetTable struct {
	name    string
	tbl     sql.Table
	sch     sql.Schema
	autoInc int // ordinal of the AUTO_INCREMENT column, or -1
}

func newApplier(c *Controller, flavor string) (*applier, error) {
	a := &applier{c: c, flavor: flavor, tables: map[uint64]*mysql.TableMap{}, cache: map[string]*targetTable{}}
	if _, err := loadJSON(c.store, recPosition, &a.pos); err != nil {
		return nil, err
	}
	if a.pos.Flavor == "" {
		a.pos.Flavor = flavor
	}
	if a.pos.Flavor == flavor {
		set, err := parseGTIDSet(flavor, a.pos.GTIDSet)
		if err != nil {
			return nil, err
		}
		a.gtids = set
	}
	a.file = a.pos.File
	a.ctx = newCtx(c.store, context.Background())
	a.sess = a.ctx.Session
	a.evalCtx = newCtx(c.store, context.Background())
	return a, nil
}

func (a *applier) close() { a.rollback() }

func (a *applier) txSession() sql.TransactionSession { return a.sess.(sql.TransactionSession) }

// begin starts a source transaction: it opens the storage transaction,
// or, when that already holds complete source transactions (a commit
// group), marks a savepoint so a ROLLBACK undoes only this one.
func (a *applier) begin() error {
	if a.inTxn {
		return nil
	}
	a.inTxn = true
	if a.tx != nil {
		return a.txSession().CreateSavepoint(a.ctx, a.tx, groupSavepoint)
	}
	tx, err := a.txSession().StartTransaction(a.ctx, sql.ReadWrite)
	if err != nil {
		return err
	}
	a.ctx.SetTransaction(tx)
	a.tx = tx
	return nil
}

// groupSavepoint marks the start of the current source transaction inside
// a commit group.
const groupSavepoint = "quarry_replica_txn"

// rollback discards everything not yet committed, including a commit
// group; the stream restarts from the durable position.
func (a *applier) rollback() {
	if a.tx != nil {
		_ = a.txSession().Rollback(a.ctx, a.tx)
		a.tx = nil
		a.ctx.SetTransaction(nil)
	}
	a.inTxn, a.pending = false, 0
}

// rollbackSource undoes the current source transaction only (a ROLLBACK
// query event).
func (a *applier) rollbackSource() error {
	if !a.inTxn {
		return nil
	}
	a.inTxn, a.curGTID = false, nil
	if a.pending == 0 {
		a.rollback()
		return nil
	}
	return a.txSession().RollbackToSavepoint(a.ctx, a.tx, groupSavepoint)
}

// next returns the position after the event ev that ends a transaction.
func (a *applier) next(ev mysql.BinlogEvent) Position {
	p := a.pos
	p.Flavor = a.flavor
	if a.curGTID != nil && a.gtids != nil {
		a.gtids = a.gtids.AddGTID(a.curGTID)
		p.GTIDSet = a.gtids.String()
	}
	p.File = a.file
	if n := evNextPos(ev); n != 0 {
		p.Pos = n
	}
	return p
}

// maxGroup bounds how many source transactions one storage commit holds.
const maxGroup = 128

// commit ends a source transaction: the position after ev is written into
// the open storage transaction. Consecutive source transactions are
// grouped into one storage commit while more events are queued (flush),
// which saves an fsync per transaction; each group commits atomically with
// the position after its last transaction, so restarts stay exact.
func (a *applier) commit(ev mysql.BinlogEvent) error {
	if err := a.begin(); err != nil {
		return err
	}
	p := a.next(ev)
	if err := putJSON(a.ctx, a.c.store, recPosition, p); err != nil {
		return err
	}
	a.pos, a.curGTID, a.inTxn = p, nil, false
	a.pending++
	if a.pending >= maxGroup {
		return a.flush()
	}
	return nil
}

// flush commits the open commit group.
func (a *applier) flush() error {
	if a.tx == nil || a.inTxn || a.pending == 0 {
		return nil
	}
	tx, n := a.tx, a.pending
	a.tx, a.pending = nil, 0
	if err := a.txSession().CommitTransaction(a.ctx, tx); err != nil {
		return fmt.Errorf("commit of transactions ending at %s: %w", a.pos, err)
	}
	a.ctx.SetTransaction(nil)
	a.c.m.transactions.Add(float64(n))
	return nil
}

func (a *applier) savePosition() error {
	return a.c.commitRecords(newCtx(a.c.store, context.Background()), func(ctx *sql.Context) error {
		return putJSON(ctx, a.c.store, recPosition, a.pos)
	})
}

// handle applies one event.
func (a *applier) handle(ev mysql.BinlogEvent) error {
	if !ev.IsValid() {
		return errors.New("invalid binlog event received")
	}
	typ := evType(ev)
	if typ == evHeartbeat || typ == evHeartbeatV2 {
		return nil
	}
	if ts := ev.Timestamp(); ts != 0 {
		a.c.lagTS.Store(int64(ts))
	}
	if ev.IsFormatDescription() {
		f, err := ev.Format()
		if err != nil {
			return fmt.Errorf("format description event: %w", err)
		}
		a.format = f
		return nil
	}
	if typ == evRotate {
		file, _, err := rotateTarget(ev)
		if err != nil {
			return err
		}
		a.file = file
		return nil
	}
	if a.format.IsZero() {
		return fmt.Errorf("binlog event type %d arrived before the format description event", typ)
	}
	ev, _, err := ev.StripChecksum(a.format)
	if err != nil {
		return fmt.Errorf("binlog event type %d: %w", typ, err)
	}
	f := a.format
	switch {
	case ev.IsGTID():
		gtid, hasBegin, err := ev.GTID(f)
		if err != nil {
			return fmt.Errorf("GTID event: %w", err)
		}
		if a.inTxn {
			return fmt.Errorf("GTID %s arrived inside an unfinished transaction", gtid)
		}
		a.curGTID = gtid
		if hasBegin {
			return a.begin()
		}
		return nil
	case ev.IsXID():
		return a.commit(ev)
	case ev.IsQuery():
		q, err := ev.Query(f)
		if err != nil {
			return fmt.Errorf("query event: %w", err)
		}
		return a.query(ev, q)
	case ev.IsTableMap():
		tm, err := ev.TableMap(f)
		if err != nil {
			return fmt.Errorf("table map event: %w", err)
		}
		a.tables[ev.TableID(f)] = tm
		return nil
	case ev.IsWriteRows(), ev.IsUpdateRows(), ev.IsDeleteRows():
		return a.rows(ev)
	case ev.IsIntVar(), ev.IsRand(), ev.IsPreviousGTIDs():
		// Context of statement-based events, which are rejected themselves.
		return nil
	}
	switch typ {
	case evStop, evUserVar, evRowsQuery, evMariaAnnotate, evMariaCheckpoint, evMariaGTIDList:
		return nil
	case evAnonymousGTID:
		a.curGTID = nil
		return nil
	case evPartialUpdate:
		return errors.New("PARTIAL_UPDATE_ROWS_EVENT is not supported; set binlog_row_value_options='' on the source")
	case evTxnPayload:
		return errors.New("TRANSACTION_PAYLOAD_EVENT (binlog_transaction_compression=ON) is not supported")
	case evMariaStartEnc:
		return errors.New("encrypted binlogs are not supported")
	}
	if evFlags(ev)&flagIgnorable != 0 {
		return nil // the protocol says replicas may ignore it
	}
	return fmt.Errorf("unsupported binlog event type %d (binlog compression or an unknown event?)", typ)
}

func (a *applier) query(ev mysql.BinlogEvent, q mysql.Query) error {
	kind, name := classifyQuery(q.SQL)
	switch kind {
	case qkBegin:
		return a.begin()
	case qkCommit:
		return a.commit(ev)
	case qkRollback:
		return a.rollbackSource()
	case qkSavepoint:
		if err := a.begin(); err != nil {
			return err
		}
		return a.txSession().CreateSavepoint(a.ctx, a.tx, name)
	case qkRollbackTo:
		if a.tx == nil {
			return fmt.Errorf("%q outside a transaction", q.SQL)
		}
		return a.txSession().RollbackToSavepoint(a.ctx, a.tx, name)
	case qkRelease:
		if a.tx == nil {
			return nil
		}
		return a.txSession().ReleaseSavepoint(a.ctx, a.tx, name)
	case qkDML:
		return fmt.Errorf("statement-based event %q: Quarry replicates binlog_format=ROW only", truncate(q.SQL, 200))
	}
	return a.ddl(ev, q)
}

// ddl runs a DDL statement. Storage commits DDL by itself, so the position
// cannot share its batch: a marker holding the position after the DDL is
// committed first, and position plus marker removal after. A replay of the
// same DDL after a crash in between tolerates "already done" errors.
func (a *applier) ddl(ev mysql.BinlogEvent, q mysql.Query) error {
	if a.inTxn {
		return fmt.Errorf("DDL %q inside an open transaction", truncate(q.SQL, 200))
	}
	if err := a.flush(); err != nil {
		return err
	}
	target := a.next(ev)
	var marker Position
	hadMarker, err := loadJSON(a.c.store, recDDL, &marker)
	if err != nil {
		return err
	}
	replay := hadMarker && marker == target
	if err := a.c.commitRecords(newCtx(a.c.store, context.Background()), func(ctx *sql.Context) error {
		return putJSON(ctx, a.c.store, recDDL, target)
	}); err != nil {
		return err
	}
	ctx := newCtx(a.c.store, context.Background())
	if q.Database != "" {
		ctx.SetCurrentDatabase(q.Database)
	}
	if err := runQuery(ctx, a.c, q.SQL); err != nil {
		if !(replay && alreadyApplied(err)) {
			return fmt.Errorf("applying DDL %q (database %q): %w", truncate(q.SQL, 500), q.Database, err)
		}
		a.c.log.Warn("DDL was already applied before a restart", "query", truncate(q.SQL, 200), "err", err)
	}
	clear(a.cache)
	if err := a.c.commitRecords(newCtx(a.c.store, context.Background()), func(ctx *sql.Context) error {
		if err := putJSON(ctx, a.c.store, recPosition, target); err != nil {
			return err
		}
		return a.c.store.DeleteReplicationRecord(ctx, recDDL)
	}); err != nil {
		return err
	}
	a.pos, a.curGTID = target, nil
	a.c.m.transactions.Inc()
	return nil
}

func runQuery(ctx *sql.Context, c *Controller, query string) error {
	_, iter, _, err := c.eng.Query(ctx, query)
	if err != nil {
		return err
	}
	for {
		if _, err := iter.Next(ctx); err != nil {
			cerr := iter.Close(ctx)
			if err == io.EOF {
				return cerr
			}
			return err
		}
	}
}

// alreadyApplied reports errors a DDL gives when it already ran.
func alreadyApplied(err error) bool {
	switch {
	case sql.ErrTableAlreadyExists.Is(err), sql.ErrDatabaseExists.Is(err), sql.ErrTableNotFound.Is(err),
		sql.ErrDatabaseNotFound.Is(err), sql.ErrDuplicateKey.Is(err),
		sql.ErrTableColumnNotFound.Is(err), sql.ErrColumnExists.Is(err), sql.ErrIndexNotFound.Is(err):
		return true
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func (a *applier) table(db, name string) (*targetTable, error) {
	key := db + "\x00" + name
	if t, ok := a.cache[key]; ok {
		return t, nil
	}
	d, err := a.c.store.Provider().Database(a.ctx, db)
	if err != nil {
		return nil, fmt.Errorf("replicated table %s.%s: %w", db, name, err)
	}
	tbl, ok, err := d.GetTableInsensitive(a.ctx, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("replicated table %s.%s does not exist on the replica", db, name)
	}
	t := &targetTable{name: db + "." + name, tbl: tbl, sch: tbl.Schema(), autoInc: -1}
	for i, c := range t.sch {
		if c.AutoIncrement {
			t.autoInc = i
		}
	}
	a.cache[key] = t
	return t, nil
}

type rowEditor interface {
	sql.EditOpenerCloser
	sql.Closer
}

// rows applies a WRITE/UPDATE/DELETE_ROWS event through the table's
// editor as one statement of the open transaction.
func (a *applier) rows(ev mysql.BinlogEvent) error {
	f := a.format
	tm, ok := a.tables[ev.TableID(f)]
	if !ok {
		return fmt.Errorf("rows event for unknown table id %d (no table map event)", ev.TableID(f))
	}
	rows, err := ev.Rows(f, tm)
	if err != nil {
		return fmt.Errorf("rows event for %s.%s: %w", tm.Database, tm.Name, err)
	}
	t, err := a.table(tm.Database, tm.Name)
	if err != nil {
		return err
	}
	if len(t.sch) != len(tm.Types) {
		return fmt.Errorf("table %s has %d columns on the replica but %d on the source", t.name, len(t.sch), len(tm.Types))
	}
	if err := a.begin(); err != nil {
		return err
	}
	var ed rowEditor
	var apply func(r mysql.Row) error
	switch {
	case ev.IsWriteRows():
		it, ok := t.tbl.(sql.InsertableTable)
		if !ok {
			return fmt.Errorf("table %s is not insertable", t.name)
		}
		ins := it.Inserter(a.ctx)
		ed = ins
		apply = func(r mysql.Row) error {
			row, err := a.parseRow(tm, t, rows.DataColumns, r.NullColumns, r.Data)
			if err != nil {
				return err
			}
			if err := ins.Insert(a.ctx, row); err != nil {
				return err
			}
			if t.autoInc >= 0 && row[t.autoInc] != nil {
				if ai, ok := t.tbl.(sql.AutoIncrementTable); ok {
					if _, err := ai.GetNextAutoIncrementValue(a.ctx, row[t.autoInc]); err != nil {
						return err
					}
				}
			}
			a.c.m.rows.WithLabelValues("insert").Inc()
			return nil
		}
	case ev.IsUpdateRows():
		ut, ok := t.tbl.(sql.UpdatableTable)
		if !ok {
			return fmt.Errorf("table %s is not updatable", t.name)
		}
		up := ut.Updater(a.ctx)
		ed = up
		apply = func(r mysql.Row) error {
			old, err := a.parseRow(tm, t, rows.IdentifyColumns, r.NullIdentifyColumns, r.Identify)
			if err != nil {
				return err
			}
			row, err := a.parseRow(tm, t, rows.DataColumns, r.NullColumns, r.Data)
			if err != nil {
				return err
			}
			if err := up.Update(a.ctx, old, row); err != nil {
				return err
			}
			a.c.m.rows.WithLabelValues("update").Inc()
			return nil
		}
	default:
		dt, ok := t.tbl.(sql.DeletableTable)
		if !ok {
			return fmt.Errorf("table %s is not deletable", t.name)
		}
		del := dt.Deleter(a.ctx)
		ed = del
		apply = func(r mysql.Row) error {
			old, err := a.parseRow(tm, t, rows.IdentifyColumns, r.NullIdentifyColumns, r.Identify)
			if err != nil {
				return err
			}
			if err := del.Delete(a.ctx, old); err != nil {
				return err
			}
			a.c.m.rows.WithLabelValues("delete").Inc()
			return nil
		}
	}
	ed.StatementBegin(a.ctx)
	for _, r := range rows.Rows {
		if err := apply(r); err != nil {
			_ = ed.DiscardChanges(a.ctx, err)
			_ = ed.Close(a.ctx)
			return fmt.Errorf("applying a row to %s: %w", t.name, err)
		}
	}
	if err := ed.StatementComplete(a.ctx); err != nil {
		_ = ed.Close(a.ctx)
		return err
	}
	return ed.Close(a.ctx)
}

// parseRow decodes one row image into a full-schema row. present says
// which columns the image has; nulls is indexed by present column.
func (a *applier) parseRow(tm *mysql.TableMap, t *targetTable, present, nulls mysql.Bitmap, data []byte) (sql.Row, error) {
	row := make(sql.Row, len(t.sch))
	pos, vi := 0, 0
	for i, typ := range tm.Types {
		if !present.Bit(i) {
			return nil, fmt.Errorf("column %s of %s is missing from the row image; the source needs binlog_row_image=FULL", t.sch[i].Name, t.name)
		}
		isNull := nulls.Bit(vi)
		vi++
		if isNull {
			continue
		}
		col := t.sch[i]
		v, n, err := mysql.CellValue(data, pos, typ, tm.Metadata[i], signedness(col))
		if err != nil {
			return nil, fmt.Errorf("column %s of %s: %w", col.Name, t.name, err)
		}
		pos += n
		if row[i], err = a.convert(v, col); err != nil {
			return nil, fmt.Errorf("column %s of %s: %w", col.Name, t.name, err)
		}
	}
	return row, nil
}

// signedness tells CellValue whether an integer column is unsigned (the
// table map does not carry it).
func signedness(col *sql.Column) querypb.Type {
	switch col.Type.Type() {
	case querypb.Type_UINT8, querypb.Type_UINT16, querypb.Type_UINT24, querypb.Type_UINT32, querypb.Type_UINT64:
		return querypb.Type_UINT64
	}
	return querypb.Type_INT64
}

// convert turns a decoded binlog value into the column's GMS value.
func (a *applier) convert(v sqltypes.Value, col *sql.Column) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	var in any
	switch {
	case types.IsEnum(col.Type), types.IsSet(col.Type):
		n, err := strconv.ParseUint(v.ToString(), 10, 64)
		if err != nil {
			return nil, err
		}
		in = n
	case types.IsDecimal(col.Type):
		// vitess pads decimals with spaces, also after the sign.
		in = strings.ReplaceAll(v.ToString(), " ", "")
	case types.IsBit(col.Type):
		b := v.Raw()
		var n uint64
		for _, c := range b {
			n = n<<8 | uint64(c)
		}
		in = n
	case v.Type() == querypb.Type_EXPRESSION:
		// MySQL binary JSON, which vitess renders as a JSON_OBJECT(...)
		// expression: evaluate it.
		return a.evalJSON(v.ToString())
	case types.IsBinaryType(col.Type) || types.IsBlobType(col.Type):
		in = append([]byte(nil), v.Raw()...)
	default:
		in = v.ToString()
	}
	out, _, err := col.Type.Convert(a.ctx, in)
	if err != nil {
		return nil, fmt.Errorf("value %q for type %s: %w", truncate(v.ToString(), 100), col.Type, err)
	}
	return out, nil
}

func (a *applier) evalJSON(expr string) (any, error) {
	_, iter, _, err := a.c.eng.Query(a.evalCtx, "SELECT "+expr)
	if err != nil {
		return nil, fmt.Errorf("JSON value %s: %w", truncate(expr, 100), err)
	}
	row, err := iter.Next(a.evalCtx)
	cerr := iter.Close(a.evalCtx)
	if err != nil {
		return nil, err
	}
	if cerr != nil {
		return nil, cerr
	}
	return row[0], nil
}

// parseGTIDSet parses a GTID set of the flavor; "" is the empty set.
func parseGTIDSet(flavor, s string) (mysql.GTIDSet, error) {
	if strings.TrimSpace(s) == "" {
		if flavor == flavorMariaDB {
			return mysql.MariadbGTIDSet{}, nil
		}
		return mysql.Mysql56GTIDSet{}, nil
	}
	p, err := mysql.ParsePosition(flavor, s)
	if err != nil {
		return nil, fmt.Errorf("GTID set %q: %w", s, err)
	}
	return p.GTIDSet, nil
}
