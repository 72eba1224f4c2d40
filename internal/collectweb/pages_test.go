package collectweb_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/collectweb"
	"github.com/ipsmdr/ipsmdr/internal/webui/htmlcheck"
)

// pageWant is what a page must have: its hooks for the browser tests.
type pageWant struct {
	path   string
	nav    string   // the nav link marked current
	ids    []string // elements by id
	names  []string // form controls by name
	script string   // its own script under /assets/collect/
}

var pageWants = []pageWant{
	{path: "/", nav: "/", script: "live.js", ids: []string{"live-calls", "recent-calls", "n-ringing", "n-queued", "n-hold", "n-connected"}},
	{path: "/history", nav: "/history", script: "history.js",
		ids:   []string{"filters", "apply", "clear", "calls", "prev", "next", "export", "result-info", "page-info"},
		names: []string{"number", "extension", "from", "to", "direction", "outcome"}},
	{path: "/calls/2026030909000000000001", nav: "/history", script: "call.js", ids: []string{"timeline", "records", "call-facts", "call-title"}},
	{path: "/reports", nav: "/reports", script: "reports.js",
		ids:   []string{"report-form", "range", "apply", "export", "summary", "c-by-hour", "c-by-day", "c-by-extension", "c-by-ddi", "c-ring-time", "c-busiest-hours"},
		names: []string{"from", "to", "direction", "extension"}},
}

func TestPagesServeHTMLWithTheirHooks(t *testing.T) {
	srv := MustServe(t, MustOpenStore(t), collectweb.Config{})
	for _, w := range pageWants {
		resp, body := get(t, srv.URL+w.path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", w.path, resp.StatusCode)
			continue
		}
		for name, want := range map[string]string{
			"Content-Type":            "text/html; charset=utf-8",
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
			"Cache-Control":           "no-cache",
			"Content-Security-Policy": "script-src 'self';",
		} {
			if got := resp.Header.Get(name); !strings.Contains(got, want) {
				t.Errorf("GET %s: %s %q, want %q", w.path, name, got, want)
			}
		}
		doc, problems := htmlcheck.Parse(string(body))
		for _, p := range problems {
			t.Errorf("%s: %s", w.path, p)
		}
		for _, id := range w.ids {
			if _, ok := doc.ByID(id); !ok {
				t.Errorf("%s: no element #%s", w.path, id)
			}
		}
		for _, name := range w.names {
			if n := len(doc.Find("input", "name", name)) + len(doc.Find("select", "name", name)); n != 1 {
				t.Errorf("%s: %d controls named %s, want 1", w.path, n, name)
			}
		}
		if b, ok := doc.ByID("apply"); ok && b.Attrs["type"] != "submit" {
			t.Errorf("%s: #apply is type %q, want submit", w.path, b.Attrs["type"])
		}
		// The navigation: Live, History and Reports, the page's own marked.
		for _, href := range []string{"/", "/history", "/reports"} {
			if len(doc.Find("a", "href", href)) == 0 {
				t.Errorf("%s: no link to %s", w.path, href)
			}
		}
		if cur := doc.Find("a", "aria-current", "page"); len(cur) != 1 || cur[0].Attrs["href"] != w.nav {
			t.Errorf("%s: current nav link %v, want %s", w.path, cur, w.nav)
		}
		// Every asset it loads is served, versioned by content hash.
		var scripts []string
		for _, e := range append(doc.Find("script", "src", ""), doc.Find("link", "href", "")...) {
			ref := e.Attrs["src"] + e.Attrs["href"]
			if !regexp.MustCompile(`^/assets/[a-z/]+\.(css|js|svg)\?v=[0-9a-f]{12}$`).MatchString(ref) {
				t.Errorf("%s: asset %q is not a versioned /assets/ address", w.path, ref)
				continue
			}
			if e.Tag == "script" {
				scripts = append(scripts, ref)
			}
			resp, body := get(t, srv.URL+ref)
			if resp.StatusCode != http.StatusOK || len(body) == 0 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
				t.Errorf("%s: GET %s: status %d, %d bytes, Cache-Control %q", w.path, ref, resp.StatusCode, len(body), resp.Header.Get("Cache-Control"))
			}
		}
		// app.js, collect.js, then the page's own script, in that order.
		if len(scripts) != 3 || !strings.HasPrefix(scripts[0], "/assets/app.js?") || !strings.HasPrefix(scripts[1], "/assets/collect/collect.js?") ||
			!strings.HasPrefix(scripts[2], "/assets/collect/"+w.script+"?") {
			t.Errorf("%s: scripts %v, want app.js, collect.js, %s", w.path, scripts, w.script)
		}
	}
}

// TestPageScriptsFindTheirElements: every byId("x") in a page's script
// names an element of that page, so that a renamed id cannot go unnoticed.
func TestPageScriptsFindTheirElements(t *testing.T) {
	srv := MustServe(t, MustOpenStore(t), collectweb.Config{})
	re := regexp.MustCompile(`byId\("([A-Za-z0-9_-]+)"\)`)
	for _, w := range pageWants {
		_, page := get(t, srv.URL+w.path)
		doc, _ := htmlcheck.Parse(string(page))
		_, js := get(t, srv.URL+"/assets/collect/"+w.script)
		if len(js) == 0 {
			t.Fatalf("no script %s", w.script)
		}
		for _, m := range re.FindAllStringSubmatch(string(js), -1) {
			if _, ok := doc.ByID(m[1]); !ok {
				t.Errorf("%s calls byId(%q), which %s does not have", w.script, m[1], w.path)
			}
		}
	}
}

func TestAssetContentTypes(t *testing.T) {
	srv := MustServe(t, MustOpenStore(t), collectweb.Config{})
	for path, want := range map[string]string{
		"/assets/app.css":            "text/css; charset=utf-8",
		"/assets/app.js":             "text/javascript; charset=utf-8",
		"/assets/icon.svg":           "image/svg+xml",
		"/assets/collect/collect.js": "text/javascript; charset=utf-8",
		"/assets/collect/live.js":    "text/javascript; charset=utf-8",
		"/assets/collect/history.js": "text/javascript; charset=utf-8",
		"/assets/collect/call.js":    "text/javascript; charset=utf-8",
		"/assets/collect/reports.js": "text/javascript; charset=utf-8",
	} {
		resp, body := get(t, srv.URL+path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != want || len(body) == 0 {
			t.Errorf("GET %s: %d %q (%d bytes), want 200 %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), want)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s unversioned: Cache-Control %q, want no-cache", path, got)
		}
	}
	for _, path := range []string{"/assets/collect/nope.js", "/assets/collect/", "/assets/live.html", "/nope", "/history/x"} {
		if resp, _ := get(t, srv.URL+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/", "/history", "/assets/app.js"} {
		if resp, _ := do(t, http.MethodPost, srv.URL+path, ""); resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: status %d, want 405", path, resp.StatusCode)
		}
	}
}

// TestPagesNeedNoTokenButTheAPIDoes: the pages hold no data, so a
// collector with a token serves them to anyone who reaches it (they ask
// for the token); the API still wants it, and the Host check still holds.
func TestPagesNeedNoTokenButTheAPIDoes(t *testing.T) {
	srv := MustServe(t, MustOpenStore(t), collectweb.Config{Token: "s3cret"})
	for _, path := range []string{"/", "/history", "/reports", "/calls/2026030909000000000001", "/assets/app.js"} {
		if resp, _ := get(t, srv.URL+path); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with a token set: status %d, want 200", path, resp.StatusCode)
		}
	}
	if resp, _ := get(t, srv.URL+"/api/v1/calls"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/calls without the token: status %d, want 401", resp.StatusCode)
	}
	open := MustServe(t, MustOpenStore(t), collectweb.Config{})
	if resp, _ := do(t, http.MethodGet, open.URL+"/history", "rebind.example"); resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("GET /history with a foreign Host: status %d, want 421", resp.StatusCode)
	}
}
