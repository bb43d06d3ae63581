package storage

import (
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// tableTimes remembers when each table last had a committed write, for
// information_schema.TABLES.UPDATE_TIME. Like InnoDB's, it lives in memory
// only: after a restart UPDATE_TIME is NULL until the next write.
type tableTimes struct {
	mu      sync.Mutex
	updated map[uint32]int64 // table ID → Unix seconds
}

// writtenTables collects the table IDs of a commit batch's data keys. Keys
// arrive in order, so consecutive keys of one table cost one comparison.
type writtenTables struct {
	last uint32
	ids  []uint32
}

func (w *writtenTables) note(key string) {
	if len(key) < 5 || key[0] != prefixData {
		return
	}
	id := binary.BigEndian.Uint32([]byte(key[1:5]))
	if len(w.ids) > 0 && w.last == id {
		return
	}
	w.last = id
	w.ids = append(w.ids, id)
}

// noteWritten stamps the tables a durable commit wrote.
func (e *Engine) noteWritten(ids []uint32) {
	if len(ids) == 0 {
		return
	}
	now := time.Now().Unix()
	e.times.mu.Lock()
	if e.times.updated == nil {
		e.times.updated = make(map[uint32]int64)
	}
	for _, id := range ids {
		e.times.updated[id] = now
	}
	e.times.mu.Unlock()
}

// TableTimes returns a table's CREATE_TIME (creation or last DDL) and
// UPDATE_TIME (last committed write since the server started). A zero time
// means unknown; ok is false when the table does not exist.
func (e *Engine) TableTimes(db, table string) (created, updated time.Time, ok bool) {
	e.mu.RLock()
	s, found := e.dbs[strings.ToLower(db)]
	var m *tableMeta
	if found {
		m, found = s.tables[strings.ToLower(table)]
	}
	e.mu.RUnlock()
	if !found {
		return time.Time{}, time.Time{}, false
	}
	if m.def.Created != 0 {
		created = time.Unix(m.def.Created, 0)
	}
	e.times.mu.Lock()
	u := e.times.updated[m.id()]
	e.times.mu.Unlock()
	if u != 0 {
		updated = time.Unix(u, 0)
	}
	return created, updated, true
}
