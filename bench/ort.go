package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/tokenize"
)

// rawORT is the baseline: one ONNX Runtime session on the same model file
// with the same threads and graph optimizations as the engine's, fed
// pre-tokenized, pre-padded, pre-allocated tensors. Nothing of nlpscope runs
// in its timed loop except the call to Run. An Engine must be alive while it
// is used (it holds the process-wide ORT environment).
type rawORT struct {
	sess    *ort.DynamicAdvancedSession
	inputs  []string
	labels  int
	tokens  bool // token classification: logits per token ([n, seq, labels])
	padID   int64
	tok     *tokenize.Tokenizer
	batches map[string][]rawBatch
}

// rawBatch is one prepared Run: input tensors and an output tensor.
type rawBatch struct {
	in     []ort.Value
	out    ort.Value
	texts  int
	tokens int // real tokens
	padded int // longest × texts
}

// newRawORT opens the session; spin false turns off the spin-waiting of
// idle ORT threads (session.intra_op/inter_op.allow_spinning = 0).
func newRawORT(dir, onnxFile string, threads, labels int, spin bool, provider string) (*rawORT, error) {
	if onnxFile == "" {
		onnxFile = "model.onnx"
	}
	path := filepath.Join(dir, onnxFile)
	ins, _, err := ort.GetInputOutputInfo(path)
	if err != nil {
		return nil, fmt.Errorf("raw ort: inspect %s: %w", path, err)
	}
	var names []string
	for _, in := range ins {
		names = append(names, in.Name)
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	if err := opts.SetGraphOptimizationLevel(ort.GraphOptimizationLevelEnableAll); err != nil {
		return nil, err
	}
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		return nil, err
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, err
	}
	if !spin {
		for _, key := range []string{"session.intra_op.allow_spinning", "session.inter_op.allow_spinning"} {
			if err := opts.AddSessionConfigEntry(key, "0"); err != nil {
				return nil, err
			}
		}
	}
	if provider == "cuda" {
		// The engine that holds ORT has preloaded the CUDA libraries.
		cuda, err := ort.NewCUDAProviderOptions()
		if err != nil {
			return nil, fmt.Errorf("raw ort: cuda: %w", err)
		}
		defer cuda.Destroy()
		if err := opts.AppendExecutionProviderCUDA(cuda); err != nil {
			return nil, fmt.Errorf("raw ort: cuda: %w", err)
		}
	}
	sess, err := ort.NewDynamicAdvancedSession(path, names, []string{"logits"}, opts)
	if err != nil {
		return nil, fmt.Errorf("raw ort: session: %w", err)
	}
	tok, err := tokenize.FromFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		sess.Destroy()
		return nil, fmt.Errorf("raw ort: %w", err)
	}
	pad, _ := tok.PadID()
	return &rawORT{sess: sess, inputs: names, labels: labels, padID: pad, tok: tok, batches: map[string][]rawBatch{}}, nil
}

// prepare tokenizes texts (truncated to maxLen) and builds naive padded
// batches of size batch in the order given, stored under key.
func (r *rawORT) prepare(key string, texts []string, batch, maxLen int) error {
	encs := make([][]int64, len(texts))
	for i, t := range texts {
		e, err := r.tok.Encode(t, true)
		if err != nil {
			return fmt.Errorf("raw ort: tokenize: %w", err)
		}
		ids := e.IDs
		if len(ids) > maxLen {
			ids = append(slices.Clone(ids[:maxLen-1]), ids[len(ids)-1])
		}
		encs[i] = ids
	}
	for lo := 0; lo < len(encs); lo += batch {
		group := encs[lo:min(lo+batch, len(encs))]
		longest := 0
		real := 0
		for _, g := range group {
			longest = max(longest, len(g))
			real += len(g)
		}
		n := len(group)
		ids := make([]int64, n*longest)
		mask := make([]int64, n*longest)
		types := make([]int64, n*longest)
		for i, g := range group {
			for j := range longest {
				if j < len(g) {
					ids[i*longest+j], mask[i*longest+j] = g[j], 1
				} else {
					ids[i*longest+j] = r.padID
				}
			}
		}
		shape := ort.NewShape(int64(n), int64(longest))
		rb := rawBatch{texts: n, tokens: real, padded: n * longest}
		for _, name := range r.inputs {
			var data []int64
			switch name {
			case "input_ids":
				data = ids
			case "attention_mask":
				data = mask
			default:
				data = types
			}
			t, err := ort.NewTensor(shape, data)
			if err != nil {
				return err
			}
			rb.in = append(rb.in, t)
		}
		outShape := ort.NewShape(int64(n), int64(r.labels))
		if r.tokens {
			outShape = ort.NewShape(int64(n), int64(longest), int64(r.labels))
		}
		out, err := ort.NewEmptyTensor[float32](outShape)
		if err != nil {
			return err
		}
		rb.out = out
		r.batches[key] = append(r.batches[key], rb)
	}
	return nil
}

// run is a contender: back-to-back Runs over the batches under key for d;
// it counts texts.
func (r *rawORT) run(key string) contender {
	next := 0
	return func(ctx context.Context, d time.Duration) (slice, error) {
		bs := r.batches[key]
		if len(bs) == 0 {
			return slice{}, fmt.Errorf("raw ort: no batches %q", key)
		}
		start := time.Now()
		var s slice
		for time.Since(start) < d {
			if err := ctx.Err(); err != nil {
				return s, err
			}
			b := bs[next%len(bs)]
			next++
			t0 := time.Now()
			if err := r.sess.Run(b.in, []ort.Value{b.out}); err != nil {
				return s, fmt.Errorf("raw ort: run: %w", err)
			}
			s.Lat = append(s.Lat, time.Since(t0))
			s.Ops += float64(b.texts)
		}
		s.Elapsed = time.Since(start)
		return s, nil
	}
}

// paddedRatio is padded tokens over real tokens for the batches under key.
func (r *rawORT) paddedRatio(key string) float64 {
	var real, padded int
	for _, b := range r.batches[key] {
		real += b.tokens
		padded += b.padded
	}
	if real == 0 {
		return 0
	}
	return float64(padded) / float64(real)
}

func (r *rawORT) close() {
	for _, bs := range r.batches {
		for _, b := range bs {
			for _, v := range b.in {
				v.Destroy()
			}
			b.out.Destroy()
		}
	}
	r.sess.Destroy()
}

// engineSingle is a contender: users concurrent single-text calls on eng,
// texts round-robin, as a fixed-work slice sized to last about d; it counts
// texts.
func engineSingle(eng *engine.Engine, task engine.Task, users int, texts []string) contender {
	z := &sizer{minCalls: users}
	return func(ctx context.Context, d time.Duration) (slice, error) {
		n := z.calls(d)
		s, err := fixedWork(ctx, users, n, 1, func(ctx context.Context, u, i int) error {
			t := texts[i%len(texts)]
			var err error
			if task == engine.TaskEntities {
				_, err = eng.Entities(ctx, t, engine.Options{NoCache: true})
			} else {
				_, err = eng.Sentiment(ctx, t, engine.Options{NoCache: true})
			}
			return err
		})
		z.observe(n, s.Elapsed)
		return s, err
	}
}

// engineBatches is a contender: users concurrent SentimentBatch calls, each
// with the next group of batch texts, as a fixed-work slice; it counts texts.
func engineBatches(eng *engine.Engine, users, batch int, texts []string) contender {
	groups := groupsOf(texts, batch)
	z := &sizer{minCalls: users}
	return func(ctx context.Context, d time.Duration) (slice, error) {
		n := z.calls(d)
		s, err := fixedWork(ctx, users, n, float64(batch), func(ctx context.Context, u, i int) error {
			_, err := eng.SentimentBatch(ctx, groups[i%len(groups)], engine.Options{NoCache: true})
			return err
		})
		z.observe(n, s.Elapsed)
		return s, err
	}
}

// groupsOf cuts texts into consecutive groups of n (the last one topped up
// from the start so that every group has n texts).
func groupsOf(texts []string, n int) [][]string {
	var out [][]string
	for lo := 0; lo < len(texts); lo += n {
		g := make([]string, 0, n)
		for i := lo; len(g) < n; i++ {
			g = append(g, texts[i%len(texts)])
		}
		out = append(out, g)
	}
	return out
}
