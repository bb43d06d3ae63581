package pebblekv

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

var errInjectedSync = errors.New("injected WAL sync failure")

// failingWALs fails syncs of WAL files while armed.
type failingWALs struct{ armed atomic.Bool }

func (fw *failingWALs) fs(inner vfs.FS) vfs.FS {
	return &walFilesFS{FS: inner, wrap: func(f vfs.File) vfs.File { return &failingWAL{File: f, fw: fw} }}
}

type failingWAL struct {
	vfs.File
	fw *failingWALs
}

func (f *failingWAL) Sync() error {
	if f.fw.armed.Load() {
		return errInjectedSync
	}
	return f.File.Sync()
}

func (f *failingWAL) SyncData() error {
	if f.fw.armed.Load() {
		return errInjectedSync
	}
	return f.File.SyncData()
}

// TestWALFailureReachesHookFirst: the first failed WAL sync reaches
// OnFatal before Pebble sees it, so while the hook holds (quarry
// serve exits there) the failed commit is not acknowledged, and a restart
// from the disk's state has every acknowledged commit and not the failed
// one. The hook runs once.
func TestWALFailureReachesHookFirst(t *testing.T) {
	mem := vfs.NewCrashableMem()
	var fw failingWALs
	failures := make(chan error, 4)
	release := make(chan struct{})
	var calls atomic.Int32
	s, err := Open("db", Options{FS: fw.fs(mem), OnFatal: func(err error) {
		failures <- err
		if calls.Add(1) == 1 {
			<-release
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	// put commits as storage's transactions do.
	put := func(key string) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		b := s.NewBatch()
		if err := b.Set([]byte(key), []byte("v")); err != nil {
			t.Fatal(err)
		}
		if err := b.(*batch).CommitNoSyncWait(); err != nil {
			return err
		}
		return b.(*batch).SyncWait()
	}
	if err := put("acked"); err != nil {
		t.Fatal(err)
	}

	fw.armed.Store(true)
	done := make(chan error, 1)
	go func() { done <- put("failed") }()
	select {
	case err := <-failures:
		if !errors.Is(err, errInjectedSync) {
			t.Fatalf("OnFatal got %v, want the sync's error", err)
		}
	case err := <-done:
		t.Fatalf("the commit returned (%v) before OnFatal was called", err)
	case <-time.After(30 * time.Second):
		t.Fatal("OnFatal was not called")
	}
	select {
	case err := <-done:
		t.Fatalf("the commit returned (%v) while OnFatal held", err)
	default:
	}
	// The disk as a crash here would leave it.
	crashed := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	r, err := Open("db", Options{FS: crashed})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{"acked": true, "failed": false} {
		if _, ok, err := r.Get([]byte(key)); err != nil || ok != want {
			t.Errorf("after restart, Get(%s) = %v, %v; want %v", key, ok, err, want)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	// A hook that returns passes the error on: the commit fails, and so
	// do later ones. The guard reports only the first failure.
	close(release)
	if err := <-done; !errors.Is(err, errInjectedSync) {
		t.Fatalf("commit after the hook returned: %v, want the sync's error", err)
	}
	if err := put("later"); err == nil {
		t.Fatal("a commit after a failed WAL sync succeeded")
	}
	for len(failures) > 0 {
		if err := <-failures; errors.Is(err, errInjectedSync) {
			t.Fatalf("the guard reported again: %v", err)
		}
	}
	func() {
		defer func() { _ = recover() }() // Pebble may find its pipeline broken
		_ = s.Close()
	}()
}

// TestFatalfReachesOnFatal: Pebble's fatal errors go to OnFatal, and
// Fatalf still does not return if the hook does.
func TestFatalfReachesOnFatal(t *testing.T) {
	var got error
	l := slogLogger{onFatal: func(err error) { got = err }}
	defer func() {
		if r := recover(); r == nil {
			t.Error("Fatalf returned")
		}
		if got == nil || got.Error() != "pebble: broken 7" {
			t.Errorf("OnFatal got %v", got)
		}
	}()
	l.Fatalf("pebble: broken %d", 7)
}
