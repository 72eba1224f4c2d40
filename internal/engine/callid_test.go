package engine_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// counter returns the counter digits of a Call ID.
func counter(tb testing.TB, id string) int {
	tb.Helper()
	n, err := strconv.Atoi(id[17:])
	if err != nil {
		tb.Fatalf("Call ID %q: %v", id, err)
	}
	return n
}

func mustNext(tb testing.TB, ids *engine.CallIDs, start time.Time) string {
	tb.Helper()
	id, err := ids.Next(start)
	if err != nil {
		tb.Fatalf("Next(%s): %v", start, err)
	}
	return id
}

// readState returns the counter value in a state file.
func readState(tb testing.TB, path string) int {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		tb.Fatalf("state file %s holds %q: %v", path, b, err)
	}
	return n
}

func TestCallIDFormat(t *testing.T) {
	tests := []struct {
		name  string
		start time.Time
		want  string // without the counter digits
	}{
		{"UTC", time.Date(2012, 3, 9, 1, 20, 40, 520_999_999, time.UTC), "20120309012040520"},
		{"24-hour clock", time.Date(2012, 3, 9, 13, 5, 9, 7_000_000, time.UTC), "20120309130509007"},
		{"start's own location", time.Date(2012, 3, 9, 23, 59, 59, 999_000_000, time.UTC).In(time.FixedZone("CET", 3600)), "20120310005959999"},
		{"midnight", time.Date(2012, 12, 31, 0, 0, 0, 0, time.UTC), "20121231000000000"},
	}
	ids := MustOpenCallIDs(t, "")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustNext(t, ids, tt.start)
			if err := smdr.ValidCallID(got); err != nil {
				t.Fatal(err)
			}
			if want := tt.want + "0000" + strconv.Itoa(i); got != want {
				t.Errorf("Next(%s) = %q, want %q", tt.start, got, want)
			}
			start, err := smdr.CallIDStart(got, tt.start.Location())
			if err != nil || !start.Equal(tt.start.Truncate(time.Second)) {
				t.Errorf("CallIDStart(%q) = %s, %v; want %s", got, start, err, tt.start.Truncate(time.Second))
			}
		})
	}
	if _, err := ids.Next(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("Next(year 10000): no error, want one")
	}
}

// TestCallIDsUnique makes 200,000 Call IDs for calls in the same second, with
// the state on disk, and checks that none repeats.
func TestCallIDsUnique(t *testing.T) {
	ids := MustOpenCallIDs(t, filepath.Join(t.TempDir(), "callid.state"))
	defer ids.Close()
	const n = 200_000
	base := time.Date(2012, 3, 9, 1, 20, 40, 0, time.UTC)
	seen := make(map[string]int, n)
	for i := range n {
		start := base.Add(time.Duration(i) * time.Second / n) // all in 01:20:40
		id := mustNext(t, ids, start)
		if !strings.HasPrefix(id, "20120309012040") {
			t.Fatalf("call %d: Call ID %q is not in the second 01:20:40", i, id)
		}
		if j, ok := seen[id]; ok {
			t.Fatalf("calls %d and %d both got Call ID %q", j, i, id)
		}
		seen[id] = i
	}

	// The counter alone keeps 100,000 calls starting in the very same
	// millisecond apart.
	clear(seen)
	for i := range 100_000 {
		id := mustNext(t, ids, base)
		if j, ok := seen[id]; ok {
			t.Fatalf("same millisecond: calls %d and %d both got Call ID %q", j, i, id)
		}
		seen[id] = i
	}
}

// TestCallIDsCrash reopens the state file without closing it, as after a
// crash, and checks that no counter value is used twice and at most one
// block is skipped.
func TestCallIDsCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callid.state")
	start := time.Date(2012, 3, 9, 1, 20, 40, 0, time.UTC)
	seen := map[string]bool{}
	last := -1
	for run, calls := range []int{1, engine.CallIDBlock + 500, 3, 2 * engine.CallIDBlock} {
		ids := MustOpenCallIDs(t, path) // the previous one is dropped unclosed
		for i := range calls {
			id := mustNext(t, ids, start)
			if seen[id] {
				t.Fatalf("run %d: Call ID %q repeated after a crash", run, id)
			}
			seen[id] = true
			c := counter(t, id)
			if c <= last {
				t.Fatalf("run %d: counter went from %d to %d", run, last, c)
			}
			if i == 0 && run > 0 && c-last > engine.CallIDBlock {
				t.Errorf("run %d: counter jumped from %d to %d after a crash, want at most one block (%d) skipped", run, last, c, engine.CallIDBlock)
			}
			last = c
		}
		if got := readState(t, path); got <= last {
			t.Errorf("run %d: state file holds %d, want more than the last value used, %d", run, got, last)
		}
	}
}

// TestCallIDsClose checks that a clean restart continues the counter
// without a gap.
func TestCallIDsClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callid.state")
	ids := MustOpenCallIDs(t, path)
	last := counter(t, mustNext(t, ids, t0))
	if err := ids.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readState(t, path); got != last+1 {
		t.Errorf("state after Close: %d, want %d", got, last+1)
	}
	ids = MustOpenCallIDs(t, path)
	defer ids.Close()
	if got := counter(t, mustNext(t, ids, t0)); got != last+1 {
		t.Errorf("after a clean restart: counter %d, want %d", got, last+1)
	}
}

// TestCallIDsStateAtomic checks that the state file is replaced, never
// written in place: a failed write leaves the old file whole and no
// temporary file behind, and a temporary file left by a crash is ignored.
func TestCallIDsStateAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "callid.state")
	// A crash between creating the temporary file and renaming it leaves
	// a partial file beside the state; it must not be read.
	if err := os.WriteFile(path+".tmp123", []byte("99"), 0o600); err != nil {
		t.Fatal(err)
	}
	ids := MustOpenCallIDs(t, path)
	if err := os.Remove(path + ".tmp123"); err != nil {
		t.Fatal(err)
	}
	var last string
	for range engine.CallIDBlock {
		last = mustNext(t, ids, t0)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// The next value needs a new block; the rename fails, as a crash at
	// that point would stop it.
	failed := errors.New("simulated crash")
	engine.SetRename(ids, func(string, string) error { return failed })
	if _, err := ids.Next(t0); !errors.Is(err, failed) {
		t.Fatalf("Next with a failing rename: %v, want %v", err, failed)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Errorf("state file after a failed write: %q, want it unchanged, %q", after, before)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "callid.state" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only callid.state", names)
	}

	engine.SetRename(ids, os.Rename)
	next := mustNext(t, ids, t0)
	if counter(t, next) != counter(t, last)+1 {
		t.Errorf("after the failure: Call ID %q, want the counter to follow %q", next, last)
	}
}

func TestOpenCallIDsErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string
		content string
		want    string
	}{
		{"corrupt state file", filepath.Join(dir, "corrupt"), "12ab\n", "not a counter value"},
		{"empty state file", filepath.Join(dir, "empty"), "", "not a counter value"},
		{"directory missing", filepath.Join(dir, "missing", "callid.state"), "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.content != "" || tt.name == "empty state file" {
				if err := os.WriteFile(tt.path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := engine.OpenCallIDs(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("OpenCallIDs: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestEngineCallIDsSurviveRestart checks the engine with a file-backed
// source: a new engine on the same file after a crash never repeats an ID.
func TestEngineCallIDsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callid.state")
	seen := map[string]bool{}
	for run := range 3 {
		e := engine.New(engine.Config{IDs: MustOpenCallIDs(t, path)})
		for i := range 10 {
			key := strconv.Itoa(run) + "-" + strconv.Itoa(i)
			id := MustApply(t, e, t0, ring(key))[0].CallID
			if seen[id] {
				t.Fatalf("run %d: Call ID %q repeated", run, id)
			}
			seen[id] = true
		}
	}
}
