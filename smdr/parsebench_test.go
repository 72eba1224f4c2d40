package smdr_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// parseBenchRecords is how many lines each BenchmarkParseVsSplit operation
// reads: enough varied records that no branch predictor learns one line.
const parseBenchRecords = 10000

// benchLines returns parseBenchRecords formatted records, CR LF after each,
// as one string: calls in both directions through every event, with names
// and numbers of varied lengths, some fields blank, times on both sides of
// noon, the way a day's feed looks.
func benchLines(tb testing.TB) string {
	tb.Helper()
	names := []string{"CHRIS R MOBILE", "", "RECEPTION", "A", "SALES QUEUE 2", "JO SMITH-BROWN"}
	ddiNames := []string{"CHRIS DID", "", "MAIN", "SUPPORT LINE"}
	numbers := []string{"07700900123", "", "0044161496000", "123", "00441632960001"}
	var f smdr.Formatter
	start := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	var sb strings.Builder
	buf := make([]byte, 0, smdr.WireLength)
	for i := 0; sb.Len() < parseBenchRecords*smdr.WireLength; i++ {
		// One call every 7 seconds from midnight, each a run of events.
		at := start.Add(time.Duration(i) * 7 * time.Second)
		dir := smdr.Inbound
		if i%3 == 0 {
			dir = smdr.Outbound
		}
		r := smdr.Record{
			Direction:       dir,
			CallID:          at.Format("20060102150405") + fmt.Sprintf("%08d", i*7919%100000000),
			Trunk:           fmt.Sprint(92100 + i%40),
			Extension:       fmt.Sprint(1800 + i%300),
			SourceExtension: []string{"", "2560", "0"}[i%3],
			Number:          numbers[i%len(numbers)],
			Name:            names[i%len(names)],
			DDI:             []string{"44161XXXXXXX", ""}[i%2],
			DDIName:         ddiNames[i%len(ddiNames)],
			AccountCode:     []string{"", "", "", "7781"}[i%4],
		}
		for k, e := range []smdr.Event{smdr.Ringing, smdr.Answered, smdr.CallModified, smdr.Hold, smdr.Connected, smdr.Disconnected}[:2+i%5] {
			r.Time = at.Add(time.Duration(k*(1+i%11)) * time.Second)
			r.Event = e
			buf = f.Append(buf[:0], r)
			sb.Write(buf)
			if sb.Len() == parseBenchRecords*smdr.WireLength {
				break
			}
		}
	}
	return sb.String()
}

// collapse returns data with every run of spaces made one space: the
// copies with collapsed spacing that Parse reads by pipes and tokens. A
// line with no run of spaces (a full-width name, DDI name and event word,
// and OUT) would keep its fixed offsets, so it also loses the space before
// its first pipe: every line of the result is read the tolerant way.
func collapse(data string) string {
	var sb strings.Builder
	sb.Grow(len(data))
	var out []byte
	for line := range strings.SplitAfterSeq(data, "\r\n") {
		out = out[:0]
		for i := 0; i < len(line); i++ {
			if line[i] == ' ' && i > 0 && line[i-1] == ' ' {
				continue
			}
			out = append(out, line[i])
		}
		if len(out) == len(line) && len(line) > 0 {
			i := strings.IndexByte(line, '|')
			out = append(append(out[:0], line[:i-1]...), line[i:]...)
		}
		sb.Write(out)
	}
	return sb.String()
}

// fieldOffsets are the start and end of each of the 13 fields of a
// well-formed line (ip-smdr.md §2), the pipe fields without their pipes:
// what a minimal parser with no validation would slice.
var fieldOffsets = [13][2]int{
	{0, 10}, {11, 19}, {21, 24}, {26, 48}, {49, 56}, {57, 64}, {65, 72},
	{73, 88}, {90, 104}, {106, 121}, {123, 133}, {135, 147}, {149, 161},
}

// BenchmarkParseVsSplit measures parser throughput in records per second
// beside the cost of only finding the lines in the same data. Each
// operation reads parseBenchRecords lines:
//
//   - split: finding each line end, the floor any reader pays;
//   - split+fields: that plus slicing the 13 fields at their fixed offsets
//     with no checks, as a minimal parser would;
//   - parse: smdr.Parse of each line, which takes the fixed-offset path,
//     with the options the server reads its own records with by default
//     (Clock24, UTC: internal/server and the records feed);
//   - parse-reference: the same with the parser as it stood before its
//     fixed-offset path was optimised (parseref_test.go), measured beside it;
//   - parse-clockauto: the same with the zero ParseOptions (ClockAuto, the
//     command-line tools' default), which places every hour of 12 or less
//     against the call's start from its Call ID;
//   - parse-collapsed: smdr.Parse, as parse, of the same records with their
//     runs of spaces collapsed (see collapse), read by pipes and tokens (the
//     tolerant path).
//
// With -cpu 1 the figures are per core:
//
//	go test -run '^$' -bench ParseVsSplit -cpu 1 ./smdr
func BenchmarkParseVsSplit(b *testing.B) {
	data := benchLines(b)
	collapsed := collapse(data)
	clock24 := smdr.ParseOptions{Clock: smdr.Clock24, Location: time.UTC}
	for _, tt := range []struct {
		name string
		data string
		each func(line string) int
	}{
		{"split", data, func(line string) int { return len(line) }},
		{"split+fields", data, func(line string) int {
			var fields [13]string
			if len(line) < smdr.LineLength {
				return 0
			}
			for i, o := range fieldOffsets {
				fields[i] = line[o[0]:o[1]]
			}
			return len(fields[3]) + len(fields[12])
		}},
		{"parse", data, parseLine(clock24)},
		{"parse-reference", data, parseReferenceLine(clock24)},
		{"parse-clockauto", data, parseLine(smdr.ParseOptions{})},
		{"parse-collapsed", collapsed, parseLine(clock24)},
	} {
		// Every line must be read as a record, and on the path named:
		// a benchmark of error returns would flatter the parser.
		fixed := tt.name != "parse-collapsed"
		for line := range strings.SplitSeq(strings.TrimSuffix(tt.data, "\r\n"), "\r\n") {
			if tt.each(line) == 0 {
				b.Fatalf("%s: line not read: %q", tt.name, line)
			}
			if (len(line) == smdr.LineLength) != fixed {
				b.Fatalf("%s: line of %d characters: %q", tt.name, len(line), line)
			}
		}
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tt.data)))
			sink := 0
			for b.Loop() {
				n := 0
				for rest := tt.data; len(rest) > 0; {
					i := strings.IndexByte(rest, '\n')
					if i < 0 {
						i = len(rest) - 1
					}
					sink += tt.each(rest[:i+1])
					rest = rest[i+1:]
					n++
				}
				if n != parseBenchRecords {
					b.Fatalf("read %d lines, want %d", n, parseBenchRecords)
				}
			}
			if sink == 0 {
				b.Fatal("nothing read")
			}
			b.ReportMetric(float64(b.N)*parseBenchRecords/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(b.Elapsed().Seconds()*1e9/(float64(b.N)*parseBenchRecords), "ns/record")
		})
	}
}

// parseLine returns a function that parses one line with opts and returns
// a non-zero number that depends on the result, or 0 on error.
func parseLine(opts smdr.ParseOptions) func(string) int {
	return func(line string) int {
		p, err := smdr.Parse(line, opts)
		if err != nil {
			return 0
		}
		return len(p.CallID) + len(p.Event)
	}
}

// parseReferenceLine is parseLine with the reference parser. It calls it
// directly, as parseLine calls Parse, so that the two cost the same around
// the parser.
func parseReferenceLine(opts smdr.ParseOptions) func(string) int {
	return func(line string) int {
		p, err := smdr.ParseReference(line, opts)
		if err != nil {
			return 0
		}
		return len(p.CallID) + len(p.Event)
	}
}
