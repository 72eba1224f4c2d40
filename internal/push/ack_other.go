//go:build !linux

package push

import (
	"context"
	"errors"
	"syscall"
	"time"
)

// exactAcks is false where the kernel does not tell how much the receiver
// has acknowledged (no SIOCOUTQ): the last Config.ResendWindow records
// written count as unacknowledged and are sent again after a reconnect.
const exactAcks = false

var errNoAcks = errors.New("send queue size not available on this system")

func queued(syscall.RawConn) (int, error) { return 0, errNoAcks }

// sendBuffer is not asked for: without acknowledgements the window is not
// used, and a write blocks when the kernel's send buffer is full.
func sendBuffer(syscall.RawConn) (int, error) { return 64 << 10, nil }

// dialControl sets nothing: TCP_USER_TIMEOUT is Linux's. A dead receiver
// is noticed by keepalive and by Config.WriteTimeout.
func dialControl(time.Duration) func(context.Context, string, string, syscall.RawConn) error {
	return nil
}
