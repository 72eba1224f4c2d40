// Package journal keeps the sequenced log of records that the server has
// accepted, and lets each reader (a local-mode client, a push target, the
// records feed) follow it at its own pace from a sequence number.
//
// Sequence numbers start at 1 and increase by one per record. Readers never
// block writers: a reader that falls further behind than the journal keeps
// gets ErrBehind and decides what to do (a local client is dropped, a push
// target skips ahead and counts what it missed).
//
// This journal keeps the newest records in memory only; the durable,
// on-disk journal replaces its storage behind the same methods.
package journal

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrBehind is returned by ReadAfter when the records a reader asks for are
// no longer kept.
var ErrBehind = errors.New("journal: reader is behind the oldest record kept")

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("journal: closed")

// Entry is one record in the journal.
type Entry struct {
	Seq  uint64
	Time time.Time // when the server accepted the record
	Line []byte    // the record as sent on the wire: 162 characters and CR LF
}

// Journal is a sequenced log of records. It is safe for concurrent use.
type Journal struct {
	mu      sync.Mutex
	ring    []Entry // ring[seq%len(ring)] holds seq while seq >= oldest
	oldest  uint64  // oldest seq kept; equals next when empty
	next    uint64  // the seq the next record gets
	changed chan struct{}
	closed  bool
}

// NewMemory returns a journal that keeps the newest capacity records in
// memory.
func NewMemory(capacity int) *Journal {
	if capacity < 1 {
		capacity = 1
	}
	return &Journal{ring: make([]Entry, capacity), oldest: 1, next: 1, changed: make(chan struct{})}
}

// Append adds lines as consecutive records and returns the sequence number of
// the first. The journal keeps the slices: callers must not change them.
func (j *Journal) Append(lines [][]byte, now time.Time) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return 0, ErrClosed
	}
	first := j.next
	if len(lines) == 0 {
		return first, nil
	}
	n := uint64(len(j.ring))
	for _, l := range lines {
		j.ring[j.next%n] = Entry{Seq: j.next, Time: now, Line: l}
		j.next++
	}
	if j.next-j.oldest > n {
		j.oldest = j.next - n
	}
	close(j.changed)
	j.changed = make(chan struct{})
	return first, nil
}

// Last returns the sequence number of the newest record, 0 if none.
func (j *Journal) Last() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.next - 1
}

// Oldest returns the sequence number of the oldest record kept; it is
// Last()+1 when the journal is empty.
func (j *Journal) Oldest() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.oldest
}

// Len returns the number of records kept.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return int(j.next - j.oldest)
}

// ReadAfter appends to dst up to max records with sequence numbers above
// after, oldest first, and returns it. It does not wait: with nothing new it
// returns dst unchanged. It returns ErrBehind when after+1 is older than the
// oldest record kept; Oldest tells where a reader may resume.
func (j *Journal) ReadAfter(after uint64, dst []Entry, max int) ([]Entry, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if after+1 < j.oldest {
		return dst, fmt.Errorf("%w: asked for %d, oldest is %d", ErrBehind, after+1, j.oldest)
	}
	n := uint64(len(j.ring))
	for s := after + 1; s < j.next && max > 0; s++ {
		dst = append(dst, j.ring[s%n])
		max--
	}
	return dst, nil
}

// Changed returns a channel that is closed when records are appended after
// the call, or when the journal is closed. Readers take it before ReadAfter
// so that no append can slip between the read and the wait.
func (j *Journal) Changed() <-chan struct{} {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.changed
}

// Close stops appends and wakes every waiting reader.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.closed {
		j.closed = true
		close(j.changed)
	}
	return nil
}
