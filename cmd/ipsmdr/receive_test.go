package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/lineio"
)

var listeningRE = regexp.MustCompile(`msg=listening .*address=(\S+)`)

// startReceive runs receive --listen 127.0.0.1:0 with args and returns the
// run and the address it listens on, which it logs.
func startReceive(t *testing.T, ctx context.Context, args ...string) (*toolRun, string) {
	t.Helper()
	r := startTool(ctx, "", append([]string{"receive", "--listen", "127.0.0.1:0"}, args...)...)
	var addr string
	toolWait(t, 10*time.Second, func() string { return "the listening address, stderr: " + r.stderr.String() }, func() bool {
		select {
		case code := <-r.done:
			t.Fatalf("receive ended with %d; stderr:\n%s", code, r.stderr)
		default:
		}
		m := listeningRE.FindStringSubmatch(r.stderr.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	return r, addr
}

func TestReceive(t *testing.T) {
	lines := manualLines(t)
	bad := strings.Replace(lines[0], "|IN |", "|XX |", 1)
	file := filepath.Join(t.TempDir(), "records.txt")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, addr := startReceive(t, ctx, "--append", file, "--format", "json", "--timezone", "UTC")

	// Two servers push at once: a sends the first 10 lines and a bad one
	// and hangs up, b sends the other 10 and stays connected.
	a, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for _, l := range append(slices.Clone(lines[:10]), bad) {
			if _, err := io.WriteString(a, l+"\r\n"); err != nil {
				t.Error(err)
			}
		}
		a.Close()
	}()
	go func() {
		defer wg.Done()
		for _, l := range lines[10:] {
			if _, err := io.WriteString(b, l+"\r\n"); err != nil {
				t.Error(err)
			}
		}
	}()
	wg.Wait()

	wantSize := int64(21 * 164)
	toolWait(t, 10*time.Second, func() string { return "the append file to hold 21 lines, stderr: " + r.stderr.String() }, func() bool {
		fi, err := os.Stat(file)
		return err == nil && fi.Size() == wantSize
	})
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	stored := strings.SplitAfter(string(data), "\r\n")
	stored = stored[:len(stored)-1] // after the last CR LF
	var fromA, fromB []string
	for i, l := range stored {
		if len(l) != 164 || !strings.HasSuffix(l, "\r\n") {
			t.Errorf("stored line %d is %d bytes, want 164 ending CR LF: %q", i+1, len(l), l)
		}
		l = strings.TrimSuffix(l, "\r\n")
		if l == bad || slices.Contains(lines[:10], l) {
			fromA = append(fromA, l)
		} else {
			fromB = append(fromB, l)
		}
	}
	// Each connection's lines are kept in the order they came, bad one too.
	if want := append(slices.Clone(lines[:10]), bad); !slices.Equal(fromA, want) {
		t.Errorf("lines stored from the first connection:\n%q\nwant\n%q", fromA, want)
	}
	if !slices.Equal(fromB, lines[10:]) {
		t.Errorf("lines stored from the second connection:\n%q\nwant\n%q", fromB, lines[10:])
	}

	toolWait(t, 10*time.Second, func() string { return "20 records printed, got:\n" + r.stdout.String() }, func() bool {
		return strings.Count(r.stdout.String(), "\n") == 20
	})
	recs := decodeJSONLines(t, r.stdout.String())
	var printed []string
	for _, rec := range recs {
		printed = append(printed, rec.Line)
	}
	slices.Sort(printed)
	want := slices.Sorted(slices.Values(lines))
	if !slices.Equal(printed, want) {
		t.Errorf("printed lines:\n%q\nwant the 20 records", printed)
	}

	toolWait(t, 10*time.Second, func() string { return "the first connection's close logged, stderr: " + r.stderr.String() }, func() bool {
		return strings.Contains(r.stderr.String(), `msg="connection closed" component=receive remote=`+a.LocalAddr().String())
	})
	errs := r.stderr.String()
	for _, want := range []string{
		`msg="connection opened" component=receive remote=` + a.LocalAddr().String(),
		`msg="connection opened" component=receive remote=` + b.LocalAddr().String(),
		`why="closed by the peer" records=10 bad=1`,
		`level=WARN msg="bad record" component=receive remote=` + a.LocalAddr().String() + ` line_no=11 column=21 field=Direction` + "\n",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}

	// Stopping closes the listener and the connection still open.
	cancel()
	if code := r.wait(t, 10*time.Second); code != 0 {
		t.Errorf("exit %d after cancel, want 0; stderr:\n%s", code, r.stderr)
	}
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := b.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read on a connection after the receiver stopped: %d bytes, %v; want it closed", n, err)
	}
	if !strings.Contains(r.stderr.String(), `remote=`+b.LocalAddr().String()+` why="receiver stopping" records=10 bad=0`) {
		t.Errorf("stderr does not log the second connection closing:\n%s", r.stderr)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Errorf("the listener still accepts after the receiver stopped")
	}
}

func TestReceiveQuietRaw(t *testing.T) {
	lines := manualLines(t)
	file := filepath.Join(t.TempDir(), "records.txt")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--append", file, "--quiet"}, ""},
		{[]string{"--append", file}, strings.Join(lines[:3], "\n") + "\n"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		r, addr := startReceive(t, ctx, tc.args...)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines[:3] {
			io.WriteString(c, l+"\r\n")
		}
		c.Close()
		toolWait(t, 10*time.Second, func() string { return "the connection to close, stderr: " + r.stderr.String() }, func() bool {
			return strings.Contains(r.stderr.String(), "records=3")
		})
		cancel()
		if code := r.wait(t, 10*time.Second); code != 0 {
			t.Errorf("%v: exit %d, want 0", tc.args, code)
		}
		if got := r.stdout.String(); got != tc.want {
			t.Errorf("%v: output %q, want %q", tc.args, got, tc.want)
		}
	}
	// Both runs appended to the same file.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	one := strings.Join(lines[:3], "\r\n") + "\r\n"
	if string(data) != one+one {
		t.Errorf("append file:\n%q\nwant the 3 lines twice", data)
	}
}

func TestReceiveAppendFails(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := runTool(t, "", "receive", "--listen", "127.0.0.1:0", "--append", dir)
	if code != 1 || !strings.Contains(errs, "--append: ") {
		t.Errorf("exit %d, stderr %q; want 1 and the --append error", code, errs)
	}
}

func TestReceiveListenFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errs := runTool(t, "", "receive", "--listen", ln.Addr().String())
	if code != 1 || !strings.Contains(errs, "listen on "+ln.Addr().String()) {
		t.Errorf("exit %d, stderr %q; want 1 and the listen error", code, errs)
	}
}

func TestReceiveUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"receive"}, "--listen is required"},
		{[]string{"receive", "--listen", "127.0.0.1:0", "extra"}, `unexpected argument "extra"`},
		{[]string{"receive", "--listen", "2008"}, `--listen "2008" is not HOST:PORT`},
		{[]string{"receive", "--listen", "127.0.0.1:0", "--format", "csv"}, `--format "csv" is not allowed: want raw, json or table`},
		{[]string{"receive", "--listen", "127.0.0.1:0", "--padding-char", "7"}, `--padding-char "7" is not allowed`},
		{[]string{"receive", "--listen", "127.0.0.1:0", "--time-format", "12"}, `--time-format "12" is not allowed: want auto, 24h`},
	} {
		code, _, errs := runTool(t, "", tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestReceiveLogsNoFieldText checks that a bad line's warning names only the
// column and the field, and that the reason, which quotes the field's text,
// and the line are logged at debug level alone.
func TestReceiveLogsNoFieldText(t *testing.T) {
	lines := manualLines(t)
	bad := strings.Replace(lines[0], "2012030901204052070264", "2012O30901204052070264", 1)
	in := bad + "\r\n" + strings.Repeat("9", lineio.MaxLength+1) + "\r\n" + lines[1] + "\r\n"
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var buf strings.Builder
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))
		r := &receiver{log: log}
		var records, nbad int
		end := r.read(context.Background(), newLineReader(strings.NewReader(in)), log, &records, &nbad)
		if end.err != nil || records != 1 || nbad != 2 {
			t.Fatalf("level %v: %+v, %d records, %d bad; want 1 and 2", level, end, records, nbad)
		}
		var warns, debugs []string
		for _, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
			switch {
			case strings.Contains(l, "level=WARN"):
				warns = append(warns, l)
			case strings.Contains(l, "level=DEBUG"):
				debugs = append(debugs, l)
			}
		}
		if len(warns) != 2 || !strings.HasSuffix(warns[0], `msg="bad record" line_no=1 column=27 field="Call ID"`) ||
			!strings.HasSuffix(warns[1], `msg="bad line, not kept" line_no=2 column=0 field=""`) {
			t.Errorf("level %v: warnings %q, want the column and field of each", level, warns)
		}
		for _, w := range warns {
			if strings.Contains(w, "CHRIS") || strings.Contains(w, "2012O3") {
				t.Errorf("level %v: warning %q quotes the line", level, w)
			}
		}
		switch {
		case level == slog.LevelInfo && len(debugs) != 0:
			t.Errorf("level info: debug lines %q", debugs)
		case level == slog.LevelDebug && (len(debugs) != 2 ||
			!strings.Contains(debugs[0], `error="column 27 (Call ID): \"2012O30901204052070264\" is not 22 digits`) ||
			!strings.Contains(debugs[0], "line=") || !strings.Contains(debugs[1], "line longer than 4096 characters")):
			t.Errorf("level debug: debug lines %q, want the reasons and the bad record's line", debugs)
		}
	}
}
