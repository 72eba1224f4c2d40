package simulator_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/simulator"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// figures recomputes a call's truth from its events the way a collector
// would from records, written independently of the simulator's tally: for
// each event, look ahead to the event that ends its state.
func figures(evs []smdr.CallEvent) simulator.Truth {
	t := simulator.Truth{Call: evs[0].Call, Direction: evs[0].Direction, Trunk: evs[0].Trunk, Start: evs[0].Time, End: evs[len(evs)-1].Time}
	var queue, queueBeforeAnswer, hold time.Duration
	heldUntil := -1 // index of the event that ended the current hold
	for i, ev := range evs {
		t.Events = append(t.Events, ev.Event)
		if ev.Number != "" {
			t.Number = ev.Number
		}
		if ev.Name != "" {
			t.Name = ev.Name
		}
		if ev.DDI != "" {
			t.DDI = ev.DDI
		}
		if ev.DDIName != "" {
			t.DDIName = ev.DDIName
		}
		if ev.AccountCode != "" {
			t.AccountCode = ev.AccountCode
		}
		for _, x := range []string{ev.SourceExtension, ev.Extension} {
			if x != "" && !slices.Contains(t.Extensions, x) {
				t.Extensions = append(t.Extensions, x)
			}
		}
		t.FinalExtension = ev.Extension
		switch smdr.Kind(ev.Event) {
		case smdr.KindQueued:
			j := i + 1
			for evs[j].Event == string(smdr.KindModified) {
				j++
			}
			queue += evs[j].Time.Sub(ev.Time)
			if t.AnsweredAt == nil {
				queueBeforeAnswer += evs[j].Time.Sub(ev.Time)
			}
		case smdr.KindHold:
			if i < heldUntil {
				continue // already held
			}
			j := i + 1
			for evs[j].Event != string(smdr.KindConnected) && evs[j].Event != string(smdr.KindDisconnected) {
				j++
			}
			hold += evs[j].Time.Sub(ev.Time)
			heldUntil = j
		case smdr.KindConnected:
			if t.AnsweredAt == nil {
				at := ev.Time
				t.AnsweredAt, t.AnsweredBy = &at, ev.Extension
			}
		case smdr.KindTransferred:
			t.Transfers++
		case smdr.KindDiverted:
			t.Diversions++
		}
	}
	t.QueueSeconds, t.HoldSeconds = int(queue/time.Second), int(hold/time.Second)
	lastState := ""
	for _, ev := range evs[:len(evs)-1] {
		if ev.Event != string(smdr.KindModified) {
			lastState = ev.Event
		}
	}
	switch {
	case t.AnsweredAt != nil:
		t.Outcome = simulator.OutcomeAnswered
		t.RingSeconds = int((t.AnsweredAt.Sub(t.Start) - queueBeforeAnswer) / time.Second)
		t.TalkSeconds = int((t.End.Sub(*t.AnsweredAt) - hold) / time.Second)
	case t.Direction == "out":
		t.Outcome = simulator.OutcomeUnanswered
	case lastState == string(smdr.KindQueued):
		t.Outcome = simulator.OutcomeAbandoned
	default:
		t.Outcome = simulator.OutcomeMissed
	}
	if t.AnsweredAt == nil {
		t.RingSeconds = int((t.End.Sub(t.Start) - queue) / time.Second)
	}
	return t
}

func TestTruthMatchesEvents(t *testing.T) {
	r := MustRun(t, simulator.Config{Seed: 11, Calls: 2000})
	keys, calls := byCall(r.events)
	if len(r.truth) != len(keys) {
		t.Fatalf("%d truth lines for %d calls", len(r.truth), len(keys))
	}
	seen := map[string]bool{}
	for _, got := range r.truth {
		if seen[got.Call] {
			t.Errorf("%s: two truth lines", got.Call)
		}
		seen[got.Call] = true
		evs := calls[got.Call]
		if evs == nil {
			t.Errorf("%s: truth for a call with no events", got.Call)
			continue
		}
		want := figures(evs)
		want.Scenario = got.Scenario
		if g, w := fmt.Sprintf("%+v", deref(got)), fmt.Sprintf("%+v", deref(want)); g != w {
			t.Errorf("%s truth:\n got %s\nwant %s", got.Call, g, w)
		}

		span := int(got.End.Sub(got.Start) / time.Second)
		sum := got.RingSeconds + got.QueueSeconds + got.TalkSeconds + got.HoldSeconds
		if sum != span {
			t.Errorf("%s: ring %d + queue %d + talk %d + hold %d = %d, want end - start = %d",
				got.Call, got.RingSeconds, got.QueueSeconds, got.TalkSeconds, got.HoldSeconds, sum, span)
		}
		if got.RingSeconds < 0 || got.QueueSeconds < 0 || got.TalkSeconds < 0 || got.HoldSeconds < 0 {
			t.Errorf("%s: a negative duration: %+v", got.Call, got)
		}
		if got.Outcome != simulator.OutcomeAnswered && (got.TalkSeconds != 0 || got.HoldSeconds != 0 || got.AnsweredBy != "") {
			t.Errorf("%s: %s call with talk %d, hold %d, answered by %q", got.Call, got.Outcome, got.TalkSeconds, got.HoldSeconds, got.AnsweredBy)
		}
		checkScenario(t, got)
	}
}

// checkScenario checks what each scenario promises.
func checkScenario(t *testing.T, tr simulator.Truth) {
	t.Helper()
	outcomes := map[string][]string{
		simulator.ScenarioInboundAnswered:    {simulator.OutcomeAnswered},
		simulator.ScenarioInboundMissed:      {simulator.OutcomeMissed},
		simulator.ScenarioHuntGroup:          {simulator.OutcomeAnswered, simulator.OutcomeAbandoned},
		simulator.ScenarioInboundHold:        {simulator.OutcomeAnswered},
		simulator.ScenarioBlindTransfer:      {simulator.OutcomeAnswered},
		simulator.ScenarioConsultTransfer:    {simulator.OutcomeAnswered},
		simulator.ScenarioForwarded:          {simulator.OutcomeAnswered},
		simulator.ScenarioOutboundAnswered:   {simulator.OutcomeAnswered},
		simulator.ScenarioOutboundUnanswered: {simulator.OutcomeUnanswered},
		simulator.ScenarioOutboundAccount:    {simulator.OutcomeAnswered},
		simulator.ScenarioInternal:           {simulator.OutcomeAnswered, simulator.OutcomeMissed},
	}
	want, ok := outcomes[tr.Scenario]
	if !ok {
		t.Errorf("%s: unknown scenario %q", tr.Call, tr.Scenario)
	} else if !slices.Contains(want, tr.Outcome) {
		t.Errorf("%s: %s call has outcome %s, want one of %v", tr.Call, tr.Scenario, tr.Outcome, want)
	}
	switch tr.Scenario {
	case simulator.ScenarioBlindTransfer, simulator.ScenarioConsultTransfer:
		if tr.Transfers != 1 || tr.AnsweredBy == tr.FinalExtension || len(tr.Extensions) != 2 {
			t.Errorf("%s: %s with %d transfers, answered by %s, ended at %s", tr.Call, tr.Scenario, tr.Transfers, tr.AnsweredBy, tr.FinalExtension)
		}
	case simulator.ScenarioForwarded:
		if tr.Diversions != 1 || tr.Extensions[0] == tr.FinalExtension {
			t.Errorf("%s: forwarded with %d diversions, extensions %v", tr.Call, tr.Diversions, tr.Extensions)
		}
	case simulator.ScenarioHuntGroup:
		if tr.QueueSeconds < 5 || tr.QueueSeconds > 240 {
			t.Errorf("%s: queued %d s, want 5 to 240", tr.Call, tr.QueueSeconds)
		}
	case simulator.ScenarioOutboundAccount:
		if tr.AccountCode == "" {
			t.Errorf("%s: no account code", tr.Call)
		}
	case simulator.ScenarioInboundHold:
		if tr.HoldSeconds < 10 {
			t.Errorf("%s: held %d s", tr.Call, tr.HoldSeconds)
		}
	}
	if tr.Outcome == simulator.OutcomeAnswered && tr.Direction == "in" && (tr.TalkSeconds < 5 || tr.TalkSeconds > 1900) {
		t.Errorf("%s: talked %d s", tr.Call, tr.TalkSeconds)
	}
	if tr.Direction == "out" && (tr.DDI != "" || tr.Name != "") {
		t.Errorf("%s: outbound call with DDI %q, name %q", tr.Call, tr.DDI, tr.Name)
	}
}

// deref makes a Truth printable with its answer time rather than a pointer.
func deref(t simulator.Truth) any {
	type flat struct {
		simulator.Truth
		AnsweredAt string
	}
	f := flat{Truth: t}
	if t.AnsweredAt != nil {
		f.AnsweredAt = t.AnsweredAt.Format(time.RFC3339)
	}
	f.Truth.AnsweredAt = nil
	return f
}

func TestTruthCallerNames(t *testing.T) {
	office := simulator.DefaultOffice()
	r := MustRun(t, simulator.Config{Seed: 2, Calls: 500, Office: office})
	named, unnamed := 0, 0
	for _, tr := range r.truth {
		if tr.Direction != "in" {
			continue
		}
		known, isContact := office.Contacts[tr.Number]
		switch {
		case tr.Outcome != simulator.OutcomeAnswered:
			if tr.Name != "" {
				t.Errorf("%s: unanswered call has name %q; names come with the answer", tr.Call, tr.Name)
			}
		case isContact:
			named++
			if tr.Name != known {
				t.Errorf("%s: caller %s is %q, truth says %q", tr.Call, tr.Number, known, tr.Name)
			}
		default:
			unnamed++
			if tr.Name != "" {
				t.Errorf("%s: unknown caller %s has name %q", tr.Call, tr.Number, tr.Name)
			}
		}
	}
	if named == 0 || unnamed == 0 {
		t.Errorf("%d answered calls from contacts, %d from unknown numbers; want both", named, unnamed)
	}
}
