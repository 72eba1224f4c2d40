package main

import (
	"bufio"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collector"
	"github.com/ipsmdr/ipsmdr/internal/simulator"
	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/internal/store/sqlite"
)

// TestCollectorSIGKILLStoresEveryRecordOnce runs `ipsmdr serve` fed by the
// simulator over HTTP, and `ipsmdr collect --follow` on its records feed,
// killing the collector with SIGKILL 10 times at random moments and
// starting it again on the same SQLite file. In the end every record the
// server wrote is stored exactly once.
func TestCollectorSIGKILLStoresEveryRecordOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it repeatedly")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	httpAddr := "127.0.0.1:" + freePort(t)
	base := "http://" + httpAddr
	srv := startServer(t, bin, "--journal-dir", filepath.Join(dir, "journal"),
		"--local-port", freePort(t), "--listen-address", "127.0.0.1",
		"--http-address", httpAddr, "--timezone", "UTC")
	defer func() {
		srv.cmd.Process.Signal(syscall.SIGTERM)
		<-srv.done
	}()
	waitHealthy(t, base)

	// The office: calls posted over HTTP while the collector is killed.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var simulating sync.WaitGroup
	var simErr error
	simulating.Go(func() {
		_, simErr = simulator.Run(ctx, simulator.Config{
			Rate: 36000, Speed: 5, Seed: 3, // until cancelled below
			Start: time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC),
		}, &simulator.HTTPSink{URL: base})
	})

	db := filepath.Join(dir, "calls.db")
	args := []string{"collect", "--follow", base, "--db", "sqlite:" + db, "--site", "crash",
		"--http-address", "", "--timezone", "UTC", "--time-format", "24h"}
	start := func() (*exec.Cmd, *toolBuffer) {
		cmd := exec.Command(bin, args...)
		logs := &toolBuffer{}
		cmd.Stderr = logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, logs
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for kill := 0; kill < 10; kill++ {
		cmd, _ := start()
		time.Sleep(time.Duration(100+rng.IntN(500)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	cancel() // calls in progress stay open: only records matter here
	simulating.Wait()
	if simErr != nil {
		t.Fatalf("simulator: %v", simErr)
	}

	// What the server wrote, from its records feed.
	resp, err := http.Get(base + "/api/v1/records?after=0&limit=1000000")
	if err != nil {
		t.Fatal(err)
	}
	written := make(map[string]bool)
	var newest int64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var r struct {
			Seq  int64  `json:"seq"`
			Line string `json:"line"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if written[r.Line] {
			t.Fatalf("the server wrote the same line twice (seq %d): the test needs distinct lines", r.Seq)
		}
		written[r.Line], newest = true, r.Seq
	}
	resp.Body.Close()
	if len(written) < 500 {
		t.Fatalf("the server wrote only %d records", len(written))
	}

	// A last collector catches up and is stopped cleanly.
	cmd, logs := start()
	toolWait(t, 20*time.Second, logs.String, func() bool { return strings.Contains(logs.String(), "following the records feed") })
	st, err := sqlite.Open(context.Background(), db, sqlite.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	source := collector.FeedSource(base)
	deadline := time.Now().Add(60 * time.Second)
	for {
		last, err := st.LastSeq(context.Background(), "crash", source)
		if err != nil {
			t.Fatal(err)
		}
		if last >= newest {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the collector stored up to seq %d of %d; its log:\n%s", last, newest, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("collector after SIGTERM: %v\n%s", err, logs)
	}

	counts, err := st.Counts(context.Background(), "crash")
	if err != nil {
		t.Fatal(err)
	}
	// Lines are unique by text within a site and come only from the feed,
	// so as many stored as written means each written one stored once.
	if counts.Lines != int64(len(written)) || counts.ParseErrors != 0 {
		t.Fatalf("stored %d lines and %d parse errors; the server wrote %d records", counts.Lines, counts.ParseErrors, len(written))
	}
	page, err := st.Calls(context.Background(), store.CallFilter{Site: "crash", Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range page.Calls {
		lines, err := st.CallLines(context.Background(), "crash", c.CallID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if !written[l.Text] {
				t.Fatalf("stored line %q was never written", l.Text)
			}
		}
		if c.Records != len(lines) {
			t.Errorf("call %s: %d records counted, %d stored", c.CallID, c.Records, len(lines))
		}
	}
	t.Logf("%d records written, each stored once across 10 SIGKILLs; %d calls", len(written), len(page.Calls))
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("the last collector logged errors:\n%s", logs)
	}
}
