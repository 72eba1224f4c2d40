package webauth

import (
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed login.html
var loginFS embed.FS

// loginPage is the login form, styled by internal/webui's stylesheet under
// /assets/, which every server using it serves.
var loginPage = template.Must(template.ParseFS(loginFS, "login.html"))

// Register adds the login's endpoints to mux: GET and POST /login, POST
// /logout and GET /api/v1/session (see LoginReader).
func (a *Auth) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", a.getLogin)
	mux.HandleFunc("POST /login", a.postLogin)
	mux.HandleFunc("POST /logout", a.postLogout)
	mux.Handle("GET /api/v1/session", a.LoginReader(http.HandlerFunc(a.getSession)))
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

// getSession tells a page who is signed in and the CSRF token of its
// changes. Without a login the token is bound to the pre-login cookie,
// which it sets if the browser has none.
func (a *Auth) getSession(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	rep := sessionReply{Login: a.enabled}
	switch s, ok := a.session(r); {
	case ok:
		rep.User, rep.CSRF = s.user, a.csrf.token(csrfSession, s.id)
	case !a.enabled:
		rep.CSRF = a.formToken(w, r)
	}
	WriteJSON(w, http.StatusOK, rep)
}

// loginView is what login.html shows.
type loginView struct {
	Product   string
	Home      string
	HomeLabel string
	SignedIn  string // the user when signed in: the page then offers to sign out
	User      string // the user name typed, after a failed login
	Error     string
	Next      string
	CSRF      string
}

func (a *Auth) getLogin(w http.ResponseWriter, r *http.Request) {
	PageHeaders(w)
	next := safeNext(r.URL.Query().Get("next"))
	if !a.enabled {
		http.Redirect(w, r, next, http.StatusSeeOther) // no password: nothing to log in to
		return
	}
	s, ok := a.session(r)
	if ok && r.URL.Query().Has("next") {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	a.renderLogin(w, r, http.StatusOK, loginView{SignedIn: s.user, Next: next})
}

func (a *Auth) renderLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	v.Product, v.Home, v.HomeLabel = a.cfg.Product, a.cfg.Home, a.cfg.HomeLabel
	v.CSRF = a.formToken(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := loginPage.Execute(w, v); err != nil {
		a.log.Error("login page", "err", err)
	}
}

func (a *Auth) postLogin(w http.ResponseWriter, r *http.Request) {
	if !a.CheckForm(w, r) {
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if !a.enabled {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	user := r.PostForm.Get("username")
	userOK, ok, err := a.check(r.Context(), user, r.PostForm.Get("password"))
	if err != nil {
		return // the client has gone
	}
	if !ok {
		// The user name is not logged: people type their password there.
		a.log.Info("login failed", "remote", r.RemoteAddr, "known_user", userOK)
		t := time.NewTimer(loginFailDelay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
		a.renderLogin(w, r, http.StatusUnauthorized, loginView{User: user, Error: "Wrong user name or password.", Next: next})
		return
	}
	if c, err := r.Cookie(a.sessionCookie); err == nil {
		a.sessions.remove(c.Value) // one session per browser
	}
	s := a.sessions.create(a.cfg.User, time.Now())
	http.SetCookie(w, &http.Cookie{
		Name: a.sessionCookie, Value: s.id, Path: "/",
		MaxAge:   int(sessionMaxAge / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	a.log.Info("login", "remote", r.RemoteAddr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (a *Auth) postLogout(w http.ResponseWriter, r *http.Request) {
	if !a.CheckForm(w, r) {
		return
	}
	if s, ok := a.session(r); ok {
		a.sessions.remove(s.id)
		a.log.Info("logout", "remote", r.RemoteAddr)
	}
	http.SetCookie(w, &http.Cookie{
		Name: a.sessionCookie, Value: "", Path: "/", MaxAge: -1,
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
