package smdr

// This file keeps the parser as it stood before the fixed-offset fast path
// (parsefixed.go) was added: Parse, decode and the helpers they called,
// copied verbatim but for their names. It is the reference that
// TestParseMatchesReference and FuzzParseMatchesReference hold Parse to, and
// BenchmarkParseVsSplit/parse-reference measures. Do not optimise it.
//
// The tolerant reading (splitTolerant), Clean, the Call ID checks and the
// calendar helpers in record.go and decode.go are shared, not copied: the
// fast path did not change them, and either parser reads collapsed lines
// through them.

import (
	"fmt"
	"strings"
	"time"
)

// ParseReference is parseReference, for the external test package.
var ParseReference = parseReference

// refParsed carries the reference's methods, which Parsed has under the
// same names.
type refParsed Parsed

// Any other departure from the layout is a *ParseError that names the
// column, the field and what was expected.
func parseReference(line string, opts ParseOptions) (p Parsed, err error) {
	// p is the named result so that the large Parsed is built in place
	// rather than copied out.
	line = trimLineEnding(line)
	p.Raw = line
	pad := paddingOrZero(opts.Padding)
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}

	var cols [13]int // 1-based column where each field starts; 0 if absent
	tolerant, plain := false, false
	if refFixedLayout(line) {
		// A line of printable ASCII whose only pipes are the 8 in place
		// needs no cleaning: the common case skips Clean on every field.
		plain = refPrintableASCII(line[:LineLength]) && strings.Count(line[:LineLength], "|") == len(pipeOffsets)
		if len(line) > LineLength {
			rest := line[LineLength:]
			if !allSpace(rest) {
				return Parsed{}, &ParseError{Column: LineLength + 1, Reason: fmt.Sprintf(
					"%d characters after the end of the record (want %d characters): %s",
					len(rest), LineLength, quoteCut(rest))}
			}
			p.Warnings = append(p.Warnings, "trailing whitespace ignored")
		}
		for i, c := range layout {
			cols[i] = c.off + 1
			if c.kind == kindPipe {
				p.Fields[i] = line[c.off+1 : c.off+c.width-1]
			} else {
				p.Fields[i] = line[c.off : c.off+c.width]
			}
		}
	} else {
		if err := splitTolerant(line, pad, &p, &cols); err != nil {
			if e := refTruncated(line); e != nil {
				return Parsed{}, e
			}
			return Parsed{}, err
		}
		tolerant = true
	}
	if err := (*refParsed)(&p).decode(&cols, tolerant, plain, pad, loc, opts.Clock); err != nil {
		return Parsed{}, err
	}
	return p, nil
}

// printableASCII reports whether s holds bytes from ' ' to '~' only. It
// tests 8 bytes at a time: a byte below 0x20 borrows into its high bit when
// 0x20 is taken from it, and a byte above 0x7e reaches its high bit when 1
// is added (0xff carries, but its high bit is already set).
func refPrintableASCII(s string) bool {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	for len(s) >= 8 {
		t := s[:8]
		x := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		if ((x-0x20*ones)&^x|(x+ones)|x)&high != 0 {
			return false
		}
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// fixedLayout reports whether the first LineLength characters of line have
// the pipes and the separating spaces at their offsets.
func refFixedLayout(line string) bool {
	if len(line) < LineLength {
		return false
	}
	for _, o := range pipeOffsets {
		if line[o] != '|' {
			return false
		}
	}
	for i := 1; i < len(layout); i++ {
		if line[layout[i].off-1] != ' ' {
			return false
		}
	}
	return true
}

// truncated returns the error for a line that is a proper prefix of a
// well-formed line (its pipes, if any, are where a full line has them), or
// nil when the line is not such a prefix.
func refTruncated(line string) *ParseError {
	if len(line) >= LineLength {
		return nil
	}
	k := 0
	for i := 0; i < len(line); i++ {
		if line[i] != '|' {
			continue
		}
		if k == len(pipeOffsets) || pipeOffsets[k] != i {
			return nil
		}
		k++
	}
	if k < len(pipeOffsets) && pipeOffsets[k] < len(line) {
		return nil
	}
	if len(line) == 0 {
		return &ParseError{Reason: fmt.Sprintf("empty line, want a %d-character record", LineLength)}
	}
	field := ""
	for _, c := range layout {
		if len(line) < c.off+c.width {
			field = c.name
			break
		}
	}
	return &ParseError{Column: len(line) + 1, Field: field, Reason: fmt.Sprintf(
		"line ends after %d characters, want %d: truncated", len(line), LineLength)}
}

// trimPadding returns s without its leading pad characters.
func refTrimPadding(s string, pad byte) string {
	i := 0
	for i < len(s) && s[i] == pad {
		i++
	}
	return s[i:]
}

// trimTrailingSpaces returns s without its trailing spaces.
func refTrimTrailingSpaces(s string) string {
	i := len(s)
	for i > 0 && s[i-1] == ' ' {
		i--
	}
	return s[:i]
}

// The digits are read by hand: time.Parse would cost more than the rest of
// the line together.
func (p *refParsed) decode(cols *[13]int, tolerant, plain bool, pad byte, loc *time.Location, clock Clock) error {
	f := &p.Fields

	year, month, day, err := refReadDate(f[fDate])
	if err != "" {
		return fieldErr(fDate, cols[fDate], "%q %s", f[fDate], err)
	}
	hour, minute, second, err := refReadClock(f[fTime])
	if err != "" {
		return fieldErr(fTime, cols[fTime], "%q %s", f[fTime], err)
	}

	switch raw := f[fDirection]; raw {
	case "IN ":
		p.Direction = Inbound
	case "OUT":
		p.Direction = Outbound
	default:
		t := strings.TrimSpace(raw)
		switch {
		case strings.EqualFold(t, "IN"):
			p.Direction = Inbound
		case strings.EqualFold(t, "OUT"):
			p.Direction = Outbound
		default:
			return fieldErr(fDirection, cols[fDirection], "%q is neither IN nor OUT", raw)
		}
		if t != string(p.Direction) {
			p.warnf("direction %q read as %s", t, p.Direction)
		}
	}

	id := f[fCallID]
	if bad, ok := checkCallID(id); !ok {
		if bad < 0 {
			return fieldErr(fCallID, cols[fCallID], "%q is %d characters, want %d digits", id, len(id), CallIDLength)
		}
		return fieldErr(fCallID, cols[fCallID], "%q is not %d digits (%q at column %d)",
			id, CallIDLength, id[bad], cols[fCallID]+bad)
	}
	p.CallID = id

	if plain {
		// Fixed offsets, nothing to clean, nothing too long: just trim.
		p.Trunk = refTrimPadding(f[fTrunk], pad)
		p.Extension = refTrimPadding(f[fExtension], pad)
		p.SourceExtension = refTrimPadding(f[fSourceExtension], pad)
		p.Number = refTrimPadding(f[fNumber], pad)
		p.Name = refTrimTrailingSpaces(f[fName])
		p.DDI = refTrimPadding(f[fDDI], pad)
		p.DDIName = refTrimTrailingSpaces(f[fDDIName])
		p.AccountCode = refTrimPadding(f[fAccountCode], pad)
	} else {
		for _, i := range [...]int{fTrunk, fExtension, fSourceExtension, fNumber, fName, fDDI, fDDIName, fAccountCode} {
			v, err := p.text(i, cols[i], tolerant, pad)
			if err != nil {
				return err
			}
			p.setText(i, v)
		}
	}

	if err := p.event(cols[fEvent]); err != nil {
		return err
	}

	switch clock {
	case Clock24:
	case Clock12:
		hour = p.resolveHour12(year, month, day, hour, minute, second)
	default:
		if hour <= 12 {
			hour = p.resolveHour(year, month, day, hour, minute, second)
		}
	}
	p.Time = time.Date(year, time.Month(month), day, hour, minute, second, 0, loc)
	return nil
}

// text reads the text field i: cleaned, cut to the field's width, and with
// its padding (leading pad characters, or trailing spaces inside pipes)
// removed. Cleaning comes before trimming so that the value formats back to
// the same text and parses again to itself.
func (p *refParsed) text(i, col int, tolerant bool, pad byte) (string, error) {
	c := layout[i]
	raw := p.Fields[i]
	v := Clean(raw)
	if v != raw {
		p.warnf("%s: text cleaned (control, non-ASCII or '|' characters replaced)", c.name)
	}
	width := c.width
	if c.kind == kindPipe {
		width -= 2
		v = refTrimTrailingSpaces(v)
	}
	if len(v) > width {
		if tolerant {
			return "", fieldErr(i, col, "%s is %d characters, longer than the field's %d", quoteCut(v), len(v), width)
		}
		// Only cleaning can lengthen a field read by offset (½ -> 1/2).
		p.warnf("%s: cut to %d characters after cleaning", c.name, width)
		v = v[:width]
	}
	if c.kind == kindPipe {
		return refTrimTrailingSpaces(v), nil
	}
	return refTrimPadding(v, pad), nil
}

// setText sets the text field i of the record.
func (p *refParsed) setText(i int, v string) {
	switch i {
	case fTrunk:
		p.Trunk = v
	case fExtension:
		p.Extension = v
	case fSourceExtension:
		p.SourceExtension = v
	case fNumber:
		p.Number = v
	case fName:
		p.Name = v
	case fDDI:
		p.DDI = v
	case fDDIName:
		p.DDIName = v
	case fAccountCode:
		p.AccountCode = v
	}
}

// warnf adds a warning.
func (p *refParsed) warnf(format string, args ...any) {
	p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
}

// event reads the Event field, which starts at column col.
func (p *refParsed) event(col int) error {
	raw := p.Fields[fEvent]
	w := strings.TrimRight(raw, " ")
	switch e := Event(w); e {
	case Ringing, Answered, Connected, Hold, Diverted, Transferred, Queued, CallModified, Disconnected:
		p.Event = e
		return nil
	}
	e, ok := ParseEvent(w)
	if !ok {
		return fieldErr(fEvent, col, "%s is not an event word; want one of %s",
			quoteCut(raw), "RINGING, ANSWERED, CONNECTED, HOLD, DIVERTED, TRANSFERRED, QUEUED, CALLMODIFIED, DISCONNECTED")
	}
	p.Event = e
	if strings.EqualFold(strings.TrimSpace(w), "CALLCONNECTED") {
		p.warnf("CALLCONNECTED read as CONNECTED")
	} else {
		p.warnf("event %q read as %s", w, e)
	}
	return nil
}

// resolveHour returns the hour of a time whose printed hour is 12 or less,
// which may have come from a 12-hour clock (ip-smdr.md §2.3), for ClockAuto.
// The original printed 00:46:59 as 12:46:59 and kept the date, so the
// candidates are the hour as read and the hour 12 away on the same date; the
// one that is not before the call's start (from the Call ID) and is closest
// to it wins, with a warning when it is not the hour as read. When neither
// is, or the Call ID holds no valid start, the hour stays as read: the record
// cannot be placed and a guess would be worse.
func (p *refParsed) resolveHour(year, month, day, hour, minute, second int) int {
	best, ok := p.placeHour(year, month, day, hour, minute, second)
	if !ok || best == hour {
		return hour
	}
	p.warnf("time %s read as %02d:%02d:%02d (12-hour clock, resolved from the Call ID)",
		p.Fields[fTime], best, minute, second)
	return best
}

// resolveHour12 returns the hour of a time printed on a 12-hour clock without
// AM/PM, for Clock12: the hour placed from the Call ID as by resolveHour,
// without a warning since the clock is known; when it cannot be placed, hour
// 12 is 00 and the others are as read. An hour past 12 is read as printed,
// with a warning.
func (p *refParsed) resolveHour12(year, month, day, hour, minute, second int) int {
	if hour > 12 {
		p.warnf("time %s is past 12 on a 12-hour clock: read as printed", p.Fields[fTime])
		return hour
	}
	if best, ok := p.placeHour(year, month, day, hour, minute, second); ok {
		return best
	}
	return hour % 12
}

// placeHour returns, of hour%12 and hour%12+12 on the record's date, the one
// that is not before the call's start (from the Call ID) and is closest to
// it; ok is false when neither is. A Call ID that holds no valid start adds
// a warning and gives false.
func (p *refParsed) placeHour(year, month, day, hour, minute, second int) (best int, ok bool) {
	start, ok := refCallIDStartKey(p.CallID)
	if !ok {
		p.warnf("Call ID %s does not begin with a valid date and time: time %s not checked against it",
			p.CallID, p.Fields[fTime])
		return 0, false
	}
	date := daysFromCivil(year, month, day) * 86400
	rest := minute*60 + second
	best, bestKey := -1, 0
	for _, h := range [2]int{hour % 12, hour%12 + 12} {
		k := date + h*3600 + rest
		if k >= start && (best < 0 || k < bestKey) {
			best, bestKey = h, k
		}
	}
	return best, best >= 0
}

// callIDStartKey returns the call's start encoded in a Call ID as seconds
// since a fixed civil epoch, comparable with the keys placeHour builds; ok
// is false when the first 14 digits are not a valid date and time. Wall
// clocks are compared, not instants: both sides are in the same zone.
func refCallIDStartKey(id string) (key int, ok bool) {
	year, month, day, hour, minute, second, ok := readCallIDStart(id)
	if !ok {
		return 0, false
	}
	return daysFromCivil(year, month, day)*86400 + hour*3600 + minute*60 + second, true
}

// readDate reads yyyy-MM-dd. On failure it returns what is wrong, as the end
// of a sentence that begins with the quoted field.
func refReadDate(s string) (year, month, day int, err string) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' ||
		!refAllDigits(s[0:4]) || !refAllDigits(s[5:7]) || !refAllDigits(s[8:10]) {
		return 0, 0, 0, "is not a date yyyy-MM-dd"
	}
	year, month, day = refDigits(s[0:4]), refDigits(s[5:7]), refDigits(s[8:10])
	if month < 1 || month > 12 {
		return 0, 0, 0, fmt.Sprintf("is not a date yyyy-MM-dd: month %02d is not 01 to 12", month)
	}
	if n := daysIn(year, month); day < 1 || day > n {
		return 0, 0, 0, fmt.Sprintf("is not a date yyyy-MM-dd: day %02d is not 01 to %02d", day, n)
	}
	return year, month, day, ""
}

// readClock reads HH:mm:ss on a 24-hour clock.
func refReadClock(s string) (hour, minute, second int, err string) {
	if len(s) != 8 || s[2] != ':' || s[5] != ':' ||
		!refAllDigits(s[0:2]) || !refAllDigits(s[3:5]) || !refAllDigits(s[6:8]) {
		return 0, 0, 0, "is not a time HH:mm:ss"
	}
	hour, minute, second = refDigits(s[0:2]), refDigits(s[3:5]), refDigits(s[6:8])
	switch {
	case hour > 23:
		return 0, 0, 0, fmt.Sprintf("is not a time HH:mm:ss: hour %02d is not 00 to 23", hour)
	case minute > 59:
		return 0, 0, 0, fmt.Sprintf("is not a time HH:mm:ss: minute %02d is not 00 to 59", minute)
	case second > 59:
		return 0, 0, 0, fmt.Sprintf("is not a time HH:mm:ss: second %02d is not 00 to 59", second)
	}
	return hour, minute, second, ""
}

// allDigits reports whether s is ASCII digits only.
func refAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// digits returns the value of s, which holds ASCII digits only.
func refDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
