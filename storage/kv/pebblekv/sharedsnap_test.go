package pebblekv

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Snapshots taken with no write in between share one Pebble snapshot; a
// completed write ends the sharing, and the idle stale snapshot is closed
// (Close would report a leaked snapshot otherwise).
func TestSnapshotSharing(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	put := func(k, v string) { putKV(t, s, k, v) }
	get := func(r interface {
		Get([]byte) ([]byte, bool, error)
	}, k string) string {
		v, ok, err := r.Get([]byte(k))
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return "<none>"
		}
		return string(v)
	}
	put("a", "1")
	s1 := s.NewSnapshot()
	s2 := s.NewSnapshot()
	if s1.(*snapshot).s != s2.(*snapshot).s {
		t.Fatal("two snapshots without a write between do not share")
	}
	put("a", "2")
	s3 := s.NewSnapshot()
	if s3.(*snapshot).s == s1.(*snapshot).s {
		t.Fatal("a snapshot after a write shares the one before it")
	}
	if got := get(s1, "a") + get(s2, "a") + get(s3, "a"); got != "112" {
		t.Fatalf("reads %q, want 112", got)
	}
	for _, sn := range []interface{ Close() error }{s1, s2, s3} {
		if err := sn.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// s3 is idle and current: the next snapshot shares it.
	s4 := s.NewSnapshot()
	if get(s4, "a") != "2" {
		t.Fatal("idle shared snapshot lost the last write")
	}
	if err := s4.Close(); err != nil {
		t.Fatal(err)
	}
	put("a", "3") // retires the idle snapshot
	if s.snaps.shared != nil {
		t.Fatal("an idle stale snapshot outlived the write after it")
	}
	s.SetSnapshotSharing(false)
	s5, s6 := s.NewSnapshot(), s.NewSnapshot()
	if s5.(*snapshot).s == s6.(*snapshot).s {
		t.Fatal("sharing is off but two snapshots share")
	}
	s5.Close()
	s6.Close()
	s.SetSnapshotSharing(true)
	_ = s.NewSnapshot() // left open: Close must not hide the leak
	if err := s.Close(); err == nil {
		t.Fatal("Close did not report the open snapshot")
	}
}

// Concurrent writers and readers: a snapshot shows every write that was
// visible (to a read of the latest state) before it was taken, and each
// batch entirely or not at all.
// Run under -race.
func TestSnapshotSharingConcurrent(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const writers, readers = 3, 3
	var done [writers]atomic.Uint64 // the last value writer i completed
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	val := func(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := uint64(1); ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				b := s.NewBatch()
				// Two keys per batch: a snapshot must show both or neither.
				_ = b.Set([]byte(fmt.Sprintf("w%d/a", w)), val(n))
				_ = b.Set([]byte(fmt.Sprintf("w%d/b", w)), val(n))
				var err error
				if n%3 == 0 {
					err = b.(*batch).CommitNoSyncWait()
					if err == nil {
						err = b.(*batch).SyncWait()
					}
				} else {
					err = b.Commit(n%2 == 0)
				}
				b.Close()
				if err != nil {
					errs <- err
					return
				}
				done[w].Store(n)
			}
		}()
	}
	var shared atomic.Uint64
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var prev *snapshot
			defer func() {
				if prev != nil {
					prev.Close()
				}
			}()
			for {
				select {
				case <-stop:
					return
				default:
				}
				// floor: what a read of the latest state shows now (a
				// write visible before its Commit returned included).
				var floor [writers]uint64
				for w := range floor {
					floor[w] = done[w].Load()
					if v, ok, err := s.Get([]byte(fmt.Sprintf("w%d/a", w))); err != nil {
						errs <- err
						return
					} else if ok {
						floor[w] = max(floor[w], binary.BigEndian.Uint64(v))
					}
				}
				sn := s.NewSnapshot().(*snapshot)
				if prev != nil && prev.s == sn.s {
					shared.Add(1)
				}
				for w := 0; w < writers; w++ {
					a, aok, err := sn.Get([]byte(fmt.Sprintf("w%d/a", w)))
					if err != nil {
						errs <- err
						return
					}
					b, bok, err := sn.Get([]byte(fmt.Sprintf("w%d/b", w)))
					if err != nil {
						errs <- err
						return
					}
					var av uint64
					if aok {
						av = binary.BigEndian.Uint64(a)
					}
					if aok != bok || aok && string(a) != string(b) {
						errs <- fmt.Errorf("writer %d: a torn batch (%x, %x)", w, a, b)
						return
					}
					if av < floor[w] {
						errs <- fmt.Errorf("writer %d: snapshot shows %d after write %d completed", w, av, floor[w])
						return
					}
				}
				if prev != nil {
					prev.Close()
				}
				prev = sn
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d snapshots shared the previous one", shared.Load())
}

// putKV commits k = v to s in a batch of its own.
func putKV(t *testing.T, s *Store, k, v string) {
	t.Helper()
	b := s.NewBatch()
	defer b.Close()
	if err := b.Set([]byte(k), []byte(v)); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
}
