package quantize

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/nlpscope/nlpscope/engine/quantize/onnxpb"
)

// Params are the quantization parameters of one weight tensor: one scale and
// zero point for the whole tensor, or one per column (output channel).
type Params struct {
	Scales     []float32
	ZeroPoints []int8
}

// qRange returns the int8 range weights are mapped to. Symmetric ranges are
// centred on zero (-127..127, as ONNX Runtime does, so that zero point 0 is
// exact); reduceRange uses 7 bits, which avoids saturating the 16-bit
// intermediate sums of u8×s8 kernels on x86 CPUs without VNNI.
func qRange(symmetric, reduceRange bool) (qmin, qmax int32) {
	switch {
	case reduceRange && symmetric:
		return -64, 64
	case reduceRange:
		return -64, 63
	case symmetric:
		return -127, 127
	default:
		return -128, 127
	}
}

// scaleZeroPoint computes the scale and zero point for values in [rmin, rmax]
// exactly as ONNX Runtime's quantizer (compute_scale_zp): the range always
// contains 0; symmetric ranges are widened to ±max(|rmin|, |rmax|).
func scaleZeroPoint(rmin, rmax float32, qmin, qmax int32, symmetric bool) (float32, int8) {
	rmin = min(rmin, 0)
	rmax = max(rmax, 0)
	if symmetric {
		absmax := max(-rmin, rmax)
		rmin, rmax = -absmax, absmax
	}
	scale := (float64(rmax) - float64(rmin)) / float64(qmax-qmin)
	if scale == 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
		return 1, 0
	}
	if symmetric {
		return float32(scale), int8((qmin + qmax) / 2)
	}
	zp := math.RoundToEven(float64(qmin) - float64(rmin)/scale)
	zp = math.Max(float64(qmin), math.Min(float64(qmax), zp))
	return float32(scale), int8(zp)
}

// quantizeValue maps x to int8 with round-half-to-even (numpy's rounding).
func quantizeValue(x, scale float32, zp int8, qmin, qmax int32) int8 {
	q := math.RoundToEven(float64(x)/float64(scale)) + float64(zp)
	return int8(math.Max(float64(qmin), math.Min(float64(qmax), q)))
}

// QuantizeMatrix quantizes a row-major [rows, cols] matrix to int8. With
// perChannel each column (an output channel of MatMul's B) gets its own scale
// and zero point; otherwise the whole matrix shares one.
func QuantizeMatrix(w []float32, rows, cols int, perChannel, symmetric, reduceRange bool) ([]int8, Params) {
	qmin, qmax := qRange(symmetric, reduceRange)
	q := make([]int8, len(w))
	if !perChannel {
		rmin, rmax := float32(0), float32(0)
		for _, v := range w {
			rmin, rmax = min(rmin, v), max(rmax, v)
		}
		s, zp := scaleZeroPoint(rmin, rmax, qmin, qmax, symmetric)
		for i, v := range w {
			q[i] = quantizeValue(v, s, zp, qmin, qmax)
		}
		return q, Params{Scales: []float32{s}, ZeroPoints: []int8{zp}}
	}
	p := Params{Scales: make([]float32, cols), ZeroPoints: make([]int8, cols)}
	for c := 0; c < cols; c++ {
		rmin, rmax := float32(0), float32(0)
		for r := 0; r < rows; r++ {
			v := w[r*cols+c]
			rmin, rmax = min(rmin, v), max(rmax, v)
		}
		p.Scales[c], p.ZeroPoints[c] = scaleZeroPoint(rmin, rmax, qmin, qmax, symmetric)
	}
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			i := r*cols + c
			q[i] = quantizeValue(w[i], p.Scales[c], p.ZeroPoints[c], qmin, qmax)
		}
	}
	return q, p
}

// quantizeRows quantizes each row of a row-major [rows, cols] matrix to
// symmetric int8 with its own scale (embedding tables: one scale per token).
func quantizeRows(w []float32, rows, cols int, reduceRange bool) ([]int8, []float32) {
	qmin, qmax := qRange(true, reduceRange)
	q := make([]int8, len(w))
	scales := make([]float32, rows)
	for i := 0; i < rows; i++ {
		row := w[i*cols : (i+1)*cols]
		rmin, rmax := float32(0), float32(0)
		for _, v := range row {
			rmin, rmax = min(rmin, v), max(rmax, v)
		}
		s, zp := scaleZeroPoint(rmin, rmax, qmin, qmax, true)
		scales[i] = s
		for j, v := range row {
			q[i*cols+j] = quantizeValue(v, s, zp, qmin, qmax)
		}
	}
	return q, scales
}

// floats returns a FLOAT tensor's values, or an error naming why they cannot
// be read (another type, external data, a size that does not match dims).
func floats(t *onnxpb.TensorProto) ([]float32, error) {
	if t.GetDataType() != int32(onnxpb.TensorProto_FLOAT) {
		return nil, fmt.Errorf("data type %s, not FLOAT", onnxpb.TensorProto_DataType(t.GetDataType()))
	}
	if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		return nil, fmt.Errorf("data stored in an external file")
	}
	n := int64(1)
	for _, d := range t.GetDims() {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return nil, fmt.Errorf("bad dims %v", t.GetDims())
		}
		n *= d
	}
	if raw := t.GetRawData(); raw != nil {
		if int64(len(raw)) != 4*n {
			return nil, fmt.Errorf("raw data has %d bytes, dims %v need %d", len(raw), t.GetDims(), 4*n)
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return out, nil
	}
	fd := t.GetFloatData()
	if int64(len(fd)) != n {
		return nil, fmt.Errorf("has %d values, dims %v need %d", len(fd), t.GetDims(), n)
	}
	return append([]float32(nil), fd...), nil
}

// transpose returns the [cols, rows] transpose of a row-major [rows, cols] matrix.
func transpose(w []float32, rows, cols int) []float32 {
	t := make([]float32, len(w))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			t[c*rows+r] = w[r*cols+c]
		}
	}
	return t
}

func int8Tensor(name string, dims []int64, v []int8) *onnxpb.TensorProto {
	raw := make([]byte, len(v))
	for i, x := range v {
		raw[i] = byte(x)
	}
	return &onnxpb.TensorProto{Name: &name, Dims: dims, DataType: ptr(int32(onnxpb.TensorProto_INT8)), RawData: raw}
}

// uint8Tensor stores v + 128 as UINT8.
func uint8Tensor(name string, dims []int64, v []int8) *onnxpb.TensorProto {
	raw := make([]byte, len(v))
	for i, x := range v {
		raw[i] = byte(int(x) + 128)
	}
	return &onnxpb.TensorProto{Name: &name, Dims: dims, DataType: ptr(int32(onnxpb.TensorProto_UINT8)), RawData: raw}
}

func floatTensor(name string, dims []int64, v []float32) *onnxpb.TensorProto {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	return &onnxpb.TensorProto{Name: &name, Dims: dims, DataType: ptr(int32(onnxpb.TensorProto_FLOAT)), RawData: raw}
}

func ptr[T any](v T) *T { return &v }
