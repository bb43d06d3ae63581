// Package schedtune keeps the Go runtime's sysmon thread at the period it
// uses under steady load, for servers whose processors go idle between
// requests.
//
// sysmon sleeps while every P is idle. The next system call wakes it and
// resets its polling period to 20 µs, which lasts at least a millisecond.
// A database serving short transactions goes idle between most of them
// (every commit waits for a WAL sync), so sysmon never backs off: perf put
// it at 12–15% of Quarry's CPU in sysbench's write tests. With
// GODEBUG=schedtrace=N the runtime never enters that sleep, so the period
// backs off to 10 ms whenever no P is stuck in a system call, as it does
// in any process that stays busy. N is the largest value GODEBUG accepts,
// in milliseconds (24.8 days), so the trace itself prints a line only at
// start on hosts up longer than that, and every 24.8 days after.
//
// The runtime reads schedtrace only at startup, so Reexec replaces the
// process with itself, same PID, under the setting.
package schedtune

import (
	"os"
	"strconv"
	"strings"
)

// setting is the GODEBUG entry Reexec adds.
const setting = "schedtrace=2147483647"

// Active reports whether GODEBUG keeps sysmon out of its idle sleep, that
// is whether its last schedtrace entry is positive (the runtime applies
// entries left to right).
func Active() bool {
	v, ok := lookup(os.Getenv("GODEBUG"))
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(v, 10, 32)
	return err == nil && n > 0
}

// Reexec re-executes the running binary with the same arguments under
// GODEBUG with schedtrace added, unless GODEBUG already sets schedtrace
// (GODEBUG=schedtrace=0 keeps the runtime's default). On success it does
// not return. It must run before the process starts any work: nothing
// survives the exec but the PID, the arguments, the environment and the
// open descriptors that are not close-on-exec.
func Reexec() error {
	env := os.Getenv("GODEBUG")
	if _, ok := lookup(env); ok {
		return nil
	}
	if env != "" {
		env += ","
	}
	return reexec(env + setting)
}

// lookup returns the value of GODEBUG's last schedtrace entry.
func lookup(godebug string) (value string, ok bool) {
	for _, field := range strings.Split(godebug, ",") {
		if k, v, found := strings.Cut(field, "="); found && k == "schedtrace" {
			value, ok = v, true
		}
	}
	return value, ok
}

// environ is the environment with GODEBUG set to godebug.
func environ(godebug string) []string {
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GODEBUG=") {
			env = append(env, kv)
		}
	}
	return append(env, "GODEBUG="+godebug)
}
