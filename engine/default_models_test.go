package engine_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/models"
)

// newDefaultEngine loads the embedded default models from models.FS.
func newDefaultEngine(t testing.TB, tune engine.Tuning) *engine.Engine {
	t.Helper()
	e, err := engine.New(engine.Config{Tuning: tune}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	for task, dir := range map[engine.Task]string{engine.TaskSentiment: models.Sentiment, engine.TaskEntities: models.NER} {
		info, err := e.LoadModel(context.Background(), task, engine.ModelSource{Name: dir, Dir: dir, FS: models.FS})
		if err != nil {
			t.Fatalf("load default %s: %v", dir, err)
		}
		if info.Dir != "embedded:"+dir || info.Task != task {
			t.Errorf("info %+v", info)
		}
		// The card says what the model is for: English, its limitations, its figures.
		if c := info.Card; c == nil || c.File != "MODEL_CARD.md" || !strings.Contains(c.Summary, "English") || len(c.Limitations) < 3 || len(c.Metrics) == 0 {
			t.Errorf("%s card: %+v", dir, info.Card)
		}
	}
	return e
}

// TestDefaultModels runs the embedded models end to end on clear cases.
func TestDefaultModels(t *testing.T) {
	e := newDefaultEngine(t, engine.Tuning{})
	ctx := context.Background()
	for text, want := range map[string]string{
		"I absolutely love this, it is wonderful and made my day!": "positive",
		"This is terrible, the worst service I have ever had.":     "negative",
	} {
		s, err := e.Sentiment(ctx, text, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Label != want || len(s.Scores) != 3 {
			t.Errorf("%q: %s %.3f %+v, want %s", text, s.Label, s.Score, s.Scores, want)
		}
	}
	text := "Barack Obama visited Paris with Angela Merkel 🇫🇷 and met 東京 officials from Microsoft."
	for _, agg := range []string{engine.AggNone, engine.AggSimple, engine.AggFirst, engine.AggAverage, engine.AggMax} {
		got, err := e.Entities(ctx, text, engine.Options{Aggregation: agg})
		if err != nil {
			t.Fatal(err)
		}
		runes := []rune(text)
		var labels []string
		for _, en := range got.Entities {
			if en.Start < 0 || en.End > len(runes) || en.Start >= en.End || string(runes[en.Start:en.End]) != en.Text || !utf8.ValidString(en.Text) {
				t.Errorf("%s: bad span %+v", agg, en)
			}
			labels = append(labels, en.Label+":"+en.Text)
		}
		joined := strings.Join(labels, " ")
		if agg != engine.AggNone && (!strings.Contains(joined, "PER:Barack Obama") || !strings.Contains(joined, "LOC:Paris")) {
			t.Errorf("%s: entities %s", agg, joined)
		}
	}
	// A text far longer than one 512-token window keeps every entity once.
	long := strings.Repeat("The weather was mild and the meeting ran long. ", 120) + "Barack Obama visited Paris."
	got, err := e.Entities(ctx, long, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, en := range got.Entities {
		if en.Text == "Barack Obama" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("long text: %d × Barack Obama in %+v", n, got.Entities)
	}
}

func BenchmarkDefaultSentimentSingle(b *testing.B) {
	e := newDefaultEngine(b, engine.Tuning{CacheEntries: -1})
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.Sentiment(ctx, "The food was great but the service was painfully slow.", engine.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDefaultSentimentBatch32(b *testing.B) {
	e := newDefaultEngine(b, engine.Tuning{CacheEntries: -1})
	ctx := context.Background()
	texts := make([]string, 32)
	for i := range texts {
		texts[i] = strings.Repeat("The food was great but the service was painfully slow. ", 1+i%4)
	}
	for b.Loop() {
		if _, err := e.SentimentBatch(ctx, texts, engine.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDefaultEntitiesSingle(b *testing.B) {
	e := newDefaultEngine(b, engine.Tuning{CacheEntries: -1})
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.Entities(ctx, "Barack Obama visited Paris with Angela Merkel and met officials from Microsoft.", engine.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
