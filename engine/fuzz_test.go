package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzONNXOpTypes(f *testing.F) {
	for _, name := range []string{"sentiment", "ner", "bad_rank", "external"} {
		b, err := os.ReadFile(filepath.Join("testdata", name, "model.onnx"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("not onnx"))
	f.Add([]byte{0x3a, 0x05, 0x0a, 0x03, 0x22, 0x01, 0x41})
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := onnxOpTypes(data)
		if err == nil && ops == nil {
			t.Fatal("nil ops without error")
		}
		files, _ := onnxExternalFiles(data)
		for _, f := range files {
			if f == "" {
				t.Fatal("empty external location")
			}
		}
	})
}

func TestONNXOpTypes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "sentiment", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	ops, err := onnxOpTypes(b)
	if err != nil || !ops["Gather"] || !ops["MatMul"] || !ops["ReduceSum"] || ops["MatMulInteger"] {
		t.Errorf("ops %v, %v", ops, err)
	}
	if isQuantized(ops, "model.onnx") || !isQuantized(map[string]bool{"MatMulInteger": true}, "model.onnx") ||
		!isQuantized(map[string]bool{"QLinearMatMul": true}, "x.onnx") || !isQuantized(ops, "model_int8.onnx") {
		t.Error("isQuantized")
	}
	if _, err := onnxOpTypes([]byte("this is not ONNX")); err == nil {
		t.Error("text parsed as ONNX")
	}
}

// FuzzEntityDecoding runs arbitrary text through the NER fixture's tokenizer,
// windowing with stride, synthetic logits, merging and every aggregation, and
// checks the span invariants: offsets inside the text, ordered, and Text equal
// to the text sliced at Start/End in code points.
func FuzzEntityDecoding(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "ner", "tokenizer.json"))
	if err != nil {
		f.Fatal(err)
	}
	tk, err := loadTokenizer(data)
	if err != nil {
		f.Fatal(err)
	}
	labels := []string{"O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"}
	for _, s := range []string{"Alice Smith went to Paris", "😀 Alice 東京 👩‍👩‍👧 Washington!", "", "  \t", "Wash##ing Acme\u0301 Corp", "a\x00b\u200dc"} {
		f.Add(s, uint8(3), uint8(16))
	}
	f.Fuzz(func(t *testing.T, text string, stride, maxLen uint8) {
		if !utf8.ValidString(text) {
			return
		}
		ml := 3 + int(maxLen)%30
		encs, err := tk.encode(text, ml, int(stride)%ml)
		if err != nil {
			return
		}
		logits := make([][]float32, len(encs))
		for w, e := range encs {
			for i, id := range e.ids {
				row := make([]float32, len(labels))
				row[(int(id)*7+i)%len(labels)] = 3
				row[int(id)%len(labels)] += 2
				logits[w] = append(logits[w], row...)
			}
		}
		toks := mergeWindows(encs, logits, len(labels))
		runes := []rune(text)
		for _, agg := range []string{AggNone, AggSimple, AggFirst, AggAverage, AggMax} {
			ents := decodeEntities(toks, tk, labels, text, agg)
			prevEnd := 0
			for _, en := range ents {
				if en.Start < 0 || en.End > len(runes) || en.Start > en.End {
					t.Fatalf("%s: span [%d,%d) outside %d runes", agg, en.Start, en.End, len(runes))
				}
				if string(runes[en.Start:en.End]) != en.Text {
					t.Fatalf("%s: text %q != slice %q", agg, en.Text, string(runes[en.Start:en.End]))
				}
				if en.Start < prevEnd {
					t.Fatalf("%s: entities out of order or overlapping: %+v", agg, ents)
				}
				if en.Score < 0 || en.Score > 1 {
					t.Fatalf("%s: score %v", agg, en.Score)
				}
				prevEnd = en.End
			}
		}
	})
}

// BenchmarkTokenize is the tokenizer's share of a request (the engine's
// tokenizer on the NER fixture's tokenizer.json, windows of 512).
func BenchmarkTokenize(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "ner", "tokenizer.json"))
	if err != nil {
		b.Fatal(err)
	}
	tk, err := loadTokenizer(data)
	if err != nil {
		b.Fatal(err)
	}
	sentence := "Alice Smith went to Paris with Bob Jones and visited Acme Corp in Berlin ."
	for _, c := range []struct{ name, text string }{{"sentence", sentence}, {"long", strings.Repeat(sentence+" ", 50)}} {
		b.Run(c.name, func(b *testing.B) {
			tokens := 0
			b.ReportAllocs()
			b.SetBytes(int64(len(c.text)))
			for b.Loop() {
				encs, err := tk.encode(c.text, 512, 128)
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range encs {
					tokens += e.len()
				}
			}
			b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
