package httpd

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Who may do what over HTTP, with a password set (Config.AdminPasswordHash):
//
//   - pages (GET /, the admin page) need an admin session; without one they
//     redirect to /login?next=PATH;
//   - the JSON GETs the pages use (/api/v1/status, /api/v1/records) take an
//     admin session or the bearer token;
//   - POST /api/v1/events takes only the bearer token (see postEvents);
//   - /healthz is open; /metrics is open with Config.MetricsPublic, else it
//     takes the bearer token or a session;
//   - every form post (login, logout) needs its CSRF token and must not come
//     from another origin;
//   - a JSON request that changes something (PUT /api/v1/settings) must not
//     come from another origin, and takes an admin session with its CSRF
//     token in the X-CSRF-Token header, or the bearer token (which already
//     reads every record); see checkJSON.
//
// Without a password there is no login: pages and the JSON GETs are open to
// whoever reaches the HTTP port, which config validation allows only on
// loopback. Forms and JSON changes still need their CSRF token, bound to the
// pre-login cookie, since a hostile page in the admin's browser can post to
// 127.0.0.1 as well as anywhere; GET /api/v1/session hands it to the page.

// Cookie names.
const (
	sessionCookie = "ipsmdr_session"
	anonCookie    = "ipsmdr_csrf" // binds form tokens when there is no session
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

var loginPage = template.Must(template.ParseFS(assets, "assets/login.html"))

// auth holds the login state of a Handler.
type auth struct {
	enabled  bool // a password hash is set
	user     [sha256.Size]byte
	userName string
	hash     []byte
	sessions *sessionStore
	csrf     *csrf
	logins   chan struct{} // semaphore of maxConcurrentLogins
}

func newAuth(cfg Config, log *slog.Logger) *auth {
	if _, err := bcrypt.Cost([]byte(cfg.AdminPasswordHash)); cfg.AdminPasswordHash != "" && err != nil {
		// Config validation should have refused it; say so loudly anyway.
		log.Error("http.admin_password_hash is not a bcrypt hash: no login can succeed", "err", err)
	}
	user := cfg.AdminUser
	if user == "" {
		user = "admin"
	}
	return &auth{
		enabled:  cfg.AdminPasswordHash != "",
		user:     sha256.Sum256([]byte(user)),
		userName: user,
		hash:     []byte(cfg.AdminPasswordHash),
		sessions: newSessionStore(),
		csrf:     newCSRF(),
		logins:   make(chan struct{}, maxConcurrentLogins),
	}
}

// check compares user and password with the configured ones. It compares
// the password even when the user is wrong, so that the time taken does not
// tell which one was.
func (a *auth) check(ctx context.Context, user, password string) (userOK, ok bool, err error) {
	select {
	case a.logins <- struct{}{}:
	case <-ctx.Done():
		return false, false, ctx.Err()
	}
	defer func() { <-a.logins }()
	u := sha256.Sum256([]byte(user))
	userOK = subtle.ConstantTimeCompare(u[:], a.user[:]) == 1
	pwOK := bcrypt.CompareHashAndPassword(a.hash, []byte(password)) == nil
	return userOK, userOK && pwOK, nil
}

// session returns the request's live admin session.
func (h *Handler) session(r *http.Request) (session, bool) {
	if !h.auth.enabled {
		return session{}, false
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	return h.auth.sessions.lookup(c.Value, time.Now())
}

// bearerOK reports whether r carries the configured bearer token. Unlike
// authorized, it is false when no token is set.
func (h *Handler) bearerOK(r *http.Request) bool {
	return h.cfg.Token != "" && h.authorized(r)
}

// page wraps the handler of an HTML page that needs the admin: without a
// session it redirects to the login page, which comes back here.
func (h *Handler) page(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pageHeaders(w)
		if h.auth.enabled {
			if _, ok := h.session(r); !ok {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
		}
		next(w, r)
	}
}

// reader wraps a JSON GET that the pages use: it takes an admin session or
// the bearer token.
func (h *Handler) reader(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.auth.enabled && !h.bearerOK(r) {
			if _, ok := h.session(r); !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ipsmdr"`)
				writeJSON(w, http.StatusUnauthorized, errorReply{Error: "not logged in: log in at /login, or send 'Authorization: Bearer TOKEN' with the token set in http.token"})
				return
			}
		}
		next(w, r)
	}
}

// metrics wraps /metrics: open with MetricsPublic or when no credential is
// set at all (then HTTP is on loopback only), else it takes the bearer token
// or an admin session.
func (h *Handler) metrics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		open := h.cfg.MetricsPublic || (!h.auth.enabled && h.cfg.Token == "")
		if !open && !h.bearerOK(r) {
			if _, ok := h.session(r); !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ipsmdr"`)
				http.Error(w, "unauthorized: send 'Authorization: Bearer TOKEN' with the token set in http.token, or set http.metrics_public", http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// formToken returns the CSRF token that a form rendered for r must carry in
// the field csrf_token. It is bound to the session, or without one to a
// random cookie that it sets on w if r has none.
func (h *Handler) formToken(w http.ResponseWriter, r *http.Request) string {
	if s, ok := h.session(r); ok {
		return h.auth.csrf.token(csrfSession, s.id)
	}
	if v, ok := anonValue(r); ok {
		return h.auth.csrf.token(csrfAnon, v)
	}
	var b [32]byte
	rand.Read(b[:])
	v := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{
		Name: anonCookie, Value: v, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	return h.auth.csrf.token(csrfAnon, v)
}

// checkForm is the gate of every form post: the request must not come from
// another origin, its form must parse, and its csrf_token must match the
// session or the pre-login cookie. If not, checkForm writes a 403 (or 400)
// with a message that says what to do, and returns false.
func (h *Handler) checkForm(w http.ResponseWriter, r *http.Request) bool {
	pageHeaders(w)
	if err := h.auth.csrf.sameOrigin(r); err != nil {
		h.log.Info("form post refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", "cross-origin")
		http.Error(w, msgCrossOrigin, http.StatusForbidden)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return false
	}
	got := r.PostForm.Get(csrfField)
	if s, ok := h.session(r); ok && h.auth.csrf.valid(csrfSession, s.id, got) {
		return true
	}
	if v, ok := anonValue(r); ok && h.auth.csrf.valid(csrfAnon, v, got) {
		return true
	}
	h.log.Info("form post refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", "csrf token")
	http.Error(w, msgBadToken, http.StatusForbidden)
	return false
}

// checkJSON is the gate of a JSON request that changes something: it must
// not come from another origin, and must carry the bearer token, or the
// CSRF token in the X-CSRF-Token header bound to the admin session (with a
// password) or to the pre-login cookie (without one). If not, checkJSON
// writes a JSON 401 or 403 that says what to do, and returns false.
func (h *Handler) checkJSON(w http.ResponseWriter, r *http.Request) bool {
	if err := h.auth.csrf.sameOrigin(r); err != nil {
		h.log.Info("request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", "cross-origin")
		writeJSON(w, http.StatusForbidden, errorReply{Error: "cross-origin request refused: open the page at this server's own address"})
		return false
	}
	if h.bearerOK(r) {
		return true
	}
	got := r.Header.Get(csrfHeader)
	if h.auth.enabled {
		s, ok := h.session(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ipsmdr"`)
			writeJSON(w, http.StatusUnauthorized, errorReply{Error: "not logged in: log in at /login, or send 'Authorization: Bearer TOKEN' with the token set in http.token"})
			return false
		}
		if h.auth.csrf.valid(csrfSession, s.id, got) {
			return true
		}
	} else if v, ok := anonValue(r); ok && h.auth.csrf.valid(csrfAnon, v, got) {
		return true
	}
	h.log.Info("request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", "csrf token")
	writeJSON(w, http.StatusForbidden, errorReply{Error: msgBadHeader, Field: csrfHeader})
	return false
}

// sessionReply is the body of GET /api/v1/session.
type sessionReply struct {
	// User is the signed-in admin; "" when the server has no login or the
	// request came with the bearer token.
	User string `json:"user"`
	// CSRF is the token to send in the X-CSRF-Token header of changes;
	// "" with the bearer token, which needs none.
	CSRF string `json:"csrf"`
	// Login says whether the server has a login (an admin password).
	Login bool `json:"login"`
}

// getSession tells the admin page who is signed in and the CSRF token of
// its changes. Without a login the token is bound to the pre-login cookie,
// which it sets if the browser has none.
func (h *Handler) getSession(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	rep := sessionReply{Login: h.auth.enabled}
	switch s, ok := h.session(r); {
	case ok:
		rep.User, rep.CSRF = s.user, h.auth.csrf.token(csrfSession, s.id)
	case !h.auth.enabled:
		rep.CSRF = h.formToken(w, r)
	}
	writeJSON(w, http.StatusOK, rep)
}

// anonValue returns r's pre-login cookie if it is well formed.
func anonValue(r *http.Request) (string, bool) {
	c, err := r.Cookie(anonCookie)
	if err != nil || len(c.Value) != 43 {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return "", false
	}
	return c.Value, true
}

// loginView is what login.html shows.
type loginView struct {
	SignedIn string // the user when signed in: the page then offers to sign out
	User     string // the user name typed, after a failed login
	Error    string
	Next     string
	CSRF     string
}

func (h *Handler) getLogin(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	next := safeNext(r.URL.Query().Get("next"))
	if !h.auth.enabled {
		http.Redirect(w, r, next, http.StatusSeeOther) // no password: nothing to log in to
		return
	}
	s, ok := h.session(r)
	if ok && r.URL.Query().Has("next") {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.renderLogin(w, r, http.StatusOK, loginView{SignedIn: s.user, Next: next})
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	v.CSRF = h.formToken(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := loginPage.Execute(w, v); err != nil {
		h.log.Error("login page", "err", err)
	}
}

func (h *Handler) postLogin(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if !h.auth.enabled {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	user := r.PostForm.Get("username")
	userOK, ok, err := h.auth.check(r.Context(), user, r.PostForm.Get("password"))
	if err != nil {
		return // the client has gone
	}
	if !ok {
		// The user name is not logged: people type their password there.
		h.log.Info("login failed", "remote", r.RemoteAddr, "known_user", userOK)
		t := time.NewTimer(loginFailDelay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
		h.renderLogin(w, r, http.StatusUnauthorized, loginView{User: user, Error: "Wrong user name or password.", Next: next})
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		h.auth.sessions.remove(c.Value) // one session per browser
	}
	s := h.auth.sessions.create(h.auth.userName, time.Now())
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: s.id, Path: "/",
		MaxAge:   int(sessionMaxAge / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	h.log.Info("login", "remote", r.RemoteAddr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) postLogout(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	if s, ok := h.session(r); ok {
		h.auth.sessions.remove(s.id)
		h.log.Info("logout", "remote", r.RemoteAddr)
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext returns next if it is a path on this server, else "/": the login
// page must never send the browser to another site. Browsers read "//host",
// "/\host" and paths with tabs or newlines in them as another host, so
// those are refused along with anything that has a scheme or host.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Path == "/login" {
		return "/"
	}
	return next
}

// pageHeaders sets the headers of pages that show or take credentials:
// not cached, not framed (clickjacking), no full address in the Referer.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("Referrer-Policy", "same-origin")
}
