// Package admin serves the staff dashboard at /admin: a single-page application that speaks only the
// Admin GraphQL API, embedded in the binary. It is written in plain JavaScript modules with Preact and
// htm, vendored (ui/vendor), so it has no build step: what is in ui/ is what the browser runs, and
// `go run .` serves it on a fresh machine without Node.js. Staff sign in with staffAccessTokenCreate;
// the token lives in the page's memory only, never in storage a script injected elsewhere could read.
package admin

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed ui
var files embed.FS

// Prefix is where the dashboard is served.
const Prefix = "/admin/"

// policy allows the dashboard's own scripts and styles and calls to its own origin, nothing inline and
// nothing from elsewhere (product images may come from a CDN).
const policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
	"connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// Handler serves the dashboard's files under Prefix, and index.html for every screen's path.
func Handler() http.Handler {
	ui, err := fs.Sub(files, "ui")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	static := http.StripPrefix(strings.TrimSuffix(Prefix, "/"), http.FileServerFS(ui))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", policy)
		h.Set("Cache-Control", "no-cache") // revalidated: a new binary's files are seen at once
		if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
			return
		}
		static.ServeHTTP(w, r)
	})
}
