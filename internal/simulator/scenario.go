package simulator

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// The scenarios, as Truth.Scenario and Stats.ByScenario name them.
const (
	ScenarioInboundAnswered    = "inbound_answered"
	ScenarioInboundMissed      = "inbound_missed"
	ScenarioHuntGroup          = "hunt_group"
	ScenarioInboundHold        = "inbound_hold"
	ScenarioBlindTransfer      = "blind_transfer"
	ScenarioConsultTransfer    = "consult_transfer"
	ScenarioForwarded          = "forwarded"
	ScenarioOutboundAnswered   = "outbound_answered"
	ScenarioOutboundUnanswered = "outbound_unanswered"
	ScenarioOutboundAccount    = "outbound_account_code"
	ScenarioInternal           = "internal"
)

// scenario is one kind of call and how often it happens. Weights are in
// percent of all calls; a scenario the office cannot run (no hunt groups,
// say) is left out and the others share its share.
type scenario struct {
	name   string
	weight float64
	plan   func(s *sim, c *call)
	// possible reports whether the office can run the scenario.
	possible func(o *Office) bool
}

// scenarios are in a fixed order: the choice among them draws one number
// and walks this list, which keeps runs deterministic.
var scenarios = []scenario{
	{ScenarioInboundAnswered, 24, (*sim).inboundAnswered, hasExtensionDDI},
	{ScenarioInboundMissed, 8, (*sim).inboundMissed, hasExtensionDDI},
	{ScenarioHuntGroup, 14, (*sim).huntGroup, hasGroupDDI},
	{ScenarioInboundHold, 9, (*sim).inboundHold, hasExtensionDDI},
	{ScenarioBlindTransfer, 6, (*sim).blindTransfer, hasExtensionDDI},
	{ScenarioConsultTransfer, 6, (*sim).consultTransfer, hasExtensionDDI},
	{ScenarioForwarded, 7, (*sim).forwarded, hasExtensionDDI},
	{ScenarioOutboundAnswered, 14, (*sim).outboundAnswered, always},
	{ScenarioOutboundUnanswered, 5, (*sim).outboundUnanswered, always},
	{ScenarioOutboundAccount, 4, (*sim).outboundAccount, hasAccountCodes},
	{ScenarioInternal, 3, (*sim).internal, always},
}

func always(*Office) bool            { return true }
func hasExtensionDDI(o *Office) bool { return len(o.extensionDDIs()) > 0 }
func hasGroupDDI(o *Office) bool     { return len(o.groupDDIs()) > 0 }
func hasAccountCodes(o *Office) bool { return len(o.AccountCodes) > 0 }

// sec returns a whole number of seconds from lo to hi, both included.
func (s *sim) sec(lo, hi int) time.Duration {
	return time.Duration(lo+s.rng.IntN(hi-lo+1)) * time.Second
}

// Durations, in whole seconds so that every event time is a whole second.
func (s *sim) ring() time.Duration     { return s.sec(3, 25) }
func (s *sim) missRing() time.Duration { return s.sec(15, 40) }
func (s *sim) holdTime() time.Duration { return s.sec(10, 90) }
func (s *sim) queueTime() time.Duration {
	return s.sec(5, 120)
}

// talk returns a conversation's length: lognormal with a median of 2.5
// minutes (mean about 3), at least 5 seconds, at most 30 minutes.
func (s *sim) talk() time.Duration { return s.lognormal(150, 0.7) }

// chat is talk for internal calls, which are shorter.
func (s *sim) chat() time.Duration { return s.lognormal(60, 0.7) }

func (s *sim) lognormal(median, sigma float64) time.Duration {
	v := math.Round(median * math.Exp(sigma*s.rng.NormFloat64()))
	return time.Duration(min(max(v, 5), 1800)) * time.Second
}

func (s *sim) chance(p float64) bool { return s.rng.Float64() < p }

func pick[T any](s *sim, xs []T) T { return xs[s.rng.IntN(len(xs))] }

// caller returns an outside caller's number and the name the PBX finds for
// it: more than half the callers are contacts, the rest unknown.
func (s *sim) caller() (number, name string) {
	if len(s.contacts) > 0 && s.chance(0.55) {
		n := pick(s, s.contacts)
		return n, s.office.Contacts[n]
	}
	return s.unknownNumber(), ""
}

// unknownNumber returns a number from Ofcom's drama ranges that is not a
// contact.
func (s *sim) unknownNumber() string {
	prefixes := []string{"07700900", "07700900", "01614960", "02079460", "01134960"}
	for {
		n := fmt.Sprintf("%s%03d", pick(s, prefixes), s.rng.IntN(1000))
		if _, known := s.office.Contacts[n]; !known {
			return n
		}
	}
}

// dialled returns the number an office user dials: a contact or not.
func (s *sim) dialled() string {
	if len(s.contacts) > 0 && s.chance(0.5) {
		return pick(s, s.contacts)
	}
	return s.unknownNumber()
}

// inbound makes c an inbound call on a DDI from an outside caller, and
// returns the extension or hunt group the DDI rings.
func (s *sim) inbound(c *call, ddi DDI) string {
	num, name := s.caller()
	c.first = smdr.CallEvent{Direction: "in", Trunk: s.pickTrunk(c.now), Number: num, DDI: ddi.Number, DDIName: ddi.Name}
	c.name = name
	return ddi.Target
}

// outbound makes c an outbound call from a free extension that will be busy
// for d, and returns that extension.
func (s *sim) outbound(c *call, d time.Duration) string {
	ext := s.pickExt("", c.now, c.now.Add(d))
	c.first = smdr.CallEvent{Direction: "out", Trunk: s.pickTrunk(c.now), Number: s.dialled()}
	return ext
}

// answer connects the call at ext. The caller's name, when the contacts
// know it, arrives with the connection or in a modified event just after
// it, as in the manual's first example.
func (s *sim) answer(c *call, ext string) {
	c.emit(smdr.KindConnected, ext, "")
	if c.name == "" {
		return
	}
	if s.chance(0.5) {
		c.last().Name = c.name
	} else {
		c.emit(smdr.KindModified, ext, "").Name = c.name
	}
	c.name = ""
}

func (s *sim) inboundAnswered(c *call) {
	ddi := pick(s, s.extDDIs)
	ring, talk := s.ring(), s.talk()
	ext := s.pickExt(s.inbound(c, ddi), c.now, c.now.Add(ring+talk))
	c.book(ext, ring+talk)
	c.emit(smdr.KindRinging, ext, "")
	c.wait(ring)
	s.answer(c, ext)
	c.wait(talk)
	c.emit(smdr.KindDisconnected, ext, "")
}

func (s *sim) inboundMissed(c *call) {
	ddi := pick(s, s.extDDIs)
	ring := s.missRing()
	ext := s.pickExt(s.inbound(c, ddi), c.now, c.now.Add(ring))
	c.book(ext, ring)
	c.emit(smdr.KindRinging, ext, "")
	c.wait(ring)
	c.emit(smdr.KindDisconnected, ext, "")
}

// inboundHold is answered, held once or twice and retrieved each time.
func (s *sim) inboundHold(c *call) {
	ddi := pick(s, s.extDDIs)
	ring, talk1, hold1, talk2 := s.ring(), s.sec(15, 120), s.holdTime(), s.talk()
	var hold2, talk3 time.Duration
	if s.chance(0.3) {
		hold2, talk3 = s.holdTime(), s.sec(10, 90)
	}
	total := ring + talk1 + hold1 + talk2 + hold2 + talk3
	ext := s.pickExt(s.inbound(c, ddi), c.now, c.now.Add(total))
	c.book(ext, total)
	c.emit(smdr.KindRinging, ext, "")
	c.wait(ring)
	s.answer(c, ext)
	c.wait(talk1)
	c.emit(smdr.KindHold, ext, "")
	c.wait(hold1)
	c.emit(smdr.KindConnected, ext, "")
	c.wait(talk2)
	if hold2 > 0 {
		c.emit(smdr.KindHold, ext, "")
		c.wait(hold2)
		c.emit(smdr.KindConnected, ext, "")
		c.wait(talk3)
	}
	c.emit(smdr.KindDisconnected, ext, "")
}

// blindTransfer is answered, then transferred without consultation: the
// destination rings and answers.
func (s *sim) blindTransfer(c *call) {
	ddi := pick(s, s.extDDIs)
	ring, talk1, ring2, talk2 := s.ring(), s.sec(10, 60), s.sec(3, 20), s.talk()
	a := s.pickExt(s.inbound(c, ddi), c.now, c.now.Add(ring+talk1))
	c.book(a, ring+talk1)
	at := c.now.Add(ring + talk1)
	b := s.pickExt("", at, at.Add(ring2+talk2), a)
	c.bookAt(b, at, ring2+talk2)
	c.emit(smdr.KindRinging, a, "")
	c.wait(ring)
	s.answer(c, a)
	c.wait(talk1)
	c.emit(smdr.KindTransferred, b, a)
	c.emit(smdr.KindRinging, b, "")
	c.wait(ring2)
	c.emit(smdr.KindConnected, b, "")
	c.wait(talk2)
	c.emit(smdr.KindDisconnected, b, "")
}

// consultTransfer is answered and held while the user consults a colleague,
// who then takes the call: hold, transferred, ringing and connected at the
// same second, as in the manual's fourth example.
func (s *sim) consultTransfer(c *call) {
	ddi := pick(s, s.extDDIs)
	ring, talk1, consult, talk2 := s.ring(), s.sec(20, 120), s.holdTime(), s.talk()
	a := s.pickExt(s.inbound(c, ddi), c.now, c.now.Add(ring+talk1+consult))
	c.book(a, ring+talk1+consult)
	at := c.now.Add(ring + talk1)
	b := s.pickExt("", at, at.Add(consult+talk2), a)
	c.bookAt(b, at, consult+talk2)
	c.emit(smdr.KindRinging, a, "")
	c.wait(ring)
	s.answer(c, a)
	c.wait(talk1)
	c.emit(smdr.KindHold, a, "")
	c.wait(consult)
	c.emit(smdr.KindTransferred, b, a)
	c.emit(smdr.KindRinging, b, "")
	c.emit(smdr.KindConnected, b, "")
	c.wait(talk2)
	c.emit(smdr.KindDisconnected, b, "")
}

// forwarded goes to the dialled extension's forward: at once when that
// extension is busy or forwards all calls, after ringing when it does not
// answer.
func (s *sim) forwarded(c *call) {
	ddi := pick(s, s.extDDIs)
	a := s.inbound(c, ddi)
	noAnswer, ring2, talk := s.sec(12, 20), s.ring(), s.talk()
	fwd := s.office.extension(a).Forward
	if !s.busy.free(a, c.now, c.now.Add(noAnswer)) || s.chance(0.3) {
		b := s.pickExt(fwd, c.now, c.now.Add(ring2+talk), a)
		c.book(b, ring2+talk)
		c.emit(smdr.KindDiverted, b, a)
	} else {
		c.book(a, noAnswer)
		at := c.now.Add(noAnswer)
		b := s.pickExt(fwd, at, at.Add(ring2+talk), a)
		c.bookAt(b, at, ring2+talk)
		c.emit(smdr.KindRinging, a, "")
		c.wait(noAnswer)
		c.emit(smdr.KindDiverted, b, a)
	}
	b := c.last().Extension
	c.wait(ring2)
	s.answer(c, b)
	c.wait(talk)
	c.emit(smdr.KindDisconnected, b, "")
}

// huntGroup waits in the group's queue, then rings a free member who
// answers; one caller in five gives up in the queue, and so does one who
// would wait more than four minutes for a free member.
func (s *sim) huntGroup(c *call) {
	ddi := pick(s, s.groupDDIs)
	g := s.office.huntGroup(s.inbound(c, ddi))
	var queue time.Duration
	if g.Queue {
		queue = s.queueTime()
		c.emit(smdr.KindQueued, g.Number, "")
		if s.chance(0.2) {
			c.wait(queue)
			c.emit(smdr.KindDisconnected, g.Number, "")
			return
		}
	}
	ring, talk := s.ring(), s.talk()
	var member string
	for {
		at := c.now.Add(queue)
		if member = s.freeExt(g.Members, at, at.Add(ring+talk)); member != "" {
			break
		}
		if !g.Queue {
			member = pick(s, g.Members) // no queue: it rings a busy member's second line
			break
		}
		if queue+20*time.Second > 4*time.Minute {
			c.wait(queue)
			c.emit(smdr.KindDisconnected, g.Number, "")
			return
		}
		queue += 20 * time.Second
	}
	c.bookAt(member, c.now.Add(queue), ring+talk)
	c.wait(queue)
	c.emit(smdr.KindRinging, member, "")
	c.wait(ring)
	s.answer(c, member)
	c.wait(talk)
	c.emit(smdr.KindDisconnected, member, "")
}

func (s *sim) outboundAnswered(c *call) {
	ring, talk := s.ring(), s.talk()
	ext := s.outbound(c, ring+talk)
	c.book(ext, ring+talk)
	c.emit(smdr.KindRinging, ext, "")
	c.wait(ring)
	c.emit(smdr.KindConnected, ext, "")
	c.wait(talk)
	c.emit(smdr.KindDisconnected, ext, "")
}

func (s *sim) outboundUnanswered(c *call) {
	ring := s.missRing()
	ext := s.outbound(c, ring)
	c.book(ext, ring)
	c.emit(smdr.KindRinging, ext, "")
	c.wait(ring)
	c.emit(smdr.KindDisconnected, ext, "")
}

// outboundAccount is an outbound call during which the user enters an
// account code.
func (s *sim) outboundAccount(c *call) {
	ring, enter, talk := s.ring(), s.sec(2, 10), s.talk()
	ext := s.outbound(c, ring+enter+talk)
	c.book(ext, ring+enter+talk)
	c.emit(smdr.KindRinging, ext, "")
	c.wait(ring)
	c.emit(smdr.KindConnected, ext, "")
	c.wait(enter)
	c.emit(smdr.KindModified, ext, "").AccountCode = pick(s, s.office.AccountCodes)
	c.wait(talk)
	c.emit(smdr.KindDisconnected, ext, "")
}

// internal is an extension calling another: no trunk, and the server never
// reports it.
func (s *sim) internal(c *call) {
	answered := s.chance(0.8)
	ring, talk := s.ring(), s.chat()
	if !answered {
		ring, talk = s.missRing(), 0
	}
	from := s.pickExt("", c.now, c.now.Add(ring+talk))
	to := s.pickExt("", c.now, c.now.Add(ring+talk), from)
	c.book(from, ring+talk)
	c.book(to, ring+talk)
	c.first = smdr.CallEvent{Direction: smdr.DirectionInternal, Number: from}
	c.emit(smdr.KindRinging, to, "")
	c.wait(ring)
	if answered {
		c.emit(smdr.KindConnected, to, "")
		c.wait(talk)
	}
	c.emit(smdr.KindDisconnected, to, "")
}

// pickExt returns prefer when it is free from from to to and not excluded,
// else a free extension chosen at random. When every extension is busy it
// returns prefer anyway (the call rings its second line), or any extension
// not excluded.
func (s *sim) pickExt(prefer string, from, to time.Time, not ...string) string {
	if prefer != "" && !slices.Contains(not, prefer) && s.busy.free(prefer, from, to) {
		return prefer
	}
	if e := s.freeExt(s.extNumbers, from, to, not...); e != "" {
		return e
	}
	if prefer != "" && !slices.Contains(not, prefer) {
		return prefer
	}
	for {
		if e := pick(s, s.extNumbers); !slices.Contains(not, e) {
			return e
		}
	}
}

// freeExt returns a random one of cands that is free from from to to and
// not excluded, or "" when there is none.
func (s *sim) freeExt(cands []string, from, to time.Time, not ...string) string {
	start := s.rng.IntN(len(cands))
	for i := range cands {
		e := cands[(start+i)%len(cands)]
		if !slices.Contains(not, e) && s.busy.free(e, from, to) {
			return e
		}
	}
	return ""
}

// pickTrunk returns a random trunk free at t, or any trunk when all are in
// use. Trunks are booked from a call's start to its end, and calls are
// planned in order of start, so a trunk free at t stays free until the call
// being planned ends.
func (s *sim) pickTrunk(t time.Time) string {
	start := s.rng.IntN(len(s.office.Trunks))
	for i := range s.office.Trunks {
		tr := s.office.Trunks[(start+i)%len(s.office.Trunks)]
		if s.busy.free(trunkKey(tr), t, t.Add(time.Second)) {
			return tr
		}
	}
	return s.office.Trunks[start]
}

func trunkKey(trunk string) string { return "trunk " + trunk }
