package simulator

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// DefaultRate is the call rate, in calls per hour, when Config.Rate is 0.
const DefaultRate = 120

// Config says what to simulate and how fast. The zero value runs the default
// office at the default rate, as fast as possible, until the context ends.
type Config struct {
	// Rate is the mean number of calls per simulated hour; calls arrive as
	// a Poisson process. 0 means DefaultRate.
	Rate float64
	// Speed compresses time: 1 is real time, 60 is one simulated minute per
	// real second. 0 or +Inf means as fast as possible.
	Speed float64
	// Seed makes the run repeatable: the same seed and configuration (and
	// Start) give the same calls, events and times.
	Seed int64
	// Calls, when positive, is the number of calls to make: Run starts that
	// many and returns when all of them have ended.
	Calls int
	// Duration, when positive, is how long in simulated time calls keep
	// arriving; Run returns when the calls started in it have ended.
	Duration time.Duration
	// Start is the simulated time of the first call, cut to a whole second.
	// Zero means the clock's now.
	Start time.Time
	// Truth, when set, receives one JSON line (a Truth) per call, written
	// when the call's last event has been sent.
	Truth io.Writer
	// Logger receives progress; nil means none.
	Logger *slog.Logger
	// Office is the office to simulate; nil means DefaultOffice().
	Office *Office
	// Clock paces the run; nil means the system clock. Tests give a fake.
	Clock Clock
}

// Clock is the real time the simulator paces itself against.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done and then returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats counts what a run did.
type Stats struct {
	// Started is the number of calls begun; Calls the number that ended.
	Started int
	Calls   int
	// Events is the number of events sent, in Batches calls of Send.
	Events  int
	Batches int
	// ByEvent counts events sent by kind (smdr.Kind).
	ByEvent map[string]int
	// ByScenario and ByOutcome count ended calls.
	ByScenario map[string]int
	ByOutcome  map[string]int
	// Start is the simulated start; End the time of the last batch sent.
	Start, End time.Time
}

// Run simulates the office's calls and sends their events to sink, batch
// by batch in time order: events due at the same simulated second go in one
// Send. It returns when Config.Calls calls, or the calls started within
// Config.Duration, have ended, or when ctx is done; then it has stopped:
// it leaves no goroutine and sends nothing more, though calls in progress
// stay unfinished. The end of ctx is not an error. A failed Send ends the
// run with the error.
func Run(ctx context.Context, cfg Config, sink Sink) (Stats, error) {
	s, err := newSim(cfg)
	if err != nil {
		return Stats{}, err
	}
	return s.run(ctx, sink)
}

// sim is one run's state: the simulated clock's queue of pending actions,
// the randomness and the office's bookings.
type sim struct {
	cfg    Config
	rng    *rand.Rand
	office *Office
	clock  Clock
	log    *slog.Logger

	extNumbers []string
	contacts   []string
	extDDIs    []DDI
	groupDDIs  []DDI
	scenarios  []scenario
	weights    float64

	start time.Time
	queue actions
	seq   uint64
	busy  bookings
	stats Stats
}

func newSim(cfg Config) (*sim, error) {
	switch {
	case math.IsNaN(cfg.Rate) || cfg.Rate < 0 || math.IsInf(cfg.Rate, 0):
		return nil, fmt.Errorf("simulator: rate %v calls per hour, want a positive number", cfg.Rate)
	case math.IsNaN(cfg.Speed) || cfg.Speed < 0:
		return nil, fmt.Errorf("simulator: speed %v, want a positive factor, or 0 for as fast as possible", cfg.Speed)
	case cfg.Calls < 0:
		return nil, fmt.Errorf("simulator: calls %d, want 0 (no limit) or more", cfg.Calls)
	case cfg.Duration < 0:
		return nil, fmt.Errorf("simulator: duration %v, want 0 (no limit) or more", cfg.Duration)
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	s := &sim{cfg: cfg, office: cfg.Office, clock: cfg.Clock, log: cfg.Logger, busy: bookings{}}
	if s.office == nil {
		s.office = DefaultOffice()
	}
	if err := s.office.Validate(); err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "simulator")
	s.rng = rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Seed)^0x9e3779b97f4a7c15))
	for _, e := range s.office.Extensions {
		s.extNumbers = append(s.extNumbers, e.Number)
	}
	s.contacts = s.office.contactNumbers()
	s.extDDIs = s.office.extensionDDIs()
	s.groupDDIs = s.office.groupDDIs()
	for _, sc := range scenarios {
		if sc.possible(s.office) {
			s.scenarios = append(s.scenarios, sc)
			s.weights += sc.weight
		}
	}
	s.start = cfg.Start
	if s.start.IsZero() {
		s.start = s.clock.Now()
	}
	s.start = s.start.UTC().Truncate(time.Second)
	s.stats = Stats{ByEvent: map[string]int{}, ByScenario: map[string]int{}, ByOutcome: map[string]int{}, Start: s.start}
	return s, nil
}

func (s *sim) run(ctx context.Context, sink Sink) (Stats, error) {
	if sink == nil {
		return Stats{}, errors.New("simulator: no sink")
	}
	s.log.Info("simulator started", "rate", s.cfg.Rate, "speed", s.cfg.Speed, "seed", s.cfg.Seed, "start", s.start)
	realStart := s.clock.Now()
	s.push(&action{at: s.start})
	for len(s.queue) > 0 {
		if ctx.Err() != nil {
			break
		}
		at := s.queue[0].at
		if err := s.pace(ctx, realStart, at); err != nil {
			break
		}
		batch, ended := s.due(at)
		if len(batch) == 0 {
			continue
		}
		if err := sink.Send(ctx, batch); err != nil {
			if ctx.Err() != nil {
				break
			}
			return s.stats, fmt.Errorf("simulator: send %d events at %s: %w", len(batch), at.Format(time.RFC3339), err)
		}
		s.stats.Batches++
		s.stats.Events += len(batch)
		s.stats.End = at
		for _, ev := range batch {
			s.stats.ByEvent[ev.Event]++
		}
		for _, c := range ended {
			if err := s.finish(c); err != nil {
				return s.stats, err
			}
		}
	}
	s.log.Info("simulator stopped", "calls", s.stats.Calls, "events", s.stats.Events, "simulated", s.stats.End.Sub(s.start))
	return s.stats, nil
}

// pace waits until the real time at which the simulated time at is due.
func (s *sim) pace(ctx context.Context, realStart, at time.Time) error {
	if s.cfg.Speed == 0 || math.IsInf(s.cfg.Speed, 1) {
		return nil
	}
	due := realStart.Add(time.Duration(float64(at.Sub(s.start)) / s.cfg.Speed))
	if d := due.Sub(s.clock.Now()); d > 0 {
		return s.clock.Sleep(ctx, d)
	}
	return nil
}

// due takes every action due at at off the queue: it starts the calls that
// arrive then and returns the events due then, in order, with the calls
// those events end.
func (s *sim) due(at time.Time) (batch []smdr.CallEvent, ended []*call) {
	for len(s.queue) > 0 && s.queue[0].at.Equal(at) {
		a := heap.Pop(&s.queue).(*action)
		if a.call == nil {
			s.arrive(at)
			continue
		}
		batch = append(batch, a.call.events[a.event])
		if a.event == len(a.call.events)-1 {
			ended = append(ended, a.call)
		}
	}
	return batch, ended
}

// arrive starts a call at at and schedules the next arrival, if any.
func (s *sim) arrive(at time.Time) {
	s.busy.prune(at)
	s.stats.Started++
	c := s.plan(s.stats.Started, at)
	for i := range c.events {
		s.push(&action{at: c.events[i].Time, call: c, event: i})
	}
	s.log.Debug("call started", "call", c.key, "scenario", c.scenario, "events", len(c.events))
	if s.cfg.Calls > 0 && s.stats.Started >= s.cfg.Calls {
		return
	}
	gap := math.Round(s.rng.ExpFloat64() * 3600 / s.cfg.Rate)
	next := at.Add(time.Duration(min(gap, 1e9)) * time.Second)
	if s.cfg.Duration > 0 && next.Sub(s.start) >= s.cfg.Duration {
		return
	}
	s.push(&action{at: next})
}

// plan chooses the nth call's scenario and writes its events.
func (s *sim) plan(n int, at time.Time) *call {
	x := s.rng.Float64() * s.weights
	sc := s.scenarios[len(s.scenarios)-1]
	for _, cand := range s.scenarios {
		if x < cand.weight {
			sc = cand
			break
		}
		x -= cand.weight
	}
	c := &call{key: fmt.Sprintf("sim-%d-%d", s.cfg.Seed, n), scenario: sc.name, now: at, busy: s.busy}
	sc.plan(s, c)
	if c.first.Trunk != "" {
		s.busy.add(trunkKey(c.first.Trunk), at, c.now)
	}
	t := newTally(c.key, c.scenario)
	for _, ev := range c.events {
		t.add(ev)
	}
	c.truth = t.truth()
	return c
}

// finish counts an ended call and writes its truth.
func (s *sim) finish(c *call) error {
	s.stats.Calls++
	s.stats.ByScenario[c.scenario]++
	s.stats.ByOutcome[c.truth.Outcome]++
	if s.cfg.Truth == nil {
		return nil
	}
	line, err := json.Marshal(c.truth)
	if err != nil {
		return fmt.Errorf("simulator: truth of %s: %w", c.key, err)
	}
	if _, err := s.cfg.Truth.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("simulator: write truth: %w", err)
	}
	return nil
}

func (s *sim) push(a *action) {
	s.seq++
	a.seq = s.seq
	heap.Push(&s.queue, a)
}

// action is a pending action on the simulated clock: a call's arrival (call
// nil) or one of a call's events. Actions due at the same time run in the
// order they were scheduled.
type action struct {
	at    time.Time
	seq   uint64
	call  *call
	event int
}

// actions is a priority queue of actions, earliest first.
type actions []*action

func (q actions) Len() int { return len(q) }
func (q actions) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q actions) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *actions) Push(x any)   { *q = append(*q, x.(*action)) }
func (q *actions) Pop() any {
	old := *q
	a := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return a
}
