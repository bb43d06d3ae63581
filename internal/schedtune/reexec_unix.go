//go:build unix

package schedtune

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

func reexec(godebug string) error {
	path, err := executable()
	if err != nil {
		return fmt.Errorf("schedtune: locating the executable: %w", err)
	}
	if err := syscall.Exec(path, os.Args, environ(godebug)); err != nil {
		return fmt.Errorf("schedtune: re-executing %s: %w", path, err)
	}
	return nil // not reached
}

// executable is the path to exec: the one the process was started by
// (os.Args[0], looked up in PATH if it has no slash) when it still names
// the running binary, else the binary's resolved path. The kernel names
// the process after the path's last element, and ps, pgrep and process
// monitors go by that name, so a start through a symlink keeps the
// symlink's name. (/proc/self/exe would name it "exe".)
func executable() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	started := os.Args[0]
	if !strings.Contains(started, "/") {
		if started, err = exec.LookPath(started); err != nil {
			return self, nil
		}
	}
	a, errA := os.Stat(started)
	b, errB := os.Stat(self)
	if errA == nil && errB == nil && os.SameFile(a, b) {
		return started, nil
	}
	return self, nil
}
