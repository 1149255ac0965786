package httpapi

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/nlpscope/nlpscope/frontend"
)

// placeholderPage is served until the frontend is built.
const placeholderPage = `<!doctype html><html lang="en"><meta charset="utf-8"><title>nlpscope</title>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>nlpscope</h1><p>The web UI has not been built into this binary (run <code>make build</code>).
The API is available: <a href="/health">/health</a>, <code>POST /v1/analyze</code>, <a href="/metrics">/metrics</a>.</p></body></html>`

// frontendHandler serves the embedded UI (unknown paths get index.html, for
// client-side routes), or a placeholder page when the UI was not built.
func (s *Server) frontendHandler() http.Handler {
	built := frontend.Built()
	dist := frontend.FS()
	files := http.FileServerFS(dist)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, s.log, r, errMethod)
			return
		}
		if !built {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(placeholderPage))
			return
		}
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p != "" {
			if _, err := fs.Stat(dist, p); err != nil {
				r2 := r.Clone(r.Context())
				r2.URL.Path = "/"
				r = r2
			} else if strings.HasPrefix(p, "assets/") {
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			}
		}
		files.ServeHTTP(w, r)
	})
}
