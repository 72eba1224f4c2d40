// Package collectweb is the collector's HTTP adapter: the read-only API over
// the calls, records and parse errors in a store.Store (product.md, "The
// collector's HTTP"), health, and the web pages that read the API from the
// browser (pages.go). Pages share the API's Host check, not its token.
package collectweb

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// Config is what the collector's HTTP adapter needs.
type Config struct {
	// Site is the site queries read when they name none; "" means all
	// sites. A request's site parameter overrides it, also with "" (all
	// sites).
	Site string
	// Token, if set, must be sent with every API request as
	// "Authorization: Bearer TOKEN". /healthz is always open.
	Token string
	// Location is the time zone of from and to given without an offset,
	// and of the times in CSV. nil means UTC.
	Location *time.Location
	Logger   *slog.Logger
	// Status, if set, gives the reply of GET /api/v1/collector/status (the
	// collector's sources and counts); without it that reply is the
	// store's counts.
	Status func() any
}

// Handler serves the collector's HTTP API. It is an http.Handler.
type Handler struct {
	st  store.Store
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the handler serving the API over st.
func New(st store.Store, cfg Config) *Handler {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{st: st, cfg: cfg, log: cfg.Logger.With("component", "collectweb"), mux: http.NewServeMux()}
	// Patterns with GET also match HEAD; ServeMux answers other methods
	// with 405 and an Allow header.
	h.mux.HandleFunc("GET /api/v1/calls", h.api(h.getCalls))
	h.mux.HandleFunc("GET /api/v1/calls.csv", h.api(h.getCallsCSV))
	h.mux.HandleFunc("GET /api/v1/calls/{call_id}", h.api(h.getCall))
	h.mux.HandleFunc("GET /api/v1/summary", h.api(h.getSummary))
	h.mux.HandleFunc("GET /api/v1/reports", h.api(h.getReports))
	h.mux.HandleFunc("GET /api/v1/parse-errors", h.api(h.getParseErrors))
	h.mux.HandleFunc("GET /api/v1/collector/status", h.api(h.getStatus))
	h.mux.HandleFunc("GET /api/", h.api(h.notFound))
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok\n"))
	})
	h.addPages()
	return h
}

// Handle adds handler for pattern to the handler's mux; it is how the web
// pages join the API. Handlers added so get the Host check of ServeHTTP but
// not the API's token check: they bring their own.
func (h *Handler) Handle(pattern string, handler http.Handler) {
	h.mux.Handle(pattern, handler)
}

// ServeHTTP serves a request. Without a token the API is open to whoever can
// reach the collector, which is safe only on loopback; a web page the user
// visits could still reach it through DNS rebinding (its own host name
// pointing at 127.0.0.1) and read the calls. So without a token only
// requests addressed to localhost or an IP address are served; others get
// 421. No reply is content-sniffed.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if h.cfg.Token == "" && r.URL.Path != "/healthz" && !directHost(r.Host) {
		writeJSON(w, http.StatusMisdirectedRequest, errorReply{Error: fmt.Sprintf(
			"this collector has no API token, so it answers only requests addressed to localhost or an IP address, not %q: set --http-token (or IPSMDR_COLLECT_TOKEN) to serve other names", r.Host)})
		return
	}
	h.mux.ServeHTTP(w, r)
}

// directHost reports whether host (with or without a port) is localhost or
// an IP address: names a rebinding attacker cannot control.
func directHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// api wraps an API endpoint: replies are never cached (they hold phone
// numbers), and with a token set the request must carry it.
func (h *Handler) api(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if h.cfg.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ipsmdr collector"`)
				writeJSON(w, http.StatusUnauthorized, errorReply{Error: "this API needs a bearer token: send 'Authorization: Bearer TOKEN' with the collector's token"})
				return
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(h.cfg.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ipsmdr collector", error="invalid_token"`)
				writeJSON(w, http.StatusUnauthorized, errorReply{Error: "wrong bearer token: send the collector's token in 'Authorization: Bearer TOKEN'"})
				return
			}
		}
		fn(w, r)
	}
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, errorReply{Error: fmt.Sprintf(
		"no such endpoint %q: the API has /api/v1/calls, /api/v1/calls/{call_id}, /api/v1/calls.csv, /api/v1/summary, /api/v1/parse-errors and /api/v1/collector/status", r.URL.Path)})
}

// errorReply is the body of every 4xx and 5xx reply of the API. Field names
// the query parameter a 400 is about.
type errorReply struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// writeError replies with err: 400 for a bad request (a domain error of
// code EInvalid) with its field, 404 for store.ErrNotFound, 500 for anything
// else, with a log entry: the details stay in the log, as they may name
// files and tables. It is the one place that maps errors to status codes.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client has gone
	}
	var e *smdr.Error
	switch {
	case errors.As(err, &e) && e.Code == smdr.EInvalid:
		writeJSON(w, http.StatusBadRequest, errorReply{Error: e.Error(), Field: e.Field})
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorReply{Error: err.Error()})
	default:
		h.log.Error("request failed", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, errorReply{Error: "internal error: the collector's log says more"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
