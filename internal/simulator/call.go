package simulator

import (
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// call is one call being planned: a scenario writes its events in order,
// moving the call's clock forward between them.
type call struct {
	key      string
	scenario string
	now      time.Time // the time of the next event
	// first holds the fields of the call's first event: direction, trunk,
	// number and DDI.
	first smdr.CallEvent
	// name is the caller's name from the contacts, given when the call is
	// first answered.
	name   string
	events []smdr.CallEvent
	busy   bookings
	truth  Truth
}

// emit appends an event at the call's current time and returns it, so that
// the caller may add the fields that change with it.
func (c *call) emit(k smdr.Kind, ext, src string) *smdr.CallEvent {
	ev := smdr.CallEvent{Call: c.key, Event: string(k), Time: c.now, Extension: ext, SourceExtension: src}
	if len(c.events) == 0 {
		ev.Direction = c.first.Direction
		ev.Trunk = c.first.Trunk
		ev.Number = c.first.Number
		ev.DDI = c.first.DDI
		ev.DDIName = c.first.DDIName
	}
	c.events = append(c.events, ev)
	return &c.events[len(c.events)-1]
}

// last returns the call's latest event.
func (c *call) last() *smdr.CallEvent { return &c.events[len(c.events)-1] }

// wait moves the call's clock forward.
func (c *call) wait(d time.Duration) { c.now = c.now.Add(d) }

// book marks ext as taken by this call for d from now.
func (c *call) book(ext string, d time.Duration) { c.bookAt(ext, c.now, d) }

// bookAt marks ext as taken by this call for d from at.
func (c *call) bookAt(ext string, at time.Time, d time.Duration) { c.busy.add(ext, at, at.Add(d)) }

// span is a time an extension or trunk is taken, from included, to excluded.
type span struct{ from, to time.Time }

// bookings holds, per extension number or trunkKey, the times planned calls
// have taken it. Calls are planned when they start, so the bookings of calls
// already planned reach into the future: a later call sees that a hunt group
// member is about to be rung and picks another.
type bookings map[string][]span

// free reports whether key is not taken at any time from from to to.
func (b bookings) free(key string, from, to time.Time) bool {
	for _, sp := range b[key] {
		if from.Before(sp.to) && sp.from.Before(to) {
			return false
		}
	}
	return true
}

func (b bookings) add(key string, from, to time.Time) {
	if to.After(from) {
		b[key] = append(b[key], span{from, to})
	}
}

// prune forgets the bookings that ended by now.
func (b bookings) prune(now time.Time) {
	for key, spans := range b {
		kept := spans[:0]
		for _, sp := range spans {
			if sp.to.After(now) {
				kept = append(kept, sp)
			}
		}
		if len(kept) == 0 {
			delete(b, key)
		} else {
			b[key] = kept
		}
	}
}
