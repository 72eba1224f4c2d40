package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// callIDBlock is how many counter values OpenCallIDs and Next reserve with
// one write of the state file. A crash loses the unused rest of a block,
// which is harmless (the counter only has to grow); a larger block means
// fewer fsyncs on the ingest path.
const callIDBlock = 1000

// callIDCounterMod is the range of the counter digits of a Call ID (5 digits).
const callIDCounterMod = 100000

// CallIDs makes Call IDs: 22 digits, the call's start as yyyyMMddHHmmss,
// its milliseconds (3 digits) and a counter modulo 100000 (5 digits).
//
// The counter never goes back, across restarts too: the state file holds
// the first value not yet reserved, and values are reserved a block at a
// time before they are handed out. So two Call IDs can only be equal if
// their calls started in the same millisecond and a multiple of 100,000 IDs
// were made between them; the 22-digit format has no room for more.
//
// A CallIDs is safe for concurrent use.
type CallIDs struct {
	mu    sync.Mutex
	path  string // "" = memory only
	next  uint64 // the counter value the next ID gets
	limit uint64 // values below limit are reserved in the state file

	// rename is os.Rename; tests replace it to simulate a crash between
	// writing the temporary file and renaming it.
	rename func(oldpath, newpath string) error
}

// OpenCallIDs returns a Call ID source whose counter survives restarts. It
// keeps its state in a file at path, which it creates if it does not exist,
// and reserves the first block of values before it returns, so a directory
// it cannot write is reported at start-up rather than on the first call.
// A path of "" gives a source that lives in memory only.
func OpenCallIDs(path string) (*CallIDs, error) {
	c := &CallIDs{path: path, rename: os.Rename}
	if path == "" {
		c.limit = ^uint64(0)
		return c, nil
	}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A first start: the counter begins at 0.
	case err != nil:
		return nil, fmt.Errorf("call ID state: %w", err)
	default:
		// A state file we cannot read is an error, not a fresh start:
		// starting again from 0 could repeat Call IDs already sent.
		n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("call ID state %s: content %q is not a counter value; remove the file only if no Call ID made with it is still in use", path, truncate(string(b), 40))
		}
		c.next, c.limit = n, n
	}
	if err := c.reserve(); err != nil {
		return nil, err
	}
	return c, nil
}

// Next returns a new Call ID for a call that started at start: start's
// wall clock in its own location, 24-hour, to the millisecond, then the
// next counter value modulo 100000.
func (c *CallIDs) Next(start time.Time) (string, error) {
	year := start.Year()
	if year < 0 || year > 9999 {
		return "", fmt.Errorf("call ID: start %s is outside the years 0000 to 9999", start.Format(time.RFC3339))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next >= c.limit {
		if err := c.reserve(); err != nil {
			return "", err
		}
	}
	n := c.next
	c.next++
	return formatCallID(start, n%callIDCounterMod), nil
}

// Close writes the exact counter value to the state file, so that a clean
// restart does not skip the rest of the block. A source still works after
// Close: its next Next reserves a block again.
func (c *CallIDs) Close() error {
	if c == nil || c.path == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == c.limit {
		return nil
	}
	if err := c.writeState(c.next); err != nil {
		return err
	}
	c.limit = c.next
	return nil
}

// reserve moves the limit one block past next and makes that durable
// before any value of the block is handed out. c.mu is held or c is new.
func (c *CallIDs) reserve() error {
	if c.path == "" {
		c.limit = ^uint64(0)
		return nil
	}
	limit := c.next + callIDBlock
	if err := c.writeState(limit); err != nil {
		return err
	}
	c.limit = limit
	return nil
}

// writeState replaces the state file with v: a temporary file in the same
// directory, fsynced, renamed over the old one, then the directory fsynced so
// the rename itself survives a power cut. A reader sees the old value or the
// new one, never a partial write.
func (c *CallIDs) writeState(v uint64) (err error) {
	dir, base := filepath.Split(c.path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, base+".tmp*")
	if err != nil {
		return fmt.Errorf("call ID state: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.WriteString(strconv.FormatUint(v, 10) + "\n"); err != nil {
		return fmt.Errorf("call ID state: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("call ID state: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("call ID state: %w", err)
	}
	if err = c.rename(tmp.Name(), c.path); err != nil {
		return fmt.Errorf("call ID state: %w", err)
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory so that a rename in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("call ID state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("call ID state: sync %s: %w", dir, err)
	}
	return nil
}

// formatCallID writes the 22 digits by hand: time.Format would allocate a
// second string on the ingest path.
func formatCallID(start time.Time, counter uint64) string {
	var b [22]byte
	year, month, day := start.Date()
	hour, minute, sec := start.Clock()
	ms := start.Nanosecond() / int(time.Millisecond)
	putDigits(b[0:4], uint64(year))
	putDigits(b[4:6], uint64(month))
	putDigits(b[6:8], uint64(day))
	putDigits(b[8:10], uint64(hour))
	putDigits(b[10:12], uint64(minute))
	putDigits(b[12:14], uint64(sec))
	putDigits(b[14:17], uint64(ms))
	putDigits(b[17:22], counter)
	return string(b[:])
}

// putDigits writes v as len(dst) decimal digits, zero-padded on the left.
func putDigits(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// truncate shortens s to n bytes for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
