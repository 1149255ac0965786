package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nlpscope/nlpscope/engine"
)

// fakeEngine is an Inferer whose answers tests control: sentiment blocks
// until release is closed (when set) and fails with err (when set).
type fakeEngine struct {
	started chan struct{} // receives a value per Sentiment call while it has room
	release chan struct{}
	err     error
	cost    time.Duration // sleep per text (fake time in a synctest bubble)
}

func (f *fakeEngine) Close() error { return nil }
func (f *fakeEngine) LoadModel(context.Context, engine.Task, engine.ModelSource) (engine.ModelInfo, error) {
	return engine.ModelInfo{}, nil
}
func (f *fakeEngine) Models() []engine.ModelInfo {
	return []engine.ModelInfo{{ID: "fake@1", Name: "fake", Task: engine.TaskSentiment, Labels: []string{"NEG", "POS"}}}
}
func (f *fakeEngine) Ready(t engine.Task) bool        { return t == engine.TaskSentiment }
func (f *fakeEngine) Runtime() engine.RuntimeInfo     { return engine.RuntimeInfo{Provider: "cpu"} }
func (f *fakeEngine) Stats() engine.Stats             { return engine.Stats{} }
func (f *fakeEngine) Tuning() engine.Tuning           { return engine.Tuning{MaxBatchSize: 1, TokenBudget: 1} }
func (f *fakeEngine) SetTuning(t engine.Tuning) error { return nil }
func (f *fakeEngine) Sentiment(ctx context.Context, text string, opts engine.Options) (engine.Sentiment, error) {
	if f.started != nil {
		select {
		case f.started <- struct{}{}:
		default:
		}
	}
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return engine.Sentiment{}, ctx.Err()
		}
	}
	if f.err != nil {
		return engine.Sentiment{}, f.err
	}
	if f.cost > 0 {
		time.Sleep(f.cost)
	}
	return engine.Sentiment{Label: "POS", Score: 0.9, Scores: []engine.LabelScore{{Label: "NEG", Score: 0.1}, {Label: "POS", Score: 0.9}}, Model: "fake@1"}, nil
}
func (f *fakeEngine) SentimentBatch(ctx context.Context, texts []string, opts engine.Options) ([]engine.Sentiment, error) {
	out := make([]engine.Sentiment, len(texts))
	for i, t := range texts {
		s, err := f.Sentiment(ctx, t, opts)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}
func (f *fakeEngine) Entities(context.Context, string, engine.Options) (engine.Entities, error) {
	return engine.Entities{}, engine.ErrNotReady
}
func (f *fakeEngine) EntitiesBatch(context.Context, []string, engine.Options) ([]engine.Entities, error) {
	return nil, engine.ErrNotReady
}

// newFakeService is a Service over eng without a database.
func newFakeService(t *testing.T, eng Inferer) *Service {
	t.Helper()
	s, err := newService(Config{NoDB: true, MaxTextBytes: DefaultMaxTextBytes, MaxBatchTexts: DefaultMaxBatchTexts, Now: time.Now}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s.eng = eng
	s.setupProfiler()
	s.startBackground()
	close(s.loaded)
	t.Cleanup(func() { s.Close() })
	return s
}

// Progress measures the work: a first pass counts the inputs, so at 10 % of
// a 20,000-line file the total is exact and the ETA is within 20 % of the
// time that is really left. The engine costs a fixed time per text, in a
// synctest bubble (fake clock).
func TestImportProgressETA(t *testing.T) {
	path := t.TempDir() + "/big.txt"
	var b strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&b, "text number %d\n", i)
		if i%7 == 0 {
			b.WriteString("\n") // blank lines are not inputs
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService(t, &fakeEngine{cost: time.Millisecond})
		ctx := context.Background()
		st, err := svc.StartImport(ctx, []ImportFile{{Path: path}}, ImportOptions{Tasks: []engine.Task{engine.TaskSentiment}})
		if err != nil {
			t.Fatal(err)
		}
		var at10 ImportStatus
		for {
			time.Sleep(100 * time.Millisecond)
			if at10, err = svc.ImportStatus(ctx, st.ID); err != nil {
				t.Fatal(err)
			}
			if at10.Done >= 2000 {
				break
			}
		}
		t10 := time.Now()
		final, err := svc.WaitImport(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		left := time.Since(t10).Seconds()
		if final.State != StateDone || final.Done != 20000 || final.Total != 20000 || !final.TotalExact {
			t.Fatalf("final %+v", final)
		}
		if at10.Total != 20000 || !at10.TotalExact {
			t.Errorf("at %d done: total %d (exact %v), want 20000 counted", at10.Done, at10.Total, at10.TotalExact)
		}
		t.Logf("at %d done: ETA %.2f s, really left %.2f s", at10.Done, at10.ETASecond, left)
		if d := math.Abs(at10.ETASecond-left) / left; d > 0.2 {
			t.Errorf("ETA at %d done: %.2f s, really left %.2f s (off by %.0f %%)", at10.Done, at10.ETASecond, left, 100*d)
		}
	})
}

func TestImportCancel(t *testing.T) {
	eng := &fakeEngine{started: make(chan struct{}, 100), release: make(chan struct{})}
	svc := newFakeService(t, eng)
	dir := t.TempDir()
	path := dir + "/a.txt"
	if err := os.WriteFile(path, []byte(strings.Repeat("some text\n", 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := svc.StartImport(ctx, []ImportFile{{Path: path}}, ImportOptions{Tasks: []engine.Task{engine.TaskSentiment}})
	if err != nil {
		t.Fatal(err)
	}
	<-eng.started // a chunk is inside the engine
	st, err = svc.CancelImport(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != StateCancelled || st.Finished == nil || st.Done != 0 || st.Failed != 0 {
		t.Fatalf("after cancel: %+v", st)
	}
	if _, err := svc.CancelImport(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel unknown import: %v", err)
	}
}
