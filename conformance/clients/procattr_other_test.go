//go:build !unix

package clients

import "os/exec"

func setProcessGroup(*exec.Cmd) {}
