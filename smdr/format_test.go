package smdr_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// TestFormatGolden formats the parsed golden records and gets the file back
// byte for byte. Clock12 is needed for the outbound call (00:46:59 printed
// as 12:46:59); the 01:xx times read the same on both clocks.
func TestFormatGolden(t *testing.T) {
	want, lines := MustReadGolden(t)
	f := smdr.Formatter{Clock12: true}
	var got []byte
	for _, line := range lines {
		got = f.Append(got, MustParse(t, line, smdr.ParseOptions{}).Record)
	}
	if !bytes.Equal(got, want) {
		gl := strings.Split(string(got), "\r\n")
		for i, line := range lines {
			if i >= len(gl) || gl[i] != line {
				t.Errorf("line %d:\n got %q\nwant %q", i+1, gl[i], line)
			}
		}
		t.Fatalf("formatted golden records differ from %s", goldenPath)
	}
}

// goldenRecord is the first record of the manual.
func goldenRecord() smdr.Record {
	return smdr.Record{
		Time:        time.Date(2012, 3, 9, 1, 20, 40, 0, time.UTC),
		Direction:   smdr.Inbound,
		CallID:      "2012030901204052070264",
		Trunk:       "92108",
		Extension:   "1843",
		Number:      "79XXXXXXXX",
		Name:        "CHRIS R MOBILE",
		DDI:         "44161XXXXXXX",
		DDIName:     "CHRIS DID",
		AccountCode: "",
		Event:       smdr.Ringing,
	}
}

func TestFormatLine(t *testing.T) {
	_, lines := MustReadGolden(t)
	if got, want := (smdr.Formatter{}).Line(goldenRecord()), lines[0]; got != want {
		t.Fatalf("Line:\n got %q\nwant %q", got, want)
	}
}

func TestFormatClock(t *testing.T) {
	for _, tt := range []struct {
		hour, min int
		want24    string
		want12    string
	}{
		{0, 46, "00:46:59", "12:46:59"},
		{1, 5, "01:05:59", "01:05:59"},
		{11, 59, "11:59:59", "11:59:59"},
		{12, 0, "12:00:59", "12:00:59"},
		{13, 5, "13:05:59", "01:05:59"},
		{23, 59, "23:59:59", "11:59:59"},
	} {
		r := goldenRecord()
		r.Time = time.Date(2012, 3, 9, tt.hour, tt.min, 59, 0, time.UTC)
		if got := (smdr.Formatter{}).Line(r)[11:19]; got != tt.want24 {
			t.Errorf("24-hour %02d:%02d: got %q, want %q", tt.hour, tt.min, got, tt.want24)
		}
		if got := (smdr.Formatter{Clock12: true}).Line(r)[11:19]; got != tt.want12 {
			t.Errorf("12-hour %02d:%02d: got %q, want %q", tt.hour, tt.min, got, tt.want12)
		}
		if got := (smdr.Formatter{Clock12: true}).Line(r)[:10]; got != "2012-03-09" {
			t.Errorf("12-hour %02d:%02d: date %q, want 2012-03-09", tt.hour, tt.min, got)
		}
	}
}

// TestFormatWallClock checks that the time is printed as the wall clock of
// its own location.
func TestFormatWallClock(t *testing.T) {
	r := goldenRecord()
	r.Time = time.Date(2012, 3, 9, 23, 30, 0, 0, time.FixedZone("X", -5*3600))
	if got, want := (smdr.Formatter{}).Line(r)[:19], "2012-03-09 23:30:00"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestFormatPadding(t *testing.T) {
	r := goldenRecord()
	for _, tt := range []struct {
		pad  byte
		want string // fields 4 to 8
	}{
		{0, "2012030901204052070264 0092108 0001843 0000000 0000079XXXXXXXX"},
		{'0', "2012030901204052070264 0092108 0001843 0000000 0000079XXXXXXXX"},
		{' ', "2012030901204052070264   92108    1843" + strings.Repeat(" ", 14) + "79XXXXXXXX"},
		{'*', "2012030901204052070264 **92108 ***1843 ******* *****79XXXXXXXX"},
		{'5', "2012030901204052070264 0092108 0001843 0000000 0000079XXXXXXXX"},  // refused: '0'
		{'|', "2012030901204052070264 0092108 0001843 0000000 0000079XXXXXXXX"},  // refused: '0'
		{'\n', "2012030901204052070264 0092108 0001843 0000000 0000079XXXXXXXX"}, // refused: '0'
	} {
		line := (smdr.Formatter{Padding: tt.pad}).Line(r)
		if got := line[26:88]; got != tt.want {
			t.Errorf("padding %q:\n got %q\nwant %q", tt.pad, got, tt.want)
		}
		if got := line[135:147]; got != strings.Repeat(string(line[49]), 12) {
			t.Errorf("padding %q: blank account code %q is not all padding", tt.pad, got)
		}
	}
}

// TestFormatCleansAndCuts checks that text is cleaned, cut to its width
// from the left, and that odd directions, events and Call IDs keep the width.
func TestFormatCleansAndCuts(t *testing.T) {
	r := goldenRecord()
	r.Direction = "in"
	r.CallID = "12|34"
	r.Trunk = "123456789"
	r.Name = "Zoë|Ørsted\r\nand a very long tail"
	r.DDIName = "日本"
	r.Number = "+44\t161"
	r.Event = "SOMETHINGVERYLONG"
	out := (smdr.Formatter{Padding: '.'}).Append(nil, r)
	checkWire(t, out)
	line := string(out[:smdr.LineLength])
	for _, tt := range []struct {
		field    string
		from, to int
		want     string
	}{
		{"Direction", 20, 25, "|   |"},
		{"Call ID", 26, 48, ".................12/34"},
		{"Trunk", 49, 56, "1234567"},
		{"Number", 73, 88, "........+44 161"},
		{"Name", 89, 105, "|Zoe/Orsted  an|"},
		{"DDI name", 122, 134, "|??        |"},
		{"Event", 148, 162, "|SOMETHINGVER|"},
	} {
		if got := line[tt.from:tt.to]; got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.field, got, tt.want)
		}
	}
}

// TestFormatYearClamp checks that years the field cannot hold keep the width.
func TestFormatYearClamp(t *testing.T) {
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "0001-01-01"},
		{time.Date(-5, 1, 2, 0, 0, 0, 0, time.UTC), "0000-01-02"},
		{time.Date(12345, 6, 7, 0, 0, 0, 0, time.UTC), "9999-06-07"},
	} {
		r := goldenRecord()
		r.Time = tt.t
		out := (smdr.Formatter{}).Append(nil, r)
		checkWire(t, out)
		if got := string(out[:10]); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestFormatAppendKeepsPrefix(t *testing.T) {
	dst := []byte("prefix")
	out := (smdr.Formatter{}).Append(dst, goldenRecord())
	if got := string(out[:6]); got != "prefix" {
		t.Fatalf("prefix %q, want %q", got, "prefix")
	}
	checkWire(t, out[6:])
}

func TestFormatAllocs(t *testing.T) {
	r := goldenRecord()
	buf := make([]byte, 0, smdr.WireLength)
	if n := testing.AllocsPerRun(100, func() { buf = (smdr.Formatter{}).Append(buf[:0], r) }); n != 0 {
		t.Fatalf("Append allocates %v times per record, want 0", n)
	}
}

func TestValidPadding(t *testing.T) {
	for _, s := range []string{"0", " ", "*", "#", ".", "~", "x", "!"} {
		if err := smdr.ValidPadding(s); err != nil {
			t.Errorf("ValidPadding(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"", "00", "|", "1", "9", "\t", "\x7f", "é", "\x00"} {
		err := smdr.ValidPadding(s)
		if err == nil {
			t.Errorf("ValidPadding(%q) = nil, want an error", s)
			continue
		}
		if got := smdr.ErrorCode(err); got != smdr.EInvalid {
			t.Errorf("ValidPadding(%q): code %q, want %q", s, got, smdr.EInvalid)
		}
		if msg := err.Error(); !strings.Contains(msg, "printable ASCII") || !strings.Contains(msg, "digits 1 to 9") {
			t.Errorf("ValidPadding(%q) = %q, want it to say what is allowed", s, msg)
		}
	}
}

func BenchmarkFormat(b *testing.B) {
	r := goldenRecord()
	f := smdr.Formatter{Clock12: true}
	buf := make([]byte, 0, smdr.WireLength)
	b.ReportAllocs()
	b.SetBytes(smdr.WireLength)
	for b.Loop() {
		buf = f.Append(buf[:0], r)
	}
}

func BenchmarkLine(b *testing.B) {
	r := goldenRecord()
	b.ReportAllocs()
	for b.Loop() {
		_ = (smdr.Formatter{}).Line(r)
	}
}
