package smdr

import (
	"math/bits"
	"strings"
	"time"
)

// The fixed-offset fast path. Nearly every line a reader meets is one that
// Formatter wrote: 162 characters of printable ASCII with the pipes and
// separators in place, the canonical words, and nothing to warn about.
// parseFixed reads such a line with word-at-a-time checks and no per-field
// loops, and leaves every other line, whatever is odd about it, to the
// general reading in Parse, which words the errors and the warnings. It
// must give, for each line it accepts, exactly what the general reading
// gives: TestParseMatchesReference and FuzzParseMatchesReference hold it to
// the parser as it stood before this file (parseref_test.go).

// Broadcast bytes and masks for the word-at-a-time (SWAR) checks on
// little-endian 8-byte loads: byte k of the line is bits 8k to 8k+7.
const (
	ones = 0x0101010101010101
	high = 0x8080808080808080
	low7 = 0x7f7f7f7f7f7f7f7f
)

// lineWord is what parseFixed checks in one 8-byte word of the line: the
// bytes under mask must equal want (pipes, separators, the date's and the
// time's punctuation), and the bytes under digit must be ASCII digits.
type lineWord struct {
	off         int
	want, mask  uint64
	digit, fill uint64 // fill is '0' where digit is not, so that digit checks pass there
}

// lineWords covers the line in 8-byte words, the last one overlapping its
// neighbour so that it ends at LineLength.
var lineWords = makeLineWords()

// digitWords is how many of lineWords, from the first, hold digits: the
// date, the time and the Call ID end at offset 48, before the Trunk.
const digitWords = 6

// makeLineWords builds lineWords from layout and pipeOffsets.
func makeLineWords() (w [LineLength/8 + 1]lineWord) {
	var want, mask, digit [LineLength]byte
	set := func(off int, c byte) { want[off], mask[off] = c, 0xff }
	for i := 1; i < len(layout); i++ {
		set(layout[i].off-1, ' ')
	}
	for _, o := range pipeOffsets {
		set(o, '|')
	}
	set(layout[fDate].off+4, '-')
	set(layout[fDate].off+7, '-')
	set(layout[fTime].off+2, ':')
	set(layout[fTime].off+5, ':')
	for _, k := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		digit[layout[fDate].off+k] = 0xff
	}
	for _, k := range []int{0, 1, 3, 4, 6, 7} {
		digit[layout[fTime].off+k] = 0xff
	}
	for k := range CallIDLength {
		digit[layout[fCallID].off+k] = 0xff
	}
	for i := range w {
		off := min(8*i, LineLength-8)
		w[i].off = off
		for k := 7; k >= 0; k-- {
			w[i].want = w[i].want<<8 | uint64(want[off+k])
			w[i].mask = w[i].mask<<8 | uint64(mask[off+k])
			w[i].digit = w[i].digit<<8 | uint64(digit[off+k])
		}
		w[i].fill = ^w[i].digit & ('0' * ones)
		if i >= digitWords && w[i].digit != 0 {
			panic("smdr: digits past the first digitWords words of the line")
		}
	}
	return w
}

// load64 returns the 8 bytes of s from i on as a little-endian word; the
// compiler makes it a single load.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// nonzeroBytes returns x with the high bit of each non-zero byte set and
// every other bit clear. Unlike the usual zero-byte test it is exact: no
// carry crosses a byte.
func nonzeroBytes(x uint64) uint64 {
	return (((x & low7) + low7) | x) & high
}

// leadingPads returns how many bytes of the word x, from its first (lowest)
// byte, equal pad, a byte broadcast to all 8 places; 8 when all do.
func leadingPads(x, pads uint64) int {
	return bits.TrailingZeros64(nonzeroBytes(x^pads)) >> 3
}

// leadingPads7 is leadingPads of the first 7 bytes of x: at most 7.
func leadingPads7(x, pads uint64) int {
	return bits.TrailingZeros64(nonzeroBytes(x^pads|0xff<<56)) >> 3
}

// trailingSpaces returns how many bytes of the word x, from its last
// (highest) byte back, are spaces; 8 when all are.
func trailingSpaces(x uint64) int {
	return bits.LeadingZeros64(nonzeroBytes(x^' '*ones)) >> 3
}

// parseFixed reads line, without its line ending, into p when it is a plain
// record: exactly LineLength characters, printable ASCII whose only pipes
// are the 8 in place, the date, the time and the Call ID well formed, the
// Direction "IN " or "OUT" and the Event a word of Events as Formatter
// writes it. It reports false, having written nothing to p, for any other
// line; Parse then reads it the general way.
func (p *Parsed) parseFixed(line string, pad byte, loc *time.Location, clock Clock) bool {
	if len(line) != LineLength {
		return false
	}
	if !plainLine(line) {
		return false
	}

	d := func(i int) int { return int(line[i] - '0') }
	year := d(0)*1000 + d(1)*100 + d(2)*10 + d(3)
	month, day := d(5)*10+d(6), d(8)*10+d(9)
	hour, minute, second := d(11)*10+d(12), d(14)*10+d(15), d(17)*10+d(18)
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || second > 59 {
		return false
	}

	var dir Direction
	switch line[21:24] {
	case "IN ":
		dir = Inbound
	case "OUT":
		dir = Outbound
	default:
		return false
	}
	var event Event
	switch line[149:161] {
	case "RINGING     ":
		event = Ringing
	case "ANSWERED    ":
		event = Answered
	case "CONNECTED   ":
		event = Connected
	case "HOLD        ":
		event = Hold
	case "DIVERTED    ":
		event = Diverted
	case "TRANSFERRED ":
		event = Transferred
	case "QUEUED      ":
		event = Queued
	case "CALLMODIFIED":
		event = CallModified
	case "DISCONNECTED":
		event = Disconnected
	default:
		return false
	}

	// The line is plain: from here on nothing fails.
	p.Raw = line
	f := &p.Fields
	f[fDate], f[fTime], f[fDirection], f[fCallID] = line[0:10], line[11:19], line[21:24], line[26:48]
	f[fTrunk], f[fExtension], f[fSourceExtension], f[fNumber] = line[49:56], line[57:64], line[65:72], line[73:88]
	f[fName], f[fDDI], f[fDDIName], f[fAccountCode] = line[90:104], line[106:121], line[123:133], line[135:147]
	f[fEvent] = line[149:161]
	p.Direction = dir
	p.CallID = line[26:48]
	p.Event = event

	// The padding of a right-aligned field, found a word at a time: a
	// field of 7 is one word whose 8th byte (the separator) does not
	// count; a field of 12 or 15 is two overlapping words.
	pads := uint64(pad) * ones
	p.Trunk = line[49+leadingPads7(load64(line, 49), pads) : 56]
	p.Extension = line[57+leadingPads7(load64(line, 57), pads) : 64]
	p.SourceExtension = line[65+leadingPads7(load64(line, 65), pads) : 72]
	p.Number = line[73+pads15(line, 73, pads) : 88]
	p.DDI = line[106+pads15(line, 106, pads) : 121]
	n := leadingPads(load64(line, 135), pads)
	if n == 8 {
		n = 4 + leadingPads(load64(line, 139), pads)
	}
	p.AccountCode = line[135+n : 147]
	// The spaces after the text of a pipe field, likewise.
	n = trailingSpaces(load64(line, 96))
	if n == 8 {
		n = 6 + trailingSpaces(load64(line, 90))
	}
	p.Name = line[90 : 104-n]
	n = trailingSpaces(load64(line, 125))
	if n == 8 {
		n = 2 + trailingSpaces(load64(line, 123))
	}
	p.DDIName = line[123 : 133-n]

	// The hour as Parse places it (decode, resolveHour, resolveHour12),
	// without counting days when the call started on the record's date,
	// as nearly every call did. Where there is a warning to give, the
	// general functions give it.
	switch {
	case clock == Clock24 || clock == ClockAuto && hour > 12:
	case clock == Clock12 && hour > 12:
		hour = p.resolveHour12(year, month, day, hour, minute, second)
	default:
		start, ok := sameDayStart(line)
		switch {
		case !ok && clock == Clock12:
			hour = p.resolveHour12(year, month, day, hour, minute, second)
		case !ok:
			hour = p.resolveHour(year, month, day, hour, minute, second)
		default:
			best, placed := nearestHour(0, hour, minute*60+second, start)
			switch {
			case clock == Clock12 && placed:
				hour = best
			case clock == Clock12:
				hour %= 12
			case placed && best != hour:
				hour = p.resolveHour(year, month, day, hour, minute, second)
			}
		}
	}
	p.Time = dateIn(year, month, day, hour, minute, second, loc)
	return true
}

// sameDayStart returns the call's start from the Call ID of line, a plain
// line, in seconds of the day, when it is a valid time on the record's
// date; ok is false otherwise.
func sameDayStart(line string) (sec int, ok bool) {
	// yyyy-MM-dd rearranged as yyyyMMdd, against the Call ID's first 8.
	date := load64(line, 0)
	ymd := date&0xffffffff | date>>8&0xffff00000000 | uint64(line[8])<<48 | uint64(line[9])<<56
	if ymd != load64(line, 26) {
		return 0, false
	}
	d := func(i int) int { return int(line[i] - '0') }
	hour, minute, second := d(34)*10+d(35), d(36)*10+d(37), d(38)*10+d(39)
	if hour > 23 || minute > 59 || second > 59 {
		return 0, false
	}
	return hour*3600 + minute*60 + second, true
}

// plainLine reports whether line, of LineLength characters, is printable
// ASCII whose only pipes are the 8 in place, with its separators, the date's
// and the time's punctuation where they belong and digits where the date,
// the time and the Call ID need them. It checks a word at a time: a byte
// below 0x20 borrows into its high bit when 0x20 is taken from it, one from
// 0x7f to 0x9f reaches it when 1 is added, and one above has it set
// either way; a byte below '0' borrows into it, one above '9' reaches it
// when 0x7f-'9' is added.
func plainLine(line string) bool {
	// Where a byte is bad its own high bit is set; a borrow or a carry
	// that crosses into the next byte comes only from a bad byte, so it
	// may mark a good neighbour but never hides a bad one.
	var bad, diff uint64
	for i := range digitWords {
		w := &lineWords[i]
		x := load64(line, w.off)
		bad |= (x - ' '*ones) | (x + ones)
		diff |= (x ^ w.want) & w.mask
		d := x&w.digit | w.fill
		bad |= (d - '0'*ones) | (d + (0x7f-'9')*ones)
	}
	for i := digitWords; i < len(lineWords); i++ {
		w := &lineWords[i]
		x := load64(line, w.off)
		bad |= (x - ' '*ones) | (x + ones)
		diff |= (x ^ w.want) & w.mask
	}
	return bad&high == 0 && diff == 0 && strings.Count(line, "|") == len(pipeOffsets)
}

// pads15 returns how many of the 15 characters of line from off on are
// pad, broadcast in pads, before the first that is not.
func pads15(line string, off int, pads uint64) int {
	n := leadingPads(load64(line, off), pads)
	if n == 8 {
		n = 7 + leadingPads(load64(line, off+7), pads)
	}
	return n
}

// unixEpochDay is daysFromCivil(1970, 1, 1).
const unixEpochDay = 865565

// dateIn returns time.Date(year, month, day, hour, minute, second, 0, loc)
// for a valid date and time. In UTC it computes the instant itself, which
// time.Date, looking up the zone's offset, does at several times the cost;
// the result is the same value, Location included (time.Time.UTC).
func dateIn(year, month, day, hour, minute, second int, loc *time.Location) time.Time {
	if loc != time.UTC {
		return time.Date(year, time.Month(month), day, hour, minute, second, 0, loc)
	}
	sec := (daysFromCivil(year, month, day)-unixEpochDay)*86400 + hour*3600 + minute*60 + second
	return time.Unix(int64(sec), 0).UTC()
}
