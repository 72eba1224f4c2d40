package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// crashKills is how many times TestServerSIGKILLLosesNoAcceptedRecord kills
// the server: 10, or 100 with IPSMDR_SOAK=1 (the long form).
func crashKills() int {
	if os.Getenv("IPSMDR_SOAK") == "1" {
		return 100
	}
	return 10
}

// serverProc is an `ipsmdr serve` process.
type serverProc struct {
	cmd  *exec.Cmd
	http string
	done chan error
}

func startServer(tb testing.TB, bin string, args ...string) *serverProc {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &serverProc{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	return p
}

// waitHealthy polls /healthz until the server answers.
func waitHealthy(tb testing.TB, base string) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("server at %s did not become healthy", base)
}

// TestServerSIGKILLLosesNoAcceptedRecord kills the server with SIGKILL while
// events are being posted, again and again, restarting it each time on the
// same journal. Every record whose ingest call succeeded must be in the
// journal afterwards and reach the push receiver, with no gap and in order.
// Four posters run at once, so that kills land on groups of requests, and
// each call spans two requests, so that calls cross kills (a call that
// started after the last snapshot of the calls in progress is refused after
// the restart, which the test allows: its refused event wrote nothing). It
// runs with both sync settings.
func TestServerSIGKILLLosesNoAcceptedRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it repeatedly")
	}
	bin := buildBinary(t)
	for _, sync := range []string{"always", "100ms"} {
		t.Run("sync="+sync, func(t *testing.T) { crashTest(t, bin, sync) })
	}
}

func crashTest(t *testing.T, bin, syncSetting string) {
	dir := t.TempDir()
	rcv := smdrtest.Listen(t, "127.0.0.1:0")
	httpAddr := "127.0.0.1:" + freePort(t)
	base := "http://" + httpAddr
	args := []string{
		"--journal-dir", filepath.Join(dir, "journal"), "--journal-sync", syncSetting,
		"--local-port", freePort(t), "--listen-address", "127.0.0.1",
		"--http-address", httpAddr,
		"--push-enabled", "--push-target", rcv.Addr(),
		"--push-retry-min", "20ms", "--push-retry-max", "200ms",
		"--timezone", "UTC",
	}

	var (
		mu    sync.Mutex
		acked []string // lines whose ingest call succeeded
	)
	client := &http.Client{Timeout: 5 * time.Second}
	post := func(body string) {
		resp, err := client.Post(base+"/api/v1/events", "application/x-ndjson", strings.NewReader(body))
		if err != nil {
			time.Sleep(5 * time.Millisecond) // the server is down
			return
		}
		var reply struct {
			Records []struct{ Line string } `json:"records"`
		}
		err = json.NewDecoder(resp.Body).Decode(&reply)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			return // not acknowledged: may or may not be stored
		}
		mu.Lock()
		for _, r := range reply.Records {
			acked = append(acked, r.Line+"\r\n")
		}
		mu.Unlock()
	}
	ctx, stopPosting := context.WithCancel(context.Background())
	defer stopPosting()
	var posting sync.WaitGroup
	for w := 0; w < 4; w++ {
		posting.Add(1)
		go func() {
			defer posting.Done()
			for n := 0; ctx.Err() == nil; n++ {
				key := fmt.Sprintf("w%d-%d", w, n)
				post(fmt.Sprintf(`{"call":%q,"event":"ringing","direction":"in","trunk":"1","number":"%d%06d"}`, key, w+1, n))
				post(fmt.Sprintf(`{"call":%q,"event":"connected"}`, key))
				post(fmt.Sprintf(`{"call":%q,"event":"disconnected"}`, key))
			}
		}()
	}
	ackedCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}

	kills := crashKills()
	for i := 0; i <= kills; i++ {
		p := startServer(t, bin, args...)
		waitHealthy(t, base)
		if i == kills {
			// The last run is not killed: it delivers what is left.
			stopPosting()
			posting.Wait()
			defer func() {
				p.cmd.Process.Signal(syscall.SIGTERM)
				if err := <-p.done; err != nil {
					t.Errorf("server after SIGTERM: %v", err)
				}
			}()
			break
		}
		// Let some calls through, then kill at an arbitrary moment.
		target := ackedCount() + 20 + i*7
		for ackedCount() < target {
			time.Sleep(time.Millisecond)
		}
		p.cmd.Process.Kill()
		<-p.done
	}

	// Everything the journal holds, from the records feed.
	resp, err := http.Get(base + "/api/v1/records?after=0&limit=100000000")
	if err != nil {
		t.Fatal(err)
	}
	var journal [][]byte
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct{ Line string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		journal = append(journal, []byte(r.Line+"\r\n"))
	}
	resp.Body.Close()
	inJournal := make(map[string]bool, len(journal))
	for _, l := range journal {
		inJournal[string(l)] = true
	}
	lost := 0
	for _, l := range acked {
		if !inJournal[l] {
			lost++
		}
	}
	t.Logf("%d kills: %d records acknowledged, %d in the journal", kills, len(acked), len(journal))
	if lost > 0 {
		t.Fatalf("%d acknowledged records are not in the journal after %d kills", lost, kills)
	}
	deadline := time.Now().Add(30 * time.Second)
	var rep smdrtest.SequenceReport
	for {
		rep = smdrtest.CheckSequence(journal, rcv.Snapshot())
		if rep.OK() || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("push receiver: %v", rep)
	if !rep.OK() {
		status := "unavailable"
		if resp, err := http.Get(base + "/api/v1/status"); err == nil {
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			resp.Body.Close()
			status = b.String()
		}
		t.Fatalf("push receiver: %v\nfirst missing: %q\nserver status: %s", rep, journal[rep.FirstGap], status)
	}
	// A line cut short by a kill ends its connection without CR LF and is
	// not counted as a line; every line received must be whole.
	if bad := rcv.Bad(); len(bad) > 0 {
		t.Errorf("%d received lines are not 164 bytes ending CR LF, e.g. %q", len(bad), bad[0])
	}
}
