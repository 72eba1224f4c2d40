package webauth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/ipsmdr/ipsmdr/internal/webauth"
)

const (
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

// MustServe serves a page (/), a reader (/api/read), an admin change (PUT
// /api/change) and the login, with cfg, on a real socket.
func MustServe(tb testing.TB, cfg webauth.Config) *httptest.Server {
	tb.Helper()
	a := webauth.New(cfg)
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.Handle("GET /{$}", a.Page(ok))
	mux.Handle("GET /api/read", a.Reader(ok))
	mux.Handle("PUT /api/change", a.Admin(ok))
	a.Register(mux)
	hs := httptest.NewServer(mux)
	tb.Cleanup(hs.Close)
	return hs
}

// client is a browser: a cookie jar, redirects not followed.
type client struct {
	c    *http.Client
	base string
}

func newClient(tb testing.TB, hs *httptest.Server) *client {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	return &client{base: hs.URL, c: &http.Client{Jar: jar, Transport: hs.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(tb testing.TB, method, path string, form url.Values, header ...string) (*http.Response, string) {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.c.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (c *client) formToken(tb testing.TB, path string) string {
	tb.Helper()
	_, body := c.do(tb, "GET", path, nil)
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		tb.Fatalf("GET %s: no csrf_token in\n%s", path, body)
	}
	return m[1]
}

func (c *client) login(tb testing.TB, password string) *http.Response {
	tb.Helper()
	tok := c.formToken(tb, "/login")
	resp, _ := c.do(tb, "POST", "/login", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {password}, "next": {"/"}})
	return resp
}

func (c *client) session(tb testing.TB) map[string]any {
	tb.Helper()
	resp, body := c.do(tb, "GET", "/api/v1/session", nil)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET /api/v1/session: status %d, want 200; %s", resp.StatusCode, body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestLoginSessionAndLogout(t *testing.T) {
	hs := MustServe(t, webauth.Config{PasswordHash: testHash, Token: testToken, Product: "test product", CookiePrefix: "t"})
	c := newClient(t, hs)
	if resp, _ := c.do(t, "GET", "/?a=1", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2F%3Fa%3D1" {
		t.Fatalf("page without session: status %d Location %q, want 303 /login?next=%%2F%%3Fa%%3D1", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := c.do(t, "GET", "/api/read", nil); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "log in at /login") {
		t.Errorf("reader without session: status %d body %s, want 401 saying to log in", resp.StatusCode, body)
	}
	_, body := c.do(t, "GET", "/login", nil)
	if !strings.Contains(body, "<title>Sign in · test product</title>") {
		t.Errorf("login page does not name the product:\n%s", body)
	}

	resp := c.login(t, "wrong")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d, want 401", resp.StatusCode)
	}
	resp = c.login(t, testPassword)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("right password: status %d, want 303", resp.StatusCode)
	}
	var sc *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "t_session" {
			sc = ck
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v, want t_session HttpOnly SameSite=Strict", sc)
	}
	for _, path := range []string{"/", "/api/read"} {
		if resp, _ := c.do(t, "GET", path, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the session: status %d, want 200", path, resp.StatusCode)
		}
	}
	s := c.session(t)
	csrf, _ := s["csrf"].(string)
	if s["user"] != "admin" || s["login"] != true || csrf == "" {
		t.Errorf("session %v, want user admin, login, a token", s)
	}

	// A change takes the session's token in X-CSRF-Token, or the bearer token.
	if resp, _ := c.do(t, "PUT", "/api/change", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("change without X-CSRF-Token: status %d, want 403", resp.StatusCode)
	}
	if resp, _ := c.do(t, "PUT", "/api/change", nil, webauth.CSRFHeader, csrf, "Sec-Fetch-Site", "cross-site"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site change: status %d, want 403", resp.StatusCode)
	}
	if resp, _ := c.do(t, "PUT", "/api/change", nil, webauth.CSRFHeader, csrf); resp.StatusCode != http.StatusOK {
		t.Errorf("change with the token: status %d, want 200", resp.StatusCode)
	}
	anon := newClient(t, hs)
	if resp, _ := anon.do(t, "PUT", "/api/change", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("change without session: status %d, want 401", resp.StatusCode)
	}
	if resp, _ := anon.do(t, "PUT", "/api/change", nil, "Authorization", "Bearer "+testToken); resp.StatusCode != http.StatusOK {
		t.Errorf("change with the bearer token: status %d, want 200", resp.StatusCode)
	}
	if resp, _ := anon.do(t, "GET", "/api/read", nil, "Authorization", "Bearer "+testToken); resp.StatusCode != http.StatusOK {
		t.Errorf("reader with the bearer token: status %d, want 200", resp.StatusCode)
	}

	if resp, _ := c.do(t, "POST", "/logout", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout without CSRF token: status %d, want 403", resp.StatusCode)
	}
	tok := c.formToken(t, "/login")
	if resp, _ := c.do(t, "POST", "/logout", url.Values{"csrf_token": {tok}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: status %d, want 303", resp.StatusCode)
	}
	if resp, _ := c.do(t, "GET", "/api/read", nil, "Cookie", "t_session="+sc.Value); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("reader with the ended session: status %d, want 401", resp.StatusCode)
	}
}

func TestReaderTokenOnly(t *testing.T) {
	hs := MustServe(t, webauth.Config{Token: testToken, Realm: "test realm"})
	c := newClient(t, hs)
	resp, body := c.do(t, "GET", "/api/read", nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Authorization: Bearer TOKEN") {
		t.Errorf("no token: status %d body %s, want 401 saying how to send it", resp.StatusCode, body)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer realm="test realm"` {
		t.Errorf("WWW-Authenticate %q", got)
	}
	resp, _ = c.do(t, "GET", "/api/read", nil, "Authorization", "Bearer wrong")
	if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(got, "invalid_token") {
		t.Errorf("wrong token: status %d WWW-Authenticate %q, want 401 invalid_token", resp.StatusCode, got)
	}
	if resp, _ := c.do(t, "GET", "/api/read", nil, "Authorization", "Bearer "+testToken); resp.StatusCode != http.StatusOK {
		t.Errorf("with the token: status %d, want 200", resp.StatusCode)
	}
	// No login: pages are open, and the session says so.
	if resp, _ := c.do(t, "GET", "/", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("page: status %d, want 200", resp.StatusCode)
	}
	if s := c.session(t); s["login"] != false || s["user"] != "" {
		t.Errorf("session %v, want no login", s)
	}
}

func TestNoCredentials(t *testing.T) {
	hs := MustServe(t, webauth.Config{})
	c := newClient(t, hs)
	for _, path := range []string{"/", "/api/read"} {
		if resp, _ := c.do(t, "GET", path, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", path, resp.StatusCode)
		}
	}
	if resp, _ := c.do(t, "GET", "/login?next=/x", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/x" {
		t.Errorf("GET /login: status %d Location %q, want 303 /x", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Changes still need the token bound to the pre-login cookie.
	csrf, _ := c.session(t)["csrf"].(string)
	if resp, _ := newClient(t, hs).do(t, "PUT", "/api/change", nil, webauth.CSRFHeader, csrf); resp.StatusCode != http.StatusForbidden {
		t.Errorf("change with another browser's token: status %d, want 403", resp.StatusCode)
	}
	if resp, _ := c.do(t, "PUT", "/api/change", nil, webauth.CSRFHeader, csrf); resp.StatusCode != http.StatusOK {
		t.Errorf("change with the token: status %d, want 200", resp.StatusCode)
	}
}

func TestLoginNextStaysLocal(t *testing.T) {
	hs := MustServe(t, webauth.Config{PasswordHash: testHash})
	for _, c := range []struct{ next, want string }{
		{"/", "/"}, {"/history?a=1", "/history?a=1"}, {"", "/"}, {"//evil.example", "/"},
		{"http://evil.example", "/"}, {"/\\evil.example", "/"}, {"/\t/evil.example", "/"},
		{"javascript:alert(1)", "/"}, {"/login", "/"},
	} {
		b := newClient(t, hs)
		tok := b.formToken(t, "/login")
		resp, _ := b.do(t, "POST", "/login", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {testPassword}, "next": {c.next}})
		if got := resp.Header.Get("Location"); got != c.want {
			t.Errorf("next %q: Location %q, want %q", c.next, got, c.want)
		}
	}
}

func TestDirectHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST:8081": true, "127.0.0.1:8080": true, "[::1]:8080": true, "192.0.2.7": true,
		"rebind.example": false, "localhost.example": false, "127.0.0.1.nip.io:80": false, "": false,
	} {
		if got := webauth.DirectHost(host); got != want {
			t.Errorf("DirectHost(%q) = %v, want %v", host, got, want)
		}
	}
}
