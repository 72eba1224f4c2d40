package smdr_test

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// TestSharedGoldenCopy checks that the package's copy of the manual's
// examples is the shared one, when the shared tree is there to compare.
func TestSharedGoldenCopy(t *testing.T) {
	shared, err := os.ReadFile(sharedGoldenPath)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not present", sharedGoldenPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	local, _ := MustReadGolden(t)
	if !bytes.Equal(local, shared) {
		t.Fatalf("%s differs from %s: copy it again", goldenPath, sharedGoldenPath)
	}
}

func TestParseGolden(t *testing.T) {
	_, lines := MustReadGolden(t)
	if len(lines) != 20 {
		t.Fatalf("%d golden lines, want 20", len(lines))
	}
	for i, line := range lines {
		if len(line) != smdr.LineLength {
			t.Fatalf("golden line %d is %d characters, want %d", i+1, len(line), smdr.LineLength)
		}
		p := MustParse(t, line+"\r\n", smdr.ParseOptions{})
		if p.Raw != line {
			t.Errorf("line %d: Raw = %q, want the line without CR LF", i+1, p.Raw)
		}
		outbound := p.Direction == smdr.Outbound
		if outbound != (i >= 4 && i <= 6) {
			t.Errorf("line %d: direction %q", i+1, p.Direction)
		}
		if outbound {
			// 12:4x:xx on a 12-hour clock; the Call ID says 00:46:59.
			if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "(12-hour clock, resolved from the Call ID)") {
				t.Errorf("line %d: warnings %q, want the 12-hour clock one", i+1, p.Warnings)
			}
			if p.Time.Hour() != 0 {
				t.Errorf("line %d: time %v, want hour 00", i+1, p.Time)
			}
		} else if len(p.Warnings) != 0 {
			t.Errorf("line %d: warnings %q, want none", i+1, p.Warnings)
		}
		if got := p.Time.Format("2006-01-02 ") + p.Fields[1]; got != line[:19] && !outbound {
			t.Errorf("line %d: time %v, want %s", i+1, p.Time, line[:19])
		}
		if p.Time.Location() != time.UTC {
			t.Errorf("line %d: location %v, want UTC", i+1, p.Time.Location())
		}
	}

	for _, tt := range []struct {
		line int
		want smdr.Record
	}{
		{1, goldenRecord()},
		{5, smdr.Record{
			Time:      time.Date(2012, 3, 9, 0, 46, 59, 0, time.UTC),
			Direction: smdr.Outbound,
			CallID:    "2012030900465982190047",
			Trunk:     "92808",
			Extension: "1843",
			Number:    "79XXXXXXXX",
			Event:     smdr.Ringing,
		}},
		{13, func() smdr.Record {
			r := goldenRecord()
			r.Time = time.Date(2012, 3, 9, 1, 21, 0, 0, time.UTC)
			r.CallID = "2012030901205303270264"
			r.Number = "7968543537"
			r.Event = smdr.Disconnected
			return r
		}()},
		{17, func() smdr.Record {
			r := goldenRecord()
			r.Time = time.Date(2012, 3, 9, 1, 31, 27, 0, time.UTC)
			r.CallID = "2012030901311586070264"
			r.Extension = "2560"
			r.SourceExtension = "1843"
			r.Event = smdr.Transferred
			return r
		}()},
	} {
		p := MustParse(t, lines[tt.line-1], smdr.ParseOptions{})
		if p.Record != tt.want {
			t.Errorf("line %d:\n got %+v\nwant %+v", tt.line, p.Record, tt.want)
		}
	}

	p := MustParse(t, lines[0], smdr.ParseOptions{})
	want := [13]string{"2012-03-09", "01:20:40", "IN ", "2012030901204052070264", "0092108", "0001843",
		"0000000", "0000079XXXXXXXX", "CHRIS R MOBILE", "00044161XXXXXXX", "CHRIS DID ", "000000000000", "RINGING     "}
	if p.Fields != want {
		t.Errorf("Fields:\n got %q\nwant %q", p.Fields, want)
	}
}

// TestParseVariants reads the manual's printed forms and other tolerated
// variants: each must give the same record as its golden line, with the
// warnings listed in variants.txt.
func TestParseVariants(t *testing.T) {
	_, lines := MustReadGolden(t)
	for _, v := range MustReadVariants(t) {
		want := MustParse(t, lines[v.golden-1], smdr.ParseOptions{}).Record
		p, err := smdr.Parse(v.line, smdr.ParseOptions{})
		if err != nil {
			t.Errorf("%s:%d: %v", variantsPath, v.lineNo, err)
			continue
		}
		if p.Record != want {
			t.Errorf("%s:%d:\n got %+v\nwant %+v", variantsPath, v.lineNo, p.Record, want)
		}
		for _, w := range v.warnings {
			if !slices.ContainsFunc(p.Warnings, func(s string) bool { return strings.Contains(s, w) }) {
				t.Errorf("%s:%d: warnings %q, want one with %q", variantsPath, v.lineNo, p.Warnings, w)
			}
		}
	}
}

// TestParseTwelveFieldFields checks what Fields holds for the 12-field form.
func TestParseTwelveFieldFields(t *testing.T) {
	line := "2012-03-09 12:46:59 |OUT| 2012030900465982190047 0092808 0001843 0000000 0000079XXXXXXXX | | 000000000000000 000000000000 |RINGING |"
	p := MustParse(t, line, smdr.ParseOptions{})
	want := [13]string{"2012-03-09", "12:46:59", "OUT", "2012030900465982190047", "0092808", "0001843",
		"0000000", "0000079XXXXXXXX", " ", "000000000000000", "", "000000000000", "RINGING "}
	if p.Fields != want {
		t.Errorf("Fields:\n got %q\nwant %q", p.Fields, want)
	}
	wantW := []string{
		"spacing collapsed: read by pipes and tokens",
		"12-field form: DDI name missing",
		"time 12:46:59 read as 00:46:59 (12-hour clock, resolved from the Call ID)",
	}
	if !slices.Equal(p.Warnings, wantW) {
		t.Errorf("Warnings:\n got %q\nwant %q", p.Warnings, wantW)
	}
}

func TestParseLineEndings(t *testing.T) {
	_, lines := MustReadGolden(t)
	want := MustParse(t, lines[0], smdr.ParseOptions{})
	for _, end := range []string{"\r\n", "\n", "\r"} {
		p := MustParse(t, lines[0]+end, smdr.ParseOptions{})
		if p.Record != want.Record || p.Raw != lines[0] || len(p.Warnings) != 0 {
			t.Errorf("ending %q: got %+v", end, p)
		}
	}
}

func TestParseLocation(t *testing.T) {
	_, lines := MustReadGolden(t)
	loc := time.FixedZone("UTC+1", 3600)
	p := MustParse(t, lines[4], smdr.ParseOptions{Location: loc})
	if want := time.Date(2012, 3, 9, 0, 46, 59, 0, loc); !p.Time.Equal(want) || p.Time.Location() != loc {
		t.Fatalf("time %v, want %v", p.Time, want)
	}
}

// TestParse12HourClock checks how a time that may be on a 12-hour clock is
// placed against the call's start.
func TestParse12HourClock(t *testing.T) {
	_, lines := MustReadGolden(t)
	for _, tt := range []struct {
		start string // Call ID's yyyyMMddHHmmss
		time  string // as printed on 2012-03-09
		want  string // as read
		warn  bool
	}{
		{"20120309004659", "12:46:59", "00:46:59", true},  // the manual's outbound call
		{"20120309004659", "00:46:59", "00:46:59", false}, // the same on a 24-hour clock
		{"20120309120000", "12:00:05", "12:00:05", false}, // noon is noon when the call began at noon
		{"20120309130000", "01:00:05", "13:00:05", true},  // 1 pm printed as 01
		{"20120309130000", "13:00:05", "13:00:05", false}, // hours past 12 are never ambiguous
		{"20120308230000", "01:00:05", "01:00:05", false}, // past midnight: the nearer reading wins
		{"20120309200000", "05:00:00", "05:00:00", false}, // both readings before the start: as read
		{"20120309110000", "11:30:00", "11:30:00", false},
		{"20120309110000", "10:30:00", "22:30:00", true}, // a 11.5-hour call on a 12-hour clock
	} {
		line := lines[0][:11] + tt.time + lines[0][19:26] + tt.start + lines[0][40:]
		p := MustParse(t, line, smdr.ParseOptions{})
		if got := p.Time.Format("15:04:05"); got != tt.want {
			t.Errorf("start %s, time %s: read as %s, want %s", tt.start, tt.time, got, tt.want)
		}
		if got := len(p.Warnings) == 1; got != tt.warn {
			t.Errorf("start %s, time %s: warnings %q, want a warning: %v", tt.start, tt.time, p.Warnings, tt.warn)
		}
	}
}

// TestParseClock checks ParseOptions.Clock: ClockAuto guesses by §2.3,
// Clock24 reads the time as printed, Clock12 always reads a 12-hour clock.
func TestParseClock(t *testing.T) {
	_, lines := MustReadGolden(t)
	const (
		none    = ""
		guessed = "(12-hour clock, resolved from the Call ID)"
		past    = "past 12 on a 12-hour clock"
		bad     = "does not begin with a valid date"
	)
	type read struct{ time, warn string }
	for _, tt := range []struct {
		name, start, printed string // Call ID's yyyyMMddHHmmss; date and time as printed
		auto, h24, h12       read
	}{
		{"the manual's outbound line", "20120309004659", "2012-03-09 12:46:59",
			read{"2012-03-09 00:46:59", guessed}, read{"2012-03-09 12:46:59", none}, read{"2012-03-09 00:46:59", none}},
		{"the manual's outbound line on a 24-hour clock", "20120309004659", "2012-03-09 00:46:59",
			read{"2012-03-09 00:46:59", none}, read{"2012-03-09 00:46:59", none}, read{"2012-03-09 00:46:59", none}},
		// Cleared by the 24-hour timeout: only the known clock reads it.
		{"24-hour call at 12:30, 24-hour clock", "20240101123000", "2024-01-02 12:30:05",
			read{"2024-01-02 00:30:05", guessed}, read{"2024-01-02 12:30:05", none}, read{"2024-01-02 00:30:05", none}},
		{"24-hour call at 00:30", "20240101003000", "2024-01-02 00:30:05",
			read{"2024-01-02 00:30:05", none}, read{"2024-01-02 00:30:05", none}, read{"2024-01-02 00:30:05", none}},
		{"14-hour call, 24-hour clock", "20240101230000", "2024-01-02 13:00:00",
			read{"2024-01-02 13:00:00", none}, read{"2024-01-02 13:00:00", none}, read{"2024-01-02 13:00:00", past}},
		{"1 pm printed as 01", "20120309130000", "2012-03-09 01:00:05",
			read{"2012-03-09 13:00:05", guessed}, read{"2012-03-09 01:00:05", none}, read{"2012-03-09 13:00:05", none}},
		{"noon is noon when the call began at noon", "20120309120000", "2012-03-09 12:00:05",
			read{"2012-03-09 12:00:05", none}, read{"2012-03-09 12:00:05", none}, read{"2012-03-09 12:00:05", none}},
		{"past midnight", "20120308230000", "2012-03-09 12:10:00",
			read{"2012-03-09 00:10:00", guessed}, read{"2012-03-09 12:10:00", none}, read{"2012-03-09 00:10:00", none}},
		{"before the start: unplaced", "20120309200000", "2012-03-09 12:00:00",
			read{"2012-03-09 12:00:00", none}, read{"2012-03-09 12:00:00", none}, read{"2012-03-09 00:00:00", none}},
		{"no valid start", "99999999999999", "2012-03-09 12:20:40",
			read{"2012-03-09 12:20:40", bad}, read{"2012-03-09 12:20:40", none}, read{"2012-03-09 00:20:40", bad}},
	} {
		line := tt.printed + lines[0][19:26] + tt.start + lines[0][40:]
		for _, c := range []struct {
			clock smdr.Clock
			want  read
		}{{smdr.ClockAuto, tt.auto}, {smdr.Clock24, tt.h24}, {smdr.Clock12, tt.h12}} {
			p := MustParse(t, line, smdr.ParseOptions{Clock: c.clock})
			if got := p.Time.Format(time.DateTime); got != c.want.time {
				t.Errorf("%s, clock %v: read as %s, want %s", tt.name, c.clock, got, c.want.time)
			}
			if c.want.warn == none && len(p.Warnings) != 0 ||
				c.want.warn != none && (len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], c.want.warn)) {
				t.Errorf("%s, clock %v: warnings %q, want %q", tt.name, c.clock, p.Warnings, c.want.warn)
			}
		}
	}
	// The manual's outbound line itself, as the golden file has it.
	for clock, want := range map[smdr.Clock]string{smdr.ClockAuto: "00:46:59", smdr.Clock24: "12:46:59", smdr.Clock12: "00:46:59"} {
		if got := MustParse(t, lines[4], smdr.ParseOptions{Clock: clock}).Time.Format(time.TimeOnly); got != want {
			t.Errorf("golden line 5, clock %v: read as %s, want %s", clock, got, want)
		}
	}
}

func TestParseClockNames(t *testing.T) {
	for _, c := range []smdr.Clock{smdr.ClockAuto, smdr.Clock24, smdr.Clock12} {
		got, err := smdr.ParseClock(c.String())
		if err != nil || got != c {
			t.Errorf("ParseClock(%q) = %v, %v; want %v", c.String(), got, err, c)
		}
	}
	if smdr.ClockAuto.String() != "auto" || smdr.Clock24.String() != "24h" || smdr.Clock12.String() != "12h" {
		t.Errorf("names %q %q %q", smdr.ClockAuto, smdr.Clock24, smdr.Clock12)
	}
	for _, s := range []string{"", "24", "12", "24H", "AM/PM", "automatic"} {
		if _, err := smdr.ParseClock(s); err == nil || !strings.Contains(err.Error(), "want auto, 24h or 12h") {
			t.Errorf("ParseClock(%q): error %v, want one naming auto, 24h and 12h", s, err)
		}
	}
}

// TestCallIDStart checks the start read from a Call ID and the errors.
func TestCallIDStart(t *testing.T) {
	loc := time.FixedZone("UTC+1", 3600)
	got, err := smdr.CallIDStart("2012030900465982190047", loc)
	if want := time.Date(2012, 3, 9, 0, 46, 59, 0, loc); err != nil || !got.Equal(want) || got.Location() != loc {
		t.Errorf("CallIDStart = %v, %v; want %v", got, err, want)
	}
	if got, err := smdr.CallIDStart("2012022923595982190047", time.UTC); err != nil || got.Format(time.DateTime) != "2012-02-29 23:59:59" {
		t.Errorf("leap day: %v, %v", got, err)
	}
	for _, tt := range []struct{ id, want string }{
		{"201203090046598219004", "has 21 characters, want 22 digits"},
		{"2012O30900465982190047", `has 'O' at position 5, want digits only`},
		{"2011022900465982190047", "first 14 digits 20110229004659 are not a date and time"},
		{"2012030924000082190047", "are not a date and time"},
		{"2012130900465982190047", "are not a date and time"},
	} {
		if _, err := smdr.CallIDStart(tt.id, time.UTC); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CallIDStart(%q): error %v, want %q", tt.id, err, tt.want)
		}
	}
}

func TestParseDirection(t *testing.T) {
	for s, want := range map[string]smdr.Direction{"in": smdr.Inbound, " IN ": smdr.Inbound, "Out": smdr.Outbound, "OUT": smdr.Outbound} {
		if got, ok := smdr.ParseDirection(s); !ok || got != want {
			t.Errorf("ParseDirection(%q) = %q, %v; want %q", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "internal", "inbound", "\u0131n"} { // dotless i is not folded to i
		if got, ok := smdr.ParseDirection(s); ok {
			t.Errorf("ParseDirection(%q) = %q, want none", s, got)
		}
	}
}

// TestParseBadCallIDStart checks that a Call ID whose first digits are no
// date leaves the time as read, with a warning.
func TestParseBadCallIDStart(t *testing.T) {
	_, lines := MustReadGolden(t)
	line := lines[0][:26] + "99999999999999" + lines[0][40:]
	p := MustParse(t, line, smdr.ParseOptions{})
	if got := p.Time.Format("15:04:05"); got != "01:20:40" {
		t.Errorf("time %s, want 01:20:40", got)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "does not begin with a valid date") {
		t.Errorf("warnings %q", p.Warnings)
	}
}

func TestParsePadding(t *testing.T) {
	r := goldenRecord()
	r.SourceExtension = "0042" // leading zeros of its own: kept with '*'
	for _, pad := range []byte{'*', ' ', '#'} {
		line := (smdr.Formatter{Padding: pad}).Line(r)
		p := MustParse(t, line, smdr.ParseOptions{Padding: pad})
		if p.Record != r {
			t.Errorf("padding %q:\n got %+v\nwant %+v", pad, p.Record, r)
		}
	}
	// With '0' the number's own zeros are taken for padding; Fields keeps them.
	p := MustParse(t, (smdr.Formatter{}).Line(r), smdr.ParseOptions{})
	if p.SourceExtension != "42" || p.Fields[6] != "0000042" {
		t.Errorf("padding '0': SourceExtension %q, field %q; want %q, %q", p.SourceExtension, p.Fields[6], "42", "0000042")
	}
}

// TestParseCleansEveryByte puts every byte value at every alignment of the
// Name field of a well-formed line: printable ASCII is read as it is, any
// other byte and '|' are cleaned with a warning, and the line still parses.
func TestParseCleansEveryByte(t *testing.T) {
	_, lines := MustReadGolden(t)
	for k := range 14 {
		for c := range 256 {
			b := []byte(lines[0])
			b[90+k] = byte(c)
			p := MustParse(t, string(b), smdr.ParseOptions{})
			plain := c >= ' ' && c <= '~' && c != '|'
			if got := len(p.Warnings) == 0; got != plain {
				t.Errorf("byte %#x at Name+%d: warnings %q", c, k, p.Warnings)
			}
			if want := smdr.Clean(string(b[90:104])); plain && p.Name != strings.TrimRight(want, " ") {
				t.Errorf("byte %#x at Name+%d: Name %q, want %q", c, k, p.Name, want)
			}
		}
	}
}

// TestParseCollapsedSpacePadding reads a collapsed copy of a line padded
// with spaces, where blank DDI and Account code fields vanish.
func TestParseCollapsedSpacePadding(t *testing.T) {
	r := goldenRecord()
	r.SourceExtension = "1001"
	r.DDI, r.DDIName = "", ""
	line := strings.Join(strings.Fields((smdr.Formatter{Padding: ' '}).Line(r)), " ")
	p := MustParse(t, line, smdr.ParseOptions{Padding: ' '})
	if p.Record != r {
		t.Errorf("%q:\n got %+v\nwant %+v", line, p.Record, r)
	}
}

func TestParseAllocs(t *testing.T) {
	_, lines := MustReadGolden(t)
	line := lines[0] + "\r\n"
	if n := testing.AllocsPerRun(100, func() { _, _ = smdr.Parse(line, smdr.ParseOptions{}) }); n != 0 {
		t.Fatalf("Parse allocates %v times per line, want 0", n)
	}
}

// TestParseErrors checks where a bad line is said to be bad, and why.
func TestParseErrors(t *testing.T) {
	_, lines := MustReadGolden(t)
	g := lines[0]
	collapsed := "2012-03-09 01:20:40 |IN | 2012030901204052070264 0092108 0001843 0000000 0000079XXXXXXXX |CHRIS R MOBILE| 00044161XXXXXXX |CHRIS DID | 000000000000 |RINGING |"
	for _, tt := range []struct {
		name   string
		line   string
		column int
		field  string
		reason string // a substring of the reason
	}{
		{"call ID letter", strings.Replace(g, "2012030901204052070264", "2012O30901204052070264", 1),
			27, "Call ID", `"2012O30901204052070264" is not 22 digits ('O' at column 31)`},
		{"call ID short", strings.Replace(collapsed, "2012030901204052070264", "201203090120405207026", 1),
			27, "Call ID", "is 21 characters, want 22 digits"},
		{"month", strings.Replace(g, "2012-03-09", "2012-13-09", 1), 1, "Date", "month 13 is not 01 to 12"},
		{"day", strings.Replace(g, "2012-03-09", "2011-02-29", 1), 1, "Date", "day 29 is not 01 to 28"},
		{"date form", strings.Replace(g, "2012-03-09", "2012/03/09", 1), 1, "Date", "is not a date yyyy-MM-dd"},
		{"hour", strings.Replace(g, "01:20:40", "25:20:40", 1), 12, "Time", "hour 25 is not 00 to 23"},
		{"second", strings.Replace(g, "01:20:40", "01:20:60", 1), 12, "Time", "second 60 is not 00 to 59"},
		{"time form", strings.Replace(g, "01:20:40", "01.20.40", 1), 12, "Time", "is not a time HH:mm:ss"},
		{"direction", strings.Replace(g, "|IN |", "|XX |", 1), 21, "Direction", `"XX " is neither IN nor OUT`},
		{"blank direction", strings.Replace(g, "|IN |", "|   |", 1), 21, "Direction", "neither IN nor OUT"},
		{"event", strings.Replace(g, "|RINGING     |", "|FOO         |", 1), 149, "Event", "is not an event word; want one of RINGING"},
		{"trailing junk", g + "XYZ", 163, "", `3 characters after the end of the record (want 162 characters): "XYZ"`},
		{"truncated", g[:100], 101, "Name", "line ends after 100 characters, want 162: truncated"},
		{"truncated in date", g[:5], 6, "Date", "line ends after 5 characters"},
		{"empty", "", 0, "", "empty line"},
		{"line ending only", "\r\n", 0, "", "empty line"},
		{"binary junk", "\x00\x01\x02\xff\xfe garbage \x7f\x80 more garbage and more", 0, "", "found 0 '|' characters, want 8"},
		{"too many pipes", strings.Replace(collapsed, "CHRIS R MOBILE", "CHRIS|R MOBILE", 1), 0, "", "found 9 '|'"},
		{"missing token", strings.Replace(collapsed, " 0000000 ", " ", 1), 26, "",
			"want 5 space-separated values (Call ID, Trunk, Extension, Source extension, Number) here, found 4"},
		{"trunk too long", strings.Replace(collapsed, "0092108", "00921080", 1), 50, "Trunk", `"00921080" is 8 characters, longer than the field's 7`},
		{"name too long", strings.Replace(collapsed, "CHRIS R MOBILE", "CHRIS R MOBILE PHONE", 1), 90, "Name", "longer than the field's 14"},
		{"missing DDI", strings.Replace(collapsed, " 00044161XXXXXXX ", " ", 1), 106, "",
			"want 1 space-separated values (DDI) here, found 0"},
		{"text after event", collapsed + "X", len(collapsed) + 1, "", `unexpected text after the Event field: "X"`},
		{"date and time", "2012-03-09 01:20:40 extra" + collapsed[19:], 1, "", "want 2 space-separated values (Date, Time) here, found 3"},
	} {
		_, err := smdr.Parse(tt.line, smdr.ParseOptions{})
		var pe *smdr.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %v, want a *ParseError", tt.name, err)
			continue
		}
		if pe.Column != tt.column || pe.Field != tt.field || !strings.Contains(pe.Reason, tt.reason) {
			t.Errorf("%s:\n got column %d, field %q, reason %q\nwant column %d, field %q, reason with %q",
				tt.name, pe.Column, pe.Field, pe.Reason, tt.column, tt.field, tt.reason)
		}
		if got := smdr.ErrorCode(err); got != smdr.EInvalid {
			t.Errorf("%s: ErrorCode %q, want %q", tt.name, got, smdr.EInvalid)
		}
	}
}

func TestParseErrorMessage(t *testing.T) {
	for _, tt := range []struct {
		err  smdr.ParseError
		want string
	}{
		{smdr.ParseError{Column: 27, Field: "Call ID", Reason: "bad"}, "column 27 (Call ID): bad"},
		{smdr.ParseError{Column: 163, Reason: "bad"}, "column 163: bad"},
		{smdr.ParseError{Field: "DDI name", Reason: "bad"}, "DDI name: bad"},
		{smdr.ParseError{Reason: "bad"}, "bad"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	_, lines := MustReadGolden(b)
	line := lines[0] + "\r\n"
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := smdr.Parse(line, smdr.ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse12Hour is the fast path with a time resolved from the Call
// ID, which costs a warning.
func BenchmarkParse12Hour(b *testing.B) {
	_, lines := MustReadGolden(b)
	line := lines[4]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := smdr.Parse(line, smdr.ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCollapsed(b *testing.B) {
	line := "2012-03-09 01:20:40 |IN | 2012030901204052070264 0092108 0001843 0000000 0000079XXXXXXXX |CHRIS R MOBILE| 00044161XXXXXXX |CHRIS DID | 000000000000 |RINGING |"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := smdr.Parse(line, smdr.ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
