package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
)

// TestExitStatus holds every command to one mapping of what went wrong to
// the exit status, with the message printed once as "nlpscope CMD: …".
func TestExitStatus(t *testing.T) {
	modelsEnv(t)
	f := func(wantCode int, wantErr string, args ...string) {
		t.Helper()
		code, _, stderr := runCLI(t, "", args...)
		if code != wantCode {
			t.Errorf("%v: exit %d, want %d; stderr %q", args, code, wantCode, stderr)
		}
		if wantErr != "" && !strings.Contains(stderr, wantErr) {
			t.Errorf("%v: stderr %q lacks %q", args, stderr, wantErr)
		}
	}
	// Usage errors: 2, the message once.
	f(cli.ExitUsage, "nlpscope analyze: --task \"nope\": want sentiment, entities or all", "analyze", "--task", "nope")
	f(cli.ExitUsage, "nlpscope serve: unexpected argument \"extra\"", "serve", "extra")
	f(cli.ExitUsage, "nlpscope models info: missing argument\nusage: nlpscope models info MODEL", "models", "info")
	f(cli.ExitUsage, "nlpscope models: unknown command \"frobnicate\"", "models", "frobnicate")
	f(cli.ExitUsage, "nlpscope models quantize: --out \"x.bin\"", "models", "quantize", "ner", "--out", "x.bin")
	f(cli.ExitUsage, "nlpscope db: which sub-command?", "db")
	f(cli.ExitUsage, "nlpscope loadtest: --task \"x\"", "loadtest", "--task", "x")
	f(cli.ExitUsage, "nlpscope tokenize: give one of --model and --tokenizer", "tokenize")
	f(cli.ExitUsage, "nlpscope: unknown command \"frobnicate\"", "frobnicate")
	// A flag the flag package refuses: it prints the message and the
	// usage; Main adds nothing.
	code, _, stderr := runCLI(t, "", "doctor", "--no-such-flag")
	if code != cli.ExitUsage || strings.Count(stderr, "flag provided but not defined: -no-such-flag") != 1 || strings.Contains(stderr, "nlpscope doctor:") {
		t.Errorf("bad flag: exit %d, stderr %q", code, stderr)
	}
	// --help: 0.
	for _, args := range [][]string{{"analyze", "--help"}, {"serve", "-h"}, {"models", "list", "--help"}, {"loadtest", "--help"}, {"db", "--help"}, {"--help"}} {
		f(cli.ExitOK, "", args...)
	}
	// Failures: 1.
	f(cli.ExitFailure, "nlpscope models info: no such model", "models", "info", "no-such-model")
	f(cli.ExitFailure, "nlpscope db stats: no database at", "db", "stats", "--db", t.TempDir()+"/missing.db")
	f(cli.ExitFailure, "nlpscope analyze: no sentiment model", "analyze", "--task", "sentiment", "--model-sentiment", t.TempDir())
}

// interruptingReader hands out text lines, then cancels the command's
// context as SIGINT would and ends.
type interruptingReader struct {
	lines  *strings.Reader
	cancel context.CancelFunc
}

func (r *interruptingReader) Read(p []byte) (int, error) {
	if n, err := r.lines.Read(p); err == nil {
		return n, nil
	}
	r.cancel()
	return 0, io.EOF
}

// TestExitInterrupted: a command whose context the signal handler cancels
// exits 130 and says it was interrupted, not "context canceled".
func TestExitInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := &interruptingReader{lines: strings.NewReader(strings.Repeat("a good film\n", 40)), cancel: cancel}
	var out, errb bytes.Buffer
	code := cli.Main(ctx, []string{"analyze", "--task", "sentiment", "--model-sentiment", fixtureSentiment}, cli.Stdio{In: in, Out: &out, Err: &errb})
	if code != cli.ExitInterrupted || !strings.Contains(errb.String(), "nlpscope analyze: interrupted") {
		t.Errorf("exit %d, stderr %q; want %d and 'interrupted'", code, errb.String(), cli.ExitInterrupted)
	}
	// What was written is whole records of analysed inputs, in order, and
	// the summary counts them: the interrupted ones are not "failed".
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if out.Len() == 0 {
		lines = nil
	}
	for i, l := range lines {
		var r struct {
			Line  int
			Error string
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.Error != "" || r.Line != i+1 {
			t.Fatalf("output line %d %q: %v", i+1, l, err)
		}
	}
	if want := fmt.Sprintf("interrupted: %d inputs analysed and written (0 failed)", len(lines)); !strings.Contains(errb.String(), want) {
		t.Errorf("stderr %q lacks %q", errb.String(), want)
	}
}
