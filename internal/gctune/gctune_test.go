package gctune

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
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
