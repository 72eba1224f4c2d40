package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/lineio"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// The helpers below are shared by the tests of parse, tail and receive.

// toolBuffer is a bytes.Buffer safe for the concurrent writes of a command
// running in another goroutine.
type toolBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *toolBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *toolBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// toolRun is a command started by startTool.
type toolRun struct {
	stdout, stderr *toolBuffer
	done           chan int // receives the exit status
}

// startTool runs ipsmdr with args in a goroutine, with stdin as its input.
func startTool(ctx context.Context, stdin string, args ...string) *toolRun {
	r := &toolRun{stdout: new(toolBuffer), stderr: new(toolBuffer), done: make(chan int, 1)}
	io := &stdio{
		stdin:  strings.NewReader(stdin),
		stdout: r.stdout,
		stderr: r.stderr,
		getenv: func(string) string { return "" },
	}
	go func() { r.done <- run(ctx, args, io) }()
	return r
}

// wait returns the exit status, failing the test if the command does not end
// within the timeout.
func (r *toolRun) wait(tb testing.TB, timeout time.Duration) int {
	tb.Helper()
	select {
	case code := <-r.done:
		return code
	case <-time.After(timeout):
		tb.Fatalf("command still running after %v\nstdout:\n%s\nstderr:\n%s", timeout, r.stdout, r.stderr)
		return -1
	}
}

// runTool runs ipsmdr with args to the end and returns its exit status,
// stdout and stderr.
func runTool(tb testing.TB, stdin string, args ...string) (int, string, string) {
	tb.Helper()
	r := startTool(context.Background(), stdin, args...)
	code := r.wait(tb, 10*time.Second)
	return code, r.stdout.String(), r.stderr.String()
}

// toolWait polls cond until it holds, failing the test with what if it does
// not within the timeout.
func toolWait(tb testing.TB, timeout time.Duration, what func() string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting: %s", timeout, what())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// manualLines returns the manual's 20 example lines, without their CR LF.
func manualLines(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "manual-examples.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
	if len(lines) != 20 {
		tb.Fatalf("testdata/manual-examples.txt: %d lines, want 20", len(lines))
	}
	return lines
}

// decodeJSONLines decodes the json format's output, one record per line.
func decodeJSONLines(tb testing.TB, out string) []jsonRecord {
	tb.Helper()
	var recs []jsonRecord
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		var keys map[string]any
		if err := json.Unmarshal([]byte(line), &keys); err != nil {
			tb.Fatalf("output line %d is not JSON: %v\n%s", i+1, err, line)
		}
		if len(keys) != len(recordColumns) {
			tb.Errorf("output line %d has %d keys, want %d (%v)", i+1, len(keys), len(recordColumns), recordColumns)
		}
		var r jsonRecord
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			tb.Fatalf("output line %d: %v\n%s", i+1, err, line)
		}
		recs = append(recs, r)
	}
	return recs
}

// The manual's records 1, 5 and 17 as the json format gives them in UTC.
var (
	wantManual1 = jsonRecord{RecordJSON: smdr.RecordJSON{Time: "2012-03-09T01:20:40Z", Direction: "IN", CallID: "2012030901204052070264",
		Trunk: "92108", Extension: "1843", SourceExtension: "", Number: "79XXXXXXXX",
		Name: "CHRIS R MOBILE", DDI: "44161XXXXXXX", DDIName: "CHRIS DID", AccountCode: "",
		Event: "RINGING"}, Warnings: []string{}}
	wantManual5 = jsonRecord{RecordJSON: smdr.RecordJSON{Time: "2012-03-09T00:46:59Z", Direction: "OUT", CallID: "2012030900465982190047",
		Trunk: "92808", Extension: "1843", SourceExtension: "", Number: "79XXXXXXXX",
		Name: "", DDI: "", DDIName: "", AccountCode: "",
		Event: "RINGING"}, Warnings: []string{"time 12:46:59 read as 00:46:59 (12-hour clock, resolved from the Call ID)"}}
	wantManual17 = jsonRecord{RecordJSON: smdr.RecordJSON{Time: "2012-03-09T01:31:27Z", Direction: "IN", CallID: "2012030901311586070264",
		Trunk: "92108", Extension: "2560", SourceExtension: "1843", Number: "79XXXXXXXX",
		Name: "CHRIS R MOBILE", DDI: "44161XXXXXXX", DDIName: "CHRIS DID", AccountCode: "",
		Event: "TRANSFERRED"}, Warnings: []string{}}
)

// checkManualJSON checks the json records of the manual's 20 lines.
func checkManualJSON(tb testing.TB, recs []jsonRecord, lines []string) {
	tb.Helper()
	if len(recs) != 20 {
		tb.Fatalf("got %d records, want 20", len(recs))
	}
	for i, want := range map[int]jsonRecord{1: wantManual1, 5: wantManual5, 17: wantManual17} {
		want.Line = lines[i-1]
		if got := recs[i-1]; !reflect.DeepEqual(got, want) {
			tb.Errorf("record %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	events := []string{
		"RINGING", "ANSWERED", "CALLMODIFIED", "DISCONNECTED",
		"RINGING", "ANSWERED", "DISCONNECTED",
		"RINGING", "ANSWERED", "CALLMODIFIED", "HOLD", "CONNECTED", "DISCONNECTED",
		"RINGING", "ANSWERED", "HOLD", "TRANSFERRED", "RINGING", "CONNECTED", "DISCONNECTED",
	}
	for i, r := range recs {
		if r.Event != events[i] || r.Line != lines[i] {
			tb.Errorf("record %d: event %q line %q, want %q and line %d of the file", i+1, r.Event, r.Line, events[i], i+1)
		}
	}
	if recs[12].Number != "7968543537" {
		tb.Errorf("record 13: number %q, want 7968543537", recs[12].Number)
	}
}

func TestParseManualExamplesJSON(t *testing.T) {
	code, out, errs := runTool(t, "", "parse", "--timezone", "UTC", "testdata/manual-examples.txt")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs)
	}
	checkManualJSON(t, decodeJSONLines(t, out), manualLines(t))
	if errs != "20 records, 0 errors\n" {
		t.Errorf("stderr = %q, want the summary %q", errs, "20 records, 0 errors\n")
	}
}

func TestParseTimezone(t *testing.T) {
	code, out, errs := runTool(t, "", "parse", "--timezone", "Europe/Helsinki", "testdata/manual-examples.txt")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs)
	}
	recs := decodeJSONLines(t, out)
	if got, want := recs[4].Time, "2012-03-09T00:46:59+02:00"; got != want {
		t.Errorf("record 5 time = %s, want %s", got, want)
	}
}

func TestParseCSV(t *testing.T) {
	code, out, errs := runTool(t, "", "parse", "--format", "csv", "--timezone", "UTC", "testdata/manual-examples.txt")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, out)
	}
	if len(rows) != 21 {
		t.Fatalf("got %d rows, want a header and 20 records", len(rows))
	}
	if !reflect.DeepEqual(rows[0], recordColumns) {
		t.Errorf("header = %v, want %v", rows[0], recordColumns)
	}
	lines := manualLines(t)
	want := []string{
		"2012-03-09T01:31:27Z", "IN", "2012030901311586070264", "92108", "2560", "1843",
		"79XXXXXXXX", "CHRIS R MOBILE", "44161XXXXXXX", "CHRIS DID", "", "TRANSFERRED", lines[16], "",
	}
	if !reflect.DeepEqual(rows[17], want) {
		t.Errorf("row 17:\n got %q\nwant %q", rows[17], want)
	}
	if got, want := rows[5][0], "2012-03-09T00:46:59Z"; got != want {
		t.Errorf("row 5 time = %s, want %s", got, want)
	}
	if !strings.Contains(rows[5][13], "12-hour clock") {
		t.Errorf("row 5 warnings = %q, want the 12-hour clock warning", rows[5][13])
	}
}

// TestParseFormatsAgree checks that csv and json carry the same values.
func TestParseFormatsAgree(t *testing.T) {
	_, jsonOut, _ := runTool(t, "", "parse", "testdata/manual-printed.txt")
	_, csvOut, _ := runTool(t, "", "parse", "--format", "csv", "testdata/manual-printed.txt")
	recs := decodeJSONLines(t, jsonOut)
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(recs)+1 || len(recs) != 20 {
		t.Fatalf("%d csv rows and %d json records, want 21 and 20", len(rows), len(recs))
	}
	for i, r := range recs {
		want := []string{r.Time, r.Direction, r.CallID, r.Trunk, r.Extension, r.SourceExtension,
			r.Number, r.Name, r.DDI, r.DDIName, r.AccountCode, r.Event, r.Line, strings.Join(r.Warnings, "; ")}
		if !reflect.DeepEqual(rows[i+1], want) {
			t.Errorf("record %d:\ncsv  %q\njson %q", i+1, rows[i+1], want)
		}
	}
}

// TestParsePrintedVariants reads the manual's printed copy (spacing
// collapsed, the outbound call in the 12-field form, LF line endings): the
// records are the manual's, with the parser's warnings.
func TestParsePrintedVariants(t *testing.T) {
	code, out, errs := runTool(t, "", "parse", "--timezone", "UTC", "testdata/manual-printed.txt")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs)
	}
	recs := decodeJSONLines(t, out)
	if len(recs) != 20 {
		t.Fatalf("got %d records, want 20", len(recs))
	}
	r := recs[4]
	if r.Time != "2012-03-09T00:46:59Z" || r.Direction != "OUT" || r.DDIName != "" || r.Event != "RINGING" {
		t.Errorf("record 5 = %+v, want the outbound RINGING at 00:46:59", r)
	}
	joined := strings.Join(r.Warnings, "; ")
	for _, w := range []string{"read by pipes and tokens", "12-field form", "12-hour clock"} {
		if !strings.Contains(joined, w) {
			t.Errorf("record 5 warnings %q lack %q", r.Warnings, w)
		}
	}
	if r := recs[16]; r.SourceExtension != "1843" || r.Extension != "2560" || r.Event != "TRANSFERRED" || len(r.Warnings) == 0 {
		t.Errorf("record 17 = %+v, want TRANSFERRED 1843 -> 2560 with warnings", r)
	}
}

func TestParseBadLines(t *testing.T) {
	code, out, errs := runTool(t, "", "parse", "testdata/bad-lines.txt")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if n := len(decodeJSONLines(t, out)); n != 3 {
		t.Errorf("got %d records, want the 3 good ones", n)
	}
	got := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
	want := []string{
		"testdata/bad-lines.txt:3: column 27 (Call ID): ",
		"testdata/bad-lines.txt:6: column 21 (Direction): ",
		"testdata/bad-lines.txt:7: column 101 (Name): ",
		"ipsmdr parse: 3 records, 3 errors",
	}
	if len(got) != len(want) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(got), len(want), errs)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("stderr line %d = %q, want it to start %q", i+1, got[i], want[i])
		}
	}
}

func TestParseStdin(t *testing.T) {
	lines := manualLines(t)
	lf := strings.Join(lines, "\n") + "\n\n" // LF endings and a blank line
	for _, args := range [][]string{{"parse", "--timezone", "UTC"}, {"parse", "--timezone", "UTC", "-"}} {
		code, out, errs := runTool(t, lf, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, want 0; stderr:\n%s", args, code, errs)
		}
		checkManualJSON(t, decodeJSONLines(t, out), lines)
	}

	code, _, errs := runTool(t, "not a record\n", "parse", "-")
	if code != 1 || !strings.HasPrefix(errs, "<stdin>:1: ") {
		t.Errorf("bad stdin: exit %d, stderr %q; want 1 and <stdin>:1: ...", code, errs)
	}
}

func TestParseSeveralFiles(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.txt")
	code, out, errs := runTool(t, "", "parse", "testdata/manual-examples.txt", missing, "testdata/manual-printed.txt")
	if code != 1 {
		t.Errorf("exit %d, want 1 for the missing file", code)
	}
	if n := len(decodeJSONLines(t, out)); n != 40 {
		t.Errorf("got %d records, want 40", n)
	}
	if !strings.Contains(errs, missing) || !strings.Contains(errs, "40 records, 1 errors") {
		t.Errorf("stderr = %q, want the missing file named and the summary", errs)
	}
}

func TestParseEmptyCSVHasHeader(t *testing.T) {
	code, out, _ := runTool(t, "", "parse", "--format", "csv")
	if code != 0 || out != strings.Join(recordColumns, ",")+"\n" {
		t.Errorf("exit %d, output %q; want 0 and the header alone", code, out)
	}
}

func TestParseUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"parse", "--format", "table"}, `--format "table" is not allowed: want json or csv`},
		{[]string{"parse", "--padding-char", "12"}, `--padding-char "12" is not allowed`},
		{[]string{"parse", "--padding-char", "|"}, `--padding-char "|" is not allowed`},
		{[]string{"parse", "--timezone", "Mars/Olympus"}, `--timezone "Mars/Olympus" is not allowed`},
		{[]string{"parse", "--time-format", "24"}, `--time-format "24" is not allowed: want auto, 24h (ipsmdr's default) or 12h`},
		{[]string{"parse", "--nope"}, "flag provided but not defined: -nope"},
	} {
		code, _, errs := runTool(t, "", tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
	code, out, _ := runTool(t, "", "parse", "--help")
	if code != 0 || !strings.Contains(out, "Usage: ipsmdr parse") ||
		!strings.Contains(out, "--time-format auto|24h|12h") || !strings.Contains(out, "the clock the source prints") {
		t.Errorf("--help: exit %d, stdout %q", code, out)
	}
}

// TestParseTimeFormat checks that --time-format reaches the parser: a
// record of a call cleared after 24 hours, printed on a 24-hour clock at
// 12:30, and the manual's outbound record, printed on a 12-hour clock.
func TestParseTimeFormat(t *testing.T) {
	lines := manualLines(t)
	long := "2024-01-02 12:30:05" + lines[0][19:26] + "20240101123000" + lines[0][40:]
	in := long + "\r\n" + lines[4] + "\r\n"
	for _, tc := range []struct {
		args       []string
		long, out5 string // times read
		warnings   int
	}{
		{nil, "2024-01-02T00:30:05Z", "2012-03-09T00:46:59Z", 2},
		{[]string{"--time-format", "auto"}, "2024-01-02T00:30:05Z", "2012-03-09T00:46:59Z", 2},
		{[]string{"--time-format", "24h"}, "2024-01-02T12:30:05Z", "2012-03-09T12:46:59Z", 0},
		{[]string{"--time-format", "12h"}, "2024-01-02T00:30:05Z", "2012-03-09T00:46:59Z", 0},
	} {
		code, out, errs := runTool(t, in, append([]string{"parse", "--timezone", "UTC"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d; stderr:\n%s", tc.args, code, errs)
		}
		recs := decodeJSONLines(t, out)
		if len(recs) != 2 || recs[0].Time != tc.long || recs[1].Time != tc.out5 ||
			len(recs[0].Warnings)+len(recs[1].Warnings) != tc.warnings {
			t.Errorf("%v: got %+v\nwant times %s, %s and %d warnings", tc.args, recs, tc.long, tc.out5, tc.warnings)
		}
	}
}

// TestRecordFlagsTimeFormat checks --time-format as tail, receive and parse
// share it.
func TestRecordFlagsTimeFormat(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want smdr.Clock
	}{
		{nil, smdr.ClockAuto},
		{[]string{"--time-format", "auto"}, smdr.ClockAuto},
		{[]string{"--time-format", "24h"}, smdr.Clock24},
		{[]string{"--time-format=12h"}, smdr.Clock12},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		rf := bindRecordFlags(fs, formatJSON)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		opts, err := rf.options()
		if err != nil || opts.Clock != tc.want {
			t.Errorf("%v: clock %v, %v; want %v", tc.args, opts.Clock, err, tc.want)
		}
	}
	for _, bad := range []string{"", "24", "12H", "am/pm"} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		rf := bindRecordFlags(fs, formatJSON)
		if err := fs.Parse([]string{"--time-format", bad}); err != nil {
			t.Fatal(err)
		}
		_, err := rf.options()
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "want auto, 24h (ipsmdr's default) or 12h") {
			t.Errorf("--time-format %q: error %v, want a usage error naming auto, 24h and 12h", bad, err)
		}
	}
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", lineio.MaxLength+10)
	in := "one\r\ntwo\n\n" + long + "\nthree\r\nlast"
	l := newLineReader(strings.NewReader(in))
	type got struct {
		n    int
		line string
		err  string
	}
	var gots []got
	for {
		line, err := l.next()
		if errors.Is(err, io.EOF) {
			break
		}
		g := got{n: int(l.n()), line: line}
		if err != nil {
			g.err = err.Error()
		}
		gots = append(gots, g)
	}
	want := []got{
		{1, "one", ""}, {2, "two", ""}, {3, "", ""},
		{4, "", "line longer than 4096 characters, want a 162-character record"},
		{5, "three", ""}, {6, "last", ""},
	}
	if !reflect.DeepEqual(gots, want) {
		t.Errorf("got %+v\nwant %+v", gots, want)
	}
}

func TestParseLongLineAndNoFinalLineEnding(t *testing.T) {
	lines := manualLines(t)
	in := lines[0] + "\r\n" + strings.Repeat("9", 5000) + "\r\n" + lines[1] // no CR LF after the last
	code, out, errs := runTool(t, in, "parse")
	if n := len(decodeJSONLines(t, out)); code != 1 || n != 2 {
		t.Errorf("exit %d with %d records, want 1 and 2", code, n)
	}
	if !strings.HasPrefix(errs, "<stdin>:2: line longer than 4096 characters") || !strings.Contains(errs, "2 records, 1 errors") {
		t.Errorf("stderr = %q", errs)
	}
}
