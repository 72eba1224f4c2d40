// Package collectweb is the collector's HTTP adapter: the read-only API over
// the calls, records and parse errors in a store.Store (product.md, "The
// collector's HTTP"), health, and the web pages that read the API from the
// browser (pages.go). Who may read what is internal/webauth's: with an
// admin password the pages need a login and the API a session or the bearer
// token; with only a token the API needs it; with neither, both are open on
// loopback to requests addressed to localhost or an IP address.
package collectweb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/internal/webauth"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// Config is what the collector's HTTP adapter needs.
type Config struct {
	// Site is the site queries read when they name none; "" means all
	// sites. A request's site parameter overrides it, also with "" (all
	// sites).
	Site string
	// Token, if set, is the API's bearer token, sent as "Authorization:
	// Bearer TOKEN". Without an admin password every API request must send
	// it; with one, a request may send a session cookie instead. /healthz
	// is always open.
	Token string
	// AdminUser and AdminPasswordHash (bcrypt, as 'ipsmdr hash-password'
	// prints it) are the pages' login; AdminUser "" means "admin". With
	// AdminPasswordHash "" there is no login: the pages are open, and the
	// API is open too unless Token is set.
	AdminUser         string
	AdminPasswordHash string
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
	st   store.Store
	cfg  Config
	log  *slog.Logger
	mux  *http.ServeMux
	auth *webauth.Auth
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
	h.auth = webauth.New(webauth.Config{
		User:            cfg.AdminUser,
		PasswordHash:    cfg.AdminPasswordHash,
		Token:           cfg.Token,
		Realm:           "ipsmdr collector",
		Product:         "ipsmdr collector",
		Home:            "/",
		HomeLabel:       "Open the calls",
		TokenSetting:    "--http-token (IPSMDR_COLLECT_TOKEN)",
		PasswordSetting: "--admin-password-hash",
		// Not the server's cookies, which a browser would send to and take
		// from a collector on another port of the same host.
		CookiePrefix: "ipsmdr_collect",
		Logger:       h.log,
	})
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
	h.auth.Register(h.mux) // /login, /logout, /api/v1/session
	return h
}

// Handle adds handler for pattern to the handler's mux. Handlers added so
// get the Host check of ServeHTTP but not the API's login or token check:
// they bring their own.
func (h *Handler) Handle(pattern string, handler http.Handler) {
	h.mux.Handle(pattern, handler)
}

// ServeHTTP serves a request. Without a token or a password the API is
// open to whoever can reach the collector, which is safe only on loopback;
// a web page the user visits could still reach it through DNS rebinding
// (its own host name pointing at 127.0.0.1) and read the calls. So then
// only requests addressed to localhost or an IP address are served; others
// get 421. No reply is content-sniffed.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if h.auth.Open() && r.URL.Path != "/healthz" && !webauth.DirectHost(r.Host) {
		webauth.WriteJSON(w, http.StatusMisdirectedRequest, errorReply{Error: fmt.Sprintf(
			"this collector has no API token or admin password, so it answers only requests addressed to localhost or an IP address, not %q: "+
				"set --http-token (or IPSMDR_COLLECT_TOKEN) and --admin-password-hash (or IPSMDR_COLLECT_ADMIN_PASSWORD_HASH) to serve other names", r.Host)})
		return
	}
	h.mux.ServeHTTP(w, r)
}

// api wraps an API endpoint: replies are never cached (they hold phone
// numbers), and the request needs a session or the bearer token when
// either is set up (webauth.Reader).
func (h *Handler) api(fn http.HandlerFunc) http.HandlerFunc {
	next := h.auth.Reader(fn)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	}
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	webauth.WriteJSON(w, http.StatusNotFound, errorReply{Error: fmt.Sprintf(
		"no such endpoint %q: the API has /api/v1/calls, /api/v1/calls/{call_id}, /api/v1/calls.csv, /api/v1/summary, /api/v1/reports, /api/v1/parse-errors and /api/v1/collector/status", r.URL.Path)})
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
		webauth.WriteJSON(w, http.StatusBadRequest, errorReply{Error: e.Error(), Field: e.Field})
	case errors.Is(err, store.ErrNotFound):
		webauth.WriteJSON(w, http.StatusNotFound, errorReply{Error: err.Error()})
	default:
		h.log.Error("request failed", "path", r.URL.Path, "err", err)
		webauth.WriteJSON(w, http.StatusInternalServerError, errorReply{Error: "internal error: the collector's log says more"})
	}
}
