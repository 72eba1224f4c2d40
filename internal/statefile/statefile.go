// Package statefile keeps small pieces of durable state, such as a reader's
// cursor, in files of their own that are replaced atomically: a crash leaves
// either the old value or the new one, never a torn file.
package statefile

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ReadUint reads a number written by WriteUint. A missing file gives ok
// false and no error; a file that does not hold a number is an error, since
// guessing could repeat or skip records.
func ReadUint(path string) (v uint64, ok bool, err error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read state %s: %w", path, err)
	}
	v, err = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("state file %s does not hold a number: %q", path, b)
	}
	return v, true, nil
}

// WriteUint replaces the file at path with v: it writes a temporary file,
// fsyncs it, renames it over path and fsyncs the directory.
func WriteUint(path string, v uint64) error {
	return Write(path, []byte(strconv.FormatUint(v, 10)+"\n"))
}

// Write replaces the file at path with data, atomically and durably; the
// file is readable by its owner only (0600).
func Write(path string, data []byte) error {
	return WriteMode(path, data, 0o600)
}

// WriteMode is Write with the file mode the file gets.
func WriteMode(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	// The mode is set before the data goes in, so that a secret is never
	// readable by others, not even for a moment.
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync state %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close state %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("replace state %s: %w", path, err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so that a file created, renamed or removed in
// it survives a power cut.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
