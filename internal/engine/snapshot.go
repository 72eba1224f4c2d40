package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// CallState is one call in progress as a snapshot saves it. The server
// writes a snapshot now and then and at shutdown, and at start-up restores
// it and replays the journal's records written after it (Replay), so that
// the calls in progress across a restart are continued, not refused.
type CallState struct {
	// Key is the PBX's key for the call.
	Key string `json:"key"`
	// Internal is true for a call from extension to extension, which is
	// tracked but never reported.
	Internal bool `json:"internal"`
	// CallID is the call's 22-digit Call ID; an internal call has one only
	// if its first event forced it.
	CallID string `json:"call_id"`
	// Direction is IN or OUT for a trunk call, "" for an internal one.
	Direction smdr.Direction `json:"direction"`
	Trunk     string         `json:"trunk"`
	// Extension is the device the call is at.
	Extension   string `json:"extension"`
	Number      string `json:"number"`
	Name        string `json:"name"`
	DDI         string `json:"ddi"`
	DDIName     string `json:"ddi_name"`
	AccountCode string `json:"account_code"`
	// Answered is true once the call has connected: its next connect is
	// CONNECTED, not ANSWERED.
	Answered bool `json:"answered"`
	// Inexact names the fields (by their JSON names) whose values Replay
	// read back from the journal, which may have lost leading padding or
	// trailing spaces; see Replay. Usually empty.
	Inexact []string `json:"inexact,omitempty"`
	// Start is the time of the call's first event.
	Start time.Time `json:"start"`
	// LastSeen is the server's clock at the call's last event, from which
	// the call timeout runs.
	LastSeen time.Time `json:"last_seen"`
}

// Snapshot returns every call in progress, internal ones included, sorted
// by key. It may not be called while a Prepare or PrepareExpire is pending:
// the state of a batch that may yet be rolled back is no state to save.
func (e *Engine) Snapshot() []CallState {
	e.mustIdle("Snapshot")
	out := make([]CallState, 0, len(e.calls))
	for _, c := range e.calls {
		out = append(out, c.state())
	}
	slices.SortFunc(out, func(a, b CallState) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Restore puts the calls of a snapshot into an engine that has no calls in
// progress, as they were when Snapshot returned them: the next events of
// each call give the records they would have given in the engine that took
// the snapshot. It checks the calls first and restores none if any is
// wrong: a key must be non-empty and unique; a trunk call needs IN or OUT,
// a trunk and a 22-digit Call ID that no other trunk call has. (An
// internal call may share its forced Call ID, as it may in the engine.)
//
// Keys of calls that ended before the snapshot are not in it, so a late
// event for one of them is no longer refused as "has ended".
func (e *Engine) Restore(calls []CallState) error {
	e.mustIdle("Restore")
	if n := len(e.calls); n > 0 {
		return fmt.Errorf("restore: the engine has %d calls in progress, want none", n)
	}
	restored := make([]call, len(calls))
	keys := make(map[string]int, len(calls))
	ids := make(map[string]int, len(calls))
	for i := range calls {
		s := &calls[i]
		if err := s.restore(&restored[i], e.loc); err != nil {
			return fmt.Errorf("restore: call %d (key %q): %w", i, s.Key, err)
		}
		if j, dup := keys[s.Key]; dup {
			return fmt.Errorf("restore: call %d: key %q is also call %d's", i, s.Key, j)
		}
		keys[s.Key] = i
		if s.Internal {
			continue
		}
		if j, dup := ids[s.CallID]; dup {
			return fmt.Errorf("restore: call %d (key %q): call_id %q is also call %d's (key %q)", i, s.Key, s.CallID, j, calls[j].Key)
		}
		ids[s.CallID] = i
	}
	for i := range restored {
		c := e.alloc()
		*c = restored[i]
		e.calls[c.key] = c
		if !c.internal {
			e.byID[c.callID] = c
		}
	}
	return nil
}

// state returns c as a snapshot saves it.
func (c *call) state() CallState {
	return CallState{
		Key:         c.key,
		Internal:    c.internal,
		CallID:      c.callID,
		Direction:   c.dir,
		Trunk:       c.trunk,
		Extension:   c.ext,
		Number:      c.number,
		Name:        c.name,
		DDI:         c.ddi,
		DDIName:     c.ddiName,
		AccountCode: c.account,
		Answered:    c.answered,
		Inexact:     c.inexact.names(),
		Start:       c.start,
		LastSeen:    c.lastSeen,
	}
}

// restore checks s and sets *c to the call it describes, its start in loc.
func (s *CallState) restore(c *call, loc *time.Location) error {
	if s.Key == "" {
		return errors.New("key is empty: the PBX's key for the call is required")
	}
	var dir smdr.Direction
	if s.Internal {
		if s.Direction != "" {
			return fmt.Errorf("direction %q on an internal call, want none", s.Direction)
		}
		if s.CallID != "" {
			if err := smdr.ValidCallID(s.CallID); err != nil {
				return fmt.Errorf("call_id: %w", err)
			}
		}
	} else {
		var ok bool
		if dir, ok = smdr.ParseDirection(string(s.Direction)); !ok {
			return fmt.Errorf("direction %q on a trunk call, want IN or OUT", s.Direction)
		}
		if s.Trunk == "" {
			return errors.New("trunk is empty on a trunk call")
		}
		if err := smdr.ValidCallID(s.CallID); err != nil {
			return fmt.Errorf("call_id of a trunk call: %w", err)
		}
	}
	inexact, err := parseFields(s.Inexact)
	if err != nil {
		return fmt.Errorf("inexact: %w", err)
	}
	*c = call{
		key:      s.Key,
		internal: s.Internal,
		answered: s.Answered,
		dir:      dir,
		callID:   s.CallID,
		trunk:    s.Trunk,
		ext:      s.Extension,
		number:   s.Number,
		name:     s.Name,
		ddi:      s.DDI,
		ddiName:  s.DDIName,
		account:  s.AccountCode,
		inexact:  inexact,
		start:    s.Start.In(loc),
		lastSeen: s.LastSeen,
	}
	return nil
}

// mustIdle panics if a Prepare or PrepareExpire is pending: calling method
// then is a bug in the caller, and going on would save or change state that
// Rollback is about to take back.
func (e *Engine) mustIdle(method string) {
	if len(e.undo) > 0 || len(e.endedNow) > 0 {
		panic("engine: " + method + " called while a batch is pending; call Commit or Rollback first")
	}
}
