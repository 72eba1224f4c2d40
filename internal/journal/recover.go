package journal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/statefile"
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
// at an entry that fails a check (a short read, a length over the limit, a
// checksum mismatch, a sequence number out of turn) and runs up to the next
// intact entry of the same file (whole, with a good checksum, numbered after
// the records before the cut), or to the end of the file when there is
// none. The intact entries after a cut are kept: they are moved to a new
// segment file (SavedTo), so that only the damaged entries are lost. Before
// anything is truncated, the bytes of the cut are copied to CopiedTo.
type Cut struct {
	File   string // segment file name, without the directory
	Offset int64  // offset in the file of the first byte cut
	Bytes  int64  // number of bytes cut (the damaged entries only)
	Reason string // what was wrong at Offset

	// Records is the number of records this cut took out of the journal:
	// LostTo-LostFrom+1, or 0 when no record was lost (a torn tail, or a
	// zero-filled or garbage tail, holds no record that was ever
	// acknowledged).
	Records uint64

	// LostFrom and LostTo bound the sequence numbers this cut took out of
	// the journal: the records between the last one kept before the cut
	// and the first one kept after it. At the end of the journal the range
	// runs to the newest record named by a whole entry header in the cut,
	// and the journal continues after it rather than reuse numbers a
	// reader may have seen. Both are 0 when no record was lost.
	LostFrom, LostTo uint64

	// Salvaged is the number of intact records found after the damaged
	// bytes, up to the next cut or the end of the file. They were moved
	// to the new segment file SavedTo and are kept.
	Salvaged uint64
	SavedTo  string

	// CopiedTo names the file, in the journal directory, that holds a copy
	// of the bytes cut (NAME.cut-OFFSET.bad); recovery ignores it.
	CopiedTo string

	// MovedTo is set when the whole file was unusable (a bad file header,
	// or records that overlap the previous segment): it was renamed to
	// this name, which recovery ignores, rather than deleted.
	MovedTo string
}

// lostFile names the file that keeps the ranges of sequence numbers that
// recovery has reported lost, one "FROM TO" a line, so that the gaps they
// leave between segment files are not reported again at the next Open.
const lostFile = "LOST"

// scan is what scanSegment found in one file.
type scan struct {
	seg      *segment // the entries from the file header to the first bad spot
	fileSize int64
	badHead  bool      // the file header itself is bad
	reason   string    // why the header is bad
	spots    []badSpot // damaged bytes, in file order
	runs     []run     // runs[i] holds the intact entries right after spots[i]; one fewer when the file ends in a spot
}

// badSpot is a stretch of damaged bytes in a segment file.
type badSpot struct {
	off, end int64
	reason   string // what is wrong with the entry at off

	// named is, for a spot that runs to the end of the file, the newest
	// record named in turn by the whole entry headers at its start (their
	// checksums fail): 0 when there is none, as in a torn tail.
	named uint64
}

// run is a stretch of consecutive intact entries after a bad spot. The
// offsets in seg's index are those the entries get in the new segment file.
type run struct {
	seg            *segment
	srcOff, srcEnd int64 // where the entries are in the damaged file
}

// window reads a file through a buffer that it refills at any offset: the
// scan goes forward, and the search for the next intact entry after a bad
// spot steps back to the byte after it.
type window struct {
	f    *os.File
	size int64
	buf  []byte
	off  int64 // file offset of buf[0]
}

const windowBytes = 1<<20 + entryHeaderSize + MaxLineBytes

// bytes returns the n bytes at off, which must be inside the file; the
// slice is only valid until the next call.
func (w *window) bytes(off int64, n int) ([]byte, error) {
	if off >= w.off && off+int64(n) <= w.off+int64(len(w.buf)) {
		return w.buf[off-w.off : off-w.off+int64(n)], nil
	}
	w.buf = w.buf[:min(int64(cap(w.buf)), w.size-off)]
	w.off = off
	if _, err := w.f.ReadAt(w.buf, off); err != nil {
		w.buf = w.buf[:0]
		return nil, err
	}
	return w.buf[:n], nil
}

// header decodes the entry header at off. whole says that its length is
// within the limit and the entry ends inside the file.
func (w *window) header(off int64) (h [entryHeaderSize]byte, eh entryHeader, whole bool, err error) {
	if w.size-off < entryHeaderSize {
		return h, eh, false, nil
	}
	b, err := w.bytes(off, entryHeaderSize)
	if err != nil {
		return h, eh, false, err
	}
	copy(h[:], b)
	eh = decodeEntryHeader(&h)
	return h, eh, eh.length <= MaxLineBytes && w.size-off-entryHeaderSize >= int64(eh.length), nil
}

// intact reports whether the checksum of the whole entry at off is good.
func (w *window) intact(off int64, h *[entryHeaderSize]byte, eh entryHeader) (bool, error) {
	line, err := w.bytes(off+entryHeaderSize, int(eh.length))
	if err != nil {
		return false, err
	}
	return entryCRC(h, line) == eh.crc, nil
}

// follow adds to seg the entries from off on that are whole, intact and
// numbered in turn, at their offset plus shift. It returns the offset of
// the first entry that is not and what is wrong with it ("" at the end of
// the file).
func (w *window) follow(seg *segment, off, shift int64) (int64, string, error) {
	for off < w.size {
		h, eh, whole, err := w.header(off)
		if err != nil {
			return off, "", err
		}
		due := seg.last + 1
		switch left := w.size - off; {
		case left < entryHeaderSize:
			return off, fmt.Sprintf("torn entry header: %d of %d bytes", left, entryHeaderSize), nil
		case eh.length > MaxLineBytes:
			return off, fmt.Sprintf("entry length %d is over the limit of %d", eh.length, MaxLineBytes), nil
		case !whole:
			return off, fmt.Sprintf("torn entry: %d of %d bytes", left, entryHeaderSize+int64(eh.length)), nil
		}
		ok, err := w.intact(off, &h, eh)
		if err != nil {
			return off, "", err
		}
		if !ok {
			return off, fmt.Sprintf("checksum mismatch in the entry of record %d", due), nil
		}
		if eh.seq != due {
			return off, fmt.Sprintf("sequence number %d where %d was due", eh.seq, due), nil
		}
		seg.add(eh.seq, off+shift, eh.nanos)
		off += entryHeaderSize + int64(eh.length)
		seg.size = off + shift
	}
	return off, "", nil
}

// resync looks for the first intact entry after the bad one at off: whole,
// with a good checksum, numbered after prev and no further ahead than the
// bytes skipped can hold (each entry takes at least a header). It tries
// every offset, since a damaged length cannot be followed.
func (w *window) resync(off int64, prev uint64) (at int64, seq uint64, found bool, err error) {
	for p := off + 1; w.size-p >= entryHeaderSize; p++ {
		b, err := w.bytes(p, entryHeaderSize)
		if err != nil {
			return 0, 0, false, err
		}
		// The length and the sequence number rule out almost every
		// offset before the header is decoded and the checksum computed.
		length, seq := binary.LittleEndian.Uint32(b[0:]), binary.LittleEndian.Uint64(b[8:])
		if length > MaxLineBytes || seq <= prev || seq-prev-1 > uint64(p-off)/entryHeaderSize {
			continue
		}
		h, eh, whole, err := w.header(p)
		if err != nil {
			return 0, 0, false, err
		}
		if !whole {
			continue
		}
		ok, err := w.intact(p, &h, eh)
		if err != nil {
			return 0, 0, false, err
		}
		if ok {
			return p, eh.seq, true, nil
		}
	}
	return w.size, 0, false, nil
}

// named follows the length fields from off while the entry headers are
// whole and name the records due from due on, and returns the last one
// named, or 0.
func (w *window) named(off int64, due uint64) (uint64, error) {
	var last uint64
	for {
		_, eh, whole, err := w.header(off)
		if err != nil || !whole || eh.seq != due {
			return last, err
		}
		last, due = due, due+1
		off += entryHeaderSize + int64(eh.length)
	}
}

// scanSegment reads every entry of a segment file. At a bad entry it looks
// for the next intact one and goes on from there, so that it finds every
// stretch of damaged bytes and every intact record. It returns an error
// only when the file cannot be read: an I/O error must stop start-up rather
// than be taken for corruption and cut.
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
	sc := &scan{fileSize: st.Size()}
	seg := &segment{path: path, first: first, last: first - 1, size: fileHeaderSize}
	sc.seg = seg
	if sc.fileSize < fileHeaderSize {
		sc.badHead, sc.reason = true, fmt.Sprintf("file is %d bytes, shorter than its %d-byte header", sc.fileSize, fileHeaderSize)
		return sc, nil
	}
	w := &window{f: f, size: sc.fileSize, buf: make([]byte, 0, windowBytes)}
	head, err := w.bytes(0, fileHeaderSize)
	if err != nil {
		return nil, err
	}
	if err := checkFileHeader(head, first); err != nil {
		sc.badHead, sc.reason = true, err.Error()
		return sc, nil
	}
	off, reason, err := w.follow(seg, fileHeaderSize, 0)
	prev := seg.last
	for err == nil && reason != "" {
		spot := badSpot{off: off, reason: reason}
		var (
			seq   uint64
			found bool
		)
		spot.end, seq, found, err = w.resync(off, prev)
		if err != nil {
			break
		}
		if !found {
			spot.named, err = w.named(off, prev+1)
			sc.spots = append(sc.spots, spot)
			break
		}
		sc.spots = append(sc.spots, spot)
		r := run{seg: &segment{first: seq, last: seq - 1, size: fileHeaderSize}, srcOff: spot.end}
		off, reason, err = w.follow(r.seg, spot.end, fileHeaderSize-spot.end)
		r.srcEnd = off
		sc.runs = append(sc.runs, r)
		prev = r.seg.last
	}
	if err != nil {
		return nil, err
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

// recovered is the journal state that recoverDir rebuilt.
type recovered struct {
	segs     []*segment // kept, in order; the last may be reused as the active one
	next     uint64     // sequence number of the next record
	reuse    bool       // the last kept segment is the last file and may take new records
	report   Recovery
	dirDirty bool // files were removed or renamed
}

// recoverDir scans every segment in dir, cuts what is bad, moves the intact
// records found after damaged ones to segment files of their own and
// returns what is left. See Cut for the rules.
func recoverDir(dir string) (*recovered, error) {
	start := time.Now()
	r := &recovered{}
	var err error
	if r.dirDirty, err = removeTemps(dir); err != nil {
		return nil, err
	}
	firsts, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	known := readLost(dir)
	var (
		expect  uint64 // sequence number due after the segments kept so far
		highest uint64 // highest sequence number known to have been assigned, plus one
		pending = -1   // index in r.report.Cuts of a cut whose lost range awaits the next kept segment
		done    = map[uint64]bool{}
	)
	// gap accounts for the records missing before first, the first record
	// of a segment about to be kept. Ranges that an earlier recovery
	// reported are not reported again.
	gap := func(first uint64, name string) {
		if first <= expect {
			return
		}
		from, to := known.trim(expect, first-1)
		if from > to {
			return
		}
		if pending < 0 {
			// No cut of this recovery explains them: a file was removed.
			r.report.Cuts = append(r.report.Cuts, Cut{File: name,
				Reason: fmt.Sprintf("records %d..%d are missing before this segment (a segment file was removed?)", from, to)})
			pending = len(r.report.Cuts) - 1
		}
		c := &r.report.Cuts[pending]
		c.LostFrom, c.LostTo = from, to
	}
	keep := func(seg *segment, last bool) {
		gap(seg.first, filepath.Base(seg.path))
		pending = -1
		r.segs = append(r.segs, seg)
		expect = seg.last + 1
		highest = max(highest, expect)
		r.reuse = last
	}
	// isLast says whether firsts[i] is the last segment file, not counting
	// the files this recovery has just written.
	isLast := func(i int) bool {
		for _, f := range firsts[i+1:] {
			if !done[f] {
				return false
			}
		}
		return true
	}
	for i, first := range firsts {
		if done[first] {
			continue // written by this recovery from an earlier file, and kept there
		}
		name := segmentName(first)
		path := filepath.Join(dir, name)
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
			if isLast(i) && sc.fileSize <= fileHeaderSize {
				// A crash while the segment was being created: it never
				// held a record, so it is simply removed.
				cut.Reason = "incomplete segment file, left by a crash while it was being created: " + sc.reason
				if err := os.Remove(path); err != nil {
					return nil, fmt.Errorf("recover %s: %w", name, err)
				}
			} else {
				cut.MovedTo = freeName(dir, name, ".bad")
				if err := os.Rename(path, filepath.Join(dir, cut.MovedTo)); err != nil {
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
		gap(first, name) // records are missing before this segment
		pending, expect = -1, max(expect, first)
		cuts, err := mend(dir, sc, done)
		if err != nil {
			return nil, fmt.Errorf("recover %s: %w", name, err)
		}
		last := isLast(i)
		if seg.count() > 0 || (last && len(sc.runs) == 0) {
			keep(seg, last && len(sc.runs) == 0)
		} else {
			// A segment left empty, before the last one, would just be
			// one more file to skip; its header is all it holds.
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("recover %s: %w", name, err)
			}
			r.dirDirty = true
		}
		for k, cut := range cuts {
			r.report.Cuts = append(r.report.Cuts, cut)
			pending = len(r.report.Cuts) - 1
			if k < len(sc.runs) {
				keep(sc.runs[k].seg, last && k == len(sc.runs)-1)
			} else if n := sc.spots[k].named; n > 0 {
				// Whole entries that named these records were
				// damaged: they may have been acknowledged and read,
				// so their numbers are not given again.
				highest = max(highest, n+1)
			}
		}
	}
	r.next = max(expect, highest, 1)
	if n := len(r.segs); n > 0 && r.segs[n-1].last+1 != r.next {
		r.reuse = false
	}
	if pending >= 0 && r.next > expect {
		if from, to := known.trim(expect, r.next-1); from <= to {
			c := &r.report.Cuts[pending]
			c.LostFrom, c.LostTo = from, to
		}
	}
	for k := range r.report.Cuts {
		if c := &r.report.Cuts[k]; c.LostTo > 0 {
			c.Records = c.LostTo - c.LostFrom + 1
			known = known.add(span{c.LostFrom, c.LostTo})
		}
	}
	for _, s := range r.segs {
		r.report.Records += s.count()
	}
	r.report.Segments = len(r.segs)
	oldest := r.next
	if r.report.Records > 0 {
		r.report.FirstSeq, r.report.LastSeq = r.segs[0].first, r.segs[len(r.segs)-1].last
		for _, s := range r.segs { // the last kept may be empty; LastSeq is the newest record
			if s.count() > 0 {
				r.report.LastSeq = s.last
			}
		}
	}
	if len(r.segs) > 0 {
		oldest = r.segs[0].first
	}
	if err := writeLost(dir, known.from(oldest)); err != nil {
		return nil, err
	}
	r.report.Duration = time.Since(start)
	return r, nil
}

// mend deals with the bad spots that scanSegment found in a file: it
// copies the bytes of each to a file of its own, writes each run of intact
// entries after a spot to a new segment file named by its first record
// (done marks them), and only then truncates the file at its first spot.
// It returns a cut for each spot, in file order.
func mend(dir string, sc *scan, done map[uint64]bool) ([]Cut, error) {
	if len(sc.spots) == 0 {
		return nil, nil
	}
	path := sc.seg.path
	name := filepath.Base(path)
	cuts := make([]Cut, len(sc.spots))
	for k, s := range sc.spots {
		cuts[k] = Cut{File: name, Offset: s.off, Bytes: s.end - s.off, Reason: s.reason}
		copied, err := copyOut(path, s.off, s.end)
		if err != nil {
			return nil, fmt.Errorf("copy the bytes cut at %d: %w", s.off, err)
		}
		cuts[k].CopiedTo = copied
	}
	for k, rn := range sc.runs {
		if err := saveRun(dir, path, rn); err != nil {
			return nil, fmt.Errorf("save records %d..%d: %w", rn.seg.first, rn.seg.last, err)
		}
		done[rn.seg.first] = true
		cuts[k].Salvaged, cuts[k].SavedTo = rn.seg.count(), filepath.Base(rn.seg.path)
	}
	// The copies and the new segments are durable before anything is cut.
	if err := statefile.SyncDir(dir); err != nil {
		return nil, err
	}
	if err := truncateFile(path, sc.spots[0].off); err != nil {
		return nil, fmt.Errorf("cut at %d: %w", sc.spots[0].off, err)
	}
	return cuts, nil
}

// copyOut copies the bytes from off to end of the file at path to a new
// file NAME.cut-OFFSET.bad beside it, synced, and returns its name.
func copyOut(path string, off, end int64) (string, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer src.Close()
	dir := filepath.Dir(path)
	name := freeName(dir, fmt.Sprintf("%s.cut-%d", filepath.Base(path), off), ".bad")
	dst, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(dst, io.NewSectionReader(src, off, end-off))
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return name, err
}

// freeName returns base+ext, or base-2+ext, base-3+ext, ... whichever is
// not taken in dir, so that no earlier copy is overwritten.
func freeName(dir, base, ext string) string {
	name := base + ext
	for n := 2; ; n++ {
		if _, err := os.Lstat(filepath.Join(dir, name)); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d%s", base, n, ext)
	}
}

// saveRun writes the entries of rn, from the damaged file at src, to a new
// segment file: a temporary file, synced and renamed into place. A file of
// that name can only be left by a recovery that was interrupted before it
// truncated src: it holds the same bytes and is kept. Anything else in the
// way stops start-up rather than be overwritten.
func saveRun(dir, src string, rn run) error {
	path := segmentPath(dir, rn.seg.first)
	rn.seg.path = path
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	content := func() io.Reader {
		return io.MultiReader(bytes.NewReader(encodeFileHeader(rn.seg.first)),
			io.NewSectionReader(f, rn.srcOff, rn.srcEnd-rn.srcOff))
	}
	if same, err := sameContent(path, content()); err != nil || same {
		return err
	} else if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s is in the way of the records salvaged from %s; move it away and start again",
			filepath.Base(path), filepath.Base(src))
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = io.Copy(tmp, content())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// sameContent reports whether the file at path exists and holds exactly
// the bytes of want.
func sameContent(path string, want io.Reader) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	a, b := bufio.NewReader(f), bufio.NewReader(want)
	bufA, bufB := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, errA := io.ReadFull(a, bufA)
		nb, errB := io.ReadFull(b, bufB)
		if !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		endA := errors.Is(errA, io.EOF) || errors.Is(errA, io.ErrUnexpectedEOF)
		endB := errors.Is(errB, io.EOF) || errors.Is(errB, io.ErrUnexpectedEOF)
		switch {
		case errA != nil && !endA:
			return false, errA
		case errB != nil && !endB:
			return false, errB
		case endA || endB:
			return endA == endB, nil
		}
	}
}

// removeTemps removes the temporary segment files that a recovery
// interrupted by a crash left behind; the bytes they hold are still in the
// file they were copied from.
func removeTemps(dir string) (bool, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	removed := false
	for _, de := range des {
		if n := de.Name(); strings.HasPrefix(n, ".") && strings.Contains(n, segmentExt+".tmp") {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return removed, err
			}
			removed = true
		}
	}
	return removed, nil
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

// span is a range of sequence numbers, from and to included.
type span struct{ from, to uint64 }

// spans are sorted ranges that neither overlap nor touch.
type spans []span

// trim takes off both ends of from..to the numbers inside s, and returns
// what is left; from > to when nothing is.
func (s spans) trim(from, to uint64) (uint64, uint64) {
	for _, sp := range s {
		if sp.from <= from && from <= sp.to {
			if sp.to >= to {
				return 1, 0
			}
			from = sp.to + 1
		}
	}
	for i := len(s) - 1; i >= 0; i-- {
		if sp := s[i]; sp.from <= to && to <= sp.to {
			if sp.from <= from {
				return 1, 0
			}
			to = sp.from - 1
		}
	}
	return from, to
}

// add returns s with sp merged in.
func (s spans) add(sp span) spans {
	out := append(slices.Clone(s), sp)
	slices.SortFunc(out, func(a, b span) int {
		switch {
		case a.from < b.from:
			return -1
		case a.from > b.from:
			return 1
		}
		return 0
	})
	merged := out[:1]
	for _, sp := range out[1:] {
		if l := &merged[len(merged)-1]; sp.from <= l.to+1 {
			l.to = max(l.to, sp.to)
		} else {
			merged = append(merged, sp)
		}
	}
	return merged
}

// from returns the ranges that reach oldest or later: the others are
// below every record kept and can no longer show as a gap.
func (s spans) from(oldest uint64) spans {
	var out spans
	for _, sp := range s {
		if sp.to >= oldest {
			out = append(out, sp)
		}
	}
	return out
}

func (s spans) String() string {
	var b strings.Builder
	for _, sp := range s {
		fmt.Fprintf(&b, "%d %d\n", sp.from, sp.to)
	}
	return b.String()
}

// readLost reads the lost ranges that earlier recoveries reported. A
// missing or unreadable file, or a line that is not a range, only means
// that a gap is reported again.
func readLost(dir string) spans {
	b, err := os.ReadFile(filepath.Join(dir, lostFile))
	if err != nil {
		return nil
	}
	var s spans
	for _, l := range strings.Split(string(b), "\n") {
		var sp span
		if _, err := fmt.Sscanf(l, "%d %d", &sp.from, &sp.to); err == nil && sp.from > 0 && sp.from <= sp.to {
			s = s.add(sp)
		}
	}
	return s
}

// writeLost replaces the file of lost ranges atomically when they changed.
func writeLost(dir string, s spans) error {
	path := filepath.Join(dir, lostFile)
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && len(s) == 0:
		return nil
	case err == nil && string(old) == s.String():
		return nil
	case len(s) == 0:
		if err := os.Remove(path); err != nil {
			return err
		}
		return statefile.SyncDir(dir)
	}
	return statefile.Write(path, []byte(s.String()))
}
