package smdrtest

import (
	"fmt"
	"strings"
)

// SequenceReport is what CheckSequence found in what a receiver got.
type SequenceReport struct {
	Received   int // lines received
	Delivered  int // distinct expected lines received
	Missing    int // expected lines never received (gaps), including the tail
	Duplicates int // lines received again after a resend
	Reordered  int // lines received before an earlier line that was still missing
	Unexpected int // lines that were not expected at all
	FirstGap   int // index in want of the first missing line, -1 if none
}

// OK reports whether the receiver got every expected line once or more, in
// order, and nothing else.
func (r SequenceReport) OK() bool {
	return r.Missing == 0 && r.Reordered == 0 && r.Unexpected == 0
}

func (r SequenceReport) String() string {
	return fmt.Sprintf("received %d, delivered %d, missing %d (first at %d), duplicates %d, reordered %d, unexpected %d",
		r.Received, r.Delivered, r.Missing, r.FirstGap, r.Duplicates, r.Reordered, r.Unexpected)
}

// CheckSequence compares the lines a receiver got with the lines it should
// have got, in order. The expected lines must be distinct (tests make each
// record unique). A resend after a reconnect shows as duplicates: the stream
// steps back to a line already delivered and repeats from there, which is
// allowed. A line that arrives after a later one is reordered; a line that
// never arrives is missing.
func CheckSequence(want, got [][]byte) SequenceReport {
	index := make(map[string]int, len(want))
	for i, w := range want {
		index[string(w)] = i
	}
	rep := SequenceReport{Received: len(got), FirstGap: -1}
	seen := make([]bool, len(want))
	newest := -1 // the highest index delivered so far
	for _, g := range got {
		i, ok := index[string(g)]
		switch {
		case !ok:
			rep.Unexpected++
		case seen[i]:
			rep.Duplicates++
		default:
			seen[i] = true
			rep.Delivered++
			if i < newest {
				rep.Reordered++
			}
			newest = max(newest, i)
		}
	}
	for i, s := range seen {
		if !s {
			rep.Missing++
			if rep.FirstGap < 0 {
				rep.FirstGap = i
			}
		}
	}
	return rep
}

// Summarize shortens lines for an error message.
func Summarize(lines [][]byte, n int) string {
	var b strings.Builder
	for i, l := range lines {
		if i == n {
			fmt.Fprintf(&b, "... (%d more)\n", len(lines)-n)
			break
		}
		b.Write(l)
	}
	return b.String()
}
