package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The on-disk format. A segment file starts with a file header:
//
//	offset size field
//	0      8    magic "IPSMDRJL"
//	8      4    format version, little endian (1)
//	12     8    sequence number of the segment's first record
//	20     4    CRC-32C of bytes 0..19
//
// and is followed by entries, each an entry header and the line:
//
//	0      4    length of the line in bytes
//	4      4    CRC-32C of the length, sequence number, time and line
//	8      8    sequence number
//	16     8    time the record was accepted, Unix nanoseconds
//	24     n    the line
//
// All integers are little endian. The checksum covers every field but
// itself, so that a flipped bit anywhere in an entry is caught, including
// one in the length that would otherwise send the reader to a wrong offset.
const (
	fileMagic       = "IPSMDRJL"
	fileVersion     = 1
	fileHeaderSize  = 24
	entryHeaderSize = 24

	// MaxLineBytes bounds one record. Our lines are 164 bytes; the bound
	// lets recovery tell a corrupt length from a real one.
	MaxLineBytes = 1 << 16

	// indexEvery is the distance, in records, between the points of a
	// segment's sparse offset index. With SMDR lines a point every 512
	// records means a read far behind scans at most about 96 KiB, and a
	// 64 MiB segment needs about 700 points (11 KiB) of memory.
	indexEvery = 512

	segmentExt = ".seg"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by the errors of reads that find an entry whose
// checksum or sequence number is wrong after start-up (the disk changed
// under the journal).
var ErrCorrupt = errors.New("journal: corrupt entry")

// segmentName returns the file name of the segment whose first record is
// first. Twenty digits hold any uint64 and make names sort as numbers.
func segmentName(first uint64) string {
	return fmt.Sprintf("%020d%s", first, segmentExt)
}

// parseSegmentName returns the first sequence number in a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(digits) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return n, err == nil && n > 0
}

func encodeFileHeader(first uint64) []byte {
	b := make([]byte, fileHeaderSize)
	copy(b, fileMagic)
	binary.LittleEndian.PutUint32(b[8:], fileVersion)
	binary.LittleEndian.PutUint64(b[12:], first)
	binary.LittleEndian.PutUint32(b[20:], crc32.Checksum(b[:20], castagnoli))
	return b
}

// checkFileHeader says what is wrong with a segment's file header, or
// returns nil.
func checkFileHeader(b []byte, first uint64) error {
	switch {
	case len(b) < fileHeaderSize:
		return fmt.Errorf("file header is %d bytes, want %d", len(b), fileHeaderSize)
	case string(b[:8]) != fileMagic:
		return fmt.Errorf("bad magic %q", b[:8])
	case binary.LittleEndian.Uint32(b[20:]) != crc32.Checksum(b[:20], castagnoli):
		return errors.New("file header checksum mismatch")
	case binary.LittleEndian.Uint32(b[8:]) != fileVersion:
		return fmt.Errorf("format version %d, this build reads %d", binary.LittleEndian.Uint32(b[8:]), fileVersion)
	case binary.LittleEndian.Uint64(b[12:]) != first:
		return fmt.Errorf("file header says first record %d, the name says %d", binary.LittleEndian.Uint64(b[12:]), first)
	}
	return nil
}

// appendEntry appends the encoding of one entry to dst.
func appendEntry(dst []byte, seq uint64, nanos int64, line []byte) []byte {
	var h [entryHeaderSize]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(len(line)))
	binary.LittleEndian.PutUint64(h[8:], seq)
	binary.LittleEndian.PutUint64(h[16:], uint64(nanos))
	binary.LittleEndian.PutUint32(h[4:], entryCRC(&h, line))
	dst = append(dst, h[:]...)
	return append(dst, line...)
}

// entryHeader is a decoded entry header.
type entryHeader struct {
	length uint32
	crc    uint32
	seq    uint64
	nanos  int64
}

func decodeEntryHeader(h *[entryHeaderSize]byte) entryHeader {
	return entryHeader{
		length: binary.LittleEndian.Uint32(h[0:]),
		crc:    binary.LittleEndian.Uint32(h[4:]),
		seq:    binary.LittleEndian.Uint64(h[8:]),
		nanos:  int64(binary.LittleEndian.Uint64(h[16:])),
	}
}

func entryCRC(h *[entryHeaderSize]byte, line []byte) uint32 {
	c := crc32.Update(0, castagnoli, h[0:4])
	c = crc32.Update(c, castagnoli, h[8:entryHeaderSize])
	return crc32.Update(c, castagnoli, line)
}

// indexPoint says where the entry of seq starts in its segment file.
type indexPoint struct {
	seq uint64
	off int64
}

// segment describes one segment file. Its fields are guarded by the
// journal's mu; the writer changes only the active (last) segment.
type segment struct {
	path   string
	first  uint64 // sequence number in the file name
	last   uint64 // newest visible record; first-1 while it has none
	size   int64  // bytes up to the end of the newest visible entry
	newest int64  // latest accept time of its records, Unix nanoseconds
	index  []indexPoint
}

func (s *segment) count() uint64 { return s.last + 1 - s.first }

// locate returns the index point at or before seq.
func (s *segment) locate(seq uint64) indexPoint {
	lo, hi := 0, len(s.index)
	for lo < hi { // first point with p.seq > seq
		m := int(uint(lo+hi) >> 1)
		if s.index[m].seq <= seq {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return indexPoint{seq: s.first, off: fileHeaderSize}
	}
	return s.index[lo-1]
}

// listSegments returns the first sequence numbers of the segment files in
// dir, in order.
func listSegments(dir string) ([]uint64, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var firsts []uint64
	for _, de := range des {
		if first, ok := parseSegmentName(de.Name()); ok && de.Type().IsRegular() {
			firsts = append(firsts, first)
		}
	}
	// ReadDir sorts by name, and fixed-width names sort as numbers.
	return firsts, nil
}

func segmentPath(dir string, first uint64) string {
	return filepath.Join(dir, segmentName(first))
}
