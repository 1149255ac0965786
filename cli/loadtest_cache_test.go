package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
	"github.com/nlpscope/nlpscope/profiler"
)

// TestLoadtestCacheModes: a URL run against the real web shell with
// repeated texts gets no cache hits by default (the server honours the
// bypass header) and hits with --cache include; the in-process target
// agrees; the report says which mode ran.
func TestLoadtestCacheModes(t *testing.T) {
	base := startShell(t)
	texts := filepath.Join(t.TempDir(), "texts.txt")
	if err := os.WriteFile(texts, []byte("good film\nawful film\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(target string, extra ...string) profiler.Report {
		t.Helper()
		args := append([]string{"--target", target, "--users", "2", "--max-requests", "30", "--duration", "30s", "--texts", texts, "--json"}, extra...)
		if target == "inproc" {
			args = append(args, "--model-sentiment", fixtureSentiment, "--threads", "1")
		}
		code, out, errOut := loadtestCLI(t, args...)
		if code != cli.ExitOK {
			t.Fatalf("loadtest %v: exit %d, stderr %s", extra, code, errOut)
		}
		r := decodeReport(t, out)
		if r.Succeeded != 30 || r.CacheResults != 30 {
			t.Fatalf("loadtest %s %v: %d ok, %d results counted; want 30 and 30", target, extra, r.Succeeded, r.CacheResults)
		}
		return r
	}
	for _, target := range []string{base, "inproc"} {
		def := run(target)
		if def.Config.Cache != profiler.CacheBypass || def.CacheHits != 0 {
			t.Errorf("%s by default: cache %q, %d hits; want bypass and 0", target, def.Config.Cache, def.CacheHits)
		}
		inc := run(target, "--cache", "include")
		// 2 distinct texts: at most the first request of each per user misses.
		if inc.Config.Cache != profiler.CacheInclude || inc.CacheHits < 30-4 {
			t.Errorf("%s with --cache include: cache %q, %d hits of %d; want include and ≥ 26", target, inc.Config.Cache, inc.CacheHits, inc.CacheResults)
		}
	}
	code, out, errOut := loadtestCLI(t, "--target", base, "--users", "1", "--max-requests", "4", "--texts", texts, "--cache", "include")
	if code != cli.ExitOK || !strings.Contains(out, "included, ") || !strings.Contains(out, "of 4 results") {
		t.Errorf("table (exit %d, %s) does not state the cache mode and hits:\n%s", code, errOut, out)
	}
	for _, args := range [][]string{{"--cache", "maybe"}, {"--header", "X-Nlpscope-Cache: include"}} {
		if code, _, _ := loadtestCLI(t, append([]string{"--target", base, "--rate", "10"}, args...)...); code != cli.ExitUsage {
			t.Errorf("loadtest %v: exit %d, want 2", args, code)
		}
	}
}
