package storage

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage/kv"
)

// autoIncReserve is how many values are reserved durably ahead of use. After
// a crash the counter resumes at the reservation, so ids are never reused
// (MySQL 8 semantics) at the cost of a gap; a clean shutdown persists the
// exact next value.
const autoIncReserve = 1024

// autoIncState is one table's AUTO_INCREMENT counter. It lives outside
// transactions, like InnoDB's: values handed out are not returned on rollback.
type autoIncState struct {
	mu       sync.Mutex
	loaded   bool
	next     uint64 // next value to hand out
	reserved uint64 // values < reserved are durably reserved
}

func (e *Engine) autoIncFor(table uint32) (*autoIncState, error) {
	e.aiMu.Lock()
	st := e.autoinc[table]
	if st == nil {
		st = &autoIncState{}
		e.autoinc[table] = st
	}
	e.aiMu.Unlock()
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.loaded {
		v, ok, err := e.kv.Get(autoIncKey(table))
		if err != nil {
			return nil, err
		}
		st.next = 1
		if ok {
			if len(v) != 8 {
				return nil, fmt.Errorf("storage: corrupt auto_increment counter of table %d", table)
			}
			st.next = binary.BigEndian.Uint64(v)
		}
		st.reserved = st.next
		st.loaded = true
	}
	return st, nil
}

// reserveLocked makes sure values below upTo are durably reserved.
func (e *Engine) reserveLocked(table uint32, st *autoIncState, upTo uint64) error {
	if upTo <= st.reserved {
		return nil
	}
	r := upTo + autoIncReserve
	if r < upTo { // overflow
		r = ^uint64(0)
	}
	if err := e.writeSys(func(b kv.Batch) error {
		return b.Set(autoIncKey(table), binary.BigEndian.AppendUint64(nil, r))
	}); err != nil {
		return fmt.Errorf("storage: reserve auto_increment values: %w", err)
	}
	st.reserved = r
	return nil
}

// nextAutoInc implements GetNextAutoIncrementValue: with a nil given it
// allocates the next value; with an explicit value it moves the counter past it.
func (e *Engine) nextAutoInc(ctx *sql.Context, table uint32, given any) (uint64, error) {
	st, err := e.autoIncFor(table)
	if err != nil {
		return 0, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if given != nil {
		v, _, err := types.Uint64.Convert(ctx, given)
		if err != nil {
			return 0, err
		}
		g, _ := v.(uint64)
		if g == 0 {
			given = nil
		} else {
			if g >= st.next {
				st.next = g + 1
				if st.next == 0 { // wrapped at the top of uint64
					st.next = g
				}
				if err := e.reserveLocked(table, st, st.next); err != nil {
					return 0, err
				}
			}
			return g, nil
		}
	}
	v := st.next
	if err := e.reserveLocked(table, st, v+1); err != nil {
		return 0, err
	}
	st.next++
	return v, nil
}

func (e *Engine) peekAutoInc(table uint32) (uint64, error) {
	st, err := e.autoIncFor(table)
	if err != nil {
		return 0, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.next, nil
}

// RewindAutoIncrement moves the table's AUTO_INCREMENT counter back from
// after to before, if nothing moved it since: a statement drew values and
// then handed itself to another executor before writing, which draws them
// again. The durable reservation stays where it is (it is only a bound).
func (t *Table) RewindAutoIncrement(before, after uint64) error {
	st, err := t.e.autoIncFor(t.m.id())
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.next == after && before <= after {
		st.next = before
	}
	return nil
}

// setAutoInc implements ALTER TABLE ... AUTO_INCREMENT = v and TRUNCATE.
func (e *Engine) setAutoInc(table uint32, v uint64) error {
	st, err := e.autoIncFor(table)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if v == 0 {
		v = 1
	}
	st.next = v
	st.reserved = v
	return e.writeSys(func(b kv.Batch) error {
		return b.Set(autoIncKey(table), binary.BigEndian.AppendUint64(nil, v))
	})
}

func (e *Engine) dropAutoInc(table uint32) {
	e.aiMu.Lock()
	delete(e.autoinc, table)
	e.aiMu.Unlock()
}
