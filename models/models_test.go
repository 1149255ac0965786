package models_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/tokenize"
	"github.com/nlpscope/nlpscope/models"
)

// Minimum quality on the committed held-out samples (testdata/), well below what
// the models reach (see each MODEL_CARD.md), so that only a broken export or a
// broken pipeline fails.
const (
	minTweet3Class   = 0.60 // tweet rows (TweetEval val, or the protocol's tweet held-out blocks), 3-class accuracy
	minTweetNeutral  = 0.40 // the same rows, recall of the neutral class
	minBinary        = 0.72 // SST-2 held-out rows, positive vs negative score
	minEntityMicroF1 = 0.70 // exact-span micro F1 over the NER sample
)

type config struct {
	ModelType   string            `json:"model_type"`
	ID2Label    map[string]string `json:"id2label"`
	Label2ID    map[string]int    `json:"label2id"`
	NumLabels   int               `json:"num_labels"`
	MaxPosition int               `json:"max_position_embeddings"`
}

func readConfig(t *testing.T, name string) config {
	t.Helper()
	b, err := fs.ReadFile(models.FS, name+"/"+models.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	var c config
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s config: %v", name, err)
	}
	return c
}

func TestFilesAndConfig(t *testing.T) {
	f := func(name string, labels []string) {
		t.Helper()
		for _, file := range []string{models.ModelFile, models.TokenizerFile, models.ConfigFile, models.ModelCardFile} {
			st, err := fs.Stat(models.FS, name+"/"+file)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if file == models.ModelFile && st.Size() > 25<<20 {
				t.Errorf("%s/%s is %d bytes, over the 25 MiB budget", name, file, st.Size())
			}
		}
		c := readConfig(t, name)
		if c.ModelType == "" || c.MaxPosition <= 0 || c.NumLabels != len(labels) {
			t.Errorf("%s config: %+v", name, c)
		}
		for i, l := range labels {
			id := string(rune('0' + i))
			if c.ID2Label[id] != l || c.Label2ID[l] != i {
				t.Errorf("%s label %d: id2label %q, label2id %d, want %q", name, i, c.ID2Label[id], c.Label2ID[l], l)
			}
		}
		if len(c.ID2Label) != len(labels) || len(c.Label2ID) != len(labels) {
			t.Errorf("%s: %d/%d labels, want %d", name, len(c.ID2Label), len(c.Label2ID), len(labels))
		}
	}
	f(models.Sentiment, []string{"negative", "neutral", "positive"})
	f(models.NER, []string{"O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"})
}

func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []T
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s is empty", path)
	}
	return out
}

// TestTokenizerParity checks that nlpscope's tokenizer reproduces the ids that
// Hugging Face's tokenizers gave for the same files at training time.
func TestTokenizerParity(t *testing.T) {
	type row struct {
		Text string  `json:"text"`
		IDs  []int64 `json:"ids"`
	}
	for _, name := range []string{models.Sentiment, models.NER} {
		b, err := fs.ReadFile(models.FS, name+"/"+models.TokenizerFile)
		if err != nil {
			t.Fatal(err)
		}
		tk, err := tokenize.FromJSON(b)
		if err != nil {
			t.Fatalf("%s tokenizer: %v", name, err)
		}
		rows := readJSONL[row](t, filepath.Join("testdata", name+"_tokens.jsonl"))
		for _, r := range rows {
			enc, err := tk.Encode(r.Text, true)
			if err != nil {
				t.Fatalf("%s: Encode(%q): %v", name, r.Text, err)
			}
			if !slices.Equal(enc.IDs, r.IDs) {
				t.Errorf("%s: Encode(%q)\n got %v\nwant %v", name, r.Text, enc.IDs, r.IDs)
			}
		}
	}
}

func newEngine(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.New(engine.Config{IntraOpThreads: 1}, nil)
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	ctx := context.Background()
	if _, err := e.LoadModel(ctx, engine.TaskSentiment, engine.ModelSource{Name: models.Sentiment, Dir: models.Sentiment, FS: models.FS}); err != nil {
		t.Fatalf("load sentiment: %v", err)
	}
	if _, err := e.LoadModel(ctx, engine.TaskEntities, engine.ModelSource{Name: models.NER, Dir: models.NER, FS: models.FS}); err != nil {
		t.Fatalf("load ner: %v", err)
	}
	return e
}

func TestSentimentAccuracy(t *testing.T) {
	type row struct {
		Text, Label, Source string
	}
	rows := readJSONL[row](t, filepath.Join("testdata", "sentiment_heldout.jsonl"))
	e := newEngine(t)
	texts := make([]string, len(rows))
	for i, r := range rows {
		texts[i] = r.Text
	}
	res, err := e.SentimentBatch(context.Background(), texts, engine.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	var tw, twOK, bin, binOK, neu, neuOK int
	for i, r := range rows {
		s := res[i]
		if len(s.Scores) != 3 || s.Scores[0].Label != "negative" || s.Scores[1].Label != "neutral" || s.Scores[2].Label != "positive" {
			t.Fatalf("scores %+v: want negative, neutral, positive", s.Scores)
		}
		switch r.Source {
		case "tweeteval_val", "tweet_heldout":
			tw++
			if s.Label == r.Label {
				twOK++
			}
			if r.Label == "neutral" {
				neu++
				if s.Label == "neutral" {
					neuOK++
				}
			}
		default:
			bin++
			pos := s.Scores[2].Score > s.Scores[0].Score
			if pos == (r.Label == "positive") {
				binOK++
			}
		}
	}
	if tw == 0 || bin == 0 || neu == 0 {
		t.Fatalf("sample has %d tweets (%d neutral), %d binary rows", tw, neu, bin)
	}
	acc3, acc2, recNeu := float64(twOK)/float64(tw), float64(binOK)/float64(bin), float64(neuOK)/float64(neu)
	t.Logf("tweets 3-class accuracy %.3f (%d), neutral recall %.3f (%d), SST-2 binary accuracy %.3f (%d)", acc3, tw, recNeu, neu, acc2, bin)
	if recNeu < minTweetNeutral {
		t.Errorf("neutral recall %.3f < %.2f", recNeu, minTweetNeutral)
	}
	if acc3 < minTweet3Class {
		t.Errorf("3-class accuracy %.3f < %.2f", acc3, minTweet3Class)
	}
	if acc2 < minBinary {
		t.Errorf("binary accuracy %.3f < %.2f", acc2, minBinary)
	}
}

// TestSentimentLongDocument: a document whose last half is negative is read
// by sentences, not by its first window, and the result says how it was read.
func TestSentimentLongDocument(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	pos := []string{"I love this phone, it is wonderful.", "The screen is beautiful and so bright.", "Setup was quick and easy, great job!"}
	neg := []string{"Then it broke and support was terrible.", "The battery died after a week, awful.", "I hate it now, the worst purchase ever."}
	var b strings.Builder
	for i := 0; i < 20; i++ {
		b.WriteString(pos[i%3] + " ")
	}
	for i := 0; i < 40; i++ {
		b.WriteString(neg[i%3] + " ")
	}
	text := strings.TrimSpace(b.String())
	whole, err := e.Sentiment(ctx, text, engine.Options{SentimentMethod: engine.MethodWhole, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if !whole.Truncated || whole.Method != engine.MethodWhole || whole.Sentences != nil {
		t.Fatalf("whole: truncated %v method %q, %d sentences: want a truncated whole read", whole.Truncated, whole.Method, len(whole.Sentences))
	}
	auto, err := e.Sentiment(ctx, text, engine.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first window: %s %.2f; by sentences: %s %.2f", whole.Label, whole.Score, auto.Label, auto.Score)
	if auto.Method != engine.MethodMean || auto.Truncated || len(auto.Sentences) != 60 {
		t.Fatalf("auto: method %q truncated %v, %d sentences; want mean over 60", auto.Method, auto.Truncated, len(auto.Sentences))
	}
	if auto.Label != "negative" {
		t.Errorf("a document whose last two thirds are negative reads %s %.2f", auto.Label, auto.Score)
	}
	runes := []rune(text)
	var negatives, prevEnd int
	mean := make([]float64, 3)
	total := 0.0
	for i, s := range auto.Sentences {
		w := float64(s.End - s.Start)
		total += w
		for j := range mean {
			mean[j] += w * s.Scores[j].Score
		}
		want := pos[i%3]
		if i >= 20 {
			want = neg[(i-20)%3]
		}
		if s.Start < prevEnd || string(runes[s.Start:s.End]) != want {
			t.Fatalf("sentence %d spans %d-%d %q, want %q", i, s.Start, s.End, string(runes[s.Start:s.End]), want)
		}
		prevEnd = s.End
		if s.Label == "negative" {
			negatives++
		}

	}
	if negatives < 30 {
		t.Errorf("%d of 60 sentences negative, want most of the last 40", negatives)
	}
	for j := range mean {
		if d := mean[j]/total - auto.Scores[j].Score; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: document score %.6f, length-weighted mean of its sentences %.6f", auto.Scores[j].Label, auto.Scores[j].Score, mean[j]/total)
		}
	}
	maj, err := e.Sentiment(ctx, text, engine.Options{SentimentMethod: engine.MethodMajority, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if maj.Method != engine.MethodMajority || maj.Label != "negative" {
		t.Errorf("majority: %s %q", maj.Label, maj.Method)
	}
	// A short text is read whole, as the model was trained, in one window;
	// mean scores its sentences.
	short, err := e.Sentiment(ctx, "Great food. Terrible service.", engine.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if short.Method != engine.MethodWhole || short.Truncated || short.Sentences != nil {
		t.Errorf("short: %q %v %+v", short.Method, short.Truncated, short.Sentences)
	}
	short, err = e.Sentiment(ctx, "Great food. Terrible service.", engine.Options{NoCache: true, SentimentMethod: engine.MethodMean})
	if err != nil {
		t.Fatal(err)
	}
	if short.Method != engine.MethodMean || len(short.Sentences) != 2 ||
		short.Sentences[0].Start != 0 || short.Sentences[0].End != 11 || short.Sentences[1].Start != 12 {
		t.Errorf("short, mean: %q %+v", short.Method, short.Sentences)
	}
	if _, err := e.Sentiment(ctx, "x", engine.Options{SentimentMethod: "median"}); err == nil {
		t.Error("an unknown method was accepted")
	}
}

func TestEntitiesF1(t *testing.T) {
	type span struct {
		Label, Text string
		Start, End  int
	}
	type row struct {
		Text     string
		Entities []span
		Source   string
	}
	rows := readJSONL[row](t, filepath.Join("testdata", "ner_heldout.jsonl"))
	e := newEngine(t)
	texts := make([]string, len(rows))
	for i, r := range rows {
		texts[i] = r.Text
	}
	res, err := e.EntitiesBatch(context.Background(), texts, engine.Options{NoCache: true, Aggregation: engine.AggFirst})
	if err != nil {
		t.Fatal(err)
	}
	var tp, np, ng int
	allowed := []string{"PER", "ORG", "LOC", "MISC"}
	for i, r := range rows {
		gold := map[span]bool{}
		for _, g := range r.Entities {
			gold[span{Label: g.Label, Start: g.Start, End: g.End}] = true
		}
		ng += len(gold)
		runes := []rune(r.Text)
		for _, p := range res[i].Entities {
			if !slices.Contains(allowed, p.Label) {
				t.Fatalf("entity label %q, want one of %v", p.Label, allowed)
			}
			if p.Start < 0 || p.End > len(runes) || p.Start >= p.End || string(runes[p.Start:p.End]) != p.Text {
				t.Fatalf("entity %+v does not match its text span in %q", p, r.Text)
			}
			np++
			if gold[span{Label: p.Label, Start: p.Start, End: p.End}] {
				tp++
			}
		}
	}
	prec, rec := float64(tp)/float64(np), float64(tp)/float64(ng)
	f1 := 2 * prec * rec / (prec + rec)
	t.Logf("entities: P %.3f R %.3f F1 %.3f (%d gold, %d predicted)", prec, rec, f1, ng, np)
	if f1 < minEntityMicroF1 {
		t.Errorf("micro F1 %.3f < %.2f", f1, minEntityMicroF1)
	}
}

// Benchmarks: one short text at a time through the engine (batches of one, no
// cache), i.e. tokenisation + ONNX Runtime + post-processing latency.
func benchEngine(b *testing.B) *engine.Engine {
	b.Helper()
	e, err := engine.New(engine.Config{IntraOpThreads: 1, Tuning: engine.Tuning{MaxBatchSize: 1, CacheEntries: -1}}, nil)
	if err != nil {
		b.Fatalf("engine.New: %v", err)
	}
	b.Cleanup(func() { _ = e.Close() })
	ctx := context.Background()
	if _, err := e.LoadModel(ctx, engine.TaskSentiment, engine.ModelSource{Name: models.Sentiment, Dir: models.Sentiment, FS: models.FS}); err != nil {
		b.Fatal(err)
	}
	if _, err := e.LoadModel(ctx, engine.TaskEntities, engine.ModelSource{Name: models.NER, Dir: models.NER, FS: models.FS}); err != nil {
		b.Fatal(err)
	}
	return e
}

const shortText = "Tim Cook said Apple will open a new office in Berlin next year, and I love it!"

func BenchmarkSentimentShort(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.Sentiment(ctx, shortText, engine.Options{NoCache: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEntitiesShort(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.Entities(ctx, shortText, engine.Options{NoCache: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSentimentSentences compares reading a two-sentence tweet whole
// (one window, the cost before sentences were scored) with auto (the whole
// window plus one per sentence, in one batch) and a 60-sentence document.
func BenchmarkSentimentSentences(b *testing.B) {
	e, err := engine.New(engine.Config{IntraOpThreads: 1, Tuning: engine.Tuning{CacheEntries: -1}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.Close() })
	ctx := context.Background()
	if _, err := e.LoadModel(ctx, engine.TaskSentiment, engine.ModelSource{Name: models.Sentiment, Dir: models.Sentiment, FS: models.FS}); err != nil {
		b.Fatal(err)
	}
	tweet := "Just got the new phone from @user, the screen is amazing! Battery life is another story though."
	long := strings.Repeat("The battery died after a week, awful. ", 60)
	for _, c := range []struct{ name, text, method string }{
		{"tweet/whole", tweet, engine.MethodWhole}, {"tweet/auto", tweet, engine.MethodAuto},
		{"long/whole", long, engine.MethodWhole}, {"long/auto", long, engine.MethodAuto},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Sentiment(ctx, c.text, engine.Options{SentimentMethod: c.method, NoCache: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
