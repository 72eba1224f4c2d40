package journal

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/statefile"
)

// Options configure a durable journal. The zero value of each field but Dir
// is a usable default.
type Options struct {
	Dir string // directory of the segment files; created if missing

	// Sync 0 means "always": Append returns only after fsync, and
	// concurrent Appends share one fsync (group commit). Above 0 the
	// records are written before Append returns and synced in the
	// background at most this often, and on Close.
	Sync time.Duration

	SegmentBytes  int64 // a new segment file is started past this size; 0 means 64 MiB
	MemoryRecords int   // newest records also kept in memory; 0 means 100000

	// Retention. Segments whose newest record is older than MaxAge, and
	// the oldest segments while the total is above MaxBytes, are removed
	// unless a reader holds a place in them (see Hold). Above HardCapBytes
	// the oldest are removed even so; the records lost to readers are
	// counted in Stats.CutByRetention and logged. 0 turns each off.
	MaxAge       time.Duration
	MaxBytes     int64
	HardCapBytes int64

	Logger *slog.Logger
	Now    func() time.Time // the clock retention uses; nil means time.Now
}

const (
	defaultSegmentBytes  = 64 << 20
	defaultMemoryRecords = 100000
	// retentionEvery is how often the writer applies retention besides
	// after each new segment, so that MaxAge holds when nothing arrives.
	retentionEvery = time.Minute
)

// Open opens the durable journal in opts.Dir and recovers it: it reads every
// segment, keeps every intact record (those found after a damaged entry
// move to a segment file of their own), cuts torn and damaged entries after
// copying them aside, and reports what it cut in Recovery (and in the log).
// New records continue from the newest sequence number ever assigned as far
// as the files tell.
func Open(opts Options) (*Journal, error) {
	if opts.Dir == "" {
		return nil, errors.New("journal: no directory")
	}
	opts.Sync = max(opts.Sync, 0)
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = defaultSegmentBytes
	}
	if opts.MemoryRecords <= 0 {
		opts.MemoryRecords = defaultMemoryRecords
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "journal")
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	unlock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	j, err := open(opts, log, unlock)
	if err != nil {
		unlock()
		return nil, err
	}
	return j, nil
}

func open(opts Options, log *slog.Logger, unlock func() error) (*Journal, error) {
	r, err := recoverDir(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if r.dirDirty {
		if err := statefile.SyncDir(opts.Dir); err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
	}
	if r.report.Clean, err = takeClean(opts.Dir, r.next-1); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	for _, c := range r.report.Cuts {
		log.Warn("journal recovery cut bytes", "file", c.File, "offset", c.Offset, "bytes", c.Bytes,
			"reason", c.Reason, "records_lost", c.Records, "lost_from", c.LostFrom, "lost_to", c.LostTo,
			"salvaged", c.Salvaged, "saved_to", c.SavedTo, "copied_to", c.CopiedTo, "moved_to", c.MovedTo)
	}
	rep := r.report
	log.Info("journal recovered", "dir", opts.Dir, "segments", rep.Segments, "records", rep.Records,
		"first", rep.FirstSeq, "last", rep.LastSeq, "cuts", len(rep.Cuts), "clean", rep.Clean, "took", rep.Duration)

	d := &disk{opts: opts, log: log, segs: r.segs, recovery: rep, unlock: unlock, holds: map[string]uint64{}}
	for _, s := range d.segs {
		d.records += s.count()
		d.bytes += s.size
	}
	w := &writer{}
	if r.reuse {
		s := d.segs[len(d.segs)-1]
		if w.f, err = os.OpenFile(s.path, os.O_RDWR, 0); err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		w.seg = s
	} else {
		s, f, err := createSegment(opts.Dir, r.next)
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		w.f, w.seg = f, s
		d.segs = append(d.segs, s)
		d.bytes += s.size
	}
	w.next = r.next
	d.w = w
	j := &Journal{
		ring:    make([]Entry, opts.MemoryRecords),
		oldest:  d.segs[0].first,
		next:    r.next,
		changed: make(chan struct{}),
		disk:    d,
	}
	if err := j.preload(); err != nil {
		w.f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	w.start(j)
	return j, nil
}

// preload fills the ring with the newest records on disk, so that readers
// that resume near the head after a restart are served from memory. It
// stops at a gap: the ring holds consecutive records only.
func (j *Journal) preload() error {
	d := j.disk
	from := j.next - min(j.next-1, uint64(len(j.ring)))
	for i := len(d.segs) - 1; i > 0; i-- {
		if d.segs[i].first != d.segs[i-1].last+1 {
			from = max(from, d.segs[i].first)
			break
		}
	}
	from = max(from, j.oldest)
	end := j.next
	j.ringFrom, j.next = from, from
	var buf []Entry
	for j.next < end {
		plan, ok := j.planRead(j.next, 4096)
		if !ok {
			break
		}
		var err error
		if buf, err = j.readDisk(plan, buf[:0]); err != nil {
			return err
		}
		if len(buf) == 0 {
			break
		}
		for _, e := range buf {
			j.put(e)
		}
	}
	if j.next != end {
		// The newest records were cut, and their sequence numbers are not
		// reused: the ring starts empty at the next one.
		j.ringFrom, j.next = end, end
	}
	return nil
}

// cleanFile marks a journal that Close shut down after a successful final
// sync; it holds the last sequence number.
const cleanFile = "CLEAN"

// markClean writes the clean-shutdown marker, atomically: a crash while
// it is written leaves no marker rather than a torn one.
func markClean(dir string, last uint64) error {
	if err := statefile.WriteUint(filepath.Join(dir, cleanFile), last); err != nil {
		return fmt.Errorf("journal: mark clean shutdown: %w", err)
	}
	return nil
}

// takeClean reports whether the journal was shut down cleanly with last as
// its newest record, and removes the marker before any new record can make
// it stale.
func takeClean(dir string, last uint64) (bool, error) {
	path := filepath.Join(dir, cleanFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var seq uint64
	_, scanErr := fmt.Sscanf(string(b), "%d", &seq)
	if err := os.Remove(path); err != nil {
		return false, err
	}
	if err := statefile.SyncDir(dir); err != nil {
		return false, err
	}
	return scanErr == nil && seq == last, nil
}

// lockDir takes an exclusive lock on the directory, so that a second
// server pointed at the same journal fails at start rather than
// interleaving records with the first.
func lockDir(dir string) (func() error, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("journal: %s is in use by another process", dir)
		}
		return nil, fmt.Errorf("journal: lock %s: %w", path, err)
	}
	return f.Close, nil
}
