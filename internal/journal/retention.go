package journal

import (
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/statefile"
)

// Stats describes a journal at one moment. A memory journal fills in only
// Oldest, Last and Records.
type Stats struct {
	Segments int    // segment files
	Bytes    int64  // their total size
	Records  int    // records kept
	Oldest   uint64 // oldest record kept; Last+1 when empty
	Last     uint64 // newest record; 0 when none

	Syncs            uint64        // fsyncs of segment files
	SyncErrors       uint64        // fsyncs that failed
	WriteErrors      uint64        // writes that failed (a full disk)
	LastSyncDuration time.Duration // how long the latest fsync took

	Holds              int    // readers holding a place
	Floor              uint64 // the lowest place held; records after it are kept; 0 when none is held
	RemovedByRetention uint64 // records removed by retention
	// CutByRetention counts records removed by the hard cap while a reader
	// still needed them: 0 in normal operation.
	CutByRetention uint64
}

// Stats returns the journal's figures.
func (j *Journal) Stats() Stats {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.disk == nil {
		return Stats{Records: int(j.next - j.oldest), Oldest: j.oldest, Last: j.next - 1}
	}
	d := j.disk
	s := d.stats
	s.Segments, s.Bytes, s.Records = len(d.segs), d.bytes, int(d.records)
	s.Oldest, s.Last = j.oldest, j.next-1
	s.Holds = len(d.holds)
	if f, ok := d.floor(); ok {
		s.Floor = f
	}
	return s
}

// Recovery returns what Open found and cut; it is the zero Recovery for a
// memory journal.
func (j *Journal) Recovery() Recovery {
	if j.disk == nil {
		return Recovery{}
	}
	r := j.disk.recovery // set once by Open
	r.Cuts = append([]Cut(nil), r.Cuts...)
	return r
}

// Hold says that reader name (a push target) has every record up to seq and
// still needs the records after it: retention keeps them unless the hard
// cap is reached. Call it again as the reader advances, and Release when
// the reader is gone. A memory journal ignores it.
func (j *Journal) Hold(name string, seq uint64) {
	if j.disk == nil {
		return
	}
	j.mu.Lock()
	j.disk.holds[name] = seq
	j.mu.Unlock()
}

// Release forgets the place held by reader name.
func (j *Journal) Release(name string) {
	if j.disk == nil {
		return
	}
	j.mu.Lock()
	delete(j.disk.holds, name)
	j.mu.Unlock()
}

// floor returns the lowest place held. j.mu is held.
func (d *disk) floor() (uint64, bool) {
	f, ok := uint64(math.MaxUint64), false
	for _, s := range d.holds {
		f, ok = min(f, s), true
	}
	return f, ok
}

// EnforceRetention removes the segments that retention allows to remove
// now. The journal does this by itself after starting each segment and
// every minute; tests and tools call it to have it happen at once.
func (j *Journal) EnforceRetention() error {
	if j.disk == nil {
		return nil
	}
	j.amu.RLock()
	defer j.amu.RUnlock()
	if j.closed {
		return ErrClosed
	}
	return j.enforceRetention()
}

// enforceRetention removes whole segments from the oldest end. It never
// removes the active segment, and it stops at the first segment it must
// keep, so that what remains is always the newest part of the journal.
func (j *Journal) enforceRetention() error {
	d := j.disk
	d.retMu.Lock()
	defer d.retMu.Unlock()
	o := d.opts
	if o.MaxAge <= 0 && o.MaxBytes <= 0 && o.HardCapBytes <= 0 {
		return nil
	}
	now := o.Now()

	j.mu.Lock()
	floor, held := d.floor()
	total := d.bytes
	var gone []*segment
	var removed, cut uint64
	for len(gone) < len(d.segs)-1 {
		s := d.segs[len(gone)]
		old := o.MaxAge > 0 && now.Sub(time.Unix(0, s.newest)) > o.MaxAge
		big := o.MaxBytes > 0 && total > o.MaxBytes
		hard := o.HardCapBytes > 0 && total > o.HardCapBytes
		needed := held && s.last > floor
		if !hard && (needed || !(old || big)) {
			break
		}
		if needed {
			lost := s.last - max(floor, s.first-1)
			cut += lost
			d.log.Error("journal hard cap reached: records removed before a reader had them",
				"file", s.path, "records", lost, "from", max(floor+1, s.first), "to", s.last,
				"bytes", total, "hard_cap", o.HardCapBytes)
		}
		gone = append(gone, s)
		total -= s.size
		removed += s.count()
	}
	if len(gone) == 0 {
		j.mu.Unlock()
		return nil
	}
	d.segs = append([]*segment(nil), d.segs[len(gone):]...)
	d.bytes = total
	d.records -= removed
	d.stats.RemovedByRetention += removed
	d.stats.CutByRetention += cut
	j.oldest = d.segs[0].first
	j.ringFrom = max(j.ringFrom, j.oldest)
	j.mu.Unlock()

	// Readers that planned a read in these files before the lock was
	// released still read them: Linux keeps an open file until it is
	// closed. A reader that opens one too late gets ErrBehind.
	var errs []error
	for _, s := range gone {
		if err := os.Remove(s.path); err != nil {
			errs = append(errs, err)
		}
	}
	if err := statefile.SyncDir(o.Dir); err != nil {
		errs = append(errs, err)
	}
	d.log.Info("journal retention removed segments", "segments", len(gone), "records", removed,
		"oldest", j.Oldest(), "bytes", total)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("journal retention: %w", err)
	}
	return nil
}
