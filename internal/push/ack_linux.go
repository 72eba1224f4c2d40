//go:build linux

package push

import (
	"context"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

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
