package smdr

import (
	"strings"
	"time"
)

// Kind is what happened to a call, as a PBX reports it. The engine turns
// kinds into record events: the first Connect of a call becomes ANSWERED,
// later ones CONNECTED.
type Kind string

// The kinds of call event the ingest API takes.
const (
	KindRinging      Kind = "ringing"
	KindConnected    Kind = "connected"
	KindHold         Kind = "hold"
	KindDiverted     Kind = "diverted"
	KindTransferred  Kind = "transferred"
	KindQueued       Kind = "queued"
	KindModified     Kind = "modified"
	KindDisconnected Kind = "disconnected"
)

// Kinds lists every kind in the order the reference gives them.
var Kinds = []Kind{KindRinging, KindConnected, KindHold, KindDiverted, KindTransferred, KindQueued, KindModified, KindDisconnected}

// ParseKind reads a kind in any case, and also the SMDR event words:
// ANSWERED, CONNECTED and CALLCONNECTED are Connected, CALLMODIFIED is
// Modified.
func ParseKind(s string) (Kind, bool) {
	w := strings.ToLower(strings.TrimSpace(s))
	switch w {
	case "answered", "callconnected":
		return KindConnected, true
	case "callmodified":
		return KindModified, true
	}
	for _, k := range Kinds {
		if string(k) == w {
			return k, true
		}
	}
	return "", false
}

// CallEvent is one event of one call, as the ingest API takes it
// (product.md, "A call event"). Empty strings mean "not given": a field not
// given keeps the value the call already has.
type CallEvent struct {
	// Call is the PBX's own key for the call. Required.
	Call string `json:"call"`
	// Event is the kind, as written by the sender; see ParseKind.
	Event string `json:"event"`
	// Time is when it happened; zero means now.
	Time time.Time `json:"time,omitzero"`
	// Direction is "in", "out" or "internal"; required on a call's first
	// event. Internal calls are tracked but never reported.
	Direction string `json:"direction,omitempty"`
	// Trunk is required on the first event of a trunk call.
	Trunk           string `json:"trunk,omitempty"`
	Extension       string `json:"extension,omitempty"`
	SourceExtension string `json:"source_extension,omitempty"`
	Number          string `json:"number,omitempty"`
	Name            string `json:"name,omitempty"`
	DDI             string `json:"ddi,omitempty"`
	DDIName         string `json:"ddi_name,omitempty"`
	AccountCode     string `json:"account_code,omitempty"`
	// CallID forces the 22-digit SMDR Call ID on a call's first event.
	CallID string `json:"call_id,omitempty"`
}

// DirectionInternal is the CallEvent direction of an extension-to-extension
// call: accepted, tracked, never reported.
const DirectionInternal = "internal"
