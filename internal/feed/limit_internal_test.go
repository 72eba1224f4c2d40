package feed

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
)

func TestRateLimiterBurstThenRate(t *testing.T) {
	l := newRateLimiter(2, 3, 100) // 2 a second, 3 at once
	a := netip.MustParseAddr("192.0.2.1")
	t0 := time.Unix(1000, 0)
	for i := range 3 {
		if ok, _ := l.allow(a, t0); !ok {
			t.Fatalf("connection %d of the burst refused", i+1)
		}
	}
	ok, first := l.allow(a, t0)
	if ok || !first {
		t.Fatalf("4th connection at once: ok %v first %v, want refused and first", ok, first)
	}
	if ok, first := l.allow(a, t0.Add(100*time.Millisecond)); ok || first {
		t.Fatalf("5th connection 100ms later: ok %v first %v, want refused, not first", ok, first)
	}
	// Another source has its own bucket.
	if ok, _ := l.allow(netip.MustParseAddr("192.0.2.2"), t0); !ok {
		t.Fatal("another source refused")
	}
	// 500ms after the start: one token back (the refused tries took none).
	if ok, _ := l.allow(a, t0.Add(500*time.Millisecond)); !ok {
		t.Fatal("refused after a token's time")
	}
	if ok, first := l.allow(a, t0.Add(510*time.Millisecond)); ok || !first {
		t.Fatalf("right after: ok %v first %v, want refused and first of a new episode", ok, first)
	}
	// Idle long enough, the bucket is full again: dropped, and a new one
	// gives the whole burst.
	t1 := t0.Add(3 * time.Second)
	for i := range 3 {
		if ok, _ := l.allow(a, t1); !ok {
			t.Fatalf("after refilling, connection %d of the burst refused", i+1)
		}
	}
	if ok, _ := l.allow(a, t1); ok {
		t.Fatal("after refilling, more than the burst admitted")
	}
}

// TestRateLimiterDropsFullBuckets: buckets that have filled up again are
// forgotten, so sources that come once leave nothing behind.
func TestRateLimiterDropsFullBuckets(t *testing.T) {
	l := newRateLimiter(10, 5, 1000) // full again 0.5s after last use
	t0 := time.Unix(1000, 0)
	for i := range 500 {
		l.allow(addrN(i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := l.len(); n != 500 {
		t.Fatalf("%d sources remembered, want 500", n)
	}
	// At 750ms those last used at 0..250ms have been idle 0.5s and are
	// full: 249 are left, and the new one.
	l.allow(addrN(10_000), t0.Add(750*time.Millisecond))
	if n := l.len(); n != 249+1 {
		t.Fatalf("%d sources remembered, want 250", n)
	}
	l.allow(addrN(10_001), t0.Add(time.Hour))
	if n := l.len(); n != 1 {
		t.Fatalf("an hour later %d sources remembered, want 1", n)
	}
	checkList(t, l)
}

// TestRateLimiterIsCapped: however many distinct sources connect, no more
// than the cap are remembered; the least recently used one is evicted and
// sources in use keep their buckets.
func TestRateLimiterIsCapped(t *testing.T) {
	const size = 1000
	l := newRateLimiter(0.1, 2, size) // full again 20s after last use
	t0 := time.Unix(1000, 0)
	busy := netip.MustParseAddr("2001:db8:ffff::1") // not one of addrN
	l.allow(busy, t0)
	l.allow(busy, t0) // its bucket is empty now
	for i := range 50 * size {
		now := t0.Add(time.Duration(i) * time.Microsecond)
		if ok, _ := l.allow(addrN(i), now); !ok {
			t.Fatalf("new source %d refused: a full map must evict, not refuse", i)
		}
		if i%100 == 0 {
			// The busy source keeps coming: it stays recently used and
			// is held to its rate throughout.
			if ok, _ := l.allow(busy, now); ok {
				t.Fatalf("busy source admitted after %d other sources: its bucket was lost", i)
			}
		}
		if n := l.len(); n > size {
			t.Fatalf("%d sources remembered after %d, cap %d", n, i+1, size)
		}
	}
	if n := l.len(); n != size {
		t.Errorf("%d sources remembered, want the cap %d", n, size)
	}
	checkList(t, l)
}

// TestServerRateLimiterIsCapped: the listener's limiter has the cap.
func TestServerRateLimiterIsCapped(t *testing.T) {
	l := newRateLimiter(1, 1, maxRateSources)
	t0 := time.Unix(1000, 0)
	for i := range maxRateSources + 5000 {
		l.allow(addrN(i), t0)
	}
	if n := l.len(); n != maxRateSources {
		t.Errorf("%d sources remembered, want %d", n, maxRateSources)
	}
}

func addrN(i int) netip.Addr {
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
}

// checkList checks that the list and the map hold the same buckets, in
// order of last use.
func checkList(t *testing.T, l *rateLimiter) {
	t.Helper()
	n := 0
	var prev *bucket
	for b := l.head; b != nil; b = b.next {
		if b.prev != prev {
			t.Fatal("list links broken")
		}
		if prev != nil && b.last.After(prev.last) {
			t.Fatal("list not in order of last use")
		}
		if l.buckets[b.addr] != b {
			t.Fatal("a listed bucket is not in the map")
		}
		prev = b
		n++
	}
	if prev != l.tail || n != len(l.buckets) {
		t.Fatalf("list holds %d buckets, map %d", n, len(l.buckets))
	}
}

// TestDeniedAddressesTakeNoBucket: the allow list is checked first, so
// connections from refused networks cost no memory in the limiter.
func TestDeniedAddressesTakeNoBucket(t *testing.T) {
	j := journal.NewMemory(10)
	defer j.Close()
	s, err := Listen(Config{Address: "127.0.0.1:0", Journal: j, MaxConnRate: 1, MaxConnBurst: 1,
		Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		conn, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Counters().Denied != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("counters %+v, want 3 denied", s.Counters())
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.Close() // the accept loop has ended: the limiter is ours to look at
	if n := s.limiter.len(); n != 0 {
		t.Errorf("%d buckets after only denied connections, want 0", n)
	}
	if c := s.Counters(); c.RateLimited != 0 {
		t.Errorf("counters %+v, want none rate limited", c)
	}
}
