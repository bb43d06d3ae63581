package storage

import (
	"bytes"
	"sync"

	"github.com/quarrydb/quarry/storage/keycodec"
)

// Primary-key tails: the uniqueness check of an INSERT reads the key from
// the store, and appending inserts (AUTO_INCREMENT ids, dumps in key order,
// replicated inserts) always miss. The engine keeps, per table, an upper
// bound of the committed primary keys; a key above it cannot exist in the
// store, so the read is skipped.
//
// Invariant: once a tail is known, tail.max >= every primary key of the
// table in the store. It holds because
//   - a tail is loaded (the store's last key) under tail.mu, and commits
//     raise a known tail under tail.mu after their batch is visible, so a
//     commit racing with the load is either seen by the load or raises the
//     tail after it;
//   - the inserter holds the key's X lock, so no other transaction can
//     commit that key between the check and the insert;
//   - deletes never lower the tail (it stays an upper bound).
//
// Bulk transactions (table rewrites, index builds) take no locks, but they
// write only tables no other transaction can see yet.
type pkTails struct {
	mu sync.Mutex
	m  map[uint32]*pkTail
}

type pkTail struct {
	mu    sync.Mutex
	known bool
	max   []byte // nil: the table has no rows
}

func (p *pkTails) get(table uint32) *pkTail {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[uint32]*pkTail)
	}
	t := p.m[table]
	if t == nil {
		t = &pkTail{}
		p.m[table] = t
	}
	return t
}

// forget drops a table's tail (its keyspace was dropped or truncated).
func (p *pkTails) forget(table uint32) {
	p.mu.Lock()
	delete(p.m, table)
	p.mu.Unlock()
}

// aboveTail reports whether key, a primary key of table, is above every
// committed primary key of the table.
func (e *Engine) aboveTail(table uint32, key []byte) (bool, error) {
	t := e.tails.get(table)
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.known {
		pre := indexPrefix(table, primaryIndexID)
		it, err := e.kv.NewIter(pre, keycodec.PrefixEnd(pre))
		if err != nil {
			return false, err
		}
		if it.Last() {
			t.max = append([]byte(nil), it.Key()...)
		}
		err = it.Error()
		if cerr := it.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return false, err
		}
		t.known = true
	}
	return t.max == nil || bytes.Compare(key, t.max) > 0, nil
}

// raiseTails records the largest primary key each table of a commit wrote;
// the commit is visible in the store.
func (e *Engine) raiseTails(maxKeys map[uint32]string) {
	for table, k := range maxKeys {
		t := e.tails.get(table)
		t.mu.Lock()
		if t.known && (t.max == nil || bytes.Compare([]byte(k), t.max) > 0) {
			t.max = []byte(k)
		}
		t.mu.Unlock()
	}
}

// primaryKeyTable returns the table of a primary-index data key.
func primaryKeyTable(key string) (uint32, bool) {
	if len(key) < 9 || key[0] != prefixData {
		return 0, false
	}
	if key[5] != 0 || key[6] != 0 || key[7] != 0 || key[8] != 0 {
		return 0, false
	}
	return uint32(key[1])<<24 | uint32(key[2])<<16 | uint32(key[3])<<8 | uint32(key[4]), true
}
