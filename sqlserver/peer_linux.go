//go:build linux

package sqlserver

import (
	"errors"
	"net"
	"syscall"
)

// peerClosed reports whether the client closed or reset the TCP connection
// c, without consuming any of its input: it peeks at the socket, which
// returns 0 bytes only at end of stream. Only called while a statement
// runs, when nothing else reads from c.
func peerClosed(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	var buf [1]byte
	_ = raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = (n == 0 && err == nil) || errors.Is(err, syscall.ECONNRESET)
		return true // never wait for readability
	})
	return closed
}
