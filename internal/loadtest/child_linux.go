package loadtest

import "syscall"

// childAttr puts a child program (rsyslogd) in its own process group, so
// that a Ctrl-C at the terminal reaches only the bench, which then stops
// it; and has it killed should the bench's thread that started it die
// first.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
