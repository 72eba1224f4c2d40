package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/server"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
	"github.com/ipsmdr/ipsmdr/internal/tlsconf/tlstest"
	"github.com/ipsmdr/ipsmdr/smdr"
)

func TestMain(m *testing.M) { smdrtest.MainCheckingLeaks(m) }

func open(tb testing.TB, mutate func(*config.Config)) *server.Server {
	tb.Helper()
	cfg := config.Default()
	cfg.ListenAddress = "127.0.0.1"
	cfg.LocalPort = 0
	cfg.Timezone = "UTC"
	cfg.Journal.Dir = tb.TempDir()
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := server.Open(cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv
}

// TestConcurrentIngestGroupsKeepEachRequestApart sends many requests at
// once, some of them bad: the loop prepares them together and writes them
// with shared journal appends, yet each request gets exactly its own
// records, a bad one fails alone, and the journal holds the good ones in
// order with no gap.
func TestConcurrentIngestGroupsKeepEachRequestApart(t *testing.T) {
	srv := open(t, nil)
	const workers, perWorker = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	var mu sync.Mutex
	seqs := map[uint64]bool{}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				key := fmt.Sprintf("w%d-%d", w, i)
				evs := []smdr.CallEvent{
					{Call: key, Event: "ringing", Direction: "in", Trunk: "1", Number: key},
					{Call: key, Event: "disconnected"},
				}
				bad := i%10 == 3
				if bad { // a second event for a call that never started
					evs[1].Call = key + "-ghost"
				}
				got, err := srv.Ingest(context.Background(), evs)
				switch {
				case bad && smdr.ErrorCode(err) != smdr.EConflict:
					errs <- fmt.Errorf("%s: bad request got %v, %v; want a conflict", key, got, err)
				case bad:
				case err != nil:
					errs <- fmt.Errorf("%s: %v", key, err)
				case len(got) != 2 || !strings.Contains(got[0].Line, key) || !strings.Contains(got[1].Line, "DISCONNECTED"):
					errs <- fmt.Errorf("%s: got records %v, want its RINGING and DISCONNECTED", key, got)
				default:
					mu.Lock()
					for _, r := range got {
						if seqs[r.Seq] {
							errs <- fmt.Errorf("seq %d given twice", r.Seq)
						}
						seqs[r.Seq] = true
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	good := workers * perWorker * 9 / 10 * 2
	if last := srv.Journal().Last(); last != uint64(good) || len(seqs) != good {
		t.Errorf("journal last seq %d, %d seqs returned; want %d of each", last, len(seqs), good)
	}
}

func TestOpenFailsCleanlyWhenThePortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	cfg := config.Default()
	cfg.ListenAddress = "127.0.0.1"
	cfg.LocalPort = port
	cfg.Journal.Dir = t.TempDir()
	srv, err := server.Open(cfg, nil)
	if err == nil {
		srv.Close()
		t.Fatal("Open succeeded on a port in use")
	}
	if !strings.Contains(err.Error(), fmt.Sprint(port)) {
		t.Errorf("error %q does not name the address", err)
	}
	// The journal was closed: it can be opened again (its directory lock
	// is free), and goleak finds no goroutine left.
	cfg.LocalPort = 0
	srv, err = server.Open(cfg, nil)
	if err != nil {
		t.Fatalf("Open after a failed Open: %v", err)
	}
	srv.Close()
}

// TestCallsInProgressSurviveARestart stops the server in the middle of a
// call and starts it again on the same journal: the call goes on as if
// nothing happened.
func TestCallsInProgressSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	cfg := func(c *config.Config) { c.Journal.Dir = dir }
	srv := open(t, cfg)
	ingest(t, srv, smdr.CallEvent{Call: "a", Event: "ringing", Direction: "in", Trunk: "92108", Extension: "1843", Number: "07700900123", Name: "CHRIS"},
		smdr.CallEvent{Call: "a", Event: "connected"}, smdr.CallEvent{Call: "a", Event: "hold"})
	srv.Close()

	srv = open(t, cfg)
	got := ingest(t, srv, smdr.CallEvent{Call: "a", Event: "connected"}, smdr.CallEvent{Call: "a", Event: "disconnected"})
	if !strings.Contains(got[0].Line, "0001843") || !strings.Contains(got[0].Line, "|CONNECTED   |") || !strings.Contains(got[0].Line, "|CHRIS ") {
		t.Errorf("after the restart: %q, want CONNECTED at 1843 with the call's fields", got[0].Line)
	}
	if got[0].Seq != 4 {
		t.Errorf("after the restart the first seq is %d, want 4", got[0].Seq)
	}
}

// TestInternalCallsSurviveARestart: an internal call writes no records, yet
// its state must be saved too.
func TestInternalCallsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	cfg := func(c *config.Config) { c.Journal.Dir = dir }
	srv := open(t, cfg)
	ingest(t, srv, smdr.CallEvent{Call: "a", Event: "ringing", Direction: "in", Trunk: "1"})
	ingest(t, srv, smdr.CallEvent{Call: "i", Event: "ringing", Direction: "internal", Extension: "1801"})
	srv.Close()
	srv = open(t, cfg)
	if got := ingest(t, srv, smdr.CallEvent{Call: "i", Event: "disconnected"}); len(got) != 0 {
		t.Errorf("internal call wrote %v", got)
	}
}

// TestCallsInProgressSurviveACrash copies the journal directory of a
// running server, as a crash would leave it, after a snapshot of the calls
// and a few more records: a server started on the copy knows the calls of
// the snapshot, replays what followed, and writes what the first server
// writes for the same next event.
func TestCallsInProgressSurviveACrash(t *testing.T) {
	dir := t.TempDir()
	srv := open(t, func(c *config.Config) { c.Journal.Dir = dir })
	ingest(t, srv, smdr.CallEvent{Call: "a", Event: "ringing", Direction: "in", Trunk: "92108", Extension: "1843", Number: "07700900123"},
		smdr.CallEvent{Call: "a", Event: "connected"})
	waitSnapshot(t, dir, 2)
	// After the snapshot: a moves to hold and gets a name; b starts.
	ingest(t, srv, smdr.CallEvent{Call: "a", Event: "hold", Name: "LOOKED UP"},
		smdr.CallEvent{Call: "b", Event: "ringing", Direction: "out", Trunk: "92808"})

	crashed := t.TempDir()
	copyDir(t, dir, crashed)
	srv2 := open(t, func(c *config.Config) { c.Journal.Dir = crashed })

	next := smdr.CallEvent{Call: "a", Event: "connected"}
	want := ingest(t, srv, next)
	got := ingest(t, srv2, next)
	if len(got) != len(want) || got[0].Line != want[0].Line {
		t.Errorf("after the crash: %v, want what the running server wrote: %v", got, want)
	}
	// b started after the snapshot: it is not known after the crash.
	if _, err := srv2.Ingest(context.Background(), []smdr.CallEvent{{Call: "b", Event: "disconnected"}}); smdr.ErrorCode(err) != smdr.EConflict {
		t.Errorf("call started after the snapshot: err %v, want a conflict", err)
	}
}

func ingest(tb testing.TB, srv *server.Server, evs ...smdr.CallEvent) []server.Written {
	tb.Helper()
	got, err := srv.Ingest(context.Background(), evs)
	if err != nil {
		tb.Fatalf("Ingest: %v", err)
	}
	return got
}

// waitSnapshot waits until the snapshot of the calls in dir covers seq.
func waitSnapshot(tb testing.TB, dir string, seq uint64) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var snap struct{ Seq uint64 }
		if b, err := os.ReadFile(filepath.Join(dir, "calls.json")); err == nil && json.Unmarshal(b, &snap) == nil && snap.Seq >= seq {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("no snapshot of the calls covering seq %d within 10 s", seq)
}

func copyDir(tb testing.TB, from, to string) {
	tb.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestMaskDigitsHidesTheEndOfNumbers: with privacy.mask_digits the feed
// carries numbers with their last digits as X; a repeated number is still
// no change (no CALLMODIFIED).
func TestMaskDigitsHidesTheEndOfNumbers(t *testing.T) {
	srv := open(t, func(c *config.Config) { c.Privacy.MaskDigits = 4 })
	got := ingest(t, srv,
		smdr.CallEvent{Call: "a", Event: "ringing", Direction: "in", Trunk: "1", Number: "07968543537", DDI: "441614960300"},
		smdr.CallEvent{Call: "a", Event: "connected", Number: "07968543537"})
	if len(got) != 2 {
		t.Fatalf("got %d records, want RINGING and ANSWERED only", len(got))
	}
	for _, r := range got {
		if !strings.Contains(r.Line, " 00000796854XXXX ") || !strings.Contains(r.Line, " 00044161496XXXX ") {
			t.Errorf("line %q, want number 0796854XXXX and DDI 44161496XXXX", r.Line)
		}
	}
}

// TestTLSFromTheSettings wires the local port's and push's TLS settings end
// to end: a TLS client of the local port and a TLS push receiver, both
// verifying certificates the test made, get the record.
func TestTLSFromTheSettings(t *testing.T) {
	ca := tlstest.NewCA(t)
	serverPair := ca.IssueServer(t)
	rcvPair := ca.IssueServer(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{rcvPair.TLS}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		got <- line
	}()
	srv := open(t, func(c *config.Config) {
		c.Local.TLS = config.LocalTLSSettings{CertFile: serverPair.CertFile, KeyFile: serverPair.KeyFile}
		c.Push.Enabled = true
		c.Push.Targets = []config.Target{{Address: ln.Addr().String()}}
		c.Push.TLS = config.PushTLSSettings{Enabled: true, CAFile: ca.CertFile}
	})
	client, err := tls.Dial("tcp", srv.LocalAddr(), &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS client of the local port: %v", err)
	}
	defer client.Close()
	deadline := time.Now().Add(5 * time.Second)
	for srv.Status().Local.Connected != 1 || !srv.Status().Push[0].TLS || srv.Status().Push[0].State != "connected" {
		if time.Now().After(deadline) {
			t.Fatalf("status %+v: want one local client and a connected TLS push target", srv.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
	ingest(t, srv, smdr.CallEvent{Call: "a", Event: "ringing", Direction: "in", Trunk: "92108"})
	local, err := bufio.NewReader(client).ReadString('\n')
	if err != nil || len(local) != smdr.WireLength {
		t.Fatalf("local TLS client read %q, %v", local, err)
	}
	select {
	case line := <-got:
		if line != local {
			t.Errorf("push receiver got %q, want %q", line, local)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("push receiver got nothing within 5 s")
	}
}
