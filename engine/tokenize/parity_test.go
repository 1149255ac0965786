package tokenize_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/nlpscope/nlpscope/engine/tokenize"
)

// goldenRecord is one line of testdata/golden/*.jsonl, written by
// testdata/gen/gen.js from Hugging Face's own tokenizers library. Offsets
// are code-point offsets.
type goldenRecord struct {
	Text              *string        `json:"text"`
	AddSpecial        bool           `json:"add_special"`
	Error             string         `json:"error"`
	IDs               []int64        `json:"ids"`
	Tokens            []string       `json:"tokens"`
	Offsets           [][2]int       `json:"offsets"`
	TypeIDs           []int64        `json:"type_ids"`
	AttentionMask     []int64        `json:"attention_mask"`
	SpecialTokensMask []int8         `json:"special_tokens_mask"`
	WordIDs           []int          `json:"word_ids"`
	Overflowing       []goldenRecord `json:"overflowing"`
	Decoded           *string        `json:"decoded"`
	Opts              *goldenOpts    `json:"opts"`
}

type goldenOpts struct {
	Truncation *struct {
		MaxLength int    `json:"max_length"`
		Stride    int    `json:"stride"`
		Direction string `json:"direction"`
	} `json:"truncation"`
}

var (
	loadMu sync.Mutex
	loaded = map[string]*tokenize.Tokenizer{}
)

// fixture loads a tokenizer.json from testdata, gunzipping .gz files.
func fixture(t testing.TB, name string) *tokenize.Tokenizer {
	t.Helper()
	loadMu.Lock()
	defer loadMu.Unlock()
	if tk, ok := loaded[name]; ok {
		return tk
	}
	var data []byte
	if base, ok := strings.CutSuffix(name, ".patch.json"); ok {
		data = patched(t, base+".patch.json")
	} else {
		data = readTestdata(t, name)
	}
	tk, err := tokenize.FromJSON(data)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	loaded[name] = tk
	return tk
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// patched applies testdata/NAME.patch.json to bert-base-uncased: the
// patch's top-level keys replace the base's (as testdata/gen/gen.js does).
func patched(t testing.TB, name string) []byte {
	t.Helper()
	var base, patch map[string]json.RawMessage
	if err := json.Unmarshal(readTestdata(t, "bert-base-uncased.json.gz"), &base); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(readTestdata(t, name), &patch); err != nil {
		t.Fatal(err)
	}
	for k, v := range patch {
		base[k] = v
	}
	data, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// readGolden reads testdata/golden/NAME.gz, one JSON record a line (or
// $TOKENIZE_GOLDEN_DIR/NAME.gz: see testdata/gen/gen.js for larger runs).
func readGolden(t testing.TB, name string) []json.RawMessage {
	t.Helper()
	var data []byte
	if dir := os.Getenv("TOKENIZE_GOLDEN_DIR"); dir != "" {
		raw, err := os.ReadFile(filepath.Join(dir, name+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	} else {
		data = readTestdata(t, filepath.Join("golden", name+".gz"))
	}
	var out []json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		out = append(out, json.RawMessage(append([]byte(nil), sc.Bytes()...)))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no records", name)
	}
	return out
}

// compare checks got against the golden record and returns the differences.
func compare(text string, got tokenize.Encoding, want goldenRecord) []string {
	var diffs []string
	chk := func(what string, g, w any) {
		if !reflect.DeepEqual(g, w) {
			diffs = append(diffs, fmt.Sprintf("%s:\n  got  %v\n  want %v", what, g, w))
		}
	}
	chk("ids", nz(got.IDs), nz(want.IDs))
	chk("tokens", nzs(got.Tokens), nzs(want.Tokens))
	offs := tokenize.CodePointOffsets(text, got.Offsets)
	gotOffs := make([][2]int, len(offs))
	for i, o := range offs {
		gotOffs[i] = [2]int{o.Start, o.End}
	}
	chk("offsets", gotOffs, orEmpty(want.Offsets))
	chk("type_ids", nz(got.TypeIDs), nz(want.TypeIDs))
	chk("attention_mask", nz(got.AttentionMask), nz(want.AttentionMask))
	chk("special_tokens_mask", nz8(got.SpecialTokensMask), nz8(want.SpecialTokensMask))
	chk("word_ids", nzi(got.WordIDs), nzi(want.WordIDs))
	if len(got.Overflowing) != len(want.Overflowing) {
		diffs = append(diffs, fmt.Sprintf("overflowing: got %d windows, want %d", len(got.Overflowing), len(want.Overflowing)))
	} else {
		for i := range want.Overflowing {
			for _, d := range compare(text, got.Overflowing[i], want.Overflowing[i]) {
				diffs = append(diffs, fmt.Sprintf("overflowing[%d] %s", i, d))
			}
		}
	}
	return diffs
}

func nz(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}
func nz8(s []int8) []int8 {
	if s == nil {
		return []int8{}
	}
	return s
}
func nzi(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}
func nzs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
func orEmpty(s [][2]int) [][2]int {
	if s == nil {
		return [][2]int{}
	}
	return s
}

func TestParity(t *testing.T) {
	cases := []struct {
		golden, fixture string
		decode          bool
	}{
		{"bert-base-uncased.jsonl", "bert-base-uncased.json.gz", true},
		{"bert-base-uncased-trunc512.jsonl", "bert-base-uncased.json.gz", true},
		{"bert-base-uncased-stride.jsonl", "bert-base-uncased.json.gz", true},
		{"bert-base-uncased-left.jsonl", "bert-base-uncased.json.gz", true},
		{"all-minilm-l6-v2.jsonl", "all-minilm-l6-v2.json.gz", true},
		{"sentence-transformers-labse.jsonl", "sentence-transformers-labse.json", true},
		{"wordlevel.jsonl", "wordlevel.json", true},
		{"wordpiece-pretok.jsonl", "wordpiece-pretok.patch.json", true},
		{"wordpiece-whitespace.jsonl", "wordpiece-whitespace.patch.json", true},
		{"bpe-roberta.jsonl", "bpe-roberta.json", true},
		{"bpe-metaspace.jsonl", "bpe-metaspace.json", true},
		{"wordpiece-added.jsonl", "wordpiece-added.patch.json", true},
		{"wordpiece-split.jsonl", "wordpiece-split.patch.json", true},
		{"wordpiece-nmt.jsonl", "wordpiece-nmt.patch.json", true},
		{"bpe-metaspace-pretok.jsonl", "bpe-metaspace-pretok.json", true},
		{"unigram.jsonl", "unigram.json.gz", true},
		{"unigram-precompiled.jsonl", "unigram-precompiled.json.gz", true},
		{"unigram-bytefallback.jsonl", "unigram-bytefallback.json.gz", true},
		{"cohere.jsonl", "cohere-tokenizer.json.gz", true},
		{"llama-3.jsonl", "Meta-Llama-3-8B-Instruct.json.gz", true},
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.golden, ".jsonl"), func(t *testing.T) {
			tk := fixture(t, c.fixture)
			recs := readGolden(t, c.golden)
			failed := 0
			for i, raw := range recs {
				var want goldenRecord
				if err := json.Unmarshal(raw, &want); err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				text := *want.Text
				o := tokenize.EncodeOptions{AddSpecialTokens: want.AddSpecial}
				if want.Opts != nil && want.Opts.Truncation != nil {
					tr := want.Opts.Truncation
					o.Truncation = &tokenize.Truncation{MaxLength: tr.MaxLength, Stride: tr.Stride, Direction: tr.Direction}
				}
				got, err := tk.EncodeWithOptions(text, o)
				if want.Error != "" {
					if err == nil {
						t.Errorf("record %d %q: want error %q, got none", i, text, want.Error)
						failed++
					}
					continue
				}
				if err != nil {
					t.Errorf("record %d %q: %v", i, text, err)
					failed++
					continue
				}
				if d := compare(text, got, want); len(d) > 0 {
					failed++
					if failed <= 5 {
						t.Errorf("record %d (special=%v) %q:\n%s", i, want.AddSpecial, trunc(text), strings.Join(d, "\n"))
					}
				}
				if c.decode && want.Decoded != nil {
					if dec := tk.Decode(got.IDs, true); dec != *want.Decoded {
						failed++
						if failed <= 5 {
							t.Errorf("record %d decode %q:\n  got  %q\n  want %q", i, trunc(text), dec, *want.Decoded)
						}
					}
				}
			}
			t.Logf("%s: %d/%d records equal to Hugging Face", c.golden, len(recs)-failed, len(recs))
		})
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func TestParityBatch(t *testing.T) {
	for _, c := range []struct{ golden, fixture string }{
		{"all-minilm-l6-v2-batch.jsonl", "all-minilm-l6-v2.json.gz"},
		{"wordpiece-whitespace-batch.jsonl", "wordpiece-whitespace.patch.json"},
	} {
		t.Run(c.golden, func(t *testing.T) {
			tk := fixture(t, c.fixture)
			for i, raw := range readGolden(t, c.golden) {
				var b struct {
					Batch   []string       `json:"batch"`
					Results []goldenRecord `json:"results"`
				}
				if err := json.Unmarshal(raw, &b); err != nil {
					t.Fatal(err)
				}
				got, err := tk.EncodeBatch(b.Batch, true)
				if err != nil {
					t.Fatalf("batch %d: %v", i, err)
				}
				for k := range b.Results {
					if d := compare(b.Batch[k], got[k], b.Results[k]); len(d) > 0 {
						t.Errorf("batch %d item %d %q:\n%s", i, k, trunc(b.Batch[k]), strings.Join(d, "\n"))
					}
				}
			}
		})
	}
}

// TestDauletExpectations checks the ids that github.com/daulet/tokenizers'
// own tests expect from the Rust library (a second, independent source).
func TestDauletExpectations(t *testing.T) {
	tk := fixture(t, "bert-base-uncased.json.gz")
	f := func(text string, special bool, ids []int64, tokens []string, offs []tokenize.Offset) {
		t.Helper()
		e, err := tk.Encode(text, special)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(e.IDs, ids) || !reflect.DeepEqual(e.Tokens, tokens) || !reflect.DeepEqual(e.Offsets, offs) {
			t.Errorf("%q: got %v %v %v, want %v %v %v", text, e.IDs, e.Tokens, e.Offsets, ids, tokens, offs)
		}
	}
	f("brown fox jumps over the lazy dog", false,
		[]int64{2829, 4419, 14523, 2058, 1996, 13971, 3899},
		[]string{"brown", "fox", "jumps", "over", "the", "lazy", "dog"},
		[]tokenize.Offset{{0, 5}, {6, 9}, {10, 15}, {16, 20}, {21, 24}, {25, 29}, {30, 33}})
	f("brown fox jumps over the lazy dog", true,
		[]int64{101, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 102},
		[]string{"[CLS]", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "[SEP]"},
		[]tokenize.Offset{{0, 0}, {0, 5}, {6, 9}, {10, 15}, {16, 20}, {21, 24}, {25, 29}, {30, 33}, {0, 0}})
	f("", true, []int64{101, 102}, []string{"[CLS]", "[SEP]"}, []tokenize.Offset{{0, 0}, {0, 0}})
	// daulet's cgo layer turns the invalid byte into U+FFFD before Rust sees
	// it, so it expects offsets {3, 4}; here offsets index the bytes given.
	f("\x91D", false, []int64{1040}, []string{"d"}, []tokenize.Offset{{1, 2}})

	labse := fixture(t, "sentence-transformers-labse.json")
	e, err := labse.Encode("brown fox jumps over the lazy dog", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{0xca3f, 0x2f304, 0x5185b, 0x3c54, 0x3a89, 0x35fc3, 0x57b4}; !reflect.DeepEqual(e.IDs, want) {
		t.Errorf("labse: got %v, want %v", e.IDs, want)
	}
}

func TestUnsupported(t *testing.T) {
	_, err := tokenize.FromJSON([]byte(`{"model":{"type":"CharBPE","vocab":{"a":0}}}`))
	if !errors.Is(err, tokenize.ErrUnsupported) || !strings.Contains(err.Error(), "CharBPE") {
		t.Errorf("CharBPE: got %v, want ErrUnsupported naming it", err)
	}
	_, err = tokenize.FromJSON([]byte(`{"normalizer":{"type":"ByteLevel"},"model":{"type":"WordLevel","vocab":{"a":0},"unk_token":"a"}}`))
	if !errors.Is(err, tokenize.ErrUnsupported) || !strings.Contains(err.Error(), "ByteLevel") {
		t.Errorf("ByteLevel normalizer: got %v", err)
	}
	if _, err := tokenize.FromJSON([]byte(`{`)); !errors.Is(err, tokenize.ErrInvalid) {
		t.Errorf("bad json: got %v, want ErrInvalid", err)
	}
}
