// Package webauth is the login of ipsmdr's web servers, the server's admin
// page (internal/httpd) and the collector's pages (internal/collectweb): an
// admin password checked against its bcrypt hash, sessions in memory behind
// an HttpOnly SameSite=Strict cookie, CSRF tokens on every form and JSON
// change, the browser's cross-origin check, the bearer token of programs,
// and the Host check that keeps DNS rebinding out when there is no
// password.
//
// Who may do what, with a password set (Config.PasswordHash):
//
//   - pages (Page) need a session; without one they redirect to
//     /login?next=PATH;
//   - the JSON GETs the pages use (Reader) take a session or the bearer
//     token;
//   - every form post (login, logout) needs its CSRF token and must not come
//     from another origin (CheckForm);
//   - a JSON request that changes something (Admin, CheckJSON) must not come
//     from another origin, and takes a session with its CSRF token in the
//     X-CSRF-Token header, or the bearer token (which already reads
//     everything).
//
// Without a password there is no login: pages are open to whoever reaches
// the HTTP port, which the programs allow only on loopback, and should serve
// only requests addressed to a name a rebinding page cannot control
// (DirectHost). Forms and JSON changes still need their CSRF token, bound to
// the pre-login cookie, since a hostile page in the admin's browser can post
// to 127.0.0.1 as well as anywhere; GET /api/v1/session hands it to the page.
package webauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

const (
	// loginFailDelay is how long a failed login waits before its reply, on
	// top of bcrypt's own cost: it slows guessing from one client.
	loginFailDelay = 500 * time.Millisecond
	// maxConcurrentLogins bounds the bcrypt comparisons running at once, so
	// a flood of login posts cannot take every CPU.
	maxConcurrentLogins = 4
	// maxFormBody is the largest form body read.
	maxFormBody = 64 << 10
)

// Config is what the login needs. The names of settings are only for
// messages, which say what to set.
type Config struct {
	// User and PasswordHash (bcrypt, as 'ipsmdr hash-password' prints it)
	// are the admin's login; User "" means "admin". With PasswordHash ""
	// there is no login.
	User         string
	PasswordHash string
	// Token is the bearer token of programs; "" means none.
	Token string
	// Realm is the realm of the WWW-Authenticate challenge; "" means
	// "ipsmdr".
	Realm string
	// Product names the program on the login page, e.g. "ipsmdr server".
	Product string
	// Home and HomeLabel are the link the signed-in login page offers, e.g.
	// "/" and "Open the status page".
	Home, HomeLabel string
	// TokenSetting and PasswordSetting name the settings of the token and
	// the hash in messages, e.g. "http.token" and "http.admin_password_hash".
	TokenSetting, PasswordSetting string
	// CookiePrefix starts the names of the cookies ("PREFIX_session",
	// "PREFIX_csrf"); "" means "ipsmdr". Two programs on one host need
	// different prefixes: browsers do not keep cookies apart by port.
	CookiePrefix string
	Logger       *slog.Logger
}

// Auth is the login state of one web server. Its methods are safe for
// concurrent use.
type Auth struct {
	cfg           Config
	log           *slog.Logger
	enabled       bool // a password hash is set
	user          [sha256.Size]byte
	sessionCookie string
	anonCookie    string // binds form tokens when there is no session
	sessions      *sessionStore
	csrf          *csrf
	logins        chan struct{} // semaphore of maxConcurrentLogins
}

// New returns the login of cfg.
func New(cfg Config) *Auth {
	if cfg.User == "" {
		cfg.User = "admin"
	}
	if cfg.Realm == "" {
		cfg.Realm = "ipsmdr"
	}
	if cfg.Product == "" {
		cfg.Product = "ipsmdr"
	}
	if cfg.Home == "" {
		cfg.Home = "/"
	}
	if cfg.HomeLabel == "" {
		cfg.HomeLabel = "Open the home page"
	}
	if cfg.TokenSetting == "" {
		cfg.TokenSetting = "the bearer token"
	}
	if cfg.PasswordSetting == "" {
		cfg.PasswordSetting = "the admin password hash"
	}
	if cfg.CookiePrefix == "" {
		cfg.CookiePrefix = "ipsmdr"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if _, err := bcrypt.Cost([]byte(cfg.PasswordHash)); cfg.PasswordHash != "" && err != nil {
		// Validation should have refused it; say so loudly anyway.
		cfg.Logger.Error(cfg.PasswordSetting+" is not a bcrypt hash: no login can succeed", "err", err)
	}
	return &Auth{
		cfg:           cfg,
		log:           cfg.Logger,
		enabled:       cfg.PasswordHash != "",
		user:          sha256.Sum256([]byte(cfg.User)),
		sessionCookie: cfg.CookiePrefix + "_session",
		anonCookie:    cfg.CookiePrefix + "_csrf",
		sessions:      newSessionStore(),
		csrf:          newCSRF(),
		logins:        make(chan struct{}, maxConcurrentLogins),
	}
}

// Open reports whether neither a password nor a token is set: then nothing
// is asked of anyone, and the server must stay on loopback and serve only
// requests addressed to a DirectHost.
func (a *Auth) Open() bool { return !a.enabled && a.cfg.Token == "" }

// check compares user and password with the configured ones. It compares
// the password even when the user is wrong, so that the time taken does not
// tell which one was.
func (a *Auth) check(ctx context.Context, user, password string) (userOK, ok bool, err error) {
	select {
	case a.logins <- struct{}{}:
	case <-ctx.Done():
		return false, false, ctx.Err()
	}
	defer func() { <-a.logins }()
	u := sha256.Sum256([]byte(user))
	userOK = subtle.ConstantTimeCompare(u[:], a.user[:]) == 1
	pwOK := bcrypt.CompareHashAndPassword([]byte(a.cfg.PasswordHash), []byte(password)) == nil
	return userOK, userOK && pwOK, nil
}

// session returns the request's live session.
func (a *Auth) session(r *http.Request) (session, bool) {
	if !a.enabled {
		return session{}, false
	}
	c, err := r.Cookie(a.sessionCookie)
	if err != nil {
		return session{}, false
	}
	return a.sessions.lookup(c.Value, time.Now())
}

// User returns the user signed in with r's session cookie.
func (a *Auth) User(r *http.Request) (string, bool) {
	s, ok := a.session(r)
	return s.user, ok
}

// Bearer reports whether r carries the configured bearer token. It is
// false when no token is set.
func (a *Auth) Bearer(r *http.Request) bool {
	if a.cfg.Token == "" {
		return false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(a.cfg.Token)) == 1
}

// Challenge sets the WWW-Authenticate header of a 401 on w.
func (a *Auth) Challenge(w http.ResponseWriter, extra string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+a.cfg.Realm+`"`+extra)
}

// Page wraps the handler of an HTML page: with a password it needs a
// session, and without one it redirects to the login page, which comes
// back here. Its replies are not cached, framed or named in full in a
// Referer (see PageHeaders); next may set its own headers over these.
func (a *Auth) Page(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		PageHeaders(w)
		if a.enabled {
			if _, ok := a.session(r); !ok {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Reader wraps a JSON GET: it takes a session or the bearer token, and is
// open only when neither a password nor a token is set. It refuses with a
// JSON 401 that says what to send.
func (a *Auth) Reader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.Open() || a.Bearer(r) {
			next.ServeHTTP(w, r)
			return
		}
		if _, ok := a.session(r); ok {
			next.ServeHTTP(w, r)
			return
		}
		a.unauthorized(w, r)
	})
}

// LoginReader is Reader where, without a password, everything is open: the
// token then guards only what a program does (such as the server's ingest
// API), not what the pages read.
func (a *Auth) LoginReader(next http.Handler) http.Handler {
	if !a.enabled {
		return next
	}
	return a.Reader(next)
}

// unauthorized writes the JSON 401 of Reader and CheckJSON.
func (a *Auth) unauthorized(w http.ResponseWriter, r *http.Request) {
	send := "send 'Authorization: Bearer TOKEN' with the token set in " + a.cfg.TokenSetting
	switch {
	case a.enabled && a.cfg.Token != "":
		a.Challenge(w, "")
		WriteJSON(w, http.StatusUnauthorized, errorReply{Error: "not logged in: log in at /login, or " + send})
	case a.enabled:
		a.Challenge(w, "")
		WriteJSON(w, http.StatusUnauthorized, errorReply{Error: "not logged in: log in at /login"})
	case !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "):
		a.Challenge(w, "")
		WriteJSON(w, http.StatusUnauthorized, errorReply{Error: "this API needs a bearer token: " + send})
	default:
		a.Challenge(w, `, error="invalid_token"`)
		WriteJSON(w, http.StatusUnauthorized, errorReply{Error: "wrong bearer token: " + send})
	}
}

// Admin wraps a JSON request that changes something; see CheckJSON.
func (a *Auth) Admin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.CheckJSON(w, r) {
			next.ServeHTTP(w, r)
		}
	})
}

// SameOrigin applies the browser's own word on where a state-changing
// request came from (Sec-Fetch-Site, else Origin against Host). A request
// that sends neither, as programs do, passes.
func (a *Auth) SameOrigin(r *http.Request) error {
	return a.csrf.cross.Check(r)
}

// formToken returns the CSRF token that a form rendered for r must carry in
// the field csrf_token. It is bound to the session, or without one to a
// random cookie that it sets on w if r has none.
func (a *Auth) formToken(w http.ResponseWriter, r *http.Request) string {
	if s, ok := a.session(r); ok {
		return a.csrf.token(csrfSession, s.id)
	}
	if v, ok := a.anonValue(r); ok {
		return a.csrf.token(csrfAnon, v)
	}
	v := randomToken()
	http.SetCookie(w, &http.Cookie{
		Name: a.anonCookie, Value: v, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	return a.csrf.token(csrfAnon, v)
}

// CheckForm is the gate of every form post: the request must not come from
// another origin, its form must parse, and its csrf_token must match the
// session or the pre-login cookie. If not, CheckForm writes a 403 (or 400)
// with a message that says what to do, and returns false.
func (a *Auth) CheckForm(w http.ResponseWriter, r *http.Request) bool {
	PageHeaders(w)
	if err := a.SameOrigin(r); err != nil {
		a.log.Info("form post refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", "cross-origin")
		http.Error(w, msgCrossOrigin, http.StatusForbidden)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return false
	}
	got := r.PostForm.Get(csrfField)
	if s, ok := a.session(r); ok && a.csrf.valid(csrfSession, s.id, got) {
		return true
	}
	if v, ok := a.anonValue(r); ok && a.csrf.valid(csrfAnon, v, got) {
		return true
	}
	a.log.Info("form post refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", "csrf token")
	http.Error(w, msgBadToken, http.StatusForbidden)
	return false
}

// CheckJSON is the gate of a JSON request that changes something: it must
// not come from another origin, and must carry the bearer token, or the
// CSRF token in the X-CSRF-Token header bound to the session (with a
// password) or to the pre-login cookie (without one). If not, CheckJSON
// writes a JSON 401 or 403 that says what to do, and returns false.
func (a *Auth) CheckJSON(w http.ResponseWriter, r *http.Request) bool {
	if err := a.SameOrigin(r); err != nil {
		a.log.Info("request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", "cross-origin")
		WriteJSON(w, http.StatusForbidden, errorReply{Error: "cross-origin request refused: open the page at this server's own address"})
		return false
	}
	if a.Bearer(r) {
		return true
	}
	got := r.Header.Get(CSRFHeader)
	if a.enabled {
		s, ok := a.session(r)
		if !ok {
			a.unauthorized(w, r)
			return false
		}
		if a.csrf.valid(csrfSession, s.id, got) {
			return true
		}
	} else if v, ok := a.anonValue(r); ok && a.csrf.valid(csrfAnon, v, got) {
		return true
	}
	a.log.Info("request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", "csrf token")
	msg := msgBadHeader
	if a.cfg.Token != "" {
		msg += ", or send 'Authorization: Bearer TOKEN' with the token set in " + a.cfg.TokenSetting
	}
	WriteJSON(w, http.StatusForbidden, errorReply{Error: msg, Field: CSRFHeader})
	return false
}

// anonValue returns r's pre-login cookie if it is well formed.
func (a *Auth) anonValue(r *http.Request) (string, bool) {
	c, err := r.Cookie(a.anonCookie)
	if err != nil || len(c.Value) != tokenLen {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return "", false
	}
	return c.Value, true
}

// DirectHost reports whether host (with or without a port) is localhost or
// an IP address: names a rebinding attacker cannot control. A server
// without a password should answer only requests addressed to one.
func DirectHost(host string) bool {
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

// PageHeaders sets the headers of pages that show or take credentials:
// not cached, not framed (clickjacking), no full address in the Referer.
func PageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("Referrer-Policy", "same-origin")
}

// errorReply is the body of the JSON errors written here, the same shape
// as the APIs' own.
type errorReply struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// WriteJSON replies with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
