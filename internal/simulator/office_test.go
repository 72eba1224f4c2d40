package simulator_test

import (
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/simulator"
	"github.com/ipsmdr/ipsmdr/smdr"
)

func TestDefaultOffice(t *testing.T) {
	o := simulator.DefaultOffice()
	if err := o.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if len(o.Extensions) != 20 || len(o.Trunks) != 8 || len(o.Contacts) != 50 || len(o.HuntGroups) == 0 || len(o.AccountCodes) == 0 {
		t.Errorf("%d extensions, %d trunks, %d contacts, %d hunt groups, %d account codes",
			len(o.Extensions), len(o.Trunks), len(o.Contacts), len(o.HuntGroups), len(o.AccountCodes))
	}
	for num, name := range o.Contacts {
		if len(name) == 0 || len(name) > 14 || len(num) != 11 || !strings.HasPrefix(num, "0") {
			t.Errorf("contact %q %q: want an 11-digit UK number and a name of 1 to 14 characters", num, name)
		}
	}
	for _, d := range o.DDIs {
		if len(d.Name) > 10 {
			t.Errorf("DDI %s name %q longer than 10", d.Number, d.Name)
		}
	}
	// Every call of DefaultOffice returns a new office: changing one changes
	// no other.
	o.Extensions[0].Number = "9999"
	if simulator.DefaultOffice().Extensions[0].Number == "9999" {
		t.Error("DefaultOffice returns shared state")
	}
}

func TestOfficeValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(o *simulator.Office)
		want   string
	}{
		{"no trunks", func(o *simulator.Office) { o.Trunks = nil }, "no trunks"},
		{"one extension", func(o *simulator.Office) { o.Extensions = o.Extensions[:1] }, "at least 2"},
		{"duplicate", func(o *simulator.Office) { o.Extensions[1].Number = o.Extensions[0].Number }, "used twice"},
		{"DDI target", func(o *simulator.Office) { o.DDIs[0].Target = "4242" }, "neither an extension nor a hunt group"},
		{"DDI name", func(o *simulator.Office) { o.DDIs[0].Name = "ELEVEN CHAR" }, "longer than 10"},
		{"member", func(o *simulator.Office) { o.HuntGroups[0].Members = []string{"4242"} }, "not an extension"},
		{"forward", func(o *simulator.Office) { o.Extensions[0].Forward = o.Extensions[0].Number }, "forwards to"},
	}
	for _, tt := range tests {
		o := simulator.DefaultOffice()
		tt.change(o)
		err := o.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
}

// TestSmallOffice runs an office with no hunt groups, DDIs or account
// codes: only the scenarios it can run happen.
func TestSmallOffice(t *testing.T) {
	o := &simulator.Office{
		Extensions: []simulator.Extension{{Number: "201"}, {Number: "202"}},
		Trunks:     []string{"1"},
	}
	r := MustRun(t, simulator.Config{Seed: 1, Calls: 200, Office: o})
	for _, tr := range r.truth {
		switch tr.Scenario {
		case simulator.ScenarioOutboundAnswered, simulator.ScenarioOutboundUnanswered, simulator.ScenarioInternal:
		default:
			t.Errorf("%s: scenario %s in an office without DDIs or account codes", tr.Call, tr.Scenario)
		}
	}
	if r.stats.ByEvent[string(smdr.KindQueued)] != 0 {
		t.Error("queued events without hunt groups")
	}
	if len(r.truth) != 200 {
		t.Errorf("%d calls, want 200", len(r.truth))
	}
}
