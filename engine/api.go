// Package engine is nlpscope's inference engine: ONNX Runtime sessions,
// Hugging Face tokenizers (sub-package tokenize), text- and token-classification
// pipelines, a dynamic batcher per model and a result cache.
//
// This file holds the public types that app and the frontend depend on. Keep
// them stable; add fields rather than rename them.
package engine

import (
	"errors"
	"fmt"
	"time"
)

// Task names a pipeline.
type Task string

const (
	TaskSentiment Task = "sentiment" // text classification
	TaskEntities  Task = "entities"  // token classification
)

// Values lists every task (the frontend's TypeScript union is generated from it).
func (Task) Values() []Task { return []Task{TaskSentiment, TaskEntities} }

// Typed errors callers branch on with errors.Is. Bad input never computes or
// stores anything.
var (
	ErrEmptyText    = errors.New("text is empty or whitespace only")
	ErrInvalidUTF8  = errors.New("text is not valid UTF-8")
	ErrTextTooLong  = errors.New("text is over the size limit")
	ErrOverloaded   = errors.New("engine overloaded: queue is full")
	ErrNotReady     = errors.New("engine not ready: no model loaded for this task")
	ErrClosed       = errors.New("engine closed")
	ErrBadModel     = errors.New("invalid model")
	ErrORTNotFound  = errors.New("ONNX Runtime library not found (run `make setup`)")
	ErrProviderLoad = errors.New("execution provider could not be loaded")
)

// LabelScore is one label's probability.
type LabelScore struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// Timings are the stage durations of one request.
type Timings struct {
	// CacheLookup is the time a cached result took to find (the other
	// stages are then 0: see the result's Computed).
	CacheLookup time.Duration `json:"cache_lookup_ns"`
	QueueWait   time.Duration `json:"queue_wait_ns"`
	Tokenize    time.Duration `json:"tokenize_ns"`
	Inference   time.Duration `json:"inference_ns"`
	Postprocess time.Duration `json:"postprocess_ns"`
}

// Total is the sum of all stages.
func (t Timings) Total() time.Duration {
	return t.CacheLookup + t.QueueWait + t.Tokenize + t.Inference + t.Postprocess
}

// Sentiment is the result of text classification.
type Sentiment struct {
	Label   string       `json:"label"`
	Score   float64      `json:"score"`
	Scores  []LabelScore `json:"scores"` // every label, in id2label order
	Model   string       `json:"model"`  // model ID (name@hash prefix)
	Cached  bool         `json:"cached"`
	Timings Timings      `json:"timings"` // this request's stages
	// Computed is, for a cached result, the stages of the request that
	// computed it; nil otherwise.
	Computed *Timings `json:"computed,omitempty"`
	// Method is how the label was read (MethodWhole, MethodMean,
	// MethodMajority): never MethodAuto, which resolves to one of them.
	Method string `json:"method"`
	// Truncated is set when only the first window of a longer text was read
	// (MethodWhole): the rest of the text did not count.
	Truncated bool `json:"truncated,omitempty"`
	// Sentences are the scores of each sentence (a sentence longer than the
	// model's window: of each window-sized piece of it), in text order, when
	// the text was read by sentences and has more than one; nil otherwise.
	Sentences []SentenceScore `json:"sentences,omitempty"`
}

// Sentiment methods: how the label of a text is read from the model.
const (
	// MethodAuto reads a text that fits the model's window whole (as the
	// model was trained) and a longer one by sentences (MethodMean). The
	// default.
	MethodAuto = "auto"
	// MethodWhole reads the first window only; Truncated says when the
	// text was longer.
	MethodWhole = "whole"
	// MethodMean is the mean of the sentences' probabilities, each weighted
	// by its length in code points.
	MethodMean = "mean"
	// MethodMajority is the label that the most code points of sentences
	// have; its scores are those of MethodMean.
	MethodMajority = "majority"
)

// SentimentMethods lists the methods Options.SentimentMethod accepts.
func SentimentMethods() []string {
	return []string{MethodAuto, MethodWhole, MethodMean, MethodMajority}
}

// SentenceScore is the sentiment of one sentence of a text. Start and End
// are Unicode code-point offsets into the text, End exclusive.
type SentenceScore struct {
	Start  int          `json:"start"`
	End    int          `json:"end"`
	Label  string       `json:"label"`
	Score  float64      `json:"score"`
	Scores []LabelScore `json:"scores"`
}

// Entity is one named-entity span. Start and End are Unicode code-point
// offsets into the submitted text, End exclusive; Text equals that slice.
type Entity struct {
	Label string  `json:"label"`
	Text  string  `json:"text"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	Score float64 `json:"score"`
}

// Entities is the result of token classification.
type Entities struct {
	Entities []Entity `json:"entities"`
	Model    string   `json:"model"`
	Cached   bool     `json:"cached"`
	Timings  Timings  `json:"timings"`            // this request's stages
	Computed *Timings `json:"computed,omitempty"` // for a cached result: the stages that computed it
}

// Aggregation strategies, with Hugging Face's semantics.
const (
	AggNone    = "none"
	AggSimple  = "simple"
	AggFirst   = "first"
	AggAverage = "average"
	AggMax     = "max"
)

// Options tune one request. The zero value means the defaults.
type Options struct {
	Aggregation string // entities: none|simple|first|average|max (default simple)
	// SentimentMethod is how sentiment reads a text: auto|whole|mean|majority
	// (default auto).
	SentimentMethod string
	NoCache         bool // bypass the in-memory cache
	// Bulk marks background work (imports, load tests): its sequences wait
	// behind every interactive one and may fill at most BulkQueueShare of the
	// queue, so people using the app keep a share of the engine.
	Bulk bool
}

// BulkQueueShare is the share of a model's queue that bulk requests
// (Options.Bulk) may fill; the rest stays free for interactive ones.
const BulkQueueShare = 0.75

// Reasons a request is shed (OverloadError.Reason).
const (
	ShedQueueFull = "queue_full" // the queue (or the bulk share of it) is full
	ShedQueueWait = "queue_wait" // the expected queue wait is over Config.MaxQueueWait
)

// OverloadError is the ErrOverloaded of a request refused before it was
// queued: why, and the expected queue wait it would have had.
type OverloadError struct {
	Reason string
	Wait   time.Duration // expected queue wait (ShedQueueWait); 0 = not estimated
	Bound  time.Duration // the bound Wait was over (ShedQueueWait)
	Detail string        // the message, when set (reasons of other layers)
}

func (e *OverloadError) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	if e.Reason == ShedQueueWait {
		return fmt.Sprintf("engine overloaded: expected queue wait %v is over the bound of %v (retry later)",
			e.Wait.Round(time.Millisecond), e.Bound)
	}
	return ErrOverloaded.Error()
}

// Is makes errors.Is(err, ErrOverloaded) hold.
func (e *OverloadError) Is(target error) bool { return target == ErrOverloaded }

// RetryAfter is a sensible wait before retrying: the expected queue wait
// beyond the bound, at least 10 ms.
func (e *OverloadError) RetryAfter() time.Duration {
	return max(e.Wait-e.Bound, 10*time.Millisecond)
}

// ShedReason is the reason err (an ErrOverloaded) was shed, "" when err is
// not an overload.
func ShedReason(err error) string {
	var oe *OverloadError
	switch {
	case errors.As(err, &oe):
		return oe.Reason
	case errors.Is(err, ErrOverloaded):
		return ShedQueueFull
	}
	return ""
}

// TensorInfo describes one model input or output.
type TensorInfo struct {
	Name  string  `json:"name"`
	Type  string  `json:"type"`  // e.g. "int64", "float32"
	Shape []int64 `json:"shape"` // -1 for dynamic axes
}

// ModelInfo describes a loaded or discovered model.
type ModelInfo struct {
	ID        string       `json:"id"`   // name@hash12
	Name      string       `json:"name"` // folder name or ORG/NAME
	Task      Task         `json:"task"`
	Dir       string       `json:"dir"`  // "embedded:<name>" for defaults
	File      string       `json:"file"` // the ONNX file inside Dir (the variant), with /
	Labels    []string     `json:"labels"`
	Hash      string       `json:"hash"` // sha256 of the ONNX file, hex
	SizeBytes int64        `json:"size_bytes"`
	Inputs    []TensorInfo `json:"inputs"`
	Outputs   []TensorInfo `json:"outputs"`
	MaxLength int          `json:"max_length"` // tokens per window
	Quantized bool         `json:"quantized"`
	Provider  string       `json:"provider"` // "cpu" or "cuda"
	// Warning says why results will be off on this machine, e.g. an INT8
	// file with full-range int8 weights on an x86 CPU without VNNI
	// (quantize.HostWarning); empty when nothing is known to be wrong.
	Warning string `json:"warning,omitempty"`
	// Card is what the folder's model card says the model is for; nil when
	// it has none.
	Card *ModelCard `json:"card,omitempty"`
}

// BatchStats describes one flushed batch; the profiler observes it.
type BatchStats struct {
	Task         Task
	Size         int // requests in the batch
	Tokens       int // real tokens
	PaddedTokens int // longest × count
	Inference    time.Duration
}

// Observer receives measurements from the engine. Implementations must be
// safe for concurrent use and must not block. app connects it to profiler.
type Observer interface {
	ObserveRequest(task Task, t Timings, cached bool, err error)
	ObserveBatch(b BatchStats)
}

// Stats is a point-in-time view of the engine's counters.
type Stats struct {
	QueueDepth  map[Task]int `json:"queue_depth"`
	CacheHits   uint64       `json:"cache_hits"`
	CacheMisses uint64       `json:"cache_misses"`
	CacheSize   int          `json:"cache_size"`
	// SLO is, per task in SLO mode (Engine.SetLatencyTarget), what its
	// batcher chose and why.
	SLO map[Task]SLOState `json:"slo,omitempty"`
}
