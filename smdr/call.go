package smdr

import "time"

// Outcome is how a call ended.
type Outcome string

// The outcomes of a call (product.md, the collector's HTTP). A call in
// progress has none ("").
const (
	OutcomeAnswered   Outcome = "answered"   // someone answered
	OutcomeMissed     Outcome = "missed"     // inbound, rang, nobody answered
	OutcomeAbandoned  Outcome = "abandoned"  // inbound, the caller hung up while queued
	OutcomeUnanswered Outcome = "unanswered" // outbound, the far end did not answer
)

// Outcomes lists the four outcomes.
var Outcomes = []Outcome{OutcomeAnswered, OutcomeMissed, OutcomeAbandoned, OutcomeUnanswered}

// CallState is where a call stands after its latest record.
type CallState string

// The states of a call, for the live view.
const (
	StateRinging   CallState = "ringing"   // RINGING, DIVERTED, TRANSFERRED: alerting a device
	StateConnected CallState = "connected" // ANSWERED, CONNECTED
	StateHold      CallState = "hold"      // HOLD
	StateQueued    CallState = "queued"    // QUEUED
	StateEnded     CallState = "ended"     // DISCONNECTED, or closed by timeout
)

// How a call was closed, in Call.ClosedBy.
const (
	ClosedByDisconnected = "disconnected" // its DISCONNECTED record arrived
	ClosedByTimeout      = "timeout"      // no DISCONNECTED; closed after the collector's call timeout
)

// Call is one call put together from its records, as the collector keeps
// it: one per Call ID and site. BuildCall computes it from the call's
// records alone, so the same records always give the same Call.
type Call struct {
	Site        string    `json:"site"`
	CallID      string    `json:"call_id"`
	Direction   Direction `json:"direction"`
	Trunk       string    `json:"trunk"`
	Number      string    `json:"number"`
	Name        string    `json:"name"`
	DDI         string    `json:"ddi"`
	DDIName     string    `json:"ddi_name"`
	AccountCode string    `json:"account_code"`

	// Start is the call's start from its Call ID.
	Start time.Time `json:"start"`
	// FirstRing is the time of the first RINGING record, if any.
	FirstRing *time.Time `json:"first_ring"`
	// AnsweredAt is the time of the first ANSWERED (or, without one, the
	// first CONNECTED) record.
	AnsweredAt *time.Time `json:"answered_at"`
	// End is the time of the DISCONNECTED record, or of the last record
	// when the call was closed by timeout; nil while the call is open.
	End *time.Time `json:"end"`

	RingSeconds  int `json:"ring_seconds"`
	TalkSeconds  int `json:"talk_seconds"`
	HoldSeconds  int `json:"hold_seconds"`
	QueueSeconds int `json:"queue_seconds"`

	Outcome        Outcome  `json:"outcome"` // "" while open
	AnsweredBy     string   `json:"answered_by"`
	FinalExtension string   `json:"final_extension"`
	Extensions     []string `json:"extensions"` // in order of involvement, no repeats
	Transfers      int      `json:"transfers"`
	Diversions     int      `json:"diversions"`
	ClosedBy       string   `json:"closed_by"` // "", ClosedByDisconnected or ClosedByTimeout

	// State and StateSince say where the call stands now and since when.
	State      CallState `json:"state"`
	StateSince time.Time `json:"state_since"`
	// LastEvent is the time of the call's latest record.
	LastEvent time.Time `json:"last_event"`
	// Records is the number of the call's records.
	Records int `json:"record_count"`
}

// Open reports whether the call has not been closed yet.
func (c *Call) Open() bool { return c.ClosedBy == "" }
