package engine

import "time"

// The engine remembers the keys of ended calls so that a late event for one
// (a retry, a PBX that reports a little out of order) is refused instead of
// silently starting a new call. The memory is bounded both ways: a PBX may
// reuse its keys eventually, and the server must not grow without limit.
const (
	endedMaxKeys = 100_000
	endedMaxAge  = time.Hour
)

// endedSet is a FIFO of recently ended call keys with a map for lookups.
type endedSet struct {
	keys map[string]uint64 // key -> seq of its newest entry in q
	q    []endedEntry      // ring buffer, oldest at head
	head int
	n    int
	seq  uint64
	max  int
	age  time.Duration
}

type endedEntry struct {
	key string
	seq uint64
	at  time.Time
}

func newEndedSet(maxKeys int, maxAge time.Duration) endedSet {
	return endedSet{keys: make(map[string]uint64), max: maxKeys, age: maxAge}
}

// has reports whether key ended recently.
func (s *endedSet) has(key string) bool {
	_, ok := s.keys[key]
	return ok
}

// add remembers key as ended at at, forgetting the oldest key if full.
func (s *endedSet) add(key string, at time.Time) {
	if s.n == s.max {
		s.pop()
	}
	if s.n == len(s.q) {
		s.grow()
	}
	s.seq++
	s.q[(s.head+s.n)%len(s.q)] = endedEntry{key: key, seq: s.seq, at: at}
	s.n++
	s.keys[key] = s.seq
}

// prune forgets keys that ended more than s.age before now.
func (s *endedSet) prune(now time.Time) {
	for s.n > 0 && now.Sub(s.q[s.head].at) > s.age {
		s.pop()
	}
}

func (s *endedSet) pop() {
	e := &s.q[s.head]
	// A key can be in the queue twice if it was forgotten, reused by the
	// PBX and ended again; only its newest entry owns the map entry.
	if s.keys[e.key] == e.seq {
		delete(s.keys, e.key)
	}
	*e = endedEntry{} // let the key string be collected
	s.head = (s.head + 1) % len(s.q)
	s.n--
}

// grow doubles the ring, up to max, keeping the order.
func (s *endedSet) grow() {
	size := min(max(2*len(s.q), 64), s.max)
	q := make([]endedEntry, size)
	for i := 0; i < s.n; i++ {
		q[i] = s.q[(s.head+i)%len(s.q)]
	}
	s.q, s.head = q, 0
}
