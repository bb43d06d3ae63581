package storage

import (
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/keycodec"
	"github.com/quarrydb/quarry/storage/kv"
	"github.com/quarrydb/quarry/storage/stats"
)

// statsStore keeps statistics records in the system keyspace.
type statsStore struct{ e *Engine }

func (s statsStore) key(k []byte) []byte { return append([]byte{prefixSys}, k...) }

func (s statsStore) Put(key, value []byte) error {
	return s.e.writeSys(func(b kv.Batch) error { return b.Set(s.key(key), value) })
}

func (s statsStore) Delete(key []byte) error {
	return s.e.writeSys(func(b kv.Batch) error { return b.Delete(s.key(key)) })
}

func (s statsStore) Scan(prefix []byte, fn func(key, value []byte) error) error {
	lo := s.key(prefix)
	it, err := s.e.kv.NewIter(lo, keycodec.PrefixEnd(lo))
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.Value()
		if err != nil {
			return err
		}
		if err := fn(it.Key()[1:], v); err != nil {
			return err
		}
	}
	return it.Error()
}

// StatsProvider returns the persisted statistics provider (ANALYZE TABLE).
func (e *Engine) StatsProvider() sql.StatsProvider { return e.stats }

func (e *Engine) dropTableStats(ctx *sql.Context, db, table string) {
	if ctx == nil {
		ctx = sql.NewEmptyContext()
	}
	if err := e.stats.DropStats(ctx, sql.StatQualifier{Database: db, Tab: table}, nil); err != nil {
		e.log.Warn("drop table statistics", "db", db, "table", table, "err", err)
	}
}

var _ stats.Store = statsStore{}
