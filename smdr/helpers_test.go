package smdr_test

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// goldenPath is the package's copy of the manual's example lines; the
// shared original lives at sharedGoldenPath.
const (
	goldenPath       = "testdata/manual-examples.txt"
	sharedGoldenPath = "../../shared/testdata/manual-examples.txt"
	variantsPath     = "testdata/variants.txt"
)

// MustReadGolden returns the golden file's bytes and its lines without CR LF.
func MustReadGolden(tb testing.TB) ([]byte, []string) {
	tb.Helper()
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		tb.Fatalf("%s does not end in CR LF", goldenPath)
	}
	return b, strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
}

// A variant is a line of variants.txt: a record line, the golden line
// (1-based) it stands for, and warnings it must raise.
type variant struct {
	lineNo   int
	line     string
	golden   int
	warnings []string
}

// MustReadVariants reads variants.txt.
func MustReadVariants(tb testing.TB) []variant {
	tb.Helper()
	b, err := os.ReadFile(variantsPath)
	if err != nil {
		tb.Fatal(err)
	}
	var out []variant
	var next *variant
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "# golden "):
			head, warns, _ := strings.Cut(strings.TrimPrefix(line, "# golden "), ": ")
			n, err := strconv.Atoi(head)
			if err != nil {
				tb.Fatalf("%s:%d: %v", variantsPath, i+1, err)
			}
			next = &variant{golden: n, warnings: strings.Split(warns, "; ")}
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			if next == nil {
				tb.Fatalf("%s:%d: record line without a '# golden N' line before it", variantsPath, i+1)
			}
			next.lineNo, next.line = i+1, line
			out = append(out, *next)
			next = nil
		}
	}
	return out
}

// MustParse parses line with opts and fails the test on error.
func MustParse(tb testing.TB, line string, opts smdr.ParseOptions) smdr.Parsed {
	tb.Helper()
	p, err := smdr.Parse(line, opts)
	if err != nil {
		tb.Fatalf("Parse(%q): %v", line, err)
	}
	return p
}

// checkWire checks the invariants of one formatted line on the wire.
func checkWire(tb testing.TB, out []byte) {
	tb.Helper()
	if len(out) != smdr.WireLength {
		tb.Fatalf("len = %d, want %d: %q", len(out), smdr.WireLength, out)
	}
	if out[smdr.LineLength] != '\r' || out[smdr.LineLength+1] != '\n' {
		tb.Fatalf("line does not end in CR LF: %q", out)
	}
	for i, c := range out[:smdr.LineLength] {
		if c < ' ' || c > '~' {
			tb.Fatalf("byte %d is %#x, want printable ASCII: %q", i, c, out)
		}
	}
	if n := bytes.Count(out, []byte("|")); n != 8 {
		tb.Fatalf("%d '|' characters, want 8: %q", n, out)
	}
}
