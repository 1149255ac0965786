package app

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/engine"
)

// The in-flight text budget: while one request holds most of it, another
// that would pass it is shed (429-class OverloadError "inflight_bytes") and
// computes nothing; a request larger than the whole budget is too large
// (413); once the first finishes, its bytes are free again.
func TestInflightBytesBudget(t *testing.T) {
	eng := &fakeEngine{started: make(chan struct{}, 1), release: make(chan struct{})}
	s := newFakeService(t, eng)
	s.cfg.MaxInflightBytes = 1000
	ctx := context.Background()
	req := func(n int) AnalyzeRequest {
		return AnalyzeRequest{Text: strings.Repeat("a", n), Tasks: []engine.Task{engine.TaskSentiment}, NoStore: true}
	}
	if _, err := s.Analyze(ctx, req(1001)); !errors.Is(err, ErrTooLarge) || CodeOf(err) != CodeTooLarge {
		t.Errorf("request over the whole budget: %v, want ErrTooLarge", err)
	}
	first := make(chan error, 1)
	go func() {
		_, err := s.Analyze(ctx, req(800))
		first <- err
	}()
	<-eng.started // the first holds 800 bytes in the engine
	_, err := s.Analyze(ctx, req(201))
	var oe *engine.OverloadError
	if !errors.As(err, &oe) || oe.Reason != ShedInflightBytes || CodeOf(err) != CodeOverloaded {
		t.Fatalf("request past the budget: %v, want an OverloadError %q", err, ShedInflightBytes)
	}
	select {
	case <-eng.started:
		t.Fatal("the shed request reached the engine")
	default:
	}
	close(eng.release) // the first finishes, and a request of the rest fits beside nothing
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, err := s.Analyze(ctx, req(1000)); err != nil {
		t.Errorf("after the first finished: %v", err)
	}
	if n := s.inflightBytes.Load(); n != 0 {
		t.Errorf("%d bytes still counted in flight", n)
	}
	if got := s.Metrics().Profiler.Shed[ShedInflightBytes]; got != 1 {
		t.Errorf("shed[inflight_bytes] = %d, want 1", got)
	}
}

// Bulk records (nlpscope analyze, imports) shed for overload wait and are
// tried again instead of failing: one that cannot fit while another request
// holds the budget succeeds once it is free.
func TestBulkRecordsWaitForBudget(t *testing.T) {
	eng := &fakeEngine{started: make(chan struct{}, 1), release: make(chan struct{})}
	s := newFakeService(t, eng)
	s.cfg.MaxInflightBytes = 1000
	ctx := context.Background()
	first := make(chan error, 1)
	go func() {
		_, err := s.Analyze(ctx, AnalyzeRequest{Text: strings.Repeat("a", 800), Tasks: []engine.Task{engine.TaskSentiment}, NoStore: true})
		first <- err
	}()
	<-eng.started
	done := make(chan []error, 1)
	go func() {
		_, errs := s.AnalyzeRecords(ctx, RecordOptions{Tasks: []engine.Task{engine.TaskSentiment}, Bulk: true},
			[]Record{{Text: strings.Repeat("b", 300), Line: 1}})
		done <- errs
	}()
	// The record is shed at least once while the first request holds the
	// budget; only then is the first let go.
	for s.Metrics().Profiler.Shed[ShedInflightBytes] == 0 {
		select {
		case errs := <-done:
			t.Fatalf("bulk record finished while the budget was held: %v", errs)
		default:
		}
		runtime.Gosched()
	}
	close(eng.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if errs := <-done; errs[0] != nil {
		t.Errorf("bulk record failed instead of waiting: %v", errs[0])
	}
}
