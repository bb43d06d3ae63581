package gctune

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestApply(t *testing.T) {
	oldGC := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer func() {
		debug.SetGCPercent(oldGC)
		debug.SetMemoryLimit(oldLimit)
	}()
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	s := Apply()
	if s.GCPercent != DefaultGCPercent || s.FromEnv {
		t.Fatalf("GOGC %d (from env %v), want %d", s.GCPercent, s.FromEnv, DefaultGCPercent)
	}
	mem := availableMemory()
	if mem <= 0 {
		if runtime.GOOS == "linux" {
			t.Fatal("cannot read the machine's memory from /proc/meminfo")
		}
		t.Skip("no /proc/meminfo")
	}
	if want := int64(float64(mem) * limitFraction); s.MemoryLimit != want {
		t.Fatalf("memory limit %d, want %d (75%% of %d)", s.MemoryLimit, want, mem)
	}

	debug.SetGCPercent(100)
	t.Setenv("GOGC", "100")
	if s := Apply(); s.GCPercent != 100 || !s.FromEnv {
		t.Fatalf("with GOGC=100 in the environment: %+v", s)
	}
}

func TestFloorPercent(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct{ live, floor, base, want int64 }{
		{7 * mb, 256 * mb, 300, 3600},  // goal 259 MB
		{64 * mb, 256 * mb, 300, 300},  // the base goal reaches the floor
		{100 * mb, 256 * mb, 300, 300}, // above it
		{50 * mb, 256 * mb, 300, 600},  // need 412%: 600
		{0, 256 * mb, 300, maxFloorPercent},
		{1 * mb, 256 * mb, 100, 25500},
	} {
		if got := floorPercent(c.live, c.floor, c.base); got != c.want {
			t.Errorf("floorPercent(%d MB, %d MB, %d) = %d, want %d", c.live/mb, c.floor/mb, c.base, got, c.want)
		}
		if p := floorPercent(c.live, c.floor, c.base); c.live > 0 && p < maxFloorPercent && c.live*(100+p)/100 < c.floor {
			t.Errorf("floorPercent(%d, %d, %d) = %d: goal below the floor", c.live, c.floor, c.base, p)
		}
	}
}

// TestHeapFloor checks that after collections the floor has raised GOGC
// for this test's small live heap, and that GOGC from the environment
// turns it off.
func TestHeapFloor(t *testing.T) {
	oldGC := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer func() {
		floor.start(0, 100)
		debug.SetGCPercent(oldGC)
		debug.SetMemoryLimit(oldLimit)
	}()
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	s := Apply()
	if s.HeapFloor <= 0 {
		t.Skip("available memory unknown")
	}
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	deadline := time.Now().Add(10 * time.Second)
	for current() <= DefaultGCPercent && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p := current()
	t.Logf("heap floor %d MB, live heap about %d MB: GOGC %d", s.HeapFloor>>20, ms.HeapAlloc>>20, p)
	if p != maxFloorPercent && int64(ms.HeapAlloc)*int64(100+p)/100 < s.HeapFloor*9/10 {
		t.Errorf("GOGC %d puts the goal of a %d-byte heap below the floor %d", p, ms.HeapAlloc, s.HeapFloor)
	}

	t.Setenv("GOGC", "100")
	debug.SetGCPercent(100)
	if s := Apply(); s.HeapFloor != 0 {
		t.Fatalf("with GOGC in the environment: floor %d", s.HeapFloor)
	}
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if p := current(); p != 100 {
		t.Errorf("GOGC %d after collections with GOGC=100 from the environment", p)
	}
}
