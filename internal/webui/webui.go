// Package webui holds what the server's and the collector's web pages
// share: one stylesheet and a small script (fetch helpers, time and number
// formatting, inline SVG charts), embedded in the binary and served under
// /assets/. There is no build step: the files are served as they are.
package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static/*
var static embed.FS

// Prefix is the path the shared assets are served under.
const Prefix = "/assets/"

// Assets is a set of static files served under one path prefix, each with
// its content hash for cache busting.
type Assets struct {
	prefix string
	files  map[string]asset
}

// asset is one file with what its replies need.
type asset struct {
	body  []byte
	ctype string
	hash  string // the first 12 hex digits of the SHA-256 of body
}

// shared is the stylesheet and script of every page.
var shared = New(static, "static", Prefix)

// New returns the files of directory dir in fsys (not its subdirectories),
// to be served under prefix ("/assets/collect/"). It panics if dir cannot
// be read: the files are embedded, so that is a bug.
func New(fsys fs.FS, dir, prefix string) *Assets {
	a := &Assets{prefix: prefix, files: map[string]asset{}}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		a.files[e.Name()] = asset{body: b, ctype: contentType(e.Name()), hash: hex.EncodeToString(sum[:])[:12]}
	}
	return a
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".html":
		return "text/html; charset=utf-8"
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// Path returns the address of file name with its content hash as a
// version query ("/assets/app.css?v=3f2a..."): replies to it may be cached
// for a year, since a changed file gets a new address. An unknown name
// gives the plain address.
func (a *Assets) Path(name string) string {
	f, ok := a.files[name]
	if !ok {
		return a.prefix + name
	}
	return a.prefix + name + "?v=" + f.hash
}

// Versioned returns page with every quoted reference to one of the files
// ("/assets/NAME" in double or single quotes) replaced by its Path, so
// that a page served from Go gets the long-cached addresses. A page served
// as it is still works: the plain addresses are revalidated by ETag.
func (a *Assets) Versioned(page []byte) []byte {
	for name := range a.files {
		for _, q := range []string{`"`, `'`} {
			page = bytes.ReplaceAll(page, []byte(q+a.prefix+name+q), []byte(q+a.Path(name)+q))
		}
	}
	return page
}

// Handler serves the files under the prefix. A request whose v query is
// the file's content hash gets "Cache-Control: public, max-age=31536000,
// immutable"; any other gets "no-cache", to be revalidated by its ETag.
// Unknown files get 404. The files hold no data, so they need no login.
func (a *Assets) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, a.prefix)
		f, found := a.files[name]
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.ctype)
		h.Set("ETag", `"`+f.hash+`"`)
		h.Set("X-Content-Type-Options", "nosniff")
		if r.URL.Query().Get("v") == f.hash {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		// ServeContent answers If-None-Match against the ETag set above
		// (304), and HEAD and ranges.
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
	})
}

// Handler serves the shared assets under /assets/. Mount it with
//
//	mux.Handle("GET /assets/", webui.Handler())
func Handler() http.Handler { return shared.Handler() }

// Path returns the versioned address of the shared asset name.
func Path(name string) string { return shared.Path(name) }

// Versioned rewrites the page's references to the shared assets to their
// versioned addresses; see Assets.Versioned.
func Versioned(page []byte) []byte { return shared.Versioned(page) }
