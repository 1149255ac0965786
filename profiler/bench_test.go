package profiler_test

import (
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/profiler"
)

// BenchmarkObserveOp measures the cost the profiler adds to every request,
// from all CPUs at once.
func BenchmarkObserveOp(b *testing.B) {
	p, err := profiler.New(profiler.Config{DisableSystem: true, DisableGPU: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d := time.Duration(0)
		for pb.Next() {
			d += 7 * time.Microsecond
			p.ObserveOp(profiler.OpSentiment, d%(50*time.Millisecond), nil)
		}
	})
}

// BenchmarkSnapshot measures one live snapshot with a few busy series (the
// windows are merged once per second, so most calls reuse them).
func BenchmarkSnapshot(b *testing.B) {
	p, err := profiler.New(profiler.Config{DisableSystem: true, DisableGPU: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, op := range []string{profiler.OpSentiment, profiler.OpEntities, profiler.OpAnalyze, profiler.StageInference} {
		for i := 0; i < 10000; i++ {
			p.ObserveOp(op, time.Duration(i)*time.Microsecond, nil)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = p.Snapshot()
	}
}
