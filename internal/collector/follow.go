package collector

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// FollowOptions says which records feed to follow.
type FollowOptions struct {
	// URL is the ipsmdr server's base URL, e.g. http://127.0.0.1:8080.
	URL string
	// Token is sent as a bearer token when set (the server's http.token).
	Token string
	// Client makes the requests; nil means a client with no overall
	// timeout (the stream stays open).
	Client  *http.Client
	Backoff Backoff
	// Idle is how long the stream may be silent before it is taken for
	// dead and reopened; the server sends a heartbeat every 15 s. 0 means
	// 45 s.
	Idle time.Duration
}

// FeedSource returns the source name under which lines from the records
// feed at base are stored: the resume point is kept per source.
func FeedSource(base string) string {
	return "follow:" + strings.TrimRight(base, "/")
}

// feedLine is one line of the records feed: a record (seq set), a
// heartbeat or an error.
type feedLine struct {
	Seq       int64      `json:"seq"`
	Line      string     `json:"line"`
	Heartbeat *time.Time `json:"heartbeat"`
	Error     string     `json:"error"`
}

// Follow reads ipsmdr's records feed (GET /api/v1/records?follow=1) until
// ctx is done. It resumes after the last sequence number stored from this
// feed, so no record is lost or stored twice across restarts of either
// side, and reconnects with backoff.
func (c *Collector) Follow(ctx context.Context, opts FollowOptions) error {
	base, err := url.Parse(strings.TrimRight(opts.URL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("follow URL %q: want the server's base URL, such as http://127.0.0.1:8080", opts.URL)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Idle <= 0 {
		opts.Idle = 45 * time.Second
	}
	backoff := opts.Backoff.orDefault()
	name := FeedSource(base.String())
	st := c.sources.add(name, "connecting")
	defer c.sources.remove(st)
	log := c.log.With("source", name)
	wait := time.Duration(0)
	floor := int64(0)
	for ctx.Err() == nil {
		c.sources.set(st, "connecting", nil)
		got, err := c.followOnce(ctx, base, name, opts, st, &floor)
		if errors.Is(err, errGone) {
			continue // resume at once from the server's oldest
		}
		if ctx.Err() != nil {
			return nil
		}
		if got > 0 {
			wait = 0
		}
		wait = backoff.next(wait)
		c.sources.retrying(st, err)
		log.Warn("records feed ended; resuming", "err", err, "retry_in", wait)
		if sleep(ctx, wait) {
			return nil
		}
	}
	return nil
}

// errGone is the server's 410: records after our resume point are no
// longer kept.
var errGone = errors.New("gone")

// followOnce opens the feed after the last stored sequence number and
// reads it until it ends. It returns how many records it stored.
//
// floor is the resume point after a 410: the server's oldest record less
// one, when that is beyond what is stored.
func (c *Collector) followOnce(ctx context.Context, base *url.URL, name string, opts FollowOptions, st *SourceStatus, floor *int64) (int, error) {
	after, err := c.LastSeq(ctx, name)
	if err != nil {
		return 0, err
	}
	after = max(after, *floor)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	u := *base
	u.Path += "/api/v1/records"
	u.RawQuery = url.Values{"after": {strconv.FormatInt(after, 10)}, "follow": {"1"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, err
	}
	if opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+opts.Token)
	}
	resp, err := opts.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var reply struct {
			Error  string `json:"error"`
			Oldest int64  `json:"oldest"`
		}
		json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&reply)
		if resp.StatusCode == http.StatusGone && reply.Oldest > after+1 {
			// The server no longer keeps what we lack: say so loudly and
			// count it, then go on from its oldest record rather than
			// stop collecting.
			lost := reply.Oldest - after - 1
			c.lost.Add(lost)
			c.log.Error("records lost: the server no longer keeps them; resuming from its oldest",
				"source", name, "first_lost", after+1, "last_lost", reply.Oldest-1, "lost", lost)
			*floor = reply.Oldest - 1
			return 0, fmt.Errorf("%w: %s", errGone, reply.Error)
		}
		return 0, fmt.Errorf("%s: %s", resp.Status, reply.Error)
	}
	c.sources.set(st, "connected", nil)
	c.log.Info("following the records feed", "source", name, "after", after)

	// A silent stream past opts.Idle is dead: cancel the request.
	idle := time.AfterFunc(opts.Idle, cancel)
	defer idle.Stop()
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	var batch []Input
	stored := 0
	for {
		raw, err := br.ReadSlice('\n')
		idle.Reset(opts.Idle)
		if err != nil {
			if serr := c.storeRetry(ctx, batch, st); serr != nil {
				return stored, serr
			}
			stored += len(batch)
			if errors.Is(err, io.EOF) {
				return stored, errors.New("the server ended the stream")
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				return stored, errors.New("a feed line over 64 KiB: not ipsmdr's records feed")
			}
			return stored, err
		}
		var fl feedLine
		if err := json.Unmarshal(raw, &fl); err != nil {
			return stored, fmt.Errorf("the feed sent a line that is not JSON: %w", err)
		}
		switch {
		case fl.Error != "":
			return stored, fmt.Errorf("the server said: %s", fl.Error)
		case fl.Seq > 0:
			if fl.Seq <= after {
				continue // already stored
			}
			after = fl.Seq
			batch = append(batch, Input{Source: name, Seq: fl.Seq, ReceivedAt: time.Now(), Raw: []byte(fl.Line)})
		}
		if len(batch) >= maxBatch || (len(batch) > 0 && br.Buffered() == 0) {
			if err := c.storeRetry(ctx, batch, st); err != nil {
				return stored, err
			}
			stored += len(batch)
			batch = batch[:0]
		}
	}
}
