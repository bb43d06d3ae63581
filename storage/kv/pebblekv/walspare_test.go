package pebblekv

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestWALSpare: WALs made from the spare are written in place (the file
// keeps the spare's size while the log grows inside it), synced commits in
// them survive a crash, and a spare left by a closed store serves the WAL
// of the next Open.
func TestWALSpare(t *testing.T) {
	const memtable = 256 << 10
	fs := vfs.NewCrashableMem()
	s, err := Open("db", Options{FS: fs, MemTableSize: memtable})
	if err != nil {
		t.Fatal(err)
	}
	if s.spare.armed() {
		t.Fatal("spare armed before any write")
	}
	val := []byte(strings.Repeat("v", 1000))
	key := func(i int) []byte { return fmt.Appendf(nil, "k%06d", i) }
	n := 0
	put := func(sync bool) {
		t.Helper()
		b := s.NewBatch()
		if err := b.Set(key(n), val); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(sync); err != nil {
			t.Fatal(err)
		}
		n++
	}
	// Write until a rotation makes a WAL from the spare (later ones may
	// reuse obsolete WALs instead). That WAL is written in place: the file
	// has the spare's size though it holds only the last write.
	for s.Metrics().WALsFromSpare == 0 {
		if n > 10000 {
			t.Fatalf("no WAL from a spare after %d writes", n)
		}
		put(true)
		s.spare.wg.Wait()
	}
	// The store rotated to the spare as soon as it was ready, long before
	// the memtable (~250 of these writes) filled.
	if n > 128 {
		t.Errorf("first WAL from a spare after %d writes: no early rotation", n)
	}
	logs := walSizes(t, fs)
	spareWAL := logs[len(logs)-1]
	if spareWAL.size != memtable {
		t.Fatalf("WAL %s from the spare has %d bytes, want the spare's %d (written in place); WALs %v", spareWAL.name, spareWAL.size, memtable, logs)
	}
	// The crash below ends the log inside it, before its zeroed tail.
	for range 20 {
		put(true)
	}
	logs = walSizes(t, fs)
	if last := logs[len(logs)-1]; last != spareWAL {
		t.Fatalf("live WAL is %v, want %v still", last, spareWAL)
	}

	synced := n
	put(false)
	clone := fs.CrashClone(vfs.CrashCloneCfg{})
	c, err := Open("db", Options{FS: clone, MemTableSize: memtable})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	for i := 0; i < synced; i++ {
		if _, ok, err := c.Get(key(i)); err != nil || !ok {
			t.Fatalf("synced key %d lost by the crash (ok=%v err=%v)", i, ok, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// A clean close keeps the spare; the next Open's WAL takes it.
	s.spare.wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := fs.Stat("db/" + walSpareName); err != nil || st.Size() != memtable {
		t.Fatalf("spare after close: %v, %v", st, err)
	}
	r, err := Open("db", Options{FS: fs, MemTableSize: memtable})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Metrics().WALsFromSpare; got != 1 {
		t.Fatalf("reopen: %d WALs from a spare, want 1", got)
	}
	if _, ok, _ := r.Get(key(n - 1)); !ok {
		t.Fatal("last write lost by a clean close")
	}
}

type walFile struct {
	name string
	size int64
}

// walSizes lists db's WAL files in name order, which is creation order
// (zero-padded numbers).
func walSizes(t *testing.T, fs vfs.FS) []walFile {
	t.Helper()
	names, err := fs.List("db")
	if err != nil {
		t.Fatal(err)
	}
	var out []walFile
	for _, nm := range names {
		if !strings.HasSuffix(nm, ".log") {
			continue
		}
		st, err := fs.Stat("db/" + nm)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, walFile{nm, st.Size()})
	}
	if len(out) == 0 {
		t.Fatal("no WAL files")
	}
	slices.SortFunc(out, func(a, b walFile) int { return strings.Compare(a.name, b.name) })
	return out
}

// TestWALSpareNotForSmallStores: a store that has committed less than a
// quarter of a WAL writes no spare, even across reopens.
func TestWALSpareNotForSmallStores(t *testing.T) {
	fs := vfs.NewMem()
	for range 2 {
		s, err := Open("db", Options{FS: fs})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			b := s.NewBatch()
			if err := b.Set(fmt.Appendf(nil, "k%d", i), []byte("v")); err != nil {
				t.Fatal(err)
			}
			if err := b.Commit(true); err != nil {
				t.Fatal(err)
			}
		}
		s.spare.wg.Wait() // a filler, had one started, has finished
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		names, err := fs.List("db")
		if err != nil {
			t.Fatal(err)
		}
		for _, nm := range names {
			if strings.HasPrefix(nm, walSpareName) {
				t.Fatalf("small store wrote a spare WAL %s", nm)
			}
		}
	}
}
