package httpd_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/httpd"
	"github.com/ipsmdr/ipsmdr/internal/server"
	"github.com/ipsmdr/ipsmdr/smdr"
)

const (
	testUser     = "admin"
	testPassword = "correct horse battery"
	testToken    = "s3cret-token"
)

// testHash is testPassword hashed at the lowest cost, to keep tests fast.
var testHash = func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}()

// MustOpenAuthServer starts a server whose HTTP handler has a password, a
// token and then whatever mutate changes, on a real socket.
func MustOpenAuthServer(tb testing.TB, mutate func(*httpd.Config)) *httptest.Server {
	tb.Helper()
	cfg := config.Default()
	cfg.ListenAddress = "127.0.0.1"
	cfg.LocalPort = 0
	cfg.Timezone = "UTC"
	cfg.Journal.Dir = tb.TempDir()
	srv, err := server.Open(cfg, nil)
	if err != nil {
		tb.Fatalf("server.Open: %v", err)
	}
	hc := httpd.Config{
		Token:             testToken,
		AdminUser:         testUser,
		AdminPasswordHash: testHash,
		Clock:             smdr.Clock24,
		Location:          cfg.Location(),
	}
	if mutate != nil {
		mutate(&hc)
	}
	hs := httptest.NewServer(httpd.New(srv, hc))
	tb.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		srv.Close()
	})
	return hs
}

// browser is a client with a cookie jar that does not follow redirects, so
// that tests see them.
type browser struct {
	c    *http.Client
	base string
}

func newBrowser(tb testing.TB, hs *httptest.Server) *browser {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	c := &http.Client{
		Jar:           jar,
		Transport:     hs.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &browser{c: c, base: hs.URL}
}

// do sends a request and returns the response with its body read.
func (b *browser) do(tb testing.TB, method, path string, form url.Values, header ...string) (*http.Response, string) {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp, string(data)
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// formToken returns the CSRF token of the form on the page at path.
func (b *browser) formToken(tb testing.TB, path string) string {
	tb.Helper()
	resp, body := b.do(tb, "GET", path, nil)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: status %d, want 200", path, resp.StatusCode)
	}
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		tb.Fatalf("GET %s: no csrf_token field in\n%s", path, body)
	}
	return m[1]
}

// sessionCookie returns the session cookie the jar would send, or "".
func (b *browser) sessionCookie(tb testing.TB) string {
	tb.Helper()
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "ipsmdr_session" {
			return c.Value
		}
	}
	return ""
}

// mustLogin logs in with the right password and returns the response.
func (b *browser) mustLogin(tb testing.TB) *http.Response {
	tb.Helper()
	tok := b.formToken(tb, "/login")
	resp, body := b.do(tb, "POST", "/login", url.Values{"csrf_token": {tok}, "username": {testUser}, "password": {testPassword}, "next": {"/"}})
	if resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("POST /login with the right password: status %d, want 303; body:\n%s", resp.StatusCode, body)
	}
	return resp
}

func TestPageWithoutLoginRedirectsToLogin(t *testing.T) {
	b := newBrowser(t, MustOpenAuthServer(t, nil))
	resp, _ := b.do(t, "GET", "/", nil)
	if got, want := resp.StatusCode, http.StatusSeeOther; got != want {
		t.Fatalf("GET / without login: status %d, want %d", got, want)
	}
	if got, want := resp.Header.Get("Location"), "/login?next=%2F"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
}

func TestLoginPageIsAccessible(t *testing.T) {
	b := newBrowser(t, MustOpenAuthServer(t, nil))
	resp, body := b.do(t, "GET", "/login", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /login: status %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<label for="username">`, `id="username"`, `autocomplete="username"`,
		`<label for="password">`, `id="password"`, `type="password"`, `autocomplete="current-password"`,
		`name="csrf_token"`, `<html lang="en">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options %q, want DENY", got)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	b := newBrowser(t, MustOpenAuthServer(t, nil))
	for _, c := range []struct{ user, password string }{
		{testUser, "wrong password"},
		{"root", testPassword},
		{"", ""},
	} {
		tok := b.formToken(t, "/login")
		resp, body := b.do(t, "POST", "/login", url.Values{"csrf_token": {tok}, "username": {c.user}, "password": {c.password}})
		if got, want := resp.StatusCode, http.StatusUnauthorized; got != want {
			t.Errorf("user %q password %q: status %d, want %d", c.user, c.password, got, want)
		}
		if !strings.Contains(body, "Wrong user name or password.") || !strings.Contains(body, `action="/login"`) {
			t.Errorf("user %q password %q: reply is not the login page with an error:\n%s", c.user, c.password, body)
		}
		for _, ck := range resp.Cookies() {
			if ck.Name == "ipsmdr_session" {
				t.Errorf("user %q password %q: session cookie set", c.user, c.password)
			}
		}
	}
	if resp, _ := b.do(t, "GET", "/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET / after failed logins: status %d, want 303 to the login", resp.StatusCode)
	}
}

func TestLoginAndLogout(t *testing.T) {
	b := newBrowser(t, MustOpenAuthServer(t, nil))
	resp := b.mustLogin(t)
	if got := resp.Header.Get("Location"); got != "/" {
		t.Errorf("after login Location %q, want /", got)
	}
	var sc *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "ipsmdr_session" {
			sc = c
		}
	}
	if sc == nil {
		t.Fatal("no session cookie after login")
	}
	if !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/" || sc.MaxAge <= 0 {
		t.Errorf("session cookie HttpOnly %v SameSite %v Path %q MaxAge %d; want true, Strict, /, > 0",
			sc.HttpOnly, sc.SameSite, sc.Path, sc.MaxAge)
	}
	if sc.Secure {
		t.Error("session cookie Secure over plain HTTP: the browser would never send it")
	}
	if n := len(sc.Value); n < 43 {
		t.Errorf("session id %d characters, want at least 43 (32 random bytes)", n)
	}

	resp, body := b.do(t, "GET", "/", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<h1>ipsmdr server</h1>") {
		t.Fatalf("GET / after login: status %d, want 200 and the status page", resp.StatusCode)
	}
	if resp, body := b.do(t, "GET", "/api/v1/status", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/status with the session: status %d, want 200; %s", resp.StatusCode, body)
	}
	if resp, body := b.do(t, "GET", "/api/v1/records?limit=1", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/records with the session: status %d, want 200; %s", resp.StatusCode, body)
	}

	// The signed-in login page offers to sign out, with its token.
	resp, body = b.do(t, "GET", "/login", nil)
	if !strings.Contains(body, "Signed in as <b>admin</b>") || !strings.Contains(body, `action="/logout"`) {
		t.Fatalf("GET /login signed in: no sign-out form:\n%s", body)
	}
	logoutToken := csrfInput.FindStringSubmatch(body)[1]

	sid := b.sessionCookie(t)
	resp, _ = b.do(t, "POST", "/logout", url.Values{"csrf_token": {logoutToken}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("POST /logout: status %d Location %q, want 303 /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.do(t, "GET", "/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET / after logout: status %d, want 303", resp.StatusCode)
	}
	// The session is over on the server, not just forgotten by the browser.
	resp, _ = b.do(t, "GET", "/", nil, "Cookie", "ipsmdr_session="+sid)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET / with the old session id after logout: status %d, want 303", resp.StatusCode)
	}
}

func TestFormPostWithoutCSRFTokenIsRefused(t *testing.T) {
	hs := MustOpenAuthServer(t, nil)

	t.Run("login", func(t *testing.T) {
		b := newBrowser(t, hs)
		b.formToken(t, "/login") // the browser has the pre-login cookie, but sends no token
		for _, tok := range []string{"", "forged"} {
			form := url.Values{"username": {testUser}, "password": {testPassword}}
			if tok != "" {
				form.Set("csrf_token", tok)
			}
			resp, body := b.do(t, "POST", "/login", form)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "CSRF token is missing or wrong") {
				t.Errorf("POST /login with token %q: status %d body %q; want 403 and a message about the CSRF token", tok, resp.StatusCode, body)
			}
			if b.sessionCookie(t) != "" {
				t.Errorf("POST /login with token %q: a session cookie was set", tok)
			}
		}
		// A token from another browser does not do either.
		other := newBrowser(t, hs).formToken(t, "/login")
		resp, _ := b.do(t, "POST", "/login", url.Values{"csrf_token": {other}, "username": {testUser}, "password": {testPassword}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST /login with another browser's token: status %d, want 403", resp.StatusCode)
		}
	})

	t.Run("logout", func(t *testing.T) {
		b := newBrowser(t, hs)
		b.mustLogin(t)
		resp, body := b.do(t, "POST", "/logout", url.Values{})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "CSRF token") {
			t.Errorf("POST /logout without token: status %d body %q; want 403 and a message about the CSRF token", resp.StatusCode, body)
		}
		if resp, _ := b.do(t, "GET", "/", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET / after a refused logout: status %d, want 200 (still logged in)", resp.StatusCode)
		}
	})

	t.Run("cross-origin", func(t *testing.T) {
		b := newBrowser(t, hs)
		for _, h := range [][]string{
			{"Sec-Fetch-Site", "cross-site"},
			{"Origin", "http://evil.example"},
		} {
			tok := b.formToken(t, "/login")
			resp, body := b.do(t, "POST", "/login", url.Values{"csrf_token": {tok}, "username": {testUser}, "password": {testPassword}}, h...)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "cross-origin") {
				t.Errorf("POST /login with %s: %s: status %d body %q; want 403 cross-origin", h[0], h[1], resp.StatusCode, body)
			}
		}
		// The browser's word that the post is same-origin passes.
		tok := b.formToken(t, "/login")
		resp, _ := b.do(t, "POST", "/login", url.Values{"csrf_token": {tok}, "username": {testUser}, "password": {testPassword}},
			"Sec-Fetch-Site", "same-origin", "Origin", b.base)
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("POST /login same-origin: status %d, want 303", resp.StatusCode)
		}
	})
}

func TestAPINeedsSessionOrToken(t *testing.T) {
	hs := MustOpenAuthServer(t, nil)
	anon := newBrowser(t, hs)
	for _, path := range []string{"/api/v1/status", "/api/v1/records?limit=1"} {
		resp, body := anon.do(t, "GET", path, nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"error"`) {
			t.Errorf("GET %s without credentials: status %d body %s; want 401 with a JSON error", path, resp.StatusCode, body)
		}
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("GET %s: 401 without WWW-Authenticate", path)
		}
		if resp, _ := anon.do(t, "GET", path, nil, "Authorization", "Bearer wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong token: status %d, want 401", path, resp.StatusCode)
		}
		if resp, _ := anon.do(t, "GET", path, nil, "Authorization", "Bearer "+testToken); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the token: status %d, want 200", path, resp.StatusCode)
		}
	}

	// The ingest API is for machines: a session does not open it.
	b := newBrowser(t, hs)
	b.mustLogin(t)
	resp, _ := b.do(t, "POST", "/api/v1/events", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /api/v1/events with a session but no token: status %d, want 401", resp.StatusCode)
	}
}

func TestHealthzIsOpen(t *testing.T) {
	b := newBrowser(t, MustOpenAuthServer(t, nil))
	if resp, body := b.do(t, "GET", "/healthz", nil); resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz: status %d body %q, want 200 ok", resp.StatusCode, body)
	}
}

func TestMetricsAccess(t *testing.T) {
	for _, public := range []bool{false, true} {
		hs := MustOpenAuthServer(t, func(c *httpd.Config) { c.MetricsPublic = public })
		anon := newBrowser(t, hs)
		want := http.StatusUnauthorized
		if public {
			want = http.StatusOK
		}
		if resp, _ := anon.do(t, "GET", "/metrics", nil); resp.StatusCode != want {
			t.Errorf("MetricsPublic %v: GET /metrics without credentials: status %d, want %d", public, resp.StatusCode, want)
		}
		if resp, _ := anon.do(t, "GET", "/metrics", nil, "Authorization", "Bearer "+testToken); resp.StatusCode != http.StatusOK {
			t.Errorf("MetricsPublic %v: GET /metrics with the token: status %d, want 200", public, resp.StatusCode)
		}
		b := newBrowser(t, hs)
		b.mustLogin(t)
		if resp, _ := b.do(t, "GET", "/metrics", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("MetricsPublic %v: GET /metrics with a session: status %d, want 200", public, resp.StatusCode)
		}
	}
}

func TestLoginNextStaysLocal(t *testing.T) {
	hs := MustOpenAuthServer(t, nil)
	for _, c := range []struct{ next, want string }{
		{"/", "/"},
		{"/metrics", "/metrics"},
		{"/?a=1&b=2", "/?a=1&b=2"},
		{"", "/"},
		{"//evil.example", "/"},
		{"//evil.example/", "/"},
		{"http://evil.example", "/"},
		{"https://evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/\t/evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"/login", "/"},
	} {
		b := newBrowser(t, hs)
		tok := b.formToken(t, "/login?next="+url.QueryEscape(c.next))
		resp, _ := b.do(t, "POST", "/login", url.Values{"csrf_token": {tok}, "username": {testUser}, "password": {testPassword}, "next": {c.next}})
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != c.want {
			t.Errorf("login with next %q: status %d Location %q, want 303 %q", c.next, resp.StatusCode, got, c.want)
		}
		// Signed in, /login?next= goes straight there, just as safely.
		resp, _ = b.do(t, "GET", "/login?next="+url.QueryEscape(c.next), nil)
		if got := resp.Header.Get("Location"); got != c.want {
			t.Errorf("GET /login?next=%q signed in: Location %q, want %q", c.next, got, c.want)
		}
	}
}

func TestNoPasswordMeansNoLogin(t *testing.T) {
	hs := MustOpenAuthServer(t, func(c *httpd.Config) { c.AdminPasswordHash = ""; c.Token = "" })
	b := newBrowser(t, hs)
	for _, path := range []string{"/", "/api/v1/status", "/metrics"} {
		if resp, _ := b.do(t, "GET", path, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("no password: GET %s: status %d, want 200", path, resp.StatusCode)
		}
	}
	if resp, _ := b.do(t, "GET", "/login", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("no password: GET /login: status %d Location %q, want 303 /", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Form posts still need their token: a hostile page can post to loopback.
	if resp, _ := b.do(t, "POST", "/logout", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("no password: POST /logout without token: status %d, want 403", resp.StatusCode)
	}
}

func TestFailedLoginIsSlow(t *testing.T) {
	b := newBrowser(t, MustOpenAuthServer(t, nil))
	tok := b.formToken(t, "/login")
	start := time.Now()
	b.do(t, "POST", "/login", url.Values{"csrf_token": {tok}, "username": {testUser}, "password": {"nope"}})
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("failed login answered in %v, want a delay of about 500ms", d)
	}
}
