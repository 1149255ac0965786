package httpapi

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
)

// debugRoutes registers Go's profiler, served only to loopback clients that
// address it by a loopback name (localhost, 127.0.0.1, [::1]) and are not a
// page of another origin: a profile reveals the command line and a CPU
// profile costs 30 s of CPU.
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
		if !isLoopbackHost(r.Host) || crossSite(r) {
			writeError(w, log, r, fmt.Errorf("%w: /debug/pprof is served at a loopback address (http://127.0.0.1:PORT/debug/pprof/) and not to other web pages", errForbidden))
			return
		}
		h.ServeHTTP(w, r)
	})
}
