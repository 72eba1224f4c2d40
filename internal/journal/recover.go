package journal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Recovery says what Open found in the journal directory.
type Recovery struct {
	Segments int           // segment files kept
	Records  uint64        // intact records kept
	FirstSeq uint64        // oldest record kept; 0 when none
	LastSeq  uint64        // newest record kept; 0 when none
	Cuts     []Cut         // what was cut, in file order; empty after a clean shutdown
	Duration time.Duration // how long the scan took

	// Clean is true when the journal was last closed by Close after a
	// successful final sync. False means a crash or a kill: with Sync 0
	// nothing acknowledged was lost; with an interval, up to one interval
	// of records may have been (see docs/journal.md).
	Clean bool
}

// Cut describes bytes that recovery removed from the journal. A cut starts
// at the first entry that fails a check (a short read, a length over the
// limit, a checksum mismatch, a sequence number out of turn) and runs to the
// end of its segment file: the journal never keeps a record that follows a
// bad one in the same file, because nothing after a bad length can be
// trusted to start where it seems to.
type Cut struct {
	File   string // segment file name, without the directory
	Offset int64  // offset in the file of the first byte cut
	Bytes  int64  // number of bytes cut
	Reason string // what was wrong at Offset

	// Records is the number of intact entries inside the cut (whole, with
	// a good checksum), found by following the length fields: records that
	// were stored but cannot be kept because they follow a bad entry. It
	// is 0 for a torn tail, which holds part of an entry that was never
	// acknowledged, and for a zero-filled or garbage tail.
	Records uint64

	// LostFrom and LostTo bound the sequence numbers this cut took out of
	// the journal. When a later segment was kept the range is exact: it
	// runs up to the record before that segment's first. At the end of the
	// journal it runs to the newest intact entry in the cut, and the
	// journal continues after it rather than reuse numbers a reader may
	// have seen. Both are 0 when no record was lost.
	LostFrom, LostTo uint64

	// MovedTo is set when the whole file was unusable (a bad file header,
	// or records that overlap the previous segment): it was renamed to
	// this name, which recovery ignores, rather than deleted.
	MovedTo string
}

// scan is what scanSegment found in one file.
type scan struct {
	seg      *segment
	fileSize int64
	badOff   int64  // offset of the first bad entry; -1 when none
	reason   string // why the header or the entry at badOff is bad
	badHead  bool   // the file header itself is bad
}

// scanSegment reads every entry of a segment file and stops at the first
// bad one. It returns an error only when the file cannot be read: an I/O
// error must stop start-up rather than be taken for corruption and cut.
func scanSegment(path string, first uint64) (*scan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	sc := &scan{fileSize: st.Size(), badOff: -1}
	seg := &segment{path: path, first: first, last: first - 1, size: fileHeaderSize}
	sc.seg = seg
	if sc.fileSize < fileHeaderSize {
		sc.badHead, sc.reason = true, fmt.Sprintf("file is %d bytes, shorter than its %d-byte header", sc.fileSize, fileHeaderSize)
		return sc, nil
	}
	br := bufio.NewReaderSize(f, 1<<20)
	head := make([]byte, fileHeaderSize)
	if _, err := io.ReadFull(br, head); err != nil {
		return nil, err
	}
	if err := checkFileHeader(head, first); err != nil {
		sc.badHead, sc.reason = true, err.Error()
		return sc, nil
	}
	var h [entryHeaderSize]byte
	line := make([]byte, 0, 256)
	off := int64(fileHeaderSize)
	for off < sc.fileSize {
		left := sc.fileSize - off
		if left < entryHeaderSize {
			sc.badOff, sc.reason = off, fmt.Sprintf("torn entry header: %d of %d bytes", left, entryHeaderSize)
			break
		}
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return nil, err
		}
		eh := decodeEntryHeader(&h)
		if eh.length > MaxLineBytes {
			sc.badOff, sc.reason = off, fmt.Sprintf("entry length %d is over the limit of %d", eh.length, MaxLineBytes)
			break
		}
		if n := int64(eh.length); left-entryHeaderSize < n {
			sc.badOff, sc.reason = off, fmt.Sprintf("torn entry: %d of %d bytes", left, entryHeaderSize+n)
			break
		}
		line = line[:eh.length]
		if _, err := io.ReadFull(br, line); err != nil {
			return nil, err
		}
		want := seg.last + 1
		if entryCRC(&h, line) != eh.crc {
			sc.badOff, sc.reason = off, fmt.Sprintf("checksum mismatch in the entry of record %d", want)
			break
		}
		if eh.seq != want {
			sc.badOff, sc.reason = off, fmt.Sprintf("sequence number %d where %d was due", eh.seq, want)
			break
		}
		seg.add(eh.seq, off, eh.nanos)
		off += entryHeaderSize + int64(eh.length)
		seg.size = off
	}
	return sc, nil
}

// add records that the entry of seq, at off, is now part of the segment.
func (s *segment) add(seq uint64, off int64, nanos int64) {
	if (seq-s.first)%indexEvery == 0 {
		s.index = append(s.index, indexPoint{seq: seq, off: off})
	}
	s.last = seq
	s.newest = max(s.newest, nanos)
}

// salvage counts the entries from off to size that are still intact
// (whole, with a good checksum, numbered after lastKept) by following the
// length fields. It is only for the report of a cut: a zero-filled or
// garbage tail yields nothing, an entry with one flipped byte followed by
// good ones yields the good ones, which were stored whole and are lost.
func salvage(path string, off, size int64, lastKept uint64) (n, lastSeq uint64) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	var h [entryHeaderSize]byte
	line := make([]byte, MaxLineBytes)
	for size-off >= entryHeaderSize {
		if _, err := f.ReadAt(h[:], off); err != nil {
			break
		}
		eh := decodeEntryHeader(&h)
		l := int64(eh.length)
		if l > MaxLineBytes || size-off-entryHeaderSize < l {
			break
		}
		if _, err := f.ReadAt(line[:l], off+entryHeaderSize); err != nil {
			break
		}
		if entryCRC(&h, line[:l]) == eh.crc && eh.seq > lastKept {
			n++
			lastSeq = max(lastSeq, eh.seq)
		}
		off += entryHeaderSize + l
	}
	return n, lastSeq
}

// recovered is the journal state that recoverDir rebuilt.
type recovered struct {
	segs     []*segment // kept, in order; the last may be reused as the active one
	next     uint64     // sequence number of the next record
	reuse    bool       // the last kept segment is the last file and may take new records
	report   Recovery
	dirDirty bool // files were removed or renamed
}

// recoverDir scans every segment in dir, cuts what is bad and returns what
// is left. See Cut for the rules.
func recoverDir(dir string) (*recovered, error) {
	start := time.Now()
	firsts, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	r := &recovered{}
	var (
		expect  uint64 // sequence number due after the segments kept so far
		highest uint64 // highest sequence number known to have been assigned, plus one
		pending = -1   // index in r.report.Cuts of a cut whose lost range awaits the next kept segment
	)
	for i, first := range firsts {
		name := segmentName(first)
		path := filepath.Join(dir, name)
		isLast := i == len(firsts)-1
		if expect == 0 {
			expect = first
		}
		highest = max(highest, first)
		sc, err := scanSegment(path, first)
		if err != nil {
			return nil, fmt.Errorf("recover %s: %w", name, err)
		}
		seg := sc.seg
		if !sc.badHead && len(r.segs) > 0 && first < expect {
			sc.badHead, sc.reason = true, fmt.Sprintf("starts at record %d, inside the previous segment, which ends at %d", first, expect-1)
		}
		if sc.badHead {
			cut := Cut{File: name, Bytes: sc.fileSize, Reason: sc.reason}
			if isLast && sc.fileSize <= fileHeaderSize {
				// A crash while the segment was being created: it never
				// held a record, so it is simply removed.
				cut.Reason = "incomplete segment file, left by a crash while it was being created: " + sc.reason
				if err := os.Remove(path); err != nil {
					return nil, fmt.Errorf("recover %s: %w", name, err)
				}
			} else {
				cut.MovedTo = name + ".bad"
				if err := os.Rename(path, path+".bad"); err != nil {
					return nil, fmt.Errorf("recover %s: %w", name, err)
				}
			}
			r.dirDirty = true
			r.report.Cuts = append(r.report.Cuts, cut)
			if pending < 0 {
				pending = len(r.report.Cuts) - 1
			}
			continue
		}
		if first > expect {
			// Records are missing before this segment: a cut earlier
			// explains them, or a file was removed by hand.
			if pending < 0 {
				r.report.Cuts = append(r.report.Cuts, Cut{File: name,
					Reason: fmt.Sprintf("records %d..%d are missing before this segment (a segment file was removed?)", expect, first-1)})
				pending = len(r.report.Cuts) - 1
			}
			c := &r.report.Cuts[pending]
			c.LostFrom, c.LostTo = expect, first-1
		}
		pending = -1
		if sc.badOff >= 0 {
			cut := Cut{File: name, Offset: sc.badOff, Bytes: sc.fileSize - sc.badOff, Reason: sc.reason}
			var lastSeq uint64
			cut.Records, lastSeq = salvage(path, sc.badOff, sc.fileSize, seg.last)
			if cut.Records > 0 {
				cut.LostFrom, cut.LostTo = seg.last+1, lastSeq
			}
			if err := truncateFile(path, sc.badOff); err != nil {
				return nil, fmt.Errorf("recover %s: cut at %d: %w", name, sc.badOff, err)
			}
			r.report.Cuts = append(r.report.Cuts, cut)
			pending = len(r.report.Cuts) - 1
		}
		if seg.count() == 0 && !isLast {
			// Only a cut can leave a segment empty before the last one;
			// an empty file in the middle would just be one more to skip.
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("recover %s: %w", name, err)
			}
			r.dirDirty = true
			continue
		}
		r.segs = append(r.segs, seg)
		expect = seg.last + 1
		highest = max(highest, expect)
		if c := r.lastCut(); c != nil && c.LostTo > 0 {
			highest = max(highest, c.LostTo+1)
		}
		r.reuse = isLast
	}
	r.next = max(expect, highest, 1)
	if n := len(r.segs); n > 0 && r.segs[n-1].last+1 != r.next {
		r.reuse = false
	}
	if pending >= 0 && r.next > expect {
		c := &r.report.Cuts[pending]
		c.LostFrom, c.LostTo = expect, r.next-1
	}
	for _, s := range r.segs {
		r.report.Records += s.count()
	}
	r.report.Segments = len(r.segs)
	if r.report.Records > 0 {
		r.report.FirstSeq, r.report.LastSeq = r.segs[0].first, r.segs[len(r.segs)-1].last
		for _, s := range r.segs { // the last kept may be empty; LastSeq is the newest record
			if s.count() > 0 {
				r.report.LastSeq = s.last
			}
		}
	}
	r.report.Duration = time.Since(start)
	return r, nil
}

func (r *recovered) lastCut() *Cut {
	if len(r.report.Cuts) == 0 {
		return nil
	}
	return &r.report.Cuts[len(r.report.Cuts)-1]
}

// truncateFile cuts a file to size and makes the cut durable, so that a
// crash right after recovery cannot bring the bad bytes back.
func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = errors.Join(f.Truncate(size), f.Sync())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
