package httpapi

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// auth requires the API token (when one is configured) on every request:
// "Authorization: Bearer T", or the cookie set by opening any page with
// ?token=T (browsers cannot put headers on page loads and EventSource), or
// ?token=T on a GET of the API (EventSource).
func (s *Server) auth(next http.Handler) http.Handler {
	if s.cfg.Token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions && s.cfg.CORSOrigin != "" {
			next.ServeHTTP(w, r) // CORS preflight carries no credentials
			return
		}
		if tokenEqual(bearer(r), s.cfg.Token) {
			next.ServeHTTP(w, r)
			return
		}
		if c, err := r.Cookie(tokenCookie); err == nil && tokenEqual(c.Value, s.cfg.Token) {
			next.ServeHTTP(w, r)
			return
		}
		if t := r.URL.Query().Get("token"); r.Method == http.MethodGet && t != "" && tokenEqual(t, s.cfg.Token) {
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: s.cfg.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			if strings.HasPrefix(r.URL.Path, "/v1/") { // API and EventSource: serve as is
				next.ServeHTTP(w, r)
				return
			}
			u := *r.URL // a page: drop the token from the address bar
			qv := u.Query()
			qv.Del("token")
			u.RawQuery = qv.Encode()
			http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
			return
		}
		writeError(w, s.log, r, errUnauthorized)
	})
}

const tokenCookie = "nlpscope_token"

// tokenEqual compares tokens in constant time.
func tokenEqual(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// cors allows the one configured origin; without one, no CORS headers are
// sent and browsers refuse cross-origin reads.
func (s *Server) cors(next http.Handler) http.Handler {
	if s.cfg.CORSOrigin == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && (o == s.cfg.CORSOrigin || s.cfg.CORSOrigin == "*") {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", o)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, "+CSRFHeader+", "+CacheHeader)
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
