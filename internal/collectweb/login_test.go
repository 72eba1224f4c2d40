package collectweb_test

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

	"github.com/ipsmdr/ipsmdr/internal/collectweb"
)

const (
	loginUser     = "admin"
	loginPassword = "correct horse battery"
	loginToken    = "s3cret"
)

// loginHash is loginPassword hashed at the lowest cost, to keep tests fast.
var loginHash = func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(loginPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}()

// MustServeLogin serves the collector with an admin password and a token.
func MustServeLogin(tb testing.TB) *httptest.Server {
	tb.Helper()
	st := MustOpenStore(tb)
	MustPutCalls(tb, st, newFixture().all()...)
	return MustServe(tb, st, collectweb.Config{Token: loginToken, AdminUser: loginUser, AdminPasswordHash: loginHash})
}

// browser is a client with a cookie jar that does not follow redirects.
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
	return &browser{base: hs.URL, c: &http.Client{Jar: jar, Transport: hs.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request, a form if form is not nil, and returns the response
// with its body read.
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
	m := csrfInput.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		tb.Fatalf("GET %s: status %d, no csrf_token field in\n%s", path, resp.StatusCode, body)
	}
	return m[1]
}

// login posts the login form with password and returns the response.
func (b *browser) login(tb testing.TB, password, next string) (*http.Response, string) {
	tb.Helper()
	tok := b.formToken(tb, "/login?next="+url.QueryEscape(next))
	return b.do(tb, "POST", "/login", url.Values{"csrf_token": {tok}, "username": {loginUser}, "password": {password}, "next": {next}})
}

func sessionCookieOf(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if strings.HasSuffix(c.Name, "_session") {
			return c
		}
	}
	return nil
}

func TestLoginGuardsPages(t *testing.T) {
	hs := MustServeLogin(t)
	b := newBrowser(t, hs)
	for _, path := range []string{"/", "/history", "/history?number=0163", "/reports", "/calls/" + callID(base, 1)} {
		resp, _ := b.do(t, "GET", path, nil)
		if want := "/login?next=" + url.QueryEscape(path); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("GET %s without a session: status %d Location %q, want 303 %s", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	resp, body := b.do(t, "GET", "/login?next=%2Fhistory", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "ipsmdr collector") || !strings.Contains(body, `href="/assets/app.css"`) {
		t.Errorf("GET /login: status %d, want 200 and the collector's login page:\n%s", resp.StatusCode, body)
	}
	// The shared assets and health stay open: the login page needs them.
	for _, path := range []string{"/assets/app.css", "/healthz"} {
		if resp, _ := b.do(t, "GET", path, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a session: status %d, want 200", path, resp.StatusCode)
		}
	}
}

func TestLoginThenPagesAndAPI(t *testing.T) {
	hs := MustServeLogin(t)
	b := newBrowser(t, hs)
	resp, body := b.login(t, loginPassword, "/history")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/history" {
		t.Fatalf("login: status %d Location %q, want 303 /history; %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	sc := sessionCookieOf(resp)
	if sc == nil {
		t.Fatal("no session cookie after login")
	}
	if !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/" {
		t.Errorf("session cookie %s: HttpOnly %v SameSite %v Path %q; want true, Strict, /", sc.Name, sc.HttpOnly, sc.SameSite, sc.Path)
	}
	if sc.Name == "ipsmdr_session" {
		t.Error("the collector's session cookie has the server's name: one would log the other out on the same host")
	}
	for _, path := range []string{"/", "/history", "/reports", "/calls/" + callID(base, 1)} {
		if resp, _ := b.do(t, "GET", path, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the session: status %d, want 200", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/api/v1/calls", "/api/v1/calls.csv", "/api/v1/summary", "/api/v1/reports", "/api/v1/collector/status"} {
		if resp, body := b.do(t, "GET", path, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the session: status %d, want 200; %s", path, resp.StatusCode, body)
		}
	}
	var calls callsReply
	_, body = b.do(t, "GET", "/api/v1/calls?site=", nil)
	if err := json.Unmarshal([]byte(body), &calls); err != nil || len(calls.Calls) == 0 {
		t.Errorf("GET /api/v1/calls with the session: %v, %d calls; want the fixture", err, len(calls.Calls))
	}
	_, body = b.do(t, "GET", "/api/v1/session", nil)
	var s struct {
		User  string `json:"user"`
		Login bool   `json:"login"`
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil || s.User != loginUser || !s.Login {
		t.Errorf("GET /api/v1/session: %s, want user %s and login true", body, loginUser)
	}

	// Signing out takes the form's CSRF token; without it nothing happens.
	resp, body = b.do(t, "POST", "/logout", url.Values{})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "CSRF token") {
		t.Errorf("POST /logout without the CSRF token: status %d body %q, want 403 about the token", resp.StatusCode, body)
	}
	if resp, _ := b.do(t, "GET", "/history", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /history after a refused logout: status %d, want 200", resp.StatusCode)
	}
	_, body = b.do(t, "GET", "/login", nil)
	if !strings.Contains(body, `action="/logout"`) {
		t.Fatalf("GET /login signed in: no sign-out form:\n%s", body)
	}
	tok := csrfInput.FindStringSubmatch(body)[1]
	if resp, _ := b.do(t, "POST", "/logout", url.Values{"csrf_token": {tok}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("POST /logout: status %d, want 303", resp.StatusCode)
	}
	if resp, _ := b.do(t, "GET", "/api/v1/calls", nil, "Cookie", sc.Name+"="+sc.Value); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/calls with the ended session: status %d, want 401", resp.StatusCode)
	}
}

func TestLoginWrongPasswordGivesNoSession(t *testing.T) {
	hs := MustServeLogin(t)
	b := newBrowser(t, hs)
	resp, body := b.login(t, "wrong password", "/")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong user name or password.") || !strings.Contains(body, `action="/login"`) {
		t.Errorf("wrong password: status %d, want 401 and the login page with an error:\n%s", resp.StatusCode, body)
	}
	if sc := sessionCookieOf(resp); sc != nil {
		t.Errorf("wrong password: session cookie %s set", sc.Name)
	}
	if resp, _ := b.do(t, "GET", "/history", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /history after a failed login: status %d, want 303 to the login", resp.StatusCode)
	}
	if resp, body := b.do(t, "GET", "/api/v1/calls", nil); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "/login") {
		t.Errorf("GET /api/v1/calls after a failed login: status %d body %s, want 401 saying to log in", resp.StatusCode, body)
	}
}

func TestLoginAPITakesTheBearerToken(t *testing.T) {
	hs := MustServeLogin(t)
	b := newBrowser(t, hs)
	for _, path := range []string{"/api/v1/calls", "/api/v1/calls.csv", "/api/v1/summary", "/api/v1/collector/status"} {
		if resp, body := b.do(t, "GET", path, nil, "Authorization", "Bearer "+loginToken); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the token and no session: status %d, want 200; %s", path, resp.StatusCode, body)
		}
		resp, _ := b.do(t, "GET", path, nil, "Authorization", "Bearer wrong")
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("GET %s with a wrong token: status %d WWW-Authenticate %q, want 401 and a Bearer challenge", path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	// The token opens the API, not the pages: they are for people.
	if resp, _ := b.do(t, "GET", "/history", nil, "Authorization", "Bearer "+loginToken); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /history with the token: status %d, want 303 to the login", resp.StatusCode)
	}
	// With a login, a host name is served: the session and token guard it.
	resp, body := do(t, http.MethodGet, hs.URL+"/api/v1/calls", "collector.example:8081", "Authorization: Bearer "+loginToken)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/calls under a host name with the token: status %d, want 200; %s", resp.StatusCode, body)
	}
}
