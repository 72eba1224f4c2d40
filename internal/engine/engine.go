package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// DefaultCallTimeout is the call timeout when Config.CallTimeout is 0: long
// enough for any real call, short enough that a lost disconnect does not
// keep a call open for days.
const DefaultCallTimeout = 24 * time.Hour

// maxFree bounds the recycled call structs an engine keeps.
const maxFree = 1024

// Config is what an Engine needs.
type Config struct {
	// Location is the zone of record times and Call IDs; nil means UTC.
	Location *time.Location
	// CallTimeout closes a call that has had no event for this long;
	// 0 means DefaultCallTimeout.
	CallTimeout time.Duration
	// IDs is the Call ID source; nil means a new in-memory one.
	IDs *CallIDs
	// Padding is the item padding character the server writes records
	// with; 0 means '0', as for smdr.Formatter. Only Replay uses it: a
	// value read back from the journal has lost its leading padding
	// characters, and Padding says which values print the same.
	Padding byte
}

// Engine holds the calls in progress. It is not safe for concurrent use: the
// server serializes calls to it, which also keeps the records of concurrent
// batches from interleaving.
type Engine struct {
	loc     *time.Location
	timeout time.Duration
	ids     *CallIDs
	format  smdr.Formatter // how the journal's records print, for Replay

	// calls holds the calls in progress by the PBX's key. During a batch it
	// also holds calls the batch has ended; commit moves them to ended.
	calls map[string]*call
	// byID holds the trunk calls in progress by Call ID, to refuse a
	// forced call_id that another call in progress already has.
	byID  map[string]*call
	ended endedSet

	// Scratch space of one batch, kept between batches so that Apply
	// allocates little on the ingest path.
	undo     []undo
	endedNow []*call
	recs     []smdr.Record
	pending  time.Time // the now of the batch Prepare left pending
	expired  []*call
	free     []*call
}

// undo is how to take back one change of a batch that fails.
type undo struct {
	op   undoOp
	c    *call
	prev call // for undoState
}

type undoOp uint8

const (
	undoState  undoOp = iota // an event changed c; prev is what c was
	undoCreate               // the batch started c
	undoUnmap                // c ended, which freed its Call ID in byID
)

// New returns an engine with no calls in progress.
func New(cfg Config) *Engine {
	e := &Engine{
		loc:     cfg.Location,
		timeout: cfg.CallTimeout,
		ids:     cfg.IDs,
		format:  smdr.Formatter{Padding: cfg.Padding},
		calls:   make(map[string]*call),
		byID:    make(map[string]*call),
		ended:   newEndedSet(endedMaxKeys, endedMaxAge),
	}
	if e.loc == nil {
		e.loc = time.UTC
	}
	if e.timeout <= 0 {
		e.timeout = DefaultCallTimeout
	}
	if e.ids == nil {
		e.ids, _ = OpenCallIDs("") // memory only: cannot fail
	}
	return e
}

// Active returns the number of calls in progress, internal ones included.
func (e *Engine) Active() int { return len(e.calls) }

// Prepare applies a batch of events and returns the records it made, in
// order (nil if none, as for internal calls). If any event is invalid or
// conflicts with the state (taking the earlier events of the batch into
// account), it returns an *smdr.Error whose Index is the event's position in
// the batch and whose Field is the JSON name of the field at fault, and the
// batch leaves no trace. now stands for the time of events that carry none,
// and is when the calls the batch touches were last heard of, for the call
// timeout: it measures silence on the server's clock, whatever times the
// PBX reports.
//
// The batch stays pending until Commit makes it final or Rollback takes it
// back. The server writes the records to the journal in
// between, so that a batch whose records could not be stored (a full disk)
// leaves no trace in the calls' state.
//
// Several batches may be pending at once, each seeing the state the ones
// before it left: the server prepares every request that arrived during one
// journal write and stores their records with the next (group commit). A
// batch that fails takes back only its own changes. Between Prepare and
// Commit or Rollback only Prepare may be called.
func (e *Engine) Prepare(events []smdr.CallEvent, now time.Time) ([]smdr.Record, error) {
	e.ended.prune(now)
	m := e.mark()
	for i := range events {
		if err := e.apply(i, &events[i], now); err != nil {
			e.rollbackTo(m)
			return nil, err
		}
	}
	e.pending = now
	var out []smdr.Record
	if n := len(e.recs) - m.recs; n > 0 {
		out = make([]smdr.Record, n)
		copy(out, e.recs[m.recs:])
	}
	return out, nil
}

// Commit makes every pending batch final.
func (e *Engine) Commit() { e.commit(e.pending) }

// Rollback takes back every pending batch: the engine is as it was before
// the first. Call IDs they drew stay used: they are never reused.
func (e *Engine) Rollback() { e.rollback() }

// mark is a point in the pending changes that rollbackTo can return to.
type mark struct{ undo, ended, recs int }

func (e *Engine) mark() mark {
	return mark{undo: len(e.undo), ended: len(e.endedNow), recs: len(e.recs)}
}

// PrepareExpire closes every call whose last event was applied more than
// the call timeout before now. Each trunk call gets a DISCONNECTED record at
// now; internal calls close silently. It returns the records, oldest call
// first, and the number of calls it closes, internal ones included. Like
// Prepare, it leaves them pending: the calls are closed only when Commit
// follows; after Rollback they stay in progress, so that a DISCONNECTED the
// journal could not store is written at a later try.
func (e *Engine) PrepareExpire(now time.Time) ([]smdr.Record, int) {
	e.ended.prune(now)
	e.pending = now
	cutoff := now.Add(-e.timeout)
	exp := e.expired[:0]
	for _, c := range e.calls {
		if c.lastSeen.Before(cutoff) {
			exp = append(exp, c)
		}
	}
	if len(exp) == 0 {
		return nil, 0
	}
	// Map order is random; the feed should not be.
	slices.SortFunc(exp, func(a, b *call) int {
		if n := a.lastSeen.Compare(b.lastSeen); n != 0 {
			return n
		}
		return strings.Compare(a.key, b.key)
	})
	var recs []smdr.Record
	t := now.In(e.loc)
	for _, c := range exp {
		if !c.internal {
			recs = append(recs, c.record(t, smdr.Disconnected, ""))
		}
		// Commit forgets the calls ended by the pending batch.
		e.endedNow = append(e.endedNow, c)
	}
	n := len(exp)
	clear(exp)
	e.expired = exp[:0]
	return recs, n
}

// rollback undoes the changes of the current batch, newest first.
func (e *Engine) rollback() {
	e.rollbackTo(mark{})
	e.reset()
}

// rollbackTo undoes the pending changes made after m, newest first.
func (e *Engine) rollbackTo(m mark) {
	for i := len(e.undo) - 1; i >= m.undo; i-- {
		u := &e.undo[i]
		switch u.op {
		case undoState:
			*u.c = u.prev
		case undoCreate:
			delete(e.calls, u.c.key)
			if u.c.callID != "" && e.byID[u.c.callID] == u.c {
				delete(e.byID, u.c.callID)
			}
			e.recycle(u.c)
		case undoUnmap:
			e.byID[u.c.callID] = u.c
		}
	}
	clear(e.undo[m.undo:])
	e.undo = e.undo[:m.undo]
	clear(e.endedNow[m.ended:])
	e.endedNow = e.endedNow[:m.ended]
	clear(e.recs[m.recs:])
	e.recs = e.recs[:m.recs]
}

// commit makes the current batch's changes final.
func (e *Engine) commit(now time.Time) {
	for _, c := range e.endedNow {
		e.forget(c, now)
	}
	e.reset()
}

// reset empties the batch scratch space, dropping the references it holds.
func (e *Engine) reset() {
	clear(e.undo)
	e.undo = e.undo[:0]
	clear(e.endedNow)
	e.endedNow = e.endedNow[:0]
	clear(e.recs)
	e.recs = e.recs[:0]
}

// forget removes an ended call and remembers its key as ended at now.
func (e *Engine) forget(c *call, now time.Time) {
	delete(e.calls, c.key)
	if c.callID != "" && e.byID[c.callID] == c {
		delete(e.byID, c.callID)
	}
	e.ended.add(c.key, now)
	e.recycle(c)
}

// alloc returns a zeroed call, recycled if one is free.
func (e *Engine) alloc() *call {
	if n := len(e.free); n > 0 {
		c := e.free[n-1]
		e.free[n-1] = nil
		e.free = e.free[:n-1]
		return c
	}
	return new(call)
}

// recycle keeps c for a later call. Records share c's strings, not c
// itself, so reusing the struct is safe once c is out of every map.
func (e *Engine) recycle(c *call) {
	*c = call{}
	if len(e.free) < maxFree {
		e.free = append(e.free, c)
	}
}
