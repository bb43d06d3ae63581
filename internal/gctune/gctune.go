// Package gctune sets the Go garbage collector for a database server: a
// higher GOGC, so that allocation-heavy work (bulk loads, search indexing)
// spends less CPU on collection, made safe by a soft memory limit below
// the machine's (or the cgroup's) memory, and a floor under the heap goal,
// so that a server whose live heap is small (Pebble's caches are off the
// Go heap) does not collect several times a second under OLTP load, each
// cycle with its stop-the-world phases on a statement's latency. GOGC and
// GOMEMLIMIT in the environment take precedence.
package gctune

import (
	"bufio"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultGCPercent is the GOGC Apply sets.
const DefaultGCPercent = 300

// limitFraction is the share of available memory the soft limit allows.
const limitFraction = 0.75

// maxHeapFloor bounds the heap goal floor; it is at most floorFraction of
// the available memory.
const (
	maxHeapFloor  = 256 << 20
	floorFraction = 1.0 / 16
)

// Settings are what Apply left in effect.
type Settings struct {
	GCPercent   int   // -1: GC off
	MemoryLimit int64 // bytes; math.MaxInt64: none
	FromEnv     bool  // GOGC or GOMEMLIMIT came from the environment
	// HeapFloor is the least heap goal (bytes; 0: none): while the live
	// heap is small, GOGC is raised after each collection so that the
	// next starts no earlier than at this heap size.
	HeapFloor int64
}

// Apply sets GOGC and the memory limit unless the environment does.
func Apply() Settings {
	var s Settings
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	} else {
		s.FromEnv = true
	}
	s.GCPercent = debug.SetGCPercent(-1)
	debug.SetGCPercent(s.GCPercent)
	if os.Getenv("GOMEMLIMIT") == "" {
		if total := availableMemory(); total > 0 {
			debug.SetMemoryLimit(int64(float64(total) * limitFraction))
		}
	} else {
		s.FromEnv = true
	}
	s.MemoryLimit = debug.SetMemoryLimit(-1)
	if !s.FromEnv && s.GCPercent > 0 {
		if total := availableMemory(); total > 0 {
			s.HeapFloor = min(maxHeapFloor, int64(float64(total)*floorFraction))
		}
	}
	floor.start(s.HeapFloor, s.GCPercent)
	return s
}

// floor keeps the heap goal at or above a size (see Settings.HeapFloor):
// after every collection (a finalizer that re-arms itself runs once per
// cycle) it sets GOGC to the larger of the base value and the one whose
// goal, live heap × (1 + GOGC/100), is the floor. The memory limit still
// caps the heap.
var floor heapFloor

type heapFloor struct {
	once        sync.Once
	bytes, base atomic.Int64 // bytes 0: off
	percent     atomic.Int64 // last GOGC set
	sample      []metrics.Sample
}

// sentinel is an object whose finalizer runs after each collection. It
// holds a pointer so that it is never a tiny allocation (which shares its
// block with other objects, and whose finalizer may then never run).
type sentinel struct{ _ *sentinel }

// start sets the floor (0: off) and base GOGC, arming the finalizer chain
// on the first call.
func (f *heapFloor) start(bytes int64, base int) {
	f.base.Store(int64(base))
	f.percent.Store(int64(base))
	f.bytes.Store(bytes)
	if bytes == 0 {
		return
	}
	f.once.Do(func() {
		f.sample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		f.arm()
	})
}

// arm makes a new unreachable sentinel whose finalizer adjusts GOGC and
// arms the next one.
func (f *heapFloor) arm() {
	s := new(sentinel)
	runtime.SetFinalizer(s, func(*sentinel) {
		f.adjust()
		f.arm()
	})
}

// adjust sets GOGC for the live heap the last collection left.
func (f *heapFloor) adjust() {
	bytes := f.bytes.Load()
	if bytes == 0 {
		return
	}
	metrics.Read(f.sample)
	if f.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	live := int64(f.sample[0].Value.Uint64())
	p := floorPercent(live, bytes, f.base.Load())
	if p != f.percent.Load() && f.bytes.Load() != 0 {
		debug.SetGCPercent(int(p))
		f.percent.Store(p)
	}
}

// floorPercent is the GOGC that puts the heap goal of live bytes at least
// at floor, never below base nor above maxFloorPercent; rounded up to a
// multiple of base so that small changes of the live heap do not change
// it after every cycle.
func floorPercent(live, floor, base int64) int64 {
	live = max(live, 1)
	p := base
	if live*(100+base)/100 < floor {
		need := (floor - live) * 100 / live
		p = (need + base - 1) / base * base
	}
	return min(p, max(base, maxFloorPercent))
}

// maxFloorPercent bounds the GOGC the floor sets (the runtime holds GOGC
// in an int32).
const maxFloorPercent = 100_000

// availableMemory is the cgroup's memory limit, or the machine's memory,
// or 0 if neither can be read.
func availableMemory() int64 {
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
			return min(n, meminfoTotal())
		}
	}
	return meminfoTotal()
}

// meminfoTotal reads MemTotal from /proc/meminfo (0 if unknown).
func meminfoTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil || kb <= 0 || kb > math.MaxInt64/1024 {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
