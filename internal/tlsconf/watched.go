package tlsconf

import (
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// checkInterval is how often, at most, the files are looked at again.
// Handshakes do the looking, so an idle server does no work.
const checkInterval = time.Second

// watched holds a value loaded from files (a key pair, a CA pool) and loads
// it again when the files change or when reload is called. A load that fails
// keeps the value loaded before.
type watched[T any] struct {
	what  string // for logs: "certificate", "client CA"
	files []string
	load  func() (*T, error)
	attrs func(*T) []any     // describes a loaded value in logs; may be nil
	until func(*T) time.Time // when a loaded value expires; may be nil
	log   *slog.Logger
	now   func() time.Time

	cur atomic.Pointer[T]

	mu      sync.Mutex
	checked time.Time     // when the files were last looked at
	seen    []os.FileInfo // the files when last loaded or tried; nil forces a load
	failed  string        // the error last logged, so a broken file is logged once
}

func newWatched[T any](w *watched[T]) (*watched[T], error) {
	if err := w.reloadLocked(); err != nil {
		return nil, err
	}
	w.loaded()
	return w, nil
}

// current returns the loaded value, first loading the files again if the
// check interval has passed and they have changed.
func (w *watched[T]) current() *T {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	if now.Sub(w.checked) < checkInterval {
		return w.cur.Load()
	}
	w.checked = now
	// A file that cannot be looked at counts as changed: loading then
	// fails with the same error each time, which is logged once.
	if infos, err := stat(w.files); err == nil && same(infos, w.seen) {
		return w.cur.Load()
	}
	if err := w.reloadLocked(); err != nil {
		// Logged once per distinct error: a file left broken would
		// otherwise be reported every second.
		if msg := err.Error(); msg != w.failed {
			w.failed = msg
			w.log.Error("tls "+w.what+" changed but did not load; keeping the one loaded before", "err", err)
		}
	} else {
		w.loaded()
	}
	return w.cur.Load()
}

// reload loads the files now, whether or not they changed.
func (w *watched[T]) reload() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.reloadLocked(); err != nil {
		w.failed = err.Error()
		w.log.Error("tls "+w.what+" reload failed; keeping the one loaded before", "err", err)
		return err
	}
	w.loaded()
	return nil
}

// reloadLocked loads the files and, if that works, makes the result current.
// The files are looked at before they are read: should they change in
// between, the next check sees a difference and loads them again.
func (w *watched[T]) reloadLocked() error {
	infos, _ := stat(w.files) // nil if a file is missing: the next check loads again
	v, err := w.load()
	w.checked = w.now()
	w.seen = infos
	if err != nil {
		return err
	}
	w.cur.Store(v)
	w.failed = ""
	return nil
}

func (w *watched[T]) loaded() {
	var attrs []any
	if w.attrs != nil {
		attrs = w.attrs(w.cur.Load())
	}
	w.log.Info("tls "+w.what+" loaded", attrs...)
	if w.until != nil {
		// Loaded all the same: refusing would keep an older pair that is
		// no better, and a clear warning says what to fix.
		if t := w.until(w.cur.Load()); w.now().After(t) {
			w.log.Warn("tls "+w.what+" has expired", attrs...)
		}
	}
}

func stat(files []string) ([]os.FileInfo, error) {
	infos := make([]os.FileInfo, len(files))
	for i, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		infos[i] = fi
	}
	return infos, nil
}

// same reports whether the files look unchanged: same size, same
// modification time, and still the same file (a replacement renamed into
// place, or a symbolic link switched to another file, is a change even if
// it kept the old time).
func same(a, b []os.FileInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Size() != b[i].Size() || !a[i].ModTime().Equal(b[i].ModTime()) || !os.SameFile(a[i], b[i]) {
			return false
		}
	}
	return true
}
