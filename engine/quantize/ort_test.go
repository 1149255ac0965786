package quantize_test

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

var ortOnce sync.Once
var ortErr error

// initORT loads the real ONNX Runtime library. A missing library is a test
// failure (run `make setup`), never a skip.
func initORT(t testing.TB) {
	t.Helper()
	ortOnce.Do(func() {
		lib := os.Getenv("NLPSCOPE_ORT_LIB")
		if lib == "" {
			_, file, _, _ := runtime.Caller(0)
			lib = filepath.Join(filepath.Dir(file), "..", "..", "third_party", "onnxruntime", "libonnxruntime.so.1")
		}
		if _, err := os.Stat(lib); err != nil {
			ortErr = err
			return
		}
		ort.SetSharedLibraryPath(lib)
		ortErr = ort.InitializeEnvironment(ort.WithLogLevelError())
	})
	if ortErr != nil {
		t.Fatalf("ONNX Runtime: %v (run `make setup` or set NLPSCOPE_ORT_LIB)", ortErr)
	}
}

// session is a real ORT session over a serialized model.
type session struct {
	s *ort.DynamicAdvancedSession
}

func newSession(t testing.TB, model []byte) *session {
	t.Helper()
	initORT(t)
	opts, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(1); err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(model, []string{"input_ids", "attention_mask"}, []string{"logits"}, opts)
	if err != nil {
		t.Fatalf("ONNX Runtime rejected the model: %v", err)
	}
	t.Cleanup(func() { s.Destroy() })
	return &session{s: s}
}

// logits runs a batch of [batch, seq] token ids (mask all ones except padding
// id 0) and returns [batch][labels].
func (s *session) logits(t testing.TB, ids [][]int64) [][]float32 {
	t.Helper()
	b, n := len(ids), len(ids[0])
	flat := make([]int64, 0, b*n)
	mask := make([]int64, 0, b*n)
	for _, row := range ids {
		for _, id := range row {
			flat = append(flat, id)
			if id == 0 {
				mask = append(mask, 0)
			} else {
				mask = append(mask, 1)
			}
		}
	}
	in1, err := ort.NewTensor(ort.NewShape(int64(b), int64(n)), flat)
	if err != nil {
		t.Fatal(err)
	}
	defer in1.Destroy()
	in2, err := ort.NewTensor(ort.NewShape(int64(b), int64(n)), mask)
	if err != nil {
		t.Fatal(err)
	}
	defer in2.Destroy()
	out := []ort.Value{nil}
	if err := s.s.Run([]ort.Value{in1, in2}, out); err != nil {
		t.Fatalf("run: %v", err)
	}
	defer out[0].Destroy()
	tt := out[0].(*ort.Tensor[float32])
	data := tt.GetData()
	labels := len(data) / b
	res := make([][]float32, b)
	for i := range res {
		res[i] = append([]float32(nil), data[i*labels:(i+1)*labels]...)
	}
	return res
}

// sampleBatches returns deterministic token-id batches with padding.
func sampleBatches(seed uint64, vocab, batches, batch, seq int) [][][]int64 {
	rng := rand.New(rand.NewPCG(seed, 11))
	out := make([][][]int64, batches)
	for i := range out {
		out[i] = make([][]int64, batch)
		for j := range out[i] {
			row := make([]int64, seq)
			n := 2 + rng.IntN(seq-1)
			for k := 0; k < n; k++ {
				row[k] = 1 + rng.Int64N(int64(vocab-1))
			}
			out[i][j] = row
		}
	}
	return out
}

func softmax(l []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, float64(v))
	}
	s := 0.0
	out := make([]float64, len(l))
	for i, v := range l {
		out[i] = math.Exp(float64(v) - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

func argmax(v []float64) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// Agreement compares the fp32 and int8 outputs of the same inputs.
type Agreement struct {
	N            int
	SameLabel    int
	MaxScoreDiff float64 // max |softmax_fp32 − softmax_int8| over all labels
}

func compare(t testing.TB, fp, q *session, batches [][][]int64) Agreement {
	t.Helper()
	var a Agreement
	for _, b := range batches {
		lf, lq := fp.logits(t, b), q.logits(t, b)
		for i := range lf {
			pf, pq := softmax(lf[i]), softmax(lq[i])
			a.N++
			if argmax(pf) == argmax(pq) {
				a.SameLabel++
			}
			for j := range pf {
				a.MaxScoreDiff = math.Max(a.MaxScoreDiff, math.Abs(pf[j]-pq[j]))
			}
		}
	}
	return a
}

// compareTokens compares outputs as predictions of k labels each (k = labels
// per row for sequence classification, per token for token classification),
// skipping padding positions (id 0) for token outputs.
func compareTokens(t testing.TB, fp, q *session, batches [][][]int64, k int) Agreement {
	t.Helper()
	var a Agreement
	for _, b := range batches {
		lf, lq := fp.logits(t, b), q.logits(t, b)
		for i := range lf {
			for p := 0; p+k <= len(lf[i]); p += k {
				if len(lf[i]) > k && b[i][p/k] == 0 {
					continue
				}
				pf, pq := softmax(lf[i][p:p+k]), softmax(lq[i][p:p+k])
				a.N++
				if argmax(pf) == argmax(pq) {
					a.SameLabel++
				}
				for j := range pf {
					a.MaxScoreDiff = math.Max(a.MaxScoreDiff, math.Abs(pf[j]-pq[j]))
				}
			}
		}
	}
	return a
}
