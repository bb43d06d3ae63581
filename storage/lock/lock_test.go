package lock

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const long = 10 * time.Second // "forever" for tests that must not time out

var bg = context.Background()

func k(s string) []byte { return []byte(s) }

// checkShards verifies the per-key invariants of every shard. It is safe to
// call concurrently with lock operations.
func checkShards(m *Manager) error {
	for i := range m.keys {
		s := &m.keys[i]
		s.mu.Lock()
		err := checkShard(s)
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

func checkShard(s *keyShard) error {
	for key, e := range s.entries {
		if e.key != key {
			return fmt.Errorf("entry key %q stored under %q", e.key, key)
		}
		if e.empty() {
			return fmt.Errorf("key %q: empty entry left in table", key)
		}
		seen := map[TxnID]Mode{}
		for _, h := range e.holders {
			if h.mode != Shared && h.mode != Exclusive {
				return fmt.Errorf("key %q: holder %d has mode %v", key, h.txn, h.mode)
			}
			if _, dup := seen[h.txn]; dup {
				return fmt.Errorf("key %q: txn %d holds twice", key, h.txn)
			}
			for t, mo := range seen {
				if !compatible(mo, h.mode) {
					return fmt.Errorf("key %q: incompatible holders %d(%v) and %d(%v)", key, t, mo, h.txn, h.mode)
				}
			}
			seen[h.txn] = h.mode
		}
		upgrades := true
		for pos, w := range e.queue {
			if w.state != stateWaiting || w.e != e || w.shard != s {
				return fmt.Errorf("key %q: bad waiter %+v", key, w)
			}
			if w.upgrade {
				if !upgrades {
					return fmt.Errorf("key %q: upgrade waiter %d behind a plain waiter", key, w.txn)
				}
				if seen[w.txn] != Shared || w.mode != Exclusive {
					return fmt.Errorf("key %q: upgrade waiter %d does not hold S", key, w.txn)
				}
			} else {
				upgrades = false
				if _, ok := seen[w.txn]; ok {
					return fmt.Errorf("key %q: plain waiter %d is a holder", key, w.txn)
				}
			}
			if e.grantable(w.txn, w.mode, pos) {
				return fmt.Errorf("key %q: waiter %d(%v) at %d is grantable but sleeps (lost wakeup)", key, w.txn, w.mode, pos)
			}
		}
	}
	return nil
}

// checkQuiescent verifies that the manager holds exactly the locks in want
// (txn -> key -> mode) and nobody waits. No operation may run concurrently.
func checkQuiescent(t *testing.T, m *Manager, want map[TxnID]map[string]Mode) {
	t.Helper()
	if err := checkShards(m); err != nil {
		t.Fatal(err)
	}
	got := map[TxnID]map[string]Mode{}
	for i := range m.keys {
		for key, e := range m.keys[i].entries {
			if len(e.queue) != 0 {
				t.Fatalf("key %q: %d waiters left", key, len(e.queue))
			}
			for _, h := range e.holders {
				if got[h.txn] == nil {
					got[h.txn] = map[string]Mode{}
				}
				got[h.txn][key] = h.mode
			}
		}
	}
	if len(m.waits) != 0 {
		t.Fatalf("%d registered waiters left", len(m.waits))
	}
	sets := 0
	for i := range m.txns {
		for txn, tl := range m.txns[i].txns {
			sets++
			if len(tl.keys) != len(got[txn]) {
				t.Fatalf("txn %d: lock set has %d keys, table has %d", txn, len(tl.keys), len(got[txn]))
			}
			for _, key := range tl.keys {
				if _, ok := got[txn][key]; !ok {
					t.Fatalf("txn %d: lock set lists %q which it does not hold", txn, key)
				}
			}
		}
	}
	if sets != len(got) {
		t.Fatalf("%d lock sets for %d holding txns", sets, len(got))
	}
	for txn, keys := range want {
		if len(keys) == 0 {
			delete(want, txn)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("holders: got %v, want %v", got, want)
	}
	for txn, keys := range want {
		for key, mo := range keys {
			if got[txn][key] != mo {
				t.Fatalf("txn %d key %q: got %v, want %v (all: %v)", txn, key, got[txn][key], mo, got)
			}
		}
		if len(got[txn]) != len(keys) {
			t.Fatalf("txn %d: got %v, want %v", txn, got[txn], keys)
		}
	}
}

// isWaiting reports whether txn is registered as sleeping on a lock.
func isWaiting(m *Manager, txn TxnID) bool {
	m.dmu.Lock()
	w := m.waits[txn]
	m.dmu.Unlock()
	if w == nil {
		return false
	}
	w.shard.mu.Lock()
	defer w.shard.mu.Unlock()
	return w.state == stateWaiting
}

func waitUntilWaiting(t *testing.T, m *Manager, txns ...TxnID) {
	t.Helper()
	deadline := time.Now().Add(long)
	for _, txn := range txns {
		for !isWaiting(m, txn) {
			if time.Now().After(deadline) {
				t.Fatalf("txn %d never started waiting", txn)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// async runs Acquire in a goroutine and returns a channel with its result.
func async(m *Manager, ctx context.Context, txn TxnID, key string, mode Mode, timeout time.Duration) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- m.Acquire(ctx, txn, k(key), mode, timeout) }()
	return ch
}

func result(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(long):
		t.Fatal("Acquire did not return")
		return nil
	}
}

func mustAcquire(t *testing.T, m *Manager, txn TxnID, key string, mode Mode) {
	t.Helper()
	if err := m.Acquire(bg, txn, k(key), mode, 0); err != nil {
		t.Fatalf("txn %d %v %q: %v", txn, mode, key, err)
	}
}

func stillPending(t *testing.T, ch <-chan error) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("request returned early: %v", err)
	default:
	}
}

func TestCompatibilityMatrix(t *testing.T) {
	for _, held := range []Mode{Shared, Exclusive} {
		for _, req := range []Mode{Shared, Exclusive} {
			m := NewManager()
			mustAcquire(t, m, 1, "a", held)
			err := m.Acquire(bg, 2, k("a"), req, 0)
			want := compatible(held, req)
			if (err == nil) != want {
				t.Errorf("held %v, request %v: err=%v, want compatible=%v", held, req, err, want)
			}
			if err != nil && !errors.Is(err, ErrLockWaitTimeout) {
				t.Errorf("held %v, request %v: err=%v, want ErrLockWaitTimeout", held, req, err)
			}
			if err := checkShards(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	m := NewManager()
	if err := m.Acquire(bg, 1, k("a"), Mode(0), 0); !errors.Is(err, ErrInvalidMode) {
		t.Fatalf("mode 0: %v", err)
	}
	if err := m.Acquire(bg, 1, k("a"), Mode(7), 0); !errors.Is(err, ErrInvalidMode) {
		t.Fatalf("mode 7: %v", err)
	}
	if Shared.String() != "S" || Exclusive.String() != "X" || Mode(9).String() != "invalid" {
		t.Fatal("Mode.String")
	}
}

func TestDistinctKeysIndependent(t *testing.T) {
	m := NewManager()
	for i := range 100 {
		mustAcquire(t, m, TxnID(i+1), fmt.Sprint("key", i), Exclusive)
	}
	for i := range 100 {
		if got := m.Held(TxnID(i + 1)); got != 1 {
			t.Fatalf("Held(%d)=%d", i+1, got)
		}
	}
	for i := range 100 {
		m.ReleaseAll(TxnID(i + 1))
	}
	checkQuiescent(t, m, nil)
}

func TestReentrant(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Exclusive)
	mustAcquire(t, m, 1, "a", Exclusive)
	mustAcquire(t, m, 1, "a", Shared)
	mustAcquire(t, m, 1, "b", Shared)
	mustAcquire(t, m, 1, "b", Shared)
	if got := m.Held(1); got != 2 {
		t.Fatalf("Held=%d, want 2", got)
	}
	// X is not weakened by a later S request.
	if err := m.Acquire(bg, 2, k("a"), Shared, 0); !errors.Is(err, ErrLockWaitTimeout) {
		t.Fatalf("S on X-held key: %v", err)
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{1: {"a": Exclusive, "b": Shared}})
	// The caller's buffer is not retained.
	buf := k("c")
	if err := m.Acquire(bg, 1, buf, Exclusive, 0); err != nil {
		t.Fatal(err)
	}
	buf[0] = 'z'
	if err := m.Acquire(bg, 2, k("c"), Exclusive, 0); !errors.Is(err, ErrLockWaitTimeout) {
		t.Fatalf("key buffer was retained: %v", err)
	}
	m.ReleaseAll(1)
	m.ReleaseAll(1) // idempotent
	if got := m.Held(1); got != 0 {
		t.Fatalf("Held after ReleaseAll=%d", got)
	}
	checkQuiescent(t, m, nil)
}

func TestUpgradeSoleHolder(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Shared)
	mustAcquire(t, m, 1, "a", Exclusive) // NOWAIT: must succeed at once
	if err := m.Acquire(bg, 2, k("a"), Shared, 0); !errors.Is(err, ErrLockWaitTimeout) {
		t.Fatalf("S after upgrade: %v", err)
	}
	if m.Held(1) != 1 {
		t.Fatalf("Held=%d", m.Held(1))
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{1: {"a": Exclusive}})
}

func TestUpgradeSoleHolderWithWaiters(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Shared)
	x := async(m, bg, 2, "a", Exclusive, long)
	waitUntilWaiting(t, m, 2)
	s := async(m, bg, 3, "a", Shared, long) // queued behind the X waiter
	waitUntilWaiting(t, m, 3)
	mustAcquire(t, m, 1, "a", Exclusive)
	if err := checkShards(m); err != nil {
		t.Fatal(err)
	}
	m.ReleaseAll(1)
	if err := result(t, x); err != nil {
		t.Fatal(err)
	}
	stillPending(t, s)
	m.ReleaseAll(2)
	if err := result(t, s); err != nil {
		t.Fatal(err)
	}
	m.ReleaseAll(3)
	checkQuiescent(t, m, nil)
}

func TestUpgradeWaitsForOtherShared(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Shared)
	mustAcquire(t, m, 2, "a", Shared)
	if err := m.Acquire(bg, 1, k("a"), Exclusive, 0); !errors.Is(err, ErrLockWaitTimeout) {
		t.Fatalf("NOWAIT upgrade with other S holder: %v", err)
	}
	up := async(m, bg, 1, "a", Exclusive, long)
	waitUntilWaiting(t, m, 1)
	// A plain X waiter queues behind the upgrade.
	x := async(m, bg, 3, "a", Exclusive, long)
	waitUntilWaiting(t, m, 3)
	// A new S request must not overtake the waiting upgrade.
	if err := m.Acquire(bg, 4, k("a"), Shared, 0); !errors.Is(err, ErrLockWaitTimeout) {
		t.Fatalf("S overtook a waiting upgrade: %v", err)
	}
	if err := checkShards(m); err != nil {
		t.Fatal(err)
	}
	m.ReleaseAll(2)
	if err := result(t, up); err != nil {
		t.Fatal(err)
	}
	stillPending(t, x)
	if m.Held(1) != 1 {
		t.Fatalf("Held(1)=%d after upgrade", m.Held(1))
	}
	m.ReleaseAll(1)
	if err := result(t, x); err != nil {
		t.Fatal(err)
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{3: {"a": Exclusive}})
}

// An upgrade goes ahead of plain waiters: queuing it behind an X waiter that
// itself waits for the upgrader's S lock would be an artificial deadlock.
func TestUpgradeGoesAheadOfQueuedWaiters(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Shared)
	mustAcquire(t, m, 2, "a", Shared)
	x := async(m, bg, 3, "a", Exclusive, long)
	waitUntilWaiting(t, m, 3)
	up := async(m, bg, 1, "a", Exclusive, long)
	waitUntilWaiting(t, m, 1)
	if err := checkShards(m); err != nil {
		t.Fatal(err)
	}
	m.ReleaseAll(2)
	if err := result(t, up); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	stillPending(t, x)
	m.ReleaseAll(1)
	if err := result(t, x); err != nil {
		t.Fatal(err)
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{3: {"a": Exclusive}})
}

func TestUpgradeDeadlock(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Shared)
	mustAcquire(t, m, 2, "a", Shared)
	up1 := async(m, bg, 1, "a", Exclusive, long)
	waitUntilWaiting(t, m, 1)
	if err := m.Acquire(bg, 2, k("a"), Exclusive, long); !errors.Is(err, ErrDeadlock) {
		t.Fatalf("second upgrader: %v, want ErrDeadlock", err)
	}
	stillPending(t, up1)
	if err := checkShards(m); err != nil {
		t.Fatal(err)
	}
	m.ReleaseAll(2) // the victim rolls back
	if err := result(t, up1); err != nil {
		t.Fatal(err)
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{1: {"a": Exclusive}})
}

func TestFIFOWriterNotStarved(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Shared)
	x := async(m, bg, 2, "a", Exclusive, long)
	waitUntilWaiting(t, m, 2)
	// A new S request is compatible with the holder but must not overtake X.
	if err := m.Acquire(bg, 3, k("a"), Shared, 0); !errors.Is(err, ErrLockWaitTimeout) {
		t.Fatalf("S overtook a waiting X: %v", err)
	}
	// Re-entrant requests of the holder are not queued.
	mustAcquire(t, m, 1, "a", Shared)
	s := async(m, bg, 3, "a", Shared, long)
	waitUntilWaiting(t, m, 3)
	m.ReleaseAll(1)
	if err := result(t, x); err != nil {
		t.Fatal(err)
	}
	stillPending(t, s)
	m.ReleaseAll(2)
	if err := result(t, s); err != nil {
		t.Fatal(err)
	}
	m.ReleaseAll(3)
	checkQuiescent(t, m, nil)
}

// Releasing one of several S holders must not let a queued S request
// overtake the X waiter ahead of it.
func TestFIFOAfterPartialRelease(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Shared)
	mustAcquire(t, m, 2, "a", Shared)
	x := async(m, bg, 3, "a", Exclusive, long)
	waitUntilWaiting(t, m, 3)
	s := async(m, bg, 4, "a", Shared, long)
	waitUntilWaiting(t, m, 4)
	m.ReleaseAll(2)
	if err := checkShards(m); err != nil {
		t.Fatal(err)
	}
	if !isWaiting(m, 4) {
		t.Fatal("S request overtook the waiting X request")
	}
	m.ReleaseAll(1)
	if err := result(t, x); err != nil {
		t.Fatal(err)
	}
	stillPending(t, s)
	m.ReleaseAll(3)
	if err := result(t, s); err != nil {
		t.Fatal(err)
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{4: {"a": Shared}})
}

func TestFIFOOrder(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Exclusive)
	const n = 6
	var mu sync.Mutex
	var order []TxnID
	var wg sync.WaitGroup
	for i := TxnID(2); i < 2+n; i++ {
		mode := Exclusive
		if i%3 == 0 {
			mode = Shared
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.Acquire(bg, i, k("a"), mode, long); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			m.ReleaseAll(i)
		}()
		waitUntilWaiting(t, m, i)
	}
	m.ReleaseAll(1)
	wg.Wait()
	for i, txn := range order {
		if txn != TxnID(i+2) {
			t.Fatalf("grant order %v, want arrival order", order)
		}
	}
	checkQuiescent(t, m, nil)
}

func TestSharedWaitersGrantedTogether(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Exclusive)
	var chs []<-chan error
	for txn := TxnID(2); txn <= 5; txn++ {
		chs = append(chs, async(m, bg, txn, "a", Shared, long))
		waitUntilWaiting(t, m, txn)
	}
	x := async(m, bg, 6, "a", Exclusive, long)
	waitUntilWaiting(t, m, 6)
	m.ReleaseAll(1) // wakes all four S waiters, not the X behind them
	for _, ch := range chs {
		if err := result(t, ch); err != nil {
			t.Fatal(err)
		}
	}
	stillPending(t, x)
	for txn := TxnID(2); txn <= 5; txn++ {
		stillPending(t, x)
		m.ReleaseAll(txn)
	}
	if err := result(t, x); err != nil {
		t.Fatal(err)
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{6: {"a": Exclusive}})
}

func TestReleaseAllWakesWaitersOnManyKeys(t *testing.T) {
	m := NewManager()
	keys := []string{"a", "b", "c", "d", "e"}
	for _, key := range keys {
		mustAcquire(t, m, 1, key, Exclusive)
	}
	var chs []<-chan error
	for i, key := range keys {
		txn := TxnID(10 + i)
		chs = append(chs, async(m, bg, txn, key, Exclusive, long))
		waitUntilWaiting(t, m, txn)
	}
	m.ReleaseAll(1)
	want := map[TxnID]map[string]Mode{}
	for i, ch := range chs {
		if err := result(t, ch); err != nil {
			t.Fatal(err)
		}
		want[TxnID(10+i)] = map[string]Mode{keys[i]: Exclusive}
	}
	checkQuiescent(t, m, want)
}

func TestTimeout(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Exclusive)
	if err := m.Acquire(bg, 2, k("a"), Exclusive, 50*time.Millisecond); !errors.Is(err, ErrLockWaitTimeout) {
		t.Fatalf("got %v, want ErrLockWaitTimeout", err)
	}
	if m.Held(2) != 0 {
		t.Fatal("timed-out request holds a lock")
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{1: {"a": Exclusive}})
	m.ReleaseAll(1)
	mustAcquire(t, m, 2, "a", Exclusive)
	m.ReleaseAll(2)
	checkQuiescent(t, m, nil)
}

func TestTimeoutKeepsEarlierLocks(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Shared)
	mustAcquire(t, m, 2, "a", Shared)
	mustAcquire(t, m, 2, "b", Exclusive)
	if err := m.Acquire(bg, 2, k("a"), Exclusive, 50*time.Millisecond); !errors.Is(err, ErrLockWaitTimeout) {
		t.Fatalf("upgrade: got %v, want ErrLockWaitTimeout", err)
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{1: {"a": Shared}, 2: {"a": Shared, "b": Exclusive}})
}

// A waiter that gives up must wake the requests it was blocking.
func TestAbandonWakesOthers(t *testing.T) {
	for _, how := range []string{"timeout", "cancel"} {
		t.Run(how, func(t *testing.T) {
			m := NewManager()
			mustAcquire(t, m, 1, "a", Shared)
			ctx, cancel := context.WithCancel(bg)
			defer cancel()
			timeout := long
			if how == "timeout" {
				timeout = 50 * time.Millisecond
			}
			x := async(m, ctx, 2, "a", Exclusive, timeout)
			waitUntilWaiting(t, m, 2)
			s := async(m, bg, 3, "a", Shared, long) // blocked only by the X waiter
			waitUntilWaiting(t, m, 3)
			if how == "cancel" {
				cancel()
			}
			err := result(t, x)
			if how == "timeout" && !errors.Is(err, ErrLockWaitTimeout) || how == "cancel" && !errors.Is(err, context.Canceled) {
				t.Fatalf("X waiter: %v", err)
			}
			if err := result(t, s); err != nil {
				t.Fatalf("S waiter not woken: %v", err)
			}
			checkQuiescent(t, m, map[TxnID]map[string]Mode{1: {"a": Shared}, 3: {"a": Shared}})
		})
	}
}

func TestZeroTimeout(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Exclusive)
	for range 3 {
		if err := m.Acquire(bg, 2, k("a"), Shared, 0); !errors.Is(err, ErrLockWaitTimeout) {
			t.Fatalf("got %v", err)
		}
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{1: {"a": Exclusive}})
}

func TestContextCancel(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Exclusive)

	ctx, cancel := context.WithCancel(bg)
	ch := async(m, ctx, 2, "a", Exclusive, long)
	waitUntilWaiting(t, m, 2)
	cancel()
	if err := result(t, ch); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}

	dctx, dcancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer dcancel()
	if err := m.Acquire(dctx, 3, k("a"), Shared, -1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}

	// Already cancelled: refused at once on conflict, granted if free.
	if err := m.Acquire(ctx, 4, k("a"), Exclusive, long); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if err := m.Acquire(ctx, 4, k("free"), Exclusive, long); err != nil {
		t.Fatalf("free key with cancelled ctx: %v", err)
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{1: {"a": Exclusive}, 4: {"free": Exclusive}})
}

func TestDeadlockTwoWay(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Exclusive)
	mustAcquire(t, m, 2, "b", Exclusive)
	w1 := async(m, bg, 1, "b", Exclusive, long)
	waitUntilWaiting(t, m, 1)
	if err := m.Acquire(bg, 2, k("a"), Shared, long); !errors.Is(err, ErrDeadlock) {
		t.Fatalf("got %v, want ErrDeadlock", err)
	}
	stillPending(t, w1)
	if err := checkShards(m); err != nil {
		t.Fatal(err)
	}
	m.ReleaseAll(2) // the victim rolls back; the survivor proceeds
	if err := result(t, w1); err != nil {
		t.Fatal(err)
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{1: {"a": Exclusive, "b": Exclusive}})
}

func TestDeadlockThreeWay(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Exclusive)
	mustAcquire(t, m, 2, "b", Exclusive)
	mustAcquire(t, m, 3, "c", Shared)
	w1 := async(m, bg, 1, "b", Shared, long)
	waitUntilWaiting(t, m, 1)
	w2 := async(m, bg, 2, "c", Exclusive, long)
	waitUntilWaiting(t, m, 2)
	if err := m.Acquire(bg, 3, k("a"), Exclusive, long); !errors.Is(err, ErrDeadlock) {
		t.Fatalf("got %v, want ErrDeadlock", err)
	}
	stillPending(t, w1)
	stillPending(t, w2)
	m.ReleaseAll(3)
	if err := result(t, w2); err != nil {
		t.Fatal(err)
	}
	stillPending(t, w1)
	m.ReleaseAll(2)
	if err := result(t, w1); err != nil {
		t.Fatal(err)
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{1: {"a": Exclusive, "b": Shared}})
}

// The cycle goes through a waiter ahead in the queue, not only holders:
// 1 holds S(a); 2 waits X(a) behind it; 3 holds X(b) and asks S(a), which
// must queue behind 2; 1 then asks for b: 1 -> 3 -> 2 -> 1.
func TestDeadlockThroughQueuedWaiter(t *testing.T) {
	m := NewManager()
	mustAcquire(t, m, 1, "a", Shared)
	mustAcquire(t, m, 3, "b", Exclusive)
	w2 := async(m, bg, 2, "a", Exclusive, long)
	waitUntilWaiting(t, m, 2)
	w3 := async(m, bg, 3, "a", Shared, long)
	waitUntilWaiting(t, m, 3)
	if err := m.Acquire(bg, 1, k("b"), Shared, long); !errors.Is(err, ErrDeadlock) {
		t.Fatalf("got %v, want ErrDeadlock", err)
	}
	m.ReleaseAll(1)
	if err := result(t, w2); err != nil {
		t.Fatal(err)
	}
	m.ReleaseAll(2)
	if err := result(t, w3); err != nil {
		t.Fatal(err)
	}
	checkQuiescent(t, m, map[TxnID]map[string]Mode{3: {"a": Shared, "b": Exclusive}})
}

// Long wait chains without a cycle are not deadlocks.
func TestNoFalseDeadlock(t *testing.T) {
	m := NewManager()
	const n = 8
	for i := TxnID(1); i <= n; i++ {
		mustAcquire(t, m, i, fmt.Sprint("k", i), Exclusive)
	}
	var chs []<-chan error
	for i := TxnID(1); i < n; i++ { // i waits for i+1
		chs = append(chs, async(m, bg, i, fmt.Sprint("k", i+1), Exclusive, long))
		waitUntilWaiting(t, m, i)
	}
	// Many S waiters on one key plus an unrelated X waiter: no cycle.
	chs = append(chs, async(m, bg, 100, "k1", Shared, long))
	waitUntilWaiting(t, m, 100)
	for i := n; i >= 1; i-- {
		m.ReleaseAll(TxnID(i))
		if i > 1 {
			if err := result(t, chs[i-2]); err != nil {
				t.Fatalf("txn %d: %v", i-1, err)
			}
		}
	}
	if err := result(t, chs[len(chs)-1]); err != nil {
		t.Fatal(err)
	}
	m.ReleaseAll(100)
	checkQuiescent(t, m, nil)
}

// Both sides of a 2-way deadlock request at the same moment: exactly one is
// the victim, and the other gets its lock once the victim rolls back.
func TestDeadlockConcurrentExactlyOneVictim(t *testing.T) {
	m := NewManager()
	for round := range 200 {
		a, b := TxnID(2*round+1), TxnID(2*round+2)
		mustAcquire(t, m, a, "x", Exclusive)
		mustAcquire(t, m, b, "y", Shared)
		start := make(chan struct{})
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, req := range []struct {
			txn  TxnID
			key  string
			mode Mode
		}{{a, "y", Exclusive}, {b, "x", Shared}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = m.Acquire(bg, req.txn, k(req.key), req.mode, long)
				if errs[i] != nil {
					m.ReleaseAll(req.txn)
				}
			}()
		}
		close(start)
		wg.Wait()
		victims := 0
		for _, err := range errs {
			switch {
			case err == nil:
			case errors.Is(err, ErrDeadlock):
				victims++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if victims != 1 {
			t.Fatalf("round %d: %d victims (%v)", round, victims, errs)
		}
		m.ReleaseAll(a)
		m.ReleaseAll(b)
		checkQuiescent(t, m, nil)
	}
}

// TestModel drives random NOWAIT operations from one goroutine and compares
// every outcome with a reference model of the compatibility rules.
func TestModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := NewManager()
	model := map[TxnID]map[string]Mode{}
	keys := []string{"a", "b", "c", "d", "e", "f"}
	for step := range 20000 {
		txn := TxnID(1 + rng.IntN(5))
		if rng.IntN(10) == 0 {
			m.ReleaseAll(txn)
			delete(model, txn)
		} else {
			key := keys[rng.IntN(len(keys))]
			mode := Mode(1 + rng.IntN(2))
			want := true
			for other, held := range model {
				if mo, ok := held[key]; ok && other != txn && !compatible(mo, mode) {
					want = false
				}
			}
			err := m.Acquire(bg, txn, k(key), mode, 0)
			if (err == nil) != want || err != nil && !errors.Is(err, ErrLockWaitTimeout) {
				t.Fatalf("step %d: txn %d %v %q: err=%v, model says grant=%v (model %v)", step, txn, mode, key, err, want, model)
			}
			if err == nil {
				if model[txn] == nil {
					model[txn] = map[string]Mode{}
				}
				if cur := model[txn][key]; cur != Exclusive {
					model[txn][key] = mode
				}
			}
		}
		if got, want := m.Held(txn), len(model[txn]); got != want {
			t.Fatalf("step %d: Held(%d)=%d, want %d", step, txn, got, want)
		}
		if step%97 == 0 {
			checkQuiescent(t, m, model)
		}
	}
	for txn := range model {
		m.ReleaseAll(txn)
	}
	checkQuiescent(t, m, nil)
}

// TestStress runs concurrent transactions that lock random keys in random
// order and modes (with upgrades, NOWAIT, short and unlimited timeouts, and
// context deadlines) for a bounded time. It checks mutual exclusion with
// per-key counters, checks the table invariants concurrently (holders are
// always compatible, no sleeping waiter is grantable), and requires every
// Acquire to return: with unlimited timeouts in the mix, a missed deadlock
// would hang.
func TestStress(t *testing.T) {
	duration := 2 * time.Second
	if testing.Short() {
		duration = 300 * time.Millisecond
	}
	const (
		nWorkers = 8
		nKeys    = 12
	)
	m := NewManager()
	keys := make([][]byte, nKeys)
	for i := range keys {
		keys[i] = k(fmt.Sprint("row/", i))
	}
	var xc, sc [nKeys]atomic.Int32
	var nextTxn atomic.Uint64
	var stats struct{ txns, grants, timeouts, deadlocks, ctxErrs atomic.Int64 }
	var violation atomic.Value
	fail := func(format string, args ...any) { violation.CompareAndSwap(nil, fmt.Sprintf(format, args...)) }

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range nWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			held := map[int]Mode{}
			for {
				select {
				case <-stop:
					return
				default:
				}
				txn := TxnID(nextTxn.Add(1))
				stats.txns.Add(1)
				clear(held)
				n := 1 + rng.IntN(4)
				for range n {
					ki := rng.IntN(nKeys)
					mode := Shared
					if rng.IntN(2) == 0 {
						mode = Exclusive
					}
					ctx := bg
					var cancel context.CancelFunc
					var timeout time.Duration
					switch rng.IntN(6) {
					case 0:
						timeout = 0
					case 1:
						timeout = -1 // unlimited: relies on deadlock detection
					case 2:
						timeout = -1
						ctx, cancel = context.WithTimeout(bg, time.Duration(1+rng.IntN(20))*time.Millisecond)
					default:
						timeout = time.Duration(1+rng.IntN(30)) * time.Millisecond
					}
					err := m.Acquire(ctx, txn, keys[ki], mode, timeout)
					if cancel != nil {
						cancel()
					}
					if err != nil {
						switch {
						case errors.Is(err, ErrLockWaitTimeout):
							stats.timeouts.Add(1)
						case errors.Is(err, ErrDeadlock):
							stats.deadlocks.Add(1)
						case errors.Is(err, context.DeadlineExceeded):
							stats.ctxErrs.Add(1)
						default:
							fail("unexpected error %v", err)
						}
						break // roll back
					}
					stats.grants.Add(1)
					switch cur, ok := held[ki]; {
					case ok && (cur == Exclusive || mode == Shared):
						// re-entrant, nothing changes
					case ok: // upgrade S -> X
						sc[ki].Add(-1)
						if x := xc[ki].Add(1); x != 1 || sc[ki].Load() != 0 {
							fail("key %d: upgrade to X with x=%d s=%d", ki, x, sc[ki].Load())
						}
						held[ki] = Exclusive
					case mode == Exclusive:
						if x := xc[ki].Add(1); x != 1 || sc[ki].Load() != 0 {
							fail("key %d: X granted with x=%d s=%d", ki, x, sc[ki].Load())
						}
						held[ki] = Exclusive
					default:
						sc[ki].Add(1)
						if x := xc[ki].Load(); x != 0 {
							fail("key %d: S granted with x=%d", ki, x)
						}
						held[ki] = Shared
					}
					if got := m.Held(txn); got != len(held) {
						fail("txn %d: Held=%d, want %d", txn, got, len(held))
					}
					if rng.IntN(4) == 0 {
						runtime.Gosched()
					}
				}
				if rng.IntN(8) == 0 {
					time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond)
				}
				for ki, mo := range held {
					if mo == Exclusive {
						xc[ki].Add(-1)
					} else {
						sc[ki].Add(-1)
					}
				}
				m.ReleaseAll(txn)
			}
		}()
	}

	checkerDone := make(chan struct{})
	go func() {
		defer close(checkerDone)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if err := checkShards(m); err != nil {
				fail("invariant: %v", err)
			}
		}
	}()

	time.Sleep(duration)
	close(stop)
	done := make(chan struct{})
	go func() { wg.Wait(); <-checkerDone; close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("workers did not finish: an Acquire never returned\n%s", buf)
	}
	if v := violation.Load(); v != nil {
		t.Fatal(v)
	}
	t.Logf("txns=%d grants=%d timeouts=%d deadlocks=%d ctx=%d",
		stats.txns.Load(), stats.grants.Load(), stats.timeouts.Load(), stats.deadlocks.Load(), stats.ctxErrs.Load())
	if stats.grants.Load() == 0 {
		t.Fatal("no progress")
	}
	checkQuiescent(t, m, nil)
}

func BenchmarkAcquireReleaseUncontended(b *testing.B) {
	m := NewManager()
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = k(fmt.Sprintf("t1/pk/%08d", i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		txn := TxnID(i + 1)
		if err := m.Acquire(bg, txn, keys[i&1023], Exclusive, time.Second); err != nil {
			b.Fatal(err)
		}
		m.ReleaseAll(txn)
	}
}

func BenchmarkAcquire8ReleaseAll(b *testing.B) {
	m := NewManager()
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = k(fmt.Sprintf("t1/pk/%08d", i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		txn := TxnID(i + 1)
		for j := range 8 {
			if err := m.Acquire(bg, txn, keys[(i*8+j)&1023], Exclusive, time.Second); err != nil {
				b.Fatal(err)
			}
		}
		m.ReleaseAll(txn)
	}
}

func BenchmarkAcquireReleaseParallel(b *testing.B) {
	m := NewManager()
	var gid atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		g := gid.Add(1)
		keys := make([][]byte, 256)
		for i := range keys {
			keys[i] = k(fmt.Sprintf("g%d/pk/%08d", g, i))
		}
		txn := TxnID(g << 40)
		for i := 0; pb.Next(); i++ {
			txn++
			if err := m.Acquire(bg, txn, keys[i&255], Exclusive, time.Second); err != nil {
				b.Error(err)
				return
			}
			m.ReleaseAll(txn)
		}
	})
}

func TestHeldByOther(t *testing.T) {
	m := NewManager()
	ctx := context.Background()
	k := []byte("k")
	if m.HeldByOther(1, k) {
		t.Fatal("free key reported held")
	}
	if err := m.Acquire(ctx, 1, k, Shared, time.Second); err != nil {
		t.Fatal(err)
	}
	if m.HeldByOther(1, k) {
		t.Fatal("own lock reported as another's")
	}
	if !m.HeldByOther(2, k) {
		t.Fatal("held key reported free")
	}
	m.ReleaseAll(1)
	if m.HeldByOther(2, k) {
		t.Fatal("released key reported held")
	}
}
