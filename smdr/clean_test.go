package smdr_test

import (
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/smdr"
)

func TestClean(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"CHRIS R MOBILE", "CHRIS R MOBILE"},
		{"a|b", "a/b"},
		{"a\r\nb\tc\x00d\x7fe", "a  b c d e"},
		{"José Müller", "Jose Muller"},
		{"ÜBER Ångström", "UBER Angstrom"},
		{"Straße", "Strasse"},
		{"æ Æ ø Ø ł Ł đ þ œ", "ae AE o O l L d th oe"},
		{"‘quoted’ “double”", `'quoted' "double"`},
		{"a–b—c", "a-b-c"},
		{"wait…", "wait..."},
		{"ﬁle", "file"},                 // compatibility ligature
		{"CHRIS\u00a0DID", "CHRIS DID"}, // no-break space
		{"a\u0085b\u2028c", "a b c"},    // NEL, line separator
		{"soft\u00adhyphen\u200b", "softhyphen"},
		{"e\u0301", "e"}, // decomposed é
		{"😀", "?"},
		{"👍🏽", "??"},
		{"日本語", "???"},
		{"한", "?"}, // one syllable, one '?'
		{"\xff\xfeA", "??A"},
		{"\xc3", "?"},   // cut UTF-8
		{"｜", "/"},      // fullwidth bar decomposes to '|'
		{"½", "1/2"},    // fraction slash spelled out
		{"\ufdfa", "?"}, // decomposes to Arabic: no ASCII
		{"ℌ", "H"},      // compatibility letter
		{"ǖ Ḝ", "u E"},  // two marks each
		{"x\u0000\u0001", "x  "},
	} {
		got := smdr.Clean(tt.in)
		if got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for i := 0; i < len(got); i++ {
			if got[i] < ' ' || got[i] > '~' || got[i] == '|' {
				t.Errorf("Clean(%q) = %q holds %#x", tt.in, got, got[i])
			}
		}
		if again := smdr.Clean(got); again != got {
			t.Errorf("Clean(Clean(%q)) = %q, want %q", tt.in, again, got)
		}
	}
}

func TestCleanNoAllocation(t *testing.T) {
	s := strings.Repeat("CHRIS R MOBILE 0123456789 ~!@#$%^&*()", 4)
	if n := testing.AllocsPerRun(100, func() { _ = smdr.Clean(s) }); n != 0 {
		t.Fatalf("Clean of clean text allocates %v times, want 0", n)
	}
	if got := smdr.Clean(s); got != s {
		t.Fatalf("Clean changed clean text: %q", got)
	}
}

func BenchmarkClean(b *testing.B) {
	for _, bm := range []struct{ name, s string }{
		{"ascii", "CHRIS R MOBILE"},
		{"accents", "Zoë Ørsted-Müller"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = smdr.Clean(bm.s)
			}
		})
	}
}
