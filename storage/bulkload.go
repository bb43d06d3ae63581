package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/kv"
	"github.com/quarrydb/quarry/storage/lock"
)

// Bulk-loading statements (LOAD DATA). A statement that inserts a whole
// file is atomic, so its transaction would grow to millions of overlay
// entries, inserted one by one into a B-tree, scanned by the garbage
// collector and then written through the WAL and the memtable. When the
// statement is its transaction's only writer, its editor instead appends
// each row's data key and value, index entries and search-log key to flat
// runs (loadRuns); the commit sorts the runs and ingests them, with the
// row-count delta, as sstables in one atomic step (kv.Store.IngestWith).
//
// What stays as in the ordinary editor: duplicates are checked against the
// latest committed rows (and the statement's own), a failed row is undone
// (GMS's per-row checkpoints for IGNORE), and the rows are invisible to
// other transactions until the commit, which makes them durable at once
// (an ingest syncs its files and the manifest before it returns; a crash
// before leaves nothing).
//
// Locks. A million row locks cost a loader more than the rest of its
// storage work, so it reserves its keys instead: the load X-locks a
// per-table key (loadLockKey) for the rest of its transaction and
// registers its runs with the engine (loadRegistry); each row's data key
// is appended to the runs before the lock table is probed for it
// (lock.Manager.HeldByOther). Any other locker of a row of the table,
// once it holds its row lock, looks the key up in the runs of the
// table's registered loads (Txn.waitForLoads) and, if it is there,
// waits for a shared lock on the per-table key, that is for the load's
// transaction to end. Either the locker took its row lock before the
// probe (the loader sees it and waits for it with an ordinary lock), or
// after it, and then the reservation was visible. Lockers of other keys
// of the table never wait; two loads of one table run one after the
// other.
//
// The runs are a lazily materialised part of the overlay: anything else
// that uses the transaction (a read, another editor, a savepoint, a delete
// or update by the loading editor, as REPLACE does on a conflict) first
// moves them into the overlay (materializeLoad), and the transaction goes
// on as usual.
//
// Tables with unique secondary indexes, keyless and temporary tables are
// not loaded this way (their checks read the overlay).

// loadRuns holds the writes of a bulk-loading statement: entry j of every
// run belongs to the j-th row inserted.
type loadRuns struct {
	m   *tableMeta
	txn lock.TxnID
	// mu guards keys and seen against lookups by other transactions
	// (contains); the loader changes them under it and reads them freely.
	mu     sync.Mutex
	keys   entryRun   // data keys
	vals   entryRun   // row values
	idx    []entryRun // per m.indexes
	search entryRun   // search-log keys, if the table has a search index
	// ascending is true while data keys arrived in strictly increasing
	// order; then no duplicate among them is possible and seen is nil.
	ascending bool
	seen      map[string]int // data key -> row, once keys came out of order
	// registered is set once the table's load lock is held and the runs
	// are in the engine's loadRegistry (until the transaction ends).
	registered bool
}

// rows returns the number of complete rows in the runs.
func (r *loadRuns) rows() int { return r.vals.len() }

// reserve appends key (not among the runs) to the data keys.
func (r *loadRuns) reserve(key []byte) {
	n := r.keys.len()
	r.mu.Lock()
	if r.ascending && n > 0 && bytes.Compare(key, r.keys.key(n-1)) <= 0 {
		r.seen = make(map[string]int, n+1)
		for i := 0; i < n; i++ {
			r.seen[string(r.keys.key(i))] = i
		}
		r.ascending = false
	}
	r.keys.add(key)
	if r.seen != nil {
		r.seen[string(key)] = n
	}
	r.mu.Unlock()
}

// contains reports whether key is a data key of the runs (any goroutine).
func (r *loadRuns) contains(key []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen != nil {
		_, ok := r.seen[string(key)]
		return ok
	}
	n := r.keys.len()
	lo, hi := 0, n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if bytes.Compare(r.keys.key(mid), key) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo < n && bytes.Equal(r.keys.key(lo), key)
}

func (r *entryRun) len() int { return len(r.ends) }

func (r *entryRun) truncate(n int) {
	if n == 0 {
		r.buf, r.ends = r.buf[:0], r.ends[:0]
		return
	}
	r.buf, r.ends = r.buf[:r.ends[n-1]], r.ends[:n]
}

// BeginBulkLoad asks that the next inserter or replacer the statement of
// ctx opens on t write through sorted runs (see loadRuns). It reports
// false, changing nothing, when the table or the transaction does not
// allow it: the transaction already holds writes or savepoints, or the
// table is temporary, keyless or has a unique secondary index. The caller
// guarantees that nothing else in the statement writes or reads tables
// (no triggers, checked foreign keys or subqueries), and that the
// statement ends its transaction (autocommit).
func (t *Table) BeginBulkLoad(ctx *sql.Context) bool {
	m := t.m
	if m.temp != nil || m.keyless {
		return false
	}
	for _, im := range m.indexes {
		if im.unique {
			return false
		}
	}
	txn := t.e.txnFor(ctx)
	if txn.closed || txn.readOnly || txn.bulk || txn.load != nil || txn.hasWrites() || len(txn.savepoints) > 0 {
		return false
	}
	txn.loadWanted = m.id()
	return true
}

// BulkLoading reports whether ctx's transaction holds rows of a bulk load
// that the commit will ingest (tests).
func (t *Table) BulkLoading(ctx *sql.Context) bool {
	txn := t.e.txnFor(ctx)
	return txn.load != nil && txn.load.m.id() == t.m.id()
}

// takeLoad returns the runs for a new editor of m, if a bulk load of m
// was asked for and not yet started.
func (t *Txn) takeLoad(m *tableMeta) *loadRuns {
	if t.loadWanted == 0 || t.loadWanted != m.id() || t.load != nil {
		return nil
	}
	t.loadWanted = 0
	if t.hasWrites() {
		return nil
	}
	r := &loadRuns{m: m, txn: t.id, ascending: true, idx: make([]entryRun, len(m.indexes))}
	t.load = r
	t.loads = append(t.loads, r)
	return r
}

// bulkInsert is Insert for an editor loading through runs.
func (ed *editor) bulkInsert(ctx *sql.Context, row sql.Row) error {
	r := ed.txn.load
	key, err := ed.m.rowKey(row)
	if err != nil {
		return err
	}
	if !r.registered {
		if err := ed.txn.lockKey(ctx, loadLockKey(ed.m.id()), lock.Exclusive); err != nil {
			return err
		}
		ed.txn.e.loads.add(r)
		r.registered = true
	}
	n := r.keys.len()
	if n > 0 && !(r.ascending && bytes.Compare(key, r.keys.key(n-1)) > 0) {
		if r.seen == nil {
			r.mu.Lock()
			r.seen = make(map[string]int, n+1)
			for i := 0; i < n; i++ {
				r.seen[string(r.keys.key(i))] = i
			}
			r.ascending = false
			r.mu.Unlock()
		}
		if i, dup := r.seen[string(key)]; dup {
			old, err := ed.decodeFull(key, r.vals.key(i))
			if err != nil {
				return err
			}
			return sql.NewUniqueKeyErr(keyString(row, ed.m.pkOrd), true, old)
		}
	}
	// Reserve the key, then look for a lock on it (see Locks above).
	r.reserve(key)
	ok := false
	defer func() {
		if !ok {
			r.truncateKeys(n)
		}
	}()
	if ed.txn.e.locks.HeldByOther(ed.txn.id, key) {
		if err := ed.lock(ctx, key); err != nil {
			return err
		}
	}
	// Not among the statement's rows: check the committed ones.
	above, err := ed.t.e.aboveTail(ed.m.id(), key)
	if err != nil {
		return err
	}
	if !above {
		existing, found, err := ed.txn.e.kv.Get(key)
		if err != nil {
			return err
		}
		if found {
			old, err := ed.decodeFull(key, existing)
			if err != nil {
				return err
			}
			return sql.NewUniqueKeyErr(keyString(row, ed.m.pkOrd), true, old)
		}
	}
	val, err := ed.m.rowValue(row, 1)
	if err != nil {
		return err
	}
	// Every entry key is built before anything more is appended, so a
	// failure leaves the runs as they were.
	ed.entryBuf = ed.entryBuf[:0]
	ends := ed.entryEnds[:0]
	for _, im := range ed.m.indexes {
		ek, err := im.entryKey(ed.m, row, key)
		if err != nil {
			return err
		}
		ed.entryBuf = append(ed.entryBuf, ek...)
		ends = append(ends, len(ed.entryBuf))
	}
	ed.entryEnds = ends
	start := 0
	for i, end := range ends {
		r.idx[i].add(ed.entryBuf[start:end])
		start = end
	}
	if hasSearch(ed.m) {
		r.search.add(searchLogKey(ed.m, key))
	}
	r.vals.add(val)
	ok = true
	return nil
}

// truncateKeys drops the data keys from the n-th on.
func (r *loadRuns) truncateKeys(n int) {
	if n >= r.keys.len() {
		return
	}
	r.mu.Lock()
	if r.seen != nil {
		for i := n; i < r.keys.len(); i++ {
			delete(r.seen, string(r.keys.key(i)))
		}
	}
	r.keys.truncate(n)
	r.mu.Unlock()
}

// truncate drops the rows from the n-th on (a failed row or statement).
func (r *loadRuns) truncate(n int) {
	r.truncateKeys(n)
	if n >= r.vals.len() {
		return
	}
	r.vals.truncate(n)
	for i := range r.idx {
		r.idx[i].truncate(n)
	}
	if r.search.len() > 0 {
		r.search.truncate(n)
	}
}

// loadLockKey is the lock a bulk load of a table holds exclusively, and
// that lockers of its reserved keys wait for (see Locks above).
func loadLockKey(table uint32) []byte { return sysKeyU32("bulkload", table) }

// loadRegistry lists the registered bulk loads of the engine by table.
type loadRegistry struct {
	active atomic.Int32 // registered loads; lockers skip the lookup at 0
	mu     sync.Mutex
	by     map[uint32][]*loadRuns
}

func (g *loadRegistry) add(r *loadRuns) {
	g.mu.Lock()
	if g.by == nil {
		g.by = make(map[uint32][]*loadRuns)
	}
	g.by[r.m.id()] = append(g.by[r.m.id()], r)
	g.mu.Unlock()
	g.active.Add(1)
}

func (g *loadRegistry) remove(r *loadRuns) {
	g.mu.Lock()
	id := r.m.id()
	g.by[id] = slices.DeleteFunc(g.by[id], func(x *loadRuns) bool { return x == r })
	if len(g.by[id]) == 0 {
		delete(g.by, id)
	}
	g.mu.Unlock()
	g.active.Add(-1)
}

// reserving returns the loads of other transactions that reserved key.
func (g *loadRegistry) reserving(txn lock.TxnID, key []byte) []*loadRuns {
	if len(key) < 5 || key[0] != prefixData {
		return nil
	}
	table := binary.BigEndian.Uint32(key[1:5])
	g.mu.Lock()
	loads := slices.Clone(g.by[table])
	g.mu.Unlock()
	var out []*loadRuns
	for _, r := range loads {
		// Only data keys match: loaded tables have no unique indexes,
		// whose value keys are the other keys writers lock.
		if r.txn != txn && r.contains(key) {
			out = append(out, r)
		}
	}
	return out
}

// waitForLoads makes a locker of key, which it now holds, wait for the
// transactions whose bulk loads reserved key to end.
func (t *Txn) waitForLoads(ctx *sql.Context, key []byte) error {
	for _, r := range t.e.loads.reserving(t.id, key) {
		if err := t.lockKey(ctx, loadLockKey(r.m.id()), lock.Shared); err != nil {
			return err
		}
	}
	return nil
}

// materializeLoad moves a bulk load's rows into the overlay, where the
// rest of the transaction machinery sees them. Rows inserted before each
// open statement mark of the loading editor are placed before that mark,
// so rolling back to it still undoes exactly the rows after it.
func (t *Txn) materializeLoad() {
	r := t.load
	if r == nil {
		return
	}
	t.load = nil
	t.loadWanted = 0
	ed := t.loadEditor
	t.loadEditor = nil
	var marks []int
	if ed != nil {
		marks = ed.loadMarks
		ed.loadMarks = nil
	}
	t.e.counters.BulkLoadSpills.Add(1)
	// The rows' keys stay reserved (r stays registered) until the
	// transaction ends: they have no row locks.
	put := func(key, value []byte, del bool, stmt uint64) {
		e := &wentry{key: string(key), value: value, del: del, stmt: stmt}
		e.prev = t.ov.put(e)
		t.undo = append(t.undo, undoRec{key: e.key, prev: e.prev})
	}
	n := r.rows()
	row := 0
	for mi := 0; mi <= len(marks); mi++ {
		end := n
		if mi < len(marks) {
			end = min(marks[mi], n)
		}
		start := row
		for ; row < end; row++ {
			stmt := t.curStmt()
			put(r.keys.key(row), slices.Clone(r.vals.key(row)), false, stmt)
			for i := range r.idx {
				put(slices.Clone(r.idx[i].key(row)), nil, false, stmt)
			}
			if r.search.len() > 0 {
				put(slices.Clone(r.search.key(row)), nil, false, stmt)
			}
		}
		if row > start {
			t.addCount(r.m.id(), int64(row-start))
		}
		if mi < len(marks) {
			ed.marks[len(ed.marks)-len(marks)+mi] = t.mark()
		}
	}
}

// ingestLoad commits a transaction whose only writes are a bulk load's
// runs: it ingests them, each sorted (and written) on its own goroutine,
// with the row-count delta, in one atomic step.
func (t *Txn) ingestLoad() error {
	r := t.load
	t.load = nil
	n := r.rows()
	if n == 0 {
		return nil
	}
	table := r.m.id()
	// A stream is a run in key order: its own when it arrived sorted.
	type stream struct {
		key, value func(i int) []byte
		n          int
		sorted     bool
	}
	streams := []stream{{key: r.keys.key, value: r.vals.key, n: n, sorted: r.ascending}}
	for i := range r.idx {
		streams = append(streams, stream{key: r.idx[i].key, n: n})
	}
	if r.search.len() > 0 {
		streams = append(streams, stream{key: r.search.key, n: n})
	}
	// Runs cover disjoint key ranges (an index each), and so does the
	// row counter: order them by their first keys.
	slices.SortFunc(streams, func(a, b stream) int { return bytes.Compare(a.key(0), b.key(0)) })
	countKey := rowCountKey(table)
	var parts []func(w kv.IngestWriter) error
	counted := false
	count := func(w kv.IngestWriter) error { return w.AddInt64(countKey, int64(n)) }
	var maxKey []byte
	for _, s := range streams {
		if !counted && bytes.Compare(countKey, s.key(0)) < 0 {
			parts, counted = append(parts, count), true
		}
		isData := s.value != nil
		parts = append(parts, func(w kv.IngestWriter) error {
			var order []int
			if !s.sorted && !isAscending(s.n, s.key) {
				order = sortedOrder(s.n, s.key)
			}
			for i := 0; i < s.n; i++ {
				j := i
				if order != nil {
					j = order[i]
				}
				var v []byte
				if s.value != nil {
					v = s.value(j)
				}
				if err := w.Set(s.key(j), v); err != nil {
					return err
				}
			}
			if isData {
				last := s.n - 1
				if order != nil {
					last = order[last]
				}
				maxKey = slices.Clone(s.key(last))
			}
			return nil
		})
	}
	if !counted {
		parts = append(parts, count)
	}
	// The column cache sees the whole table as written until the
	// ingested files are visible (see colCache).
	cm := t.e.cc.beginTableCommit(table)
	// Search positions count the commits that write search log entries,
	// ingests included (see SearchPosition).
	searchLog := r.search.len() > 0
	if searchLog {
		t.e.spos.begun.Add(1)
	}
	t.e.rc.gate.RLock()
	err := t.e.kv.IngestWith(parts...)
	t.e.rc.gate.RUnlock()
	if searchLog {
		t.e.spos.done.Add(1)
	}
	cm.finishCommit(err == nil)
	if err != nil {
		return fmt.Errorf("storage: commit bulk load: %w", err)
	}
	t.e.counters.BulkLoads.Add(1)
	t.e.noteWritten([]uint32{table})
	t.e.raiseTails(map[uint32]string{table: string(maxKey)})
	t.e.noteCommitted(map[uint32]int64{table: int64(n)})
	return nil
}

func isAscending(n int, key func(int) []byte) bool {
	for i := 1; i < n; i++ {
		if bytes.Compare(key(i-1), key(i)) >= 0 {
			return false
		}
	}
	return true
}
