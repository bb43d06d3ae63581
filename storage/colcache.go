package storage

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/keycodec"
)

// The column cache keeps decoded column vectors (see ColVec) of primary
// key ranges ("segments", about segRows rows each) of the tables that
// analytic scans read (ScanColumns), so a repeated aggregation reads
// typed arrays instead of iterating and decoding Pebble rows. It is built
// lazily by those scans from the snapshot they read, for the columns they
// ask for, and bounded in memory (SetColumnCacheLimit) with LRU eviction.
//
// # Consistency
//
// A logical clock V (colCache.clock) orders commits and snapshots:
//
//   - every transaction reads V *before* it takes its Pebble snapshot
//     (Txn.snapV), so a commit whose V stamp is <= snapV was visible
//     before the snapshot was taken, hence is in it;
//   - a commit writing primary-data keys of a cached table registers its
//     keys as pending in the table cache *before* its batch is applied,
//     and, once the batch is visible (or failed), stamps every segment
//     containing one of them with mod = V.Add(1) and unregisters them;
//   - a segment's data records built, the snapV of the snapshot it was
//     read from.
//
// Invariant: a scan at snapshot S (S.snapV = s) may use a segment's data
// built at b only if, checked after both snapshots were taken, no pending
// commit has a key in the segment, mod <= min(s, b), and the scanning
// transaction has no buffered write in the segment's range. Then the
// segment's content at S equals its content at b: every commit that
// wrote the range and completed has a stamp <= mod, so it is visible to
// both snapshots; no commit is in flight; and any commit not yet
// registered gets its Pebble sequence number after both snapshots were
// taken, so neither sees it.
//
// Data also outlives writes to its segment. Each segment keeps a change
// record: the keys finished commits wrote in it, with their stamps, and
// lost, a stamp such that every finished commit that wrote the segment
// with a stamp > lost is in the record (an overflowing record, or a commit
// that may write any key, raises lost instead). A scan at s may use data
// built at b <= s when b >= lost and no pending commit may write any key
// of the table, by reading from its own snapshot the rows of the keys in
// the record and of pending commits, and the other rows from the data:
// a commit that wrote one of those other rows has a stamp <= b (so both
// snapshots see it) or is not registered yet (so neither does). Installing
// data built at b requires b >= lost and then drops the record's entries
// stamped <= b, raising lost to b.
//
// While a segment has data, its record also keeps the row each entry's
// commit wrote (within a byte budget). A scan at s takes a recorded row
// instead of reading it when the entry's stamp is <= s and no pending
// commit has the key: that commit is in the snapshot, and no later one
// that wrote the key is (it would be recorded with a larger stamp, be
// pending, or not be registered yet). Commits writing the same primary
// key are ordered by its X lock, which a commit holds until it is
// stamped, so the record's row for a key is the one of its latest stamp.
//
// Commits that were already past their registry check when a table cache
// was registered are not tracked. Registration therefore takes the commit
// gate exclusively (commits hold it shared from that check until their
// batch is visible), so those commits are visible when it returns, and
// then stamps every segment with floor = V.Add(1): a snapshot with
// snapV >= floor sees them all. Segments never have mod or lost < floor.
//
// A bulk load's ingest (Txn.ingestLoad) registers and stamps its whole
// table the same way (beginTableCommit). Writes that bypass transactions
// (writeSys deletes of a dropped table's
// keyspace) drop the table's cache; table IDs are never reused, and a
// table cache is bound to one tableMeta (a changed schema starts anew).
type colCache struct {
	// gate: commits writing primary data hold it shared from their
	// registry lookup until their batch is visible; registration holds it
	// exclusively.
	gate  sync.RWMutex
	clock atomic.Uint64

	// tables is the registry: an immutable map, replaced on change
	// (under mu), so commits read it without locking.
	tables atomic.Pointer[map[uint32]*tableCache]

	// mu serialises registration, installs and evictions; used is the
	// bytes of installed segment data.
	mu    sync.Mutex
	used  int64
	limit atomic.Int64
	tick  atomic.Int64 // LRU clock
	// segRows is the number of rows a segment aims at.
	segRows int
	// none is the registration of commits that touch no cached table
	// (shared: it is never modified).
	none ccCommit
}

// defaultSegmentRows is the number of rows a segment aims at: small
// enough that a steady stream of updates to random rows leaves most
// segments valid between two reports (a commit makes its segments stale
// whole), large enough for the per-segment work of a scan to vanish
// against its rows.
const defaultSegmentRows = 1 << 12

// defaultColumnCacheBytes is the default memory bound of the cache.
const defaultColumnCacheBytes = 1 << 30

// tableCache is the column cache of one table.
type tableCache struct {
	id    uint32
	m     *tableMeta
	floor uint64

	mu      sync.Mutex
	segs    []*segment // ascending, contiguous, covering the primary keyspace
	pending map[*ccCommit]struct{}
	dropped bool
}

// segment is a primary-key range [start, end) of a table.
type segment struct {
	start, end []byte
	mod        uint64
	data       *segData // nil: nothing cached
	// changed and lost are the change record (see colCache): changed
	// holds every finished commit's key in the segment stamped > lost.
	// rowBytes is the size of the recorded rows, unread the number of
	// entries without one.
	changed  []ccChange
	lost     uint64
	rowBytes int
	unread   int
	// rented is the number of rows that scans read from part of the
	// segment, without caching them, since it was last read whole (see
	// readWhole).
	rented int
	// building: a scan of part of the segment is reading it whole to
	// cache it; others read their parts meanwhile. builds counts the
	// whole reads in flight, for which the record keeps rows.
	building bool
	builds   int
	// merged counts the changed rows scans took instead of the data's
	// since it was installed (see compact).
	merged int
}

// ccRow is what a commit wrote at a primary key: the stored row value, or
// a delete.
type ccRow struct {
	val []byte
	del bool
}

// ccChange is a key a finished commit wrote, with the latest such
// commit's stamp and, when has, the row it wrote.
type ccChange struct {
	key   string
	stamp uint64
	row   ccRow
	has   bool
}

// recordLimits bound a segment's change record.
type recordLimits struct {
	keys     int // entries
	unread   int // entries without their row, which scans read one seek each
	bytes    int // recorded rows' values
	rowBytes int // one recorded row's value
}

// find returns the index of key's entry in s's change record, or where
// it would go. Holds tc.mu.
func (s *segment) find(key string) (int, bool) {
	return slices.BinarySearchFunc(s.changed, key, func(c ccChange, k string) int { return strings.Compare(c.key, k) })
}

// recordChange adds a commit's key, and the row it wrote (nil: not
// known), to s's change record (ascending by key, one entry per key), or
// raises lost past the whole record when it would exceed lim. The row is
// kept only while s has data or is being read whole, within lim's byte
// budget and a quarter of the data's size. Holds tc.mu.
func (s *segment) recordChange(key string, stamp uint64, row *ccRow, lim recordLimits) {
	budget := lim.bytes
	if s.data != nil {
		// The cache's limit counts the data, not the record.
		budget = min(budget, int(s.data.size/4))
	}
	var kept ccRow // what setRow keeps, when keep
	keep := row != nil && (s.data != nil || s.builds > 0) && len(row.val) <= lim.rowBytes && s.rowBytes+len(row.val) <= budget
	if keep {
		kept = *row
	}
	i, found := s.find(key)
	switch {
	case found && stamp > s.changed[i].stamp:
		s.changed[i].stamp = stamp
		s.setRow(&s.changed[i], kept, keep)
	case found:
		// Not the key's latest write (see colCache): its row is unknown.
		s.setRow(&s.changed[i], ccRow{}, false)
	case len(s.changed) < lim.keys:
		s.changed = slices.Insert(s.changed, i, ccChange{key: key, stamp: stamp})
		s.unread++
		s.setRow(&s.changed[i], kept, keep)
	default:
		s.forget(stamp)
		return
	}
	if s.unread > lim.unread {
		s.forget(stamp)
	}
}

// setRow sets entry c's recorded row (none unless has). Holds tc.mu.
func (s *segment) setRow(c *ccChange, row ccRow, has bool) {
	if c.has {
		s.rowBytes -= len(c.row.val)
		s.unread++
	}
	c.row, c.has = ccRow{}, false
	if has {
		c.row, c.has = row, true
		s.rowBytes += len(row.val)
		s.unread--
	}
}

// dropRows forgets the record's rows, keeping its keys (the segment's
// data is gone). Holds tc.mu.
func (s *segment) dropRows() {
	for i := range s.changed {
		s.setRow(&s.changed[i], ccRow{}, false)
	}
}

// forget empties s's change record, raising lost past everything it held
// and past stamp. Holds tc.mu.
func (s *segment) forget(stamp uint64) {
	s.lost = max(s.lost, stamp)
	for _, c := range s.changed {
		s.lost = max(s.lost, c.stamp)
	}
	s.changed, s.rowBytes, s.unread = nil, 0, 0
}

// prune drops the change record's entries stamped <= built, raising
// lost to built. Holds tc.mu.
func (s *segment) prune(built uint64) {
	s.lost = max(s.lost, built)
	s.keepChanges(func(c ccChange) bool { return c.stamp > built })
}

// keepChanges keeps the record's entries for which keep is true. Holds
// tc.mu.
func (s *segment) keepChanges(keep func(ccChange) bool) {
	kept := s.changed[:0]
	s.rowBytes, s.unread = 0, 0
	for _, c := range s.changed {
		if !keep(c) {
			continue
		}
		kept = append(kept, c)
		if c.has {
			s.rowBytes += len(c.row.val)
		} else {
			s.unread++
		}
	}
	clear(s.changed[len(kept):])
	s.changed = kept
}

// segData is the cached content of a segment at one snapshot.
type segData struct {
	built uint64
	// keys are the rows' primary keys without the index prefix, in
	// order: keyData[keyOff[i]:keyOff[i+1]].
	keyOff  []uint32
	keyData []byte
	cols    map[int]*ColVec // by table ordinal
	size    int64
	lastUse atomic.Int64
}

func (d *segData) rows() int { return len(d.keyOff) - 1 }

// mergeChanged walks rows [lo, hi) of d in key order with changed
// (ascending keys in that range) in place of d's rows of the same keys:
// run gets each run [from, to) of d's own rows, change each changed row
// in its place. It stops at the first error.
func (d *segData) mergeChanged(lo, hi, preLen int, changed []changedRow, run func(from, to int) error, change func(changedRow) error) error {
	for _, c := range changed {
		at := max(d.search([]byte(c.key), preLen), lo)
		if err := run(lo, at); err != nil {
			return err
		}
		lo = at
		if lo < hi && string(d.key(lo)) == c.key[preLen:] {
			lo++ // d's version of the row
		}
		if err := change(c); err != nil {
			return err
		}
	}
	return run(lo, hi)
}

func (d *segData) key(i int) []byte { return d.keyData[d.keyOff[i]:d.keyOff[i+1]] }

// search returns the first row whose key (with prefix pre stripped from
// k) is >= k.
func (d *segData) search(k []byte, preLen int) int {
	if len(k) < preLen {
		return 0
	}
	k = k[preLen:]
	return sort.Search(d.rows(), func(i int) bool { return bytes.Compare(d.key(i), k) >= 0 })
}

// ccCommit is one commit's registration: its primary keys per cached
// table.
type ccCommit struct {
	c       *colCache
	touches []ccTouch
}

type ccTouch struct {
	tc   *tableCache
	keys []string // ascending
	rows []ccRow  // what the commit writes at keys[i]
	// all: the commit may write any key of the table (a bulk load's
	// ingest); every segment counts as touched.
	all bool
}

func (c *colCache) registry() map[uint32]*tableCache {
	if p := c.tables.Load(); p != nil {
		return *p
	}
	return nil
}

// enabled reports whether scans may use the cache.
func (c *colCache) enabled() bool { return c.limit.Load() > 0 }

// beginCommit is called by a commit before its batch is applied, with
// the commit's keys and rows in ascending key order through each: it
// takes the gate shared and registers the primary keys of cached tables
// as pending. The returned commit must be finished (finishCommit) once
// the batch is visible or failed. The rows' values must not change
// afterwards.
func (c *colCache) beginCommit(each func(fn func(key string, row ccRow))) *ccCommit {
	c.gate.RLock()
	reg := c.registry()
	if len(reg) == 0 {
		return &c.none // no cached table: nothing to register or stamp
	}
	cm := &ccCommit{c: c}
	var cur *ccTouch
	var curID uint32
	haveCur := false
	each(func(key string, row ccRow) {
		id, ok := primaryKeyTable(key)
		if !ok {
			return
		}
		if !haveCur || id != curID {
			haveCur, curID, cur = true, id, nil
			if tc := reg[id]; tc != nil {
				cm.touches = append(cm.touches, ccTouch{tc: tc})
				cur = &cm.touches[len(cm.touches)-1]
			}
		}
		if cur != nil {
			cur.keys = append(cur.keys, key)
			cur.rows = append(cur.rows, row)
		}
	})
	for _, t := range cm.touches {
		t.tc.mu.Lock()
		t.tc.pending[cm] = struct{}{}
		t.tc.mu.Unlock()
	}
	return cm
}

// beginTableCommit is beginCommit for a commit that may write any
// primary key of table (a bulk load's ingest): while it is in flight no
// segment of the table is used, and it stamps them all.
func (c *colCache) beginTableCommit(table uint32) *ccCommit {
	c.gate.RLock()
	tc := c.registry()[table]
	if tc == nil {
		return &c.none
	}
	cm := &ccCommit{c: c, touches: []ccTouch{{tc: tc, all: true}}}
	tc.mu.Lock()
	tc.pending[cm] = struct{}{}
	tc.mu.Unlock()
	return cm
}

// finishCommit stamps the segments the commit wrote, records its keys
// (and, if visible, its rows) in their change records, and releases the
// gate. It runs after the batch is visible, or after it failed (then the
// stamps are merely conservative, and no row is recorded).
func (cm *ccCommit) finishCommit(visible bool) {
	if len(cm.touches) > 0 {
		m := cm.c.clock.Add(1)
		lim := cm.c.recordLimits()
		for i := range cm.touches {
			t := &cm.touches[i]
			tc := t.tc
			tc.mu.Lock()
			if t.all {
				for _, sg := range tc.segs {
					sg.mod = m
					sg.forget(m)
				}
			}
			j := 0
			for i, k := range t.keys {
				for j < len(tc.segs) && k >= string(tc.segs[j].end) {
					j++
				}
				if j < len(tc.segs) {
					var row *ccRow
					if visible {
						row = &t.rows[i]
					}
					tc.segs[j].mod = m
					tc.segs[j].recordChange(k, m, row, lim)
				}
			}
			delete(tc.pending, cm)
			tc.mu.Unlock()
		}
	}
	cm.c.gate.RUnlock()
}

// eachPending calls fn with the keys in [lo, hi) of registered commits,
// ascending per commit, until fn returns false; all reports whether a
// registered commit may write any key of the table (then fn is not
// called for it). Holds tc.mu.
func (tc *tableCache) eachPending(lo, hi []byte, fn func(key string) bool) (all bool) {
	for cm := range tc.pending {
		for _, t := range cm.touches {
			if t.tc != tc {
				continue
			}
			if t.all {
				return true
			}
			for i := sort.SearchStrings(t.keys, string(lo)); i < len(t.keys) && inSpan(t.keys[i], lo, hi); i++ {
				if !fn(t.keys[i]) {
					return false
				}
			}
		}
	}
	return false
}

// pendingIn reports whether a registered commit has a key in [start,
// end). Holds tc.mu.
func (tc *tableCache) pendingIn(start, end []byte) bool {
	found := false
	all := tc.eachPending(start, end, func(string) bool { found = true; return false })
	return all || found
}

// inSpan reports whether key k is in [lo, hi) (hi nil: unbounded).
func inSpan(k string, lo, hi []byte) bool {
	return k >= string(lo) && (hi == nil || k < string(hi))
}

// changedRow is a row a scan takes instead of the one in a segment's
// data: the change record's row, or, when read, its snapshot's.
type changedRow struct {
	key  string
	row  ccRow
	read bool
}

// usable returns the data of segment s if the invariant (see colCache)
// lets a scan at snapV use it, with the rows in [lo, hi) the scan must
// take instead of the data's (ascending, distinct keys; nil when the data
// holds every row as the snapshot has it), and how many of them it reads
// from its snapshot. Holds tc.mu.
func (tc *tableCache) usable(s *segment, snapV uint64, lo, hi []byte) (d *segData, changed []changedRow, reads int) {
	d = s.data
	if d == nil {
		return nil, nil, 0
	}
	if s.mod <= snapV && s.mod <= d.built && !tc.pendingIn(s.start, s.end) {
		return d, nil, 0
	}
	if d.built > snapV || s.lost > d.built {
		return nil, nil, 0
	}
	i, _ := s.find(string(lo))
	for ; i < len(s.changed) && inSpan(s.changed[i].key, lo, hi); i++ {
		if c := &s.changed[i]; c.stamp > d.built {
			changed = append(changed, changedRow{key: c.key, row: c.row, read: !c.has || c.stamp > snapV})
		}
	}
	recorded := len(changed)
	if tc.eachPending(lo, hi, func(k string) bool { changed = append(changed, changedRow{key: k, read: true}); return true }) {
		return nil, nil, 0
	}
	if len(changed) > recorded {
		// A pending commit's key is read: the snapshot may see it.
		slices.SortStableFunc(changed, func(a, b changedRow) int {
			if c := strings.Compare(a.key, b.key); c != 0 {
				return c
			}
			return cmpBool(b.read, a.read)
		})
		changed = slices.CompactFunc(changed, func(a, b changedRow) bool { return a.key == b.key })
	}
	for _, c := range changed {
		if c.read {
			reads++
		}
	}
	return d, changed, reads
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// readWhole says whether a scan that needs part of segment s, and cannot
// use its cached data, reads the whole segment (to cache it) or just the
// part. Rent or buy: parts are read ("rented") until the rows they read
// since the segment was last read whole reach its size, then the next
// scan reads it whole. A segment whose data a steady stream of commits
// keeps making unusable (its change record overflows) then costs at most
// about twice the rows its part reads would, and one that stays
// unchanged is cached after about twice the rows a whole read costs.
// (Scans of whole segments always read and cache them.) One scan of a
// part at a time reads a segment whole. Holds tc.mu.
func (tc *tableCache) readWhole(s *segment, segRows int) bool {
	if s.building {
		return false
	}
	size := segRows
	if s.data != nil {
		size = s.data.rows()
	}
	s.building = s.rented >= size
	return s.building
}

// building records that a scan reads s whole; built, that it is done
// (installed or not), and whether readWhole chose it. Hold tc.mu.
func (tc *tableCache) startBuild(s *segment) { s.builds++ }
func (tc *tableCache) built(s *segment, chosen bool) {
	s.builds--
	s.rented = 0
	if chosen {
		s.building = false
	}
}

// rent records that a scan read rows of part of segment s (see
// readWhole). Holds tc.mu.
func (tc *tableCache) rent(s *segment, rows int) { s.rented += rows }

// merge records that a scan took n changed rows instead of segment s's
// data, and says whether it should now compact the data (then it must
// call compact). Holds tc.mu.
func (tc *tableCache) merge(s *segment, n, after int) bool {
	s.merged += n
	if s.merged < after || s.building {
		return false
	}
	s.building = true
	return true
}

// compactAfter is how many changed rows scans take instead of a
// segment's data before one compacts it: about what a compaction costs,
// as a merged row costs a decode and a run of its own.
func (c *colCache) compactAfter() int { return max(c.segRows/4, 4) }

// compact folds the rows of segment s's change record into its data,
// without reading the store, when no commit is pending in it: the new
// data is the old with every recorded row stamped <= b in place, built at
// b, where b is at most the oldest open snapshot's snapV (so the data
// stays usable to every open transaction) and below any entry stamped >
// built that has no row. Every commit that wrote the segment with a
// stamp in (built, b] is in the record (lost <= built), and none is
// pending, so the new data is the segment's content at b, except at keys
// the record holds with stamps > b, whose rows scans never take from
// data built at b (see usable). t is the segment's table. Called by the
// scan that merge chose; it clears building, and reports whether it
// installed new data. (It walks the open transactions under tc.mu:
// Engine.txnMu is a leaf lock.)
func (c *colCache) compact(tc *tableCache, s *segment, t *Table) bool {
	tc.mu.Lock()
	defer func() {
		tc.mu.Lock()
		s.building = false
		tc.mu.Unlock()
	}()
	d := s.data
	if d == nil || tc.dropped || s.lost > d.built || tc.pendingIn(s.start, s.end) {
		tc.mu.Unlock()
		return false
	}
	b := min(t.e.oldestSnapV(), c.clock.Load())
	for _, ch := range s.changed {
		if ch.stamp > d.built && !ch.has {
			b = min(b, ch.stamp-1)
		}
	}
	var rows []changedRow
	for _, ch := range s.changed {
		if ch.stamp > d.built && ch.stamp <= b {
			rows = append(rows, changedRow{key: ch.key, row: ch.row})
		}
	}
	tc.mu.Unlock()
	if len(rows) == 0 {
		return false
	}
	cols := make([]int, 0, len(d.cols))
	for o := range d.cols {
		cols = append(cols, o)
	}
	slices.Sort(cols)
	sd := t.segDecoderFor(cols)
	if sd == nil {
		return false
	}
	src := make([]*ColVec, len(cols))
	for i, o := range cols {
		src[i] = d.cols[o]
	}
	bld := sd.builder(b, d.rows()+len(rows), false)
	for i, v := range src {
		if v.Dict != nil { // still worth one
			bld.bs[i] = newColBuilder(v.Class, d.rows()+len(rows), true)
		}
	}
	err := d.mergeChanged(0, d.rows(), sd.preLen, rows, func(from, to int) error {
		bld.copyRows(d, src, from, to)
		return nil
	}, func(c changedRow) error {
		if c.row.del {
			return nil
		}
		return bld.add([]byte(c.key), c.row.val)
	})
	if err != nil {
		return false // (scans report the row's decode error)
	}
	tc.mu.Lock()
	same := s.data == d
	tc.mu.Unlock()
	return same && c.install(tc, s, bld.finish())
}

// recordLimits bound a segment's change record. Scans read its entries
// without a row from Pebble, one seek each (about four row steps), so
// those stay a small part of the segment (changeLimit); the others cost a
// decode, as a read would, so the record may hold an eighth of the
// segment, with rows of up to 64 bytes per segment row on average. An
// overflow rebuilds the segment after at least that many writes to it.
func (c *colCache) recordLimits() recordLimits {
	return recordLimits{keys: max(c.segRows/8, 4), unread: c.changeLimit(), bytes: 64 * c.segRows, rowBytes: 4 << 10}
}

// changeLimit is the most entries of a change record scans read from
// Pebble; a scan of a whole segment also merges at most this many (past
// it, it rereads and caches the segment).
func (c *colCache) changeLimit() int { return max(c.segRows/64, 4) }

// table returns the cache of m's table, registering it (and laying out
// its segments) on first use; nil when the cache is off.
func (e *Engine) colTable(m *tableMeta) *tableCache {
	c := &e.cc
	if !c.enabled() || m.keyless {
		return nil
	}
	if tc := c.registry()[m.id()]; tc != nil && tc.m == m {
		return tc
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	reg := c.registry()
	if tc := reg[m.id()]; tc != nil && tc.m == m {
		return tc
	}
	if old := reg[m.id()]; old != nil {
		c.dropLocked(old)
		reg = c.registry()
	}
	tc := &tableCache{id: m.id(), m: m, pending: make(map[*ccCommit]struct{})}
	segs, err := e.layout(m)
	if err != nil {
		e.log.Warn("column cache: lay out segments", "table", m.def.Name, "err", err)
		return nil
	}
	tc.segs = segs
	next := make(map[uint32]*tableCache, len(reg)+1)
	for k, v := range reg {
		next[k] = v
	}
	next[m.id()] = tc
	// Commits past their registry lookup finish before the gate is ours;
	// later ones see tc.
	c.gate.Lock()
	c.tables.Store(&next)
	tc.floor = c.clock.Add(1)
	for _, s := range tc.segs {
		s.mod, s.lost = tc.floor, tc.floor
	}
	c.gate.Unlock()
	return tc
}

// layout cuts the table's primary keyspace into segments of about
// segRows rows of the committed data.
func (e *Engine) layout(m *tableMeta) ([]*segment, error) {
	pre := indexPrefix(m.id(), primaryIndexID)
	end := keycodec.PrefixEnd(pre)
	it, err := e.kv.NewIter(pre, end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var segs []*segment
	lo := pre
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
		if n%e.cc.segRows == 0 {
			k := append([]byte(nil), it.Key()...)
			k = append(k, 0) // cut just after this key
			segs = append(segs, &segment{start: lo, end: k})
			lo = k
		}
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	segs = append(segs, &segment{start: lo, end: end})
	return segs, nil
}

// dropColumnCache forgets a table's cache (its keyspace was deleted).
func (e *Engine) dropColumnCache(id uint32) {
	c := &e.cc
	c.mu.Lock()
	defer c.mu.Unlock()
	if tc := c.registry()[id]; tc != nil {
		c.dropLocked(tc)
	}
}

// dropLocked unregisters tc and frees its data; holds c.mu.
func (c *colCache) dropLocked(tc *tableCache) {
	reg := c.registry()
	next := make(map[uint32]*tableCache, len(reg))
	for k, v := range reg {
		if v != tc {
			next[k] = v
		}
	}
	c.tables.Store(&next)
	tc.mu.Lock()
	tc.dropped = true
	for _, s := range tc.segs {
		if s.data != nil {
			c.used -= s.data.size
			s.data = nil
			s.dropRows()
		}
	}
	tc.mu.Unlock()
}

// install stores d as segment s's data, splitting s when d holds many
// more rows than segRows, and evicts least recently used data to stay
// under the limit; false when it is not installed. d must hold s's
// whole range as a snapshot whose snapV is d.built has it, without
// buffered writes (see compact for the rows it may differ in).
func (c *colCache) install(tc *tableCache, s *segment, d *segData) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	limit := c.limit.Load()
	if d.size > limit/4 {
		return false
	}
	tc.mu.Lock()
	idx := -1
	for i, x := range tc.segs {
		if x == s {
			idx = i
			break
		}
	}
	if idx < 0 || tc.dropped || s.lost > d.built {
		// Replaced, dropped, or changed by a commit the record lost.
		tc.mu.Unlock()
		return false
	}
	// Columns of the old data stay if both versions hold the same content.
	if old := s.data; old != nil && s.mod <= old.built && s.mod <= d.built && !tc.pendingIn(s.start, s.end) {
		for o, v := range old.cols {
			if _, ok := d.cols[o]; !ok {
				d.cols[o] = v
				d.size += v.size()
			}
		}
	}
	tc.mu.Unlock()
	for c.used+d.size > limit {
		if !c.evictOneLocked(s) {
			break
		}
	}
	if c.used+d.size > limit {
		return false
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.dropped || idx >= len(tc.segs) || tc.segs[idx] != s {
		return false
	}
	if s.lost > d.built {
		return false // a commit the record lost, since the check above
	}
	if s.data != nil {
		c.used -= s.data.size
	}
	d.lastUse.Store(c.tick.Add(1))
	c.used += d.size
	s.prune(d.built)
	s.merged = 0
	n := d.rows()
	target := c.segRows
	if n < 2*target || len(d.cols) == 0 {
		s.data = d
		return true
	}
	// Split: pieces of target rows sharing d's vectors.
	var pieces []*segment
	lo := s.start
	for r := 0; r < n; r += target {
		hi := min(r+target, n)
		end := s.end
		if hi < n {
			end = append(indexPrefix(tc.id, primaryIndexID), d.key(hi)...)
		}
		pd := &segData{built: d.built, cols: make(map[int]*ColVec, len(d.cols))}
		pd.keyOff = make([]uint32, hi-r+1)
		base := d.keyOff[r]
		for i := r; i <= hi; i++ {
			pd.keyOff[i-r] = d.keyOff[i] - base
		}
		pd.keyData = d.keyData[base:d.keyOff[hi]]
		for o, v := range d.cols {
			pd.cols[o] = v.slice(r, hi)
		}
		pd.size = d.size * int64(hi-r) / int64(n)
		pd.lastUse.Store(d.lastUse.Load())
		piece := &segment{start: lo, end: end, mod: s.mod, data: pd, lost: s.lost, changed: slices.Clone(s.changed)}
		piece.keepChanges(func(c ccChange) bool { return inSpan(c.key, lo, end) })
		pieces = append(pieces, piece)
		lo = end
	}
	segs := make([]*segment, 0, len(tc.segs)+len(pieces)-1)
	segs = append(segs, tc.segs[:idx]...)
	segs = append(segs, pieces...)
	segs = append(segs, tc.segs[idx+1:]...)
	tc.segs = segs
	return true
}

// evictOneLocked frees the least recently used segment data other than
// keep's; false when there is none. Holds c.mu.
func (c *colCache) evictOneLocked(keep *segment) bool {
	var (
		bestTC  *tableCache
		bestSeg *segment
		best    int64
	)
	for _, tc := range c.registry() {
		tc.mu.Lock()
		for _, s := range tc.segs {
			if s == keep || s.data == nil {
				continue
			}
			if u := s.data.lastUse.Load(); bestSeg == nil || u < best {
				bestTC, bestSeg, best = tc, s, u
			}
		}
		tc.mu.Unlock()
	}
	if bestSeg == nil {
		return false
	}
	bestTC.mu.Lock()
	if bestSeg.data != nil {
		c.used -= bestSeg.data.size
		bestSeg.data = nil
		bestSeg.dropRows()
	}
	bestTC.mu.Unlock()
	return true
}

// SetColumnCacheLimit bounds the memory of the column cache in bytes;
// 0 turns it off and frees it. Lowering the limit evicts at once.
func (e *Engine) SetColumnCacheLimit(bytes int64) {
	c := &e.cc
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit.Store(max(bytes, 0))
	for c.used > c.limit.Load() {
		if !c.evictOneLocked(nil) {
			break
		}
	}
	if bytes <= 0 {
		for _, tc := range c.registry() {
			c.dropLocked(tc)
		}
	}
}

// ColumnCacheLimit returns the memory bound of the column cache.
func (e *Engine) ColumnCacheLimit() int64 { return e.cc.limit.Load() }

// ColumnCacheUsed returns the bytes the column cache holds.
func (e *Engine) ColumnCacheUsed() int64 {
	e.cc.mu.Lock()
	defer e.cc.mu.Unlock()
	return e.cc.used
}

// EngineOf returns the engine of a Quarry session.
func EngineOf(s sql.Session) (*Engine, bool) {
	if qs, ok := s.(*Session); ok && qs.e != nil {
		return qs.e, true
	}
	return nil, false
}
