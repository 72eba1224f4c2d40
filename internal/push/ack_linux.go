//go:build linux

package push

import (
	"context"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// exactAcks says that the kernel tells how much of what was written the
// receiver has acknowledged.
const exactAcks = true

// queued returns the bytes in the socket's send queue: written by the
// target and not yet acknowledged by the receiver's kernel, sent or not.
func queued(rc syscall.RawConn) (int, error) {
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

// sendBuffer returns the size of the socket's send buffer, which the
// kernel grows while the connection can use more.
func sendBuffer(rc syscall.RawConn) (int, error) {
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

// dialControl sets TCP_USER_TIMEOUT before the connection is made: the
// kernel then drops it once sent data has stayed unacknowledged for
// ackTimeout (and keepalive probes go unanswered that long), rather than
// after about 15 minutes of retransmissions.
func dialControl(ackTimeout time.Duration) func(context.Context, string, string, syscall.RawConn) error {
	ms := int(ackTimeout.Milliseconds())
	return func(_ context.Context, _, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, ms)
		})
		if err != nil {
			return err
		}
		return serr
	}
}
