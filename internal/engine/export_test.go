package engine

import (
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// Internals the external tests need to see.

// CallIDBlock is how many counter values one state file write reserves.
const CallIDBlock = callIDBlock

// EndedMaxKeys and EndedMaxAge bound the memory of ended call keys.
const (
	EndedMaxKeys = endedMaxKeys
	EndedMaxAge  = endedMaxAge
)

// SetRename replaces the rename of c's state file writes, to simulate a
// crash between writing the temporary file and renaming it.
func SetRename(c *CallIDs, rename func(oldpath, newpath string) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rename = rename
}

// Apply and Expire are Prepare and PrepareExpire followed by Commit: the
// one-step forms the tests use. The server uses the two-step forms, so that
// records the journal refuses leave no trace.

// Apply applies a batch of events atomically. If any event is invalid or
// conflicts with the state (taking the earlier events of the same batch into
// account), it returns an *smdr.Error whose Index is the event's position in
// the batch and whose Field is the JSON name of the field at fault, and the
// engine is left exactly as it was. Otherwise it returns the records the
// batch produced, in order (nil if none, as for internal calls).
//
// now stands for the time of events that carry none, and is when the calls
// the batch touches were last heard of, for Expire: the call timeout
// measures silence on the server's clock, whatever times the PBX reports.
func (e *Engine) Apply(events []smdr.CallEvent, now time.Time) ([]smdr.Record, error) {
	recs, err := e.Prepare(events, now)
	if err != nil {
		return nil, err
	}
	e.Commit()
	return recs, nil
}

// Expire closes every call whose last event was applied more than the call
// timeout before now. Each trunk call gets a DISCONNECTED record at now;
// internal calls close silently. It returns the records, oldest call first,
// and the number of calls it closed, internal ones included.
func (e *Engine) Expire(now time.Time) ([]smdr.Record, int) {
	recs, n := e.PrepareExpire(now)
	e.Commit()
	return recs, n
}
