package smdr

import (
	"slices"
)

// fieldKind says how a field is laid out in the line.
type fieldKind uint8

const (
	kindFixed fieldKind = iota // date, time, Call ID: always full width
	kindRight                  // right-aligned, left-filled with the padding character
	kindPipe                   // '|' + left-aligned text, space-filled + '|'
)

// A column describes one of the 13 fields of the line (ip-smdr.md §2).
// For pipe fields off and width include the two pipes.
type column struct {
	name  string
	off   int
	width int
	kind  fieldKind
}

// The field numbers, 0-based, as indexes into layout and Parsed.Fields.
const (
	fDate = iota
	fTime
	fDirection
	fCallID
	fTrunk
	fExtension
	fSourceExtension
	fNumber
	fName
	fDDI
	fDDIName
	fAccountCode
	fEvent
)

// layout is the record table of ip-smdr.md §2. Each field starts one past
// the end of the one before: fields are separated by a single space.
var layout = [13]column{
	{"Date", 0, 10, kindFixed},
	{"Time", 11, 8, kindFixed},
	{"Direction", 20, 5, kindPipe},
	{"Call ID", 26, 22, kindRight},
	{"Trunk", 49, 7, kindRight},
	{"Extension", 57, 7, kindRight},
	{"Source extension", 65, 7, kindRight},
	{"Number", 73, 15, kindRight},
	{"Name", 89, 16, kindPipe},
	{"DDI", 106, 15, kindRight},
	{"DDI name", 122, 12, kindPipe},
	{"Account code", 135, 12, kindRight},
	{"Event", 148, 14, kindPipe},
}

// Formatter formats records. The zero value pads with '0' and prints a
// 24-hour clock.
type Formatter struct {
	// Padding is the item padding character that fills the unused left part
	// of the right-aligned fields; 0 means '0'. A character ValidPadding
	// refuses is treated as '0', so that no setting can break the framing.
	Padding byte
	// Clock12 prints the time on a 12-hour clock without AM/PM, as the
	// original server did (00:46:59 -> 12:46:59, 13:05:00 -> 01:05:00). The
	// date is printed as it is.
	Clock12 bool
}

// Append appends r to dst as one line on the wire: exactly WireLength bytes,
// the LineLength-character line and CR LF, whatever r holds.
//
// Text fields (and the Call ID, Trunk and Event) pass through Clean and are
// cut to their field's width, keeping the left part. A Call ID that is not 22
// digits is right-aligned and padded like the other numbers. A direction
// other than Inbound or Outbound prints as blank, "|   |". Years outside
// 0000 to 9999 are clamped to that range.
func (f Formatter) Append(dst []byte, r Record) []byte {
	pad := paddingOrZero(f.Padding)
	n := len(dst)
	dst = slices.Grow(dst, WireLength)[:n+WireLength]
	line := dst[n : n+LineLength]

	// Separators first; each field then writes its own bytes in full.
	for i := 1; i < len(layout); i++ {
		line[layout[i].off-1] = ' '
	}

	year, month, day := r.Time.Date()
	year = min(max(year, 0), 9999)
	put4(line[0:], year)
	line[4] = '-'
	put2(line[5:], int(month))
	line[7] = '-'
	put2(line[8:], day)

	hour, minute, second := r.Time.Clock()
	if f.Clock12 {
		hour %= 12
		if hour == 0 {
			hour = 12
		}
	}
	put2(line[11:], hour)
	line[13] = ':'
	put2(line[14:], minute)
	line[16] = ':'
	put2(line[17:], second)

	switch r.Direction {
	case Inbound:
		copy(line[20:25], "|IN |")
	case Outbound:
		copy(line[20:25], "|OUT|")
	default:
		copy(line[20:25], "|   |")
	}

	putRight(line, fCallID, r.CallID, pad)
	putRight(line, fTrunk, r.Trunk, pad)
	putRight(line, fExtension, r.Extension, pad)
	putRight(line, fSourceExtension, r.SourceExtension, pad)
	putRight(line, fNumber, r.Number, pad)
	putPipe(line, fName, r.Name)
	putRight(line, fDDI, r.DDI, pad)
	putPipe(line, fDDIName, r.DDIName)
	putRight(line, fAccountCode, r.AccountCode, pad)
	putPipe(line, fEvent, string(r.Event))

	dst[n+LineLength] = '\r'
	dst[n+LineLength+1] = '\n'
	return dst
}

// Line returns r as its LineLength-character line, without CR LF.
func (f Formatter) Line(r Record) string {
	var buf [WireLength]byte
	return string(f.Append(buf[:0], r)[:LineLength])
}

// putRight writes s right-aligned into field i, cleaned, cut to the field's
// width and left-filled with pad.
func putRight(line []byte, i int, s string, pad byte) {
	c := layout[i]
	s = Clean(s)
	if len(s) > c.width {
		s = s[:c.width]
	}
	dst := line[c.off : c.off+c.width]
	fill := c.width - len(s)
	for j := range fill {
		dst[j] = pad
	}
	copy(dst[fill:], s)
}

// putPipe writes s between the pipes of field i, cleaned, cut to the
// field's width and space-filled on the right.
func putPipe(line []byte, i int, s string) {
	c := layout[i]
	s = Clean(s)
	dst := line[c.off : c.off+c.width]
	dst[0] = '|'
	dst[len(dst)-1] = '|'
	inner := dst[1 : len(dst)-1]
	k := copy(inner, s)
	for j := k; j < len(inner); j++ {
		inner[j] = ' '
	}
}

// put2 writes v (0 to 99) as two digits.
func put2(b []byte, v int) {
	b[0] = byte('0' + v/10%10)
	b[1] = byte('0' + v%10)
}

// put4 writes v (0 to 9999) as four digits.
func put4(b []byte, v int) {
	put2(b, v/100)
	put2(b[2:], v%100)
}

// paddingOrZero returns the padding character to use for p: '0' for the
// zero value and for any character ValidPadding refuses.
func paddingOrZero(p byte) byte {
	if !validPaddingByte(p) {
		return '0'
	}
	return p
}

// validPaddingByte reports whether p is a padding character ValidPadding
// accepts.
func validPaddingByte(p byte) bool {
	return p >= ' ' && p <= '~' && p != '|' && (p < '1' || p > '9')
}

// ValidPadding checks a padding setting: it must be a single printable ASCII
// character other than '|'. Digits other than '0' are refused because they
// would be read as part of the numbers they pad. The error is an *Error with
// code EInvalid and field "padding".
func ValidPadding(s string) error {
	if len(s) == 1 && validPaddingByte(s[0]) {
		return nil
	}
	return Errorf(EInvalid, "padding",
		"padding %q: want one printable ASCII character other than '|' and the digits 1 to 9, e.g. '0' (the default), ' ', '*' or '#'", s)
}
