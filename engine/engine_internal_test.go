package engine

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// Close stops every goroutine the engine started: the engine's only
// goroutines are the batcher loops, one per loaded model, and a loop's last
// act is closing its done channel, so a closed done channel proves the loop
// has returned. (TestBatcherCloseDrainsQueue shows, inside a synctest
// bubble, that a closed batcher leaves no goroutine behind.) The check is
// exact, with no waiting: runtime.NumGoroutine would still count a loop
// that has closed done but not yet exited.
func TestCloseStopsEveryBatcher(t *testing.T) {
	e, err := New(Config{IntraOpThreads: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var batchers []*batcher
	load := func(task Task, name string) {
		t.Helper()
		if _, err := e.LoadModel(ctx, task, ModelSource{Name: name, Dir: filepath.Join("testdata", name)}); err != nil {
			t.Fatal(err)
		}
		e.mu.RLock()
		batchers = append(batchers, e.pipelines[task].batcher)
		e.mu.RUnlock()
	}
	stopped := func(b *batcher) bool {
		select {
		case <-b.done:
			return true
		default:
			return false
		}
	}
	load(TaskSentiment, "sentiment")
	load(TaskEntities, "ner")
	load(TaskSentiment, "sentiment") // replaces the first
	if !stopped(batchers[0]) {
		t.Error("LoadModel returned with the replaced model's batcher still running")
	}
	if stopped(batchers[1]) || stopped(batchers[2]) {
		t.Fatal("an active model's batcher has stopped")
	}
	if _, err := e.Sentiment(ctx, "Alice is happy", Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Entities(ctx, "Alice is happy", Options{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for i, b := range batchers {
		if !stopped(b) {
			t.Errorf("batcher %d (%s) still running after Close", i, b.task)
		}
	}
	if _, err := e.Sentiment(ctx, "good", Options{}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}
