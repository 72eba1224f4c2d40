//go:build !linux

package tcpack

import (
	"errors"
	"syscall"
)

// Exact is false where the kernel does not tell how much the peer has
// acknowledged (no SIOCOUTQ): Queued fails, and callers decide what counts
// as acknowledged (see internal/push and internal/feed).
const Exact = false

var errNoAcks = errors.New("send queue size not available on this system")

// Queued is not available here.
func Queued(syscall.RawConn) (int, error) { return 0, errNoAcks }

// SendBuffer is not asked for: without acknowledgements a window is not
// used, and a write blocks when the kernel's send buffer is full.
func SendBuffer(syscall.RawConn) (int, error) { return 64 << 10, nil }
