package push_test

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/push"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// TestMain checks that no test leaves a goroutine behind: a target, its
// reader or its cursor saver that was not stopped.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// line returns a record line that names its test and its number, so that
// every line a test appends is unique.
func line(name string, n int) []byte {
	return fmt.Appendf(nil, "%-162s\r\n", fmt.Sprintf("push test %s record %d", name, n))
}

func lines(name string, from, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = line(name, from+i)
	}
	return out
}

// MustOpen opens a durable journal in a fresh directory; it is closed at
// the end of the test, after the targets that use it.
func MustOpen(tb testing.TB, opts journal.Options) *journal.Journal {
	tb.Helper()
	if opts.Dir == "" {
		opts.Dir = tb.TempDir()
	}
	j, err := journal.Open(opts)
	if err != nil {
		tb.Fatalf("journal.Open: %v", err)
	}
	tb.Cleanup(func() { j.Close() })
	return j
}

// MustStart starts a target with short retry delays; it is closed at the
// end of the test.
func MustStart(tb testing.TB, cfg push.Config) *push.Target {
	tb.Helper()
	if cfg.RetryMin == 0 {
		cfg.RetryMin = 5 * time.Millisecond
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 50 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = logger(tb)
	}
	t := push.Start(cfg)
	tb.Cleanup(func() { t.Close() })
	return t
}

// waitFor waits until cond holds, checking it every few milliseconds, and
// fails the test if it does not within timeout.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %v", what, timeout)
		}
		<-tick.C
	}
}

// waitDelivered waits until the last wanted line has arrived, then checks
// the whole sequence; it fails the test if the line does not arrive within
// timeout or if anything is missing, out of order or unexpected.
func waitDelivered(tb testing.TB, want [][]byte, got func() [][]byte, timeout time.Duration) smdrtest.SequenceReport {
	tb.Helper()
	last := string(want[len(want)-1])
	arrived := func() bool {
		g := got()
		// A resend after the last line repeats at most a window of
		// lines, so looking at the newest few thousand is enough.
		for i := len(g) - 1; i >= max(0, len(g)-5000); i-- {
			if string(g[i]) == last {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !arrived() && time.Now().Before(deadline) {
		<-tick.C
	}
	rep := smdrtest.CheckSequence(want, got())
	if !rep.OK() {
		tb.Fatalf("delivery: %v", rep)
	}
	return rep
}

// appender appends unique lines to a journal from its own goroutine, a few
// at a time, as a PBX's records arrive.
type appender struct {
	j    *journal.Journal
	name string
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	lines [][]byte
	err   error
}

func startAppender(tb testing.TB, j *journal.Journal, name string) *appender {
	a := &appender{j: j, name: name, stop: make(chan struct{}), done: make(chan struct{})}
	go a.run()
	tb.Cleanup(func() { a.Stop(tb) })
	return a
}

func (a *appender) run() {
	defer close(a.done)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for n := 0; ; {
		select {
		case <-a.stop:
			return
		case <-tick.C:
		}
		batch := lines(a.name, n, 1+n%4)
		if _, err := a.j.Append(batch, time.Now()); err != nil {
			a.mu.Lock()
			a.err = err
			a.mu.Unlock()
			return
		}
		n += len(batch)
		a.mu.Lock()
		a.lines = append(a.lines, batch...)
		a.mu.Unlock()
	}
}

// Len returns how many lines were appended so far.
func (a *appender) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.lines)
}

// Stop stops appending and returns every line appended, in order.
func (a *appender) Stop(tb testing.TB) [][]byte {
	tb.Helper()
	select {
	case <-a.stop:
	default:
		close(a.stop)
	}
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		tb.Fatalf("append: %v", a.err)
	}
	return a.lines
}

// testLog writes a target's log to the test's log, shown when it fails or
// with -v.
type testLog struct{ tb testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func logger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testLog{tb}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
