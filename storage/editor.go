package storage

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/lock"
)

var (
	_ sql.InsertableTable    = (*Table)(nil)
	_ sql.UpdatableTable     = (*Table)(nil)
	_ sql.DeletableTable     = (*Table)(nil)
	_ sql.ReplaceableTable   = (*Table)(nil)
	_ sql.TruncateableTable  = (*Table)(nil)
	_ sql.AutoIncrementTable = (*Table)(nil)
)

// editor applies row changes to the statement's transaction. Every write
// X-locks the row key (and, for unique indexes, the indexed value) first;
// uniqueness is checked against the latest committed data plus the
// transaction's own writes, so concurrent inserts of one key serialise.
type editor struct {
	t     *Table
	m     *tableMeta
	txn   *Txn
	marks []mark
	stmts []uint64 // statements this editor began and has not ended
	// opened is set once the editor's transaction holds the table's
	// metadata lock (see Txn.useTable).
	opened bool

	// While the editor bulk-loads (txn.loadEditor), loadMarks[i] is the
	// number of rows in the runs when marks[i] was taken; entryBuf and
	// entryEnds are scratch space for a row's index entries.
	loadMarks []int
	entryBuf  []byte
	entryEnds []int
}

var _ sql.TableEditor = (*editor)(nil)

func (t *Table) newEditor(ctx *sql.Context, locking bool) *editor {
	txn := t.e.txnFor(ctx)
	if locking {
		if txn.lockingReads == nil {
			txn.lockingReads = make(map[uint32]uint64)
		}
		txn.lockingReads[t.m.id()] = ctxPid(ctx)
	}
	ed := &editor{t: t, m: t.m, txn: txn}
	if !locking && txn.takeLoad(t.m) != nil {
		txn.loadEditor = ed
	} else {
		txn.materializeLoad()
	}
	return ed
}

// loading reports whether the editor writes through bulk-load runs.
func (ed *editor) loading() bool { return ed.txn.load != nil && ed.txn.loadEditor == ed }

// Inserter implements sql.InsertableTable.
func (t *Table) Inserter(ctx *sql.Context) sql.RowInserter { return t.newEditor(ctx, false) }

// Updater implements sql.UpdatableTable. Reads of this table in the same
// statement become locking reads of the latest committed rows, as in InnoDB.
func (t *Table) Updater(ctx *sql.Context) sql.RowUpdater { return t.newEditor(ctx, true) }

// Deleter implements sql.DeletableTable.
func (t *Table) Deleter(ctx *sql.Context) sql.RowDeleter { return t.newEditor(ctx, true) }

// Replacer implements sql.ReplaceableTable.
func (t *Table) Replacer(ctx *sql.Context) sql.RowReplacer { return t.newEditor(ctx, false) }

// StatementBegin implements sql.EditOpenerCloser: it starts a statement
// (see Txn.stmts) and marks where to roll it back to.
func (ed *editor) StatementBegin(ctx *sql.Context) {
	if ed.loading() {
		ed.loadMarks = append(ed.loadMarks, ed.txn.load.rows())
	}
	ed.marks = append(ed.marks, ed.txn.mark())
	ed.stmts = append(ed.stmts, ed.txn.beginStmt())
}

// DiscardChanges implements sql.EditOpenerCloser: undo this statement's writes.
func (ed *editor) DiscardChanges(ctx *sql.Context, _ error) error {
	if ed.loading() {
		if n := len(ed.loadMarks); n > 0 {
			ed.txn.load.truncate(ed.loadMarks[n-1])
			ed.loadMarks = ed.loadMarks[:n-1]
		}
	}
	if n := len(ed.marks); n > 0 {
		ed.txn.rollbackTo(ed.marks[n-1])
		ed.marks = ed.marks[:n-1]
	}
	ed.endStmt()
	return nil
}

// StatementComplete implements sql.EditOpenerCloser.
func (ed *editor) StatementComplete(ctx *sql.Context) error {
	if ed.loading() {
		if n := len(ed.loadMarks); n > 0 {
			ed.loadMarks = ed.loadMarks[:n-1]
		}
	}
	if n := len(ed.marks); n > 0 {
		ed.marks = ed.marks[:n-1]
	}
	ed.endStmt()
	return nil
}

func (ed *editor) endStmt() {
	if n := len(ed.stmts); n > 0 {
		ed.txn.endStmt(ed.stmts[n-1])
		ed.stmts = ed.stmts[:n-1]
	}
}

// Close implements sql.Closer. A statement GMS never completed ends here.
func (ed *editor) Close(*sql.Context) error {
	for len(ed.stmts) > 0 {
		ed.endStmt()
	}
	return nil
}

// checkWritable refuses writes through an ended transaction and, except to
// temporary tables (which MySQL lets a READ ONLY transaction write), through
// a read-only one; the first write takes the table's metadata lock.
func (ed *editor) checkWritable(ctx *sql.Context) error {
	if ed.m.temp != nil && !ed.txn.closed {
		return nil
	}
	if err := ed.txn.checkWritable(); err != nil {
		return err
	}
	if !ed.opened {
		if err := ed.txn.useTable(ctx, ed.m, true); err != nil {
			return err
		}
		ed.opened = true
	}
	return nil
}

func (ed *editor) lock(ctx *sql.Context, key []byte) error {
	return ed.txn.lockKey(ctx, key, lock.Exclusive)
}

// Insert implements sql.RowInserter.
func (ed *editor) Insert(ctx *sql.Context, row sql.Row) error {
	if err := ed.checkWritable(ctx); err != nil {
		return err
	}
	if ed.loading() {
		return ed.bulkInsert(ctx, row)
	}
	key, err := ed.m.rowKey(row)
	if err != nil {
		return err
	}
	if err := ed.lock(ctx, key); err != nil {
		return err
	}
	if ed.m.keyless {
		existing, ok, err := ed.txn.get(ctx, key, editorRead)
		if err != nil {
			return err
		}
		return ed.insertKeyless(ctx, key, row, existing, ok)
	}
	existing, ok, err := ed.readForInsert(ctx, key)
	if err != nil {
		return err
	}
	if ok {
		old, err := ed.decodeFull(key, existing)
		if err != nil {
			return err
		}
		return sql.NewUniqueKeyErr(keyString(row, ed.m.pkOrd), true, old)
	}
	if err := ed.checkUnique(ctx, row, nil); err != nil {
		return err
	}
	val, err := ed.m.rowValue(row, 1)
	if err != nil {
		return err
	}
	ed.txn.put(key, val)
	ed.noteSearch(key)
	if err := ed.putIndexes(row, key); err != nil {
		return err
	}
	ed.txn.addCount(ed.m.id(), 1)
	return nil
}

// readForInsert reads the row at key, the primary key of a row about to be
// inserted, for the duplicate check: from the transaction's own writes,
// then from the store unless the key is above the table's committed
// primary keys (see pkTails).
func (ed *editor) readForInsert(ctx *sql.Context, key []byte) ([]byte, bool, error) {
	if e, ok := ed.txn.ov.get(key); ok {
		if e.del {
			return nil, false, nil
		}
		return e.value, true, nil
	}
	above, err := ed.t.e.aboveTail(ed.m.id(), key)
	if err != nil || above {
		return nil, false, err
	}
	return ed.txn.e.kv.Get(key)
}

func (ed *editor) insertKeyless(ctx *sql.Context, key []byte, row sql.Row, existing []byte, ok bool) error {
	if err := ed.checkUnique(ctx, row, nil); err != nil {
		return err
	}
	card := uint64(1)
	if ok {
		c, _, err := keylessCard(existing)
		if err != nil {
			return err
		}
		card = c + 1
	}
	val, err := ed.m.rowValue(row, card)
	if err != nil {
		return err
	}
	ed.txn.put(key, val)
	if !ok {
		// A new key: its search document appears. Another copy of an
		// existing row changes neither key nor content (the lookup repeats
		// the row by its count), so it needs no log entry.
		ed.noteSearch(key)
		if err := ed.putIndexes(row, key); err != nil {
			return err
		}
	}
	ed.txn.addCount(ed.m.id(), 1)
	return nil
}

// Update implements sql.RowUpdater.
func (ed *editor) Update(ctx *sql.Context, old, new sql.Row) error {
	if err := ed.checkWritable(ctx); err != nil {
		return err
	}
	ed.txn.materializeLoad()
	if ed.m.keyless {
		if err := ed.Delete(ctx, old); err != nil {
			return err
		}
		return ed.Insert(ctx, new)
	}
	oldKey, err := ed.m.rowKey(old)
	if err != nil {
		return err
	}
	newKey, err := ed.m.rowKey(new)
	if err != nil {
		return err
	}
	if err := ed.lock(ctx, oldKey); err != nil {
		return err
	}
	if _, ok, err := ed.txn.get(ctx, oldKey, editorRead); err != nil {
		return err
	} else if !ok {
		return sql.ErrDeleteRowNotFound.New()
	}
	pkChanged := string(oldKey) != string(newKey)
	if pkChanged {
		if err := ed.lock(ctx, newKey); err != nil {
			return err
		}
		if existing, ok, err := ed.txn.get(ctx, newKey, editorRead); err != nil {
			return err
		} else if ok {
			row, err := ed.decodeFull(newKey, existing)
			if err != nil {
				return err
			}
			return sql.NewUniqueKeyErr(keyString(new, ed.m.pkOrd), true, row)
		}
	}
	if err := ed.checkUnique(ctx, new, oldKey); err != nil {
		return err
	}
	for _, im := range ed.m.indexes {
		oe, err := im.entryKey(ed.m, old, oldKey)
		if err != nil {
			return err
		}
		ne, err := im.entryKey(ed.m, new, newKey)
		if err != nil {
			return err
		}
		if string(oe) != string(ne) {
			ed.txn.del(oe)
			ed.txn.put(ne, nil)
		}
	}
	if pkChanged {
		ed.txn.del(oldKey)
		ed.noteSearch(oldKey)
	}
	ed.noteSearch(newKey)
	val, err := ed.m.rowValue(new, 1)
	if err != nil {
		return err
	}
	ed.txn.put(newKey, val)
	return nil
}

// Delete implements sql.RowDeleter.
func (ed *editor) Delete(ctx *sql.Context, row sql.Row) error {
	if err := ed.checkWritable(ctx); err != nil {
		return err
	}
	ed.txn.materializeLoad()
	key, err := ed.m.rowKey(row)
	if err != nil {
		return err
	}
	if err := ed.lock(ctx, key); err != nil {
		return err
	}
	existing, ok, err := ed.txn.get(ctx, key, editorRead)
	if err != nil {
		return err
	}
	if !ok {
		return sql.ErrDeleteRowNotFound.New()
	}
	if ed.m.keyless {
		card, _, err := keylessCard(existing)
		if err != nil {
			return err
		}
		if card > 1 {
			val, err := ed.m.rowValue(row, card-1)
			if err != nil {
				return err
			}
			ed.txn.put(key, val)
			ed.txn.addCount(ed.m.id(), -1)
			return nil
		}
	}
	for _, im := range ed.m.indexes {
		ek, err := im.entryKey(ed.m, row, key)
		if err != nil {
			return err
		}
		ed.txn.del(ek)
	}
	ed.txn.del(key)
	ed.noteSearch(key)
	ed.txn.addCount(ed.m.id(), -1)
	return nil
}

func (ed *editor) putIndexes(row sql.Row, dataKey []byte) error {
	for _, im := range ed.m.indexes {
		ek, err := im.entryKey(ed.m, row, dataKey)
		if err != nil {
			return err
		}
		ed.txn.put(ek, nil)
	}
	return nil
}

// checkUnique enforces every unique secondary index for row. self is the
// data key of the row being updated (its own entries do not conflict).
// NULLs never conflict, as in MySQL.
func (ed *editor) checkUnique(ctx *sql.Context, row sql.Row, self []byte) error {
	for _, im := range ed.m.indexes {
		if !im.unique || im.hasNull(row) {
			continue
		}
		if err := ed.checkUniqueIndex(ctx, im, row, self); err != nil {
			return err
		}
	}
	return nil
}

// checkUniqueIndex locks the indexed value of row (so two transactions
// cannot both insert it) and fails if another row already holds it.
func (ed *editor) checkUniqueIndex(ctx *sql.Context, im *indexMeta, row sql.Row, self []byte) error {
	vk, err := im.valuesKey(row)
	if err != nil {
		return err
	}
	if err := ed.lock(ctx, vk); err != nil {
		return err
	}
	it, err := ed.txn.scan(ctx, vk, keycodec.PrefixEnd(vk), false, editorRead)
	if err != nil {
		return err
	}
	var conflict []byte
	for it.next() {
		dk, err := im.dataKey(ed.m, it.key)
		if err != nil {
			_ = it.close()
			return err
		}
		if self != nil && string(dk) == string(self) {
			continue
		}
		conflict = dk
		break
	}
	if err := it.close(); err != nil {
		return err
	}
	if conflict == nil {
		return nil
	}
	v, ok, err := ed.txn.get(ctx, conflict, editorRead)
	if err != nil {
		return err
	}
	var existing sql.Row
	if ok {
		if existing, err = ed.decodeFull(conflict, v); err != nil {
			return err
		}
	}
	return sql.NewUniqueKeyErr(keyString(row, im.ord), false, existing)
}

func (ed *editor) decodeFull(key, value []byte) (sql.Row, error) {
	d, err := newRowDecoder(ed.m, allOrdinals(len(ed.m.schema.Schema)))
	if err != nil {
		return nil, err
	}
	row, _, err := d.decode(key, value)
	return row, err
}

func allOrdinals(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// keylessCard reads the duplicate count that heads a keyless row value and
// returns it with the header's length.
func keylessCard(v []byte) (uint64, int, error) {
	c, n := binary.Uvarint(v)
	if n <= 0 {
		return 0, 0, fmt.Errorf("storage: corrupt keyless row header")
	}
	return c, n, nil
}

// keyString formats the values of the given ordinals the way duplicate-key
// errors print a key.
func keyString(row sql.Row, ords []int) string {
	vals := make([]string, len(ords))
	for i, o := range ords {
		vals[i] = fmt.Sprint(row[o])
	}
	return "[" + strings.Join(vals, ",") + "]"
}

// Truncate implements sql.TruncateableTable. GMS also routes DELETE without
// WHERE here, so it is transactional: rows are deleted one by one.
func (t *Table) Truncate(ctx *sql.Context) (int, error) {
	ed := t.newEditor(ctx, true)
	full := newTable(t.e, t.m)
	parts, err := full.Partitions(ctx)
	if err != nil {
		return 0, err
	}
	p, err := parts.Next(ctx)
	if err != nil {
		return 0, err
	}
	iter, err := full.PartitionRows(ctx, p)
	if err != nil {
		return 0, err
	}
	defer iter.Close(ctx)
	n := 0
	for {
		row, err := iter.Next(ctx)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if err := ed.Delete(ctx, row); err != nil {
			return n, err
		}
		n++
	}
}

// PeekNextAutoIncrementValue implements sql.AutoIncrementGetter.
func (t *Table) PeekNextAutoIncrementValue(ctx *sql.Context) (uint64, error) {
	return t.e.peekAutoInc(t.m.id())
}

// GetNextAutoIncrementValue implements sql.AutoIncrementTable.
func (t *Table) GetNextAutoIncrementValue(ctx *sql.Context, insertVal interface{}) (uint64, error) {
	return t.e.nextAutoInc(ctx, t.m.id(), insertVal)
}

// AutoIncrementSetter implements sql.AutoIncrementTable.
func (t *Table) AutoIncrementSetter(ctx *sql.Context) sql.AutoIncrementSetter {
	return autoIncSetter{t: t}
}

type autoIncSetter struct{ t *Table }

func (s autoIncSetter) SetAutoIncrementValue(ctx *sql.Context, v uint64) error {
	return s.t.e.setAutoInc(s.t.m.id(), v)
}

func (s autoIncSetter) AcquireAutoIncrementLock(ctx *sql.Context) (func(), error) {
	return func() {}, nil
}

func (s autoIncSetter) Close(*sql.Context) error { return nil }

// autoinc helpers for editors.
var _ sql.AutoIncrementSetter = autoIncSetter{}

// Editors also forward auto-increment calls (GMS asks the editor when the
// table is wrapped).
func (ed *editor) SetAutoIncrementValue(ctx *sql.Context, v uint64) error {
	return autoIncSetter{t: ed.t}.SetAutoIncrementValue(ctx, v)
}

func (ed *editor) AcquireAutoIncrementLock(ctx *sql.Context) (func(), error) {
	return autoIncSetter{t: ed.t}.AcquireAutoIncrementLock(ctx)
}
