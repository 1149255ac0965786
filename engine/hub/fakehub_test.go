package hub_test

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeHub mimics the parts of the Hugging Face Hub that a download touches:
// GET /api/models/{repo}/revision/{rev}?blobs=true, HEAD/GET
// /{repo}/resolve/{rev}/{path} (LFS files answer 302 to a CDN path with
// X-Linked-Etag/X-Linked-Size, small files answer 200 with a git-sha1 ETag),
// and GET /cdn/{sha256} with Range support. It can cut a connection
// mid-file, corrupt a body, and require a token.
type fakeHub struct {
	t     *testing.T
	srv   *httptest.Server
	cdn   *httptest.Server // same handler, reached as localhost: another host, like a real CDN
	mu    sync.Mutex
	repos map[string]*fakeRepo
	// failure injection, keyed by file path
	cutAfter map[string]int  // first GET sends this many bytes, then drops the connection
	corrupt  map[string]bool // by sha256 of the content: GET bodies have one byte flipped
	// observations
	ranges   []string // Range headers of body GETs, "path=range"
	bodyGets int
}

type fakeRepo struct {
	commit   string
	branches map[string]string
	files    map[string][]byte
	lfs      map[string]bool
	gated    bool
	movedTo  string // a renamed repo: resolve URLs answer 307 to the new name
}

const goodToken = "hf_good"

func newFakeHub(t *testing.T) *fakeHub {
	h := &fakeHub{t: t, repos: map[string]*fakeRepo{}, cutAfter: map[string]int{}, corrupt: map[string]bool{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	h.cdn = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.cdn.Close)
	return h
}

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
func gitSHA1(b []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(b)) + "\x00"))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// addRepo registers a repo whose files ending in .onnx are LFS files.
func (h *fakeHub) addRepo(id, commit string, files map[string][]byte) *fakeRepo {
	r := &fakeRepo{commit: commit, branches: map[string]string{"main": commit}, files: files, lfs: map[string]bool{}}
	for p := range files {
		if strings.HasSuffix(p, ".onnx") || strings.HasSuffix(p, ".onnx_data") {
			r.lfs[p] = true
		}
	}
	h.mu.Lock()
	h.repos[id] = r
	h.mu.Unlock()
	return r
}

func (h *fakeHub) lookup(w http.ResponseWriter, req *http.Request, repoID, rev string) (*fakeRepo, string, bool) {
	r, ok := h.repos[repoID]
	if !ok {
		http.Error(w, "Repository not found", http.StatusNotFound)
		return nil, "", false
	}
	if r.gated && req.Header.Get("Authorization") != "Bearer "+goodToken {
		http.Error(w, "Access to this repo is restricted", http.StatusUnauthorized)
		return nil, "", false
	}
	commit := r.branches[rev]
	if commit == "" && rev == r.commit {
		commit = rev
	}
	if commit == "" {
		http.Error(w, "Revision not found", http.StatusNotFound)
		return nil, "", false
	}
	return r, commit, true
}

func (h *fakeHub) serve(w http.ResponseWriter, req *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := req.URL.Path
	switch {
	case strings.HasPrefix(p, "/api/models/"):
		repoID, rev, ok := strings.Cut(strings.TrimPrefix(p, "/api/models/"), "/revision/")
		if !ok || req.URL.Query().Get("blobs") != "true" {
			http.Error(w, "bad api path", http.StatusBadRequest)
			return
		}
		r, commit, ok := h.lookup(w, req, repoID, rev)
		if !ok {
			return
		}
		type lfs struct {
			SHA256 string `json:"sha256"`
			Size   int    `json:"size"`
		}
		type sib struct {
			RFilename string `json:"rfilename"`
			Size      int    `json:"size"`
			BlobID    string `json:"blobId"`
			LFS       *lfs   `json:"lfs,omitempty"`
		}
		info := struct {
			ID       string `json:"id"`
			SHA      string `json:"sha"`
			Siblings []sib  `json:"siblings"`
		}{ID: repoID, SHA: commit}
		for name, b := range r.files {
			s := sib{RFilename: name, Size: len(b), BlobID: gitSHA1(b)}
			if r.lfs[name] {
				s.LFS = &lfs{SHA256: sha256Hex(b), Size: len(b)}
			}
			info.Siblings = append(info.Siblings, s)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(info)
	case strings.Contains(p, "/resolve/"):
		repoID, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/resolve/")
		rev, file, _ := strings.Cut(rest, "/")
		if r, ok := h.repos[repoID]; ok && r.movedTo != "" {
			w.Header().Set("Location", "/"+r.movedTo+"/resolve/"+rest)
			w.WriteHeader(http.StatusTemporaryRedirect)
			return
		}
		r, commit, ok := h.lookup(w, req, repoID, rev)
		if !ok {
			return
		}
		b, ok := r.files[file]
		if !ok {
			w.Header().Set("X-Error-Code", "EntryNotFound")
			http.Error(w, "Entry not found", http.StatusNotFound)
			return
		}
		w.Header().Set("X-Repo-Commit", commit)
		if r.lfs[file] {
			w.Header().Set("X-Linked-Etag", `"`+sha256Hex(b)+`"`)
			w.Header().Set("X-Linked-Size", strconv.Itoa(len(b)))
			w.Header().Set("ETag", `"`+sha256Hex(b)+`"`)
			cdn := strings.Replace(h.cdn.URL, "127.0.0.1", "localhost", 1)
			w.Header().Set("Location", cdn+"/cdn/"+sha256Hex(b)+"?file="+file)
			w.WriteHeader(http.StatusFound)
			return
		}
		w.Header().Set("ETag", `W/"`+gitSHA1(b)+`"`)
		h.body(w, req, file, b)
	case strings.HasPrefix(p, "/cdn/"):
		// A CDN: no auth needed, and it must never see the Hub token.
		if req.Header.Get("Authorization") != "" {
			http.Error(w, "token leaked to CDN", http.StatusBadRequest)
			return
		}
		file := req.URL.Query().Get("file")
		for _, r := range h.repos {
			if b, ok := r.files[file]; ok && sha256Hex(b) == strings.TrimPrefix(p, "/cdn/") {
				h.body(w, req, file, b)
				return
			}
		}
		http.NotFound(w, req)
	default:
		http.NotFound(w, req)
	}
}

// body serves b (with Range), applying the injected failures.
func (h *fakeHub) body(w http.ResponseWriter, req *http.Request, file string, b []byte) {
	if req.Method == http.MethodHead {
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		return
	}
	h.bodyGets++
	h.ranges = append(h.ranges, file+"="+req.Header.Get("Range"))
	if h.corrupt[sha256Hex(b)] {
		b = bytes.Clone(b)
		b[len(b)/2] ^= 0xff
	}
	if n, ok := h.cutAfter[file]; ok && req.Header.Get("Range") == "" {
		delete(h.cutAfter, file)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		w.Write(b[:n])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // drop the connection mid-body
	}
	http.ServeContent(w, req, file, time.Time{}, bytes.NewReader(b))
}

func (h *fakeHub) stats() (gets int, ranges []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bodyGets, append([]string(nil), h.ranges...)
}
