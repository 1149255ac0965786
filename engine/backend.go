package engine

import (
	"fmt"

	ort "github.com/yalue/onnxruntime_go"
)

// batchInput is one padded batch, row-major [n, seq].
type batchInput struct {
	n, seq int
	ids    []int64
	mask   []int64
	types  []int64 // nil when the model takes no token_type_ids
}

// backend runs a model on a padded batch. The batcher calls run from one
// goroutine at a time.
type backend interface {
	// run returns the logits, flat: [n, labels] for sequence
	// classification, [n, seq, labels] for token classification. The slice
	// is valid until the next call.
	run(in *batchInput) ([]float32, error)
	// labels is the size of the logits' last dimension.
	labels() int
	// perToken reports rank-3 logits (token classification).
	perToken() bool
	close() error
}

// ortBackend runs an ONNX Runtime session. Input tensors wrap the batcher's
// reused buffers and the output tensor wraps a reused buffer, so a batch
// allocates no large Go memory.
type ortBackend struct {
	session   *ort.DynamicAdvancedSession
	numLabels int
	tokens    bool
	hasTypes  bool
	out       []float32
}

var _ backend = (*ortBackend)(nil)

func (b *ortBackend) labels() int    { return b.numLabels }
func (b *ortBackend) perToken() bool { return b.tokens }

func (b *ortBackend) run(in *batchInput) ([]float32, error) {
	shape := ort.NewShape(int64(in.n), int64(in.seq))
	size := in.n * in.seq
	idsT, err := ort.NewTensor(shape, in.ids[:size])
	if err != nil {
		return nil, fmt.Errorf("input_ids tensor: %w", err)
	}
	defer idsT.Destroy()
	maskT, err := ort.NewTensor(shape, in.mask[:size])
	if err != nil {
		return nil, fmt.Errorf("attention_mask tensor: %w", err)
	}
	defer maskT.Destroy()
	inputs := []ort.Value{idsT, maskT}
	if b.hasTypes {
		typesT, err := ort.NewTensor(shape, in.types[:size])
		if err != nil {
			return nil, fmt.Errorf("token_type_ids tensor: %w", err)
		}
		defer typesT.Destroy()
		inputs = append(inputs, typesT)
	}
	outShape := ort.NewShape(int64(in.n), int64(b.numLabels))
	outSize := in.n * b.numLabels
	if b.tokens {
		outShape = ort.NewShape(int64(in.n), int64(in.seq), int64(b.numLabels))
		outSize *= in.seq
	}
	if cap(b.out) < outSize {
		b.out = make([]float32, outSize+outSize/2)
	}
	outT, err := ort.NewTensor(outShape, b.out[:outSize])
	if err != nil {
		return nil, fmt.Errorf("logits tensor: %w", err)
	}
	defer outT.Destroy()
	if err := b.session.Run(inputs, []ort.Value{outT}); err != nil {
		return nil, fmt.Errorf("onnx runtime: %w", err)
	}
	return b.out[:outSize], nil
}

func (b *ortBackend) close() error {
	if b.session == nil {
		return nil
	}
	err := b.session.Destroy()
	b.session = nil
	return err
}
