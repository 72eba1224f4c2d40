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
// A time whose hour is 12 or less may have been printed on a 12-hour clock;
// of the time as read and the same time 12 hours earlier or later on the same
// date, Parse picks the one that is not before the call's start (from its
// Call ID) and is closest to it, with a warning when that is not the time as
// read.
//
// Any other departure from the layout is a *ParseError that names the
// column, the field and what was expected.
func Parse(line string, opts ParseOptions) (Parsed, error) {
	var p Parsed
	line = trimLineEnding(line)
	p.Raw = line
	pad := paddingOrZero(opts.Padding)
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}

	var cols [13]int // 1-based column where each field starts; 0 if absent
	tolerant := false
	if fixedLayout(line) {
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
		if err := splitTolerant(line, &p, &cols); err != nil {
			if e := truncated(line); e != nil {
				return Parsed{}, e
			}
			return Parsed{}, err
		}
		tolerant = true
	}
	if err := p.decode(&cols, tolerant, pad, loc); err != nil {
		return Parsed{}, err
	}
	return p, nil
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

// A token is a run of non-space text in a line and the offset it starts at.
type token struct {
	off  int
	text string
}

// tokens splits line[lo:hi] at white space into out and returns how many
// tokens there are, which may be more than out holds.
func tokens(line string, lo, hi int, out []token) int {
	n := 0
	for i := lo; i < hi; {
		for i < hi && isSpace(line[i]) {
			i++
		}
		if i == hi {
			break
		}
		j := i
		for j < hi && !isSpace(line[j]) {
			j++
		}
		if n < len(out) {
			out[n] = token{i, line[i:j]}
		}
		n++
		i = j
	}
	return n
}

// splitTolerant fills p.Fields and cols from a line whose fields are not at
// their fixed offsets, by its pipes and the tokens between them.
func splitTolerant(line string, p *Parsed, cols *[13]int) error {
	var pipes [8]int
	n := 0
	for i := 0; i < len(line); i++ {
		if line[i] == '|' {
			if n < len(pipes) {
				pipes[n] = i
			}
			n++
		}
	}
	if n != 8 && n != 6 {
		return &ParseError{Reason: fmt.Sprintf(
			"found %d '|' characters, want 8 (13 fields) or 6 (the 12-field form without the DDI name)", n)}
	}
	if len(line) < LineLength {
		p.Warnings = append(p.Warnings, "spacing collapsed: read by pipes and tokens")
	} else {
		p.Warnings = append(p.Warnings, "fields not at their fixed offsets: read by pipes and tokens")
	}

	var toks [6]token
	// segment reads the tokens between two pipes into the fields named by
	// idx; it accepts min to len(idx) tokens, missing ones left blank, which
	// is how a field of space padding collapses.
	segment := func(lo, hi int, min int, idx ...int) error {
		k := tokens(line, lo, hi, toks[:])
		if k < min || k > len(idx) {
			want := fmt.Sprint(len(idx))
			if min != len(idx) {
				want = fmt.Sprintf("%d or %d", min, len(idx))
			}
			names := make([]string, len(idx))
			for j, i := range idx {
				names[j] = layout[i].name
			}
			return &ParseError{Column: lo + 1, Reason: fmt.Sprintf(
				"want %s space-separated values (%s) here, found %d: %s",
				want, strings.Join(names, ", "), k, quoteCut(line[lo:hi]))}
		}
		for j, i := range idx {
			if j < k {
				p.Fields[i], cols[i] = toks[j].text, toks[j].off+1
			} else {
				cols[i] = lo + 1
			}
		}
		return nil
	}
	between := func(i, a, b int) {
		p.Fields[i] = line[pipes[a]+1 : pipes[b]]
		cols[i] = pipes[a] + 1
	}

	if err := segment(0, pipes[0], 2, fDate, fTime); err != nil {
		return err
	}
	between(fDirection, 0, 1)
	if err := segment(pipes[1]+1, pipes[2], 5, fCallID, fTrunk, fExtension, fSourceExtension, fNumber); err != nil {
		return err
	}
	between(fName, 2, 3)
	last := 5
	if n == 8 {
		if err := segment(pipes[3]+1, pipes[4], 0, fDDI); err != nil {
			return err
		}
		between(fDDIName, 4, 5)
		if err := segment(pipes[5]+1, pipes[6], 0, fAccountCode); err != nil {
			return err
		}
		between(fEvent, 6, 7)
		last = 7
	} else {
		p.Warnings = append(p.Warnings, "12-field form: DDI name missing")
		if err := segment(pipes[3]+1, pipes[4], 2, fDDI, fAccountCode); err != nil {
			return err
		}
		between(fEvent, 4, 5)
	}
	if rest := line[pipes[last]+1:]; rest != "" {
		if !allSpace(rest) {
			return &ParseError{Column: pipes[last] + 2, Reason: "unexpected text after the Event field: " + quoteCut(rest)}
		}
		p.Warnings = append(p.Warnings, "trailing whitespace ignored")
	}
	return nil
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
	return strings.TrimRight(s, " ")
}
