package push_test

import (
	"bytes"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/push"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// stuckReceiver accepts connections and never reads from them. Its small
// receive buffer fills at once, and then the target's data stays
// unacknowledged.
type stuckReceiver struct {
	ln   net.Listener
	done chan struct{}

	mu       sync.Mutex
	conns    []net.Conn
	accepted []time.Time
}

func listenStuck(tb testing.TB, rcvbuf int) *stuckReceiver {
	tb.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		// Set on the listener so that accepted sockets start with it and
		// the window they offer is small from the handshake on.
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(tb.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	r := &stuckReceiver{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns = append(r.conns, c)
			r.accepted = append(r.accepted, time.Now())
			r.mu.Unlock()
		}
	}()
	tb.Cleanup(r.Close)
	return r
}

func (r *stuckReceiver) Addr() string { return r.ln.Addr().String() }

func (r *stuckReceiver) Accepted() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.accepted...)
}

// Close stops listening and closes every connection.
func (r *stuckReceiver) Close() {
	r.ln.Close()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}

func heapAlloc() uint64 {
	// Twice: what sync.Pools hold (the journal's read buffers, 64 KiB
	// each) survives one collection in their victim caches, and the race
	// detector's pools drop and remake items at random, so that one
	// collection measured 3 to 10 MB of growth from run to run under
	// -race, two 3.0 to 4.3 MB.
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestReceiverNeverReads checks that a receiver that accepts and never
// reads neither makes the target's memory grow nor keeps it forever: the
// connection is dropped once nothing is acknowledged for AckTimeout, and a
// real receiver on the same address then gets every record.
func TestReceiverNeverReads(t *testing.T) {
	const ackTimeout = time.Second
	// Few records in the journal's memory, so that the heap measures the
	// target rather than the journal's cache.
	j := MustOpen(t, journal.Options{Sync: 50 * time.Millisecond, MemoryRecords: 1000})
	stuck := listenStuck(t, 4096)
	tg := MustStart(t, push.Config{
		Address:      stuck.Addr(),
		Journal:      j,
		AckTimeout:   ackTimeout,
		WriteTimeout: 5 * time.Second,
		RetryMax:     100 * time.Millisecond,
	})
	waitFor(t, 5*time.Second, "a connection", func() bool { return len(stuck.Accepted()) >= 1 })

	const total = 50 << 20 // bytes of records appended
	// Allocated up front, so that the growth of the test's own slice does
	// not count as the target's.
	want := make([][]byte, 0, total/smdrtest.WireLength+1000)
	before := heapAlloc()
	for len(want)*smdrtest.WireLength < total {
		batch := lines("stuck", len(want), 1000)
		if _, err := j.Append(batch, time.Now()); err != nil {
			t.Fatalf("Append: %v", err)
		}
		want = append(want, batch...)
	}
	after := heapAlloc()
	// want holds the lines themselves (its slice headers were allocated
	// before the first measure).
	kept := uint64(len(want) * 168)
	growth := int64(after) - int64(before) - int64(kept)
	t.Logf("appended %d records (%d MB): heap grew %d KB besides the test's own copy", len(want), total>>20, growth>>10)
	if growth > 8<<20 {
		t.Errorf("heap grew %d MB while %d MB of records waited for a receiver that does not read", growth>>20, total>>20)
	}

	// The first connection filled up at once; it must be dropped within
	// AckTimeout (plus a poll and a retry delay), and tried again.
	waitFor(t, 3*ackTimeout, "a second connection", func() bool { return len(stuck.Accepted()) >= 2 })
	acc := stuck.Accepted()
	d := acc[1].Sub(acc[0])
	t.Logf("the stuck connection was dropped and dialled again after %v (AckTimeout %v): %s", d.Round(time.Millisecond), ackTimeout, tg.Status().LastError)
	if d > ackTimeout+time.Second {
		t.Errorf("the stuck connection lasted %v, want about %v", d, ackTimeout)
	}
	if st := tg.Status(); !strings.Contains(st.LastError, "acknowledged nothing") && !strings.Contains(st.LastError, "timed out") {
		t.Errorf("last error %q, want it to say nothing was acknowledged", st.LastError)
	}

	// A real receiver takes over the address.
	addr := stuck.Addr()
	stuck.Close()
	rcv := smdrtest.Listen(t, addr)
	rep := waitDelivered(t, want, rcv.Snapshot, 60*time.Second)
	st := tg.Status()
	t.Logf("after the stuck receiver: %v; target: reconnects %d, sent %d, resent %d", rep, st.Reconnects, st.Records, st.Resent)
}

// TestReceiverReadsALittle checks that a receiver that reads a few records
// and closes loses nothing: the target reconnects and the next receiver
// gets the rest.
func TestReceiverReadsALittle(t *testing.T) {
	j := MustOpen(t, journal.Options{Sync: 20 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	var little [][]byte
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			done <- err
			return
		}
		defer c.Close() // with records left unread: the kernel resets the connection
		buf := make([]byte, 10*smdrtest.WireLength)
		_, err = io.ReadFull(c, buf)
		for l := range bytes.Lines(buf) {
			little = append(little, l)
		}
		done <- err
	}()
	tg := MustStart(t, push.Config{Address: addr, Journal: j})
	w := startAppender(t, j, "little")
	if err := <-done; err != nil {
		t.Fatalf("little receiver: %v", err)
	}
	rcv := smdrtest.Listen(t, addr)
	rcv.WaitFor(t, 100, 10*time.Second)
	want := w.Stop(t)
	got := func() [][]byte { return append(append([][]byte(nil), little...), rcv.Snapshot()...) }
	rep := waitDelivered(t, want, got, 20*time.Second)
	st := tg.Status()
	t.Logf("little receiver read %d; %v; target: reconnects %d, resent %d", len(little), rep, st.Reconnects, st.Resent)
	if st.Reconnects < 1 {
		t.Errorf("reconnects = %d, want at least 1", st.Reconnects)
	}
}
