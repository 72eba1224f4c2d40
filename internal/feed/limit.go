package feed

import (
	"net/netip"
	"time"
)

// maxRateSources is how many source addresses the connection rate limiter
// remembers at most: about 10 MB at worst.
const maxRateSources = 100_000

// rateLimiter is a token bucket per source address: each bucket holds up to
// burst tokens, gains rate tokens a second, and a connection takes one.
//
// Its memory is bounded. A bucket that has had time to fill up again is
// dropped, since a new bucket starts full and so behaves the same. Buckets
// are kept in order of last use, the least recently used at the tail, so
// those are found at the tail without a scan. If more than size sources are
// still remembered, the least recently used bucket is evicted: that source
// starts afresh with a full bucket. Refusing new sources instead would let
// anyone who can reach the port from many addresses (an IPv6 /64 is enough)
// lock every other client out; evicting only lets such a sender, which has
// fresh buckets anyway for every address it adds, reset older ones.
//
// It is not safe for concurrent use: only the accept loop uses it.
type rateLimiter struct {
	rate    float64 // tokens a second, > 0
	burst   float64 // bucket size, >= 1
	size    int     // buckets remembered at most, >= 1
	buckets map[netip.Addr]*bucket
	// head is the most recently used bucket, tail the least; the list is
	// ordered by last, since every use moves a bucket to the head.
	head, tail *bucket
}

type bucket struct {
	addr       netip.Addr
	tokens     float64   // at last
	last       time.Time // when tokens was computed
	limited    bool      // the last connection was refused
	prev, next *bucket   // towards the head, towards the tail
}

func newRateLimiter(rate float64, burst, size int) *rateLimiter {
	return &rateLimiter{
		rate:    rate,
		burst:   float64(burst),
		size:    size,
		buckets: make(map[netip.Addr]*bucket),
	}
}

// allow takes a token from addr's bucket at now and says whether there was
// one. first is true when the connection is refused and the one before it
// from the same source was not, so that a caller logs once per episode.
// now must not go back between calls.
func (l *rateLimiter) allow(addr netip.Addr, now time.Time) (ok, first bool) {
	l.prune(now)
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= l.size {
			l.remove(l.tail)
		}
		b = &bucket{addr: addr, tokens: l.burst, last: now}
		l.buckets[addr] = b
	} else {
		l.unlink(b)
		b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
		b.last = now
	}
	l.pushHead(b)
	if b.tokens >= 1 {
		b.tokens--
		b.limited = false
		return true, false
	}
	first = !b.limited
	b.limited = true
	return false, first
}

// prune drops, from the tail, the buckets that have filled up again by now.
// A bucket unused for burst/rate seconds is full whatever it held; one
// that fills sooner waits until then, which only costs memory for a while.
func (l *rateLimiter) prune(now time.Time) {
	for l.tail != nil && now.Sub(l.tail.last).Seconds()*l.rate >= l.burst {
		l.remove(l.tail)
	}
}

// len returns how many sources are remembered.
func (l *rateLimiter) len() int { return len(l.buckets) }

func (l *rateLimiter) remove(b *bucket) {
	l.unlink(b)
	delete(l.buckets, b.addr)
}

func (l *rateLimiter) unlink(b *bucket) {
	if b.prev != nil {
		b.prev.next = b.next
	} else {
		l.head = b.next
	}
	if b.next != nil {
		b.next.prev = b.prev
	} else {
		l.tail = b.prev
	}
	b.prev, b.next = nil, nil
}

func (l *rateLimiter) pushHead(b *bucket) {
	b.next = l.head
	if l.head != nil {
		l.head.prev = b
	}
	l.head = b
	if l.tail == nil {
		l.tail = b
	}
}
