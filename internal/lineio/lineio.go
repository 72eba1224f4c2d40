// Package lineio reads the lines of a record stream or file: LF or CR LF
// endings, a bounded length, line numbers. Every command and the collector
// read lines through it, so that they agree on what a line is.
package lineio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// MaxLength is the longest line a Reader returns whole. A record is 162
// characters; the limit leaves room for trailing junk while keeping a peer
// that never sends a line ending from filling memory.
const MaxLength = 4096

// ErrTooLong is returned with the first MaxLength bytes of a longer line;
// the rest of that line is skipped and reading can go on.
var ErrTooLong = fmt.Errorf("line longer than %d bytes, want a 162-character record", MaxLength)

// Reader reads lines ending in LF or CR LF, counting them.
type Reader struct {
	r   *bufio.Reader
	n   int64
	cut []byte
}

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, MaxLength)}
}

// Next returns the next line without its line ending. The slice is valid
// until the next call. A last line without an ending is returned at the
// end of the input (files often lack the final line ending); a partial
// line cut off by a read error is dropped. A line longer than MaxLength
// comes back cut to MaxLength with ErrTooLong. At the end of the input Next
// returns io.EOF, or the read error.
func (l *Reader) Next() ([]byte, error) {
	b, err := l.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		l.cut = append(l.cut[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = l.r.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		l.n++
		return l.cut, ErrTooLong
	}
	if err != nil && (!errors.Is(err, io.EOF) || len(b) == 0) {
		return nil, err
	}
	l.n++
	return b[:len(b)-len(lineEnding(b))], nil
}

// N returns the number of the line last returned, from 1.
func (l *Reader) N() int64 { return l.n }

// Buffered reports whether a whole further line has been read from the
// input already, so that Next returns it without waiting.
func (l *Reader) Buffered() bool {
	b, _ := l.r.Peek(l.r.Buffered())
	for _, c := range b {
		if c == '\n' {
			return true
		}
	}
	return false
}

// BufferedBytes returns how many bytes have been read from the input but
// not yet returned as lines.
func (l *Reader) BufferedBytes() int { return l.r.Buffered() }

// lineEnding returns the CR LF or LF that b ends with, if any.
func lineEnding(b []byte) []byte {
	n := len(b)
	switch {
	case n >= 2 && b[n-2] == '\r' && b[n-1] == '\n':
		return b[n-2:]
	case n >= 1 && b[n-1] == '\n':
		return b[n-1:]
	}
	return nil
}
