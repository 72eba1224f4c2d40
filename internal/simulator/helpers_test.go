package simulator_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/simulator"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// t0 is the simulated start of the tests' runs.
var t0 = time.Date(2012, 3, 9, 1, 20, 40, 0, time.UTC)

// recorder is a Sink that keeps every batch, and the fake clock's time of
// each when it has one.
type recorder struct {
	mu      sync.Mutex
	clock   simulator.Clock
	batches [][]smdr.CallEvent
	at      []time.Time
	// after, when set, runs after each batch is kept.
	after func(n int)
}

func (r *recorder) Send(ctx context.Context, events []smdr.CallEvent) error {
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(events))
	if r.clock != nil {
		r.at = append(r.at, r.clock.Now())
	}
	n := len(r.batches)
	r.mu.Unlock()
	if r.after != nil {
		r.after(n)
	}
	return nil
}

func (r *recorder) events() []smdr.CallEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []smdr.CallEvent
	for _, b := range r.batches {
		all = append(all, b...)
	}
	return all
}

// fakeClock is a Clock whose Sleep returns at once, moving its time on.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

// result is what one run produced.
type result struct {
	stats  simulator.Stats
	events []smdr.CallEvent
	truth  []simulator.Truth
	raw    []byte // the truth lines as written
	rec    *recorder
}

// MustRun runs the simulator as fast as possible to the end and fails the
// test on an error.
func MustRun(tb testing.TB, cfg simulator.Config) result {
	tb.Helper()
	var truth bytes.Buffer
	cfg.Truth = &truth
	if cfg.Start.IsZero() {
		cfg.Start = t0
	}
	rec := &recorder{}
	stats, err := simulator.Run(context.Background(), cfg, rec)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return result{stats: stats, events: rec.events(), truth: mustTruth(tb, truth.Bytes()), raw: truth.Bytes(), rec: rec}
}

func mustTruth(tb testing.TB, b []byte) []simulator.Truth {
	tb.Helper()
	var ts []simulator.Truth
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var t simulator.Truth
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			tb.Fatalf("truth line %q: %v", sc.Text(), err)
		}
		ts = append(ts, t)
	}
	return ts
}

// byCall groups events by call key, keeping each call's order, and returns
// the keys in order of first event.
func byCall(events []smdr.CallEvent) (keys []string, calls map[string][]smdr.CallEvent) {
	calls = map[string][]smdr.CallEvent{}
	for _, ev := range events {
		if _, ok := calls[ev.Call]; !ok {
			keys = append(keys, ev.Call)
		}
		calls[ev.Call] = append(calls[ev.Call], ev)
	}
	return keys, calls
}

// smdrEvents is a tiny model of the server's rules: the SMDR event types the
// call's events become. Internal calls become none. The first connected is
// ANSWERED, later ones CONNECTED; modified is CALLMODIFIED, and so is a
// change of number, name or account code on any other event but
// disconnected.
func smdrEvents(evs []smdr.CallEvent) []smdr.Event {
	if len(evs) == 0 || evs[0].Direction == smdr.DirectionInternal {
		return nil
	}
	var out []smdr.Event
	var number, name, account string
	answered := false
	for _, ev := range evs {
		k := smdr.Kind(ev.Event)
		changed := (ev.Number != "" && ev.Number != number) || (ev.Name != "" && ev.Name != name) ||
			(ev.AccountCode != "" && ev.AccountCode != account)
		if ev.Number != "" {
			number = ev.Number
		}
		if ev.Name != "" {
			name = ev.Name
		}
		if ev.AccountCode != "" {
			account = ev.AccountCode
		}
		first := len(out) == 0
		switch k {
		case smdr.KindRinging:
			out = append(out, smdr.Ringing)
		case smdr.KindConnected:
			if answered {
				out = append(out, smdr.Connected)
			} else {
				out = append(out, smdr.Answered)
				answered = true
			}
		case smdr.KindHold:
			out = append(out, smdr.Hold)
		case smdr.KindDiverted:
			out = append(out, smdr.Diverted)
		case smdr.KindTransferred:
			out = append(out, smdr.Transferred)
		case smdr.KindQueued:
			out = append(out, smdr.Queued)
		case smdr.KindModified:
			out = append(out, smdr.CallModified)
			continue
		case smdr.KindDisconnected:
			out = append(out, smdr.Disconnected)
			continue
		}
		if changed && !first {
			out = append(out, smdr.CallModified)
		}
	}
	return out
}
