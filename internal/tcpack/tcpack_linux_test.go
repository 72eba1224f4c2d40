//go:build linux

package tcpack_test

import (
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/tcpack"
)

// TestPollOnARealSocket: against a peer that does not read, what its small
// receive buffer took is acknowledged and the rest stays queued; once it
// reads everything, everything is.
func TestPollOnARealSocket(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	peer, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	conn := <-accepted
	if conn == nil {
		t.Fatal("accept failed")
	}
	defer conn.Close()
	rc, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}

	var f tcpack.Flight
	line := make([]byte, 164)
	const records = 1000 // 164 KB: far more than the peer's buffer
	for seq := uint64(1); seq <= records; seq++ {
		f.Sent(seq, len(line))
	}
	conn.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	var total int64
	for total < records*164 {
		n, err := conn.Write(make([]byte, records*164-total))
		total += int64(n)
		if err != nil {
			break // the peer's window and our send buffer are full
		}
	}
	f.Wrote(total)
	time.Sleep(50 * time.Millisecond) // the acknowledgements
	seq, ok, err := f.Poll(rc)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("written %d bytes, acknowledged to record %d (%v), %d bytes unacknowledged", total, seq, ok, f.Unacked())
	if !ok || seq == 0 || seq*164 > 64<<10 {
		t.Fatalf("acknowledged to record %d (%v): want some, no more than the peer's small buffer holds", seq, ok)
	}
	if f.Unacked() == 0 {
		t.Fatal("nothing unacknowledged from a peer that does not read")
	}

	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.CopyN(io.Discard, peer, total); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.Unacked() > 0 && time.Now().Before(deadline) {
		if _, _, err := f.Poll(rc); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if f.Unacked() != 0 {
		t.Fatalf("%d bytes unacknowledged after the peer read everything", f.Unacked())
	}
	if want := total / 164; f.Len() != int(records-want) {
		t.Fatalf("%d records in flight, want %d (the ones never written)", f.Len(), records-want)
	}
}
