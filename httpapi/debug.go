package httpapi

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
)

// debugRoutes registers Go's profiler, served to loopback clients only.
func (s *Server) debugRoutes(mux *http.ServeMux) {
	pp := http.NewServeMux()
	pp.HandleFunc("/debug/pprof/", pprof.Index)
	pp.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	pp.HandleFunc("/debug/pprof/profile", pprof.Profile)
	pp.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	pp.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/pprof/", loopbackOnly(pp, s.log))
}

// loopbackOnly serves h only to clients connecting from a loopback address.
func loopbackOnly(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			writeError(w, log, r, fmt.Errorf("%w: /debug/pprof is served to loopback clients only", errForbidden))
			return
		}
		h.ServeHTTP(w, r)
	})
}
