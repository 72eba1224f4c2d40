//go:build !linux

package push

import (
	"context"
	"syscall"
	"time"
)

// dialControl sets nothing: TCP_USER_TIMEOUT is Linux's. A dead receiver
// is noticed by keepalive and by Config.WriteTimeout.
func dialControl(time.Duration) func(context.Context, string, string, syscall.RawConn) error {
	return nil
}
