package storage

import (
	"bytes"
	"unsafe"

	"github.com/google/btree"

	"github.com/quarrydb/quarry/storage/kv"
)

// wentry is one buffered write of a transaction: a value or a tombstone.
type wentry struct {
	key   string
	value []byte
	del   bool
	// stmt is the statement that wrote it (0: none); prev is the entry it
	// replaced, so readers can skip writes of statements still running.
	stmt uint64
	prev *wentry
}

func wentryLess(a, b *wentry) bool { return a.key < b.key }

// overlay is a transaction's sorted write buffer. It is not safe for
// concurrent use; a transaction belongs to one session. The tree is made
// by the first write: most transactions of a read workload, and the
// one GMS begins before a BEGIN (which commits it unused), write nothing.
type overlay struct {
	t *btree.BTreeG[*wentry] // nil: empty
}

func newOverlay() *overlay { return &overlay{} }

func (o *overlay) get(key []byte) (*wentry, bool) {
	if o.t == nil {
		return nil, false
	}
	// The probe views key without copying it: the tree only compares it
	// and keeps neither the probe nor its key.
	return o.t.Get(&wentry{key: unsafe.String(unsafe.SliceData(key), len(key))})
}

// put installs e and returns the entry it replaced (nil if none).
func (o *overlay) put(e *wentry) *wentry {
	if o.t == nil {
		o.t = btree.NewG[*wentry](16, wentryLess)
	}
	prev, _ := o.t.ReplaceOrInsert(e)
	return prev
}

func (o *overlay) remove(key string) {
	if o.t != nil {
		o.t.Delete(&wentry{key: key})
	}
}

func (o *overlay) len() int {
	if o.t == nil {
		return 0
	}
	return o.t.Len()
}

// ascend calls fn on the entries in key order until it returns false.
func (o *overlay) ascend(fn func(*wentry) bool) {
	if o.t != nil {
		o.t.Ascend(fn)
	}
}

// firstGE returns the first entry with key >= k and < upper (nil upper = unbounded).
func (o *overlay) firstGE(k string, upper []byte) *wentry {
	var out *wentry
	if o.t == nil {
		return nil
	}
	o.t.AscendGreaterOrEqual(&wentry{key: k}, func(e *wentry) bool {
		if upper == nil || e.key < string(upper) {
			out = e
		}
		return false
	})
	return out
}

// lastLT returns the last entry with key < k (or the last entry if k is nil)
// and >= lower.
func (o *overlay) lastLT(k []byte, lower []byte) *wentry {
	var out *wentry
	visit := func(e *wentry) bool {
		if k != nil && e.key >= string(k) {
			return true
		}
		if e.key >= string(lower) {
			out = e
		}
		return false
	}
	if o.t == nil {
		return nil
	}
	if k == nil {
		o.t.Descend(visit)
	} else {
		o.t.DescendLessOrEqual(&wentry{key: string(k)}, visit)
	}
	return out
}

// mergedIter merges a base iterator with an overlay, hiding tombstones.
// Keys are returned in ascending order, or descending when reverse is set.
// Invariant: after every positioning call, base and ov point at the next
// candidate at or after (before, in reverse) the current key.
type mergedIter struct {
	base         kv.Iterator
	ov           *overlay // nil when the transaction has no writes
	lower, upper []byte
	reverse      bool
	// vis maps an overlay entry to the version this reader may see (nil:
	// none, read the base); nil vis sees every write.
	vis func(*wentry) *wentry

	baseOK bool
	ovCur  *wentry

	owner  *Txn // nil for iterators outside a transaction
	closed bool
	// snap is owner's snapshot base iterates, nil for current reads; a
	// closed scan leaves base to owner as its spare while that is the
	// transaction's snapshot.
	snap kv.Snapshot

	key   []byte
	value []byte // aliases buf or an overlay entry: never append to it
	buf   []byte // owned copy of the current base value
	err   error
}

func newMergedIter(base kv.Iterator, ov *overlay, lower, upper []byte, reverse bool, vis func(*wentry) *wentry) *mergedIter {
	if ov != nil && ov.len() == 0 {
		ov = nil
	}
	m := &mergedIter{base: base, ov: ov, lower: lower, upper: upper, reverse: reverse, vis: vis}
	if reverse {
		m.baseOK = base.Last()
		if ov != nil {
			m.ovCur = ov.lastLT(upper, lower)
		}
	} else {
		m.baseOK = base.First()
		if ov != nil {
			m.ovCur = ov.firstGE(string(lower), upper)
		}
	}
	return m
}

// next advances to the next visible key. It returns false at the end or on error.
func (m *mergedIter) next() bool {
	if m.closed {
		if m.err == nil {
			m.err = errTxnClosed // its transaction ended under it
		}
		return false
	}
	for {
		if !m.baseOK {
			if err := m.base.Error(); err != nil {
				m.err = err
				return false
			}
		}
		if m.ovCur != nil && m.vis != nil && m.vis(m.ovCur) == nil {
			m.stepOv() // invisible write: the base entry, if any, shows
			continue
		}
		if !m.baseOK && m.ovCur == nil {
			return false
		}
		useBase := false
		switch {
		case !m.baseOK:
		case m.ovCur == nil:
			useBase = true
		default:
			c := bytes.Compare([]byte(m.ovCur.key), m.base.Key())
			if m.reverse {
				c = -c
			}
			if c > 0 {
				useBase = true
			} else if c == 0 {
				m.stepBase() // the overlay shadows the base entry
			}
		}
		if useBase {
			v, err := m.base.Value()
			if err != nil {
				m.err = err
				return false
			}
			m.key = append(m.key[:0], m.base.Key()...)
			m.buf = append(m.buf[:0], v...)
			m.value = m.buf
			m.stepBase()
			return true
		}
		e := m.ovCur
		if m.vis != nil {
			e = m.vis(e)
		}
		m.stepOv()
		if e.del {
			continue
		}
		m.key = append(m.key[:0], e.key...)
		m.value = e.value
		return true
	}
}

func (m *mergedIter) stepBase() {
	if m.reverse {
		m.baseOK = m.base.Prev()
	} else {
		m.baseOK = m.base.Next()
	}
}

func (m *mergedIter) stepOv() {
	k := m.ovCur.key
	if m.reverse {
		m.ovCur = m.ov.lastLT([]byte(k), m.lower)
	} else {
		m.ovCur = m.ov.firstGE(k+"\x00", m.upper)
	}
}

// close is idempotent; closing again reports the error that ended it.
func (m *mergedIter) close() error {
	if m.closed {
		return m.err
	}
	m.closed = true
	if t := m.owner; t != nil {
		delete(t.iters, m)
		if m.snap != nil && m.snap == t.snap && t.spare == nil && m.err == nil && m.base.Error() == nil {
			t.spare = m.base
			m.base = nil
			return nil
		}
	}
	err := m.base.Close()
	if m.err != nil {
		return m.err
	}
	return err
}
