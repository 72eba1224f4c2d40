package collector_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collector"
	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/httpd"
	"github.com/ipsmdr/ipsmdr/internal/server"
	"github.com/ipsmdr/ipsmdr/internal/simulator"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// feedServer is an ipsmdr server with its HTTP API (ingest and records
// feed) on a real socket.
type feedServer struct {
	srv  *server.Server
	http *httptest.Server
}

func startFeedServer(tb testing.TB, dir string) *feedServer {
	tb.Helper()
	cfg := config.Default()
	cfg.ListenAddress = "127.0.0.1"
	cfg.LocalPort = 0
	cfg.Timezone = "UTC"
	cfg.Journal.Dir = dir
	// The test is about the collector: a 1 s sync interval keeps the
	// ingest of 10,000 calls quick. Nothing here crashes the server.
	cfg.Journal.Sync = "1s"
	srv, err := server.Open(cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(httpd.New(srv, httpd.Config{Clock: smdr.Clock24, Location: time.UTC}))
	tb.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		srv.Close()
	})
	return &feedServer{srv: srv, http: hs}
}

// keySink ingests the simulator's events one at a time, so that the
// records of each ingest belong to its event's call, and remembers each
// call's Call ID by the simulator's key.
type keySink struct {
	srv    *server.Server
	callID map[string]string
}

func (k *keySink) Send(ctx context.Context, events []smdr.CallEvent) error {
	for _, ev := range events {
		written, err := k.srv.Ingest(ctx, []smdr.CallEvent{ev})
		if err != nil {
			return err
		}
		for _, w := range written {
			p, err := smdr.Parse(w.Line, smdr.ParseOptions{Location: time.UTC, Clock: smdr.Clock24})
			if err != nil {
				return err
			}
			k.callID[ev.Call] = p.CallID
		}
	}
	return nil
}

// waitStored waits until the collector has stored every record the server
// has written.
func waitStored(tb testing.TB, c *collector.Collector, source string, newest uint64, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		last, err := c.LastSeq(context.Background(), source)
		if err != nil {
			tb.Fatal(err)
		}
		if uint64(last) >= newest {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the collector stored up to seq %d of %d in %s", last, newest, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSimulatedCallsAgreeWithTheSimulatorsTruth runs 10,000 simulated calls
// through a real server, follows its records feed with a collector into
// SQLite, and checks every call row against what the simulator says it did.
func TestSimulatedCallsAgreeWithTheSimulatorsTruth(t *testing.T) {
	calls := 10000
	if testing.Short() {
		calls = 500
	}
	fs := startFeedServer(t, t.TempDir())
	c, st := mustOpen(t, collector.Options{Site: "sim"})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		c.Follow(ctx, collector.FollowOptions{URL: fs.http.URL, Backoff: collector.Backoff{Min: 10 * time.Millisecond, Max: 100 * time.Millisecond}})
	})
	defer func() { cancel(); wg.Wait() }()

	var truth bytes.Buffer
	sink := &keySink{srv: fs.srv, callID: make(map[string]string)}
	stats, err := simulator.Run(context.Background(), simulator.Config{
		Seed:  7,
		Calls: calls,
		Start: time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC),
		Truth: &truth,
	}, sink)
	if err != nil {
		t.Fatal(err)
	}
	waitStored(t, c, collector.FeedSource(fs.http.URL), fs.srv.Journal().Last(), 2*time.Minute)

	stored := make(map[string]smdr.Call)
	for _, call := range allCalls(t, st, "sim") {
		stored[call.CallID] = call
	}
	checked, internal := 0, 0
	sc := bufio.NewScanner(&truth)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var tr simulator.Truth
		if err := json.Unmarshal(sc.Bytes(), &tr); err != nil {
			t.Fatal(err)
		}
		if tr.Direction == "internal" {
			internal++ // not reported by the server: no records, no call
			continue
		}
		id, ok := sink.callID[tr.Call]
		if !ok {
			t.Errorf("%s: the server wrote no record for it", tr.Call)
			continue
		}
		call, ok := stored[id]
		if !ok {
			t.Errorf("%s (%s): no call row", tr.Call, id)
			continue
		}
		checked++
		if diff := compareTruth(tr, call); diff != "" {
			t.Errorf("%s (%s, %s): %s", tr.Call, id, tr.Scenario, diff)
		}
	}
	if checked+internal != stats.Calls || checked < calls*9/10 {
		t.Fatalf("checked %d calls and skipped %d internal ones of %d ended", checked, internal, stats.Calls)
	}
	if len(stored) != checked {
		t.Errorf("%d call rows, want %d", len(stored), checked)
	}
	t.Logf("%d calls agree with the simulator's truth (%d internal calls not reported)", checked, internal)
}

// compareTruth says how call differs from the simulator's truth, or "".
func compareTruth(tr simulator.Truth, call smdr.Call) string {
	var diffs []string
	check := func(what string, got, want any) {
		if got != want {
			diffs = append(diffs, what+": got "+jsonText(got)+", want "+jsonText(want))
		}
	}
	check("outcome", string(call.Outcome), tr.Outcome)
	check("ring_seconds", call.RingSeconds, tr.RingSeconds)
	check("queue_seconds", call.QueueSeconds, tr.QueueSeconds)
	check("talk_seconds", call.TalkSeconds, tr.TalkSeconds)
	check("hold_seconds", call.HoldSeconds, tr.HoldSeconds)
	check("answered_by", call.AnsweredBy, tr.AnsweredBy)
	check("final_extension", call.FinalExtension, tr.FinalExtension)
	check("extensions", strings.Join(call.Extensions, " "), strings.Join(tr.Extensions, " "))
	check("transfers", call.Transfers, tr.Transfers)
	check("diversions", call.Diversions, tr.Diversions)
	check("direction", strings.ToLower(string(call.Direction)), tr.Direction)
	check("closed_by", call.ClosedBy, smdr.ClosedByDisconnected)
	check("start", call.Start.UTC().Format(time.RFC3339), tr.Start.UTC().Format(time.RFC3339))
	if call.End == nil {
		diffs = append(diffs, "end: none")
	} else {
		check("end", call.End.UTC().Format(time.RFC3339), tr.End.UTC().Format(time.RFC3339))
	}
	if (call.AnsweredAt == nil) != (tr.AnsweredAt == nil) ||
		(call.AnsweredAt != nil && !call.AnsweredAt.Equal(*tr.AnsweredAt)) {
		diffs = append(diffs, "answered_at: got "+jsonText(call.AnsweredAt)+", want "+jsonText(tr.AnsweredAt))
	}
	slices.Sort(diffs)
	return strings.Join(diffs, "; ")
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestFollowResumesWithoutLossOrDuplicates stops a following collector,
// lets the server write more, and starts a new collector on the same
// database: it resumes after the last stored record, and every record is
// stored once.
func TestFollowResumesWithoutLossOrDuplicates(t *testing.T) {
	fs := startFeedServer(t, t.TempDir())
	c, st := mustOpen(t, collector.Options{Site: "resume"})
	source := collector.FeedSource(fs.http.URL)
	post := func(from, to int) {
		for i := from; i < to; i++ {
			key := "k" + strconv.Itoa(i)
			evs := []smdr.CallEvent{
				{Call: key, Event: "ringing", Direction: "in", Trunk: "1", Extension: "201", Number: "0700" + strconv.Itoa(i), Time: time.Date(2026, 3, 9, 9, 0, i%60, 0, time.UTC)},
				{Call: key, Event: "disconnected", Time: time.Date(2026, 3, 9, 9, 1, i%60, 0, time.UTC)},
			}
			if _, err := fs.srv.Ingest(context.Background(), evs); err != nil {
				t.Fatal(err)
			}
		}
	}
	follow := func(c *collector.Collector) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() {
			c.Follow(ctx, collector.FollowOptions{URL: fs.http.URL, Backoff: collector.Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}})
		})
		return func() { cancel(); wg.Wait() }
	}

	post(0, 50)
	stop := follow(c)
	waitStored(t, c, source, fs.srv.Journal().Last(), 20*time.Second)
	stop()
	post(50, 120) // while no collector runs

	c2 := collector.New(st, collector.Options{Site: "resume", Parse: smdr.ParseOptions{Location: time.UTC}})
	stop = follow(c2)
	defer stop()
	waitStored(t, c2, source, fs.srv.Journal().Last(), 20*time.Second)
	if got := c2.Totals(); got.Duplicates != 0 || got.Stored != 140 {
		t.Errorf("the resumed collector: %+v; want 140 stored (70 calls x 2), no duplicates", got)
	}
	counts, err := st.Counts(context.Background(), "resume")
	if err != nil {
		t.Fatal(err)
	}
	if counts.Lines != 240 || counts.Calls != 120 || counts.OpenCalls != 0 {
		t.Errorf("stored %+v; want 240 lines and 120 closed calls", counts)
	}
}
