package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/nlpscope/nlpscope/engine"
)

var benchTexts = []string{
	"This movie was good!",
	"the food was awful and the service terrible , i hate it",
	"great",
	"it is a film , not boring , and the service was very good and the food was wonderful",
	"sad",
	"i love this movie . the film is excellent",
}

var benchNER = "Alice Smith went to Paris with Bob Jones and visited Acme Corp in Berlin ."

func benchEngine(b *testing.B, tune engine.Tuning) *engine.Engine {
	b.Helper()
	tune.CacheEntries = -1
	e := newEngine(b, engine.Config{IntraOpThreads: 1, Tuning: tune})
	return e
}

// BenchmarkSentimentSingle is one text at a time through the whole engine
// (validate, tokenize, queue, batch of one, ORT, softmax).
func BenchmarkSentimentSingle(b *testing.B) {
	e := benchEngine(b, engine.Tuning{}) // default tuning: a lone caller is not held back
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := e.Sentiment(ctx, benchTexts[i%len(benchTexts)], engine.Options{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkSentimentBatch32 is SentimentBatch with 32 texts per call.
func BenchmarkSentimentBatch32(b *testing.B) {
	e := benchEngine(b, engine.Tuning{})
	ctx := context.Background()
	texts := make([]string, 32)
	for i := range texts {
		texts[i] = benchTexts[i%len(benchTexts)]
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.SentimentBatch(ctx, texts, engine.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*32)/b.Elapsed().Seconds(), "texts/s")
}

// BenchmarkSentimentConcurrent64 is 64 concurrent single-text callers: the
// batcher merges them.
func BenchmarkSentimentConcurrent64(b *testing.B) {
	e := benchEngine(b, engine.Tuning{})
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := e.Sentiment(ctx, benchTexts[i%len(benchTexts)], engine.Options{}); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}

func BenchmarkEntitiesSingle(b *testing.B) {
	e := benchEngine(b, engine.Tuning{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Entities(ctx, benchNER, engine.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheHit(b *testing.B) {
	e := newEngine(b, engine.Config{IntraOpThreads: 1})
	ctx := context.Background()
	e.Sentiment(ctx, benchTexts[0], engine.Options{})
	b.ReportAllocs()
	for b.Loop() {
		s, err := e.Sentiment(ctx, benchTexts[0], engine.Options{})
		if err != nil || !s.Cached {
			b.Fatal(err, s.Cached)
		}
	}
}

// BenchmarkRawORT runs the fixture session directly with pre-tokenized,
// pre-allocated tensors: the floor the engine's single-text path is compared
// against.
func BenchmarkRawORT(b *testing.B) {
	for _, batch := range []int{1, 32} {
		b.Run(fmt.Sprint("batch", batch), func(b *testing.B) {
			// An Engine holds the process-wide ORT environment for us.
			e, err := engine.New(engine.Config{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			opts, _ := ort.NewSessionOptions()
			defer opts.Destroy()
			opts.SetIntraOpNumThreads(1)
			opts.SetInterOpNumThreads(1)
			s, err := ort.NewDynamicAdvancedSession(filepath.Join("testdata", "sentiment", "model.onnx"),
				[]string{"input_ids", "attention_mask", "token_type_ids"}, []string{"logits"}, opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Destroy()
			const seq = 12
			shape := ort.NewShape(int64(batch), seq)
			ids := make([]int64, batch*seq)
			mask := make([]int64, batch*seq)
			for i := range ids {
				ids[i], mask[i] = int64(4+i%20), 1
			}
			idsT, _ := ort.NewTensor(shape, ids)
			maskT, _ := ort.NewTensor(shape, mask)
			typesT, _ := ort.NewEmptyTensor[int64](shape)
			outT, _ := ort.NewEmptyTensor[float32](ort.NewShape(int64(batch), 2))
			defer idsT.Destroy()
			defer maskT.Destroy()
			defer typesT.Destroy()
			defer outT.Destroy()
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Run([]ort.Value{idsT, maskT, typesT}, []ort.Value{outT}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "texts/s")
		})
	}
}

// BenchmarkMixedLengths compares length-aware batching with never splitting
// a flush, on texts of very different lengths.
func BenchmarkMixedLengths(b *testing.B) {
	texts := make([]string, 64)
	for i := range texts {
		texts[i] = strings.Repeat("good film ", 1+(i*7)%15)
	}
	for _, c := range []struct {
		name  string
		split int
	}{{"learned", 0}, {"never-split", -1}} {
		b.Run(c.name, func(b *testing.B) {
			e := benchEngine(b, engine.Tuning{MaxBatchSize: 64, MaxDelay: 5e6, SplitOverheadTokens: c.split})
			ctx := context.Background()
			for b.Loop() {
				var wg sync.WaitGroup
				for _, t := range texts {
					wg.Go(func() { e.Sentiment(ctx, t, engine.Options{}) })
				}
				wg.Wait()
			}
			b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "texts/s")
		})
	}
}
