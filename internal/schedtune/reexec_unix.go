//go:build unix

package schedtune

import (
	"fmt"
	"os"
	"syscall"
)

func reexec(godebug string) error {
	// The executable's own path, not /proc/self/exe: the kernel names the
	// process after the path's last element, and ps, pgrep and process
	// monitors go by that name.
	path, err := os.Executable()
	if err != nil {
		return fmt.Errorf("schedtune: locating the executable: %w", err)
	}
	if err := syscall.Exec(path, os.Args, environ(godebug)); err != nil {
		return fmt.Errorf("schedtune: re-executing %s: %w", path, err)
	}
	return nil // not reached
}
