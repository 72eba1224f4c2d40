package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// buildBinary builds the ipsmdr command once per test run.
func buildBinary(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "ipsmdr")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// TestDemoAsANewUserRunsIt starts `ipsmdr demo` as the README says, reads
// the addresses it prints, and runs `ipsmdr tail` on its local port: records
// show within seconds, and within one simulated hour every one of the nine
// event types has appeared.
func TestDemoAsANewUserRunsIt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The README's command, with other ports (the default ones may be taken
	// on a test machine) and at 360x: one simulated hour takes ten seconds.
	demo := exec.Command(bin, "demo", "--speed", "360", "--seed", "1",
		"--local-port", freePort(t), "--http-address", "127.0.0.1:0", "--collect-http-address", "127.0.0.1:0")
	demo.Dir = dir
	demo.Stderr = os.Stderr
	demo.WaitDelay = 10 * time.Second
	out, err := demo.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		// Ctrl-C must stop the demo cleanly, with exit status 0.
		demo.Process.Signal(os.Interrupt)
		exited := make(chan error, 1)
		go func() { exited <- demo.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("demo after Ctrl-C: %v, want exit status 0", err)
			}
		case <-time.After(15 * time.Second):
			demo.Process.Kill()
			t.Errorf("demo did not stop within 15 s of Ctrl-C")
		}
	}()
	tailRE := regexp.MustCompile(`ipsmdr tail (\S+)`)
	callsRE := regexp.MustCompile(`curl (http://\S+/api/v1/calls)`)
	var addr, callsURL string
	sc := bufio.NewScanner(out)
	for (addr == "" || callsURL == "") && sc.Scan() {
		if m := tailRE.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
		}
		if m := callsRE.FindStringSubmatch(sc.Text()); m != nil {
			callsURL = m[1]
		}
	}
	if addr == "" || callsURL == "" {
		t.Fatalf("demo did not print the tail command and the collector's calls URL (%v)", sc.Err())
	}
	go func() { // keep draining what the demo prints
		for sc.Scan() {
		}
	}()

	tail := exec.CommandContext(ctx, bin, "tail", "--format", "json", addr)
	tail.Stderr = os.Stderr
	tout, err := tail.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	defer tail.Wait()
	defer tail.Process.Kill()

	seen := map[string]bool{}
	var first time.Time
	ts := bufio.NewScanner(tout)
	for ts.Scan() {
		var rec struct {
			Time  time.Time `json:"time"`
			Event string    `json:"event"`
		}
		if err := json.Unmarshal(ts.Bytes(), &rec); err != nil {
			t.Fatalf("tail printed %q: %v", ts.Text(), err)
		}
		if first.IsZero() {
			first = rec.Time
			t.Logf("first record %v after tail started", time.Since(started).Round(time.Millisecond))
			if time.Since(started) > 10*time.Second {
				t.Errorf("first record took %v, want it within seconds", time.Since(started))
			}
		}
		if rec.Time.Sub(first) > time.Hour {
			break
		}
		seen[rec.Event] = true
		if len(seen) == len(smdr.Events) {
			break
		}
	}
	var missing []string
	for _, e := range smdr.Events {
		if !seen[string(e)] {
			missing = append(missing, string(e))
		}
	}
	if len(missing) > 0 {
		t.Fatalf("within one simulated hour these event types did not appear: %s", strings.Join(missing, ", "))
	}

	// The demo's collector has put calls together from the same records.
	var calls struct {
		Calls []struct {
			CallID  string `json:"call_id"`
			Outcome string `json:"outcome"`
		} `json:"calls"`
	}
	toolWait(t, 20*time.Second, func() string { return "closed calls at " + callsURL }, func() bool {
		resp, err := http.Get(callsURL + "?open=false")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&calls) == nil && len(calls.Calls) > 0
	})
	for _, c := range calls.Calls {
		if c.Outcome == "" || len(c.CallID) != smdr.CallIDLength {
			t.Errorf("demo collector's call %+v: want a Call ID and an outcome", c)
		}
	}
}
