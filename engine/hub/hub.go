// Package hub downloads model repositories from the Hugging Face Hub into the
// Hugging Face cache layout (see cache.go), so that models fetched here and
// by Python tools are shared without copying.
//
// Downloads are resumable (HTTP Range on blobs/<etag>.incomplete), verified
// (sha256 against the Hub's X-Linked-Etag and the API's lfs.sha256 for LFS
// files, git blob sha1 against the ETag for small files), and atomic: the
// snapshot folder of a commit appears only once every file is downloaded,
// verified and accepted by the caller's Validate hook. HF_TOKEN,
// HF_HUB_OFFLINE, HF_ENDPOINT, HF_HOME and HF_HUB_CACHE are honoured.
package hub

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Errors callers branch on with errors.Is.
var (
	ErrBadRepoID    = errors.New("bad model repo id")
	ErrNotFound     = errors.New("not found on the Hub")
	ErrUnauthorized = errors.New("the Hub refused access (gated or private repo: set HF_TOKEN)")
	ErrOffline      = errors.New("offline (HF_HUB_OFFLINE=1) and not in the cache")
	ErrNotCached    = errors.New("model not in the Hugging Face cache")
	ErrChecksum     = errors.New("downloaded file does not match the Hub's checksum")
	ErrNoONNX       = errors.New("repo has no ONNX model (model.onnx or onnx/model*.onnx)")
	ErrMissingFile  = errors.New("repo lacks a required file")
	ErrHub          = errors.New("unexpected answer from the Hub")
)

// DefaultEndpoint is the Hub's address unless HF_ENDPOINT says otherwise.
const DefaultEndpoint = "https://huggingface.co"

// Progress reports the bytes of one file downloaded so far. Total is -1
// when unknown. It is called from the downloading goroutine.
type Progress struct {
	File  string
	Done  int64
	Total int64
}

// Config configures a Client. Zero values take the defaults noted.
type Config struct {
	Endpoint   string         // "" = $HF_ENDPOINT, else DefaultEndpoint
	CacheDir   string         // "" = DefaultCacheDir()
	Token      string         // "" = $HF_TOKEN, $HUGGING_FACE_HUB_TOKEN, else $HF_HOME/token
	Offline    bool           // also on when HF_HUB_OFFLINE is 1/true/yes
	HTTPClient *http.Client   // nil = a client with a 30 s connect/header timeout
	Retries    int            // attempts per file after a cut connection; 0 = 4
	RetryWait  time.Duration  // first wait between attempts, doubled each time; 0 = 500ms
	OnProgress func(Progress) // may be nil
	UserAgent  string         // "" = "nlpscope"
}

// Client talks to the Hub and manages the cache. It is safe for concurrent
// use; two pulls of the same repo are serialised by a lock file.
type Client struct {
	cfg      Config
	log      *slog.Logger
	http     *http.Client
	noFollow *http.Client
}

func envTrue(k string) bool {
	switch strings.ToLower(os.Getenv(k)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// New returns a Client; it does no I/O.
func New(cfg Config, log *slog.Logger) (*Client, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = os.Getenv("HF_ENDPOINT")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	if !strings.HasPrefix(cfg.Endpoint, "http://") && !strings.HasPrefix(cfg.Endpoint, "https://") {
		return nil, fmt.Errorf("hub: endpoint %q is not an http(s) URL", cfg.Endpoint)
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = DefaultCacheDir()
	}
	if cfg.Token == "" {
		cfg.Token = firstNonEmpty(os.Getenv("HF_TOKEN"), os.Getenv("HUGGING_FACE_HUB_TOKEN"))
	}
	if cfg.Token == "" {
		home := os.Getenv("HF_HOME")
		if home == "" {
			if h, err := os.UserHomeDir(); err == nil {
				home = filepath.Join(h, ".cache", "huggingface")
			}
		}
		if b, err := os.ReadFile(filepath.Join(home, "token")); err == nil {
			cfg.Token = strings.TrimSpace(string(b))
		}
	}
	cfg.Offline = cfg.Offline || envTrue("HF_HUB_OFFLINE")
	if cfg.Retries <= 0 {
		cfg.Retries = 4
	}
	if cfg.RetryWait <= 0 {
		cfg.RetryWait = 500 * time.Millisecond
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "nlpscope"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = 30 * time.Second
		hc = &http.Client{Transport: tr}
	}
	nf := *hc
	nf.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{cfg: cfg, log: log, http: hc, noFollow: &nf}, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// CacheDir is the cache this client reads and writes.
func (c *Client) CacheDir() string { return c.cfg.CacheDir }

// Offline reports whether the client never touches the network.
func (c *Client) Offline() bool { return c.cfg.Offline }
