package main

import (
	"net"
	"sync"
)

// maxHTTPConns bounds the HTTP connections served at once, so that a flood
// on the HTTP port cannot use up the file descriptors the local port and
// the journal need. Connections beyond it wait in the kernel's backlog.
const maxHTTPConns = 1000

// limitListener accepts at most n connections at a time: Accept waits for
// one of them to close before it takes another.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{} // taken back when the connection closes
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

// limitConn gives its slot back once, when it is closed.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
