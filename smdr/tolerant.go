package smdr

import (
	"fmt"
	"strings"
)

// The tolerant reading: for lines whose fields are not at their fixed
// offsets, such as copies with collapsed spacing and the manual's 12-field
// form, the fields are found by the pipes and by the whitespace-separated
// tokens between them.

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
func splitTolerant(line string, pad byte, p *Parsed, cols *[13]int) error {
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
	// idx; it accepts min to len(idx) tokens, missing ones left blank.
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
	// A blank field of space padding collapses to nothing; any other
	// padding leaves a token. Only the DDI and the Account code, alone
	// between their pipes, can be told missing without ambiguity.
	blank := 1
	if pad == ' ' {
		blank = 0
	}
	last := 5
	if n == 8 {
		if err := segment(pipes[3]+1, pipes[4], blank, fDDI); err != nil {
			return err
		}
		between(fDDIName, 4, 5)
		if err := segment(pipes[5]+1, pipes[6], blank, fAccountCode); err != nil {
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
