//go:build unix && !linux

package loadtest

import "syscall"

// childAttr puts a child program (rsyslogd) in its own process group, so
// that a Ctrl-C at the terminal reaches only the bench, which then stops
// it. Only Linux can also have it killed when the bench dies first.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
