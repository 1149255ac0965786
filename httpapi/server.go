// Package httpapi is the web shell: the JSON API, Server-Sent Events,
// Prometheus metrics and the embedded frontend over one app.Service. Each
// resource has its own file (sentiment.go, results.go, imports.go, …) that
// registers its routes; errors.go maps errors to statuses in one place.
// Routes and shapes: app/API.md.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

// ServerConfig configures the web shell's HTTP server.
type ServerConfig struct {
	Addr           string        // listen address; "" = 127.0.0.1:8765
	Token          string        // API token; required unless Addr is loopback
	CORSOrigin     string        // allowed cross-origin Origin; "" = no CORS
	MaxBodyBytes   int64         // JSON request bodies; 0 = 16 MiB
	MaxUploadBytes int64         // multipart imports; 0 = 512 MiB
	RequestTimeout time.Duration // per API request (not SSE, not uploads); 0 = 60s
	ShutdownGrace  time.Duration // time in-flight requests get on shutdown; 0 = 30s

	// AllowHosts are host names the server answers to besides localhost and
	// IP addresses (a reverse proxy's name); ".example.com" allows every
	// name under it. Any other Host header gets 403 (DNS rebinding).
	AllowHosts []string
	// BodyGrace and MinBodyRate cut off request bodies that arrive slower
	// than MinBodyRate bytes/s after BodyGrace; 0 = 10s and 32 KiB/s.
	BodyGrace   time.Duration
	MinBodyRate int64
}

// DefaultAddr is where the web shell listens by default.
const DefaultAddr = "127.0.0.1:8765"

func (c *ServerConfig) setDefaults() error {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 16 << 20
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = 512 << 20
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 60 * time.Second
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = 30 * time.Second
	}
	if c.BodyGrace == 0 {
		c.BodyGrace = defaultBodyGrace
	}
	if c.MinBodyRate == 0 {
		c.MinBodyRate = defaultMinBodyBps
	}
	if o := c.CORSOrigin; o != "" && o != "*" {
		if err := http.NewCrossOriginProtection().AddTrustedOrigin(o); err != nil {
			return fmt.Errorf("--cors %q: want an origin such as http://localhost:5173: %v", o, err)
		}
	}
	if c.Token == "" && !IsLoopbackAddr(c.Addr) {
		return fmt.Errorf("listening on %s (not loopback) requires an API token: --token or NLPSCOPE_TOKEN", c.Addr)
	}
	return nil
}

// IsLoopbackAddr reports whether a listen address only accepts local
// connections ("localhost", 127.0.0.0/8, ::1). An empty host (all
// interfaces) is not loopback.
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Server is the web shell: the JSON API, SSE, Prometheus metrics and the
// embedded frontend over one Service.
type Server struct {
	cfg        ServerConfig
	allowHosts []string // normalised AllowHosts plus the listen address's name
	svc        *app.Service
	log        *slog.Logger
	handler    http.Handler
	shutdown   chan struct{} // closed when shutdown begins: ends SSE streams
	once       sync.Once
}

// NewServer builds the HTTP handler for svc.
func NewServer(cfg ServerConfig, svc *app.Service, log *slog.Logger) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hosts, err := normalizeHosts(cfg.AllowHosts, cfg.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, allowHosts: hosts, svc: svc, log: log, shutdown: make(chan struct{})}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the server's root handler (with auth, CORS and limits).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve accepts connections on ln until ctx ends, then shuts down
// gracefully: it stops accepting, ends live streams, and lets in-flight
// requests finish (up to ShutdownGrace).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	srv.RegisterOnShutdown(s.beginShutdown)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	s.beginShutdown()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

func (s *Server) beginShutdown() { s.once.Do(func() { close(s.shutdown) }) }

// route registers an API handler that returns (value, error): the value is
// written as JSON with status 200, the error through writeError.
func (s *Server) api(h func(w http.ResponseWriter, r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		v, err := h(w, r)
		if err != nil {
			writeError(w, s.log, r, err)
			return
		}
		if v != nil {
			writeJSON(w, http.StatusOK, v)
		}
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.healthRoutes(mux)    // health.go
	s.sentimentRoutes(mux) // sentiment.go
	s.entitiesRoutes(mux)  // entities.go
	s.analyzeRoutes(mux)   // analyze.go
	s.resultsRoutes(mux)   // results.go
	s.insightsRoutes(mux)  // insights.go
	s.importsRoutes(mux)   // imports.go
	s.evaluateRoutes(mux)  // evaluate.go
	s.loadTestRoutes(mux)  // loadtests.go
	s.modelsRoutes(mux)    // models.go
	s.settingsRoutes(mux)  // settings.go
	s.metricsRoutes(mux)   // metrics.go, sse.go
	s.debugRoutes(mux)     // debug.go

	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, s.log, r, fmt.Errorf("%w: no route %s %s", app.ErrNotFound, r.Method, r.URL.Path))
	})
	mux.Handle("/", s.frontendHandler()) // frontend.go

	var h http.Handler = mux
	h = s.observeRoutes(h, mux)
	h = s.cors(h)
	h = s.auth(h)
	h = s.guard(h) // guard.go: Host, cross-origin and CSRF checks, slow bodies
	return h
}

// decode reads a JSON body (at most MaxBodyBytes, valid UTF-8) into v.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		return fmt.Errorf("%w: %s %s wants Content-Type: application/json, got %q", errMediaType, r.Method, r.URL.Path, ct)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		return err
	}
	if !utf8.Valid(body) {
		return fmt.Errorf("request body: %w", engine.ErrInvalidUTF8)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("%w: empty body", errBadJSON)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", errBadJSON, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON value", errBadJSON)
	}
	return nil
}
