package storage

import (
	"sync"
	"sync/atomic"
)

// objCacheMax bounds the stored-object cache; it is cleared when full.
const objCacheMax = 4096

// objCache caches stored-object records (views, triggers, procedures,
// events) by key, including their absence: the binder asks whether a name
// is a view for every table it resolves. Every record changes through
// writeSys, which invalidates the whole cache after its commit; gen stops a
// read that raced with a write from caching what it read.
type objCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]objRecord
	// lists holds the records under a prefix, in key order (listObjects:
	// GMS lists a database's triggers for every write statement).
	lists map[string][]objListEntry

	// sysGen counts system writes (see Engine.SystemGeneration).
	sysGen atomic.Uint64
}

type objListEntry struct{ key, val []byte }

type objRecord struct {
	val []byte
	ok  bool
}

// get returns the record at key, reading it with load on a miss.
func (c *objCache) get(key []byte, load func() ([]byte, bool, error)) ([]byte, bool, error) {
	c.mu.Lock()
	if r, hit := c.m[string(key)]; hit {
		c.mu.Unlock()
		return r.val, r.ok, nil
	}
	gen := c.gen
	c.mu.Unlock()
	v, ok, err := load()
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if c.m == nil || len(c.m) >= objCacheMax {
			c.m = make(map[string]objRecord)
		}
		c.m[string(key)] = objRecord{val: v, ok: ok}
	}
	c.mu.Unlock()
	return v, ok, nil
}

// list returns the records under prefix, reading them with load on a miss.
// The result is shared: callers must not modify it.
func (c *objCache) list(prefix []byte, load func() ([]objListEntry, error)) ([]objListEntry, error) {
	c.mu.Lock()
	if l, hit := c.lists[string(prefix)]; hit {
		c.mu.Unlock()
		return l, nil
	}
	gen := c.gen
	c.mu.Unlock()
	l, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if c.lists == nil || len(c.lists) >= objCacheMax {
			c.lists = make(map[string][]objListEntry)
		}
		c.lists[string(prefix)] = l
	}
	c.mu.Unlock()
	return l, nil
}

// invalidate drops every cached record; writeSys calls it after each commit.
func (c *objCache) invalidate() {
	c.sysGen.Add(1)
	c.mu.Lock()
	c.gen++
	c.m = nil
	c.lists = nil
	c.mu.Unlock()
}
