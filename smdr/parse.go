package smdr

import (
	"fmt"
	"strings"
	"time"
)

// ParseOptions says how to read lines.
type ParseOptions struct {
	// Padding is the item padding character the source uses; 0 means '0'.
	// A character ValidPadding refuses is treated as '0', as Formatter does.
	Padding byte
	// Location is the zone of the date, the time and the Call ID; nil means
	// UTC.
	Location *time.Location
	// Clock is the clock the source prints the time on; the zero value,
	// ClockAuto, suits a source of unknown form.
	Clock Clock
}

// Clock says how Parse reads the hour of the Time field (ip-smdr.md §2.3).
type Clock uint8

const (
	// ClockAuto reads a source that may print either clock: a time whose
	// hour is 12 or less is placed against the call's start from its Call
	// ID, as Parse describes. It misreads a 24-hour time at 12:xx on a later
	// day than the call's start (a call of 24 hours, cleared by the server's
	// timeout) as 00:xx; give the clock when it is known.
	ClockAuto Clock = iota
	// Clock24 reads the time as printed, with no guessing: ipsmdr's default.
	Clock24
	// Clock12 reads every time on a 12-hour clock without AM/PM, as the
	// original server printed it: hour 12 stands for 00, and of hour h and
	// h+12 the one placed as Parse describes wins. When neither is on or
	// after the call's start, or the Call ID holds no valid start, hour 12
	// is read as 00 and the others as printed (morning). An hour past 12,
	// which a 12-hour clock does not print, is read as printed, with a
	// warning.
	Clock12
)

// clockNames are the names ParseClock reads and String returns, by Clock.
var clockNames = [...]string{ClockAuto: "auto", Clock24: "24h", Clock12: "12h"}

// String returns "auto", "24h" or "12h".
func (c Clock) String() string {
	if int(c) < len(clockNames) {
		return clockNames[c]
	}
	return fmt.Sprintf("Clock(%d)", uint8(c))
}

// ParseClock reads a Clock by its name: "auto", "24h" or "12h".
func ParseClock(s string) (Clock, error) {
	for c, name := range clockNames {
		if s == name {
			return Clock(c), nil
		}
	}
	return ClockAuto, fmt.Errorf("clock %q is not allowed: want auto, 24h or 12h", s)
}

// Parsed is one line read by Parse: the record, and what the line said.
type Parsed struct {
	// Record holds the typed fields with the padding removed. A field whose
	// text is all padding is "".
	Record
	// Raw is the line without its line ending.
	Raw string
	// Fields holds each field's text as it stood, padding included; for the
	// pipe fields (Direction, Name, DDI name, Event) the text between the
	// pipes. Because a number's own leading zeros cannot be told from '0'
	// padding, Fields is the only faithful copy of such a number.
	Fields [13]string
	// Warnings says, in words, what Parse tolerated: collapsed spacing, the
	// 12-field form, CALLCONNECTED, a time read on a 12-hour clock, text that
	// had to be cleaned.
	Warnings []string
}

// ParseError is why a line is not a record.
type ParseError struct {
	// Column is the 1-based column where the problem is (for a field, where
	// the field starts); 0 when the problem is not about one place.
	Column int
	// Field is the field's name as in the reference's table, e.g. "Call
	// ID"; "" when the problem is about the whole line.
	Field string
	// Reason says what is wrong and what was expected.
	Reason string
}

// Error returns the reason, prefixed with the column and the field where
// known, e.g. `column 27 (Call ID): "2012O30901204052070264" is not 22
// digits`.
func (e *ParseError) Error() string {
	switch {
	case e.Column > 0 && e.Field != "":
		return fmt.Sprintf("column %d (%s): %s", e.Column, e.Field, e.Reason)
	case e.Column > 0:
		return fmt.Sprintf("column %d: %s", e.Column, e.Reason)
	case e.Field != "":
		return e.Field + ": " + e.Reason
	}
	return e.Reason
}

// pipeOffsets are the offsets of the 8 pipes of a well-formed line.
var pipeOffsets = [8]int{20, 24, 89, 104, 122, 133, 148, 161}

// Parse reads one record line. The line may end in "\r\n", "\n" or "\r".
//
// A line of exactly LineLength characters with its pipes and separators in
// place is read by offset (the fast path: no allocation beyond Warnings).
// Other lines are read by pipes and whitespace-separated tokens, which
// accepts copies whose runs of spaces were collapsed and the manual's
// 12-field form without the DDI name; Parsed.Warnings says so. Text that is
// not printable ASCII is cleaned as by Clean, with a warning.
//
// How the time is read depends on opts.Clock. With ClockAuto, a time whose
// hour is 12 or less may have been printed on a 12-hour clock; of the time as
// read and the same time 12 hours earlier or later on the same date, Parse
// picks the one that is not before the call's start (from its Call ID) and is
// closest to it, with a warning when that is not the time as read. Clock12
// makes that choice for every time, without the warning (hour 12 is 00 or
// 12); Clock24 reads the time as printed.
//
// Any other departure from the layout is a *ParseError that names the
// column, the field and what was expected.
func Parse(line string, opts ParseOptions) (p Parsed, err error) {
	// p is the named result so that the large Parsed is built in place
	// rather than copied out.
	line = trimLineEnding(line)
	pad := paddingOrZero(opts.Padding)
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	if p.parseFixed(line, pad, loc, opts.Clock) {
		return p, nil
	}
	p.Raw = line

	var cols [13]int // 1-based column where each field starts; 0 if absent
	tolerant, plain := false, false
	if fixedLayout(line) {
		// A line of printable ASCII whose only pipes are the 8 in place
		// needs no cleaning: the common case skips Clean on every field.
		plain = printableASCII(line[:LineLength]) && strings.Count(line[:LineLength], "|") == len(pipeOffsets)
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
			if e := truncated(line); e != nil {
				return Parsed{}, e
			}
			return Parsed{}, err
		}
		tolerant = true
	}
	if err := p.decode(&cols, tolerant, plain, pad, loc, opts.Clock); err != nil {
		return Parsed{}, err
	}
	return p, nil
}

// printableASCII reports whether s holds bytes from ' ' to '~' only. It
// tests 8 bytes at a time: a byte below 0x20 borrows into its high bit when
// 0x20 is taken from it, and a byte above 0x7e reaches its high bit when 1
// is added (0xff carries, but its high bit is already set).
func printableASCII(s string) bool {
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

// trimLineEnding removes one trailing "\r\n", "\n" or "\r".
func trimLineEnding(s string) string {
	n := len(s)
	switch {
	case n >= 2 && s[n-2] == '\r' && s[n-1] == '\n':
		return s[:n-2]
	case n >= 1 && (s[n-1] == '\n' || s[n-1] == '\r'):
		return s[:n-1]
	}
	return s
}

// fixedLayout reports whether the first LineLength characters of line have
// the pipes and the separating spaces at their offsets.
func fixedLayout(line string) bool {
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
func truncated(line string) *ParseError {
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

// allSpace reports whether s is ASCII white space only.
func allSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isSpace(s[i]) {
			return false
		}
	}
	return true
}

// isSpace reports whether c is ASCII white space.
func isSpace(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r'
}

// quoteCut quotes s for a message, cut to a readable length.
func quoteCut(s string) string {
	const max = 24
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}

// fieldErr returns a *ParseError about field i, which starts at column col.
func fieldErr(i, col int, format string, args ...any) *ParseError {
	return &ParseError{Column: col, Field: layout[i].name, Reason: fmt.Sprintf(format, args...)}
}

// trimPadding returns s without its leading pad characters.
func trimPadding(s string, pad byte) string {
	i := 0
	for i < len(s) && s[i] == pad {
		i++
	}
	return s[i:]
}

// trimTrailingSpaces returns s without its trailing spaces.
func trimTrailingSpaces(s string) string {
	i := len(s)
	for i > 0 && s[i-1] == ' ' {
		i--
	}
	return s[:i]
}
