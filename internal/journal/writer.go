package journal

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/statefile"
)

// A request carries the lines of one Append to the writer and its answer
// back.
type request struct {
	lines [][]byte
	nanos int64
	first uint64
	err   error
	done  chan struct{} // receives once the request is answered
}

var requests = sync.Pool{New: func() any { return &request{done: make(chan struct{}, 1)} }}

// The writer writes segment files. An Append that finds it idle (nothing
// queued, nobody writing) writes its lines itself, in its own goroutine, so
// that a lone caller, such as the server's ingest loop, pays no hand-off to
// another goroutine and back. Otherwise Appends queue their lines to the
// writer goroutine; it takes everything queued, writes it with one write
// and, with Sync 0, one fsync, then answers every caller: while one fsync
// runs, the next callers queue up and share the next one (group commit).
// The interval sync and retention run in the writer goroutine too.
type writer struct {
	j        *Journal
	reqs     chan *request
	done     chan struct{} // closed when run returns
	closeErr error         // the final sync and close; read after done
	// queued counts requests handed to the writer goroutine and not yet
	// answered, taken from the channel or not: an Append writes itself
	// only when it is 0, so that it never goes ahead of requests the
	// goroutine holds and makes them wait for a second fsync.
	queued atomic.Int64

	// mu is held by whoever writes: the writer goroutine for each round
	// of its loop, or an Append that writes itself. The fields below
	// belong to its holder. seg.size, the end of the last good entry,
	// changes only under mu and j.mu, so reading it under mu needs no
	// other lock.
	mu        sync.Mutex
	f         *os.File
	seg       *segment
	next      uint64 // sequence number of the next record
	dirty     bool   // written since the last fsync
	syncErr   error  // the last background fsync failed (interval sync)
	tailDirty bool   // a failed write may have left bytes after seg.size
	rolled    bool   // a segment was started: time to apply retention
	buf       []byte
	points    []indexPoint
}

const (
	maxBatchBytes = 4 << 20 // one write; the rest waits for the next round
	queueLen      = 1024
)

func (w *writer) start(j *Journal) {
	w.j = j
	w.reqs = make(chan *request, queueLen)
	w.done = make(chan struct{})
	go w.run()
}

// appendDisk writes lines itself when the writer is idle, or hands them to
// the writer goroutine and waits for the answer. j.amu is held shared and
// is released here once the request is written or queued.
func (j *Journal) appendDisk(lines [][]byte, now time.Time) (uint64, error) {
	for i, l := range lines {
		if len(l) > MaxLineBytes {
			j.amu.RUnlock()
			return 0, fmt.Errorf("journal: line %d is %d bytes, over the limit of %d", i, len(l), MaxLineBytes)
		}
	}
	if len(lines) == 0 {
		j.amu.RUnlock()
		return j.Last() + 1, nil
	}
	r := requests.Get().(*request)
	r.lines, r.nanos = lines, now.UnixNano()
	w := j.disk.w
	if w.queued.Load() == 0 && w.mu.TryLock() {
		// Idle: write here. TryLock, not Lock: when another caller or the
		// writer goroutine is writing, this one queues for the next group
		// commit rather than wait for the lock and then fsync alone.
		err := w.round([]*request{r})
		w.mu.Unlock()
		j.amu.RUnlock()
		first := r.first
		*r = request{done: r.done}
		requests.Put(r)
		return first, err
	}
	w.queued.Add(1)
	w.reqs <- r
	j.amu.RUnlock()
	<-r.done
	first, err := r.first, r.err
	*r = request{done: r.done}
	requests.Put(r)
	return first, err
}

func (w *writer) run() {
	defer close(w.done)
	d := w.j.disk
	var tick <-chan time.Time
	if d.opts.Sync > 0 {
		t := time.NewTicker(d.opts.Sync)
		defer t.Stop()
		tick = t.C
	}
	ret := time.NewTicker(retentionEvery)
	defer ret.Stop()
	var batch []*request
	for {
		select {
		case r, ok := <-w.reqs:
			w.mu.Lock()
			if !ok {
				w.closeErr = w.finish()
				w.mu.Unlock()
				return
			}
			batch = append(batch[:0], r)
			open := w.gather(&batch)
			err := w.round(batch)
			w.queued.Add(-int64(len(batch)))
			for _, r := range batch {
				r.err = err
				r.done <- struct{}{}
			}
			clear(batch)
			if !open {
				w.closeErr = w.finish()
				w.mu.Unlock()
				return
			}
			w.mu.Unlock()
		case <-tick:
			w.mu.Lock()
			w.backgroundSync()
			w.mu.Unlock()
		case <-ret.C:
			w.mu.Lock()
			w.retain()
			w.mu.Unlock()
		}
	}
}

// round writes batch and, when that started a segment, applies retention.
// w.mu is held.
func (w *writer) round(batch []*request) error {
	err := w.write(batch)
	if w.rolled {
		w.rolled = false
		w.retain()
	}
	return err
}

// gather adds the requests already queued to batch, up to maxBatchBytes.
// It reports false when the queue was closed.
func (w *writer) gather(batch *[]*request) bool {
	n := 0
	for _, l := range (*batch)[0].lines {
		n += entryHeaderSize + len(l)
	}
	for n < maxBatchBytes {
		select {
		case r, ok := <-w.reqs:
			if !ok {
				return false
			}
			*batch = append(*batch, r)
			for _, l := range r.lines {
				n += entryHeaderSize + len(l)
			}
		default:
			return true
		}
	}
	return true
}

// write makes the records of batch durable and visible, or none of them.
func (w *writer) write(batch []*request) error {
	d := w.j.disk
	if w.tailDirty {
		if err := w.cutTail(); err != nil {
			return err
		}
	}
	if w.syncErr != nil {
		// The disk failed a background sync: accept nothing more until it
		// syncs again, so that callers hear about it.
		if err := w.sync(); err != nil {
			return err
		}
	}
	if w.seg.size >= d.opts.SegmentBytes && w.seg.count() > 0 {
		if err := w.roll(); err != nil {
			return err
		}
	}
	buf, points := w.buf[:0], w.points[:0]
	seq, off := w.next, w.seg.size
	for _, r := range batch {
		r.first = seq
		for _, l := range r.lines {
			if (seq-w.seg.first)%indexEvery == 0 {
				points = append(points, indexPoint{seq: seq, off: off + int64(len(buf))})
			}
			buf = appendEntry(buf, seq, r.nanos, l)
			seq++
		}
	}
	if cap(buf) <= 2*maxBatchBytes { // keep the buffer unless one huge batch grew it
		w.buf, w.points = buf, points
	}
	if _, err := w.f.WriteAt(buf, off); err != nil {
		w.count(func(s *Stats) { s.WriteErrors++ })
		w.tailDirty = true
		w.cutTail()
		return fmt.Errorf("journal: write %s: %w", w.seg.path, err)
	}
	w.dirty = true
	if d.opts.Sync == 0 {
		if err := w.sync(); err != nil {
			// The records were not accepted. What fsync failed on may have
			// been dropped from the page cache; the bytes are cut so that a
			// later crash cannot bring records back that callers were told
			// had failed.
			w.tailDirty = true
			w.cutTail()
			return err
		}
	}
	w.publish(batch, points, off+int64(len(buf)), seq)
	return nil
}

// publish makes written records visible to readers.
func (w *writer) publish(batch []*request, points []indexPoint, size int64, next uint64) {
	j, s := w.j, w.seg
	j.mu.Lock()
	s.index = append(s.index, points...)
	j.disk.bytes += size - s.size
	j.disk.records += next - w.next
	s.size = size
	for _, r := range batch {
		t := time.Unix(0, r.nanos)
		for i, l := range r.lines {
			j.put(Entry{Seq: r.first + uint64(i), Time: t, Line: l})
		}
		s.newest = max(s.newest, r.nanos)
	}
	s.last = next - 1
	j.notify()
	j.mu.Unlock()
	w.next = next
}

// sync fsyncs the active segment and counts it.
func (w *writer) sync() error {
	start := time.Now()
	err := w.f.Sync()
	took := time.Since(start)
	w.count(func(s *Stats) {
		s.Syncs++
		s.LastSyncDuration = took
		if err != nil {
			s.SyncErrors++
		}
	})
	if err != nil {
		return fmt.Errorf("journal: sync %s: %w", w.seg.path, err)
	}
	w.dirty, w.syncErr = false, nil
	return nil
}

// backgroundSync is the interval sync. Records are already visible; when
// the sync fails the error is logged and new Appends fail until a sync
// succeeds.
func (w *writer) backgroundSync() {
	if !w.dirty && w.syncErr == nil {
		return
	}
	if err := w.sync(); err != nil {
		if w.syncErr == nil {
			w.j.disk.log.Error("journal sync failed; appends fail until it succeeds", "err", err)
		}
		w.syncErr = err
	}
}

// cutTail removes what a failed write may have left after the last good
// entry. Until it succeeds nothing else is written: the next batch could be
// shorter than the failed one and leave whole entries of it behind.
func (w *writer) cutTail() error {
	err := w.f.Truncate(w.seg.size)
	if err == nil && w.j.disk.opts.Sync == 0 {
		err = w.f.Sync()
	}
	if err != nil {
		return fmt.Errorf("journal: cut a failed write from %s: %w", w.seg.path, err)
	}
	w.tailDirty = false
	return nil
}

// roll starts a new segment at the next sequence number.
func (w *writer) roll() error {
	j, d := w.j, w.j.disk
	if w.dirty {
		// The old segment goes to disk first, so that no crash can leave
		// a later segment behind an unsynced tail.
		if err := w.sync(); err != nil {
			return err
		}
	}
	s, f, err := createSegment(d.opts.Dir, w.next)
	if err != nil {
		return fmt.Errorf("journal: new segment: %w", err)
	}
	if err := w.f.Close(); err != nil {
		d.log.Warn("journal: closing a full segment", "file", w.seg.path, "err", err)
	}
	j.mu.Lock()
	d.segs = append(d.segs, s)
	d.bytes += s.size
	j.mu.Unlock()
	w.f, w.seg, w.rolled = f, s, true
	return nil
}

// createSegment creates the segment file for records from first on, with
// its header durable and its name in the directory.
func createSegment(dir string, first uint64) (*segment, *os.File, error) {
	path := segmentPath(dir, first)
	// O_TRUNC: a file of that name can only be one left empty by a failed
	// attempt, since no record at first or later has been accepted.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, nil, err
	}
	_, err = f.Write(encodeFileHeader(first))
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = statefile.SyncDir(dir)
	}
	if err != nil {
		f.Close()
		if os.Remove(path) == nil {
			statefile.SyncDir(dir)
		}
		return nil, nil, err
	}
	return &segment{path: path, first: first, last: first - 1, size: fileHeaderSize}, f, nil
}

// finish is the writer's part of Close.
func (w *writer) finish() error {
	var err error
	if w.tailDirty {
		err = w.cutTail()
	}
	if w.dirty || w.syncErr != nil {
		err = errors.Join(err, w.sync())
	}
	return errors.Join(err, w.f.Close())
}

func (w *writer) retain() {
	if err := w.j.enforceRetention(); err != nil {
		w.j.disk.log.Error("journal retention", "err", err)
	}
}

// count updates the counters under the journal's lock.
func (w *writer) count(f func(*Stats)) {
	w.j.mu.Lock()
	f(&w.j.disk.stats)
	w.j.mu.Unlock()
}
