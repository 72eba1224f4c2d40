package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipsmdr/ipsmdr/internal/simulator"
	"github.com/ipsmdr/ipsmdr/smdr"
)

func TestRunIsDeterministic(t *testing.T) {
	cfg := simulator.Config{Seed: 42, Calls: 300}
	a, b := MustRun(t, cfg), MustRun(t, cfg)
	ja, _ := json.Marshal(a.events)
	jb, _ := json.Marshal(b.events)
	if !bytes.Equal(ja, jb) {
		t.Errorf("same seed: event streams differ")
	}
	if !bytes.Equal(a.raw, b.raw) {
		t.Errorf("same seed: truth differs")
	}
	if len(a.rec.batches) != len(b.rec.batches) {
		t.Errorf("same seed: %d batches, then %d", len(a.rec.batches), len(b.rec.batches))
	}

	cfg.Seed = 43
	c := MustRun(t, cfg)
	// Keys carry the seed; compare without them.
	strip := func(evs []smdr.CallEvent) []byte {
		evs = slices.Clone(evs)
		for i := range evs {
			evs[i].Call = evs[i].Call[strings.LastIndexByte(evs[i].Call, '-'):]
		}
		j, _ := json.Marshal(evs)
		return j
	}
	if bytes.Equal(strip(a.events), strip(c.events)) {
		t.Errorf("seeds 42 and 43 gave the same event stream")
	}
}

func TestOneHourHasEveryEvent(t *testing.T) {
	for seed := int64(1); seed <= 10; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			r := MustRun(t, simulator.Config{Seed: seed, Duration: time.Hour})
			for _, k := range smdr.Kinds {
				if r.stats.ByEvent[string(k)] == 0 {
					t.Errorf("no %s event in one hour; by event: %v", k, r.stats.ByEvent)
				}
			}
			keys, calls := byCall(r.events)
			types := map[smdr.Event]int{}
			for _, k := range keys {
				for _, e := range smdrEvents(calls[k]) {
					types[e]++
				}
			}
			for _, e := range smdr.Events {
				if types[e] == 0 {
					t.Errorf("no %s record in one hour; records: %v", e, types)
				}
			}
			if r.stats.Calls != r.stats.Started || r.stats.Calls != len(keys) || r.stats.Calls != len(r.truth) {
				t.Errorf("started %d, ended %d, %d calls in events, %d truth lines; want all equal",
					r.stats.Started, r.stats.Calls, len(keys), len(r.truth))
			}
			// 120 calls an hour: a Poisson count well inside 70..180.
			if r.stats.Calls < 70 || r.stats.Calls > 180 {
				t.Errorf("%d calls in one hour at 120 an hour", r.stats.Calls)
			}
			if last := r.truth[len(r.truth)-1]; r.stats.End.Sub(t0) > time.Hour+35*time.Minute {
				t.Errorf("run ended at %v (last call %s), want soon after one hour", r.stats.End, last.Call)
			}
			if seed == 1 {
				t.Logf("stats: calls %d, events %d, batches %d\nby event: %v\nby scenario: %v\nby outcome: %v\nSMDR records: %v",
					r.stats.Calls, r.stats.Events, r.stats.Batches, r.stats.ByEvent, r.stats.ByScenario, r.stats.ByOutcome, types)
			}
		})
	}
}

func TestEventsAreWellFormed(t *testing.T) {
	r := MustRun(t, simulator.Config{Seed: 7, Calls: 1000})
	if r.events[0].Time != t0 {
		t.Errorf("first event at %v, want the start %v", r.events[0].Time, t0)
	}
	for i, b := range r.rec.batches {
		if len(b) == 0 {
			t.Fatalf("batch %d is empty", i)
		}
		for _, ev := range b {
			if !ev.Time.Equal(b[0].Time) {
				t.Errorf("batch %d mixes times %v and %v", i, b[0].Time, ev.Time)
			}
		}
		if i > 0 && !b[0].Time.After(r.rec.batches[i-1][0].Time) {
			t.Errorf("batch %d at %v, not after batch %d at %v", i, b[0].Time, i-1, r.rec.batches[i-1][0].Time)
		}
	}
	keys, calls := byCall(r.events)
	if len(keys) != 1000 {
		t.Fatalf("%d calls, want 1000", len(keys))
	}
	for n, key := range keys {
		if want := fmt.Sprintf("sim-7-%d", n+1); key != want {
			t.Errorf("call %d has key %q, want %q", n+1, key, want)
		}
		evs := calls[key]
		first := evs[0]
		switch first.Direction {
		case "in":
			if first.Trunk == "" || first.Number == "" || first.DDI == "" || first.DDIName == "" {
				t.Errorf("%s: inbound first event lacks trunk, number or DDI: %+v", key, first)
			}
		case "out":
			if first.Trunk == "" || first.Number == "" || first.DDI != "" || first.Name != "" {
				t.Errorf("%s: outbound first event wants trunk and number, no DDI or name: %+v", key, first)
			}
		case smdr.DirectionInternal:
			if first.Trunk != "" {
				t.Errorf("%s: internal call on trunk %s", key, first.Trunk)
			}
		default:
			t.Errorf("%s: first event has direction %q", key, first.Direction)
		}
		for i, ev := range evs {
			if _, ok := smdr.ParseKind(ev.Event); !ok {
				t.Errorf("%s: event %d has kind %q", key, i, ev.Event)
			}
			if ev.Extension == "" {
				t.Errorf("%s: event %d (%s) has no extension", key, i, ev.Event)
			}
			if ev.Time.Location() != time.UTC || ev.Time.Nanosecond() != 0 {
				t.Errorf("%s: event %d at %v, want whole seconds in UTC", key, i, ev.Time)
			}
			if i > 0 && ev.Time.Before(evs[i-1].Time) {
				t.Errorf("%s: event %d at %v, before event %d at %v", key, i, ev.Time, i-1, evs[i-1].Time)
			}
			if i > 0 && (ev.Direction != "" || ev.Trunk != "") {
				t.Errorf("%s: event %d repeats direction or trunk", key, i)
			}
			transfer := ev.Event == string(smdr.KindTransferred) || ev.Event == string(smdr.KindDiverted)
			if transfer != (ev.SourceExtension != "") || (transfer && ev.SourceExtension == ev.Extension) {
				t.Errorf("%s: %s event with source extension %q to %q", key, ev.Event, ev.SourceExtension, ev.Extension)
			}
			last := i == len(evs)-1
			if last != (ev.Event == string(smdr.KindDisconnected)) {
				t.Errorf("%s: event %d of %d is %s; want disconnected last and only last", key, i+1, len(evs), ev.Event)
			}
		}
	}
}

// TestBusyExtensionsAreNotRung checks the bookings: an extension is on one
// single-extension call at a time.
func TestBusyExtensionsAreNotRung(t *testing.T) {
	r := MustRun(t, simulator.Config{Seed: 5, Calls: 2000})
	type span struct {
		call       string
		start, end time.Time
	}
	spans := map[string][]span{}
	for _, tr := range r.truth {
		switch tr.Scenario {
		case simulator.ScenarioInboundAnswered, simulator.ScenarioInboundHold, simulator.ScenarioOutboundAnswered, simulator.ScenarioOutboundAccount:
		default:
			continue
		}
		ext := tr.Extensions[0]
		for _, sp := range spans[ext] {
			if tr.Start.Before(sp.end) && sp.start.Before(tr.End) {
				t.Errorf("extension %s on %s (%v to %v) and on %s (%v to %v)", ext, sp.call, sp.start, sp.end, tr.Call, tr.Start, tr.End)
			}
		}
		spans[ext] = append(spans[ext], span{tr.Call, tr.Start, tr.End})
	}
}

func TestCallsLimit(t *testing.T) {
	r := MustRun(t, simulator.Config{Seed: 1, Calls: 25})
	keys, _ := byCall(r.events)
	if r.stats.Calls != 25 || r.stats.Started != 25 || len(keys) != 25 || len(r.truth) != 25 {
		t.Errorf("calls %d, started %d, %d in events, %d truth lines; want 25 each", r.stats.Calls, r.stats.Started, len(keys), len(r.truth))
	}
	if got := r.stats.ByEvent[string(smdr.KindDisconnected)]; got != 25 {
		t.Errorf("%d disconnected events, want 25", got)
	}
	sum := 0
	for _, n := range r.stats.ByEvent {
		sum += n
	}
	if sum != r.stats.Events || sum != len(r.events) || r.stats.Batches != len(r.rec.batches) {
		t.Errorf("stats say %d events (%d by kind) in %d batches; sink got %d in %d", r.stats.Events, sum, r.stats.Batches, len(r.events), len(r.rec.batches))
	}
}

func TestCancelStopsPromptly(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, speed := range []float64{1, 0} {
		t.Run(fmt.Sprint("speed ", speed), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Real time: cancel after the first batch, while Run waits for
			// the second. As fast as possible: cancel inside the 100th Send.
			cancelAt := 1
			if speed == 0 {
				cancelAt = 100
			}
			sent := make(chan struct{}, 1)
			rec := &recorder{after: func(n int) {
				if n == cancelAt {
					cancel()
					sent <- struct{}{}
				}
			}}
			done := make(chan error, 1)
			go func() {
				_, err := simulator.Run(ctx, simulator.Config{Seed: 1, Speed: speed, Start: t0}, rec)
				done <- err
			}()
			<-sent
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run after cancel: %v, want nil", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return within 5 s of cancel")
			}
			if n := len(rec.batches); n != cancelAt {
				t.Errorf("%d batches sent, want %d: nothing after cancel", n, cancelAt)
			}
		})
	}
}

func TestPacing(t *testing.T) {
	real0 := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: real0}
	rec := &recorder{clock: clock}
	const speed = 60
	_, err := simulator.Run(context.Background(), simulator.Config{Seed: 3, Calls: 30, Speed: speed, Start: t0, Clock: clock}, rec)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range rec.batches {
		want := real0.Add(b[0].Time.Sub(t0) / speed)
		if !rec.at[i].Equal(want) {
			t.Errorf("batch %d (simulated %v) sent at real %v, want %v", i, b[0].Time.Sub(t0), rec.at[i].Sub(real0), want.Sub(real0))
		}
	}
	if len(clock.sleeps) == 0 {
		t.Error("no sleeps at speed 60")
	}

	for _, speed := range []float64{0, math.Inf(1)} {
		clock := &fakeClock{now: real0}
		MustRun(t, simulator.Config{Seed: 3, Calls: 30, Speed: speed, Clock: clock})
		if len(clock.sleeps) != 0 {
			t.Errorf("speed %v slept %d times, want none", speed, len(clock.sleeps))
		}
	}
}

func TestStartDefaultsToClockNow(t *testing.T) {
	now := time.Date(2030, 6, 1, 12, 0, 0, 700_000_000, time.FixedZone("X", 3600))
	rec := &recorder{}
	if _, err := simulator.Run(context.Background(), simulator.Config{Calls: 1, Clock: &fakeClock{now: now}}, rec); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2030, 6, 1, 11, 0, 0, 0, time.UTC)
	if got := rec.batches[0][0].Time; !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("first event at %v, want %v", got, want)
	}
}

type failSink struct {
	err    error
	cancel context.CancelFunc
}

func (f failSink) Send(context.Context, []smdr.CallEvent) error {
	if f.cancel != nil {
		f.cancel()
	}
	return f.err
}

func TestSendError(t *testing.T) {
	boom := errors.New("boom")
	_, err := simulator.Run(context.Background(), simulator.Config{Start: t0}, failSink{err: boom})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "send") {
		t.Errorf("Run = %v, want the sink's error with context", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = simulator.Run(ctx, simulator.Config{Start: t0}, failSink{err: context.Canceled, cancel: cancel})
	if err != nil {
		t.Errorf("Run with a failed send after cancel = %v, want nil", err)
	}
}

func TestConfigErrors(t *testing.T) {
	bad := []simulator.Config{
		{Rate: -1}, {Rate: math.NaN()}, {Rate: math.Inf(1)}, {Speed: -2}, {Speed: math.NaN()}, {Calls: -1}, {Duration: -time.Second},
		{Office: &simulator.Office{}},
	}
	for _, cfg := range bad {
		if _, err := simulator.Run(context.Background(), cfg, &recorder{}); err == nil {
			t.Errorf("Run(%+v) = nil error, want one", cfg)
		}
	}
	if _, err := simulator.Run(context.Background(), simulator.Config{}, nil); err == nil {
		t.Error("Run with no sink = nil error, want one")
	}
}
