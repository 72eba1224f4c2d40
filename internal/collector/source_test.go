package collector_test

import (
	"context"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collector"
)

func manualLines(tb testing.TB) []string {
	tb.Helper()
	data, err := os.ReadFile(manualExamples)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\r\n")
	return lines[:len(lines)-1] // after the last CR LF: ""
}

// waitTotals waits until the collector's totals satisfy cond.
func waitTotals(tb testing.TB, c *collector.Collector, what string, cond func(collector.Result) bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond(c.Totals()) {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s: totals %+v", what, c.Totals())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConnectReconnectsAndStoresResentLinesOnce plays a server's local
// port that drops the collector and, on the next connection, sends again
// some lines it had sent: the collector reconnects, and each line is
// stored once.
func TestConnectReconnectsAndStoresResentLinesOnce(t *testing.T) {
	lines := manualLines(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, st := mustOpen(t, collector.Options{Site: "connect"})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		c.Connect(ctx, ln.Addr().String(), collector.Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond})
	})

	first, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	first.Write([]byte(strings.Join(lines[:10], "")))
	waitTotals(t, c, "the first 10 lines", func(r collector.Result) bool { return r.Stored == 10 })
	first.Close()

	second, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	// Lines 5 to 9 again, then the rest, one byte at a time for a part of
	// it, as a slow link would.
	rest := strings.Join(lines[5:], "")
	second.Write([]byte(rest[:500]))
	for i := 500; i < 700; i++ {
		second.Write([]byte{rest[i]})
	}
	second.Write([]byte(rest[700:]))
	waitTotals(t, c, "all 20 lines", func(r collector.Result) bool { return r.Stored == 20 })
	if got := c.Totals(); got.Duplicates != 5 || got.Errors != 0 {
		t.Errorf("totals %+v; want 5 duplicates, no errors", got)
	}
	if src := c.Sources(); len(src) != 1 || src[0].Reconnect < 1 || src[0].State != "connected" {
		t.Errorf("sources %+v; want one, connected, after a reconnect", src)
	}
	cancel()
	wg.Wait() // Connect returns when ctx is done
	if n := len(allCalls(t, st, "connect")); n != 4 {
		t.Errorf("%d calls, want 4", n)
	}
}

// TestListenTakesSeveralPushConnections accepts two push connections at
// once, each sending half of the records.
func TestListenTakesSeveralPushConnections(t *testing.T) {
	lines := manualLines(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := mustOpen(t, collector.Options{Site: "listen"})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { c.Listen(ctx, ln) })

	var conns []net.Conn
	for _, part := range [][]string{lines[:10], lines[10:]} {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
		conn.Write([]byte(strings.Join(part, "")))
	}
	// A blank line (some emitters send them as keepalives) is no record.
	conns[0].Write([]byte("\r\n"))
	waitTotals(t, c, "20 lines", func(r collector.Result) bool { return r.Stored == 20 })
	if got := c.Totals(); got.Read != 20 {
		t.Errorf("read %d lines, want 20 (the blank line is skipped)", got.Read)
	}
	cancel()
	wg.Wait() // Listen closes the connections and returns
	for _, conn := range conns {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Read(make([]byte, 1)); err == nil {
			t.Errorf("connection still open after Listen returned")
		}
		conn.Close()
	}
}
