package cli_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
	"github.com/nlpscope/nlpscope/engine/hub"
)

const fixtureCommit = "5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b"

// modelsEnv points every model location at fresh temporary folders.
func modelsEnv(t *testing.T) (modelsDir, hfCache string) {
	t.Helper()
	if os.Getenv("NLPSCOPE_ORT_LIB") == "" {
		t.Fatal("NLPSCOPE_ORT_LIB must point at libonnxruntime.so.1 (make setup)")
	}
	modelsDir, hfCache = t.TempDir(), t.TempDir()
	t.Setenv("NLPSCOPE_MODELS_DIR", modelsDir)
	t.Setenv("HF_HUB_CACHE", hfCache)
	t.Setenv("HF_HUB_OFFLINE", "")
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HF_HOME", t.TempDir())
	return modelsDir, hfCache
}

func readFixture(t *testing.T, name string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, f := range []string{"config.json", "tokenizer.json", "model.onnx"} {
		b, err := os.ReadFile(filepath.Join("..", "engine", "testdata", name, f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = b
	}
	return files
}

func copyFixture(t *testing.T, name, dst string) {
	t.Helper()
	os.MkdirAll(dst, 0o755)
	for f, b := range readFixture(t, name) {
		os.WriteFile(filepath.Join(dst, f), b, 0o644)
	}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// miniHub serves repos the way the Hugging Face Hub does for a download:
// repo info, then resolve URLs with ETag / X-Linked-Etag headers.
func miniHub(t *testing.T, repos map[string]map[string][]byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/api/models/"); ok {
			repo, _, _ := strings.Cut(rest, "/revision/")
			files, ok := repos[repo]
			if !ok {
				http.Error(w, "Repository not found", http.StatusNotFound)
				return
			}
			var sibs []map[string]any
			for name, b := range files {
				s := map[string]any{"rfilename": name, "size": len(b)}
				if strings.HasSuffix(name, ".onnx") {
					s["lfs"] = map[string]any{"sha256": sha(b), "size": len(b)}
				}
				sibs = append(sibs, s)
			}
			json.NewEncoder(w).Encode(map[string]any{"sha": fixtureCommit, "siblings": sibs})
			return
		}
		repo, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/resolve/")
		_, file, _ := strings.Cut(rest, "/")
		b, ok := repos[repo][file]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Repo-Commit", fixtureCommit)
		if strings.HasSuffix(file, ".onnx") {
			w.Header().Set("X-Linked-Etag", `"`+sha(b)+`"`)
		} else {
			h := sha1.New()
			h.Write([]byte("blob " + strconv.Itoa(len(b)) + "\x00"))
			h.Write(b)
			w.Header().Set("ETag", `"`+hex.EncodeToString(h.Sum(nil))+`"`)
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		if r.Method != http.MethodHead {
			w.Write(b)
		}
	}))
	t.Cleanup(srv.Close)
	t.Setenv("HF_ENDPOINT", srv.URL)
	return srv
}

type listed struct {
	Models []struct {
		Name      string   `json:"name"`
		Source    string   `json:"source"`
		Task      string   `json:"task"`
		Labels    []string `json:"labels"`
		ONNXFile  string   `json:"onnx_file"`
		Hash      string   `json:"hash"`
		SizeBytes int64    `json:"size_bytes"`
		Opset     int64    `json:"opset"`
		Quantized bool     `json:"quantized"`
		Provider  string   `json:"provider"`
		Error     string   `json:"error"`
		Inputs    []struct {
			Name  string  `json:"name"`
			Type  string  `json:"type"`
			Shape []int64 `json:"shape"`
		} `json:"inputs"`
	} `json:"models"`
}

func TestModelsListInfoPullRemove(t *testing.T) {
	modelsDir, hfCache := modelsEnv(t)
	copyFixture(t, "sentiment", filepath.Join(modelsDir, "my-sentiment"))
	copyFixture(t, "bad_not_onnx", filepath.Join(modelsDir, "broken"))
	good := readFixture(t, "sentiment")
	badLabels := readFixture(t, "bad_labels")
	badONNX := readFixture(t, "bad_not_onnx")
	badTok := readFixture(t, "sentiment")
	var tj map[string]any
	if err := json.Unmarshal(badTok["tokenizer.json"], &tj); err != nil {
		t.Fatal(err)
	}
	tj["normalizer"] = map[string]any{"type": "NoSuchNormalizer"} // a component no tokenizer version has
	badTok["tokenizer.json"], _ = json.Marshal(tj)
	noTok := readFixture(t, "sentiment")
	delete(noTok, "tokenizer.json")
	miniHub(t, map[string]map[string][]byte{
		"acme/good": good, "acme/bad-labels": badLabels, "acme/not-onnx": badONNX,
		"acme/bad-tokenizer": badTok, "acme/no-tokenizer": noTok,
	})

	// pull: downloaded, verified, validated through the engine.
	code, out, errOut := runCLI(t, "", "models", "pull", "acme/good")
	if code != cli.ExitOK {
		t.Fatalf("pull: %d\n%s%s", code, out, errOut)
	}
	snapDir := filepath.Join(hfCache, "models--acme--good", "snapshots", fixtureCommit)
	if !strings.Contains(out, "downloaded") || !strings.Contains(out, snapDir) || !strings.Contains(out, sha(good["model.onnx"])) {
		t.Errorf("pull output:\n%s", out)
	}

	// The pulled model serves by its ORG/NAME, with or without @main.
	for _, ref := range []string{"acme/good", "acme/good@main", "acme/good@" + fixtureCommit} {
		code, out, errOut := runCLI(t, "good\n", "analyze", "--task", "sentiment", "--model-sentiment", ref, "--threads", "1")
		var rec struct {
			Sentiment struct{ Label string }
			Meta      struct{ Sentiment struct{ Model string } }
		}
		if code != cli.ExitOK || json.Unmarshal([]byte(out), &rec) != nil || rec.Meta.Sentiment.Model != "acme/good@"+sha(good["model.onnx"])[:12] {
			t.Errorf("analyze --model-sentiment %s: %d\n%s%s", ref, code, out, errOut)
		}
	}

	// Bad models: a clear message, nothing installed.
	for repo, want := range map[string]string{
		"acme/bad-labels":    "label",
		"acme/not-onnx":      "not a loadable ONNX model",
		"acme/bad-tokenizer": "unsupported tokenizer component",
		"acme/no-tokenizer":  "tokenizer.json",
		"acme/missing":       "not found",
	} {
		code, _, errOut := runCLI(t, "", "models", "pull", repo)
		if code != cli.ExitFailure || !strings.Contains(errOut, want) || !strings.Contains(errOut, "nothing was installed") {
			t.Errorf("pull %s: code %d, stderr %q, want it to mention %q", repo, code, errOut, want)
		}
		if _, err := hub.Resolve(hfCache, repo, "main"); err == nil {
			t.Errorf("pull %s: a snapshot was installed", repo)
		}
		if blobs, _ := os.ReadDir(filepath.Join(hfCache, hub.RepoFolder(repo), "blobs")); len(blobs) != 0 {
			t.Errorf("pull %s: %d blobs left", repo, len(blobs))
		}
	}

	// list: embedded defaults, the models dir (broken one flagged), the cache.
	code, out, _ = runCLI(t, "", "models", "list")
	for _, want := range []string{"NAME", "my-sentiment", "BROKEN", "acme/good@main", "hf-cache", "models folder: " + modelsDir, "provider: cpu"} {
		if code != cli.ExitOK || !strings.Contains(out, want) {
			t.Errorf("list (text) lacks %q: %d\n%s", want, code, out)
		}
	}
	if code, out, _ := runCLI(t, "", "models", "list", "--provider", "cuda"); code != cli.ExitOK || !strings.Contains(out, "cuda unavailable: CUDA libraries missing") {
		t.Errorf("list --provider cuda on a machine without CUDA: %d\n%s", code, out)
	}
	code, out, errOut = runCLI(t, "", "models", "list", "--json")
	if code != cli.ExitOK {
		t.Fatalf("list: %d %s", code, errOut)
	}
	var l listed
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for i, m := range l.Models {
		byName[m.Source+":"+m.Name] = i
	}
	for _, want := range []string{"embedded:sentiment", "embedded:ner", "models-dir:my-sentiment", "models-dir:broken", "hf-cache:acme/good@main"} {
		if _, ok := byName[want]; !ok {
			t.Errorf("list lacks %s: %v", want, byName)
		}
	}
	ms := l.Models[byName["models-dir:my-sentiment"]]
	if ms.Task != "sentiment" || strings.Join(ms.Labels, ",") != "NEGATIVE,POSITIVE" || ms.Hash != sha(good["model.onnx"]) ||
		ms.Opset == 0 || ms.Quantized || ms.Provider != "cpu" || ms.SizeBytes != int64(len(good["model.onnx"])) || len(ms.Inputs) == 0 {
		t.Errorf("my-sentiment = %+v", ms)
	}
	if e := l.Models[byName["models-dir:broken"]].Error; !strings.Contains(e, "not a loadable ONNX model") {
		t.Errorf("broken model error = %q", e)
	}
	if m := l.Models[byName["embedded:ner"]]; m.Task != "entities" || len(m.Labels) < 3 {
		t.Errorf("embedded ner = %+v", m)
	}

	// info by ORG/NAME from the cache, and of a broken folder.
	code, out, _ = runCLI(t, "", "models", "info", "acme/good")
	if code != cli.ExitOK || !strings.Contains(out, "input_ids int64 [-1 -1]") || !strings.Contains(out, "sha256     "+sha(good["model.onnx"])) {
		t.Errorf("info acme/good: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "models", "info", "broken")
	if code != cli.ExitFailure || !strings.Contains(out, "ERROR") {
		t.Errorf("info broken: %d\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "", "models", "info", "nope/nothing"); code != cli.ExitFailure || !strings.Contains(errOut, "models pull nope/nothing") {
		t.Errorf("info of an unknown model: %d %s", code, errOut)
	}

	// Offline: the cached model is found, an uncached one is refused.
	t.Setenv("HF_HUB_OFFLINE", "1")
	if code, _, errOut := runCLI(t, "", "models", "pull", "acme/good"); code != cli.ExitOK {
		t.Errorf("offline pull of a cached model: %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "models", "pull", "acme/other"); code != cli.ExitFailure || !strings.Contains(errOut, "offline") {
		t.Errorf("offline pull of an uncached model: %d %s", code, errOut)
	}

	// rm: a cached repo, a models-dir folder; never an embedded model.
	if code, _, errOut := runCLI(t, "", "models", "rm", "acme/good"); code != cli.ExitOK {
		t.Errorf("rm acme/good: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(hfCache, "models--acme--good")); !os.IsNotExist(err) {
		t.Errorf("cache folder left: %v", err)
	}
	if code, _, _ := runCLI(t, "", "models", "rm", "broken"); code != cli.ExitOK {
		t.Errorf("rm broken: %d", code)
	}
	if _, err := os.Stat(filepath.Join(modelsDir, "broken")); !os.IsNotExist(err) {
		t.Errorf("broken folder left: %v", err)
	}
	if code, _, errOut := runCLI(t, "", "models", "rm", "sentiment"); code != cli.ExitFailure || !strings.Contains(errOut, "embedded") {
		t.Errorf("rm embedded: %d %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "", "models", "frobnicate"); code != cli.ExitUsage {
		t.Errorf("unknown sub-command: %d", code)
	}
}
