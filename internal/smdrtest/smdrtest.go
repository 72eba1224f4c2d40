// Package smdrtest has helpers for tests that talk to an IP SMDR server over
// real sockets: a push receiver, a local-mode client, and waiting for lines.
package smdrtest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Lines collects the lines (with their CR LF) that arrive on connections, in
// arrival order, and lets a test wait for a number of them.
type Lines struct {
	mu    sync.Mutex
	lines [][]byte
	bad   []string // problems seen: lines of the wrong length or ending
	wake  chan struct{}
}

// NewLines returns an empty collection, for receivers of other kinds (TLS,
// say) built in a test.
func NewLines() *Lines { return &Lines{wake: make(chan struct{})} }

// Collect adds the CR LF lines read from r until it fails; a last line cut
// short is dropped. Lines that are not WireLength bytes count as bad.
func (l *Lines) Collect(r io.Reader) { readLines(r, l, WireLength) }

func (l *Lines) add(line []byte, wireLength int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if wireLength > 0 && (len(line) != wireLength || !bytes.HasSuffix(line, []byte("\r\n"))) {
		l.bad = append(l.bad, string(line))
	}
	l.lines = append(l.lines, line)
	close(l.wake)
	l.wake = make(chan struct{})
}

// Snapshot returns the lines received so far.
func (l *Lines) Snapshot() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][]byte(nil), l.lines...)
}

// Len returns how many lines arrived.
func (l *Lines) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// Bad returns the lines that were not exactly the wire length ending CR LF.
func (l *Lines) Bad() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.bad...)
}

// WaitFor waits until at least n lines have arrived or the timeout passes,
// and returns the lines.
func (l *Lines) WaitFor(tb testing.TB, n int, timeout time.Duration) [][]byte {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		got, wake := len(l.lines), l.wake
		l.mu.Unlock()
		if got >= n {
			return l.Snapshot()
		}
		select {
		case <-wake:
		case <-deadline.C:
			tb.Fatalf("got %d lines within %v, want %d", got, timeout, n)
			return nil
		}
	}
}

// readLines reads CR LF lines from conn into l until conn fails.
func readLines(conn io.Reader, l *Lines, wireLength int) {
	r := bufio.NewReaderSize(conn, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && err == nil {
			l.add(line, wireLength)
		}
		if err != nil {
			return
		}
	}
}

// WireLength is the length every line must have for Lines to count it good.
const WireLength = 164

// Client is a local-mode client connected to a server.
type Client struct {
	*Lines
	Conn net.Conn
	done chan struct{}
}

// Dial connects a local-mode client to addr; it is closed at the end of the
// test.
func Dial(tb testing.TB, addr string) *Client {
	tb.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		tb.Fatalf("dial %s: %v", addr, err)
	}
	c := &Client{Lines: NewLines(), Conn: conn, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		readLines(conn, c.Lines, WireLength)
	}()
	tb.Cleanup(c.Close)
	return c
}

// Close closes the connection and waits for the reader.
func (c *Client) Close() {
	c.Conn.Close()
	<-c.done
}

// Receiver is a push-mode receiver: it listens, accepts the server's
// connections and collects their lines. It reads its connections one after
// another, in the order it accepted them, as a receiver that keeps its
// records in order must: the records a server resends on a new connection
// come after those it had already delivered on the old one, which may
// still sit unread in the old connection's buffer.
type Receiver struct {
	*Lines
	addr string
	mu   sync.Mutex
	ln   net.Listener
	conn map[net.Conn]struct{}
	wg   sync.WaitGroup
	acc  int
}

// Listen starts a receiver on addr ("127.0.0.1:0" for any port); it is
// stopped at the end of the test.
func Listen(tb testing.TB, addr string) *Receiver {
	tb.Helper()
	r := &Receiver{Lines: NewLines(), conn: make(map[net.Conn]struct{})}
	if err := r.start(addr); err != nil {
		tb.Fatalf("receiver: %v", err)
	}
	tb.Cleanup(r.Stop)
	return r
}

// Addr is the address the receiver listens on (kept across Stop and Start).
func (r *Receiver) Addr() string { return r.addr }

// Accepted returns how many connections the receiver accepted.
func (r *Receiver) Accepted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.acc
}

func (r *Receiver) start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.ln = ln
	r.addr = ln.Addr().String()
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		prev := make(chan struct{})
		close(prev)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conn[conn] = struct{}{}
			r.acc++
			r.mu.Unlock()
			r.wg.Add(1)
			turn, done := prev, make(chan struct{})
			prev = done
			go func() {
				defer r.wg.Done()
				defer close(done)
				<-turn // the earlier connection has ended
				readLines(conn, r.Lines, WireLength)
				r.mu.Lock()
				delete(r.conn, conn)
				r.mu.Unlock()
				conn.Close()
			}()
		}
	}()
	return nil
}

// Stop closes the listener and every connection, as a receiver that goes
// down does, and waits for its goroutines.
func (r *Receiver) Stop() {
	r.mu.Lock()
	if r.ln != nil {
		r.ln.Close()
		r.ln = nil
	}
	for c := range r.conn {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// Restart listens again on the same address after Stop. Go listeners set
// SO_REUSEADDR, so the port is free again at once.
func (r *Receiver) Restart(tb testing.TB) {
	tb.Helper()
	if err := r.start(r.addr); err != nil {
		tb.Fatalf("receiver restart on %s: %v", r.addr, err)
	}
}
