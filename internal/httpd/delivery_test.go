package httpd_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/simulator"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// TestFanOutToManyClientsAndPushTargets runs the simulator through the
// server while 50 local clients and 2 push receivers are connected: all of
// them get the same records in the same order.
func TestFanOutToManyClientsAndPushTargets(t *testing.T) {
	r1 := smdrtest.Listen(t, "127.0.0.1:0")
	r2 := smdrtest.Listen(t, "127.0.0.1:0")
	h := newHarness(t, func(c *config.Config) {
		c.Push.Enabled = true
		c.Push.Targets = []config.Target{{Address: r1.Addr()}, {Address: r2.Addr()}}
	})
	clients := make([]*smdrtest.Client, 50)
	for i := range clients {
		clients[i] = smdrtest.Dial(t, h.srv.LocalAddr())
	}
	h.waitClients(t, 50)
	h.waitPushConnected(t)

	stats, err := simulator.Run(context.Background(), simulator.Config{Seed: 7, Calls: 300, Speed: 0}, h.srv)
	if err != nil {
		t.Fatalf("simulator: %v", err)
	}
	total := int(h.srv.Journal().Last())
	if total < 300 {
		t.Fatalf("%d calls wrote %d records, want at least one per call", stats.Calls, total)
	}
	want := bytes.Join(r1.WaitFor(t, total, 10*time.Second), nil)
	check := func(name string, l *smdrtest.Lines) {
		got := l.WaitFor(t, total, 10*time.Second)
		if len(got) != total {
			t.Errorf("%s got %d lines, want %d", name, len(got), total)
		}
		if bad := l.Bad(); len(bad) > 0 {
			t.Errorf("%s got %d lines that are not 164 bytes ending CR LF, e.g. %q", name, len(bad), bad[0])
		}
		if !bytes.Equal(bytes.Join(got, nil), want) {
			t.Errorf("%s got other records or another order than push receiver 1", name)
		}
	}
	check("push receiver 2", r2.Lines)
	for i, c := range clients {
		check(fmt.Sprintf("client %d", i), c.Lines)
	}
}

// TestPushReceiverRestartGetsRecordsAgain stops a push receiver, writes
// records while it is down, and starts it again: it gets the records within
// 2 s of coming back, none lost and in order.
func TestPushReceiverRestartGetsRecordsAgain(t *testing.T) {
	rcv := smdrtest.Listen(t, "127.0.0.1:0")
	h := newHarness(t, func(c *config.Config) {
		c.Push.Enabled = true
		c.Push.Targets = []config.Target{{Address: rcv.Addr()}}
		c.Push.RetryMin = config.Duration(100 * time.Millisecond)
		c.Push.RetryMax = config.Duration(time.Second)
	})
	h.waitPushConnected(t)
	h.mustPost(t, `{"call":"a","event":"ringing","direction":"in","trunk":"1"}`)
	rcv.WaitFor(t, 1, 5*time.Second)

	rcv.Stop()
	waitUntil(t, 5*time.Second, "push target to notice the receiver has gone", func() bool {
		return h.srv.Status().Push[0].State != "connected"
	})
	h.mustPost(t, `{"call":"a","event":"connected"}`)
	h.mustPost(t, `{"call":"a","event":"disconnected"}`)
	// Let the target back off to its cap while the receiver is down.
	waitUntil(t, 10*time.Second, "a few failed reconnects", func() bool {
		st := h.srv.Status().Push[0]
		return st.State == "waiting" && time.Since(st.Since) < time.Second
	})
	rcv.Restart(t)
	back := time.Now()
	lines := rcv.WaitFor(t, 3, 2*time.Second)
	t.Logf("records again %v after the receiver came back", time.Since(back).Round(time.Millisecond))
	for i, want := range []string{"RINGING", "ANSWERED", "DISCONNECTED"} {
		if !bytes.Contains(lines[i], []byte("|"+want)) {
			t.Errorf("line %d = %q, want %s", i, lines[i], want)
		}
	}
	if st := h.srv.Status().Push[0]; st.Reconnects < 1 || st.Skipped != 0 {
		t.Errorf("status %+v: want at least one reconnect and nothing skipped", st)
	}
}

// TestClientThatStopsReadingDoesNotDelayOthers connects a client that never
// reads, with a tiny receive buffer, beside a normal one, and writes far more
// than the stuck client's socket buffers hold.
func TestClientThatStopsReadingDoesNotDelayOthers(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.Local.WriteTimeout = config.Duration(500 * time.Millisecond)
	})
	d := net.Dialer{Control: nil}
	stuck, err := d.Dial("tcp", h.srv.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	stuck.(*net.TCPConn).SetReadBuffer(4096)
	good := smdrtest.Dial(t, h.srv.LocalAddr())
	h.waitClients(t, 2)

	const calls = 20000 // 40,000 records, 6.5 MB: more than the socket buffers hold
	for i := 0; i < calls; i += 200 {
		var b bytes.Buffer
		for k := i; k < i+200; k++ {
			fmt.Fprintf(&b, `{"call":"c%d","event":"ringing","direction":"in","trunk":"1","name":"CALLER %d"}`+"\n", k, k)
			fmt.Fprintf(&b, `{"call":"c%d","event":"disconnected"}`+"\n", k)
		}
		h.mustPost(t, b.String())
	}
	got := good.WaitFor(t, 2*calls, 10*time.Second)
	if len(got) != 2*calls {
		t.Fatalf("good client got %d lines, want %d", len(got), 2*calls)
	}
	waitUntil(t, 10*time.Second, "the stuck client to be dropped", func() bool {
		st := h.srv.Status().Local
		return st.Dropped == 1 && st.Connected == 1
	})
}

// TestDisabledOpensNoPortAndPushesNothing checks enabled: false.
func TestDisabledOpensNoPortAndPushesNothing(t *testing.T) {
	rcv := smdrtest.Listen(t, "127.0.0.1:0")
	h := newHarness(t, func(c *config.Config) {
		c.Enabled = false
		c.Push.Enabled = true
		c.Push.Targets = []config.Target{{Address: rcv.Addr()}}
	})
	if a := h.srv.LocalAddr(); a != "" {
		t.Errorf("local mode listens on %s with enabled: false", a)
	}
	st := h.srv.Status()
	if st.Local != nil || len(st.Push) != 0 {
		t.Errorf("status shows delivery with enabled: false: %+v", st)
	}
	// Events are still accepted, and go nowhere until enabled.
	h.mustPost(t, `{"call":"a","event":"ringing","direction":"in","trunk":"1"}`)
	if n := rcv.Accepted(); n != 0 {
		t.Errorf("receiver accepted %d connections with enabled: false", n)
	}
}
