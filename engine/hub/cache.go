package hub

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// The Hugging Face cache layout, shared with Python's huggingface_hub:
//
//	<cache>/models--ORG--NAME/
//	    blobs/<etag>                 file contents; etag = sha256 (LFS) or git blob sha1
//	    blobs/<etag>.incomplete      a download in progress (resumed with HTTP Range)
//	    refs/<revision>              the commit a branch or tag pointed to
//	    snapshots/<commit>/<path>    relative symlinks into blobs/

var (
	repoIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?$`)
	commitPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// ParseRef splits "ORG/NAME[@REVISION]" into the repo ID and revision
// ("main" when none is given) and validates both.
func ParseRef(ref string) (repo, revision string, err error) {
	repo, revision, _ = strings.Cut(ref, "@")
	if revision == "" {
		revision = "main"
	}
	if !validRepo(repo) {
		return "", "", fmt.Errorf("%w: %q (want ORG/NAME or NAME, letters, digits, - _ .)", ErrBadRepoID, repo)
	}
	if strings.Contains(revision, "..") || strings.HasPrefix(revision, "/") || strings.ContainsAny(revision, "\\\x00 ") {
		return "", "", fmt.Errorf("%w: bad revision %q", ErrBadRepoID, revision)
	}
	return repo, revision, nil
}

func validRepo(repo string) bool {
	return repoIDPattern.MatchString(repo) && !strings.Contains(repo, "--") && !strings.Contains(repo, "..") && len(repo) <= 96
}

// RepoFolder is the cache folder name of a model repo: models--ORG--NAME.
func RepoFolder(repo string) string {
	return "models--" + strings.ReplaceAll(repo, "/", "--")
}

// DefaultCacheDir returns the Hub cache: $HF_HUB_CACHE, else $HF_HOME/hub,
// else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
func DefaultCacheDir() string {
	if d := os.Getenv("HF_HUB_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("HF_HOME"); d != "" {
		return filepath.Join(d, "hub")
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "huggingface", "hub")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "huggingface", "hub")
	}
	return filepath.Join(home, ".cache", "huggingface", "hub")
}

// CachedModel is one model snapshot found in the cache.
type CachedModel struct {
	Repo   string   `json:"repo"`
	Commit string   `json:"commit"`
	Refs   []string `json:"refs,omitempty"` // branches/tags pointing at Commit
	Dir    string   `json:"dir"`            // the snapshot folder
	ONNX   []string `json:"onnx"`           // ONNX files in it, relative paths
}

// ListCache returns every snapshot under cacheDir that holds at least one
// ONNX file, sorted by repo then commit. A missing cache is not an error.
func ListCache(cacheDir string) ([]CachedModel, error) {
	entries, err := os.ReadDir(cacheDir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read hub cache: %w", err)
	}
	var out []CachedModel
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), "models--")
		if !ok || !e.IsDir() {
			continue
		}
		repo := strings.ReplaceAll(name, "--", "/")
		root := filepath.Join(cacheDir, e.Name())
		refs := readRefs(root)
		snaps, err := os.ReadDir(filepath.Join(root, "snapshots"))
		if err != nil {
			continue
		}
		for _, s := range snaps {
			if !s.IsDir() || strings.HasPrefix(s.Name(), ".") {
				continue
			}
			dir := filepath.Join(root, "snapshots", s.Name())
			onnx := onnxFiles(dir)
			if len(onnx) == 0 {
				continue
			}
			out = append(out, CachedModel{Repo: repo, Commit: s.Name(), Refs: refs[s.Name()], Dir: dir, ONNX: onnx})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Repo != out[j].Repo {
			return out[i].Repo < out[j].Repo
		}
		return out[i].Commit < out[j].Commit
	})
	return out, nil
}

// readRefs maps commit -> the refs that point to it.
func readRefs(root string) map[string][]string {
	refs := map[string][]string{}
	base := filepath.Join(root, "refs")
	_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(base, p)
		c := strings.TrimSpace(string(b))
		refs[c] = append(refs[c], filepath.ToSlash(rel))
		return nil
	})
	return refs
}

// onnxFiles lists the .onnx files of a snapshot (root and onnx/), whose
// links resolve.
func onnxFiles(dir string) []string {
	var out []string
	for _, sub := range []string{"", "onnx"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".onnx") {
				continue
			}
			rel := filepath.ToSlash(filepath.Join(sub, e.Name()))
			if _, err := os.Stat(filepath.Join(dir, rel)); err == nil {
				out = append(out, rel)
			}
		}
	}
	return out
}

// Resolve finds a repo's snapshot in the cache without the network: revision
// is a commit hash, or a branch/tag recorded under refs/. It returns
// ErrNotCached when the snapshot is absent or lacks an ONNX model,
// config.json or tokenizer.json.
func Resolve(cacheDir, repo, revision string) (CachedModel, error) {
	root := filepath.Join(cacheDir, RepoFolder(repo))
	commit := revision
	if !commitPattern.MatchString(revision) {
		b, err := os.ReadFile(filepath.Join(root, "refs", filepath.FromSlash(revision)))
		if err != nil {
			return CachedModel{}, fmt.Errorf("%w: %s@%s (no refs/%s in %s)", ErrNotCached, repo, revision, revision, root)
		}
		commit = strings.TrimSpace(string(b))
	}
	dir := filepath.Join(root, "snapshots", commit)
	for _, f := range []string{"config.json", "tokenizer.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return CachedModel{}, fmt.Errorf("%w: %s@%s: snapshot %s has no %s", ErrNotCached, repo, revision, commit, f)
		}
	}
	onnx := onnxFiles(dir)
	if len(onnx) == 0 {
		return CachedModel{}, fmt.Errorf("%w: %s@%s: snapshot %s has no ONNX file", ErrNotCached, repo, revision, commit)
	}
	return CachedModel{Repo: repo, Commit: commit, Refs: readRefs(root)[commit], Dir: dir, ONNX: onnx}, nil
}

// RemoveRepo deletes a repo's whole cache folder (blobs, refs, snapshots).
func RemoveRepo(cacheDir, repo string) error {
	if !validRepo(repo) {
		return fmt.Errorf("%w: %q", ErrBadRepoID, repo)
	}
	root := filepath.Join(cacheDir, RepoFolder(repo))
	if _, err := os.Stat(root); err != nil {
		return fmt.Errorf("%w: %s is not in %s", ErrNotCached, repo, cacheDir)
	}
	// Rename first so that a crash half-way never leaves a half-deleted repo
	// that looks usable.
	tmp := filepath.Join(cacheDir, ".trash-"+RepoFolder(repo))
	_ = os.RemoveAll(tmp)
	if err := os.Rename(root, tmp); err != nil {
		return fmt.Errorf("remove %s: %w", repo, err)
	}
	return os.RemoveAll(tmp)
}
