package pebblekv

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/quarrydb/quarry/storage/kv"
)

// IngestWith's counter operands merge with the counter's batch operands
// before and after the ingest, and its pairs appear together.
func TestIngestWithCounters(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctr := []byte("\x05counter")
	add := func(d int64) {
		b := s.NewBatch()
		defer b.Close()
		if err := b.AddInt64(ctr, d); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(true); err != nil {
			t.Fatal(err)
		}
	}
	read := func() int64 {
		v, ok, err := s.Get(ctr)
		if err != nil || !ok || len(v) != 8 {
			t.Fatalf("counter: %v %v %x", ok, err, v)
		}
		return int64(binary.LittleEndian.Uint64(v))
	}
	add(7)
	err = s.IngestWith(func(w kv.IngestWriter) error {
		for _, k := range []string{"\x01a", "\x01b", "\x01c"} {
			if err := w.Set([]byte(k), []byte("v"+k)); err != nil {
				return err
			}
		}
		return w.AddInt64(ctr, 3)
	})
	if err != nil {
		t.Fatal(err)
	}
	add(-2)
	if got := read(); got != 8 {
		t.Fatalf("counter = %d, want 8", got)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != 8 {
		t.Fatalf("after flush counter = %d, want 8", got)
	}
	if v, ok, _ := s.Get([]byte("\x01b")); !ok || string(v) != "v\x01b" {
		t.Fatalf("ingested key: %q %v", v, ok)
	}
	// Out-of-order keys fail and ingest nothing.
	err = s.IngestWith(func(w kv.IngestWriter) error {
		if err := w.Set([]byte("\x01x"), nil); err != nil {
			return err
		}
		return w.Set([]byte("\x01d"), nil)
	})
	if err == nil {
		t.Fatal("out-of-order ingest succeeded")
	}
	if _, ok, _ := s.Get([]byte("\x01x")); ok {
		t.Fatal("a failed ingest left a key")
	}
}

// Open removes the scratch directories of interrupted ingests.
func TestOpenRemovesIngestLeftovers(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(dir, ingestDirPrefix+"123")
	if err := os.MkdirAll(left, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(left, "000000.sst"), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatalf("leftover still there: %v", err)
	}
}

// Parts are written concurrently and ingested together, in part order;
// parts that overlap fail and ingest nothing.
func TestIngestWithParts(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	part := func(prefix byte, n int) func(kv.IngestWriter) error {
		return func(w kv.IngestWriter) error {
			for i := 0; i < n; i++ {
				if err := w.Set([]byte{prefix, byte(i >> 8), byte(i)}, []byte{prefix}); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if err := s.IngestWith(part(1, 1000), part(2, 0), part(3, 500)); err != nil {
		t.Fatal(err)
	}
	it, err := s.NewIter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	it.Close()
	if n != 1500 {
		t.Fatalf("%d keys, want 1500", n)
	}
	if err := s.IngestWith(part(5, 10), part(4, 10)); err == nil {
		t.Fatal("parts out of order were ingested")
	}
	if _, ok, _ := s.Get([]byte{5, 0, 0}); ok {
		t.Fatal("a failed ingest left a key")
	}
}
