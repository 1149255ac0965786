package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/httpapi"
)

// fakeEngine is an app.Inferer whose answers tests control: sentiment blocks
// until release is closed (when set) and fails with err (when set).
type fakeEngine struct {
	started chan struct{} // receives a value per Sentiment call while it has room
	release chan struct{}
	err     error
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
func newFakeService(t *testing.T, eng app.Inferer) *app.Service {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := app.New(ctx, app.Config{NoDB: true, Engine: eng}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.WaitLoaded(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHTTPOverloadedIs429(t *testing.T) {
	svc := newFakeService(t, &fakeEngine{err: engine.ErrOverloaded})
	srv, err := httpapi.NewServer(httpapi.ServerConfig{}, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	resp, err := http.Post("http://"+ln.Addr().String()+"/v1/sentiment/analyze", "application/json", strings.NewReader(`{"text":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !bytes.Contains(b, []byte(`"overloaded"`)) {
		t.Fatalf("overloaded engine: %d %v %s", resp.StatusCode, resp.Header, b)
	}
	if n := svc.Metrics().Profiler.Errors["overloaded"]; n == 0 {
		t.Errorf("overload not counted: %v", svc.Metrics().Profiler.Errors)
	}
}

// A request shed by expected queue wait gets 429 with the wait beyond the
// bound as Retry-After, and /metrics counts it by reason.
func TestHTTPShedByQueueWait(t *testing.T) {
	svc := newFakeService(t, &fakeEngine{err: &engine.OverloadError{Reason: engine.ShedQueueWait, Wait: 2500 * time.Millisecond, Bound: 100 * time.Millisecond}})
	srv, err := httpapi.NewServer(httpapi.ServerConfig{}, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp, err := http.Post(ts.URL+"/v1/sentiment/analyze", "application/json", strings.NewReader(`{"text":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || !bytes.Contains(b, []byte("expected queue wait 2.5s")) {
		t.Fatalf("shed: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	resp, err = http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(b, []byte(`nlpscope_shed_total{reason="queue_wait"} 1`)) {
		t.Errorf("/metrics lacks the shed: %s", b)
	}
}

// TestHTTPGracefulShutdown: a request in flight when shutdown begins still
// gets its answer; new connections are refused; Serve returns nil; live
// streams end.
func TestHTTPGracefulShutdown(t *testing.T) {
	eng := &fakeEngine{started: make(chan struct{}, 1), release: make(chan struct{})}
	svc := newFakeService(t, eng)
	srv, err := httpapi.NewServer(httpapi.ServerConfig{ShutdownGrace: time.Minute}, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	stream, err := http.Get(addr + "/v1/metrics/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()

	type result struct {
		status int
		body   string
		err    error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Post(addr+"/v1/sentiment/analyze", "application/json", strings.NewReader(`{"text":"hi"}`))
		if err != nil {
			inflight <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inflight <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-eng.started // the request is inside the engine
	cancel()      // shutdown begins

	// The stream ends (its body reaches EOF) although the client keeps it.
	if _, err := io.Copy(io.Discard, stream.Body); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("stream: %v", err)
	}
	// New connections are refused once the listener is closed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepts during shutdown")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	default:
	}
	close(eng.release) // the in-flight request completes
	r := <-inflight
	if r.err != nil || r.status != 200 || !strings.Contains(r.body, `"POS"`) {
		t.Fatalf("in-flight request: %+v", r)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
