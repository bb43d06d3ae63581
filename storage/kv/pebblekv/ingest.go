package pebblekv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// ingestFileBytes is the size at which Ingest starts a new sstable.
const ingestFileBytes = 64 << 20

// Ingest implements kv.Store: fill's pairs are written to sstables in a
// scratch directory of the store and ingested in one step, so they reach
// the LSM's lowest free level without passing through the memtable, the
// WAL or compactions. Ingesting a span that overlaps the memtable flushes
// it first; overlapping sstables land in a level above them.
func (s *Store) Ingest(fill func(add func(key, value []byte) error) error) (err error) {
	tmp, err := os.MkdirTemp(s.dir, "ingest-")
	if err != nil {
		return fmt.Errorf("pebblekv: ingest: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(tmp); err == nil && rerr != nil {
			err = fmt.Errorf("pebblekv: ingest: %w", rerr)
		}
	}()
	var (
		paths []string
		w     *sstable.Writer
		last  []byte
	)
	closeFile := func() error {
		if w == nil {
			return nil
		}
		err := w.Close()
		w = nil
		return err
	}
	add := func(key, value []byte) error {
		if last != nil && string(key) <= string(last) {
			return fmt.Errorf("pebblekv: ingest: keys out of order (%x after %x)", key, last)
		}
		last = append(last[:0], key...)
		if w != nil && w.Raw().EstimatedSize() >= ingestFileBytes {
			if err := closeFile(); err != nil {
				return err
			}
		}
		if w == nil {
			path := filepath.Join(tmp, fmt.Sprintf("%06d.sst", len(paths)))
			f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
			if err != nil {
				return err
			}
			paths = append(paths, path)
			w = sstable.NewWriter(objstorageprovider.NewFileWritable(f), s.opts.MakeWriterOptions(6, s.db.TableFormat()))
		}
		return w.Set(key, value)
	}
	if err := fill(add); err != nil {
		if w != nil {
			_ = w.Close()
		}
		return fmt.Errorf("pebblekv: ingest: %w", err)
	}
	if err := closeFile(); err != nil {
		return fmt.Errorf("pebblekv: ingest: write sstable: %w", err)
	}
	if len(paths) == 0 {
		return nil
	}
	if err := s.db.Ingest(context.Background(), paths); err != nil {
		return fmt.Errorf("pebblekv: ingest: %w", err)
	}
	return nil
}
