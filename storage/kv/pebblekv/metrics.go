package pebblekv

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	dto "github.com/prometheus/client_model/go"
)

// NumLevels is the number of LSM levels Metrics reports.
const NumLevels = 7

// Metrics is a point-in-time copy of the Pebble internals an operator
// watches. It holds no Pebble types, so its readers need not import Pebble.
// Counters are cumulative since the store was opened.
type Metrics struct {
	// Compactions completed, and the bytes compaction still has to do.
	Compactions           int64
	CompactionsInProgress int64
	CompactionDebtBytes   uint64
	// Flushes of memtables to L0.
	Flushes int64
	// Bytes written to sstables by flushes, by compactions and by
	// ingestion; (flushed+compacted)/flushed is the write amplification.
	// Ingestions counts ingest operations; an ingestion that overlapped
	// the memtable is queued behind it and counted in BytesIngested when
	// it reaches L0.
	BytesFlushed   uint64
	BytesCompacted uint64
	BytesIngested  uint64
	Ingestions     uint64

	// L0Files and L0Sublevels drive write stalls; ReadAmp is the number of
	// sorted runs a point read may have to consult.
	L0Files     int64
	L0Sublevels int32
	ReadAmp     int
	// Levels are the live sstables per level (0..6).
	Levels [NumLevels]LevelMetrics

	BlockCacheHits   int64
	BlockCacheMisses int64
	BlockCacheBytes  int64

	MemTableBytes uint64
	MemTables     int64

	WALFiles        int64
	WALBytesIn      uint64 // logical bytes written to the WAL
	WALBytesWritten uint64 // physical bytes, with framing and padding
	// WALsFromSpare counts WALs created from a zero-filled spare (see
	// walSpareFS) rather than as empty files.
	WALsFromSpare int64
	// WALRingSyncs counts WAL syncs that ran on the io_uring (see
	// newWALSyncFS); zero where syncs are system calls.
	WALRingSyncs int64
	// WALFsync is the latency distribution of WAL fsyncs.
	WALFsync Histogram

	// DiskUsageBytes is all the space the store occupies on disk.
	DiskUsageBytes uint64
	// Snapshots open and iterators over sstables open.
	Snapshots  int
	TableIters int64
}

// LevelMetrics describes one LSM level.
type LevelMetrics struct {
	Files int64
	Bytes int64
}

// Histogram is a cumulative latency histogram in seconds.
type Histogram struct {
	Count      uint64
	SumSeconds float64
	// Buckets are cumulative counts by increasing upper bound.
	Buckets []Bucket
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	UpperBoundSeconds float64
	Count             uint64
}

// Metrics returns the store's current metrics.
func (s *Store) Metrics() Metrics {
	pm := s.db.Metrics()
	m := Metrics{
		Compactions:           pm.Compact.Count,
		CompactionsInProgress: pm.Compact.NumInProgress,
		CompactionDebtBytes:   pm.Compact.EstimatedDebt,
		Flushes:               pm.Flush.Count,
		L0Files:               pm.Levels[0].TablesCount,
		L0Sublevels:           pm.Levels[0].Sublevels,
		ReadAmp:               pm.ReadAmp(),
		BlockCacheHits:        pm.BlockCache.Hits,
		BlockCacheMisses:      pm.BlockCache.Misses,
		BlockCacheBytes:       pm.BlockCache.Size,
		MemTableBytes:         pm.MemTable.Size,
		MemTables:             pm.MemTable.Count,
		WALFiles:              pm.WAL.Files,
		BytesIngested:         pm.Flush.AsIngestBytes,
		Ingestions:            pm.Ingest.Count,
		WALBytesIn:            pm.WAL.BytesIn,
		WALBytesWritten:       pm.WAL.BytesWritten,
		WALsFromSpare:         s.spare.used.Load(),
		WALRingSyncs:          s.ringSyncs(),
		DiskUsageBytes:        pm.DiskSpaceUsage(),
		Snapshots:             pm.Snapshots.Count,
		TableIters:            pm.TableIters,
	}
	for i := 0; i < NumLevels && i < len(pm.Levels); i++ {
		l := &pm.Levels[i]
		m.Levels[i] = LevelMetrics{Files: l.TablesCount, Bytes: l.TablesSize}
		m.BytesFlushed += l.TableBytesFlushed
		m.BytesCompacted += l.TableBytesCompacted
		m.BytesIngested += l.TableBytesIngested
	}
	if h := pm.LogWriter.FsyncLatency; h != nil {
		var d dto.Metric
		if err := h.Write(&d); err == nil && d.Histogram != nil {
			m.WALFsync = fsyncHistogram(d.Histogram)
		}
	}
	return m
}

// fsyncHistogram converts Pebble's fsync histogram (nanoseconds, 100
// buckets) into seconds, keeping every fifth bucket bound: cumulative
// counts at a subset of the original bounds stay exact.
func fsyncHistogram(h *dto.Histogram) Histogram {
	out := Histogram{Count: h.GetSampleCount(), SumSeconds: h.GetSampleSum() / 1e9}
	bs := h.GetBucket()
	for i, b := range bs {
		if i%5 != 4 && i != len(bs)-1 {
			continue
		}
		out.Buckets = append(out.Buckets, Bucket{UpperBoundSeconds: b.GetUpperBound() / 1e9, Count: b.GetCumulativeCount()})
	}
	return out
}

// Checkpoint implements kv.Store: a Pebble checkpoint (hard links to the
// immutable sstables plus copies of the manifest, options and WAL, the
// WAL flushed first), which opens as a store of its own.
func (s *Store) Checkpoint(dir string) error {
	if err := s.db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("pebblekv: checkpoint to %s: %w", dir, err)
	}
	return nil
}

func (s *Store) ringSyncs() int64 {
	if s.ring == nil {
		return 0
	}
	return s.ring.syncs.Load()
}
