// Package gctune sets the Go garbage collector for a database server: a
// higher GOGC, so that allocation-heavy work (bulk loads, search indexing)
// spends less CPU on collection, made safe by a soft memory limit below
// the machine's (or the cgroup's) memory. GOGC and GOMEMLIMIT in the
// environment take precedence.
package gctune

import (
	"bufio"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultGCPercent is the GOGC Apply sets.
const DefaultGCPercent = 300

// limitFraction is the share of available memory the soft limit allows.
const limitFraction = 0.75

// Settings are what Apply left in effect.
type Settings struct {
	GCPercent   int   // -1: GC off
	MemoryLimit int64 // bytes; math.MaxInt64: none
	FromEnv     bool  // GOGC or GOMEMLIMIT came from the environment
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
	return s
}

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
