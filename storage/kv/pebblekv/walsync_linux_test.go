package pebblekv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// newRingOrReport returns a ring, or nil after logging why this kernel or
// sandbox refuses io_uring; then only the system-call path is tested. CI
// must test the ring.
func newRingOrReport(t *testing.T) *uringSyncer {
	t.Helper()
	u, err := newUringSyncer()
	if err != nil {
		if !errors.Is(err, errNoUring) {
			t.Fatalf("newUringSyncer: %v, want an error wrapping errNoUring", err)
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("io_uring refused under CI, so the ring is untested: %v", err)
		}
		t.Logf("io_uring refused here (%v): WAL syncs are system calls", err)
		return nil
	}
	t.Cleanup(u.close)
	return u
}

// tempFile creates a file that the test closes at its end.
func tempFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestUringSyncerResults(t *testing.T) {
	u := newRingOrReport(t)
	if u == nil {
		return
	}
	f := tempFile(t)
	if _, err := f.Write(make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	for _, dataOnly := range []bool{true, false} {
		if err := u.sync(int(f.Fd()), dataOnly); err != nil {
			t.Fatalf("sync (dataOnly %v) of a written file: %v", dataOnly, err)
		}
	}
	// The kernel's result comes back: a descriptor that is not open, and
	// one that cannot be synced.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	bad := int(w.Fd())
	if err := u.sync(bad, true); !errors.Is(err, unix.EINVAL) {
		t.Errorf("sync of a pipe: %v, want EINVAL", err)
	}
	closed, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	_ = unix.Close(closed) // (no test runs in parallel to reuse it)
	if err := u.sync(closed, true); !errors.Is(err, unix.EBADF) {
		t.Errorf("sync of a closed descriptor: %v, want EBADF", err)
	}
	if got := u.syncs.Load(); got != 4 || u.fallbacks.Load() != 0 {
		t.Errorf("ring completed %d syncs with %d fallbacks, want 4 and 0", got, u.fallbacks.Load())
	}
}

// TestUringSyncerConcurrent: callers from many goroutines each get their
// own request's result (run with -race).
func TestUringSyncerConcurrent(t *testing.T) {
	u := newRingOrReport(t)
	if u == nil {
		return
	}
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	const workers, rounds = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := os.Create(filepath.Join(dir, fmt.Sprint(i)))
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			for j := 0; j < rounds; j++ {
				if _, err := f.Write([]byte("x")); err != nil {
					errs <- err
					return
				}
				fd, want := int(f.Fd()), error(nil)
				if (i+j)%3 == 0 { // interleave failing requests
					fd, want = int(w.Fd()), unix.EINVAL
				}
				if err := u.sync(fd, j%2 == 0); !errors.Is(err, want) && err != want {
					errs <- fmt.Errorf("worker %d round %d: %v, want %v", i, j, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := u.syncs.Load(); got != workers*rounds {
		t.Errorf("ring completed %d syncs, want %d", got, workers*rounds)
	}
}

// TestUringSyncerFallback: a request the ring refuses is made as a system
// call, with its result.
func TestUringSyncerFallback(t *testing.T) {
	u := newRingOrReport(t)
	if u == nil {
		return
	}
	f := tempFile(t)
	ringFd := u.ringFd
	u.ringFd = int(f.Fd()) // io_uring_enter fails: not a ring
	err := u.sync(int(f.Fd()), true)
	u.ringFd = ringFd
	if err != nil || u.fallbacks.Load() != 1 || u.syncs.Load() != 0 {
		t.Fatalf("refused request: err %v, %d fallbacks, %d ring syncs; want nil, 1, 0", err, u.fallbacks.Load(), u.syncs.Load())
	}
	// The ring still works, and its queue is consistent.
	if err := u.sync(int(f.Fd()), true); err != nil || u.syncs.Load() != 1 {
		t.Fatalf("after a refusal: err %v, %d ring syncs", err, u.syncs.Load())
	}
}

// TestStoreWALSyncsOnRing: every WAL sync of a store on the operating
// system's file system runs on the ring where io_uring is allowed, and
// none does with WALSyncSyscalls.
func TestStoreWALSyncsOnRing(t *testing.T) {
	ringOK := newRingOrReport(t) != nil
	for _, syscalls := range []bool{false, true} {
		t.Run(fmt.Sprintf("syscalls=%v", syscalls), func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{WALSyncSyscalls: syscalls})
			if err != nil {
				t.Fatal(err)
			}
			const commits = 20
			for i := 0; i < commits; i++ {
				b := s.NewBatch()
				if err := b.Set([]byte(fmt.Sprint(i)), []byte("v")); err != nil {
					t.Fatal(err)
				}
				if err := b.Commit(true); err != nil {
					t.Fatal(err)
				}
			}
			// The flusher records a sync's latency after it wakes the
			// sync's committer: wait for the last one.
			m := s.Metrics()
			for deadline := time.Now().Add(10 * time.Second); m.WALFsync.Count < commits && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
				m = s.Metrics()
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if m.WALFsync.Count < commits {
				t.Fatalf("%d WAL syncs for %d synced commits", m.WALFsync.Count, commits)
			}
			want := int64(m.WALFsync.Count)
			if syscalls || !ringOK {
				want = 0
			}
			if m.WALRingSyncs != want {
				t.Errorf("%d WAL syncs on the ring of %d, want %d", m.WALRingSyncs, m.WALFsync.Count, want)
			}
			// The data is there after reopening.
			s, err = Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for i := 0; i < commits; i++ {
				if _, ok, err := s.Get([]byte(fmt.Sprint(i))); !ok || err != nil {
					t.Fatalf("key %d after reopening: found %v, %v", i, ok, err)
				}
			}
		})
	}
}
