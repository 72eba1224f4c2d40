//go:build linux

package tcpack

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Exact says that the kernel tells how much of what was written the peer
// has acknowledged: Queued works.
const Exact = true

// Queued returns the bytes in the socket's send queue: written and not yet
// acknowledged by the peer's kernel, sent or not.
func Queued(rc syscall.RawConn) (int, error) {
	var n int
	var ierr error
	err := rc.Control(func(fd uintptr) {
		n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
	})
	if err != nil {
		return 0, err
	}
	return n, ierr
}

// SendBuffer returns the size of the socket's send buffer, which the
// kernel grows while the connection can use more.
func SendBuffer(rc syscall.RawConn) (int, error) {
	var n int
	var serr error
	err := rc.Control(func(fd uintptr) {
		n, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF)
	})
	if err != nil {
		return 0, err
	}
	return n, serr
}
