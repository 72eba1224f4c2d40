package smdr_test

import (
	"testing"

	"github.com/ipsmdr/ipsmdr/smdr"
)

func TestMaskDigits(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"07968543537", 0, "07968543537"},
		{"07968543537", 8, "079XXXXXXXX"},
		{"44161234567", 7, "4416XXXXXXX"},
		{"+44 161 496 0300", 4, "+44 161 496 XXXX"},
		{"123", 15, "XXX"},
		{"", 4, ""},
		{"ANON", 4, "ANON"},
	}
	for _, c := range cases {
		if got := smdr.MaskDigits(c.in, c.n); got != c.want {
			t.Errorf("MaskDigits(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
