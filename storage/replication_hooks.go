package storage

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/lock"
)

// Replication records live under sys "replication" <name>. They belong to
// package replication (its configuration and applied position); storage
// only stores them.
func replicationKey(name string) []byte { return sysKey("replication", name) }

// PutReplicationRecord buffers a replication record in the transaction of
// ctx's statement. It lands in the same commit batch as every row that
// transaction wrote, so an applied binlog transaction and the position
// after it become durable together or not at all.
func (e *Engine) PutReplicationRecord(ctx *sql.Context, name string, value []byte) error {
	t := e.txnFor(ctx)
	if err := t.checkWritable(); err != nil {
		return err
	}
	key := replicationKey(name)
	if err := t.lockKey(ctx, key, lock.Exclusive); err != nil {
		return err
	}
	t.put(key, append([]byte(nil), value...))
	return nil
}

// DeleteReplicationRecord buffers the deletion of a replication record in
// the transaction of ctx's statement.
func (e *Engine) DeleteReplicationRecord(ctx *sql.Context, name string) error {
	t := e.txnFor(ctx)
	if err := t.checkWritable(); err != nil {
		return err
	}
	key := replicationKey(name)
	if err := t.lockKey(ctx, key, lock.Exclusive); err != nil {
		return err
	}
	t.del(key)
	return nil
}

// ReplicationRecord reads the last committed value of a replication record.
func (e *Engine) ReplicationRecord(name string) ([]byte, bool, error) {
	v, ok, err := e.kv.Get(replicationKey(name))
	if err != nil {
		return nil, false, fmt.Errorf("storage: read replication record %q: %w", name, err)
	}
	return v, ok, nil
}
