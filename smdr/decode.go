package smdr

import (
	"fmt"
	"strings"
	"time"
)

// decode reads the typed record from p.Fields. cols holds the 1-based column
// of each field for messages; tolerant says the fields were found by pipes
// and tokens rather than by offset, so they may be longer than their width;
// plain says the fields are known to need no cleaning.
//
// The digits are read by hand: time.Parse would cost more than the rest of
// the line together.
func (p *Parsed) decode(cols *[13]int, tolerant, plain bool, pad byte, loc *time.Location, clock Clock) error {
	f := &p.Fields

	year, month, day, err := readDate(f[fDate])
	if err != "" {
		return fieldErr(fDate, cols[fDate], "%q %s", f[fDate], err)
	}
	hour, minute, second, err := readClock(f[fTime])
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
		p.Trunk = trimPadding(f[fTrunk], pad)
		p.Extension = trimPadding(f[fExtension], pad)
		p.SourceExtension = trimPadding(f[fSourceExtension], pad)
		p.Number = trimPadding(f[fNumber], pad)
		p.Name = trimTrailingSpaces(f[fName])
		p.DDI = trimPadding(f[fDDI], pad)
		p.DDIName = trimTrailingSpaces(f[fDDIName])
		p.AccountCode = trimPadding(f[fAccountCode], pad)
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

// setText sets the text field i of the record.
func (p *Parsed) setText(i int, v string) {
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
func (p *Parsed) warnf(format string, args ...any) {
	p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
}

// text reads the text field i: cleaned, cut to the field's width, and with
// its padding (leading pad characters, or trailing spaces inside pipes)
// removed. Cleaning comes before trimming so that the value formats back to
// the same text and parses again to itself.
func (p *Parsed) text(i, col int, tolerant bool, pad byte) (string, error) {
	c := layout[i]
	raw := p.Fields[i]
	v := Clean(raw)
	if v != raw {
		p.warnf("%s: text cleaned (control, non-ASCII or '|' characters replaced)", c.name)
	}
	width := c.width
	if c.kind == kindPipe {
		width -= 2
		v = trimTrailingSpaces(v)
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
		return trimTrailingSpaces(v), nil
	}
	return trimPadding(v, pad), nil
}

// event reads the Event field, which starts at column col.
func (p *Parsed) event(col int) error {
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
func (p *Parsed) resolveHour(year, month, day, hour, minute, second int) int {
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
func (p *Parsed) resolveHour12(year, month, day, hour, minute, second int) int {
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
func (p *Parsed) placeHour(year, month, day, hour, minute, second int) (best int, ok bool) {
	start, ok := callIDStartKey(p.CallID)
	if !ok {
		p.warnf("Call ID %s does not begin with a valid date and time: time %s not checked against it",
			p.CallID, p.Fields[fTime])
		return 0, false
	}
	return nearestHour(daysFromCivil(year, month, day)*86400, hour, minute*60+second, start)
}

// nearestHour returns, of hour%12 and hour%12+12, the one whose time is not
// before start and is closest to it; ok is false when neither is. A time is
// date + its hour*3600 + rest, in the seconds callIDStartKey counts or in
// seconds of one day when date is 0 and start is on that day.
func nearestHour(date, hour, rest, start int) (best int, ok bool) {
	h := hour % 12
	switch k := date + h*3600 + rest; {
	case k >= start:
		return h, true
	case k+12*3600 >= start:
		return h + 12, true
	}
	return -1, false
}

// callIDStartKey returns the call's start encoded in a Call ID as seconds
// since a fixed civil epoch, comparable with the keys placeHour builds; ok
// is false when the first 14 digits are not a valid date and time. Wall
// clocks are compared, not instants: both sides are in the same zone.
func callIDStartKey(id string) (key int, ok bool) {
	year, month, day, hour, minute, second, ok := readCallIDStart(id)
	if !ok {
		return 0, false
	}
	return daysFromCivil(year, month, day)*86400 + hour*3600 + minute*60 + second, true
}

// readDate reads yyyy-MM-dd. On failure it returns what is wrong, as the end
// of a sentence that begins with the quoted field.
func readDate(s string) (year, month, day int, err string) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' ||
		!allDigits(s[0:4]) || !allDigits(s[5:7]) || !allDigits(s[8:10]) {
		return 0, 0, 0, "is not a date yyyy-MM-dd"
	}
	year, month, day = digits(s[0:4]), digits(s[5:7]), digits(s[8:10])
	if month < 1 || month > 12 {
		return 0, 0, 0, fmt.Sprintf("is not a date yyyy-MM-dd: month %02d is not 01 to 12", month)
	}
	if n := daysIn(year, month); day < 1 || day > n {
		return 0, 0, 0, fmt.Sprintf("is not a date yyyy-MM-dd: day %02d is not 01 to %02d", day, n)
	}
	return year, month, day, ""
}

// readClock reads HH:mm:ss on a 24-hour clock.
func readClock(s string) (hour, minute, second int, err string) {
	if len(s) != 8 || s[2] != ':' || s[5] != ':' ||
		!allDigits(s[0:2]) || !allDigits(s[3:5]) || !allDigits(s[6:8]) {
		return 0, 0, 0, "is not a time HH:mm:ss"
	}
	hour, minute, second = digits(s[0:2]), digits(s[3:5]), digits(s[6:8])
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
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// digits returns the value of s, which holds ASCII digits only.
func digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// daysIn returns the number of days in a month of the proleptic Gregorian
// calendar.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the day number of a date (H. Hinnant's algorithm),
// for ordering dates without building a time.Time. Years are shifted by 400
// so that the divisions below never see a negative number.
func daysFromCivil(year, month, day int) int {
	y := year + 400
	if month <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	m := month + 9
	if month > 2 {
		m = month - 3
	}
	doy := (153*m+2)/5 + day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe
}
