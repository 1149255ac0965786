// Package quantize rewrites ONNX models with INT8 dynamic quantization, in Go,
// over the ONNX protobuf (sub-package onnxpb): no Python, no ONNX Runtime
// tools.
//
// What is quantized, and why (the same choices as ONNX Runtime's
// quantize_dynamic):
//
//   - MatMul whose B input is a constant rank-2 initializer (the Q/K/V,
//     attention-output and feed-forward projections of a transformer: nearly
//     all of its compute and most of its weights). B becomes an INT8
//     initializer (per tensor, or per column with Options.PerChannel;
//     symmetric by default, asymmetric with Options.Asymmetric). The
//     activation A is quantized at run time by DynamicQuantizeLinear (uint8,
//     asymmetric, range taken from the live tensor), then
//     MatMulInteger → Cast(float) → Mul(a_scale·b_scale). ONNX Runtime fuses
//     this chain into MatMulIntegerToFloat / DynamicQuantizeMatMul when it
//     optimizes the graph. With Options.Fused the com.microsoft
//     DynamicQuantizeMatMul node is written directly instead.
//   - Conv with a constant weight, only with Options.Conv (the 1-D
//     convolutions of CNN text models): DynamicQuantizeLinear → ConvInteger
//     (uint8 activations, INT8 weights, always per tensor: ONNX Runtime's
//     ConvInteger rejects per-channel zero points) → Cast → Mul(scales) →
//     Add(bias), with the Conv's attributes kept. Off by default: ONNX
//     Runtime's CPU ConvInteger is slower than its fp32 Conv (measured about
//     2× slower on the default NER model), so it only shrinks the file.
//   - Gemm with transA=0 and a constant rank-2 B (classifier heads and poolers
//     of some exports): B (transposed first when transB=1) is quantized as
//     above, alpha is folded into the scale, and beta·C is added in fp32.
//
// What stays fp32, and why:
//
//   - Gather (token, position and type embeddings), unless
//     Options.Embeddings: a lookup, not compute, so quantizing it saves file
//     size and memory but no time, and embedding error feeds every layer.
//     With Options.Embeddings a constant rank-2 table gathered on axis 0
//     becomes INT8 with one symmetric scale per row (per token):
//     Gather(int8) → Cast(float) → Mul(Gather(row scales)). For BERT-sized
//     vocabularies the table is a third of the model.
//   - MatMul of two activations (attention scores Q·Kᵀ and probabilities·V):
//     no constant weight to quantize; their range changes per input.
//   - Small weights (fewer than Options.MinElements values) and narrow ones
//     (fewer than Options.MinColumns output columns, e.g. a 2- or 9-label
//     classification head): negligible compute, and the head decides the label
//     directly, so its error is not worth the few bytes.
//   - LayerNormalization, Softmax, Gelu, Add, bias vectors: cheap and
//     sensitive to precision.
//   - Weights in external data files, and weights of sub-graphs (If/Loop).
package quantize

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/nlpscope/nlpscope/engine/quantize/onnxpb"
)

// Errors callers branch on with errors.Is.
var (
	ErrNotONNX           = errors.New("not an ONNX model")
	ErrAlreadyQuantized  = errors.New("model is already quantized")
	ErrOpsetTooOld       = errors.New("model opset is too old for dynamic quantization (needs ai.onnx opset 11 or later)")
	ErrNothingToQuantize = errors.New("model has no MatMul/Gemm weight that qualifies for quantization")
)

// Model metadata entries Dynamic writes into quantized models: the scheme,
// and the target it was chosen for (when Options.Target is set).
const (
	MetadataKey       = "nlpscope.quantization"
	MetadataTargetKey = "nlpscope.quantization.target"
)

// Options choose the quantization scheme. The zero value is ONNX Runtime's
// default for dynamic quantization: INT8 weights, per tensor, symmetric.
type Options struct {
	PerChannel  bool     // one scale (and zero point) per output column instead of per tensor
	Asymmetric  bool     // weights use a zero point (range -128..127) instead of symmetric -127..127
	ReduceRange bool     // 7-bit weights: avoids u8×s8 overflow on x86 CPUs without VNNI
	Unsigned    bool     // uint8 weights (u8×u8 kernels: no 16-bit overflow on any CPU), stored as the int8 value + 128
	Fused       bool     // write com.microsoft DynamicQuantizeMatMul instead of standard ONNX ops
	Embeddings  bool     // also quantize Gather embedding tables (per-row symmetric int8)
	Conv        bool     // also quantize Conv weights (ConvInteger, always per tensor)
	MinElements int      // weights with fewer values stay fp32; 0 = 1024
	MinColumns  int      // weights with fewer output columns stay fp32; 0 = 8
	Exclude     []string // node names to leave in fp32
	Target      Target   // the CPU kind the scheme was chosen for (ForTarget); recorded, not used to quantize
}

func (o Options) withDefaults() Options {
	if o.MinElements <= 0 {
		o.MinElements = 1024
	}
	if o.MinColumns <= 0 {
		o.MinColumns = 8
	}
	return o
}

// Scheme describes the options in words, e.g. "int8 per-channel symmetric".
func (o Options) Scheme() string {
	s := "int8"
	if o.Unsigned {
		s = "uint8"
	}
	if o.PerChannel {
		s += " per-channel"
	} else {
		s += " per-tensor"
	}
	if o.Asymmetric {
		s += " asymmetric"
	} else {
		s += " symmetric"
	}
	if o.ReduceRange {
		s += " reduce-range"
	}
	if o.Fused {
		s += " fused"
	}
	if o.Embeddings {
		s += " +embeddings"
	}
	if o.Conv {
		s += " +conv"
	}
	return s
}

// Weight is one weight that was quantized.
type Weight struct {
	Node  string   `json:"node"`
	Op    string   `json:"op"`
	Name  string   `json:"name"`
	Shape [2]int64 `json:"shape"` // [K, N] as multiplied (after Gemm's transB)
}

// Skipped is one MatMul/Gemm left in fp32, with the reason.
type Skipped struct {
	Node   string `json:"node"`
	Op     string `json:"op"`
	Reason string `json:"reason"`
}

// Report describes what Dynamic did.
type Report struct {
	Scheme       string    `json:"scheme"`
	Target       Target    `json:"target,omitempty"` // Options.Target
	Weights      Weights   `json:"weights"`          // the integer weights written, as Inspect reads them
	InputBytes   int64     `json:"input_bytes"`
	OutputBytes  int64     `json:"output_bytes"`
	Quantized    []Weight  `json:"quantized"`
	Skipped      []Skipped `json:"skipped"`
	WeightsBytes [2]int64  `json:"weights_bytes"` // quantized weights: fp32 bytes before, int8 bytes after
}

// Dynamic returns the model in, serialized ONNX, with its MatMul and Gemm
// weights quantized to INT8 and its activations quantized at run time. See the
// package documentation for which operators are rewritten. in is not modified.
func Dynamic(in []byte, opts Options) ([]byte, Report, error) {
	opts = opts.withDefaults()
	rep := Report{Scheme: opts.Scheme(), Target: opts.Target, InputBytes: int64(len(in))}
	m, err := parse(in)
	if err != nil {
		return nil, rep, err
	}
	if q := quantizedOps(m.GetGraph()); q != "" {
		return nil, rep, fmt.Errorf("%w (it has %s nodes)", ErrAlreadyQuantized, q)
	}
	for _, p := range m.GetMetadataProps() {
		if p.GetKey() == MetadataKey {
			return nil, rep, fmt.Errorf("%w (metadata %s=%q)", ErrAlreadyQuantized, MetadataKey, p.GetValue())
		}
	}
	opset := int64(-1)
	for _, o := range m.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			opset = o.GetVersion()
		}
	}
	if opset < 11 {
		return nil, rep, fmt.Errorf("%w: ai.onnx opset %d", ErrOpsetTooOld, opset)
	}

	q := newRewriter(m.Graph, opts)
	q.run(&rep)
	if len(rep.Quantized) == 0 {
		return nil, rep, fmt.Errorf("%w (%d MatMul/Gemm nodes skipped)", ErrNothingToQuantize, len(rep.Skipped))
	}
	seen := map[string]bool{}
	for _, w := range rep.Quantized {
		if !seen[w.Name] {
			seen[w.Name] = true
			rep.WeightsBytes[0] += 4 * w.Shape[0] * w.Shape[1]
			rep.WeightsBytes[1] += w.Shape[0] * w.Shape[1]
		}
	}
	if opts.Fused {
		has := false
		for _, o := range m.OpsetImport {
			has = has || o.GetDomain() == msDomain
		}
		if !has {
			m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: ptr(msDomain), Version: ptr(int64(1))})
		}
	}
	m.MetadataProps = append(m.MetadataProps, &onnxpb.StringStringEntryProto{
		Key:   ptr(MetadataKey),
		Value: ptr("dynamic " + rep.Scheme + " (nlpscope)"),
	})
	if opts.Target != "" {
		m.MetadataProps = append(m.MetadataProps, &onnxpb.StringStringEntryProto{Key: ptr(MetadataTargetKey), Value: ptr(string(opts.Target))})
	}
	rep.Weights = weightsOf(m.Graph)
	out, err := proto.Marshal(m)
	if err != nil {
		return nil, rep, fmt.Errorf("serialize quantized model: %w", err)
	}
	rep.OutputBytes = int64(len(out))
	return out, rep, nil
}

// parse decodes a serialized ModelProto and checks that it looks like one:
// protobuf accepts many byte strings, so a graph with nodes is required.
func parse(in []byte) (*onnxpb.ModelProto, error) {
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(in, m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotONNX, err)
	}
	if m.GetIrVersion() <= 0 || m.GetGraph() == nil || len(m.GetGraph().GetNode()) == 0 {
		return nil, fmt.Errorf("%w: no IR version or empty graph", ErrNotONNX)
	}
	for _, n := range m.GetGraph().GetNode() {
		if n.GetOpType() == "" {
			return nil, fmt.Errorf("%w: node %q has no op type", ErrNotONNX, n.GetName())
		}
	}
	return m, nil
}

const msDomain = "com.microsoft"

var quantOps = map[string]bool{
	"MatMulInteger": true, "DynamicQuantizeLinear": true, "DynamicQuantizeMatMul": true,
	"MatMulIntegerToFloat": true, "QLinearMatMul": true, "QuantizeLinear": true,
	"DequantizeLinear": true, "QGemm": true, "QAttention": true, "ConvInteger": true,
}

func quantizedOps(g *onnxpb.GraphProto) string {
	for _, n := range g.GetNode() {
		if quantOps[n.GetOpType()] {
			return n.GetOpType()
		}
	}
	return ""
}

// Info is what a model's protobuf says about it.
type Info struct {
	IRVersion    int64             `json:"ir_version"`
	Opset        int64             `json:"opset"` // ai.onnx
	Producer     string            `json:"producer"`
	Quantized    bool              `json:"quantized"`
	QuantScheme  string            `json:"quant_scheme,omitempty"`
	Ops          map[string]int    `json:"ops"` // op type -> node count (top-level graph)
	Initializers int               `json:"initializers"`
	Parameters   int64             `json:"parameters"` // values in initializers
	Metadata     map[string]string `json:"metadata,omitempty"`
	Target       Target            `json:"target,omitempty"` // the CPU kind it was quantized for, when recorded
	Weights      Weights           `json:"weights"`          // integer weights of a quantized graph
}

// Inspect reads a serialized ONNX model's header and graph statistics.
func Inspect(in []byte) (Info, error) {
	m, err := parse(in)
	if err != nil {
		return Info{}, err
	}
	info := Info{IRVersion: m.GetIrVersion(), Ops: map[string]int{}, Metadata: map[string]string{}}
	info.Producer = strings.TrimSpace(m.GetProducerName() + " " + m.GetProducerVersion())
	for _, o := range m.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			info.Opset = o.GetVersion()
		}
	}
	for _, n := range m.GetGraph().GetNode() {
		info.Ops[n.GetOpType()]++
	}
	for _, t := range m.GetGraph().GetInitializer() {
		info.Initializers++
		n := int64(1)
		for _, d := range t.GetDims() {
			n *= d
		}
		info.Parameters += n
	}
	for _, p := range m.GetMetadataProps() {
		info.Metadata[p.GetKey()] = p.GetValue()
	}
	info.Target = Target(info.Metadata[MetadataTargetKey])
	info.Weights = weightsOf(m.GetGraph())
	if s, ok := info.Metadata[MetadataKey]; ok {
		info.Quantized, info.QuantScheme = true, s
	} else if op := quantizedOps(m.GetGraph()); op != "" {
		info.Quantized, info.QuantScheme = true, "has "+op
	}
	return info, nil
}

// rewriter holds the state of one quantization pass over a graph.
type rewriter struct {
	g        *onnxpb.GraphProto
	opts     Options
	inits    map[string]*onnxpb.TensorProto
	isInput  map[string]bool
	names    map[string]bool
	exclude  map[string]bool
	acts     map[string][3]string // activation -> quantized, scale, zero point
	weights  map[string][3]string // weight key -> int8, scale, zero point
	replaced map[string]bool      // fp32 initializers that may now be unused
	newInits []*onnxpb.TensorProto
	nodes    []*onnxpb.NodeProto
}

func newRewriter(g *onnxpb.GraphProto, opts Options) *rewriter {
	r := &rewriter{
		g: g, opts: opts,
		inits: map[string]*onnxpb.TensorProto{}, isInput: map[string]bool{}, names: map[string]bool{},
		exclude: map[string]bool{}, acts: map[string][3]string{}, weights: map[string][3]string{},
		replaced: map[string]bool{},
	}
	for _, t := range g.GetInitializer() {
		r.inits[t.GetName()] = t
		r.names[t.GetName()] = true
	}
	for _, v := range g.GetInput() {
		r.isInput[v.GetName()] = true
		r.names[v.GetName()] = true
	}
	for _, v := range g.GetOutput() {
		r.names[v.GetName()] = true
	}
	for _, v := range g.GetValueInfo() {
		r.names[v.GetName()] = true
	}
	for _, n := range g.GetNode() {
		r.names[n.GetName()] = true
		for _, s := range n.GetInput() {
			r.names[s] = true
		}
		for _, s := range n.GetOutput() {
			r.names[s] = true
		}
	}
	for _, e := range opts.Exclude {
		r.exclude[e] = true
	}
	return r
}

// fresh returns a tensor or node name not used anywhere in the graph.
func (r *rewriter) fresh(base string) string {
	name := base
	for i := 1; r.names[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	r.names[name] = true
	return name
}

func (r *rewriter) run(rep *Report) {
	for _, n := range r.g.GetNode() {
		op := n.GetOpType()
		var w Weight
		var reason string
		switch d := n.GetDomain(); {
		case d != "" && d != "ai.onnx":
			r.nodes = append(r.nodes, n)
			continue
		case op == "Gather" && r.opts.Embeddings && r.isTable(n):
			w, reason = r.rewriteGather(n)
		case op == "Conv" && r.opts.Conv:
			w, reason = r.rewriteConv(n)
		case op == "MatMul" || op == "Gemm":
			w, reason = r.rewrite(n)
		default:
			r.nodes = append(r.nodes, n)
			continue
		}
		if reason != "" {
			rep.Skipped = append(rep.Skipped, Skipped{Node: n.GetName(), Op: op, Reason: reason})
			r.nodes = append(r.nodes, n)
			continue
		}
		rep.Quantized = append(rep.Quantized, w)
	}
	r.g.Node = r.nodes

	// Drop fp32 weights no node uses any more (a weight shared with a
	// skipped node stays).
	used := map[string]bool{}
	for _, n := range r.g.Node {
		for _, s := range n.GetInput() {
			used[s] = true
		}
	}
	for _, o := range r.g.GetOutput() {
		used[o.GetName()] = true
	}
	keep := r.g.Initializer[:0]
	for _, t := range r.g.Initializer {
		if r.replaced[t.GetName()] && !used[t.GetName()] {
			continue
		}
		keep = append(keep, t)
	}
	r.g.Initializer = append(keep, r.newInits...)
	inputs := r.g.Input[:0]
	for _, v := range r.g.Input {
		if r.replaced[v.GetName()] && !used[v.GetName()] {
			continue // an IR<4 model lists initializers as inputs too
		}
		inputs = append(inputs, v)
	}
	r.g.Input = inputs
}

// rewrite emits the quantized form of n, or returns why n stays fp32.
func (r *rewriter) rewrite(n *onnxpb.NodeProto) (Weight, string) {
	op := n.GetOpType()
	in := n.GetInput()
	if r.exclude[n.GetName()] {
		return Weight{}, "excluded by name"
	}
	if len(in) < 2 || len(n.GetOutput()) != 1 {
		return Weight{}, "unexpected inputs or outputs"
	}
	a, b := in[0], in[1]
	if _, ok := r.inits[a]; ok {
		return Weight{}, "A is a constant"
	}
	wt, ok := r.inits[b]
	if !ok {
		return Weight{}, "B is not a constant initializer (activation × activation)"
	}
	if len(wt.GetDims()) != 2 {
		return Weight{}, fmt.Sprintf("B has rank %d, not 2", len(wt.GetDims()))
	}
	alpha, beta := float32(1), float32(1)
	transB := false
	c := ""
	if op == "Gemm" {
		for _, at := range n.GetAttribute() {
			switch at.GetName() {
			case "alpha":
				alpha = at.GetF()
			case "beta":
				beta = at.GetF()
			case "transA":
				if at.GetI() != 0 {
					return Weight{}, "Gemm with transA=1"
				}
			case "transB":
				transB = at.GetI() != 0
			}
		}
		if len(in) > 2 {
			c = in[2]
		}
	}
	rows, cols := wt.GetDims()[0], wt.GetDims()[1]
	if transB {
		rows, cols = cols, rows
	}
	if rows*cols < int64(r.opts.MinElements) {
		return Weight{}, fmt.Sprintf("small weight (%d×%d < %d values)", rows, cols, r.opts.MinElements)
	}
	if cols < int64(r.opts.MinColumns) {
		return Weight{}, fmt.Sprintf("narrow weight (%d output columns < %d)", cols, r.opts.MinColumns)
	}
	wq, err := r.quantizedWeight(wt, transB, alpha)
	if err != nil {
		return Weight{}, "weight " + err.Error()
	}
	r.replaced[b] = true
	if r.opts.Fused {
		r.emitFused(n, a, wq, c, beta)
	} else {
		r.emitStandard(n, a, wq, c, beta)
	}
	return Weight{Node: n.GetName(), Op: op, Name: b, Shape: [2]int64{rows, cols}}, ""
}

// quantizedWeight adds the INT8 form of wt (and its scale and zero point) to
// the graph once per (weight, transB, alpha) and returns their names.
func (r *rewriter) quantizedWeight(wt *onnxpb.TensorProto, transB bool, alpha float32) ([3]string, error) {
	key := fmt.Sprintf("%s|%t|%g", wt.GetName(), transB, alpha)
	if names, ok := r.weights[key]; ok {
		return names, nil
	}
	w, err := floats(wt)
	if err != nil {
		return [3]string{}, err
	}
	rows, cols := int(wt.GetDims()[0]), int(wt.GetDims()[1])
	if transB {
		w = transpose(w, rows, cols)
		rows, cols = cols, rows
	}
	q, p := QuantizeMatrix(w, rows, cols, r.opts.PerChannel, !r.opts.Asymmetric, r.opts.ReduceRange)
	scales := p.Scales
	if alpha != 1 {
		scales = make([]float32, len(p.Scales))
		for i, s := range p.Scales {
			scales[i] = s * alpha
		}
	}
	base := wt.GetName()
	names := [3]string{r.fresh(base + "_quantized"), r.fresh(base + "_scale"), r.fresh(base + "_zero_point")}
	var pdims []int64
	if r.opts.PerChannel {
		pdims = []int64{int64(cols)}
	}
	r.newInits = append(r.newInits,
		r.weightTensor(names[0], []int64{int64(rows), int64(cols)}, q),
		floatTensor(names[1], pdims, scales),
		r.weightTensor(names[2], pdims, p.ZeroPoints))
	r.weights[key] = names
	return names, nil
}

// weightTensor stores quantized weights (or their zero points) of a
// MatMulInteger, DynamicQuantizeMatMul or ConvInteger: INT8 as computed, or
// with Options.Unsigned UINT8 shifted by 128 (the same real values: q − zp
// is unchanged).
func (r *rewriter) weightTensor(name string, dims []int64, q []int8) *onnxpb.TensorProto {
	if !r.opts.Unsigned {
		return int8Tensor(name, dims, q)
	}
	return uint8Tensor(name, dims, q)
}

func node(op, name string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: ptr(op), Name: ptr(name), Input: in, Output: out, Attribute: attrs}
}

// castToFloat is a Cast node from in to FLOAT out.
func castToFloat(name, in, out string) *onnxpb.NodeProto {
	return node("Cast", name, []string{in}, []string{out},
		&onnxpb.AttributeProto{Name: ptr("to"), Type: ptr(onnxpb.AttributeProto_INT), I: ptr(int64(onnxpb.TensorProto_FLOAT))})
}

// baseName is what the nodes replacing n are named after: its name, or its
// output when it has none.
func baseName(n *onnxpb.NodeProto) string {
	if base := n.GetName(); base != "" {
		return base
	}
	return n.GetOutput()[0]
}

// quantizedActivation returns the uint8 form of activation a (value, scale,
// zero point), adding its DynamicQuantizeLinear node the first time, so that
// every consumer of a shares one.
func (r *rewriter) quantizedActivation(a string) [3]string {
	aq, ok := r.acts[a]
	if !ok {
		aq = [3]string{r.fresh(a + "_quantized"), r.fresh(a + "_scale"), r.fresh(a + "_zero_point")}
		r.acts[a] = aq
		r.nodes = append(r.nodes, node("DynamicQuantizeLinear", r.fresh(a+"_DynamicQuantizeLinear"), []string{a}, aq[:]))
	}
	return aq
}

// emitStandard writes DynamicQuantizeLinear (once per activation) →
// MatMulInteger → Cast → Mul(scales) [→ Add(beta·C)].
func (r *rewriter) emitStandard(n *onnxpb.NodeProto, a string, w [3]string, c string, beta float32) {
	base := baseName(n)
	aq := r.quantizedActivation(a)
	y := n.GetOutput()[0]
	mm := r.fresh(y + "_MatMulInteger_out")
	cast := r.fresh(y + "_cast_out")
	scale := r.fresh(y + "_scale")
	out := y
	if c != "" {
		out = r.fresh(y + "_matmul_out")
	}
	r.nodes = append(r.nodes,
		node("MatMulInteger", r.fresh(base+"_quant"), []string{aq[0], w[0], aq[2], w[2]}, []string{mm}),
		castToFloat(r.fresh(base+"_cast"), mm, cast),
		node("Mul", r.fresh(base+"_scales_mul"), []string{aq[1], w[1]}, []string{scale}),
		node("Mul", r.fresh(base+"_output_scale_mul"), []string{cast, scale}, []string{out}))
	if c != "" {
		r.nodes = append(r.nodes, node("Add", r.fresh(base+"_bias_add"), []string{out, r.scaledC(base, c, beta)}, []string{y}))
	}
}

// emitFused writes one com.microsoft DynamicQuantizeMatMul node [→ Add(beta·C)].
func (r *rewriter) emitFused(n *onnxpb.NodeProto, a string, w [3]string, c string, beta float32) {
	base := baseName(n)
	y := n.GetOutput()[0]
	out := y
	if c != "" {
		out = r.fresh(y + "_matmul_out")
	}
	dq := node("DynamicQuantizeMatMul", r.fresh(base+"_quant"), []string{a, w[0], w[1], w[2]}, []string{out})
	dq.Domain = ptr(msDomain)
	r.nodes = append(r.nodes, dq)
	if c != "" {
		r.nodes = append(r.nodes, node("Add", r.fresh(base+"_bias_add"), []string{out, r.scaledC(base, c, beta)}, []string{y}))
	}
}

// scaledC returns the name of beta·C: C itself when beta is 1, a new
// initializer when C is a constant, otherwise the output of a Mul node.
func (r *rewriter) scaledC(base, c string, beta float32) string {
	if beta == 1 {
		return c
	}
	if t, ok := r.inits[c]; ok {
		if v, err := floats(t); err == nil {
			for i := range v {
				v[i] *= beta
			}
			name := r.fresh(c + "_beta")
			r.newInits = append(r.newInits, floatTensor(name, t.GetDims(), v))
			return name
		}
	}
	bname := r.fresh(base + "_beta")
	r.newInits = append(r.newInits, floatTensor(bname, nil, []float32{beta}))
	out := r.fresh(c + "_beta_out")
	r.nodes = append(r.nodes, node("Mul", r.fresh(base+"_beta_mul"), []string{c, bname}, []string{out}))
	return out
}

// isTable reports whether Gather node n reads rows of a constant rank-2
// initializer: the embedding tables rewriteGather quantizes.
func (r *rewriter) isTable(n *onnxpb.NodeProto) bool {
	if len(n.GetInput()) != 2 {
		return false
	}
	t, isInit := r.inits[n.GetInput()[0]]
	return isInit && len(t.GetDims()) == 2
}

// rewriteGather quantizes a constant embedding table read by Gather: INT8
// rows with one symmetric scale each, dequantized after the lookup.
func (r *rewriter) rewriteGather(n *onnxpb.NodeProto) (Weight, string) {
	if r.exclude[n.GetName()] {
		return Weight{}, "excluded by name"
	}
	if len(n.GetOutput()) != 1 {
		return Weight{}, "unexpected outputs"
	}
	for _, at := range n.GetAttribute() {
		if at.GetName() == "axis" && at.GetI() != 0 {
			return Weight{}, "Gather on an axis other than 0"
		}
	}
	data, idx := n.GetInput()[0], n.GetInput()[1]
	t := r.inits[data]
	dims := t.GetDims()
	if len(dims) != 2 {
		return Weight{}, fmt.Sprintf("table has rank %d, not 2", len(dims))
	}
	if dims[0]*dims[1] < int64(r.opts.MinElements) {
		return Weight{}, fmt.Sprintf("small table (%d×%d < %d values)", dims[0], dims[1], r.opts.MinElements)
	}
	names, ok := r.weights["gather|"+data]
	if !ok {
		w, err := floats(t)
		if err != nil {
			return Weight{}, "table " + err.Error()
		}
		rows, cols := int(dims[0]), int(dims[1])
		// Full 8 bits whatever ReduceRange says: a lookup never reaches
		// the integer GEMM kernels that 7-bit weights protect.
		qt, scales := quantizeRows(w, rows, cols, false)
		names = [3]string{r.fresh(data + "_quantized"), r.fresh(data + "_row_scale"), ""}
		r.newInits = append(r.newInits,
			int8Tensor(names[0], []int64{dims[0], dims[1]}, qt),
			floatTensor(names[1], []int64{dims[0], 1}, scales))
		r.weights["gather|"+data] = names
	}
	r.replaced[data] = true
	base := baseName(n)
	y := n.GetOutput()[0]
	gq, gf, gs := r.fresh(y+"_quantized"), r.fresh(y+"_cast_out"), r.fresh(y+"_row_scale")
	r.nodes = append(r.nodes,
		node("Gather", r.fresh(base+"_quant"), []string{names[0], idx}, []string{gq}),
		castToFloat(r.fresh(base+"_cast"), gq, gf),
		node("Gather", r.fresh(base+"_scale_gather"), []string{names[1], idx}, []string{gs}),
		node("Mul", r.fresh(base+"_dequant"), []string{gf, gs}, []string{y}))
	return Weight{Node: n.GetName(), Op: "Gather", Name: data, Shape: [2]int64{dims[0], dims[1]}}, ""
}

// rewriteConv quantizes a Conv with a constant weight [M, C/group, k...]:
// DynamicQuantizeLinear → ConvInteger → Cast → Mul(a_scale·w_scale) → Add(bias).
func (r *rewriter) rewriteConv(n *onnxpb.NodeProto) (Weight, string) {
	in := n.GetInput()
	if r.exclude[n.GetName()] {
		return Weight{}, "excluded by name"
	}
	if len(in) < 2 || len(n.GetOutput()) != 1 {
		return Weight{}, "unexpected inputs or outputs"
	}
	x, wname := in[0], in[1]
	if _, ok := r.inits[x]; ok {
		return Weight{}, "X is a constant"
	}
	wt, ok := r.inits[wname]
	if !ok {
		return Weight{}, "W is not a constant initializer"
	}
	dims := wt.GetDims()
	if len(dims) < 3 {
		return Weight{}, fmt.Sprintf("W has rank %d", len(dims))
	}
	m := dims[0]
	bias := ""
	var bv []float32
	if len(in) > 2 && in[2] != "" {
		bias = in[2]
		bt, ok := r.inits[bias]
		if !ok {
			return Weight{}, "bias is not a constant initializer"
		}
		var err error
		if bv, err = floats(bt); err != nil || int64(len(bv)) != m {
			return Weight{}, "bias is not a FLOAT vector of the output channels"
		}
	}
	cols := int64(1)
	for _, d := range dims[1:] {
		cols *= d
	}
	if m*cols < int64(r.opts.MinElements) {
		return Weight{}, fmt.Sprintf("small weight (%d values < %d)", m*cols, r.opts.MinElements)
	}
	names, ok := r.weights["conv|"+wname]
	if !ok {
		w, err := floats(wt)
		if err != nil {
			return Weight{}, "weight " + err.Error()
		}
		// ONNX Runtime's ConvInteger takes per-tensor zero points only, so
		// the weight is quantized per tensor whatever Options.PerChannel says.
		q, p := QuantizeMatrix(w, int(m), int(cols), false, !r.opts.Asymmetric, r.opts.ReduceRange)
		names = [3]string{r.fresh(wname + "_quantized"), r.fresh(wname + "_scale"), r.fresh(wname + "_zero_point")}
		r.newInits = append(r.newInits,
			r.weightTensor(names[0], dims, q),
			floatTensor(names[1], nil, p.Scales),
			r.weightTensor(names[2], nil, p.ZeroPoints))
		r.weights["conv|"+wname] = names
	}
	r.replaced[wname] = true
	base := baseName(n)
	aq := r.quantizedActivation(x)
	y := n.GetOutput()[0]
	ci, cast, scale := r.fresh(y+"_ConvInteger_out"), r.fresh(y+"_cast_out"), r.fresh(y+"_scale")
	out := y
	if bias != "" {
		out = r.fresh(y + "_conv_out")
	}
	conv := node("ConvInteger", r.fresh(base+"_quant"), []string{aq[0], names[0], aq[2], names[2]}, []string{ci})
	conv.Attribute = n.GetAttribute()
	r.nodes = append(r.nodes, conv,
		castToFloat(r.fresh(base+"_cast"), ci, cast),
		node("Mul", r.fresh(base+"_scales_mul"), []string{aq[1], names[1]}, []string{scale}),
		node("Mul", r.fresh(base+"_output_scale_mul"), []string{cast, scale}, []string{out}))
	if bias != "" {
		bdims := append([]int64{m}, make([]int64, len(dims)-2)...)
		for i := 1; i < len(bdims); i++ {
			bdims[i] = 1
		}
		bname := r.fresh(bias + "_reshaped")
		r.newInits = append(r.newInits, floatTensor(bname, bdims, bv))
		r.nodes = append(r.nodes, node("Add", r.fresh(base+"_bias_add"), []string{out, bname}, []string{y}))
	}
	return Weight{Node: n.GetName(), Op: "Conv", Name: wname, Shape: [2]int64{m, cols}}, ""
}
