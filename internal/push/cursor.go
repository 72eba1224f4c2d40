package push

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/statefile"
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
	c, ok, err := statefile.ReadUint(t.cfg.CursorFile)
	if err == nil && !ok {
		return t.cfg.After
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
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("push cursor: %w", err)
	}
	if err := statefile.WriteUint(path, c); err != nil {
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
	return statefile.SyncDir(filepath.Dir(t.cfg.CursorFile))
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

// CursorFileName returns a file name for the cursor of the target at
// address, safe on every file system: "192.0.2.11:2008" becomes
// "push-192.0.2.11_2008.cursor". The server keeps one such file per target
// in its state directory.
func CursorFileName(address string) string {
	r := strings.NewReplacer(":", "_", "[", "", "]", "", "/", "_", "\\", "_", "%", "_")
	return "push-" + r.Replace(address) + ".cursor"
}
