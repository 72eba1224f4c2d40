package smdr

import (
	"slices"
	"time"
)

// BuildCall puts a call together from its records, in the order they were
// written: recs are the records of one call (one Call ID) in arrival order,
// with their times resolved (Parse places the 12-hour clock). site is copied
// into the Call. BuildCall is pure and does work in proportion to len(recs).
//
// The figures follow the rules of the simulator's truth (docs/simulator.md,
// "Truth"), read on the records: ANSWERED and CONNECTED are a connection,
// CALLMODIFIED changes fields and never the call's state (so the extra
// CALLMODIFIED records the server writes change nothing), and:
//
//   - Start is the start in the Call ID, read in the zone of the first
//     record's time; the first record's time when the Call ID holds none.
//     CallID, Direction and Trunk are the first record's.
//   - AnsweredAt and AnsweredBy are the time and extension of the first
//     ANSWERED record, or of the first CONNECTED when there is no ANSWERED
//     (a feed that lost it).
//   - QueueSeconds sums, over QUEUED records, the time to the call's next
//     record other than CALLMODIFIED. HoldSeconds sums the time from a HOLD
//     to the next ANSWERED, CONNECTED or DISCONNECTED; a HOLD while held
//     adds nothing. The two are tracked apart, as the rules read, so a
//     call held and then queued (HOLD, QUEUED, RINGING, CONNECTED) counts
//     the queue in both.
//   - RingSeconds is AnsweredAt (End when unanswered) − Start − the queue
//     time before that point; TalkSeconds is End − AnsweredAt − HoldSeconds,
//     0 when unanswered.
//   - Outcome is answered if answered; else unanswered for an outbound
//     call; else abandoned if the last record before DISCONNECTED, apart
//     from CALLMODIFIED, was QUEUED; else missed.
//   - Extensions lists, for each record in order, its source extension then
//     its extension, each the first time it appears (a QUEUED record's
//     extension is the hunt group). FinalExtension is the extension of the
//     last record that names one: the DISCONNECTED record's.
//   - Number, Name, DDI, DDIName and AccountCode are the last non-empty
//     values; Transfers and Diversions count TRANSFERRED and DIVERTED.
//   - FirstRing is the time of the first RINGING record. State is the state
//     the last state-changing record put the call in (ringing for RINGING,
//     DIVERTED and TRANSFERRED; connected; hold; queued; ended) and
//     StateSince when the call entered it: a record that leaves the state
//     as it was (RINGING after TRANSFERRED, HOLD while held) does not move
//     it. A call with no state-changing record has State "".
//   - LastEvent is the time of the last record and Records is len(recs).
//
// How the call is closed:
//
//   - With a DISCONNECTED record, End is its time and ClosedBy is
//     ClosedByDisconnected. The first DISCONNECTED ends the call: records
//     after it (a duplicate, a stray late record) count in Records and
//     LastEvent but change nothing else, because the PBX writes nothing for
//     a call that has cleared and the call's figures must not run on past
//     its end.
//   - Without one and with timedOut (the collector gave up waiting), the
//     call is closed as if a DISCONNECTED had come at the last record's
//     time: End is LastEvent and ClosedBy is ClosedByTimeout.
//   - Otherwise the call is open: End is nil, Outcome and ClosedBy are "",
//     and the figures are running ones, measured up to LastEvent as if the
//     call ended then: a queue or hold in progress counts up to LastEvent,
//     RingSeconds of an unanswered call runs to LastEvent, and TalkSeconds
//     of an answered one is LastEvent − AnsweredAt − HoldSeconds. They grow
//     only as records arrive; they do not follow the wall clock.
//
// Seconds are whole seconds (record times are) and never negative: an
// interval that would be, because records arrived out of order or the Call
// ID is later than the records, counts as 0.
//
// An event word that is not one of the nine (a Record built by hand) is
// read as ParseEvent reads it, so CALLCONNECTED is CONNECTED; one it does
// not know is treated like CALLMODIFIED. With no records at all, BuildCall
// returns a Call with only Site set and no extensions.
func BuildCall(site string, recs []Record, timedOut bool) Call {
	b := builder{c: Call{Site: site, Records: len(recs), Extensions: []string{}}}
	if len(recs) == 0 {
		return b.c
	}
	first := &recs[0]
	b.c.CallID, b.c.Direction, b.c.Trunk = first.CallID, first.Direction, first.Trunk
	start, err := CallIDStart(first.CallID, first.Time.Location())
	if err != nil {
		start = first.Time
	}
	b.c.Start = start
	b.c.LastEvent = recs[len(recs)-1].Time
	b.exts.list = b.c.Extensions
	for i := range recs {
		if b.step(&recs[i]) {
			break
		}
	}
	return b.finish(timedOut)
}

// builder is BuildCall's state while it reads a call's records in order.
type builder struct {
	c    Call
	exts extSet

	queue, hold      time.Duration
	queued, held     bool // a queue or a hold is in progress
	queuedAt, heldAt time.Time
	disconnected     bool
	end              time.Time
	// queuedAtEnd says the last state-changing record before DISCONNECTED
	// was QUEUED: the caller hung up in the queue.
	queuedAtEnd bool

	// The first ANSWERED and the first CONNECTED, with the queue time
	// before each: which of them answered the call is known only at the end.
	answered, connected        bool
	answeredAt, connectedAt    time.Time
	answeredBy, connectedBy    string
	queueAtAnswer, queueAtConn time.Duration

	rang      bool
	firstRing time.Time
}

// step reads the next record and reports whether it ended the call.
func (b *builder) step(r *Record) bool {
	c := &b.c
	t := r.Time
	keep(&c.Number, r.Number)
	keep(&c.Name, r.Name)
	keep(&c.DDI, r.DDI)
	keep(&c.DDIName, r.DDIName)
	keep(&c.AccountCode, r.AccountCode)
	b.exts.add(r.SourceExtension)
	b.exts.add(r.Extension)
	keep(&c.FinalExtension, r.Extension)

	ev := eventWord(r.Event)
	if ev == CallModified || ev == "" {
		return false
	}
	// Any record that changes state, whatever it is, ends a queue in
	// progress: queue time runs to the next such record.
	if b.queued {
		b.queue += span(b.queuedAt, t)
		b.queued = false
		b.queuedAtEnd = ev == Disconnected
	}
	switch ev {
	case Answered, Connected:
		b.endHold(t)
		if ev == Answered && !b.answered {
			b.answered, b.answeredAt, b.answeredBy, b.queueAtAnswer = true, t, r.Extension, b.queue
		}
		if ev == Connected && !b.connected {
			b.connected, b.connectedAt, b.connectedBy, b.queueAtConn = true, t, r.Extension, b.queue
		}
		b.setState(StateConnected, t)
	case Hold:
		if !b.held {
			b.held, b.heldAt = true, t
		}
		b.setState(StateHold, t)
	case Queued:
		b.queued, b.queuedAt = true, t
		b.setState(StateQueued, t)
	case Ringing:
		if !b.rang {
			b.rang, b.firstRing = true, t
		}
		b.setState(StateRinging, t)
	case Diverted:
		c.Diversions++
		b.setState(StateRinging, t)
	case Transferred:
		c.Transfers++
		b.setState(StateRinging, t)
	case Disconnected:
		b.endHold(t)
		b.disconnected, b.end = true, t
		b.setState(StateEnded, t)
		return true
	}
	return false
}

// endHold ends a hold in progress at t.
func (b *builder) endHold(t time.Time) {
	if b.held {
		b.hold += span(b.heldAt, t)
		b.held = false
	}
}

// setState moves the call to s at t; staying in the same state keeps the
// time it was entered.
func (b *builder) setState(s CallState, t time.Time) {
	if s != b.c.State {
		b.c.State, b.c.StateSince = s, t
	}
}

// finish closes the call as the records and timedOut say and computes the
// figures.
func (b *builder) finish(timedOut bool) Call {
	c := &b.c
	c.Extensions = b.exts.list
	if !b.disconnected {
		// The figures run to the last record, where a queue or a hold in
		// progress is cut: the end of a timed-out call, the "so far" of an
		// open one.
		b.end = c.LastEvent
		b.queuedAtEnd = b.queued
		if b.queued {
			b.queue += span(b.queuedAt, b.end)
		}
		b.endHold(b.end)
	}
	switch {
	case b.disconnected:
		c.ClosedBy = ClosedByDisconnected
	case timedOut:
		c.ClosedBy = ClosedByTimeout
		b.setState(StateEnded, b.end)
	}
	if c.ClosedBy != "" {
		end := b.end
		c.End = &end
	}
	// Copies, so that the Call holds no pointer into the builder.
	if b.rang {
		first := b.firstRing
		c.FirstRing = &first
	}

	if !b.answered && b.connected {
		b.answered, b.answeredAt, b.answeredBy, b.queueAtAnswer = true, b.connectedAt, b.connectedBy, b.queueAtConn
	}
	c.QueueSeconds = seconds(b.queue)
	c.HoldSeconds = seconds(b.hold)
	if b.answered {
		at := b.answeredAt
		c.AnsweredAt, c.AnsweredBy = &at, b.answeredBy
		c.RingSeconds = seconds(b.answeredAt.Sub(c.Start) - b.queueAtAnswer)
		c.TalkSeconds = seconds(b.end.Sub(b.answeredAt) - b.hold)
	} else {
		c.RingSeconds = seconds(b.end.Sub(c.Start) - b.queue)
	}
	switch {
	case c.ClosedBy == "":
		// Open: no outcome yet.
	case b.answered:
		c.Outcome = OutcomeAnswered
	case c.Direction == Outbound:
		c.Outcome = OutcomeUnanswered
	case b.queuedAtEnd:
		c.Outcome = OutcomeAbandoned
	default:
		c.Outcome = OutcomeMissed
	}
	return b.c
}

// eventWord returns e as one of the nine event words, or "" when it is none.
// Parse only makes the nine; a Record built by hand may say CALLCONNECTED or
// use another case.
func eventWord(e Event) Event {
	switch e {
	case Ringing, Answered, Connected, Hold, Diverted, Transferred, Queued, CallModified, Disconnected:
		return e
	}
	w, _ := ParseEvent(string(e))
	return w
}

// keep sets *dst to v when v is not empty: a record's blank field means
// "not known here", not "cleared".
func keep(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// span returns the time from from to to, or 0 if to is before from.
func span(from, to time.Time) time.Duration {
	return max(to.Sub(from), 0)
}

// seconds returns d in whole seconds, rounded, and never below 0.
func seconds(d time.Duration) int {
	return int(max(d, 0).Round(time.Second) / time.Second)
}

// extSetIndexAt is the size from which extSet keeps an index: below it a
// scan of the list is cheaper than a map; above it the scan would make a
// call with many extensions cost quadratic time.
const extSetIndexAt = 16

// extSet is the list of a call's extensions in order of first appearance.
type extSet struct {
	list  []string
	index map[string]struct{}
}

// add appends x unless it is empty or already listed.
func (s *extSet) add(x string) {
	if x == "" {
		return
	}
	if s.index != nil {
		if _, ok := s.index[x]; ok {
			return
		}
		s.index[x] = struct{}{}
		s.list = append(s.list, x)
		return
	}
	if slices.Contains(s.list, x) {
		return
	}
	s.list = append(s.list, x)
	if len(s.list) >= extSetIndexAt {
		s.index = make(map[string]struct{}, 2*len(s.list))
		for _, y := range s.list {
			s.index[y] = struct{}{}
		}
	}
}
