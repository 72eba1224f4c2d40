package loadtest_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/loadtest"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// MustFindRsyslogd returns rsyslogd's path, or skips the test (fails it
// under IPSMDR_REQUIRE_ALL_TESTS=1) when it is not installed. When the test
// ends, it fails it if an rsyslogd child of this process still runs, and
// kills that child.
func MustFindRsyslogd(tb testing.TB) string {
	tb.Helper()
	bin, err := loadtest.FindRsyslogd()
	if err != nil {
		smdrtest.SkipUnlessRequired(tb, err.Error())
	}
	tb.Cleanup(func() {
		for _, pid := range rsyslogdChildren(tb) {
			tb.Errorf("rsyslogd (pid %d) still runs after the test", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return bin
}

// rsyslogdChildren returns the pids of this process's rsyslogd children.
func rsyslogdChildren(tb testing.TB) []int {
	tb.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		tb.Fatal(err)
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ..."; comm may hold spaces, not ")".
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		i := bytes.LastIndexByte(stat, ')')
		f := strings.Fields(string(stat[min(i+1, len(stat)):]))
		if len(f) < 2 || !bytes.HasSuffix(stat[:max(i, 0)], []byte("(rsyslogd")) {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestRsyslogRelay runs each queue variant for a second and checks every
// line came through rsyslog intact, exactly once. RunRsyslog stops its
// rsyslogd before it returns; TestMain checks no goroutine or socket is
// left behind.
//
// The small window keeps the disk queue's part short (it passes on a few
// hundred lines/s here); its lines all go through rsyslog's queue file, so
// the bytes are checked through rsyslog's disk as well as its memory.
func TestRsyslogRelay(t *testing.T) {
	MustFindRsyslogd(t)
	for _, queue := range loadtest.RsyslogQueues() {
		t.Run(queue, func(t *testing.T) {
			res, err := loadtest.RunRsyslog(t.Context(), queue, loadtest.Options{
				Duration: time.Second, MaxRecords: 1 << 20, Window: 500, Drain: 30 * time.Second, Logf: t.Logf,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Ingested == 0 || res.Errors != 0 {
				t.Fatalf("sent %d lines with %d errors (%s), want some and none", res.Ingested, res.Errors, res.FirstError)
			}
			if !res.Complete || res.MinDelivered != res.Ingested {
				t.Errorf("complete = %v: received %d distinct lines of %d sent; want all", res.Complete, res.MinDelivered, res.Ingested)
			}
			if res.IngestRate <= 0 || res.DeliveredRate <= 0 {
				t.Errorf("rates: ingest %.0f, delivered %.0f; want positive", res.IngestRate, res.DeliveredRate)
			}
			if res.P50 <= 0 || res.P50 > res.P99 || res.P99 > res.P999 {
				t.Errorf("latency p50 %v p99 %v p99.9 %v, want positive and ordered", res.P50, res.P99, res.P999)
			}
			if want := "rsyslog " + queue; res.Scenario.Kind != want {
				t.Errorf("kind %q, want %q", res.Scenario.Kind, want)
			}
			var out bytes.Buffer
			if err := loadtest.WriteTable(&out, []loadtest.Result{res}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "peer: rsyslog "+queue) {
				t.Errorf("table:\n%s\nwant a row %q", out.String(), "peer: rsyslog "+queue)
			}
		})
	}
}

func TestRsyslogUnknownQueue(t *testing.T) {
	_, err := loadtest.RunRsyslog(context.Background(), "fixed-array", loadtest.Options{Duration: time.Millisecond})
	if err == nil || errors.Is(err, loadtest.ErrNoRsyslogd) {
		t.Fatalf("err = %v, want an unknown-queue error", err)
	}
}

// TestRsyslogCanceled checks a canceled run stops rsyslogd and returns
// promptly.
func TestRsyslogCanceled(t *testing.T) {
	MustFindRsyslogd(t)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := loadtest.RunRsyslog(ctx, loadtest.RsyslogDiskAssisted, loadtest.Options{Duration: time.Minute, Drain: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("returned after %v, want soon after the cancel", d)
	}
}
