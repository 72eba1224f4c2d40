package webui_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/webui"
	"github.com/ipsmdr/ipsmdr/internal/webui/htmlcheck"
)

func get(t *testing.T, h http.Handler, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestAssetsAreServedWithTheirTypes(t *testing.T) {
	h := webui.Handler()
	for name, ctype := range map[string]string{
		"app.css":  "text/css; charset=utf-8",
		"app.js":   "text/javascript; charset=utf-8",
		"icon.svg": "image/svg+xml",
	} {
		resp := get(t, h, "/assets/"+name)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ctype || len(body) == 0 {
			t.Errorf("%s: status %d, type %q, %d bytes; want 200, %q", name, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), ctype)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", name)
		}
	}
	for _, path := range []string{"/assets/", "/assets/nope.js", "/assets/../webui.go", "/other/app.css"} {
		if resp := get(t, h, path); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
}

// TestVersionedAssetsAreCachedForAYear: the hashed address may be cached
// for good, the plain one must be revalidated, and an ETag answers 304.
func TestVersionedAssetsAreCachedForAYear(t *testing.T) {
	h := webui.Handler()
	p := webui.Path("app.js")
	if !regexp.MustCompile(`^/assets/app\.js\?v=[0-9a-f]{12}$`).MatchString(p) {
		t.Fatalf("Path(app.js) = %q", p)
	}
	resp := get(t, h, p)
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("versioned: Cache-Control %q", cc)
	}
	for _, path := range []string{"/assets/app.js", "/assets/app.js?v=old"} {
		if cc := get(t, h, path).Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%s: Cache-Control %q, want no-cache", path, cc)
		}
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if r := get(t, h, "/assets/app.js", "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", r.StatusCode)
	}
}

func TestVersionedRewritesAssetReferences(t *testing.T) {
	page := `<link rel="stylesheet" href="/assets/app.css"><script src='/assets/app.js'></script><a href="/assets/app.css.map">`
	got := string(webui.Versioned([]byte(page)))
	if !strings.Contains(got, `href="`+webui.Path("app.css")+`"`) || !strings.Contains(got, `src='`+webui.Path("app.js")+`'`) {
		t.Errorf("not rewritten: %s", got)
	}
	if !strings.Contains(got, `"/assets/app.css.map"`) {
		t.Errorf("an unknown name was rewritten: %s", got)
	}
}

// TestServerPageHooks checks the server's admin page (served by
// internal/httpd from its own embedded copy) for the hooks the browser
// tests use, the manual's labels and defaults, and sound HTML.
func TestServerPageHooks(t *testing.T) {
	b, err := os.ReadFile("../httpd/assets/index.html")
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	doc, problems := htmlcheck.Parse(page)
	for _, p := range problems {
		t.Error("index.html:", p)
	}
	for _, id := range []string{"settings-form", "save", "save-status", "live-records", "pause", "clients", "push-targets", "conn"} {
		if _, ok := doc.ByID(id); !ok {
			t.Errorf("no #%s", id)
		}
	}
	want := map[string]string{ // input name: its default value
		"enabled": "", "local_port": "2007", "padding_char": "0", "push_enabled": "", "remote_ip": "", "remote_port": "2008",
	}
	for name, def := range want {
		in := doc.Find("input", "name", name)
		if len(in) != 1 {
			t.Errorf("want one input named %s, have %d", name, len(in))
			continue
		}
		if def != "" && in[0].Attrs["value"] != def {
			t.Errorf("input %s: default %q, want %q", name, in[0].Attrs["value"], def)
		}
	}
	for _, label := range []string{"General", "Enabled", "Local Port (TCP)", "Item padding character", "Push connections", "Remote IP address", "Remote port", ">Save<"} {
		if !strings.Contains(page, label) {
			t.Errorf("the manual's %q is not on the page", label)
		}
	}
	// Every byId("x") of the page's script names an element of the page.
	for _, m := range regexp.MustCompile(`byId\("([A-Za-z0-9_-]+)"\)`).FindAllStringSubmatch(page, -1) {
		if _, ok := doc.ByID(m[1]); !ok {
			t.Errorf("the script calls byId(%q), which the page does not have", m[1])
		}
	}
	for _, ref := range []string{`"/assets/app.css"`, `"/assets/app.js"`} {
		if !strings.Contains(page, ref) {
			t.Errorf("the page does not load %s", ref)
		}
	}
}

func TestHTMLCheckFindsMistakes(t *testing.T) {
	page := `<!doctype html><html><head><title>x</title></head><body><main><h1>a</h1>
<div id="a"><span id="a"></div>
<label for="nope">X</label><input name="q">
<button>go</button>
</main></body></html>`
	_, problems := htmlcheck.Parse(page)
	all := strings.Join(problems, "\n")
	for _, want := range []string{"</div> closes <span>", `id "a" is used twice`, `<label for="nope">`, `<input name="q" id="">`, "<button> without a type", "<html lang", "viewport"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing problem %q in:\n%s", want, all)
		}
	}
}
