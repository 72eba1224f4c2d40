package journal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"sync"
	"time"
)

// readPlan says where a read from disk starts and ends. It is made under
// the journal's lock and carried out without it.
type readPlan struct {
	path  string
	at    indexPoint // the index point to start scanning from
	start uint64     // first record wanted
	limit uint64     // last record wanted
}

// planRead plans a read of up to n records from start, within one
// segment. j.mu is held.
func (j *Journal) planRead(start uint64, n int) (readPlan, bool) {
	if j.disk == nil || n <= 0 {
		return readPlan{}, false
	}
	segs := j.disk.segs
	// Segments are in order and each one's last is at or above the
	// previous one's, so the first whose last reaches start holds it, or
	// holds the first record after a gap.
	i := sort.Search(len(segs), func(i int) bool { return segs[i].last >= start })
	if i == len(segs) {
		return readPlan{}, false
	}
	s := segs[i]
	start = max(start, s.first)
	return readPlan{
		path:  s.path,
		at:    s.locate(start),
		start: start,
		limit: min(s.last, start+uint64(n)-1),
	}, true
}

// readers recycles the buffered readers of reads from disk.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// readDisk carries out a plan and appends the records to dst. Each call
// opens the segment file itself, so that retention may remove a file while
// it is read (Linux keeps the data until the last close) and no file
// handle has to be shared with the writer.
func (j *Journal) readDisk(p readPlan, dst []Entry) ([]Entry, error) {
	f, err := os.Open(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		// Retention removed the segment after the plan was made.
		j.mu.Lock()
		oldest := j.oldest
		j.mu.Unlock()
		if p.start < oldest {
			return dst, fmt.Errorf("%w: asked for %d, oldest is %d", ErrBehind, p.start, oldest)
		}
	}
	if err != nil {
		return dst, fmt.Errorf("journal: read: %w", err)
	}
	defer f.Close()
	br := readers.Get().(*bufio.Reader)
	defer readers.Put(br)
	br.Reset(io.NewSectionReader(f, p.at.off, 1<<62))

	// The lines of one call share slabs of memory: one allocation per
	// 64 KiB rather than one per record.
	var slab []byte
	var h [entryHeaderSize]byte
	off := p.at.off
	for seq := p.at.seq; seq <= p.limit; seq++ {
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return dst, j.readErr(p.path, off, seq, err)
		}
		eh := decodeEntryHeader(&h)
		if eh.length > MaxLineBytes || eh.seq != seq {
			return dst, j.readErr(p.path, off, seq, fmt.Errorf("%w: length %d, sequence number %d", ErrCorrupt, eh.length, eh.seq))
		}
		n := int(eh.length)
		off += entryHeaderSize + int64(n)
		if seq < p.start {
			if _, err := br.Discard(n); err != nil {
				return dst, j.readErr(p.path, off, seq, err)
			}
			continue
		}
		if cap(slab)-len(slab) < n {
			slab = make([]byte, 0, max(64<<10, n))
		}
		line := slab[len(slab) : len(slab)+n : len(slab)+n]
		slab = slab[:len(slab)+n]
		if _, err := io.ReadFull(br, line); err != nil {
			return dst, j.readErr(p.path, off, seq, err)
		}
		if entryCRC(&h, line) != eh.crc {
			return dst, j.readErr(p.path, off, seq, fmt.Errorf("%w: checksum mismatch", ErrCorrupt))
		}
		dst = append(dst, Entry{Seq: seq, Time: time.Unix(0, eh.nanos), Line: line})
	}
	return dst, nil
}

func (j *Journal) readErr(path string, off int64, seq uint64, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("%w: file ends early", ErrCorrupt)
	}
	return fmt.Errorf("journal: read record %d in %s near offset %d: %w", seq, path, off, err)
}
