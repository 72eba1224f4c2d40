package collectweb

import (
	"embed"
	"net/http"

	"github.com/ipsmdr/ipsmdr/internal/webui"
)

// The collector's web pages: static HTML that reads the API from the
// browser, with the shared stylesheet and script of internal/webui and the
// pages' own scripts under /assets/collect/. No page holds data; with an
// admin password they need a login all the same, so that the browser holds
// the session cookie the API calls send. Without a password but with a token
// only the API needs it, and the pages ask for it.
//
//	/                 calls in progress, with running timers
//	/history          calls with filters, a page of 100 at a time
//	/calls/{call_id}  one call's records and timeline
//	/reports          charts over a time range

//go:embed assets/*.html assets/js/*.js
var pageFiles embed.FS

// pageScripts are the pages' own scripts.
var pageScripts = webui.New(pageFiles, "assets/js", "/assets/collect/")

// pageCSP lets the pages load scripts and styles only from the collector
// itself. Inline styles are allowed for the style attributes the charts
// set; inline scripts are not.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// pageRoutes maps each page's pattern to its file in assets/.
var pageRoutes = []struct{ pattern, file string }{
	{"GET /{$}", "live.html"},
	{"GET /history", "history.html"},
	{"GET /calls/{call_id}", "call.html"},
	{"GET /reports", "reports.html"},
}

// addPages adds the pages and their assets to h's mux.
func (h *Handler) addPages() {
	h.mux.Handle("GET "+webui.Prefix, webui.Handler())
	h.mux.Handle("GET /assets/collect/", pageScripts.Handler())
	for _, p := range pageRoutes {
		h.mux.Handle(p.pattern, h.auth.Page(servePage(p.file)))
	}
}

// servePage returns the handler of page file, its asset addresses
// versioned by content hash.
func servePage(file string) http.Handler {
	b, err := pageFiles.ReadFile("assets/" + file)
	if err != nil {
		panic(err) // embedded: a missing page is a bug
	}
	b = pageScripts.Versioned(webui.Versioned(b))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		hdr.Set("Cache-Control", "no-cache")
		hdr.Set("Content-Security-Policy", pageCSP)
		w.Write(b)
	})
}
