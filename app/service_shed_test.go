package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

// Saturated by many more concurrent users than the queue-wait bound
// admits, the Service refuses some requests with an OverloadError
// "queue_wait" decided before queueing, so refusals come back faster than
// admitted answers; the metrics count exactly the refusals the clients saw.
func TestServiceShedsByQueueWait(t *testing.T) {
	cfg := testConfig(t)
	cfg.NoDB, cfg.DBPath = true, ""
	cfg.MaxQueueWait = time.Millisecond
	cfg.Tuning = engine.Tuning{CacheEntries: -1, MaxBatchSize: 4}
	svc := newService(t, cfg)
	ctx := context.Background()
	text := strings.Repeat("the film was good and the actors were great . ", 6)
	for i := range 16 { // warm the cost model
		if _, err := svc.Analyze(ctx, app.AnalyzeRequest{Text: fmt.Sprint(i, text), Tasks: []engine.Task{engine.TaskSentiment}, NoStore: true}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu             sync.Mutex
		okLat, shedLat []time.Duration
		wg             sync.WaitGroup
	)
	for u := range 128 {
		wg.Go(func() {
			for i := range 15 {
				start := time.Now()
				_, err := svc.Analyze(ctx, app.AnalyzeRequest{Text: fmt.Sprint(u, i, text), Tasks: []engine.Task{engine.TaskSentiment}, NoStore: true})
				d := time.Since(start)
				mu.Lock()
				switch reason := engine.ShedReason(err); {
				case err == nil:
					okLat = append(okLat, d)
				case reason == engine.ShedQueueWait:
					shedLat = append(shedLat, d)
				default:
					t.Errorf("user %d: %v (shed reason %q)", u, err, reason)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(shedLat) == 0 || len(okLat) == 0 {
		t.Fatalf("%d admitted, %d shed: want both under saturation", len(okLat), len(shedLat))
	}
	median := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	ms, mo := median(shedLat), median(okLat)
	t.Logf("admitted %d (median %v), shed %d (median %v)", len(okLat), mo, len(shedLat), ms)
	if ms >= mo {
		t.Errorf("refusals (median %v) are not faster than admitted answers (median %v)", ms, mo)
	}
	m := svc.Metrics().Profiler
	if got := m.Shed[engine.ShedQueueWait]; got != uint64(len(shedLat)) {
		t.Errorf("metrics shed[queue_wait] = %d, clients saw %d refusals (%v)", got, len(shedLat), m.Shed)
	}
}
