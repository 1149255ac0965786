package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"
)

// The web shell listens on loopback without a token by default, so every web
// page the user has open can reach it: a page can send "simple" requests
// (form posts, text/plain fetches) to 127.0.0.1 without asking, and a page on
// a domain that resolves to 127.0.0.1 (DNS rebinding) can even read the
// answers. guard is the first handler of every request and closes both:
//
//   - Host: only loopback names, IP literals (an address cannot be rebound)
//     and the names given with --allow-host are served; anything else is a
//     rebinding attempt or a misrouted proxy and gets 403. This also covers
//     SSE, export and pprof.
//   - Cross-origin writes: a state-changing request (anything but GET, HEAD,
//     OPTIONS) that a browser marks as cross-site (Sec-Fetch-Site, or an
//     Origin that is not this Host) gets 403 unless its origin is allowed
//     with --cors (net/http.CrossOriginProtection does the check).
//   - Non-JSON writes: a cross-origin page can send form posts and
//     text/plain bodies without a CORS preflight, but not custom headers; so
//     a write must be application/json or carry CSRFHeader. The bundled UI
//     sends the header on every request; JSON clients and curl with
//     -H 'Content-Type: application/json' need nothing.
//
// A request with the right bearer token is an API client, not a page, and
// skips the two origin checks (a page cannot know the token).
//
// Request bodies must also arrive at a minimum rate (after a grace period),
// so a client that trickles a body is cut off on time instead of holding a
// connection and a handler forever.

// CSRFHeader is the header that proves a non-JSON write was not sent by
// another web page: a page on another origin cannot set it without a CORS
// preflight, which nlpscope refuses unless the origin is allowed with --cors.
const CSRFHeader = "X-Nlpscope-Request"

var (
	errForbiddenHost  = errors.New("forbidden host")
	errCrossOrigin    = errors.New("cross-origin request refused")
	errCSRF           = errors.New("request refused without " + CSRFHeader)
	errMediaType      = errors.New("unsupported media type")
	errSlowBody       = errors.New("request body arrived too slowly")
	defaultBodyGrace  = 10 * time.Second
	defaultMinBodyBps = int64(32 << 10)
)

// guard applies the checks above; see the package comment of this file.
func (s *Server) guard(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if o := s.cfg.CORSOrigin; o != "" && o != "*" {
		// setDefaults validated it.
		_ = cop.AddTrustedOrigin(o)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			writeError(w, s.log, r, fmt.Errorf("%w: this server does not answer to Host %q (a page on another domain may be trying to read it: DNS rebinding); it answers to localhost and IP addresses, start serve with --allow-host NAME to add a name, e.g. behind a reverse proxy", errForbiddenHost, r.Host))
			return
		}
		apiClient := s.cfg.Token != "" && tokenEqual(bearer(r), s.cfg.Token)
		if !apiClient && !safeMethod(r.Method) && s.cfg.CORSOrigin != "*" {
			if err := cop.Check(r); err != nil {
				writeError(w, s.log, r, fmt.Errorf("%w: %s %s from origin %q (allow an origin with serve --cors ORIGIN)", errCrossOrigin, r.Method, r.URL.Path, r.Header.Get("Origin")))
				return
			}
			// Only POST can be sent cross-origin without a preflight
			// (PUT, DELETE and PATCH always ask first).
			if r.Method == http.MethodPost && !isJSON(r.Header.Get("Content-Type")) && r.Header.Get(CSRFHeader) == "" {
				writeError(w, s.log, r, fmt.Errorf("%w: a %s that is not application/json must carry the header %s: 1 (another web page cannot send it)", errCSRF, r.Method, CSRFHeader))
				return
			}
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = newRateBody(w, r.Body, s.cfg.BodyGrace, s.cfg.MinBodyRate)
		}
		next.ServeHTTP(w, r)
	})
}

// isLoopbackHost reports whether a Host header names this machine's
// loopback interface: localhost or a loopback address.
func isLoopbackHost(hostport string) bool {
	h := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// crossSite reports whether a browser marked the request as sent by a page
// of another origin.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return true
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	i := strings.Index(o, "://")
	return i < 0 || o[i+3:] != r.Host
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// isJSON reports whether a Content-Type is application/json (any
// parameters) or a +json type.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// hostAllowed reports whether the server answers to a Host header.
func (s *Server) hostAllowed(hostport string) bool {
	h := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	switch {
	case h == "": // HTTP/1.0 without Host: not a browser
		return true
	case net.ParseIP(h) != nil: // an address cannot be rebound to another one
		return true
	case h == "localhost" || strings.HasSuffix(h, ".localhost"): // resolved locally by browsers (RFC 6761)
		return true
	}
	for _, a := range s.allowHosts {
		if h == a || (strings.HasPrefix(a, ".") && strings.HasSuffix(h, a)) {
			return true
		}
	}
	return false
}

// normalizeHosts lower-cases --allow-host names and adds the listen
// address's own name.
func normalizeHosts(names []string, addr string) ([]string, error) {
	var out []string
	for _, n := range names {
		n = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), ".")
		if n == "" || n == "." || strings.ContainsAny(n, "/:@ *") {
			return nil, fmt.Errorf("--allow-host %q: want a host name such as nlp.example.com, or .example.com for every name under it", n)
		}
		out = append(out, n)
	}
	if h, _, err := net.SplitHostPort(addr); err == nil && h != "" && net.ParseIP(h) == nil {
		out = append(out, strings.ToLower(h))
	}
	return out, nil
}

// rateBody cuts off a request body that arrives slower than minRate bytes
// per second after a grace period: each read moves the connection's read
// deadline to start + grace + read/minRate. The deadline is cleared at the
// end of the body, so it cannot fire while the handler works (Go's server
// reads the idle connection in the background after the body and would
// cancel the request).
type rateBody struct {
	rc      io.ReadCloser
	ctl     *http.ResponseController
	start   time.Time
	grace   time.Duration
	minRate int64
	n       int64
	done    bool
}

func newRateBody(w http.ResponseWriter, rc io.ReadCloser, grace time.Duration, minRate int64) io.ReadCloser {
	b := &rateBody{rc: rc, ctl: http.NewResponseController(w), start: time.Now(), grace: grace, minRate: minRate}
	b.ctl.SetReadDeadline(b.deadline()) // not supported by every ResponseWriter (tests): then no rate limit
	return b
}

func (b *rateBody) deadline() time.Time {
	return b.start.Add(b.grace + time.Duration(float64(b.n)/float64(b.minRate)*float64(time.Second)))
}

func (b *rateBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	switch {
	case err == nil:
		b.ctl.SetReadDeadline(b.deadline())
	case errors.Is(err, io.EOF):
		if !b.done {
			b.done = true
			b.ctl.SetReadDeadline(time.Time{})
		}
	default: // the deadline stays: the server must not wait for the rest either
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("%w: %d bytes in %s (at least %d KiB/s after %s)", errSlowBody, b.n, time.Since(b.start).Round(time.Millisecond), b.minRate>>10, b.grace)
		}
	}
	return n, err
}

// Close keeps the deadline: the server may still drain the rest of the body.
func (b *rateBody) Close() error { return b.rc.Close() }
