package push

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The cursor file holds one line: the sequence number of the last record
// the receiver acknowledged, in decimal. It is replaced whole (temporary
// file, fsync, rename, fsync of the directory), so that a crash leaves
// either the old value or the new one, never a torn one.

// loadCursor returns where the target starts: after the saved cursor if
// there is one, else after Config.After.
func (t *Target) loadCursor() uint64 {
	j := t.cfg.Journal
	if t.cfg.CursorFile == "" {
		return t.cfg.After
	}
	b, err := os.ReadFile(t.cfg.CursorFile)
	if errors.Is(err, fs.ErrNotExist) {
		return t.cfg.After
	}
	var c uint64
	if err == nil {
		c, err = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	}
	if err != nil {
		// Starting from After could skip records the receiver never
		// had; starting from the oldest kept can only repeat some.
		c = j.Oldest() - 1
		t.log.Error("cannot read the push cursor: resending everything the journal keeps",
			"file", t.cfg.CursorFile, "err", err, "resume_after", c)
		t.setError(fmt.Sprintf("cursor file: %v", err))
		return c
	}
	t.saved.Store(c)
	if last := j.Last(); c > last {
		// The journal is younger than the cursor (it was replaced):
		// its records are all new to the receiver.
		t.log.Warn("push cursor is ahead of the journal: starting with its first record",
			"file", t.cfg.CursorFile, "cursor", c, "journal_last", last)
		c = j.Oldest() - 1
	}
	return c
}

// saveCursor writes c to the cursor file durably.
func (t *Target) saveCursor(c uint64) error {
	path := t.cfg.CursorFile
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("push cursor: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("push cursor: %w", err)
	}
	_, err = fmt.Fprintf(f, "%d\n", c)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("push cursor: %w", err)
	}
	t.saved.Store(c)
	return nil
}

// removeCursor deletes the cursor file of a target that is removed.
func (t *Target) removeCursor() error {
	if t.cfg.CursorFile == "" {
		return nil
	}
	if err := os.Remove(t.cfg.CursorFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("push cursor: %w", err)
	}
	return syncDir(filepath.Dir(t.cfg.CursorFile))
}

// saveLoop saves the cursor when it changed, at most every CursorSync, so
// that a crash of the server costs at most that much of resends.
func (t *Target) saveLoop(ctx context.Context) {
	if t.cfg.CursorFile == "" {
		return
	}
	tick := time.NewTicker(t.cfg.CursorSync)
	defer tick.Stop()
	failing := ""
	for {
		select {
		case <-ctx.Done():
			return // Close saves the final value
		case <-tick.C:
		}
		c := t.cursor.Load()
		if c == t.saved.Load() {
			continue
		}
		err := t.saveCursor(c)
		switch {
		case err != nil && err.Error() != failing:
			// Logged once per distinct error, not every tick.
			failing = err.Error()
			t.log.Error("cannot save the push cursor", "file", t.cfg.CursorFile, "err", err)
			t.setError(err.Error())
		case err == nil && failing != "":
			failing = ""
			t.log.Info("push cursor saved again", "file", t.cfg.CursorFile)
		}
	}
}

func (t *Target) setError(msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastError = msg
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// CursorFileName returns a file name for the cursor of the target at
// address, safe on every file system: "192.0.2.11:2008" becomes
// "push-192.0.2.11_2008.cursor". The server keeps one such file per target
// in its state directory.
func CursorFileName(address string) string {
	r := strings.NewReplacer(":", "_", "[", "", "]", "", "/", "_", "\\", "_", "%", "_")
	return "push-" + r.Replace(address) + ".cursor"
}
