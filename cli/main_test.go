package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
)

// Fixture models of the engine (engine/testdata/gen_fixtures.py): sentiment
// knows good/great/… as POSITIVE and bad/awful/… as NEGATIVE; NER tags
// Alice/Bob/Maria as PER and Paris/London/Berlin as LOC.
var (
	fixtureSentiment = filepath.Join("..", "engine", "testdata", "sentiment")
	fixtureNER       = filepath.Join("..", "engine", "testdata", "ner")
)

func TestMain(m *testing.M) {
	if os.Getenv("NLPSCOPE_ORT_LIB") == "" {
		if p, err := filepath.Abs(filepath.Join("..", "third_party", "onnxruntime", "libonnxruntime.so.1")); err == nil {
			os.Setenv("NLPSCOPE_ORT_LIB", p)
		}
	}
	os.Exit(m.Run())
}

// runCLI runs nlpscope with args and returns the exit code, stdout, stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}
