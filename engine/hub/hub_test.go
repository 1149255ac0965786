package hub_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/engine/hub"
)

const (
	commitA = "0123456789abcdef0123456789abcdef01234567"
	commitB = "89abcdef0123456789abcdef0123456789abcdef"
)

func modelFiles(onnxPath string, onnxSize int) map[string][]byte {
	onnx := bytes.Repeat([]byte("ONNXWEIGHTS-"), onnxSize/12+1)[:onnxSize]
	return map[string][]byte{
		"config.json":    []byte(`{"id2label": {"0": "NEGATIVE", "1": "POSITIVE"}}`),
		"tokenizer.json": []byte(`{"model": {"type": "WordPiece"}}`),
		"README.md":      []byte("# model card\n"),
		onnxPath:         onnx,
	}
}

// newClient returns a client of the fake Hub with a fresh cache.
func newClient(t *testing.T, h *fakeHub, mod func(*hub.Config)) (*hub.Client, string) {
	t.Helper()
	cache := t.TempDir()
	cfg := hub.Config{Endpoint: h.srv.URL, CacheDir: cache, Token: "-", RetryWait: time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	if cfg.Token == "-" {
		cfg.Token = ""
		t.Setenv("HF_TOKEN", "")
		t.Setenv("HUGGING_FACE_HUB_TOKEN", "")
		t.Setenv("HF_HOME", t.TempDir())
	}
	c, err := hub.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, cache
}

// cacheFiles lists every path under dir (relative), with "@" marking symlinks.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if info.Mode()&os.ModeSymlink != 0 {
			rel += "@"
		}
		if !info.IsDir() {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

func TestPullIntoHFCacheLayout(t *testing.T) {
	h := newFakeHub(t)
	files := modelFiles("onnx/model.onnx", 300_000)
	h.addRepo("acme/tiny-sentiment", commitA, files)
	var progress []hub.Progress
	c, cache := newClient(t, h, func(c *hub.Config) { c.OnProgress = func(p hub.Progress) { progress = append(progress, p) } })

	snap, err := c.Pull(context.Background(), "acme/tiny-sentiment", "main", hub.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(cache, "models--acme--tiny-sentiment")
	if snap.Commit != commitA || snap.Dir != filepath.Join(root, "snapshots", commitA) {
		t.Errorf("snapshot = %+v", snap)
	}
	onnxSHA := sha256Hex(files["onnx/model.onnx"])
	want := []string{
		"blobs/" + gitSHA1(files["config.json"]),
		"blobs/" + gitSHA1(files["tokenizer.json"]),
		"blobs/" + onnxSHA,
		"refs/main",
		"snapshots/" + commitA + "/config.json@",
		"snapshots/" + commitA + "/onnx/model.onnx@",
		"snapshots/" + commitA + "/tokenizer.json@",
	}
	got := cacheFiles(t, root)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("cache files:\n got %v\nwant %v", got, want)
	}
	for name, b := range files {
		if name == "README.md" {
			continue
		}
		read, err := os.ReadFile(filepath.Join(snap.Dir, name))
		if err != nil || !bytes.Equal(read, b) {
			t.Errorf("%s through the snapshot link: %v", name, err)
		}
	}
	link, _ := os.Readlink(filepath.Join(snap.Dir, "onnx", "model.onnx"))
	if link != "../../../blobs/"+onnxSHA {
		t.Errorf("link = %q, want relative like huggingface_hub", link)
	}
	if ref, _ := os.ReadFile(filepath.Join(root, "refs", "main")); string(ref) != commitA {
		t.Errorf("refs/main = %q", ref)
	}
	for _, f := range snap.Files {
		if f.Path == "onnx/model.onnx" && (f.SHA256 != onnxSHA || f.Size != 300_000 || !f.Downloaded) {
			t.Errorf("onnx file = %+v", f)
		}
	}
	if len(progress) == 0 || progress[len(progress)-1].Done != progress[len(progress)-1].Total {
		t.Errorf("progress = %v", progress)
	}

	// Found in the cache, listed, and not downloaded again.
	cm, err := hub.Resolve(cache, "acme/tiny-sentiment", "main")
	if err != nil || cm.Dir != snap.Dir || !slices.Equal(cm.ONNX, []string{"onnx/model.onnx"}) {
		t.Errorf("Resolve = %+v, %v", cm, err)
	}
	list, err := hub.ListCache(cache)
	if err != nil || len(list) != 1 || list[0].Repo != "acme/tiny-sentiment" || !slices.Equal(list[0].Refs, []string{"main"}) {
		t.Errorf("ListCache = %+v, %v", list, err)
	}
	gets, _ := h.stats()
	snap2, err := c.Pull(context.Background(), "acme/tiny-sentiment", "", hub.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if gets2, _ := h.stats(); gets2 != gets {
		t.Errorf("second pull downloaded %d bodies", gets2-gets)
	}
	for _, f := range snap2.Files {
		if f.Downloaded {
			t.Errorf("%s downloaded again", f.Path)
		}
	}

	// A new commit on main: new snapshot, refs/main moves, old one kept.
	files2 := modelFiles("model.onnx", 1000)
	r := h.addRepo("acme/tiny-sentiment", commitB, files2)
	r.branches["v1"] = commitA
	snap3, err := c.Pull(context.Background(), "acme/tiny-sentiment", "main", hub.PullOptions{})
	if err != nil || snap3.Commit != commitB {
		t.Fatalf("pull after update: %+v, %v", snap3, err)
	}
	if _, err := os.Stat(filepath.Join(snap3.Dir, "model.onnx")); err != nil {
		t.Errorf("root model.onnx not preferred: %v", err)
	}
	if list, _ := hub.ListCache(cache); len(list) != 2 {
		t.Errorf("ListCache after update = %+v", list)
	}

	if err := hub.RemoveRepo(cache, "acme/tiny-sentiment"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("repo folder still there: %v", err)
	}
	if err := hub.RemoveRepo(cache, "acme/tiny-sentiment"); !errors.Is(err, hub.ErrNotCached) {
		t.Errorf("removing twice: %v", err)
	}
}

func TestPullResumesAfterConnectionCut(t *testing.T) {
	h := newFakeHub(t)
	files := modelFiles("model.onnx", 200_000)
	h.addRepo("acme/cut", commitA, files)
	h.cutAfter["model.onnx"] = 70_000
	h.cutAfter["config.json"] = 10
	c, _ := newClient(t, h, nil)
	snap, err := c.Pull(context.Background(), "acme/cut", "main", hub.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(snap.Dir, "model.onnx"))
	if err != nil || !bytes.Equal(b, files["model.onnx"]) {
		t.Fatalf("resumed file differs (%d bytes, err %v)", len(b), err)
	}
	_, ranges := h.stats()
	if !slices.Contains(ranges, "model.onnx=bytes=70000-") || !slices.Contains(ranges, "config.json=bytes=10-") {
		t.Errorf("no resume with Range: %v", ranges)
	}
}

func TestPullResumesAnIncompleteBlobLeftByAnEarlierRun(t *testing.T) {
	h := newFakeHub(t)
	files := modelFiles("model.onnx", 50_000)
	h.addRepo("acme/resume", commitA, files)
	c, cache := newClient(t, h, func(c *hub.Config) { c.Retries = 1 })
	blobs := filepath.Join(cache, "models--acme--resume", "blobs")
	os.MkdirAll(blobs, 0o755)
	os.WriteFile(filepath.Join(blobs, sha256Hex(files["model.onnx"])+".incomplete"), files["model.onnx"][:12_345], 0o644)
	if _, err := c.Pull(context.Background(), "acme/resume", "main", hub.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ranges := h.stats(); !slices.Contains(ranges, "model.onnx=bytes=12345-") {
		t.Errorf("ranges = %v", ranges)
	}
}

// assertNothingInstalled checks that a failed pull left no snapshot, no ref,
// no blob and no temporary file behind.
func assertNothingInstalled(t *testing.T, cache, repo string) {
	t.Helper()
	root := filepath.Join(cache, hub.RepoFolder(repo))
	for _, f := range cacheFiles(t, root) {
		t.Errorf("left behind after a failed pull: %s", f)
	}
	if _, err := hub.Resolve(cache, repo, "main"); !errors.Is(err, hub.ErrNotCached) {
		t.Errorf("Resolve after failure: %v", err)
	}
}

func TestPullFailures(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo("acme/ok", commitA, modelFiles("model.onnx", 5000))
	corrupt := modelFiles("model.onnx", 5001)
	h.addRepo("acme/corrupt", commitA, corrupt)
	h.corrupt[sha256Hex(corrupt["model.onnx"])] = true
	gated := h.addRepo("acme/gated", commitA, modelFiles("onnx/model_quantized.onnx", 5000))
	gated.gated = true
	noTok := modelFiles("model.onnx", 100)
	delete(noTok, "tokenizer.json")
	h.addRepo("acme/no-tokenizer", commitA, noTok)
	noONNX := modelFiles("pytorch_model.bin", 100)
	h.addRepo("acme/no-onnx", commitA, noONNX)

	for _, tc := range []struct {
		repo, rev string
		want      error
	}{
		{"acme/missing", "main", hub.ErrNotFound},
		{"acme/ok", "no-such-branch", hub.ErrNotFound},
		{"acme/gated", "main", hub.ErrUnauthorized},
		{"acme/no-tokenizer", "main", hub.ErrMissingFile},
		{"acme/no-onnx", "main", hub.ErrNoONNX},
		{"../etc", "main", hub.ErrBadRepoID},
		{"acme/ok", "../../x", hub.ErrBadRepoID},
	} {
		c, cache := newClient(t, h, nil)
		_, err := c.Pull(context.Background(), tc.repo, tc.rev, hub.PullOptions{})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s@%s: err = %v, want %v", tc.repo, tc.rev, err, tc.want)
		}
		if tc.want != hub.ErrBadRepoID {
			assertNothingInstalled(t, cache, tc.repo)
		}
	}

	// A corrupted body fails the checksum; the rest of that pull is undone.
	c, cache := newClient(t, h, nil)
	_, err := c.Pull(context.Background(), "acme/corrupt", "main", hub.PullOptions{})
	if !errors.Is(err, hub.ErrChecksum) || !strings.Contains(err.Error(), "model.onnx") {
		t.Errorf("corrupt: err = %v, want ErrChecksum naming model.onnx", err)
	}
	assertNothingInstalled(t, cache, "acme/corrupt")

	// With the token the gated repo downloads, and its ONNX file is found
	// under onnx/model*.onnx; the token never reaches the CDN (it would 400).
	c, _ = newClient(t, h, func(c *hub.Config) { c.Token = goodToken })
	snap, err := c.Pull(context.Background(), "acme/gated", "main", hub.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(snap.Dir, "onnx", "model_quantized.onnx")); err != nil {
		t.Error(err)
	}

	// A Validate hook that rejects the model: nothing stays installed.
	c, cache = newClient(t, h, nil)
	bad := errors.New("labels do not match logits")
	_, err = c.Pull(context.Background(), "acme/ok", "main", hub.PullOptions{Validate: func(dir string) error {
		if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err != nil {
			t.Errorf("validate sees an incomplete folder: %v", err)
		}
		return bad
	}})
	if !errors.Is(err, bad) {
		t.Errorf("validate: err = %v", err)
	}
	assertNothingInstalled(t, cache, "acme/ok")

	// Requested files must exist and stay inside the snapshot.
	for _, f := range []string{"../../../escape", "/etc/passwd", "onnx/../../x", "missing.onnx"} {
		c, cache := newClient(t, h, nil)
		_, err := c.Pull(context.Background(), "acme/ok", "main", hub.PullOptions{Files: []string{"config.json", f}})
		if err == nil || !(errors.Is(err, hub.ErrBadRepoID) || errors.Is(err, hub.ErrMissingFile)) {
			t.Errorf("file %q: err = %v", f, err)
		}
		assertNothingInstalled(t, cache, "acme/ok")
	}

	// The token may come from $HF_HOME/token, as huggingface-cli login leaves it.
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, "token"), []byte(goodToken+"\n"), 0o600)
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HUGGING_FACE_HUB_TOKEN", "")
	t.Setenv("HF_HOME", home)
	tc, err := hub.New(hub.Config{Endpoint: h.srv.URL, CacheDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.Pull(context.Background(), "acme/gated", "main", hub.PullOptions{}); err != nil {
		t.Errorf("token from $HF_HOME/token: %v", err)
	}

	// A renamed repo: the API still answers for the old name, resolve URLs
	// redirect (relative 307) to the new one.
	moved := h.addRepo("acme/old-name", commitA, modelFiles("model.onnx", 5000))
	moved.movedTo = "acme/ok"
	c, _ = newClient(t, h, nil)
	if _, err := c.Pull(context.Background(), "acme/old-name", "main", hub.PullOptions{}); err != nil {
		t.Errorf("renamed repo: %v", err)
	}

	// A cancelled context stops the pull.
	c, _ = newClient(t, h, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Pull(ctx, "acme/ok", "main", hub.PullOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestOfflineAndEnvironment(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo("acme/ok", commitA, modelFiles("model.onnx", 5000))
	cache := t.TempDir()
	t.Setenv("HF_HUB_CACHE", cache)
	t.Setenv("HF_ENDPOINT", h.srv.URL)
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HF_HUB_OFFLINE", "")
	c, err := hub.New(hub.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.CacheDir() != cache || c.Offline() {
		t.Fatalf("env not honoured: cache %q offline %v", c.CacheDir(), c.Offline())
	}
	if _, err := c.Pull(context.Background(), "acme/ok", "main", hub.PullOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Setenv("HF_HUB_OFFLINE", "1")
	h.srv.Close() // offline must not need the network
	off, _ := hub.New(hub.Config{}, nil)
	snap, err := off.Pull(context.Background(), "acme/ok", "main", hub.PullOptions{})
	if err != nil || snap.Commit != commitA {
		t.Fatalf("offline pull of a cached model: %+v, %v", snap, err)
	}
	if snap, err = off.Pull(context.Background(), "acme/ok", commitA, hub.PullOptions{}); err != nil {
		t.Errorf("offline by commit: %v", err)
	}
	if _, err := off.Pull(context.Background(), "acme/other", "main", hub.PullOptions{}); !errors.Is(err, hub.ErrOffline) {
		t.Errorf("offline, not cached: err = %v", err)
	}

	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HF_HOME", "/opt/hf")
	if d := hub.DefaultCacheDir(); d != "/opt/hf/hub" {
		t.Errorf("DefaultCacheDir with HF_HOME = %q", d)
	}
}

// A cache written by Python's huggingface_hub (built here by hand, as it
// lays it out) is found without copying.
func TestResolvesPythonCache(t *testing.T) {
	cache := t.TempDir()
	root := filepath.Join(cache, "models--distilbert--distilbert-base-uncased-finetuned-sst-2-english")
	snap := filepath.Join(root, "snapshots", commitB)
	os.MkdirAll(filepath.Join(snap, "onnx"), 0o755)
	os.MkdirAll(filepath.Join(root, "blobs"), 0o755)
	os.MkdirAll(filepath.Join(root, "refs"), 0o755)
	for name, blob := range map[string]string{"config.json": "aaa", "tokenizer.json": "bbb", "onnx/model.onnx": "ccc"} {
		os.WriteFile(filepath.Join(root, "blobs", blob), []byte(name), 0o644)
		rel := "../../blobs/" + blob
		if strings.Contains(name, "/") {
			rel = "../" + rel
		}
		if err := os.Symlink(rel, filepath.Join(snap, name)); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "refs", "main"), []byte(commitB), 0o644)
	// A PyTorch-only repo is not listed.
	os.MkdirAll(filepath.Join(cache, "models--bert-base-uncased", "snapshots", commitA), 0o755)

	cm, err := hub.Resolve(cache, "distilbert/distilbert-base-uncased-finetuned-sst-2-english", "main")
	if err != nil || cm.Dir != snap {
		t.Fatalf("Resolve = %+v, %v", cm, err)
	}
	list, _ := hub.ListCache(cache)
	if len(list) != 1 {
		t.Errorf("ListCache = %+v", list)
	}
}

func TestParseRef(t *testing.T) {
	f := func(ref, repo, rev string, ok bool) {
		t.Helper()
		r, v, err := hub.ParseRef(ref)
		if ok != (err == nil) || (ok && (r != repo || v != rev)) {
			t.Errorf("ParseRef(%q) = %q, %q, %v", ref, r, v, err)
		}
	}
	f("acme/model", "acme/model", "main", true)
	f("acme/model@v1.0", "acme/model", "v1.0", true)
	f("gpt2@"+commitA, "gpt2", commitA, true)
	f("acme/model@refs/pr/1", "acme/model", "refs/pr/1", true)
	f("", "", "", false)
	f("a/b/c", "", "", false)
	f("../x", "", "", false)
	f("acme--x/y", "", "", false)
	f("acme/x@../../etc", "", "", false)
	f("/abs", "", "", false)
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"acme/model", "a/b@c", "x@", "../..", "a/b@refs/pr/1", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		repo, rev, err := hub.ParseRef(s)
		if err != nil {
			return
		}
		dir := hub.RepoFolder(repo)
		if strings.ContainsAny(dir, "/\\") || strings.Contains(rev, "..") || rev == "" {
			t.Fatalf("ParseRef(%q) accepted %q @ %q (folder %q)", s, repo, rev, dir)
		}
	})
}

// Two pulls of one repo at once (two goroutines here; two processes take the
// same lock file): both succeed, and every file is downloaded only once.
func TestConcurrentPullsShareTheCache(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo("acme/busy", commitA, modelFiles("model.onnx", 400_000))
	c, _ := newClient(t, h, nil)
	errs := make(chan error, 2)
	snaps := make(chan hub.Snapshot, 2)
	for i := 0; i < 2; i++ {
		go func() {
			s, err := c.Pull(context.Background(), "acme/busy", "main", hub.PullOptions{})
			errs <- err
			snaps <- s
		}()
	}
	downloaded := 0
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		for _, f := range (<-snaps).Files {
			if f.Downloaded {
				downloaded++
			}
		}
	}
	if gets, _ := h.stats(); downloaded != 3 || gets != 3 {
		t.Errorf("files downloaded %d times (%d GETs), want 3", downloaded, gets)
	}
}

// When the retries run out, the pull fails, no snapshot appears, and the
// partial blob stays (as blobs/<etag>.incomplete) for the next pull to resume.
func TestFailedPullKeepsOnlyAResumablePart(t *testing.T) {
	h := newFakeHub(t)
	files := modelFiles("model.onnx", 90_000)
	h.addRepo("acme/flaky", commitA, files)
	h.cutAfter["model.onnx"] = 30_000
	c, cache := newClient(t, h, func(c *hub.Config) { c.Retries = 1 })
	if _, err := c.Pull(context.Background(), "acme/flaky", "main", hub.PullOptions{}); err == nil || !strings.Contains(err.Error(), "connection cut after 30000 bytes") {
		t.Fatalf("err = %v", err)
	}
	if _, err := hub.Resolve(cache, "acme/flaky", "main"); !errors.Is(err, hub.ErrNotCached) {
		t.Errorf("snapshot after a failed pull: %v", err)
	}
	part := filepath.Join(cache, "models--acme--flaky", "blobs", sha256Hex(files["model.onnx"])+".incomplete")
	if st, err := os.Stat(part); err != nil || st.Size() != 30_000 {
		t.Fatalf("partial blob: %v", err)
	}
	if _, err := c.Pull(context.Background(), "acme/flaky", "main", hub.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ranges := h.stats(); !slices.Contains(ranges, "model.onnx=bytes=30000-") {
		t.Errorf("second pull did not resume: %v", ranges)
	}
}
