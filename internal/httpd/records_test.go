package httpd_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// followRecords follows the records feed after seq and sends each record's
// seq to the returned channel until ctx ends.
func followRecords(t *testing.T, ctx context.Context, base string, after uint64) <-chan uint64 {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/records?follow=1&after=%d", base, after), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("records feed: status %d", resp.StatusCode)
	}
	out := make(chan uint64, 1000)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var r struct{ Seq uint64 }
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				out <- r.Seq
			}
		}
	}()
	return out
}

// TestRecordsFeedResumesFromTheLastSequence: a consumer that stops (or
// crashes) and comes back with the last sequence it stored gets every
// record after it, none twice.
func TestRecordsFeedResumesFromTheLastSequence(t *testing.T) {
	h := newHarness(t, nil)
	post := func(from, to int) {
		for i := from; i < to; i++ {
			h.mustPost(t, fmt.Sprintf(`{"call":"f%d","event":"ringing","direction":"in","trunk":"1"}`, i))
		}
	}
	post(0, 5)
	ctx, stop := context.WithCancel(context.Background())
	feed := followRecords(t, ctx, h.http.URL, 0)
	var last uint64
	for want := uint64(1); want <= 5; want++ {
		select {
		case seq := <-feed:
			if seq != want {
				t.Fatalf("got seq %d, want %d", seq, want)
			}
			last = seq
		case <-time.After(5 * time.Second):
			t.Fatalf("no record %d within 5 s", want)
		}
	}
	stop() // the consumer goes away
	for range feed {
	}
	post(5, 12) // written while it is away

	ctx, stop = context.WithCancel(context.Background())
	defer stop()
	feed = followRecords(t, ctx, h.http.URL, last)
	post(12, 15) // written after it came back
	for want := last + 1; want <= 15; want++ {
		select {
		case seq := <-feed:
			if seq != want {
				t.Fatalf("after resuming: got seq %d, want %d", seq, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("after resuming: no record %d within 5 s", want)
		}
	}
}
