package profiler

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrRemoteTarget is returned when a load-test target is not on this machine
// and remote targets were not allowed.
var ErrRemoteTarget = errors.New("target is not a loopback address (allow remote targets explicitly)")

// HTTPStatusError is a response outside 2xx.
type HTTPStatusError struct {
	StatusCode int
	Body       string // first bytes of the body
}

func (e *HTTPStatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("HTTP %d", e.StatusCode)
	}
	return fmt.Sprintf("HTTP %d: %s", e.StatusCode, e.Body)
}

// HTTPTargetConfig describes an HTTP load-test target.
type HTTPTargetConfig struct {
	URL    string
	Method string // "" = POST when Body is set, GET otherwise
	// Body is a template: "{{text}}" becomes a text from Texts (request seq
	// takes Texts[seq % len]) escaped for a JSON string, "{{seq}}" the
	// request number.
	Body    string
	Texts   []string
	Headers map[string]string // Content-Type defaults to application/json for a body
	// AllowRemote permits non-loopback addresses; without it both the URL
	// and every connection are checked.
	AllowRemote bool
	// MaxConns bounds connections to the host (0 = 512); idle ones are reused.
	MaxConns int
	// OnBody, when set, is called with the body of every 2xx response (its
	// first MaxInspectBytes), e.g. to count cached results. It must be safe
	// for concurrent use.
	OnBody func(body []byte)
}

// MaxInspectBytes is how much of a response HTTPTargetConfig.OnBody sees.
const MaxInspectBytes = 4 << 20

// HTTPTarget sends requests over one tuned, connection-reusing transport.
// Do is a Target. It is safe for concurrent use.
type HTTPTarget struct {
	cfg       HTTPTargetConfig
	url       string
	method    string
	client    *http.Client
	transport *http.Transport
	parts     []string // Body split around placeholders
	texts     []string // JSON-escaped
}

const (
	phText = "{{text}}"
	phSeq  = "{{seq}}"
)

// NewHTTPTarget validates cfg. A non-loopback host without AllowRemote
// fails with ErrRemoteTarget.
func NewHTTPTarget(cfg HTTPTargetConfig) (*HTTPTarget, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: target URL %q must be http(s)://host[:port]/path", ErrInvalidConfig, cfg.URL)
	}
	if !cfg.AllowRemote {
		if err := checkLoopbackHost(u.Hostname()); err != nil {
			return nil, err
		}
	}
	if strings.Contains(cfg.Body, phText) && len(cfg.Texts) == 0 {
		return nil, fmt.Errorf("%w: body template uses %s but no texts were given", ErrInvalidConfig, phText)
	}
	t := &HTTPTarget{cfg: cfg, url: u.String(), method: strings.ToUpper(cfg.Method)}
	if t.method == "" {
		t.method = http.MethodGet
		if cfg.Body != "" {
			t.method = http.MethodPost
		}
	}
	maxConns := cfg.MaxConns
	if maxConns <= 0 {
		maxConns = 512
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !cfg.AllowRemote {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("%w: %s", ErrRemoteTarget, address)
			}
			return nil
		}
	}
	t.transport = &http.Transport{
		Proxy:               nil, // a load test measures the target, not a proxy
		DialContext:         dialer.DialContext,
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns,
		MaxConnsPerHost:     maxConns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	t.client = &http.Client{
		Transport: t.transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is the answer
		},
	}
	t.parts = splitTemplate(cfg.Body)
	t.texts = make([]string, len(cfg.Texts))
	for i, s := range cfg.Texts {
		b, _ := json.Marshal(s)
		t.texts[i] = string(b[1 : len(b)-1])
	}
	return t, nil
}

// checkLoopbackHost accepts loopback IP literals and "localhost".
func checkLoopbackHost(host string) error {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrRemoteTarget, host)
}

// splitTemplate splits body into literal and placeholder parts.
func splitTemplate(body string) []string {
	var parts []string
	for body != "" {
		i := strings.Index(body, "{{")
		if i < 0 {
			parts = append(parts, body)
			break
		}
		switch {
		case strings.HasPrefix(body[i:], phText):
			parts = append(parts, body[:i], phText)
			body = body[i+len(phText):]
		case strings.HasPrefix(body[i:], phSeq):
			parts = append(parts, body[:i], phSeq)
			body = body[i+len(phSeq):]
		default:
			parts = append(parts, body[:i+2])
			body = body[i+2:]
		}
	}
	return parts
}

func (t *HTTPTarget) body(seq uint64) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p {
		case phText:
			b.WriteString(t.texts[seq%uint64(len(t.texts))])
		case phSeq:
			b.WriteString(strconv.FormatUint(seq, 10))
		default:
			b.WriteString(p)
		}
	}
	return b.String()
}

// Do sends request seq and reads the whole response. A status outside 2xx
// is an *HTTPStatusError.
func (t *HTTPTarget) Do(ctx context.Context, seq uint64) error {
	var body io.Reader
	if len(t.parts) > 0 {
		body = strings.NewReader(t.body(seq))
	}
	req, err := http.NewRequestWithContext(ctx, t.method, t.url, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range t.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return &HTTPStatusError{StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(snippet))}
	}
	if t.cfg.OnBody != nil {
		b, err := io.ReadAll(io.LimitReader(resp.Body, MaxInspectBytes))
		if err != nil {
			return fmt.Errorf("read response: %w", err)
		}
		t.cfg.OnBody(b)
	}
	// Drain so the connection is reused.
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	return nil
}

// Close closes idle connections.
func (t *HTTPTarget) Close() error {
	t.transport.CloseIdleConnections()
	return nil
}

// ReadTexts reads load-test texts: JSON Lines with a "text" field when a
// line starts with '{', plain lines otherwise; empty lines are skipped.
// Lines are limited to 1 MiB.
func ReadTexts(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var out []string
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		if strings.HasPrefix(s, "{") {
			var v struct {
				Text *string `json:"text"`
			}
			if err := json.Unmarshal([]byte(s), &v); err != nil || v.Text == nil {
				return nil, fmt.Errorf("texts line %d: a JSON line needs a \"text\" string", line)
			}
			s = *v.Text
			if strings.TrimSpace(s) == "" {
				continue
			}
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read texts: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("read texts: no text found")
	}
	return out, nil
}

// DefaultTexts are used when a load test is given no texts: short and
// medium English sentences with named entities.
var DefaultTexts = []string{
	"I absolutely loved the new update, everything feels faster.",
	"The delivery was late again and the support team never answered.",
	"Angela Merkel met Emmanuel Macron in Paris on Tuesday to discuss energy policy.",
	"Apple opened a new office in Berlin, hiring two hundred engineers.",
	"The hotel room was clean, but the breakfast was disappointing.",
	"Microsoft and OpenAI announced a partnership at a conference in San Francisco.",
	"Terrible experience. The product broke after two days and the refund took a month.",
	"The conductor led the Vienna Philharmonic through a wonderful evening of Mozart and Brahms, and the audience in the Musikverein stood for several minutes.",
	"It's okay, nothing special.",
	"Researchers at the University of Cambridge published the results in Nature last week.",
	"Fantastic service from the staff at the Lisbon branch, thank you Maria!",
	"The train from London to Edinburgh was cancelled without any explanation, leaving hundreds of passengers stranded at King's Cross for the night.",
}
