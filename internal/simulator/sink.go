package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// Sink takes the simulator's events, one batch per simulated instant, in
// time order. The server has an in-process one; HTTPSink posts to a
// server's ingest API.
type Sink interface {
	Send(ctx context.Context, events []smdr.CallEvent) error
}

// HTTPSink posts each batch as NDJSON to a server's ingest API,
// URL + "/api/v1/events".
type HTTPSink struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:8080.
	URL string
	// Token, when set, is sent as a bearer token.
	Token string
	// Client makes the requests; nil means http.DefaultClient.
	Client *http.Client
}

var _ Sink = (*HTTPSink)(nil)

// StatusError is the error HTTPSink.Send returns when the server answers
// with a status other than 2xx: the status, and the "error" and "field" of
// the server's JSON reply (or the start of a reply that is not JSON).
type StatusError struct {
	StatusCode int
	Status     string
	Message    string
	Field      string
}

func (e *StatusError) Error() string {
	msg := "server replied " + e.Status
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Field != "" {
		msg += " (field " + e.Field + ")"
	}
	return msg
}

// Send posts the events. It returns a *StatusError when the server refuses
// them.
func (h *HTTPSink) Send(ctx context.Context, events []smdr.CallEvent) error {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	for i := range events {
		if err := enc.Encode(&events[i]); err != nil {
			return fmt.Errorf("encode event %d: %w", i, err)
		}
	}
	url := strings.TrimRight(h.URL, "/") + "/api/v1/events"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, &body)
	if err != nil {
		return fmt.Errorf("post events: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post events: %w", err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_, _ = io.Copy(io.Discard, resp.Body) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if err != nil {
			return fmt.Errorf("post events: read reply: %w", err)
		}
		return nil
	}
	se := &StatusError{StatusCode: resp.StatusCode, Status: resp.Status}
	var e struct {
		Error string `json:"error"`
		Field string `json:"field"`
	}
	if json.Unmarshal(reply, &e) == nil && e.Error != "" {
		se.Message, se.Field = e.Error, e.Field
	} else {
		se.Message = strings.TrimSpace(string(reply[:min(len(reply), 200)]))
	}
	return fmt.Errorf("post events to %s: %w", url, se)
}
