//go:build unix

package schedtune

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

func reexec(godebug string) error {
	// /proc/self/exe is the running image even if its file was replaced
	// or removed since the start.
	path := "/proc/self/exe"
	if runtime.GOOS != "linux" {
		p, err := os.Executable()
		if err != nil {
			return fmt.Errorf("schedtune: locating the executable: %w", err)
		}
		path = p
	}
	if err := syscall.Exec(path, os.Args, environ(godebug)); err != nil {
		return fmt.Errorf("schedtune: re-executing %s: %w", path, err)
	}
	return nil // not reached
}
