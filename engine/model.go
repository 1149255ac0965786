package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/nlpscope/nlpscope/engine/quantize"
)

// modelFiles are the raw contents of a model folder.
type modelFiles struct {
	name      string
	dir       string // as reported in ModelInfo.Dir
	onnxPath  string // on-disk path of the ONNX file, "" for an fs.FS
	onnxName  string // file name inside the folder
	onnx      []byte
	external  [][]byte // external data files, in the order the graph names them
	tokenizer []byte
	config    []byte
	card      *ModelCard // nil when the folder has none
}

// modelConfig is the part of config.json the engine reads.
type modelConfig struct {
	labels    []string
	maxLength int
	arch      string
}

// onnxCandidates are the ONNX file names tried in order when a source names none.
var onnxCandidates = []string{"model.onnx", "onnx/model.onnx"}

func readModelFiles(src ModelSource) (*modelFiles, error) {
	mf := &modelFiles{name: src.Name, dir: src.Dir}
	var read func(name string) ([]byte, error)
	if src.FS != nil {
		mf.dir = "embedded:" + src.Name
		if mf.name == "" {
			mf.name = path.Base(src.Dir)
		}
		read = func(name string) ([]byte, error) { return fs.ReadFile(src.FS, path.Join(src.Dir, name)) }
	} else {
		if src.Dir == "" {
			return nil, fmt.Errorf("%w: no model folder given", ErrBadModel)
		}
		st, err := os.Stat(src.Dir)
		if err != nil {
			return nil, fmt.Errorf("%w: model folder: %v", ErrBadModel, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("%w: %s is not a folder", ErrBadModel, src.Dir)
		}
		if mf.name == "" {
			mf.name = filepath.Base(filepath.Clean(src.Dir))
		}
		read = func(name string) ([]byte, error) {
			return os.ReadFile(filepath.Join(src.Dir, filepath.FromSlash(name)))
		}
	}
	candidates := onnxCandidates
	if src.ONNXFile != "" {
		candidates = []string{src.ONNXFile}
	}
	for _, c := range candidates {
		b, err := read(c)
		if err == nil {
			mf.onnx, mf.onnxName = b, c
			if src.FS == nil {
				mf.onnxPath = filepath.Join(src.Dir, filepath.FromSlash(c))
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: read %s: %v", ErrBadModel, c, err)
		}
	}
	if mf.onnx == nil {
		return nil, fmt.Errorf("%w: %s: no ONNX file (looked for %s)", ErrBadModel, mf.dir, strings.Join(candidates, ", "))
	}
	// Weights stored next to the graph (large exports) belong to the model:
	// they count in its hash and size.
	ext, err := onnxExternalFiles(mf.onnx)
	if err == nil {
		for _, name := range ext {
			clean := path.Clean(name)
			if path.IsAbs(clean) || strings.HasPrefix(clean, "../") || clean == ".." {
				return nil, fmt.Errorf("%w: %s: external data location %q leaves the model folder", ErrBadModel, mf.dir, name)
			}
			b, err := read(path.Join(path.Dir(mf.onnxName), clean))
			if err != nil {
				return nil, fmt.Errorf("%w: %s: external data file %s: %v", ErrBadModel, mf.dir, clean, unwrapPathErr(err))
			}
			mf.external = append(mf.external, b)
		}
	}
	if mf.tokenizer, err = read("tokenizer.json"); err != nil {
		return nil, fmt.Errorf("%w: %s: tokenizer.json: %v", ErrBadModel, mf.dir, unwrapPathErr(err))
	}
	if mf.config, err = read("config.json"); err != nil {
		return nil, fmt.Errorf("%w: %s: config.json: %v", ErrBadModel, mf.dir, unwrapPathErr(err))
	}
	// The model card is optional: what cannot be read is left out.
	var md []byte
	cardFile := ""
	for _, name := range cardFiles {
		if b, err := read(name); err == nil {
			md, cardFile = b, name
			break
		}
	}
	metrics, _ := read("metrics.json")
	mf.card = parseCard(cardFile, md, metrics)
	return mf, nil
}

func unwrapPathErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("missing")
	}
	return err
}

func parseConfig(data []byte) (modelConfig, error) {
	var raw struct {
		ID2Label      map[string]string `json:"id2label"`
		Label2ID      map[string]int    `json:"label2id"`
		MaxPos        int               `json:"max_position_embeddings"`
		ModelType     string            `json:"model_type"`
		Architectures []string          `json:"architectures"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return modelConfig{}, fmt.Errorf("%w: config.json: %v", ErrBadModel, err)
	}
	if len(raw.ID2Label) == 0 {
		return modelConfig{}, fmt.Errorf("%w: config.json: id2label is missing or empty", ErrBadModel)
	}
	labels := make([]string, len(raw.ID2Label))
	for k, v := range raw.ID2Label {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(labels) {
			return modelConfig{}, fmt.Errorf("%w: config.json: id2label key %q is not an index 0..%d", ErrBadModel, k, len(labels)-1)
		}
		labels[i] = v
	}
	for label, id := range raw.Label2ID {
		if id < 0 || id >= len(labels) || labels[id] != label {
			return modelConfig{}, fmt.Errorf("%w: config.json: label2id[%q]=%d disagrees with id2label", ErrBadModel, label, id)
		}
	}
	cfg := modelConfig{labels: labels, maxLength: 512}
	if len(raw.Architectures) > 0 {
		cfg.arch = raw.Architectures[0]
	}
	if raw.MaxPos > 0 {
		cfg.maxLength = raw.MaxPos
		// RoBERTa-style models reserve two positions for the padding offset.
		if raw.MaxPos == 514 {
			cfg.maxLength = 512
		}
	}
	if cfg.maxLength > 512 {
		cfg.maxLength = 512
	}
	return cfg, nil
}

func tensorInfos(in []ort.InputOutputInfo) []TensorInfo {
	out := make([]TensorInfo, len(in))
	for i, x := range in {
		shape := make([]int64, len(x.Dimensions))
		copy(shape, x.Dimensions)
		out[i] = TensorInfo{Name: x.Name, Type: elemTypeName(x.DataType), Shape: shape}
	}
	return out
}

func elemTypeName(t ort.TensorElementDataType) string {
	switch t {
	case ort.TensorElementDataTypeFloat:
		return "float32"
	case ort.TensorElementDataTypeFloat16:
		return "float16"
	case ort.TensorElementDataTypeDouble:
		return "float64"
	case ort.TensorElementDataTypeInt64:
		return "int64"
	case ort.TensorElementDataTypeInt32:
		return "int32"
	case ort.TensorElementDataTypeInt8:
		return "int8"
	case ort.TensorElementDataTypeUint8:
		return "uint8"
	case ort.TensorElementDataTypeBool:
		return "bool"
	case ort.TensorElementDataTypeString:
		return "string"
	default:
		return strings.ToLower(t.String())
	}
}

// modelIO is what validation learned about a model's inputs and outputs.
type modelIO struct {
	inputNames []string // in the order the engine feeds them
	hasTypeIDs bool
	logitsRank int
	numLabels  int // static last logits dimension, -1 when dynamic
	task       Task
}

// checkIO validates a model's inputs and outputs and detects its task.
func checkIO(inputs, outputs []TensorInfo, labels int) (modelIO, error) {
	var io modelIO
	byName := map[string]TensorInfo{}
	for _, t := range inputs {
		byName[t.Name] = t
	}
	for _, name := range []string{"input_ids", "attention_mask"} {
		t, ok := byName[name]
		if !ok {
			return io, fmt.Errorf("%w: input %q is missing (model inputs: %s)", ErrBadModel, name, tensorNames(inputs))
		}
		if t.Type != "int64" {
			return io, fmt.Errorf("%w: input %q is %s, want int64", ErrBadModel, name, t.Type)
		}
		if len(t.Shape) != 2 {
			return io, fmt.Errorf("%w: input %q has rank %d, want 2 [batch, sequence]", ErrBadModel, name, len(t.Shape))
		}
	}
	io.inputNames = []string{"input_ids", "attention_mask"}
	if t, ok := byName["token_type_ids"]; ok {
		if t.Type != "int64" {
			return io, fmt.Errorf("%w: input %q is %s, want int64", ErrBadModel, t.Name, t.Type)
		}
		io.hasTypeIDs = true
		io.inputNames = append(io.inputNames, "token_type_ids")
	}
	for _, t := range inputs {
		switch t.Name {
		case "input_ids", "attention_mask", "token_type_ids":
		default:
			return io, fmt.Errorf("%w: unexpected input %q (supported: input_ids, attention_mask, token_type_ids)", ErrBadModel, t.Name)
		}
	}
	var logits *TensorInfo
	for i := range outputs {
		if outputs[i].Name == "logits" {
			logits = &outputs[i]
		}
	}
	if logits == nil {
		return io, fmt.Errorf("%w: output \"logits\" is missing (model outputs: %s)", ErrBadModel, tensorNames(outputs))
	}
	if logits.Type != "float32" {
		return io, fmt.Errorf("%w: output \"logits\" is %s, want float32", ErrBadModel, logits.Type)
	}
	io.logitsRank = len(logits.Shape)
	switch io.logitsRank {
	case 2:
		io.task = TaskSentiment
	case 3:
		io.task = TaskEntities
	default:
		return io, fmt.Errorf("%w: output \"logits\" has rank %d, want 2 (sequence classification) or 3 (token classification)", ErrBadModel, io.logitsRank)
	}
	io.numLabels = int(logits.Shape[io.logitsRank-1])
	if io.numLabels > 0 && labels > 0 && io.numLabels != labels {
		return io, fmt.Errorf("%w: config.json id2label has %d labels but output \"logits\" has %d", ErrBadModel, labels, io.numLabels)
	}
	if io.numLabels <= 0 {
		io.numLabels = -1
	}
	return io, nil
}

func tensorNames(ts []TensorInfo) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// inspected is a model folder read and validated, without a session.
type inspected struct {
	files  *modelFiles
	config modelConfig
	io     modelIO
	info   ModelInfo
}

// inspect reads and validates a model source. ORT must be initialised.
func inspect(src ModelSource) (*inspected, error) {
	mf, err := readModelFiles(src)
	if err != nil {
		return nil, err
	}
	cfg, err := parseConfig(mf.config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mf.dir, err)
	}
	var ins, outs []ort.InputOutputInfo
	if mf.onnxPath != "" {
		ins, outs, err = ort.GetInputOutputInfo(mf.onnxPath)
	} else {
		ins, outs, err = ort.GetInputOutputInfoWithONNXData(mf.onnx)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s is not a loadable ONNX model: %v", ErrBadModel, mf.dir, mf.onnxName, err)
	}
	inputs, outputs := tensorInfos(ins), tensorInfos(outs)
	mio, err := checkIO(inputs, outputs, len(cfg.labels))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mf.dir, err)
	}
	h := sha256.New()
	h.Write(mf.onnx)
	size := int64(len(mf.onnx))
	for _, b := range mf.external {
		h.Write(b)
		size += int64(len(b))
	}
	hash := hex.EncodeToString(h.Sum(nil))
	ops, _ := onnxOpTypes(mf.onnx)
	info := ModelInfo{
		ID:        mf.name + "@" + hash[:12],
		Name:      mf.name,
		Task:      mio.task,
		Dir:       mf.dir,
		File:      mf.onnxName,
		Labels:    cfg.labels,
		Hash:      hash,
		SizeBytes: size,
		Inputs:    inputs,
		Outputs:   outputs,
		MaxLength: cfg.maxLength,
		Quantized: isQuantized(ops, mf.onnxName),
		Provider:  "cpu",
		Card:      mf.card,
	}
	if info.Quantized {
		if qi, err := quantize.Inspect(mf.onnx); err == nil {
			info.Warning = quantize.HostWarning(qi, quantize.DetectHost())
		}
	}
	return &inspected{files: mf, config: cfg, io: mio, info: info}, nil
}

// InspectModel reads and validates a model folder (or fs.FS folder) without
// keeping a session: task, labels, inputs and outputs, hash, size, whether it
// is quantized. It uses the ONNX Runtime an Engine already loaded, or loads
// FindORTLibrary("") for the duration of the call. Errors wrap ErrBadModel and name the
// problem.
func InspectModel(src ModelSource) (ModelInfo, error) {
	if err := acquireAnyORT(); err != nil {
		return ModelInfo{}, err
	}
	defer releaseORT()
	ins, err := inspect(src)
	if err != nil {
		return ModelInfo{}, err
	}
	if _, err := loadTokenizer(ins.files.tokenizer); err != nil {
		return ModelInfo{}, fmt.Errorf("%s: %w", ins.files.dir, err)
	}
	return ins.info, nil
}

// DetectTask reports which pipeline a model folder (or fs.FS folder) serves,
// from its config.json alone: the architecture when it names one
// (…ForTokenClassification, …ForSequenceClassification), else the labels:
// only BIO/IOB tags (O, B-X, I-X) mean token classification. It reads no
// weights and needs no ONNX Runtime, so a catalog can list many folders
// cheaply; LoadModel goes by the rank of the model's logits, which agrees
// for any consistent export. Task "" means config.json does not say. The
// error wraps fs.ErrNotExist when the folder has no config.json and
// ErrBadModel when it is not JSON.
func DetectTask(src ModelSource) (Task, error) {
	var b []byte
	var err error
	if src.FS != nil {
		b, err = fs.ReadFile(src.FS, path.Join(src.Dir, "config.json"))
	} else {
		b, err = os.ReadFile(filepath.Join(src.Dir, "config.json"))
	}
	if err != nil {
		return "", fmt.Errorf("detect task of %s: %w", src.Dir, err)
	}
	var c struct {
		Architectures []string          `json:"architectures"`
		ID2Label      map[string]string `json:"id2label"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return "", fmt.Errorf("detect task of %s: %w: config.json: %v", src.Dir, ErrBadModel, err)
	}
	for _, a := range c.Architectures {
		switch {
		case strings.HasSuffix(a, "ForTokenClassification"):
			return TaskEntities, nil
		case strings.HasSuffix(a, "ForSequenceClassification"):
			return TaskSentiment, nil
		}
	}
	if len(c.ID2Label) == 0 {
		return "", nil
	}
	for _, l := range c.ID2Label {
		if l != "O" && !strings.HasPrefix(l, "B-") && !strings.HasPrefix(l, "I-") {
			return TaskSentiment, nil
		}
	}
	return TaskEntities, nil
}

// isQuantized reports whether a graph holds integer-quantized operators, or
// its file name says so.
func isQuantized(ops map[string]bool, fileName string) bool {
	if strings.Contains(strings.ToLower(path.Base(fileName)), "int8") ||
		strings.Contains(strings.ToLower(path.Base(fileName)), "quant") {
		return true
	}
	for op := range ops {
		switch {
		case op == "MatMulInteger", op == "DynamicQuantizeLinear", op == "ConvInteger",
			op == "MatMulIntegerToFloat", op == "DynamicQuantizeMatMul", strings.HasPrefix(op, "QLinear"),
			op == "QGemm", op == "QAttention":
			return true
		}
	}
	return false
}
