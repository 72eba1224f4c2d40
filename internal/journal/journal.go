// Package journal keeps the sequenced log of records that the server has
// accepted, and lets each reader (a local-mode client, a push target, the
// records feed) follow it at its own pace from a sequence number.
//
// Sequence numbers start at 1 and increase by one per record. Readers never
// block writers: a reader that asks for records the journal no longer keeps
// gets ErrBehind and decides what to do (a local client is dropped, a push
// target skips ahead and counts what it missed).
//
// Open returns the durable journal: records go to append-only segment files
// with a checksum per entry, Append returns only once they are on disk (or
// written, with an interval sync), start-up recovers every intact record,
// and retention removes old segments but never one that a reader holding a
// place with Hold still needs, unless a hard cap on size is reached. The
// newest records are also kept in memory so that readers near the head
// never touch the disk. NewMemory returns a journal that keeps records in
// memory only, for tests and for tools that need no durability.
//
// docs/journal.md describes the file format, the recovery rules and what
// each sync setting can cost at a power cut.
package journal

import (
	"errors"
	"fmt"
	"log/slog"
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
	// amu orders Append against Close: appends hold it shared while they
	// hand their records to the writer, Close holds it to stop them.
	amu    sync.RWMutex
	closed bool

	mu       sync.Mutex
	ring     []Entry // ring[seq%len(ring)] holds seq while seq >= ringFrom
	ringFrom uint64  // oldest seq in the ring; equals next when it is empty
	oldest   uint64  // oldest seq kept; equals next when empty
	next     uint64  // the seq after the newest visible record
	changed  chan struct{}
	disk     *disk // nil for a memory journal

	closeOnce sync.Once
	closeErr  error
}

// disk is the state of a durable journal. Its fields are guarded by the
// journal's mu unless they say otherwise.
type disk struct {
	opts     Options
	log      *slog.Logger
	segs     []*segment // in order; the last is the active one
	records  uint64     // records kept (segments can have gaps after a cut)
	bytes    int64      // total size of the segment files
	holds    map[string]uint64
	recovery Recovery
	stats    Stats // the counters; Stats fills in the rest

	retMu  sync.Mutex // one retention pass at a time
	w      *writer
	unlock func() error // releases the directory lock
}

// NewMemory returns a journal that keeps the newest capacity records in
// memory.
func NewMemory(capacity int) *Journal {
	if capacity < 1 {
		capacity = 1
	}
	return &Journal{ring: make([]Entry, capacity), oldest: 1, ringFrom: 1, next: 1, changed: make(chan struct{})}
}

// Append adds lines as consecutive records and returns the sequence number of
// the first. The journal keeps the slices: callers must not change them.
//
// On a durable journal Append returns once the records are as durable as
// Options.Sync asks, and only then can readers see them. When it returns an
// error the records were not accepted: no reader sees them and their
// sequence numbers go to the next records that are.
func (j *Journal) Append(lines [][]byte, now time.Time) (uint64, error) {
	j.amu.RLock()
	if j.closed {
		j.amu.RUnlock()
		return 0, ErrClosed
	}
	if j.disk != nil {
		return j.appendDisk(lines, now) // releases amu
	}
	defer j.amu.RUnlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	first := j.next
	if len(lines) == 0 {
		return first, nil
	}
	for _, l := range lines {
		j.put(Entry{Seq: j.next, Time: now, Line: l})
	}
	j.oldest = j.ringFrom
	j.notify()
	return first, nil
}

// put adds e, the record after the newest, to the ring. j.mu is held.
func (j *Journal) put(e Entry) {
	n := uint64(len(j.ring))
	j.ring[e.Seq%n] = e
	j.next = e.Seq + 1
	if j.next-j.ringFrom > n {
		j.ringFrom = j.next - n
	}
}

// notify wakes the readers waiting on Changed. j.mu is held.
func (j *Journal) notify() {
	close(j.changed)
	j.changed = make(chan struct{})
}

// Last returns the sequence number of the newest record, 0 if none. After
// recovery cut intact records at the end of the journal it is the highest
// number they used, which is not reused.
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
	if j.disk != nil {
		return int(j.disk.records)
	}
	return int(j.next - j.oldest)
}

// ReadAfter appends to dst up to max records with sequence numbers above
// after, oldest first, and returns it. It does not wait: with nothing new it
// returns dst unchanged. It returns ErrBehind when after+1 is older than the
// oldest record kept; Oldest tells where a reader may resume.
//
// Records that recovery had to cut leave a gap in the sequence numbers:
// ReadAfter then returns the records after the gap, and the reader sees the
// jump in Entry.Seq.
func (j *Journal) ReadAfter(after uint64, dst []Entry, max int) ([]Entry, error) {
	j.mu.Lock()
	if after+1 < j.oldest {
		oldest := j.oldest
		j.mu.Unlock()
		return dst, fmt.Errorf("%w: asked for %d, oldest is %d", ErrBehind, after+1, oldest)
	}
	if after+1 >= j.ringFrom {
		n := uint64(len(j.ring))
		for s := after + 1; s < j.next && max > 0; s++ {
			dst = append(dst, j.ring[s%n])
			max--
		}
		j.mu.Unlock()
		return dst, nil
	}
	// Only a durable journal gets here: the ring of a memory journal holds
	// every record it keeps.
	plan, ok := j.planRead(after+1, max)
	j.mu.Unlock()
	if !ok {
		return dst, nil
	}
	out, err := j.readDisk(plan, dst)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// Changed returns a channel that is closed when records are appended after
// the call, or when the journal is closed. Readers take it before ReadAfter
// so that no append can slip between the read and the wait.
func (j *Journal) Changed() <-chan struct{} {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.changed
}

// Close stops appends, waits for the records already handed to the writer
// to be written and synced, closes the files and wakes every waiting
// reader. It returns the first error of that final sync or close.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		j.amu.Lock()
		j.closed = true
		if j.disk != nil {
			close(j.disk.w.reqs)
		}
		j.amu.Unlock()
		if d := j.disk; d != nil {
			<-d.w.done
			err := d.w.closeErr
			if err == nil {
				err = markClean(d.opts.Dir, d.w.next-1)
			}
			j.closeErr = errors.Join(err, d.unlock())
		}
		j.mu.Lock()
		close(j.changed) // not replaced: Changed returns a closed channel from now on
		j.mu.Unlock()
	})
	return j.closeErr
}
