package indexes

import (
	"container/list"
	"encoding/binary"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"weak"

	zap "github.com/blevesearch/zapx/v16"
)

// An idColumn is the document IDs (primary keys) of every document of one
// persisted zap segment, read once from its stored section into one
// buffer in document order. Reading a match's ID from the stored section
// is two dependent cache misses in the segment's mapping (the record's
// offset, then the record) and a varint parse; from the column it is one
// load from a dense array, which a large result reads in ascending
// document order. Segments are immutable, so a column never goes stale.
//
// Invariant: ends[d] is where document d's ID ends in data (ends is
// non-decreasing, ends[len(ends)-1] == len(data)); the IDs are Go memory
// that nothing writes again, so they are handed out without copying.
type idColumn struct {
	data []byte
	ends []uint32
}

func (c *idColumn) id(d uint32) []byte {
	start := uint32(0)
	if d > 0 {
		start = c.ends[d-1]
	}
	end := c.ends[d]
	return c.data[start:end:end]
}

func (c *idColumn) bytes() int64 { return int64(len(c.data)) + 4*int64(len(c.ends)) }

// buildIDColumn reads the IDs of all numDocs documents of a zap v16
// segment's memory mem whose stored-fields index is at index; ok is false
// when a record does not fit (the caller keeps the stored path).
func buildIDColumn(mem []byte, index, numDocs uint64) (col *idColumn, ok bool) {
	col = &idColumn{ends: make([]uint32, numDocs)}
	// A first guess at the IDs' size; append grows it if short.
	col.data = make([]byte, 0, 8*numDocs)
	for d := range numDocs {
		at := binary.BigEndian.Uint64(mem[index+8*d : index+8*d+8])
		id, ok := storedID(mem, at)
		if !ok || uint64(len(col.data))+uint64(len(id)) > math.MaxUint32 {
			return nil, false
		}
		col.data = append(col.data, id...)
		col.ends[d] = uint32(len(col.data))
	}
	col.data = col.data[:len(col.data):len(col.data)]
	return col, true
}

// idColumnCache holds the idColumns of recently searched segments, at
// most budget bytes of them, least recently used first out.
//
// A segment's column is built once the documents its searches have read
// through the stored section add up to a quarter of the segment (about
// the cost of the build, which reads every document sequentially; a
// random read costs several sequential ones), so a segment searched once
// for a handful of rows never gets one and the reads of a segment
// searched for many pay at most about twice what they would with a
// column from the start. A column larger than half the budget is never
// built.
//
// Entries are keyed by weak pointers: a segment that scorch has merged
// away and dropped is collected, and its entry (and column) with it.
type idColumnCache struct {
	mu        sync.Mutex
	budget    int64
	maxColumn int64 // the largest column built: budget/2
	used      int64 // bytes of the built columns
	entries   map[weak.Pointer[zap.Segment]]*idEntry
	lru       list.List // of *idEntry with a column, most recent first
}

type idEntry struct {
	key    weak.Pointer[zap.Segment]
	demand uint64        // documents read through the stored section
	col    *idColumn     // nil until built
	ready  chan struct{} // closed when a build started ends; nil before
	never  bool          // the column cannot or may not be built
	elem   *list.Element // in lru while col is set
}

// idColumnBudget is the default budget of the process's idColumnCache.
const idColumnBudget = 128 << 20

// idColumnMinDocs is the fewest documents of a segment that gets a column
// (smaller segments are cheap to read either way).
var idColumnMinDocs uint64 = 4 << 10

// idColumns is the process's cache (segments are shared by no index, but
// one budget bounds the memory of all of them).
var idColumns = newIDColumnCache(idColumnBudget)

// idColumnsOff makes segmentDocIDs read the stored section only (tests).
var idColumnsOff atomic.Bool

func newIDColumnCache(budget int64) *idColumnCache {
	return &idColumnCache{budget: budget, maxColumn: budget / 2, entries: map[weak.Pointer[zap.Segment]]*idEntry{}}
}

// column returns the column of segment zs (memory mem, stored-fields
// index at index, numDocs documents) for a read of want documents, or nil
// if the read is to go through the stored section: building it here when
// the segment's demand has reached its threshold, or waiting for a build
// another reader started.
func (c *idColumnCache) column(zs *zap.Segment, mem []byte, index, numDocs uint64, want int) *idColumn {
	if idColumnsOff.Load() || numDocs < idColumnMinDocs {
		return nil
	}
	key := weak.Make(zs)
	c.mu.Lock()
	e := c.entries[key]
	if e == nil {
		e = &idEntry{key: key}
		c.entries[key] = e
		runtime.AddCleanup(zs, c.drop, key)
	}
	switch {
	case e.col != nil:
		c.lru.MoveToFront(e.elem)
		c.mu.Unlock()
		return e.col
	case e.never:
		c.mu.Unlock()
		return nil
	case e.ready != nil:
		ready := e.ready
		c.mu.Unlock()
		<-ready
		c.mu.Lock()
		defer c.mu.Unlock()
		return e.col // nil if the build failed or was evicted already
	}
	e.demand += uint64(want)
	if e.demand < numDocs/4 {
		c.mu.Unlock()
		return nil
	}
	e.ready = make(chan struct{})
	c.mu.Unlock()

	col, ok := buildIDColumn(mem, index, numDocs)
	c.mu.Lock()
	defer c.mu.Unlock()
	defer close(e.ready)
	if !ok || col.bytes() > c.maxColumn {
		e.never = true
		return nil
	}
	if c.entries[key] != e {
		return col // the segment was dropped meanwhile: serve this read only
	}
	for c.used+col.bytes() > c.budget {
		c.evict(c.lru.Back().Value.(*idEntry))
	}
	e.col, e.elem = col, c.lru.PushFront(e)
	c.used += col.bytes()
	return col
}

// evict forgets e's column; its demand starts again from zero. c.mu is
// held.
func (c *idColumnCache) evict(e *idEntry) {
	c.lru.Remove(e.elem)
	c.used -= e.col.bytes()
	e.col, e.elem, e.ready, e.demand = nil, nil, nil, 0
}

// drop forgets the entry of a collected segment.
func (c *idColumnCache) drop(key weak.Pointer[zap.Segment]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil {
		return
	}
	if e.col != nil {
		c.evict(e)
	}
	delete(c.entries, key)
}

// stats reports the cache's entries and the bytes of its columns (tests).
func (c *idColumnCache) stats() (entries, columns int, used int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.lru.Len(), c.used
}
