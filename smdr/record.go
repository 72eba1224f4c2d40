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

// ParseDirection reads a direction in any case, around spaces: "in", "IN",
// "out", "OUT". Case is folded as by strings.EqualFold, as Parse reads the
// Direction field.
func ParseDirection(s string) (Direction, bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.EqualFold(s, "in"):
		return Inbound, true
	case strings.EqualFold(s, "out"):
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
	year, month, day, hour, minute, second, ok := readCallIDStart(id)
	if !ok {
		return time.Time{}, fmt.Errorf("call ID %q: first 14 digits %s are not a date and time yyyyMMddHHmmss", id, id[:14])
	}
	return time.Date(year, time.Month(month), day, hour, minute, second, 0, loc), nil
}

// ValidCallID reports whether id is 22 digits.
func ValidCallID(id string) error {
	switch bad, ok := checkCallID(id); {
	case ok:
		return nil
	case bad < 0:
		return fmt.Errorf("call ID %q has %d characters, want %d digits", id, len(id), CallIDLength)
	default:
		return fmt.Errorf("call ID %q has %q at position %d, want digits only", id, id[bad], bad+1)
	}
}

// checkCallID reports whether id is a Call ID: CallIDLength ASCII digits.
// When it is not, bad is the 0-based index of its first non-digit, or -1
// when its length is wrong (which is checked first). ValidCallID and Parse
// both check through it and word the failure each their own way.
func checkCallID(id string) (bad int, ok bool) {
	if len(id) != CallIDLength {
		return -1, false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return i, false
		}
	}
	return 0, true
}

// readCallIDStart reads the call's start, yyyyMMddHHmmss on a 24-hour clock,
// from the first 14 digits of id, which checkCallID has accepted; ok is false
// when they are not a valid date and time. CallIDStart and Parse both read
// it through here.
func readCallIDStart(id string) (year, month, day, hour, minute, second int, ok bool) {
	year = digits(id[0:4])
	month, day = digits(id[4:6]), digits(id[6:8])
	hour, minute, second = digits(id[8:10]), digits(id[10:12]), digits(id[12:14])
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || second > 59 {
		return 0, 0, 0, 0, 0, 0, false
	}
	return year, month, day, hour, minute, second, true
}
