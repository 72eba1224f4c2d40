// Package httpd is the server's HTTP adapter: the ingest API, the records
// feed (NDJSON, and server-sent events for the page), status, the manual's
// settings, health, metrics and the admin page.
//
// The login is internal/webauth's. On top of it: POST /api/v1/events takes
// only the bearer token (see postEvents); /healthz is open; /metrics is open
// with Config.MetricsPublic, else it takes the bearer token or a session;
// without a password the pages' reads are open, and served only to requests
// addressed to localhost or an IP address (ServeHTTP).
package httpd

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ipsmdr/ipsmdr/internal/server"
	"github.com/ipsmdr/ipsmdr/internal/webauth"
	"github.com/ipsmdr/ipsmdr/internal/webui"
	"github.com/ipsmdr/ipsmdr/smdr"
)

//go:embed assets
var assets embed.FS

// Config is what the HTTP adapter needs.
type Config struct {
	Token     string // bearer token for the ingest API; "" = none
	MaxBody   int64  // largest request body in bytes
	MaxEvents int    // most events in one request; 0 = 10000
	// MaxJSONDepth is the deepest nesting of arrays and objects in a
	// request body; 0 = 10. See limits.go.
	MaxJSONDepth int
	// How records are written, for the feed's parsed fields: the clock
	// and the time zone of the time field. The padding character can
	// change while the server runs: the feed asks the server which one
	// each record was written with (server.PaddingAt).
	Clock    smdr.Clock
	Location *time.Location
	Logger   *slog.Logger

	// AdminUser and AdminPasswordHash (bcrypt, as 'ipsmdr hash-password'
	// prints it) are the admin's login; AdminUser "" means "admin". With
	// AdminPasswordHash "" there is no login: the pages, status and records
	// feed are open to whoever reaches the port, so config validation must
	// keep HTTP on loopback then. See internal/webauth.
	AdminUser         string
	AdminPasswordHash string
	// MetricsPublic serves /metrics to anyone. Otherwise /metrics takes the
	// bearer token or an admin session, or is open when neither a token nor
	// a password is set.
	MetricsPublic bool
}

// Handler serves the server's HTTP API.
type Handler struct {
	srv  *server.Server
	cfg  Config
	log  *slog.Logger
	mux  *http.ServeMux
	auth *webauth.Auth
}

// New returns the handler for srv.
func New(srv *server.Server, cfg Config) *Handler {
	if cfg.MaxEvents <= 0 {
		cfg.MaxEvents = 10000
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 4 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{srv: srv, cfg: cfg, log: cfg.Logger.With("component", "http"), mux: http.NewServeMux()}
	h.auth = webauth.New(webauth.Config{
		User:            cfg.AdminUser,
		PasswordHash:    cfg.AdminPasswordHash,
		Token:           cfg.Token,
		Product:         "ipsmdr server",
		Home:            "/",
		HomeLabel:       "Open the status page",
		TokenSetting:    "http.token",
		PasswordSetting: "http.admin_password_hash",
		Logger:          h.log,
	})
	// Without a password the token guards only the ingest API: the pages'
	// reads are open, on loopback (see ServeHTTP).
	reader := func(fn http.HandlerFunc) http.Handler { return h.auth.LoginReader(fn) }
	h.mux.HandleFunc("POST /api/v1/events", h.postEvents)
	h.mux.Handle("GET /api/v1/records", reader(h.getRecords))
	h.mux.Handle("GET /api/v1/records/stream", reader(h.getRecordsStream))
	h.mux.Handle("GET /api/v1/status", reader(h.getStatus))
	h.mux.Handle("GET /api/v1/settings", reader(h.getSettings))
	h.mux.HandleFunc("PUT /api/v1/settings", h.putSettings)
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	h.mux.Handle("GET /metrics", h.metrics(promhttp.HandlerFor(srv.Registry(), promhttp.HandlerOpts{})))
	h.mux.Handle("GET /assets/", webui.Handler()) // stylesheet and script, shared with the collector; no data
	h.mux.Handle("GET /{$}", h.auth.Page(http.HandlerFunc(h.getIndex)))
	h.auth.Register(h.mux) // /login, /logout, /api/v1/session
	return h
}

// ServeHTTP serves a request. Without an admin password the API and the
// page are open to whoever can reach the server, which is safe only on
// loopback; a web page the user visits could still reach them through DNS
// rebinding (its own host name pointing at 127.0.0.1). So without a
// password only requests addressed to a loopback name or an IP address are
// served; others get 421.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.cfg.AdminPasswordHash == "" && r.URL.Path != "/healthz" && !webauth.DirectHost(r.Host) {
		webauth.WriteJSON(w, http.StatusMisdirectedRequest, errorReply{Error: fmt.Sprintf(
			"this server has no admin password, so it answers only requests addressed to localhost or an IP address, not %q: set http.admin_password_hash to serve other names", r.Host)})
		return
	}
	h.mux.ServeHTTP(w, r)
}

type eventsReply struct {
	Records []server.Written `json:"records"`
}

func (h *Handler) postEvents(w http.ResponseWriter, r *http.Request) {
	// A browser posting from another site (a page the user visits sending
	// fake call events to 127.0.0.1) says so in Sec-Fetch-Site or Origin;
	// programs such as PBX integrations and curl send neither.
	if err := h.auth.SameOrigin(r); err != nil {
		h.srv.Rejected("unauthorized", 1)
		webauth.WriteJSON(w, http.StatusForbidden, errorReply{Error: "cross-origin request refused: the ingest API takes events from programs, not from web pages of other sites"})
		return
	}
	if !h.authorized(r) {
		h.srv.Rejected("unauthorized", 1)
		h.auth.Challenge(w, "")
		webauth.WriteJSON(w, http.StatusUnauthorized, errorReply{Error: "missing or wrong bearer token: send 'Authorization: Bearer TOKEN' with the token set in http.token"})
		return
	}
	body := http.MaxBytesReader(w, r.Body, h.cfg.MaxBody)
	events, err := decodeEvents(body, h.cfg.MaxEvents, h.cfg.MaxJSONDepth)
	if err != nil {
		reason := smdr.ErrorCode(err)
		if reason == smdr.EInvalid {
			reason = "malformed"
		}
		h.srv.Rejected(reason, 1)
		h.writeError(w, err)
		return
	}
	written, err := h.srv.Ingest(r.Context(), events)
	if err != nil {
		h.writeError(w, err)
		return
	}
	webauth.WriteJSON(w, http.StatusOK, eventsReply{Records: written})
}

// authorized reports whether r may post events: it carries the token, or
// none is set.
func (h *Handler) authorized(r *http.Request) bool {
	return h.cfg.Token == "" || h.auth.Bearer(r)
}

// metrics wraps /metrics: open with MetricsPublic or when no credential is
// set at all (then HTTP is on loopback only), else it takes the bearer token
// or an admin session.
func (h *Handler) metrics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.cfg.MetricsPublic && !h.auth.Open() && !h.auth.Bearer(r) {
			if _, ok := h.auth.User(r); !ok {
				h.auth.Challenge(w, "")
				http.Error(w, "unauthorized: send 'Authorization: Bearer TOKEN' with the token set in http.token, or set http.metrics_public", http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) getStatus(w http.ResponseWriter, r *http.Request) {
	webauth.WriteJSON(w, http.StatusOK, h.srv.Status())
}

func (h *Handler) getIndex(w http.ResponseWriter, r *http.Request) {
	page, err := assets.ReadFile("assets/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(page)
}

// errorReply is the body of every 4xx and 5xx reply of the API.
type errorReply struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
	Index *int   `json:"index,omitempty"`
}

// statusOf maps domain error codes to HTTP status codes; it is the only place
// that does.
func statusOf(code string) int {
	switch code {
	case smdr.EInvalid:
		return http.StatusBadRequest
	case smdr.EConflict:
		return http.StatusConflict
	case smdr.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case smdr.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (h *Handler) writeError(w http.ResponseWriter, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client has gone
	}
	var e *smdr.Error
	if !errors.As(err, &e) {
		h.log.Error("request failed", "err", err)
		webauth.WriteJSON(w, http.StatusInternalServerError, errorReply{Error: "internal error: " + err.Error()})
		return
	}
	rep := errorReply{Error: e.Error(), Field: e.Field}
	if e.Index >= 0 {
		idx := e.Index
		rep.Index = &idx
	}
	webauth.WriteJSON(w, statusOf(e.Code), rep)
}
