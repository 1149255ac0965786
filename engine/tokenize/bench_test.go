package tokenize_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/engine/tokenize"
)

// benchTexts returns sentence-length English texts and a long text.
func benchTexts(b *testing.B) (sentences []string, long string) {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "bench_sentences.txt"))
	if err != nil {
		b.Fatal(err)
	}
	sentences = strings.Split(strings.TrimSpace(string(data)), "\n")
	lt, err := os.ReadFile(filepath.Join("testdata", "long_text.txt"))
	if err != nil {
		b.Fatal(err)
	}
	return sentences, string(lt[:20000])
}

// benchEncode encodes texts round-robin and reports tokens/s (one
// goroutine: run with -cpu 1 for a per-core figure).
func benchEncode(b *testing.B, tk *tokenize.Tokenizer, texts []string) {
	b.Helper()
	tokens := 0
	bytes := 0
	for _, s := range texts {
		e, err := tk.Encode(s, true)
		if err != nil {
			b.Fatal(err)
		}
		tokens += e.Len()
		bytes += len(s)
	}
	b.SetBytes(int64(bytes / len(texts)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tk.Encode(texts[i%len(texts)], true); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	perText := float64(tokens) / float64(len(texts))
	b.ReportMetric(perText*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	// tokens per CPU second of the whole process (GC included): the
	// per-core figure, meaningful even on a busy machine
	if cpu := (cpuTime() - cpu0).Seconds(); cpu > 0 {
		b.ReportMetric(perText*float64(b.N)/cpu, "tokens/cpu-s")
	}
}

// cpuTime is the user+system CPU time of the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkEncodeBertSentence(b *testing.B) {
	tk := fixture(b, "bert-base-uncased.json.gz")
	s, _ := benchTexts(b)
	benchEncode(b, tk, s)
}

func BenchmarkEncodeBertLong(b *testing.B) {
	tk := fixture(b, "bert-base-uncased.json.gz")
	_, long := benchTexts(b)
	benchEncode(b, tk, []string{long})
}

func BenchmarkEncodeWordLevelSentence(b *testing.B) {
	tk := fixture(b, "wordlevel.json")
	s, _ := benchTexts(b)
	benchEncode(b, tk, s)
}

func BenchmarkEncodeLlama3Sentence(b *testing.B) {
	tk := fixture(b, "Meta-Llama-3-8B-Instruct.json.gz")
	s, _ := benchTexts(b)
	benchEncode(b, tk, s)
}

func BenchmarkEncodeCohereSentence(b *testing.B) {
	tk := fixture(b, "cohere-tokenizer.json.gz")
	s, _ := benchTexts(b)
	benchEncode(b, tk, s)
}
