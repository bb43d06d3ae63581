package pebblekv

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/quarrydb/quarry/storage/kv"
)

// ingestFileBytes is the size at which Ingest starts a new sstable.
const ingestFileBytes = 64 << 20

// ingestDirPrefix names the scratch directories of ingests; Open removes
// any a crash left behind.
const ingestDirPrefix = "ingest-"

// Ingest implements kv.Store: fill's pairs are written to sstables in a
// scratch directory of the store and ingested in one step, so they reach
// the LSM's lowest free level without passing through the memtable, the
// WAL or compactions. Ingesting a span that overlaps the memtable flushes
// it first; overlapping sstables land in a level above them.
func (s *Store) Ingest(fill func(add func(key, value []byte) error) error) error {
	return s.IngestWith(func(w kv.IngestWriter) error { return fill(w.Set) })
}

// IngestWith implements kv.Store, as Ingest does; counters are merge
// operands in the sstables, which Pebble merges with older ones on read
// and in compactions exactly as it merges batch operands. Parts write
// their sstables concurrently, up to GOMAXPROCS at a time.
func (s *Store) IngestWith(parts ...func(w kv.IngestWriter) error) (err error) {
	tmp, err := os.MkdirTemp(s.dir, ingestDirPrefix)
	if err != nil {
		return fmt.Errorf("pebblekv: ingest: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(tmp); err == nil && rerr != nil {
			err = fmt.Errorf("pebblekv: ingest: %w", rerr)
		}
	}()
	writers := make([]*ingestWriter, len(parts))
	errs := make([]error, len(parts))
	sem := make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))
	var wg sync.WaitGroup
	for i, fill := range parts {
		iw := &ingestWriter{s: s, tmp: tmp, part: i}
		writers[i] = iw
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := fill(iw); err != nil {
				if iw.w != nil {
					_ = iw.w.Close()
				}
				errs[i] = err
				return
			}
			if err := iw.closeFile(); err != nil {
				errs[i] = fmt.Errorf("write sstable: %w", err)
			}
		}()
	}
	wg.Wait()
	var paths []string
	var prev *ingestWriter
	for i, iw := range writers {
		if errs[i] != nil {
			return fmt.Errorf("pebblekv: ingest: %w", errs[i])
		}
		if iw.first == nil {
			continue
		}
		if prev != nil && string(iw.first) <= string(prev.last) {
			return fmt.Errorf("pebblekv: ingest: part %d starts at %x, not after %x", i, iw.first, prev.last)
		}
		prev = iw
		paths = append(paths, iw.paths...)
	}
	if len(paths) == 0 {
		return nil
	}
	s.beginWrite()
	err = s.db.Ingest(context.Background(), paths)
	s.endWrite()
	if err != nil {
		return fmt.Errorf("pebblekv: ingest: %w", err)
	}
	return nil
}

// ingestWriter writes an ingest's sstables, starting a new one every
// ingestFileBytes.
type ingestWriter struct {
	s           *Store
	tmp         string
	part        int
	paths       []string
	w           *sstable.Writer
	first, last []byte
}

func (iw *ingestWriter) closeFile() error {
	if iw.w == nil {
		return nil
	}
	err := iw.w.Close()
	iw.w = nil
	return err
}

// next checks the order of key and returns the writer to add it to.
func (iw *ingestWriter) next(key []byte) (*sstable.Writer, error) {
	if iw.last != nil && string(key) <= string(iw.last) {
		return nil, fmt.Errorf("pebblekv: ingest: keys out of order (%x after %x)", key, iw.last)
	}
	if iw.first == nil {
		iw.first = append([]byte(nil), key...)
	}
	iw.last = append(iw.last[:0], key...)
	if iw.w != nil && iw.w.Raw().EstimatedSize() >= ingestFileBytes {
		if err := iw.closeFile(); err != nil {
			return nil, err
		}
	}
	if iw.w == nil {
		path := filepath.Join(iw.tmp, fmt.Sprintf("%04d-%06d.sst", iw.part, len(iw.paths)))
		f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
		if err != nil {
			return nil, err
		}
		iw.paths = append(iw.paths, path)
		iw.w = sstable.NewWriter(objstorageprovider.NewFileWritable(f), iw.s.opts.MakeWriterOptions(6, iw.s.db.TableFormat()))
	}
	return iw.w, nil
}

// Set implements kv.IngestWriter.
func (iw *ingestWriter) Set(key, value []byte) error {
	w, err := iw.next(key)
	if err != nil {
		return err
	}
	return w.Set(key, value)
}

// AddInt64 implements kv.IngestWriter.
func (iw *ingestWriter) AddInt64(key []byte, delta int64) error {
	w, err := iw.next(key)
	if err != nil {
		return err
	}
	var v [8]byte
	binary.LittleEndian.PutUint64(v[:], uint64(delta))
	return w.Merge(key, v[:])
}

// removeIngestLeftovers deletes scratch directories of ingests that a
// crash interrupted (their sstables were never ingested).
func removeIngestLeftovers(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), ingestDirPrefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
