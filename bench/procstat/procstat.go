// Package procstat measures the benchmark process itself. The benches run
// Quarry in-process, so on a shared machine its CPU time says more about
// Quarry's work than wall time does.
package procstat

import (
	"syscall"
	"time"
)

// CPU is the process's user+system CPU time so far (0 if unknown).
func CPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
