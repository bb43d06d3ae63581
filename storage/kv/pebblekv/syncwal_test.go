package pebblekv

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestSyncWALMakesVisibleWritesDurable: a write committed without a sync is
// visible at once but lost by a crash; SyncWAL makes it, and every write
// visible before the call, survive one. A crash is a clone of the in-memory
// file system holding exactly its synced data.
func TestSyncWALMakesVisibleWritesDurable(t *testing.T) {
	fs := vfs.NewCrashableMem()
	s, err := Open("db", Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	put := func(k string) {
		t.Helper()
		b := s.NewBatch()
		if err := b.Set([]byte(k), []byte("v")); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(false); err != nil {
			t.Fatal(err)
		}
	}
	crashHas := func(keys ...string) []bool {
		t.Helper()
		clone := fs.CrashClone(vfs.CrashCloneCfg{})
		c, err := Open("db", Options{FS: clone})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var has []bool
		for _, k := range keys {
			_, ok, err := c.Get([]byte(k))
			if err != nil {
				t.Fatal(err)
			}
			has = append(has, ok)
		}
		return has
	}
	put("a")
	if _, ok, _ := s.Get([]byte("a")); !ok {
		t.Fatal("unsynced write not visible")
	}
	if has := crashHas("a"); has[0] {
		t.Fatal("unsynced write survived the crash: the test shows nothing")
	}
	gen, _ := s.WriteGen()
	if err := s.SyncWAL(); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.WriteGen(); g != gen {
		t.Error("SyncWAL counted as a write: it would retire shared snapshots")
	}
	put("b")
	if has := crashHas("a", "b"); !has[0] || has[1] {
		t.Fatalf("after SyncWAL then an unsynced write, the crash kept a=%v b=%v; want a only", has[0], has[1])
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
