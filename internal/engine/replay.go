package engine

import (
	"fmt"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// Replay applies a record the journal holds but the restored snapshot may
// not reflect (one written after the snapshot was taken), so that the
// call's next events give exactly the records they would have given had
// the server not restarted. now is the server's clock to give the call as
// its last event, from which the call timeout runs.
//
// It finds the call by r.CallID. If no call in progress has it, Replay
// changes nothing and returns false: the call started after the snapshot
// (or ended before it), and its remaining events cannot be continued.
//
// Otherwise the call takes the record's Extension, Number, Name, DDI, DDI
// name and account code, as it had them after the event that wrote the
// record; ANSWERED or CONNECTED marks it answered, and DISCONNECTED ends
// it, remembering its key as ended at now.
//
// A record read back from a line is not always the value the call held:
// Parse drops the leading padding characters of the right-aligned fields
// (the number "079..." padded with '0' reads back as "79...") and the
// trailing spaces of the others, and the formatter cleans and cuts text.
// What matters is what the feed shows, so a record value that prints the
// same as the call's value (with Config.Padding) leaves the call's exact
// value alone. A value that does not print the same is taken as read; it
// prints as the original did, and it is marked inexact so that a later
// event repeating the original value, which prints the same, is not taken
// for a change (no spurious CALLMODIFIED).
func (e *Engine) Replay(r smdr.Record, now time.Time) bool {
	e.mustIdle("Replay")
	c := e.byID[r.CallID]
	if c == nil {
		return false
	}
	e.ended.prune(now)
	for _, f := range fields {
		cur, v := f.ofCall(c), *f.ofRecord(&r)
		// An event never empties a value; "" is a value all padding.
		if v != "" && !e.printsSame(f, *cur, v) {
			*cur = v
			c.inexact |= f
		}
	}
	c.lastSeen = now
	switch r.Event {
	case smdr.Answered, smdr.Connected:
		c.answered = true
	case smdr.Disconnected:
		e.forget(c, now)
	}
	return true
}

// field is a set of the call's values that an event may change.
type field uint8

const (
	fieldExtension field = 1 << iota
	fieldNumber
	fieldName
	fieldDDI
	fieldDDIName
	fieldAccount
)

// fields lists each field once, in record order.
var fields = [...]field{fieldExtension, fieldNumber, fieldName, fieldDDI, fieldDDIName, fieldAccount}

// fieldNames are the JSON names of the fields, as CallState.Inexact has them.
var fieldNames = map[field]string{
	fieldExtension: "extension",
	fieldNumber:    "number",
	fieldName:      "name",
	fieldDDI:       "ddi",
	fieldDDIName:   "ddi_name",
	fieldAccount:   "account_code",
}

// ofCall returns c's value of the single field f.
func (f field) ofCall(c *call) *string {
	switch f {
	case fieldExtension:
		return &c.ext
	case fieldNumber:
		return &c.number
	case fieldName:
		return &c.name
	case fieldDDI:
		return &c.ddi
	case fieldDDIName:
		return &c.ddiName
	}
	return &c.account
}

// ofRecord returns r's value of the single field f.
func (f field) ofRecord(r *smdr.Record) *string {
	switch f {
	case fieldExtension:
		return &r.Extension
	case fieldNumber:
		return &r.Number
	case fieldName:
		return &r.Name
	case fieldDDI:
		return &r.DDI
	case fieldDDIName:
		return &r.DDIName
	}
	return &r.AccountCode
}

// names returns the JSON names of the fields in f, nil if none.
func (f field) names() []string {
	var out []string
	for _, g := range fields {
		if f&g != 0 {
			out = append(out, fieldNames[g])
		}
	}
	return out
}

// parseFields reads the JSON names of fields.
func parseFields(names []string) (field, error) {
	var f field
next:
	for _, n := range names {
		for g, name := range fieldNames {
			if n == name {
				f |= g
				continue next
			}
		}
		return 0, fmt.Errorf("%q is not one of extension, number, name, ddi, ddi_name, account_code", n)
	}
	return f, nil
}

// given returns the fields ev gives a value for.
func given(ev *smdr.CallEvent) field {
	var f field
	for _, g := range fields {
		var v string
		switch g {
		case fieldExtension:
			v = ev.Extension
		case fieldNumber:
			v = ev.Number
		case fieldName:
			v = ev.Name
		case fieldDDI:
			v = ev.DDI
		case fieldDDIName:
			v = ev.DDIName
		case fieldAccount:
			v = ev.AccountCode
		}
		if v != "" {
			f |= g
		}
	}
	return f
}

// changes reports whether an event's value v changes c's value of f. A value
// Replay read back from the journal is changed only by a value that prints
// differently: one that prints the same is most likely the original value
// the journal's line lost characters of.
func (e *Engine) changes(c *call, f field, v string) bool {
	cur := *f.ofCall(c)
	if !differs(v, cur) {
		return false
	}
	return c.inexact&f == 0 || !e.printsSame(f, v, cur)
}

// printsSame reports whether a and b print the same as field f of a record.
func (e *Engine) printsSame(f field, a, b string) bool {
	if a == b {
		return true
	}
	var ra, rb smdr.Record
	*f.ofRecord(&ra) = a
	*f.ofRecord(&rb) = b
	return e.format.Line(ra) == e.format.Line(rb)
}
