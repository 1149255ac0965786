package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
)

type tokenizeLine struct {
	IDs         []int64        `json:"ids"`
	Tokens      []string       `json:"tokens"`
	Offsets     [][2]int       `json:"offsets"`
	Overflowing []tokenizeLine `json:"overflowing"`
}

func runTokenize(t *testing.T, stdin string, args ...string) (int, []tokenizeLine, string) {
	t.Helper()
	code, out, errs := runCLI(t, stdin, append([]string{"tokenize"}, args...)...)
	var lines []tokenizeLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var tl tokenizeLine
		if err := json.Unmarshal([]byte(l), &tl); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		lines = append(lines, tl)
	}
	return code, lines, errs
}

// wordLevelModel copies the crafted WordLevel tokenizer (padding Fixed 16,
// truncation 16 with stride 4) into a model folder.
func wordLevelModel(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "engine", "tokenize", "testdata", "wordlevel.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTokenizeCommand(t *testing.T) {
	dir := wordLevelModel(t)
	code, lines, stderr := runTokenize(t, `{"text":"Hello, world! 😀"}`+"\n\n"+`{"text":"中文 love"}`+"\n", "--model", dir)
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(lines))
	}
	l := lines[0]
	wantTokens := []string{"[CLS]", "hello", ",", "world", "!", "😀", "[SEP]"}
	if !reflect.DeepEqual(l.Tokens[:7], wantTokens) {
		t.Errorf("tokens %v, want %v then padding", l.Tokens, wantTokens)
	}
	// code-point offsets: the emoji is one code point at index 14
	wantOffs := [][2]int{{0, 0}, {0, 5}, {5, 6}, {7, 12}, {12, 13}, {14, 15}, {0, 0}}
	if !reflect.DeepEqual(l.Offsets[:7], wantOffs) {
		t.Errorf("offsets %v, want %v", l.Offsets[:7], wantOffs)
	}
	if len(l.IDs) != 16 || l.Tokens[15] != "[PAD]" || len(l.Offsets) != 16 {
		t.Errorf("want padding to 16 as tokenizer.json says, got %v", l.Tokens)
	}
	if got := lines[1].Offsets[1:4]; !reflect.DeepEqual(got, [][2]int{{0, 1}, {1, 2}, {3, 7}}) {
		t.Errorf("CJK offsets %v", got)
	}

	// --no-special and --max-length with the --tokenizer form
	code, lines, stderr = runTokenize(t, `{"text":"the quick brown fox jumps over the lazy dog"}`,
		"--tokenizer", filepath.Join(dir, "tokenizer.json"), "--no-special", "--max-length", "4")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// the file pads to 16 tokens
	if got := unpad(lines[0]).Tokens; !reflect.DeepEqual(got, []string{"the", "quick", "brown", "fox"}) {
		t.Errorf("--no-special --max-length 4: got %v", got)
	}
	// With special tokens, Hugging Face keeps max-length tokens of text and
	// truncates them to fit [CLS] … [SEP]; the rest (stride 1 here) overflows.
	code, lines, stderr = runTokenize(t, `{"text":"the quick brown fox jumps over the lazy dog"}`,
		"--model", dir, "--max-length", "4")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want := tokenizeLine{
		IDs: []int64{2, 5, 43, 3}, Tokens: []string{"[CLS]", "the", "quick", "[SEP]"},
		Offsets: [][2]int{{0, 0}, {0, 3}, {4, 9}, {0, 0}},
		Overflowing: []tokenizeLine{
			{IDs: []int64{2, 43, 44, 3}, Tokens: []string{"[CLS]", "quick", "brown", "[SEP]"}, Offsets: [][2]int{{0, 0}, {4, 9}, {10, 15}, {0, 0}}},
			{IDs: []int64{2, 44, 41, 3}, Tokens: []string{"[CLS]", "brown", "fox", "[SEP]"}, Offsets: [][2]int{{0, 0}, {10, 15}, {16, 19}, {0, 0}}},
		},
	}
	if got := unpad(lines[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("--max-length 4:\n got  %+v\n want %+v", got, want)
	}
}

// unpad drops trailing [PAD] tokens.
func unpad(l tokenizeLine) tokenizeLine {
	n := len(l.Tokens)
	for n > 0 && l.Tokens[n-1] == "[PAD]" {
		n--
	}
	out := tokenizeLine{IDs: l.IDs[:n], Tokens: l.Tokens[:n], Offsets: l.Offsets[:n]}
	for _, o := range l.Overflowing {
		out.Overflowing = append(out.Overflowing, unpad(o))
	}
	return out
}

func TestTokenizeCommandBadInput(t *testing.T) {
	dir := wordLevelModel(t)
	code, lines, stderr := runTokenize(t, "{\"text\":\"ok\"}\nnot json\n{\"txt\":\"x\"}\n{\"text\":\"fine\"}\n", "--model", dir)
	if code != cli.ExitFailure {
		t.Errorf("exit %d, want %d", code, cli.ExitFailure)
	}
	if len(lines) != 2 {
		t.Errorf("good lines still processed: got %d, want 2", len(lines))
	}
	for _, want := range []string{"stdin:2:", "stdin:3:", `missing "text"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}

	if code, _, _ := runTokenize(t, "", "--model", dir, "--tokenizer", "x"); code != cli.ExitUsage {
		t.Errorf("both --model and --tokenizer: exit %d, want usage", code)
	}
	if code, _, stderr := runTokenize(t, "", "--model", t.TempDir()); code != cli.ExitUsage || !strings.Contains(stderr, "tokenizer.json") {
		t.Errorf("missing tokenizer.json: exit %d, stderr %q", code, stderr)
	}
	bad := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(bad, []byte(`{"normalizer":{"type":"ByteLevel"},"model":{"type":"WordLevel","vocab":{"a":0},"unk_token":"a"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runTokenize(t, "", "--tokenizer", bad); code != cli.ExitFailure || !strings.Contains(stderr, "ByteLevel") {
		t.Errorf("unsupported model: exit %d, stderr %q", code, stderr)
	}
}
