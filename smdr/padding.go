package smdr

// Offsets of the Source extension field (ip-smdr.md §2).
const (
	sourceExtOffset = 65
	sourceExtWidth  = 7
)

// LinePadding reads the padding character a full-width record was written
// with from the record itself: the Source extension field is blank (all
// padding) on every record but DIVERTED and TRANSFERRED, and right-aligned
// on those, so its first character is the padding unless the extension
// fills all seven places. It reports false for a line that is not 162
// characters with its separators in place, or whose first character there
// cannot be padding (a digit 1 to 9, '|'). A source extension of seven
// digits starting with 0 reads as '0' padding, which is the ambiguity '0'
// padding has anyway (ip-smdr.md §2.1).
func LinePadding(line string) (byte, bool) {
	line = trimLineEnding(line)
	if len(line) != LineLength || !fixedLayout(line) {
		return 0, false
	}
	c := line[sourceExtOffset]
	if !validPaddingByte(c) {
		return 0, false
	}
	return c, true
}
