package storage

import (
	"errors"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/quarrydb/quarry/storage/lock"
)

// Metadata locks, MySQL's MDL in two modes, taken in the row-lock manager
// under keys of their own (mdlKey):
//
//   - A transaction takes a Shared lock on a table the first time it reads
//     or writes its rows (Txn.useTable) and holds it until it ends.
//   - A schema change takes an Exclusive lock on each table it changes
//     (Engine.lockForDDL), held until the DDL statement's implicit commit.
//     It waits for the transactions using the table, and new users queue
//     behind it, as in MySQL ("Waiting for table metadata lock"). The wait
//     is bounded by lock_wait_timeout (ER_LOCK_WAIT_TIMEOUT); cycles with
//     row locks are found by the same wait-for graph (ER_LOCK_DEADLOCK).
//
// Invariants:
//   - while a transaction holds its Shared lock on a table, the table's
//     definition (tableMeta) and keyspace do not change, so the buffered
//     writes it commits land in the current keyspace;
//   - a transaction writes through a table handle only if its tableMeta
//     is the current one once the Shared lock is taken, and reads through
//     an older one only if the keyspace (and the index it reads) is still
//     the same: a handle resolved before a schema change (a statement
//     planned before it, a cached plan) fails with ER_TABLE_DEF_CHANGED
//     instead of reading a dropped keyspace or writing without
//     maintaining a new index;
//   - a snapshot taken before a table was rewritten, or before one of its
//     indexes was built, is not used to read that keyspace: the read fails
//     with ER_TABLE_DEF_CHANGED, as InnoDB's does (see ddlEpoch).
//
// Temporary tables are private to their session and take no locks.

// mdlKey is the lock key of a table's metadata lock. Names are folded, as
// table names are in the catalog; prefixSys keeps it apart from row keys.
func mdlKey(db, table string) []byte {
	return sysKey("mdl", strings.ToLower(db), strings.ToLower(table))
}

// erTableDefChanged is MySQL's ER_TABLE_DEF_CHANGED (vitess has no name
// for it).
const erTableDefChanged = 1412

// ErrTableDefChanged is MySQL error 1412 (ER_TABLE_DEF_CHANGED).
func ErrTableDefChanged() error {
	return mysql.NewSQLError(erTableDefChanged, mysql.SSUnknownSQLState, "Table definition has changed, please retry transaction")
}

// useTable takes the transaction's Shared metadata lock on m's table (once
// per table definition) and checks that m can be used: for writes it must
// be the table's current definition, for reads it may be an older one of
// the same keyspace; and the transaction's snapshot must be able to read
// the keyspace.
func (t *Txn) useTable(ctx *sql.Context, m *tableMeta, write bool) error {
	if t.bulk || t.orphan || m.temp != nil {
		return nil
	}
	if t.usesTable(m) {
		return nil
	}
	key := m.lockKey
	if _, ok := t.ddlLocked[string(key)]; ok {
		// The schema change this transaction runs reads and writes the
		// table through handles of its own making.
		return nil
	}
	if err := t.acquire(ctx, key, lock.Shared, mdlWaitTimeout(ctx)); err != nil {
		return err
	}
	cur := t.e.currentOf(m)
	if cur != m {
		if write || cur == nil || cur.id() != m.id() {
			return ErrTableDefChanged()
		}
		// A read through an older definition of the same keyspace; not
		// recorded, so a write through it is checked again.
		if t.snapshotOlderThan(ctx, cur.dataEpoch) {
			return ErrTableDefChanged()
		}
		return nil
	}
	if t.snapshotOlderThan(ctx, m.dataEpoch) {
		return ErrTableDefChanged()
	}
	if t.mdl == nil {
		t.mdl = t.mdlBuf[:0]
	}
	t.mdl = append(t.mdl, m)
	return nil
}

// usesTable reports whether the transaction holds the metadata lock of m's
// table and has checked m (transactions use few tables: a list is cheaper
// than a map to create and search).
func (t *Txn) usesTable(m *tableMeta) bool {
	for _, u := range t.mdl {
		if u == m {
			return true
		}
	}
	return false
}

// readable reports whether m can be read in the transaction's snapshot
// without a metadata lock: it is the current definition, and the snapshot
// is not older than its keyspace.
func (t *Txn) readable(ctx *sql.Context, m *tableMeta) bool {
	if t.bulk || m.temp != nil || t.usesTable(m) {
		return true
	}
	return t.e.currentOf(m) == m && !t.snapshotOlderThan(ctx, m.dataEpoch)
}

// currentOf returns the current definition of m's table, nil if dropped.
func (e *Engine) currentOf(m *tableMeta) *tableMeta {
	e.mu.RLock()
	defer e.mu.RUnlock()
	_, cur, err := e.currentLocked(m)
	if err != nil {
		return nil
	}
	return cur
}

// checkIndexReadable fails a read through an index of m that has been
// dropped or rebuilt since m was read (a stale handle), and a snapshot
// read through an index built after the snapshot was taken (its entries
// are not in the snapshot).
func (t *Txn) checkIndexReadable(ctx *sql.Context, m *tableMeta, im *indexMeta, snapshotRead bool) error {
	if im == nil {
		return nil
	}
	if _, ddl := t.ddlLocked[string(m.lockKey)]; !ddl && !t.usesTable(m) && !t.bulk && m.temp == nil {
		cur := t.e.currentOf(m)
		if cur == nil || cur != m && !cur.hasLiveIndex(im) {
			return ErrTableDefChanged()
		}
	}
	if snapshotRead && t.snapshotOlderThan(ctx, im.builtEpoch) {
		return ErrTableDefChanged()
	}
	return nil
}

// hasLiveIndex reports whether m maintains an index with im's ID, built by
// the same schema change (so its entries are the ones im describes).
func (m *tableMeta) hasLiveIndex(im *indexMeta) bool {
	for _, x := range m.indexes {
		if x.def.ID == im.def.ID && x.builtEpoch == im.builtEpoch {
			return true
		}
	}
	return false
}

// snapshotOlderThan reports whether the snapshot this statement reads from
// was taken before the schema change numbered epoch (see ddlEpoch). A
// snapshot the statement has yet to take is never older.
func (t *Txn) snapshotOlderThan(ctx *sql.Context, epoch uint64) bool {
	if epoch == 0 || t.snap == nil || (t.iso == ReadCommitted && ctxPid(ctx) != t.snapPid) {
		return false
	}
	return t.snapDDL < epoch
}

// nextDDLEpoch numbers a schema change whose keyspace is now complete.
// Snapshots record the number before they are taken (Txn.snapDDL), so a
// snapshot with snapDDL >= n contains all of change n's data.
func (e *Engine) nextDDLEpoch() uint64 { return e.ddlEpoch.Add(1) }

// lockForDDL takes Exclusive metadata locks on the named tables of db for
// the schema change ctx's statement runs. MySQL commits the session's
// transaction before a DDL statement; GMS only commits after it, so the
// first lockForDDL of a statement commits the open transaction (a rewrite
// reads the committed rows, and it must not hold row locks while it
// waits). Contexts without a Quarry session (internal callers) take no
// locks.
func (e *Engine) lockForDDL(ctx *sql.Context, db string, tables ...string) error {
	if sessionOf(ctx) == nil {
		return nil
	}
	e.mu.RLock()
	var names []string
	for _, name := range tables {
		if tempTableLocked(ctx, db, name) == nil {
			names = append(names, name)
		}
	}
	e.mu.RUnlock()
	if len(names) == 0 {
		return nil
	}
	txn := e.txnFor(ctx)
	if txn.bulk || txn.orphan {
		return nil
	}
	if len(txn.ddlLocked) == 0 && len(txn.stmts) == 0 && isDDLStatement(ctx.Query()) &&
		(txn.hasWrites() || e.locks.Held(txn.id) > 0) {
		// The implicit commit before the statement: the transaction's
		// writes become durable and its locks are released (a DDL waiting
		// for a table while holding row locks others wait for would
		// deadlock). The statement goes on in a new transaction.
		if err := txn.commit(); err != nil {
			return err
		}
		txn = e.txnFor(ctx)
	}
	for _, name := range names {
		key := mdlKey(db, name)
		if err := txn.acquire(ctx, key, lock.Exclusive, mdlWaitTimeout(ctx)); err != nil {
			return err
		}
		if txn.ddlLocked == nil {
			txn.ddlLocked = make(map[string]struct{})
		}
		txn.ddlLocked[string(key)] = struct{}{}
	}
	return nil
}

// isDDLStatement reports whether the statement text q is a schema change
// (it starts with CREATE, ALTER, DROP, RENAME or TRUNCATE). GMS also
// changes definitions while running other statements (an INSERT resolves
// a foreign key declared before its parent table existed); those must not
// commit the transaction they run in.
func isDDLStatement(q string) bool {
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		if !strings.HasPrefix(q, "/*") {
			break
		}
		end := strings.Index(q[2:], "*/")
		if end < 0 {
			return false
		}
		q = q[2+end+2:]
	}
	n := 0
	for n < len(q) && (q[n] >= 'a' && q[n] <= 'z' || q[n] >= 'A' && q[n] <= 'Z') {
		n++
	}
	switch strings.ToLower(q[:n]) {
	case "create", "alter", "drop", "rename", "truncate":
		return true
	}
	return false
}

// acquire takes a lock, translating lock errors into MySQL errors; a
// deadlock victim has its whole transaction rolled back, as in InnoDB.
func (t *Txn) acquire(ctx *sql.Context, key []byte, mode lock.Mode, timeout time.Duration) error {
	err := t.e.locks.Acquire(ctx, t.id, key, mode, timeout)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, lock.ErrLockWaitTimeout):
		t.e.counters.LockWaitTimeouts.Add(1)
		return ErrLockWaitTimeout()
	case errors.Is(err, lock.ErrDeadlock):
		t.e.counters.Deadlocks.Add(1)
		t.rollbackAll()
		return ErrDeadlock()
	default: // includes ctx cancellation (KILL QUERY)
		return err
	}
}

// mdlWaitTimeout is lock_wait_timeout, MySQL's bound on metadata lock waits.
func mdlWaitTimeout(ctx *sql.Context) time.Duration {
	return varsOf(ctx).mdlWait
}

// inheritEpochs carries the keyspace and index epochs of old, a previous
// definition of the same table, to m (a metadata-only change keeps them).
func (m *tableMeta) inheritEpochs(old *tableMeta) {
	if old.id() != m.id() {
		return
	}
	m.dataEpoch = old.dataEpoch
	for _, im := range m.allIndexes() {
		for _, o := range old.allIndexes() {
			if o.def.ID == im.def.ID {
				im.builtEpoch = o.builtEpoch
			}
		}
	}
}

// markBuilt records that the entries of index id were built by schema
// change epoch.
func (m *tableMeta) markBuilt(id uint32, epoch uint64) {
	for _, im := range m.allIndexes() {
		if im.def.ID == id {
			im.builtEpoch = epoch
		}
	}
}

func (m *tableMeta) allIndexes() []*indexMeta {
	return append(append([]*indexMeta(nil), m.indexes...), m.disabled...)
}
