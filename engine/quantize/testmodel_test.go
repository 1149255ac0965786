package quantize_test

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nlpscope/nlpscope/engine/quantize/onnxpb"
)

// tinyBERT describes a small, randomly initialised (fixed seed) transformer
// encoder for sequence classification, shaped like a BERT export: Gather
// embeddings, Q/K/V/output and feed-forward MatMuls, attention
// (activation × activation MatMuls, Softmax with a mask), LayerNormalization,
// a Gemm pooler with transB=1 and a Gemm classification head.
type tinyBERT struct {
	Vocab, Hidden, FF, Layers, Labels int
	Seed                              uint64
	ScaledGemm                        bool // pooler Gemm with alpha/beta ≠ 1
}

func p[T any](v T) *T { return &v }

func (c tinyBERT) build(t testing.TB) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(c.Seed, 7))
	g := &onnxpb.GraphProto{Name: p("tiny_bert")}
	tensor := func(name string, dims []int64, scale float64) string {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		raw := make([]byte, 4*n)
		for i := int64(0); i < n; i++ {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(rng.NormFloat64()*scale)))
		}
		g.Initializer = append(g.Initializer, &onnxpb.TensorProto{Name: p(name), Dims: dims, DataType: p(int32(onnxpb.TensorProto_FLOAT)), RawData: raw})
		return name
	}
	constF := func(name string, dims []int64, v ...float32) string {
		g.Initializer = append(g.Initializer, &onnxpb.TensorProto{Name: p(name), Dims: dims, DataType: p(int32(onnxpb.TensorProto_FLOAT)), FloatData: v})
		return name
	}
	constI := func(name string, dims []int64, v ...int64) string {
		g.Initializer = append(g.Initializer, &onnxpb.TensorProto{Name: p(name), Dims: dims, DataType: p(int32(onnxpb.TensorProto_INT64)), Int64Data: v})
		return name
	}
	nodeN := 0
	add := func(op string, in []string, attrs ...*onnxpb.AttributeProto) string {
		nodeN++
		out := op + "_" + strconv.Itoa(nodeN) + "_out"
		g.Node = append(g.Node, &onnxpb.NodeProto{OpType: p(op), Name: p(op + "_" + strconv.Itoa(nodeN)), Input: in, Output: []string{out}, Attribute: attrs})
		return out
	}
	attrI := func(name string, v int64) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: p(name), Type: p(onnxpb.AttributeProto_INT), I: p(v)}
	}
	attrF := func(name string, v float32) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: p(name), Type: p(onnxpb.AttributeProto_FLOAT), F: p(v)}
	}
	attrInts := func(name string, v ...int64) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: p(name), Type: p(onnxpb.AttributeProto_INTS), Ints: v}
	}
	dyn := func(name string, elem onnxpb.TensorProto_DataType, dims ...string) *onnxpb.ValueInfoProto {
		shape := &onnxpb.TensorShapeProto{}
		for _, d := range dims {
			shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: d}})
		}
		return &onnxpb.ValueInfoProto{Name: p(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
			TensorType: &onnxpb.TypeProto_Tensor{ElemType: p(int32(elem)), Shape: shape}}}}
	}
	H, F := int64(c.Hidden), int64(c.FF)
	g.Input = []*onnxpb.ValueInfoProto{dyn("input_ids", onnxpb.TensorProto_INT64, "batch", "sequence"), dyn("attention_mask", onnxpb.TensorProto_INT64, "batch", "sequence")}
	x := add("Gather", []string{tensor("word_embeddings", []int64{int64(c.Vocab), H}, 1), "input_ids"})
	// mask bias [B,1,S]: (1 - mask) * -10000
	mf := add("Cast", []string{"attention_mask"}, attrI("to", int64(onnxpb.TensorProto_FLOAT)))
	inv := add("Sub", []string{constF("one", nil, 1), mf})
	bias := add("Mul", []string{inv, constF("neg", nil, -10000)})
	bias = add("Unsqueeze", []string{bias, constI("axis1", []int64{1}, 1)})
	ln := func(in, prefix string) string {
		gamma := make([]float32, H)
		for i := range gamma {
			gamma[i] = 1
		}
		return add("LayerNormalization", []string{in, constF(prefix+"_gamma", []int64{H}, gamma...), constF(prefix+"_beta", []int64{H}, make([]float32, H)...)}, attrI("axis", -1), attrF("epsilon", 1e-5))
	}
	x = ln(x, "emb_ln")
	ws := 1 / math.Sqrt(float64(H))
	for l := 0; l < c.Layers; l++ {
		pre := "layer" + strconv.Itoa(l)
		q := add("Add", []string{add("MatMul", []string{x, tensor(pre+"_q", []int64{H, H}, ws)}), tensor(pre+"_q_bias", []int64{H}, 0.02)})
		k := add("Add", []string{add("MatMul", []string{x, tensor(pre+"_k", []int64{H, H}, ws)}), tensor(pre+"_k_bias", []int64{H}, 0.02)})
		v := add("Add", []string{add("MatMul", []string{x, tensor(pre+"_v", []int64{H, H}, ws)}), tensor(pre+"_v_bias", []int64{H}, 0.02)})
		kt := add("Transpose", []string{k}, attrInts("perm", 0, 2, 1))
		s := add("Mul", []string{add("MatMul", []string{q, kt}), constF(pre+"_inv_sqrt", nil, float32(ws))})
		pr := add("Softmax", []string{add("Add", []string{s, bias})}, attrI("axis", -1))
		ctx := add("MatMul", []string{pr, v})
		o := add("Add", []string{add("MatMul", []string{ctx, tensor(pre+"_o", []int64{H, H}, ws)}), tensor(pre+"_o_bias", []int64{H}, 0.02)})
		x = ln(add("Add", []string{x, o}), pre+"_attn_ln")
		h := add("Relu", []string{add("Add", []string{add("MatMul", []string{x, tensor(pre+"_ff1", []int64{H, F}, ws)}), tensor(pre+"_ff1_bias", []int64{F}, 0.02)})})
		f := add("Add", []string{add("MatMul", []string{h, tensor(pre+"_ff2", []int64{F, H}, 1/math.Sqrt(float64(F)))}), tensor(pre+"_ff2_bias", []int64{H}, 0.02)})
		x = ln(add("Add", []string{x, f}), pre+"_ffn_ln")
	}
	cls := add("Gather", []string{x, constI("zero", nil, 0)}, attrI("axis", 1)) // [B,H]
	var pool string
	if c.ScaledGemm {
		pool = add("Gemm", []string{cls, tensor("pooler_w", []int64{H, H}, 2*ws), tensor("pooler_b", []int64{H}, 0.1)}, attrI("transB", 1), attrF("alpha", 0.5), attrF("beta", 2))
	} else {
		pool = add("Gemm", []string{cls, tensor("pooler_w", []int64{H, H}, ws), tensor("pooler_b", []int64{H}, 0.1)}, attrI("transB", 1))
	}
	pool = add("Tanh", []string{pool})
	logits := add("Gemm", []string{pool, tensor("classifier_w", []int64{int64(c.Labels), H}, 1), tensor("classifier_b", []int64{int64(c.Labels)}, 0.1)}, attrI("transB", 1))
	g.Node[len(g.Node)-1].Output[0] = "logits"
	_ = logits
	g.Output = []*onnxpb.ValueInfoProto{dyn("logits", onnxpb.TensorProto_FLOAT, "batch", "labels")}
	m := &onnxpb.ModelProto{
		IrVersion:    p(int64(8)),
		ProducerName: p("nlpscope-test"),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: p(""), Version: p(int64(17))}},
		Graph:        g,
	}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
