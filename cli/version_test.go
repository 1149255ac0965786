package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, stdout, stderr := runCLI(t, "", args...)
		if code != 0 || !strings.HasPrefix(stdout, "nlpscope ") || !strings.Contains(stdout, "ONNX Runtime 1.") ||
			!strings.Contains(stdout, "model sentiment: ") || !strings.Contains(stdout, "model entities: ") {
			t.Errorf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	code, stdout, stderr := runCLI(t, "", "version", "--json")
	var v cli.VersionInfo
	if err := json.Unmarshal([]byte(stdout), &v); code != 0 || err != nil {
		t.Fatalf("version --json: exit %d, %v\n%s%s", code, err, stdout, stderr)
	}
	tasks := map[string]bool{}
	for _, m := range v.Models {
		tasks[string(m.Task)] = m.Size > 0 && m.File != ""
	}
	if v.ORTVersion == "" || v.ORTError != "" || v.Go == "" || !tasks["sentiment"] || !tasks["entities"] {
		t.Errorf("version --json = %+v", v)
	}
}

// A bad flag prints one usage line and a hint; --help prints everything and
// exits 0; analyze is quiet unless -v.
func TestCLIHabits(t *testing.T) {
	for _, cmd := range []string{"analyze", "doctor", "serve", "loadtest", "models", "version"} {
		code, _, stderr := runCLI(t, "", cmd, "--no-such-flag")
		lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1
		if code != cli.ExitUsage || lines > 3 || !strings.Contains(stderr, "nlpscope "+cmd+" --help") {
			t.Errorf("%s --no-such-flag: exit %d, %d lines:\n%s", cmd, code, lines, stderr)
		}
		code, stdout, stderr := runCLI(t, "", cmd, "--help")
		if code != 0 || strings.Count(stdout+stderr, "\n") < 3 {
			t.Errorf("%s --help: exit %d:\n%s%s", cmd, code, stdout, stderr)
		}
	}
	args := append([]string{"analyze", "--task", "sentiment"}, fixtureFlags...)
	code, _, stderr := runCLI(t, "good\n", args...)
	if code != 0 || strings.Contains(stderr, "level=INFO") {
		t.Errorf("analyze: exit %d, stderr not quiet:\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "good\n", append(args, "-v")...)
	if code != 0 || !strings.Contains(stderr, "model loaded") {
		t.Errorf("analyze -v: exit %d, no INFO logs:\n%s", code, stderr)
	}
	// Errors read as CLI errors, without the HTTP API's "bad request:".
	dir := writeFiles(t, map[string]string{"a.csv": "x,y\n1,hello\n"})
	code, _, stderr = runCLI(t, "", append([]string{"analyze", dir + "/a.csv", "--column", "nope"}, fixtureFlags...)...)
	if code != cli.ExitFailure || !strings.Contains(stderr, "nope") || strings.Contains(stderr, "bad request") {
		t.Errorf("unknown column: exit %d:\n%s", code, stderr)
	}
}
