package simulator

import (
	"slices"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// The outcomes of a call in Truth.Outcome.
const (
	OutcomeAnswered   = "answered"   // someone answered
	OutcomeMissed     = "missed"     // inbound or internal, rang, nobody answered
	OutcomeAbandoned  = "abandoned"  // inbound, the caller hung up while queued
	OutcomeUnanswered = "unanswered" // outbound, the far end did not answer
)

// Truth is the ground truth of one finished call, written as one JSON line
// to Config.Truth when the call ends. Every figure follows from the call's
// events and their times by the rules in the package comment, so a collector
// reading the SMDR records of the call can compute the same values.
type Truth struct {
	Call         string     `json:"call"`
	Scenario     string     `json:"scenario"`
	Direction    string     `json:"direction"`
	Trunk        string     `json:"trunk"`
	Number       string     `json:"number"`
	Name         string     `json:"name"`
	DDI          string     `json:"ddi"`
	DDIName      string     `json:"ddi_name"`
	AccountCode  string     `json:"account_code"`
	Start        time.Time  `json:"start"`
	AnsweredAt   *time.Time `json:"answered_at"`
	End          time.Time  `json:"end"`
	Outcome      string     `json:"outcome"`
	RingSeconds  int        `json:"ring_seconds"`
	QueueSeconds int        `json:"queue_seconds"`
	TalkSeconds  int        `json:"talk_seconds"`
	HoldSeconds  int        `json:"hold_seconds"`
	AnsweredBy   string     `json:"answered_by"`
	// FinalExtension is the extension of the call's last event.
	FinalExtension string `json:"final_extension"`
	// Extensions lists every extension and hunt group on the call, in order
	// of first involvement, without repeats.
	Extensions []string `json:"extensions"`
	Transfers  int      `json:"transfers"`
	Diversions int      `json:"diversions"`
	// Events lists the kinds of the call's events, in the order sent.
	Events []string `json:"events"`
}

// tally builds a call's Truth from its events, one at a time, by the rules
// of the package comment.
type tally struct {
	t     Truth
	state smdr.Kind // the last kind that changed the call's state
	since time.Time // when the current queued or hold state began

	queue, hold time.Duration
	// queueAtAnswer is the queue time before the first answer.
	queueAtAnswer time.Duration
	answered      bool
}

func newTally(key, scenario string) *tally {
	return &tally{t: Truth{Call: key, Scenario: scenario, Extensions: []string{}, Events: []string{}}}
}

// add takes the call's next event.
func (a *tally) add(ev smdr.CallEvent) {
	k := smdr.Kind(ev.Event)
	t := &a.t
	if len(t.Events) == 0 {
		t.Start = ev.Time
		t.Direction = ev.Direction
		t.Trunk = ev.Trunk
	}
	t.Events = append(t.Events, ev.Event)
	setIf(&t.Number, ev.Number)
	setIf(&t.Name, ev.Name)
	setIf(&t.DDI, ev.DDI)
	setIf(&t.DDIName, ev.DDIName)
	setIf(&t.AccountCode, ev.AccountCode)
	for _, x := range []string{ev.SourceExtension, ev.Extension} {
		if x != "" && !slices.Contains(t.Extensions, x) {
			t.Extensions = append(t.Extensions, x)
		}
	}
	setIf(&t.FinalExtension, ev.Extension)
	if k == smdr.KindModified {
		return // changes fields, never the call's state
	}

	// Queue time runs from a queued event to the call's next event; hold
	// time from a hold event to the next connected or disconnected event.
	if a.state == smdr.KindQueued {
		a.queue += ev.Time.Sub(a.since)
		a.state = ""
	}
	if a.state == smdr.KindHold && (k == smdr.KindConnected || k == smdr.KindDisconnected) {
		a.hold += ev.Time.Sub(a.since)
		a.state = ""
	}
	switch k {
	case smdr.KindQueued:
		a.state, a.since = k, ev.Time
	case smdr.KindHold:
		if a.state != smdr.KindHold {
			a.state, a.since = k, ev.Time
		}
	case smdr.KindConnected:
		if !a.answered {
			a.answered = true
			at := ev.Time
			t.AnsweredAt = &at
			t.AnsweredBy = ev.Extension
			a.queueAtAnswer = a.queue
		}
	case smdr.KindTransferred:
		t.Transfers++
	case smdr.KindDiverted:
		t.Diversions++
	case smdr.KindDisconnected:
		t.End = ev.Time
	}
}

// truth returns the call's Truth once its disconnected event has been added.
func (a *tally) truth() Truth {
	t := a.t
	t.QueueSeconds = seconds(a.queue)
	t.HoldSeconds = seconds(a.hold)
	if a.answered {
		t.Outcome = OutcomeAnswered
		t.RingSeconds = seconds(t.AnsweredAt.Sub(t.Start) - a.queueAtAnswer)
		t.TalkSeconds = seconds(t.End.Sub(*t.AnsweredAt) - a.hold)
		return t
	}
	t.RingSeconds = seconds(t.End.Sub(t.Start) - a.queue)
	switch {
	case t.Direction == "out":
		t.Outcome = OutcomeUnanswered
	case a.lastStateQueued():
		t.Outcome = OutcomeAbandoned
	default:
		t.Outcome = OutcomeMissed
	}
	return t
}

// lastStateQueued reports whether the call was queued when it cleared: the
// last event before disconnected, other than modified, was queued.
func (a *tally) lastStateQueued() bool {
	ev := a.t.Events
	for i := len(ev) - 2; i >= 0; i-- {
		if ev[i] != string(smdr.KindModified) {
			return ev[i] == string(smdr.KindQueued)
		}
	}
	return false
}

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func seconds(d time.Duration) int { return int(d.Round(time.Second) / time.Second) }
