package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PullOptions tune one Pull.
type PullOptions struct {
	// Files are the repo paths to fetch. nil = config.json, tokenizer.json and
	// one ONNX model: model.onnx, else onnx/model.onnx, else the first
	// onnx/model*.onnx (with its external-data file when the repo has one).
	Files []string
	// Validate, when set, is called on the complete snapshot folder before it
	// is published; an error aborts the pull and removes what it downloaded.
	Validate func(dir string) error
}

// File is one file of a pulled snapshot.
type File struct {
	Path       string `json:"path"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256,omitempty"` // LFS files: verified
	ETag       string `json:"etag"`             // the blob's name in the cache
	Downloaded bool   `json:"downloaded"`       // false when the blob was already cached
}

// Snapshot is a model folder in the cache.
type Snapshot struct {
	Repo     string `json:"repo"`
	Revision string `json:"revision"`
	Commit   string `json:"commit"`
	Dir      string `json:"dir"`
	Files    []File `json:"files"`
}

// repoInfo is the part of GET /api/models/{repo}/revision/{rev}?blobs=true
// that Pull reads.
type repoInfo struct {
	SHA      string `json:"sha"`
	Siblings []struct {
		RFilename string `json:"rfilename"`
		Size      int64  `json:"size"`
		BlobID    string `json:"blobId"`
		LFS       *struct {
			SHA256 string `json:"sha256"`
			Size   int64  `json:"size"`
		} `json:"lfs"`
	} `json:"siblings"`
}

// Pull makes repo@revision available in the cache and returns its snapshot.
// Offline, it only resolves the cache. Files already in the cache are not
// downloaded again; interrupted downloads resume where they stopped.
func (c *Client) Pull(ctx context.Context, repo, revision string, opts PullOptions) (Snapshot, error) {
	if revision == "" {
		revision = "main"
	}
	if _, _, err := ParseRef(repo + "@" + revision); err != nil {
		return Snapshot{}, err
	}
	if c.cfg.Offline {
		cm, err := Resolve(c.cfg.CacheDir, repo, revision)
		if err != nil {
			return Snapshot{}, fmt.Errorf("%w: %w", ErrOffline, err)
		}
		s := Snapshot{Repo: repo, Revision: revision, Commit: cm.Commit, Dir: cm.Dir}
		for _, f := range append([]string{"config.json", "tokenizer.json"}, cm.ONNX...) {
			s.Files = append(s.Files, File{Path: f})
		}
		return s, nil
	}
	info, err := c.repoInfo(ctx, repo, revision)
	if err != nil {
		return Snapshot{}, err
	}
	if !commitPattern.MatchString(info.SHA) {
		return Snapshot{}, fmt.Errorf("%w: repo info for %s@%s has no commit sha", ErrHub, repo, revision)
	}
	files, err := selectFiles(info, opts.Files)
	if err != nil {
		return Snapshot{}, fmt.Errorf("%s@%s: %w", repo, revision, err)
	}
	root := filepath.Join(c.cfg.CacheDir, RepoFolder(repo))
	for _, d := range []string{"blobs", "snapshots", "refs"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return Snapshot{}, fmt.Errorf("hub cache: %w", err)
		}
	}
	unlock, err := lockRepo(ctx, filepath.Join(c.cfg.CacheDir, ".locks", RepoFolder(repo)))
	if err != nil {
		return Snapshot{}, err
	}
	defer unlock()

	snap := Snapshot{Repo: repo, Revision: revision, Commit: info.SHA, Dir: filepath.Join(root, "snapshots", info.SHA)}
	var fresh []string // blobs this pull created, removed again on failure
	fail := func(err error) (Snapshot, error) {
		for _, b := range fresh {
			_ = os.Remove(b)
		}
		return Snapshot{}, err
	}
	for _, f := range files {
		lfsSHA := ""
		for _, s := range info.Siblings {
			if s.RFilename == f && s.LFS != nil {
				lfsSHA = strings.ToLower(s.LFS.SHA256)
			}
		}
		file, created, err := c.fetchFile(ctx, root, repo, info.SHA, f, lfsSHA)
		if err != nil {
			return fail(fmt.Errorf("%s@%s: %s: %w", repo, revision, f, err))
		}
		if created {
			fresh = append(fresh, filepath.Join(root, "blobs", file.ETag))
		}
		snap.Files = append(snap.Files, file)
	}

	tmp := filepath.Join(root, "snapshots", ".tmp-"+info.SHA+"-"+randHex())
	defer os.RemoveAll(tmp)
	for _, f := range snap.Files {
		if err := linkBlob(tmp, f); err != nil {
			return fail(err)
		}
	}
	if opts.Validate != nil {
		if err := opts.Validate(tmp); err != nil {
			return fail(fmt.Errorf("%s@%s: %w", repo, revision, err))
		}
	}
	if err := publish(tmp, snap.Dir, snap.Files); err != nil {
		return fail(err)
	}
	if revision != info.SHA {
		if err := writeFileAtomic(filepath.Join(root, "refs", filepath.FromSlash(revision)), []byte(info.SHA)); err != nil {
			return Snapshot{}, err
		}
	}
	return snap, nil
}

func randHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// safeRepoPath reports whether a repo file path stays inside a snapshot
// folder: relative, forward slashes, no "." or ".." segments.
func safeRepoPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// selectFiles picks the files to fetch and checks the repo has them.
func selectFiles(info repoInfo, want []string) ([]string, error) {
	have := map[string]bool{}
	for _, s := range info.Siblings {
		have[s.RFilename] = true
	}
	if want != nil {
		for _, f := range want {
			if !safeRepoPath(f) {
				return nil, fmt.Errorf("%w: unsafe file path %q", ErrBadRepoID, f)
			}
			if !have[f] {
				return nil, fmt.Errorf("%w: %s", ErrMissingFile, f)
			}
		}
		return want, nil
	}
	var files []string
	for _, f := range []string{"config.json", "tokenizer.json"} {
		if !have[f] {
			return nil, fmt.Errorf("%w: %s", ErrMissingFile, f)
		}
		files = append(files, f)
	}
	onnx := ""
	switch {
	case have["model.onnx"]:
		onnx = "model.onnx"
	case have["onnx/model.onnx"]:
		onnx = "onnx/model.onnx"
	default:
		var cands []string
		for f := range have {
			if strings.HasPrefix(f, "onnx/model") && strings.HasSuffix(f, ".onnx") && !strings.Contains(f[len("onnx/"):], "/") {
				cands = append(cands, f)
			}
		}
		sort.Strings(cands)
		if len(cands) == 0 {
			return nil, ErrNoONNX
		}
		onnx = cands[0]
	}
	files = append(files, onnx)
	for _, ext := range []string{"_data", ".data"} {
		if have[onnx+ext] {
			files = append(files, onnx+ext)
		}
	}
	return files, nil
}

func (c *Client) newRequest(ctx context.Context, method, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	return req, nil
}

// statusErr maps an unexpected HTTP status to a typed error.
func statusErr(resp *http.Response, what string) error {
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: %s: HTTP %d", ErrUnauthorized, what, resp.StatusCode)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s (HTTP 404)", ErrNotFound, what)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return retryable{fmt.Errorf("%w: %s: HTTP %d", ErrHub, what, resp.StatusCode)}
	default:
		return fmt.Errorf("%w: %s: HTTP %d", ErrHub, what, resp.StatusCode)
	}
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

func (c *Client) repoInfo(ctx context.Context, repo, revision string) (repoInfo, error) {
	u := c.cfg.Endpoint + "/api/models/" + repo + "/revision/" + url.PathEscape(revision) + "?blobs=true"
	req, err := c.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return repoInfo{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return repoInfo{}, fmt.Errorf("hub: %s@%s: %w", repo, revision, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return repoInfo{}, statusErr(resp, repo+"@"+revision)
	}
	var info repoInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&info); err != nil {
		return repoInfo{}, fmt.Errorf("%w: repo info for %s: %v", ErrHub, repo, err)
	}
	return info, nil
}

// fileMeta is what HEAD on a resolve URL tells (huggingface_hub's
// get_hf_file_metadata).
type fileMeta struct {
	etag   string
	size   int64
	commit string
}

func normalizeETag(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	return strings.Trim(s, `"`)
}

func (c *Client) resolveURL(repo, commit, file string) string {
	return c.cfg.Endpoint + "/" + repo + "/resolve/" + url.PathEscape(commit) + "/" + escapePath(file)
}

func (c *Client) head(ctx context.Context, repo, commit, file string) (fileMeta, error) {
	u := c.resolveURL(repo, commit, file)
	var resp *http.Response
	// Follow relative redirects (a renamed repo answers 307 to its new
	// path), but not absolute ones: those point at the CDN, and the
	// metadata is on this answer.
	for hops := 0; ; hops++ {
		req, err := c.newRequest(ctx, http.MethodHead, u)
		if err != nil {
			return fileMeta{}, err
		}
		req.Header.Set("Accept-Encoding", "identity")
		resp, err = c.noFollow.Do(req)
		if err != nil {
			return fileMeta{}, retryable{fmt.Errorf("hub: HEAD %s: %w", file, err)}
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 399 || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
			break
		}
		if hops == 5 {
			return fileMeta{}, fmt.Errorf("%w: %s: too many redirects", ErrHub, file)
		}
		u = c.cfg.Endpoint + loc
	}
	if resp.StatusCode >= 400 {
		return fileMeta{}, statusErr(resp, repo+"/"+file)
	}
	m := fileMeta{
		etag:   normalizeETag(firstNonEmpty(resp.Header.Get("X-Linked-Etag"), resp.Header.Get("ETag"))),
		commit: resp.Header.Get("X-Repo-Commit"),
		size:   -1,
	}
	if s := firstNonEmpty(resp.Header.Get("X-Linked-Size"), resp.Header.Get("Content-Length")); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
			m.size = n
		}
	}
	if m.etag == "" {
		return fileMeta{}, fmt.Errorf("%w: %s has no ETag (cannot name or verify the blob)", ErrHub, file)
	}
	if strings.ContainsAny(m.etag, `/\`) || m.etag == "." || m.etag == ".." {
		return fileMeta{}, fmt.Errorf("%w: %s: bad ETag %q", ErrHub, file, m.etag)
	}
	return m, nil
}

// fetchFile makes blobs/<etag> of one file present and verified. created
// reports whether this call downloaded it.
func (c *Client) fetchFile(ctx context.Context, root, repo, commit, file, lfsSHA string) (File, bool, error) {
	var meta fileMeta
	err := c.retry(ctx, func() error {
		var err error
		meta, err = c.head(ctx, repo, commit, file)
		return err
	})
	if err != nil {
		return File{}, false, err
	}
	if meta.commit != "" && meta.commit != commit {
		return File{}, false, fmt.Errorf("%w: HEAD answered commit %s, repo info %s", ErrHub, meta.commit, commit)
	}
	v := verifier{size: meta.size}
	if is64Hex(meta.etag) {
		v.sha256 = strings.ToLower(meta.etag)
	} else if is40Hex(meta.etag) {
		v.gitSHA1 = strings.ToLower(meta.etag)
	}
	if lfsSHA != "" {
		if v.sha256 != "" && v.sha256 != lfsSHA {
			return File{}, false, fmt.Errorf("%w: X-Linked-Etag %s but the API says sha256 %s", ErrChecksum, v.sha256, lfsSHA)
		}
		v.sha256 = lfsSHA
	}
	f := File{Path: file, ETag: meta.etag, SHA256: v.sha256, Size: meta.size}
	blob := filepath.Join(root, "blobs", meta.etag)
	if st, err := os.Stat(blob); err == nil && (meta.size < 0 || st.Size() == meta.size) {
		f.Size = st.Size()
		return f, false, nil
	}
	part := blob + ".incomplete"
	u := c.resolveURL(repo, commit, file)
	err = c.retry(ctx, func() error { return c.fetchOnce(ctx, u, part, file, meta.size) })
	if err != nil {
		return File{}, false, err
	}
	if err := v.check(part); err != nil {
		_ = os.Remove(part) // corrupt: never resume from it
		return File{}, false, err
	}
	if err := os.Rename(part, blob); err != nil {
		return File{}, false, fmt.Errorf("hub cache: %w", err)
	}
	st, err := os.Stat(blob)
	if err != nil {
		return File{}, false, err
	}
	f.Size, f.Downloaded = st.Size(), true
	return f, true, nil
}

// retryable marks errors worth another attempt (cut connections, 5xx).
type retryable struct{ err error }

func (r retryable) Error() string { return r.err.Error() }
func (r retryable) Unwrap() error { return r.err }

func (c *Client) retry(ctx context.Context, fn func() error) error {
	wait := c.cfg.RetryWait
	for attempt := 1; ; attempt++ {
		err := fn()
		var r retryable
		if err == nil || !errors.As(err, &r) || attempt >= c.cfg.Retries || ctx.Err() != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		c.log.Warn("hub: retrying", slog.Int("attempt", attempt), slog.String("error", err.Error()))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait *= 2
	}
}

// fetchOnce appends the rest of u to part, starting at part's current size
// (HTTP Range), and returns a retryable error when the transfer is cut.
func (c *Client) fetchOnce(ctx context.Context, u, part, name string, size int64) error {
	f, err := os.OpenFile(part, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("hub cache: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	offset := st.Size()
	if size >= 0 && offset > size {
		offset = 0
	}
	if size >= 0 && offset == size && size > 0 {
		return nil
	}
	req, err := c.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return err
	}
	req.Header.Set("Accept-Encoding", "identity")
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return retryable{fmt.Errorf("hub: GET %s: %w", name, err)}
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusPartialContent:
		var start int64
		if _, err := fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-", &start); err != nil || start != offset {
			_ = f.Truncate(0)
			return retryable{fmt.Errorf("%w: %s: Content-Range %q for a request from byte %d", ErrHub, name, resp.Header.Get("Content-Range"), offset)}
		}
	case http.StatusOK:
		offset = 0
	case http.StatusRequestedRangeNotSatisfiable:
		_ = f.Truncate(0)
		return retryable{fmt.Errorf("%w: %s: range from byte %d refused", ErrHub, name, offset)}
	default:
		return statusErr(resp, name)
	}
	if err := f.Truncate(offset); err != nil {
		return err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	done := offset
	buf := make([]byte, 256<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				return fmt.Errorf("hub cache: %w", err)
			}
			done += int64(n)
			if c.cfg.OnProgress != nil {
				c.cfg.OnProgress(Progress{File: name, Done: done, Total: size})
			}
			if size >= 0 && done > size {
				return fmt.Errorf("%w: %s: more than the announced %d bytes", ErrChecksum, name, size)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return retryable{fmt.Errorf("hub: %s: connection cut after %d bytes: %w", name, done, rerr)}
		}
	}
	if size >= 0 && done != size {
		return retryable{fmt.Errorf("hub: %s: got %d of %d bytes", name, done, size)}
	}
	return f.Sync()
}

// linkBlob creates dir/<path> as a relative symlink to the repo's blob.
func linkBlob(dir string, f File) error {
	p := filepath.Join(dir, filepath.FromSlash(f.Path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	depth := strings.Count(f.Path, "/") + 2 // snapshots/<commit>/[sub/]file -> ../../blobs
	target := strings.Repeat("../", depth) + "blobs/" + f.ETag
	_ = os.Remove(p)
	return os.Symlink(target, p)
}

// publish moves the links of a complete temporary snapshot into place: the
// whole folder at once when the commit is new, link by link (each an atomic
// rename) when a snapshot of the commit already exists.
func publish(tmp, final string, files []File) error {
	if err := os.Rename(tmp, final); err == nil {
		return nil
	} else if _, serr := os.Stat(final); serr != nil {
		return fmt.Errorf("hub cache: publish snapshot: %w", err)
	}
	for _, f := range files {
		src := filepath.Join(tmp, filepath.FromSlash(f.Path))
		dst := filepath.Join(final, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Rename(src, dst); err != nil {
			return fmt.Errorf("hub cache: publish %s: %w", f.Path, err)
		}
	}
	return nil
}

func writeFileAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + ".tmp-" + randHex()
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
