package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// startFeed listens on 127.0.0.1:0 like a server's local port and hands the
// n-th connection it accepts (from 0) to handle, which owns it. It returns
// the address; the listener closes and the handlers are waited for when the
// test ends.
func startFeed(t *testing.T, handle func(n int, c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(n, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// writeLines writes lines to c, each with CR LF.
func writeLines(t *testing.T, c net.Conn, lines []string) {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		t.Errorf("feed: %v", err)
	}
}

func TestTailFormats(t *testing.T) {
	lines := manualLines(t)
	addr := startFeed(t, func(_ int, c net.Conn) { writeLines(t, c, lines) })

	t.Run("raw", func(t *testing.T) {
		code, out, errs := runTool(t, "", "tail", addr)
		if code != 1 || !strings.Contains(errs, "closed by the server") {
			t.Errorf("exit %d, stderr %q; want 1 and a message that the server closed the connection", code, errs)
		}
		if want := strings.Join(lines, "\n") + "\n"; out != want {
			t.Errorf("output:\n%s\nwant the lines as sent:\n%s", out, want)
		}
	})
	t.Run("json", func(t *testing.T) {
		code, out, errs := runTool(t, "", "tail", "--format", "json", "--timezone", "UTC", addr)
		if code != 1 {
			t.Errorf("exit %d, want 1; stderr %q", code, errs)
		}
		checkManualJSON(t, decodeJSONLines(t, out), lines)
	})
	t.Run("table", func(t *testing.T) {
		code, out, errs := runTool(t, "", "tail", "--format", "table", addr)
		if code != 1 {
			t.Errorf("exit %d, want 1; stderr %q", code, errs)
		}
		var rows, warnings []string
		for _, r := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if strings.HasPrefix(r, tableWarning) {
				warnings = append(warnings, fmt.Sprintf("%d %s", len(rows)-1, r))
				continue
			}
			rows = append(rows, r)
		}
		if len(rows) != 21 {
			t.Fatalf("got %d rows, want a header and 20 records:\n%s", len(rows), out)
		}
		head := rows[0]
		for _, h := range []string{"TIME", "DIR", "CALL ID", "TRUNK", "EXT", "SRC", "NUMBER", "NAME", "DDI", "DDI NAME", "ACCOUNT", "EVENT"} {
			if !strings.Contains(head, h) {
				t.Errorf("header %q lacks %q", head, h)
			}
		}
		for i, r := range rows {
			if len(r) > 160 {
				t.Errorf("row %d is %d characters, want at most 160", i, len(r))
			}
		}
		// Columns line up: the event and the call ID sit under their
		// headings.
		ev, id := strings.Index(head, "EVENT"), strings.Index(head, "CALL ID")
		tr := rows[17]
		if !strings.HasPrefix(tr[ev:], "TRANSFERRED") || !strings.HasPrefix(tr[id:], "2012030901311586070264") {
			t.Errorf("row 17 not aligned with the header:\n%s\n%s", head, tr)
		}
		if !strings.HasPrefix(tr, "2012-03-09 01:31:27 IN ") || !strings.Contains(tr, " 2560    1843    79XXXXXXXX ") {
			t.Errorf("row 17 = %q", tr)
		}
		if !strings.HasPrefix(rows[5], "2012-03-09 00:46:59 OUT") {
			t.Errorf("row 5 = %q, want the time read as 00:46:59", rows[5])
		}
		// The outbound call's three records were on a 12-hour clock.
		if len(warnings) != 3 || !strings.HasPrefix(warnings[0], "5   warning: time 12:46:59 read as 00:46:59") {
			t.Errorf("warnings %q, want one under each of rows 5 to 7", warnings)
		}
	})
}

// TestTailTimeFormat checks that --time-format reaches the parser: read on
// a 24-hour clock, the manual's outbound call is at 12:46:59, unguessed.
func TestTailTimeFormat(t *testing.T) {
	lines := manualLines(t)
	addr := startFeed(t, func(_ int, c net.Conn) { writeLines(t, c, lines[4:7]) })
	for _, tc := range []struct{ format, want string }{
		{"24h", "2012-03-09T12:46:59Z"},
		{"12h", "2012-03-09T00:46:59Z"},
	} {
		code, out, errs := runTool(t, "", "tail", "--format", "json", "--timezone", "UTC", "--time-format", tc.format, addr)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1; stderr %q", tc.format, code, errs)
		}
		recs := decodeJSONLines(t, out)
		if len(recs) != 3 || recs[0].Time != tc.want || len(recs[0].Warnings) != 0 {
			t.Errorf("%s: got %+v, want 3 records, the first at %s without warnings", tc.format, recs, tc.want)
		}
	}
}

func TestTailBadLine(t *testing.T) {
	lines := manualLines(t)
	bad := strings.Replace(lines[1], "2012030901204052070264", "2012O30901204052070264", 1)
	addr := startFeed(t, func(_ int, c net.Conn) { writeLines(t, c, []string{lines[0], bad, "", lines[2]}) })
	code, out, errs := runTool(t, "", "tail", "--format", "json", addr)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if recs := decodeJSONLines(t, out); len(recs) != 2 || recs[1].Event != "CALLMODIFIED" {
		t.Errorf("got %+v, want records 1 and 3 (tail goes on after a bad line)", recs)
	}
	if want := addr + " line 2: column 27 (Call ID): "; !strings.Contains(errs, want) || !strings.Contains(errs, bad) {
		t.Errorf("stderr %q lacks %q and the line", errs, want)
	}

	// The raw format shows the feed as it is, bad line included.
	_, out, _ = runTool(t, "", "tail", addr)
	if want := lines[0] + "\n" + bad + "\n" + lines[2] + "\n"; out != want {
		t.Errorf("raw output %q, want %q", out, want)
	}
}

func TestTailCancelWhileWaiting(t *testing.T) {
	accepted := make(chan struct{})
	release := make(chan struct{})
	addr := startFeed(t, func(_ int, c net.Conn) {
		close(accepted)
		<-release
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := startTool(ctx, "", "tail", addr)
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("tail did not connect")
	}
	cancel()
	if code := r.wait(t, 10*time.Second); code != 0 {
		t.Errorf("exit %d after cancel, want 0; stderr %q", code, r.stderr)
	}
}

func TestTailReconnect(t *testing.T) {
	lines := manualLines(t)
	release := make(chan struct{})
	addr := startFeed(t, func(n int, c net.Conn) {
		switch n {
		case 0:
			writeLines(t, c, lines[:2]) // then close: tail reconnects
		case 1:
			writeLines(t, c, lines[2:4])
			<-release
		}
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := startTool(ctx, "", "tail", "--reconnect", addr)
	want := strings.Join(lines[:4], "\n") + "\n"
	toolWait(t, 10*time.Second, func() string { return "4 lines, got " + r.stdout.String() + "\nstderr: " + r.stderr.String() },
		func() bool { return r.stdout.String() == want })
	if errs := r.stderr.String(); !strings.Contains(errs, "closed by the server; reconnecting in 100ms") {
		t.Errorf("stderr %q does not say it reconnects", errs)
	}
	cancel()
	if code := r.wait(t, 10*time.Second); code != 0 {
		t.Errorf("exit %d after cancel, want 0", code)
	}
}

func TestTailReconnectBacksOff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every attempt is refused

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := startTool(ctx, "", "tail", "--reconnect", addr)
	toolWait(t, 10*time.Second, func() string { return "backoff to 400ms, stderr: " + r.stderr.String() },
		func() bool { return strings.Contains(r.stderr.String(), "reconnecting in 400ms") })
	errs := r.stderr.String()
	for _, d := range []string{"100ms", "200ms"} {
		if !strings.Contains(errs, "reconnecting in "+d) {
			t.Errorf("stderr %q lacks a retry in %s", errs, d)
		}
	}
	cancel()
	if code := r.wait(t, 10*time.Second); code != 0 {
		t.Errorf("exit %d after cancel, want 0", code)
	}
}

func TestTailConnectFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, _, errs := runTool(t, "", "tail", addr)
	if code != 1 || !strings.Contains(errs, "connect to "+addr) {
		t.Errorf("exit %d, stderr %q; want 1 and connect to %s", code, errs, addr)
	}
}

func TestTailUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tail"}, "missing HOST:PORT"},
		{[]string{"tail", "127.0.0.1:2007", "127.0.0.1:2008"}, `unexpected argument "127.0.0.1:2008": want one HOST:PORT`},
		{[]string{"tail", "127.0.0.1:2007", "--format", "json"}, "flags go before HOST:PORT"},
		{[]string{"tail", "2007"}, `"2007" is not HOST:PORT`},
		{[]string{"tail", "--format", "csv", "127.0.0.1:2007"}, `--format "csv" is not allowed: want raw, json or table`},
		{[]string{"tail", "--timezone", "", "127.0.0.1:2007"}, "--timezone is empty"},
		{[]string{"tail", "--time-format", "ampm", "127.0.0.1:2007"}, `--time-format "ampm" is not allowed: want auto, 24h`},
	} {
		code, _, errs := runTool(t, "", tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}
