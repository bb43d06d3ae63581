//go:build !unix

package schedtune

import "errors"

func reexec(string) error {
	return errors.New("schedtune: re-executing the process is not supported on this system")
}
