package simulator

import (
	"fmt"
	"slices"
)

// Office is the virtual office the simulator runs: its phones, its lines and
// the people who call it. It is plain data; DefaultOffice returns a complete
// one, and a caller may build or change its own before passing it in Config.
type Office struct {
	// Extensions are the office's phones.
	Extensions []Extension
	// Trunks are the trunk numbers calls use to reach the outside world.
	Trunks []string
	// DDIs are the numbers outside callers dial; each one rings an
	// extension or a hunt group.
	DDIs []DDI
	// HuntGroups are groups of extensions that share incoming calls.
	HuntGroups []HuntGroup
	// Contacts maps a caller's number to the name the PBX shows for it.
	// Callers not in it have no name.
	Contacts map[string]string
	// AccountCodes are the codes users enter on outbound calls.
	AccountCodes []string
}

// Extension is one phone and its user.
type Extension struct {
	Number string
	Name   string
	// Forward is the extension calls go to when this one is busy, does not
	// answer or forwards all calls. Empty means any free colleague.
	Forward string
}

// DDI is a number outside callers dial, and where it rings.
type DDI struct {
	Number string
	// Name is the DDI's name as SMDR shows it: at most 10 characters.
	Name string
	// Target is the extension or hunt group number the DDI rings.
	Target string
}

// HuntGroup is a group of extensions that share incoming calls.
type HuntGroup struct {
	Number  string
	Name    string
	Members []string
	// Queue says whether callers wait in the group's queue (and hear its
	// announcement) before a member is rung.
	Queue bool
}

// DefaultOffice returns a small UK office: twenty extensions 1801 to 1820, a
// reception, sales and support hunt groups with queues, a few personal DDIs,
// eight trunks and fifty contacts. Its numbers come from Ofcom's ranges for
// drama (07700 900xxx, 0161 496 0xxx, ...), so none of them is anyone's.
func DefaultOffice() *Office {
	names := []string{
		"ALICE PARKER", "BEN OKAFOR", "CHRIS ROBERTS", "DIANA SHAW", "EMMA HUGHES",
		"FRANK LEE", "GRACE PATEL", "HARRY WOOD", "ISLA MORGAN", "JACK TURNER",
		"KATE MILLER", "LIAM EVANS", "MIA KHAN", "NOAH PRICE", "OLIVIA REED",
		"PETER GRANT", "RUBY HALL", "SAM BAKER", "TOM WARD", "UMA SINGH",
	}
	o := &Office{
		Trunks: []string{"92101", "92102", "92103", "92104", "92105", "92106", "92107", "92108"},
		DDIs: []DDI{
			{Number: "441614960100", Name: "RECEPTION", Target: "1801"},
			{Number: "441614960200", Name: "SALES", Target: "6001"},
			{Number: "441614960300", Name: "SUPPORT", Target: "6002"},
			{Number: "441614960103", Name: "CHRIS DID", Target: "1803"},
			{Number: "441614960104", Name: "DIANA DID", Target: "1804"},
			{Number: "441614960116", Name: "PETER DID", Target: "1816"},
			{Number: "441614960117", Name: "RUBY DID", Target: "1817"},
			{Number: "441614960119", Name: "ACCOUNTS", Target: "1819"},
		},
		HuntGroups: []HuntGroup{
			{Number: "6001", Name: "SALES", Members: []string{"1805", "1806", "1807", "1808", "1809"}, Queue: true},
			{Number: "6002", Name: "SUPPORT", Members: []string{"1810", "1811", "1812", "1813", "1814", "1815"}, Queue: true},
		},
		AccountCodes: []string{"1001", "1002", "2040", "3310", "4711", "5005", "77001", "90210"},
		Contacts:     map[string]string{},
	}
	for i, name := range names {
		num := fmt.Sprintf("%d", 1801+i)
		o.Extensions = append(o.Extensions, Extension{Number: num, Name: name})
	}
	// Reception overflows to the second receptionist, and back; personal
	// DDIs forward to a colleague in the same team.
	forwards := map[string]string{"1801": "1802", "1802": "1801", "1803": "1804", "1804": "1803", "1816": "1817", "1817": "1816", "1819": "1820"}
	for i := range o.Extensions {
		o.Extensions[i].Forward = forwards[o.Extensions[i].Number]
	}
	for _, c := range defaultContacts {
		o.Contacts[c[0]] = c[1]
	}
	return o
}

// defaultContacts are the callers the default office knows by name: number,
// then name (at most 14 characters, as SMDR shows it).
var defaultContacts = [][2]string{
	{"07700900123", "CHRIS R MOBILE"}, {"07700900017", "J SMITH MOBILE"}, {"07700900245", "A JONES MOBILE"},
	{"07700900318", "MUM"}, {"07700900402", "DAVE PLUMBER"}, {"07700900555", "K TAYLOR MOB"},
	{"07700900611", "S BROWN MOBILE"}, {"07700900734", "R WILSON MOB"}, {"07700900812", "P DAVIES MOB"},
	{"07700900909", "L THOMAS MOB"}, {"07700900950", "COURIER DESK"}, {"07700900471", "M KHAN MOBILE"},
	{"01614960001", "ACME WIDGETS"}, {"01614960012", "NORTHERN GAS"}, {"01614960023", "MCR CITY COUNC"},
	{"01614960034", "PIKE & SONS"}, {"01614960045", "BLUE DOOR CAFE"}, {"01614960056", "SALFORD PRINT"},
	{"01614960067", "OLDHAM MOTORS"}, {"01614960078", "RED ROSE LEGAL"}, {"01614960089", "STOCKPORT TILE"},
	{"01614960090", "TRAFFORD DENTS"}, {"01614960101", "IRWELL HOUSING"}, {"01614960112", "ANCOATS STUDIO"},
	{"02079460011", "LONDON HQ"}, {"02079460022", "THAMES BANK"}, {"02079460033", "CITY AUDIT LLP"},
	{"02079460044", "SOHO DESIGN"}, {"02079460055", "KINGSX FREIGHT"}, {"02079460066", "BRICK LANE IT"},
	{"01134960011", "LEEDS DEPOT"}, {"01134960022", "AIRE LOGISTICS"}, {"01134960033", "HEADINGLEY FC"},
	{"01174960011", "BRISTOL BRANCH"}, {"01174960022", "AVON SUPPLIES"}, {"01174960033", "CLIFTON VETS"},
	{"01214960011", "BRUM PARTS LTD"}, {"01214960022", "DIGBETH BREW"}, {"01214960033", "SOLIHULL INS"},
	{"01314960011", "EDINBURGH OFF"}, {"01314960022", "FORTH ENERGY"}, {"01314960033", "LEITH SHIPPING"},
	{"02920180011", "CARDIFF SALES"}, {"02920180022", "TAFF CATERING"}, {"02890180011", "BELFAST DESK"},
	{"01184960011", "READING SYSTEM"}, {"01184960022", "KENNET WATER"}, {"01904960011", "YORK MINSTER T"},
	{"01914980011", "TYNE CONTAINER"}, {"01154960011", "TRENT BIKES"},
}

// Validate reports the first problem that would stop the simulator running
// the office: no extensions or trunks, a DDI whose target does not exist, a
// hunt group member that is not an extension, a duplicate number.
func (o *Office) Validate() error {
	if len(o.Extensions) < 2 {
		return fmt.Errorf("office: %d extensions, want at least 2", len(o.Extensions))
	}
	if len(o.Trunks) == 0 {
		return fmt.Errorf("office: no trunks")
	}
	seen := map[string]bool{}
	for _, e := range o.Extensions {
		if e.Number == "" {
			return fmt.Errorf("office: extension with no number")
		}
		if seen[e.Number] {
			return fmt.Errorf("office: number %s used twice", e.Number)
		}
		seen[e.Number] = true
	}
	for _, e := range o.Extensions {
		if e.Forward != "" && (!o.isExtension(e.Forward) || e.Forward == e.Number) {
			return fmt.Errorf("office: extension %s forwards to %q, which is not another extension", e.Number, e.Forward)
		}
	}
	for _, g := range o.HuntGroups {
		if g.Number == "" || seen[g.Number] {
			return fmt.Errorf("office: hunt group %q has no number or one already used", g.Name)
		}
		seen[g.Number] = true
		if len(g.Members) == 0 {
			return fmt.Errorf("office: hunt group %s has no members", g.Number)
		}
		for _, m := range g.Members {
			if !o.isExtension(m) {
				return fmt.Errorf("office: hunt group %s member %q is not an extension", g.Number, m)
			}
		}
	}
	for _, d := range o.DDIs {
		if d.Number == "" {
			return fmt.Errorf("office: DDI %q has no number", d.Name)
		}
		if len(d.Name) > 10 {
			return fmt.Errorf("office: DDI %s name %q is longer than 10 characters", d.Number, d.Name)
		}
		if !o.isExtension(d.Target) && o.huntGroup(d.Target) == nil {
			return fmt.Errorf("office: DDI %s rings %q, which is neither an extension nor a hunt group", d.Number, d.Target)
		}
	}
	return nil
}

func (o *Office) isExtension(n string) bool {
	return slices.ContainsFunc(o.Extensions, func(e Extension) bool { return e.Number == n })
}

func (o *Office) extension(n string) *Extension {
	i := slices.IndexFunc(o.Extensions, func(e Extension) bool { return e.Number == n })
	if i < 0 {
		return nil
	}
	return &o.Extensions[i]
}

func (o *Office) huntGroup(n string) *HuntGroup {
	i := slices.IndexFunc(o.HuntGroups, func(g HuntGroup) bool { return g.Number == n })
	if i < 0 {
		return nil
	}
	return &o.HuntGroups[i]
}

// extensionDDIs returns the DDIs that ring an extension, in office order.
func (o *Office) extensionDDIs() []DDI {
	var ds []DDI
	for _, d := range o.DDIs {
		if o.isExtension(d.Target) {
			ds = append(ds, d)
		}
	}
	return ds
}

// groupDDIs returns the DDIs that ring a hunt group, in office order.
func (o *Office) groupDDIs() []DDI {
	var ds []DDI
	for _, d := range o.DDIs {
		if o.huntGroup(d.Target) != nil {
			ds = append(ds, d)
		}
	}
	return ds
}

// contactNumbers returns the contacts' numbers sorted, so that choosing
// among them does not depend on map order.
func (o *Office) contactNumbers() []string {
	ns := make([]string, 0, len(o.Contacts))
	for n := range o.Contacts {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}
