package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// call is the state of one call in progress.
type call struct {
	key      string // the PBX's key
	internal bool   // extension to extension: tracked, never reported
	answered bool   // has connected once: the next connect is CONNECTED
	ended    bool   // disconnected by an event of the current batch

	dir     smdr.Direction
	callID  string
	trunk   string
	ext     string // the device the call is at
	number  string
	name    string
	ddi     string
	ddiName string
	account string

	// inexact marks the fields Replay took from a journal record. Such a
	// value may have lost characters that printing drops (leading padding,
	// trailing spaces), so an event's value that prints the same is not a
	// change; the event's exact value replaces it.
	inexact field

	start    time.Time // the time of the first event, in the engine's zone
	lastSeen time.Time // server time of the last event, for Expire
}

// record returns the record of an event of c at t, with c's current values.
func (c *call) record(t time.Time, ev smdr.Event, source string) smdr.Record {
	return smdr.Record{
		Time:            t,
		Direction:       c.dir,
		CallID:          c.callID,
		Trunk:           c.trunk,
		Extension:       c.ext,
		SourceExtension: source,
		Number:          c.number,
		Name:            c.name,
		DDI:             c.ddi,
		DDIName:         c.ddiName,
		AccountCode:     c.account,
		Event:           ev,
	}
}

// apply checks event i of the batch and applies it, appending its records to
// e.recs and what it changed to e.undo. On an error it has changed nothing.
func (e *Engine) apply(i int, ev *smdr.CallEvent, now time.Time) *smdr.Error {
	if ev.Call == "" {
		return fail(i, smdr.EInvalid, "call", "call is required: the PBX's key for the call")
	}
	kind, ok := smdr.ParseKind(ev.Event)
	if !ok {
		return badEvent(i, ev.Event)
	}
	if moves(kind) && ev.Extension == "" {
		return fail(i, smdr.EInvalid, "extension", "extension is required on %s: the extension the call moves to", kind)
	}
	t := ev.Time
	if t.IsZero() {
		t = now
	}
	t = t.In(e.loc)

	c := e.calls[ev.Call]
	first := c == nil
	if first {
		var err *smdr.Error
		if c, err = e.start(i, ev, kind, t); err != nil {
			return err
		}
	} else {
		if err := c.check(i, ev); err != nil {
			return err
		}
		e.undo = append(e.undo, undo{op: undoState, c: c, prev: *c})
	}
	e.step(c, ev, kind, t, first)
	c.lastSeen = now
	return nil
}

// start checks the first event of a call and creates the call.
func (e *Engine) start(i int, ev *smdr.CallEvent, kind smdr.Kind, t time.Time) (*call, *smdr.Error) {
	if e.ended.has(ev.Call) {
		return nil, fail(i, smdr.EConflict, "call", "call %q has ended", ev.Call)
	}
	switch kind {
	case smdr.KindRinging, smdr.KindQueued, smdr.KindConnected, smdr.KindDiverted, smdr.KindTransferred:
	default:
		return nil, fail(i, smdr.EConflict, "call", "call %q has not started: a call's first event is ringing, queued, connected, diverted or transferred, not %s", ev.Call, kind)
	}
	if ev.Direction == "" {
		return nil, fail(i, smdr.EInvalid, "direction", "direction is required on a call's first event: in, out or internal")
	}
	dir, internal, ok := parseDirection(ev.Direction)
	if !ok {
		return nil, badDirection(i, ev.Direction)
	}
	if !internal && ev.Trunk == "" {
		return nil, fail(i, smdr.EInvalid, "trunk", "trunk is required on the first event of a trunk call (direction %s)", ev.Direction)
	}
	if y := t.Year(); y < 1 || y > 9999 {
		return nil, fail(i, smdr.EInvalid, "time", "time %s is outside the years 0001 to 9999", t.Format(time.RFC3339))
	}
	id := ev.CallID
	if id != "" {
		if err := smdr.ValidCallID(id); err != nil {
			return nil, fail(i, smdr.EInvalid, "call_id", "%v", err)
		}
		if o := e.byID[id]; o != nil && !internal {
			return nil, fail(i, smdr.EConflict, "call_id", "call_id %q is in use by call %q", id, o.key)
		}
	} else if !internal {
		var err error
		if id, err = e.newCallID(t); err != nil {
			return nil, fail(i, smdr.EUnavailable, "", "no Call ID for call %q: %v", ev.Call, err)
		}
	}
	c := e.alloc()
	*c = call{key: ev.Call, internal: internal, dir: dir, callID: id, trunk: ev.Trunk, start: t}
	e.calls[c.key] = c
	if !internal {
		e.byID[id] = c
	}
	e.undo = append(e.undo, undo{op: undoCreate, c: c})
	return c, nil
}

// newCallID returns a Call ID no call in progress has. A clash is possible
// only with a forced call_id or after 100,000 IDs in one millisecond; a
// counter value skipped for it is not missed.
func (e *Engine) newCallID(start time.Time) (string, error) {
	for range callIDCounterMod {
		id, err := e.ids.Next(start)
		if err != nil {
			return "", err
		}
		if e.byID[id] == nil {
			return id, nil
		}
	}
	return "", fmt.Errorf("all %d Call IDs of %s are in use", callIDCounterMod, start.Format("2006-01-02 15:04:05.000"))
}

// check refuses a later event of c that has ended or contradicts the values
// fixed by c's first event.
func (c *call) check(i int, ev *smdr.CallEvent) *smdr.Error {
	if c.ended {
		return fail(i, smdr.EConflict, "call", "call %q has ended", c.key)
	}
	if ev.Direction != "" {
		dir, internal, ok := parseDirection(ev.Direction)
		if !ok {
			return badDirection(i, ev.Direction)
		}
		if internal != c.internal || dir != c.dir {
			return fail(i, smdr.EConflict, "direction", "call %q is %s, the event says %s", c.key, c.direction(), ev.Direction)
		}
	}
	if ev.Trunk != "" && ev.Trunk != c.trunk {
		return fail(i, smdr.EConflict, "trunk", "call %q is on trunk %q, the event says %q", c.key, c.trunk, ev.Trunk)
	}
	if ev.CallID != "" && ev.CallID != c.callID {
		if err := smdr.ValidCallID(ev.CallID); err != nil {
			return fail(i, smdr.EInvalid, "call_id", "%v", err)
		}
		return fail(i, smdr.EConflict, "call_id", "call %q has Call ID %q, the event says %q; a Call ID is fixed by the call's first event", c.key, c.callID, ev.CallID)
	}
	return nil
}

// step applies a checked event to c and writes its records.
func (e *Engine) step(c *call, ev *smdr.CallEvent, kind smdr.Kind, t time.Time, first bool) {
	// The values of a first event are the call's starting point, not changes.
	changed := !first && (e.changes(c, fieldNumber, ev.Number) || e.changes(c, fieldName, ev.Name) || e.changes(c, fieldAccount, ev.AccountCode))
	var source string
	if moves(kind) {
		source = ev.SourceExtension
		if source == "" {
			source = c.ext
		}
	}
	update(&c.ext, ev.Extension)
	update(&c.number, ev.Number)
	update(&c.name, ev.Name)
	update(&c.ddi, ev.DDI)
	update(&c.ddiName, ev.DDIName)
	update(&c.account, ev.AccountCode)
	if c.inexact != 0 {
		c.inexact &^= given(ev)
	}

	var word smdr.Event
	switch kind {
	case smdr.KindRinging:
		word = smdr.Ringing
	case smdr.KindConnected:
		word = smdr.Answered
		if c.answered {
			word = smdr.Connected
		}
		c.answered = true
	case smdr.KindHold:
		word = smdr.Hold
	case smdr.KindDiverted:
		word = smdr.Diverted
	case smdr.KindTransferred:
		word = smdr.Transferred
	case smdr.KindQueued:
		word = smdr.Queued
	case smdr.KindModified:
		// The record is itself the CALLMODIFIED.
		word, changed = smdr.CallModified, false
	case smdr.KindDisconnected:
		// DISCONNECTED carries changed values without a CALLMODIFIED.
		word, changed = smdr.Disconnected, false
		c.ended = true
		e.endedNow = append(e.endedNow, c)
		// The Call ID is free from now on, for the rest of the batch too.
		if c.callID != "" && e.byID[c.callID] == c {
			delete(e.byID, c.callID)
			e.undo = append(e.undo, undo{op: undoUnmap, c: c})
		}
	}
	if c.internal {
		return
	}
	e.recs = append(e.recs, c.record(t, word, source))
	if changed {
		e.recs = append(e.recs, c.record(t, smdr.CallModified, ""))
	}
}

// direction names c's direction as the events do.
func (c *call) direction() string {
	if c.internal {
		return smdr.DirectionInternal
	}
	return strings.ToLower(string(c.dir))
}

// moves reports whether kind moves the call to another extension.
func moves(kind smdr.Kind) bool {
	return kind == smdr.KindDiverted || kind == smdr.KindTransferred
}

// differs reports whether an event's value v changes the current value cur;
// an empty v is "not given".
func differs(v, cur string) bool { return v != "" && v != cur }

// update sets *cur to v if the event gave v.
func update(cur *string, v string) {
	if v != "" {
		*cur = v
	}
}

// parseDirection reads in or out as smdr.ParseDirection does, or internal in
// any case.
func parseDirection(s string) (dir smdr.Direction, internal, ok bool) {
	if dir, ok := smdr.ParseDirection(s); ok {
		return dir, false, true
	}
	if strings.EqualFold(strings.TrimSpace(s), smdr.DirectionInternal) {
		return "", true, true
	}
	return "", false, false
}

// badDirection is the error for a direction that is not a direction.
func badDirection(i int, s string) *smdr.Error {
	return fail(i, smdr.EInvalid, "direction", "direction %q is not one of in, out, internal", s)
}

// badEvent is the error for a missing or unknown event word; it lists the
// words allowed, since the sender is most likely guessing.
func badEvent(i int, s string) *smdr.Error {
	words := make([]string, len(smdr.Kinds))
	for j, k := range smdr.Kinds {
		words[j] = string(k)
	}
	allowed := strings.Join(words, ", ") + " (any case; the SMDR words ANSWERED, CONNECTED, CALLCONNECTED and CALLMODIFIED too)"
	if s == "" {
		return fail(i, smdr.EInvalid, "event", "event is required: one of %s", allowed)
	}
	return fail(i, smdr.EInvalid, "event", "event %q is not one of %s", s, allowed)
}

// fail returns an *smdr.Error about event i of a batch.
func fail(i int, code, field, format string, args ...any) *smdr.Error {
	err := smdr.Errorf(code, field, format, args...)
	err.Index = i
	return err
}
