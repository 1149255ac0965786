package app

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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
	cfg      ServerConfig
	svc      *Service
	log      *slog.Logger
	handler  http.Handler
	shutdown chan struct{} // closed when shutdown begins: ends SSE streams
	once     sync.Once
}

// NewServer builds the HTTP handler for svc.
func NewServer(cfg ServerConfig, svc *Service, log *slog.Logger) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, svc: svc, log: log, shutdown: make(chan struct{})}
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
	mux.HandleFunc("GET /health", s.handleHealth)

	mux.HandleFunc("POST /v1/sentiment/analyze", s.api(s.single(engine.TaskSentiment)))
	mux.HandleFunc("POST /v1/sentiment/batch", s.api(s.batch(engine.TaskSentiment)))
	mux.HandleFunc("POST /v1/entities/extract", s.api(s.single(engine.TaskEntities)))
	mux.HandleFunc("POST /v1/entities/batch", s.api(s.batch(engine.TaskEntities)))
	mux.HandleFunc("POST /v1/analyze", s.api(s.handleAnalyze))

	mux.HandleFunc("GET /v1/results", s.api(s.handleSearch))
	mux.HandleFunc("GET /v1/results/export", s.handleExport)
	mux.HandleFunc("GET /v1/results/{id}", s.api(s.handleGetResult))

	mux.HandleFunc("POST /v1/imports", s.handleImportUpload)
	mux.HandleFunc("GET /v1/imports", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return map[string]any{"imports": s.svc.ListImports()}, nil
	}))
	mux.HandleFunc("GET /v1/imports/{id}", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.GetImport(r.PathValue("id"))
	}))
	mux.HandleFunc("DELETE /v1/imports/{id}", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.CancelImport(r.Context(), r.PathValue("id"))
	}))

	s.loadTestRoutes(mux)

	mux.HandleFunc("GET /v1/models", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.Models(), nil
	}))
	mux.HandleFunc("POST /v1/models/active", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		var req SetModelRequest
		if err := s.decode(w, r, &req); err != nil {
			return nil, err
		}
		return s.svc.SetActiveModel(r.Context(), req)
	}))
	mux.HandleFunc("GET /v1/settings", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.Settings(), nil
	}))
	mux.HandleFunc("PUT /v1/settings", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		var req Settings
		if err := s.decode(w, r, &req); err != nil {
			return nil, err
		}
		return s.svc.SetSettings(req)
	}))

	mux.HandleFunc("GET /v1/metrics", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.Metrics(), nil
	}))
	mux.HandleFunc("GET /v1/metrics/stream", s.handleStream)
	mux.Handle("GET /metrics", s.svc.PrometheusHandler())

	pp := http.NewServeMux()
	pp.HandleFunc("/debug/pprof/", pprof.Index)
	pp.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	pp.HandleFunc("/debug/pprof/profile", pprof.Profile)
	pp.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	pp.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/pprof/", loopbackOnly(pp, s.log))

	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, s.log, r, fmt.Errorf("%w: no route %s %s", ErrNotFound, r.Method, r.URL.Path))
	})
	mux.Handle("/", s.frontendHandler())

	var h http.Handler = mux
	h = s.observeRoutes(h, mux)
	h = s.cors(h)
	h = s.auth(h)
	return h
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

// decode reads a JSON body (at most MaxBodyBytes, valid UTF-8) into v.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
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

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	h := s.svc.Health()
	status := http.StatusOK
	if h.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, h)
}

// textRequest is the body of the single-task endpoints.
type textRequest struct {
	Text        string   `json:"text"`
	Texts       []string `json:"texts"`
	Aggregation string   `json:"aggregation"`
	Model       string   `json:"model"`
	NoStore     bool     `json:"no_store"`
}

func (s *Server) single(task engine.Task) func(w http.ResponseWriter, r *http.Request) (any, error) {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		var req textRequest
		if err := s.decode(w, r, &req); err != nil {
			return nil, err
		}
		if len(req.Texts) > 0 {
			return nil, fmt.Errorf("%w: this endpoint takes one text; use the batch endpoint for texts", ErrBadRequest)
		}
		if req.Text == "" {
			return nil, fmt.Errorf("text: %w", engine.ErrEmptyText)
		}
		res, err := s.svc.AnalyzeText(r.Context(), AnalyzeRequest{Text: req.Text, Tasks: []engine.Task{task}, Aggregation: req.Aggregation, Model: req.Model, NoStore: req.NoStore})
		if err != nil {
			return nil, err
		}
		return res.Results[0], nil
	}
}

func (s *Server) batch(task engine.Task) func(w http.ResponseWriter, r *http.Request) (any, error) {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		var req textRequest
		if err := s.decode(w, r, &req); err != nil {
			return nil, err
		}
		if req.Text != "" {
			return nil, fmt.Errorf("%w: this endpoint takes texts (an array)", ErrBadRequest)
		}
		if len(req.Texts) == 0 {
			return nil, fmt.Errorf("%w: texts is empty", ErrBadRequest)
		}
		return s.svc.AnalyzeText(r.Context(), AnalyzeRequest{Texts: req.Texts, Tasks: []engine.Task{task}, Aggregation: req.Aggregation, Model: req.Model, NoStore: req.NoStore})
	}
}

func (s *Server) handleAnalyze(w http.ResponseWriter, r *http.Request) (any, error) {
	var req AnalyzeRequest
	if err := s.decode(w, r, &req); err != nil {
		return nil, err
	}
	if req.Text == "" && len(req.Texts) == 0 {
		return nil, fmt.Errorf("text: %w", engine.ErrEmptyText)
	}
	return s.svc.AnalyzeText(r.Context(), req)
}

// searchQuery reads a SearchQuery from URL parameters.
func searchQuery(r *http.Request) (SearchQuery, error) {
	v := r.URL.Query()
	q := SearchQuery{
		Q:           v.Get("q"),
		Sentiment:   v.Get("sentiment"),
		EntityLabel: v.Get("entity_label"),
		EntityText:  v.Get("entity_text"),
		Model:       v.Get("model"),
		Source:      v.Get("source"),
		ImportID:    v.Get("import_id"),
		Cursor:      v.Get("cursor"),
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				if d, derr := time.Parse(time.DateOnly, s); derr == nil {
					t = d
				} else {
					return q, fmt.Errorf("%w: %s: want RFC 3339 time or YYYY-MM-DD", ErrBadRequest, p.name)
				}
			}
			*p.dst = t
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return q, fmt.Errorf("%w: limit: want 1..500", ErrBadRequest)
		}
		q.Limit = n
	}
	for _, s := range []string{q.Q, q.Sentiment, q.EntityLabel, q.EntityText, q.Model, q.Source, q.Cursor} {
		if !utf8.ValidString(s) {
			return q, fmt.Errorf("query: %w", engine.ErrInvalidUTF8)
		}
	}
	return q, nil
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) (any, error) {
	q, err := searchQuery(r)
	if err != nil {
		return nil, err
	}
	return s.svc.Search(r.Context(), q)
}

func (s *Server) handleGetResult(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return nil, fmt.Errorf("%w: result id %q", ErrBadRequest, r.PathValue("id"))
	}
	return s.svc.GetDocument(r.Context(), id)
}

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	q, err := searchQuery(r)
	if err != nil {
		writeError(w, s.log, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "jsonl"
	}
	var ctype string
	switch format {
	case "csv":
		ctype = "text/csv; charset=utf-8"
	case "jsonl":
		ctype = "application/x-ndjson"
	default:
		writeError(w, s.log, r, fmt.Errorf("%w: format %q (want csv or jsonl)", ErrBadRequest, format))
		return
	}
	if !s.svc.HasStorage() {
		writeError(w, s.log, r, ErrNoStorage)
		return
	}
	// Errors after the first byte cannot change the status; the writer
	// below delays the header until the first write.
	lw := &lazyWriter{w: w, header: func() {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="nlpscope-results.%s"`, format))
	}}
	if err := s.svc.Export(r.Context(), lw, format, q); err != nil {
		if !lw.started {
			writeError(w, s.log, r, err)
			return
		}
		s.log.Warn("export interrupted", slog.Any("err", err))
		panic(http.ErrAbortHandler) // cut the response so the client sees it is incomplete
	}
	if !lw.started {
		lw.header()
		w.WriteHeader(http.StatusOK)
	}
}

// lazyWriter calls header before its first write.
type lazyWriter struct {
	w       http.ResponseWriter
	header  func()
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.header()
	}
	return l.w.Write(p)
}

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
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
