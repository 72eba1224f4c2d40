// Package smdr is the domain of ipsmdr: the IP SMDR record (the fixed-width
// 162-character line of the MiVoice Office IP SMDR feed), the call event a PBX
// reports, and the words both use.
//
// The package is pure: it formats and parses lines and validates events, and
// does no I/O. The record layout is described in docs/record-format.md and in
// the product reference (ip-smdr.md §2).
package smdr

import (
	"fmt"
	"strings"
	"time"
)

// LineLength is the length of a record without its line ending.
const LineLength = 162

// WireLength is the length of a record on the wire: the line plus CR LF.
const WireLength = LineLength + 2

// Direction says whether a trunk call came in or went out.
type Direction string

// The directions of a trunk call. Internal calls (extension to extension) are
// tracked by the engine but never reported.
const (
	Inbound  Direction = "IN"
	Outbound Direction = "OUT"
)

// ParseDirection reads a direction in any case: "in", "IN", "out", "OUT".
func ParseDirection(s string) (Direction, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "IN":
		return Inbound, true
	case "OUT":
		return Outbound, true
	}
	return "", false
}

// Event is the event word of a record (field 13).
type Event string

// The nine event types of the IP SMDR feed (ip-smdr.md §3).
const (
	Ringing      Event = "RINGING"
	Answered     Event = "ANSWERED"
	Connected    Event = "CONNECTED"
	Hold         Event = "HOLD"
	Diverted     Event = "DIVERTED"
	Transferred  Event = "TRANSFERRED"
	Queued       Event = "QUEUED"
	CallModified Event = "CALLMODIFIED"
	Disconnected Event = "DISCONNECTED"
)

// Events lists the nine event types in the order the reference gives them.
var Events = []Event{Ringing, Answered, Connected, Hold, Diverted, Transferred, Queued, CallModified, Disconnected}

// ParseEvent reads an event word in any case. CALLCONNECTED, which the
// manual's event list uses, is read as CONNECTED.
func ParseEvent(s string) (Event, bool) {
	w := Event(strings.ToUpper(strings.TrimSpace(s)))
	if w == "CALLCONNECTED" {
		return Connected, true
	}
	for _, e := range Events {
		if e == w {
			return e, true
		}
	}
	return "", false
}

// Record is one IP SMDR record: the state of one call at one event.
//
// Text fields hold the values without padding. Time is the record's date and
// time as a wall clock in the location it carries; the formatter prints that
// wall clock as it is.
type Record struct {
	Time            time.Time
	Direction       Direction
	CallID          string
	Trunk           string
	Extension       string
	SourceExtension string
	Number          string
	Name            string
	DDI             string
	DDIName         string
	AccountCode     string
	Event           Event
}

// CallIDLength is the number of digits in a Call ID.
const CallIDLength = 22

// CallIDStart returns the call's start time encoded in the first 14 digits of
// a Call ID (yyyyMMddHHmmss, 24-hour clock), read in loc.
func CallIDStart(id string, loc *time.Location) (time.Time, error) {
	if err := ValidCallID(id); err != nil {
		return time.Time{}, err
	}
	t, err := time.ParseInLocation("20060102150405", id[:14], loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("call ID %q: first 14 digits are not a date and time: %w", id, err)
	}
	return t, nil
}

// ValidCallID reports whether id is 22 digits.
func ValidCallID(id string) error {
	if len(id) != CallIDLength {
		return fmt.Errorf("call ID %q has %d characters, want %d digits", id, len(id), CallIDLength)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return fmt.Errorf("call ID %q has %q at position %d, want digits only", id, id[i], i+1)
		}
	}
	return nil
}
