package push_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/push"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// readCursor returns the value in a cursor file, 0 when there is none yet.
func readCursor(tb testing.TB, path string) uint64 {
	tb.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		tb.Fatalf("cursor file: %v", err)
	}
	c, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		tb.Fatalf("cursor file %q: %v", b, err)
	}
	return c
}

// TestResumeAfterServerRestart stops a target while records flow and
// starts a new one on the same cursor file, as a restart of the server
// does: the receiver gets every record, and sees again at most what the
// file did not yet say it had. In the crash case the file is put back to
// an older value, as if the server died before saving the newer ones.
func TestResumeAfterServerRestart(t *testing.T) {
	for _, crash := range []bool{false, true} {
		name := map[bool]string{false: "close", true: "crash"}[crash]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			j := MustOpen(t, journal.Options{Dir: filepath.Join(dir, "journal"), Sync: 20 * time.Millisecond})
			rcv := smdrtest.Listen(t, "127.0.0.1:0")
			cfg := push.Config{
				Address:    rcv.Addr(),
				Journal:    j,
				CursorFile: filepath.Join(dir, "push", "cursor"),
				CursorSync: 10 * time.Millisecond,
				RetryMin:   5 * time.Millisecond,
				RetryMax:   50 * time.Millisecond,
			}
			first := push.Start(cfg)
			w := startAppender(t, j, "resume-"+name)
			rcv.WaitFor(t, 200, 10*time.Second)
			var early []byte
			if crash {
				waitFor(t, 5*time.Second, "a saved cursor", func() bool { return readCursor(t, cfg.CursorFile) > 0 })
				early, _ = os.ReadFile(cfg.CursorFile)
			}
			rcv.WaitFor(t, rcv.Len()+200, 10*time.Second)
			if err := first.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			st := first.Status()
			if crash {
				if err := os.WriteFile(cfg.CursorFile, early, 0o640); err != nil {
					t.Fatal(err)
				}
			} else if st.CursorSaved != st.Cursor {
				t.Errorf("after Close the saved cursor is %d, want the cursor %d", st.CursorSaved, st.Cursor)
			}
			saved := readCursor(t, cfg.CursorFile)
			unsaved := st.SentSeq - saved // written, but not known to be had after the restart

			n := w.Len()
			waitFor(t, 5*time.Second, "appends while the server is down", func() bool { return w.Len() >= n+100 })
			second := MustStart(t, cfg)
			want := w.Stop(t)
			rep := waitDelivered(t, want, rcv.Snapshot, 20*time.Second)
			t.Logf("stopped at sent %d, cursor %d, saved %d; %v; second target resent %d",
				st.SentSeq, st.Cursor, saved, rep, second.Status().Resent)
			if uint64(rep.Duplicates) > unsaved {
				t.Errorf("%d duplicates, want at most the %d records written after the saved cursor", rep.Duplicates, unsaved)
			}
		})
	}
}

// TestCloseKeepsHold checks that Close keeps the target's place in the
// journal, since it comes back after a restart, and that Remove gives it
// up with the cursor file.
func TestCloseKeepsHold(t *testing.T) {
	dir := t.TempDir()
	j := MustOpen(t, journal.Options{Dir: filepath.Join(dir, "journal")})
	if _, err := j.Append(lines("hold", 0, 5), time.Now()); err != nil {
		t.Fatal(err)
	}
	rcv := smdrtest.Listen(t, "127.0.0.1:0")
	cfg := push.Config{Address: rcv.Addr(), Journal: j, CursorFile: filepath.Join(dir, "cursor"), ResendWindow: -1}
	tg := push.Start(cfg)
	rcv.WaitFor(t, 5, 5*time.Second)
	waitFor(t, 5*time.Second, "cursor at 5", func() bool { return tg.Status().Cursor == 5 })
	if err := tg.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if st := j.Stats(); st.Holds != 1 || st.Floor != 5 {
		t.Errorf("after Close: holds %d floor %d, want 1 hold at 5", st.Holds, st.Floor)
	}
	if got := readCursor(t, cfg.CursorFile); got != 5 {
		t.Errorf("cursor file says %d, want 5", got)
	}
	if err := tg.Remove(); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if st := j.Stats(); st.Holds != 0 {
		t.Errorf("after Remove: %d holds, want 0", st.Holds)
	}
	if _, err := os.Stat(cfg.CursorFile); !os.IsNotExist(err) {
		t.Errorf("after Remove the cursor file is still there (%v)", err)
	}
}

func TestCursorFileName(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.11:2008", "push-192.0.2.11_2008.cursor"},
		{"[2001:db8::1]:2008", "push-2001_db8__1_2008.cursor"},
		{"pbx.example.com:2008", "push-pbx.example.com_2008.cursor"},
	} {
		if got := push.CursorFileName(tc.addr); got != tc.want {
			t.Errorf("CursorFileName(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// TestCorruptCursorFile checks that a cursor file that cannot be read
// makes the target resend what the journal keeps rather than skip
// anything.
func TestCorruptCursorFile(t *testing.T) {
	dir := t.TempDir()
	j := MustOpen(t, journal.Options{Dir: filepath.Join(dir, "journal")})
	want := lines("corrupt", 0, 20)
	if _, err := j.Append(want, time.Now()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cursor")
	if err := os.WriteFile(path, []byte("not a number\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	rcv := smdrtest.Listen(t, "127.0.0.1:0")
	tg := MustStart(t, push.Config{Address: rcv.Addr(), Journal: j, CursorFile: path, After: 20})
	rep := waitDelivered(t, want, rcv.Snapshot, 5*time.Second)
	if rep.Duplicates != 0 {
		t.Errorf("receiver: %v, want no duplicates", rep)
	}
	if st := tg.Status(); !strings.Contains(st.LastError, "cursor file") {
		t.Errorf("last error %q, want it to name the cursor file", st.LastError)
	}
	waitFor(t, 5*time.Second, "the cursor saved again", func() bool { return readCursor(t, path) == 20 })
}
