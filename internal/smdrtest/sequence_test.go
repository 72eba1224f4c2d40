package smdrtest_test

import (
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

func TestCheckSequence(t *testing.T) {
	l := func(s ...string) [][]byte {
		out := make([][]byte, len(s))
		for i, x := range s {
			out[i] = []byte(x)
		}
		return out
	}
	want := l("a", "b", "c", "d")
	cases := []struct {
		name string
		got  [][]byte
		ok   bool
		rep  smdrtest.SequenceReport
	}{
		{"exact", l("a", "b", "c", "d"), true, smdrtest.SequenceReport{Received: 4, Delivered: 4, FirstGap: -1}},
		{"resend", l("a", "b", "b", "c", "d"), true, smdrtest.SequenceReport{Received: 5, Delivered: 4, Duplicates: 1, FirstGap: -1}},
		{"gap", l("a", "c", "d"), false, smdrtest.SequenceReport{Received: 3, Delivered: 3, Missing: 1, FirstGap: 1}},
		{"tail lost", l("a", "b"), false, smdrtest.SequenceReport{Received: 2, Delivered: 2, Missing: 2, FirstGap: 2}},
		{"reordered", l("a", "c", "b", "d"), false, smdrtest.SequenceReport{Received: 4, Delivered: 4, Reordered: 1, FirstGap: -1}},
		{"unexpected", l("a", "x", "b", "c", "d"), false, smdrtest.SequenceReport{Received: 5, Delivered: 4, Unexpected: 1, FirstGap: -1}},
	}
	for _, tc := range cases {
		rep := smdrtest.CheckSequence(want, tc.got)
		if rep != tc.rep || rep.OK() != tc.ok {
			t.Errorf("%s: got %v (ok %v), want %v (ok %v)", tc.name, rep, rep.OK(), tc.rep, tc.ok)
		}
	}
}
