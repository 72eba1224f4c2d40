package smdr

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Clean returns s made safe for the fixed-width line: printable ASCII only,
// with nothing that could break the framing.
//
// CR, LF, TAB and every other control character become a space, '|' becomes
// '/', and non-ASCII text is transliterated: letters lose their accents
// (é -> e, Ü -> U), a few letters and signs are spelled out (ß -> ss,
// æ -> ae, ø -> o, ł -> l, þ -> th, œ -> oe, curly quotes -> ' and ",
// dashes -> -, … -> ...), invisible format characters are dropped, and
// anything else (emoji, CJK, invalid UTF-8) becomes one '?' per character.
//
// Clean returns s itself, without allocating, when it is already clean, so
// calling it on every field of every record costs a scan and nothing more.
func Clean(s string) string {
	for i := 0; i < len(s); i++ {
		if !cleanByte(s[i]) {
			return cleanSlow(s, i)
		}
	}
	return s
}

// cleanByte reports whether c may stand in a line as it is.
func cleanByte(c byte) bool {
	return c >= ' ' && c <= '~' && c != '|'
}

// cleanSlow cleans s from index i on; s[:i] is known to be clean.
func cleanSlow(s string, i int) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	var scratch [utf8.UTFMax]byte
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			b.WriteByte(cleanASCII(c))
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == utf8.RuneError && n == 1 {
			b.WriteByte('?') // invalid UTF-8, e.g. a Latin-1 byte
			continue
		}
		writeRune(&b, r, scratch[:0])
	}
	return b.String()
}

// cleanASCII maps one ASCII byte to the byte that stands for it.
func cleanASCII(c byte) byte {
	switch {
	case c == '|':
		return '/'
	case c < ' ' || c == 0x7f:
		return ' '
	}
	return c
}

// transliterations spells out the letters and signs that have no
// decomposition into ASCII (ß, æ, ø, ...) or whose decomposition would read
// badly (curly quotes, dashes).
var transliterations = map[rune]string{
	'ß': "ss", 'ẞ': "SS",
	'æ': "ae", 'Æ': "AE",
	'œ': "oe", 'Œ': "OE",
	'ø': "o", 'Ø': "O",
	'ł': "l", 'Ł': "L",
	'đ': "d", 'Đ': "D",
	'ð': "d", 'Ð': "D",
	'þ': "th", 'Þ': "TH",
	'ı': "i", 'ħ': "h", 'Ħ': "H",
	'‘': "'", '’': "'", '‚': "'", '‛': "'", '′': "'", '‹': "'", '›': "'",
	'“': `"`, '”': `"`, '„': `"`, '‟': `"`, '″': `"`, '«': `"`, '»': `"`,
	'‐': "-", '‑': "-", '‒': "-", '–': "-", '—': "-", '―': "-", '−': "-",
	'…': "...", '⁄': "/", '•': "*", '·': ".",
}

// writeRune writes the ASCII that stands for the non-ASCII rune r.
func writeRune(b *strings.Builder, r rune, scratch []byte) {
	if t, ok := transliterations[r]; ok {
		b.WriteString(t)
		return
	}
	switch {
	case unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp):
		// C1 controls and the Unicode line and paragraph separators are
		// white space to a reader, not unknown characters.
		b.WriteByte(' ')
		return
	case unicode.In(r, unicode.Mn, unicode.Cf):
		// A lone combining mark, a variation selector, a zero-width space or
		// a soft hyphen carries no letter of its own.
		return
	}
	// Decompose (é -> e + U+0301, ﬁ -> fi, NBSP -> space) and keep the
	// ASCII. If any part is neither ASCII nor a mark, the rune as a whole
	// has no ASCII form and becomes a single '?', not one per part. The
	// decomposition is looked up, not computed: norm's Append would build
	// a reorder buffer on the heap for every rune.
	d := norm.NFKD.Properties(utf8.AppendRune(scratch, r)).Decomposition()
	if d == nil {
		b.WriteByte('?')
		return
	}
	var buf [32]byte
	out := buf[:0]
	for j := 0; j < len(d); {
		p, n := utf8.DecodeRune(d[j:])
		j += n
		switch {
		case p < utf8.RuneSelf:
			out = append(out, cleanASCII(byte(p)))
		case unicode.Is(unicode.Mn, p):
		default:
			t, ok := transliterations[p]
			if !ok {
				b.WriteByte('?')
				return
			}
			out = append(out, t...)
		}
	}
	b.Write(out)
}
