package app

import (
	"github.com/nlpscope/nlpscope/app/catalog"
	"time"

	"github.com/nlpscope/nlpscope/engine"
)

// The types in this file are the Service's public shapes: the Wails bindings
// and the HTTP API (app/API.md) carry exactly these as JSON.

// AnalyzeRequest asks for one text or a batch of texts to be analysed.
type AnalyzeRequest struct {
	Text        string        `json:"text,omitempty"`        // one text; or
	Texts       []string      `json:"texts,omitempty"`       // several texts (not both)
	Tasks       []engine.Task `json:"tasks,omitempty"`       // "sentiment", "entities"; empty = both ("all" and the old "ner" are accepted too)
	Aggregation Aggregation   `json:"aggregation,omitempty"` // entities: none|simple|first|average|max; "" = simple
	// SentimentMethod is how sentiment reads a text: auto (whole when it
	// fits the model's window, else by sentences), whole, mean, majority;
	// "" = auto.
	SentimentMethod SentimentMethod `json:"sentiment_method,omitempty"`
	Model           string          `json:"model,omitempty"`    // optional model ID or name; must be an active model
	NoStore         bool            `json:"no_store,omitempty"` // do not store the results
	// NoCache computes every text: the in-memory cache and the stored
	// results (the second-level cache) are not looked up (HTTP: also the
	// header X-Nlpscope-Cache: bypass).
	NoCache bool   `json:"no_cache,omitempty"`
	Source  string `json:"source,omitempty"` // optional label of where the text came from
}

// Aggregation is how the entities task merges sub-word tokens into spans,
// with Hugging Face's semantics (engine.AggSimple, …).
type Aggregation string

// Values lists every aggregation.
func (Aggregation) Values() []Aggregation {
	return []Aggregation{engine.AggNone, engine.AggSimple, engine.AggFirst, engine.AggAverage, engine.AggMax}
}

// AnalyzeResponse holds one result per submitted text, in order.
type AnalyzeResponse struct {
	Results []DocumentResult `json:"results"`
}

// DocumentResult is the analysis of one text: the one result shape of every
// shell (the HTTP API, the desktop bindings, `nlpscope analyze --format
// jsonl`, which adds only source fields and an error). What the text says is
// at the top (sentiment, entities); how each task's result was computed
// (model, cached, timings) is beside it, in Meta.
type DocumentResult struct {
	ID     int64      `json:"id,omitempty"` // stored document ID; 0 when not stored
	Text   string     `json:"text"`
	Source string     `json:"source,omitempty"`
	Line   int        `json:"line,omitempty"`
	ExtID  string     `json:"ext_id,omitempty"` // the row's id (an import's id column)
	Time   *time.Time `json:"time,omitempty"`   // the row's date/time (an import's date column)
	// Metadata are the row's metadata columns (an import's meta_columns)
	// by column name. (It is not "meta": that name holds how the result
	// was computed.)
	Metadata  map[string]string `json:"metadata,omitempty"`
	Sentiment *Sentiment        `json:"sentiment,omitempty"` // when the sentiment task ran
	Entities  []engine.Entity   `json:"entities,omitzero"`   // when the entities task ran: [] when it found none
	Meta      ResultMeta        `json:"meta"`
	CreatedAt time.Time         `json:"created_at"`
	// Seen is how many times the text was stored with these models and
	// settings (1 + its duplicates; 0 when not stored); Duplicate that this
	// result was one of them, counted on the existing document ID. Imports
	// are the imports the document came from (GET /v1/documents/{id}).
	Seen      int     `json:"seen,omitempty"`
	Duplicate bool    `json:"duplicate,omitempty"`
	Imports   []int64 `json:"imports,omitempty"`
	// Correction is the analyst's correction of a stored document (GET
	// /v1/results/{id}); absent when it has none.
	Correction *Correction `json:"correction,omitempty"`
}

// Correction is the analyst's own labels for a stored document, kept apart
// from the predictions: re-analysis never changes it.
type Correction struct {
	// Sentiment is the corrected label; absent (or null) = the sentiment is
	// not corrected.
	Sentiment *string `json:"sentiment,omitempty"`
	// Entities is the full gold entity list that replaces the predicted
	// entities ([] = the document has none); absent (or null) = not
	// corrected. The text of each entity is derived from its span (code
	// points).
	Entities *[]CorrectionEntity `json:"entities,omitempty"`
	Reviewed bool                `json:"reviewed"`
	// SentimentModel and EntitiesModel are the model IDs (name@hash12) of
	// the predictions that were corrected (set by the Service).
	SentimentModel string    `json:"sentiment_model,omitempty"`
	EntitiesModel  string    `json:"entities_model,omitempty"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
}

// CorrectionEntity is one gold entity; start/end are code points (end
// exclusive).
type CorrectionEntity struct {
	Label string `json:"label"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text,omitempty"`
}

// SentimentMethod is how sentiment reads a text (engine.MethodAuto, …).
type SentimentMethod string

// Values lists every method.
func (SentimentMethod) Values() []SentimentMethod {
	var out []SentimentMethod
	for _, m := range engine.SentimentMethods() {
		out = append(out, SentimentMethod(m))
	}
	return out
}

// Sentiment is the sentiment of one text.
type Sentiment struct {
	Label  string              `json:"label"`
	Score  float64             `json:"score"`
	Scores []engine.LabelScore `json:"scores"` // every label, in the model's id2label order
	// Method is how the label was read: whole (one window of the text),
	// mean or majority (of its sentences).
	Method SentimentMethod `json:"method"`
	// Truncated: only the first window of a longer text was read (method
	// whole asked for); the rest did not count.
	Truncated bool `json:"truncated,omitempty"`
	// Sentences are each sentence's scores when the text was read by
	// sentences and has more than one ([] otherwise); start/end are code
	// points.
	Sentences []engine.SentenceScore `json:"sentences"`
}

// ResultMeta says, per task that ran, how its result was computed.
type ResultMeta struct {
	Sentiment *TaskMeta `json:"sentiment,omitempty"`
	Entities  *TaskMeta `json:"entities,omitempty"`
}

// TaskMeta is how one task's result was computed.
type TaskMeta struct {
	Model   string         `json:"model"`   // model ID (name@hash prefix)
	Cached  bool           `json:"cached"`  // from the in-memory cache or the database instead of inference
	Timings engine.Timings `json:"timings"` // this request's stages (a cached result: its lookup)
	// Computed is, for a cached result, the stages of the request that
	// computed it ("computed earlier"); nil otherwise.
	Computed *engine.Timings `json:"computed,omitempty"`
	// Store is how long the request waited for its results to be committed
	// (one group commit, after the tasks, shared by them); 0 when nothing
	// was stored.
	Store time.Duration `json:"store_ns,omitempty"`
}

// setSentiment puts an engine result into d.
func (d *DocumentResult) setSentiment(s engine.Sentiment) {
	d.Sentiment = &Sentiment{Label: s.Label, Score: s.Score, Scores: nonNil(s.Scores),
		Method: SentimentMethod(s.Method), Truncated: s.Truncated, Sentences: nonNil(s.Sentences)}
	d.Meta.Sentiment = &TaskMeta{Model: s.Model, Cached: s.Cached, Timings: s.Timings, Computed: s.Computed}
}

// setEntities puts an engine result into d.
func (d *DocumentResult) setEntities(e engine.Entities) {
	d.Entities = nonNil(e.Entities)
	d.Meta.Entities = &TaskMeta{Model: e.Model, Cached: e.Cached, Timings: e.Timings, Computed: e.Computed}
}

// nonNil returns s, or an empty slice for nil: the Service's shapes never
// carry JSON null for a list.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Health reports whether the Service can answer.
type Health struct {
	Status   HealthStatus       `json:"status"`
	Ready    map[string]bool    `json:"ready"` // per task
	Storage  bool               `json:"storage"`
	Version  string             `json:"version"`
	Uptime   float64            `json:"uptime_s"`
	Runtime  engine.RuntimeInfo `json:"runtime"`
	Problems []string           `json:"problems,omitempty"` // why something is not ready
}

// HealthStatus is "ok" (every task has a model), "loading" (the startup
// models are loading) or "not_ready".
type HealthStatus string

// Health statuses.
const (
	HealthOK       HealthStatus = "ok"
	HealthLoading  HealthStatus = "loading"
	HealthNotReady HealthStatus = "not_ready"
)

// Values lists every health status.
func (HealthStatus) Values() []HealthStatus {
	return []HealthStatus{HealthOK, HealthLoading, HealthNotReady}
}

// ModelsResponse lists the active models and the catalog's models, each
// with its ONNX variants, that SetActiveModel accepts.
type ModelsResponse struct {
	Active    []engine.ModelInfo `json:"active"`
	Available []catalog.Model    `json:"available"`
	Problems  []string           `json:"problems,omitempty"`   // model locations that could not be read
	ModelsDir string             `json:"models_dir,omitempty"` // where model folders are found ("" = none)
	HFCache   string             `json:"hf_cache,omitempty"`   // the Hugging Face cache searched ("" = none)
	Runtime   engine.RuntimeInfo `json:"runtime"`
}

// SetModelRequest activates a model of the catalog for a task.
type SetModelRequest struct {
	Task engine.Task `json:"task"`
	// Ref is a catalog.Model's ref (embedded:NAME, a folder of the models
	// folder or given at start-up, ORG/NAME@REV), optionally with #FILE.
	Ref     string `json:"ref"`
	Variant string `json:"variant,omitempty"` // a variant's name or file; "" = the default
	Dir     string `json:"dir,omitempty"`     // deprecated: the same as Ref
	Name    string `json:"name,omitempty"`
}

// Settings are the engine settings that apply without restart.
type Settings struct {
	MaxBatchSize int   `json:"max_batch_size"`
	MaxDelayUS   int64 `json:"max_delay_us"`
	TokenBudget  int   `json:"token_budget"`
	CacheEntries int   `json:"cache_entries"`
	// P99TargetMS is, per task, the p99 latency target of SLO mode in ms
	// (the batcher picks its own batch size and delay; see engine/slo.go);
	// a task left out keeps its target, 0 turns it off.
	P99TargetMS map[engine.Task]float64 `json:"p99_target_ms,omitempty"`
}

// SearchQuery selects stored documents. All fields are optional.
type SearchQuery struct {
	Q           string `json:"q,omitempty"`            // search: words, OR, -word, "phrase", prefix*, ( ) (storage/searchquery.go, app/API.md)
	Sentiment   string `json:"sentiment,omitempty"`    // sentiment label
	EntityLabel string `json:"entity_label,omitempty"` // documents having an entity with this label
	EntityText  string `json:"entity_text,omitempty"`  // … or with this entity text
	// Entities: documents having every one of these entities, matched as
	// Insights counts them (case, white space and possessive 's normalised).
	Entities []EntityMatch `json:"entities,omitempty"`
	Model    string        `json:"model,omitempty"`  // model ID
	Source   string        `json:"source,omitempty"` // source file
	ImportID string        `json:"import_id,omitempty"`
	// Meta: documents whose metadata has each of these keys with exactly
	// this value (AND, case-sensitive). HTTP: meta=KEY:VALUE, repeated.
	Meta map[string]string `json:"meta,omitempty"`
	From time.Time         `json:"from,omitempty"` // created at or after
	To   time.Time         `json:"to,omitempty"`   // created before
	// Reviewed, Corrected, Disagrees: documents whose correction marks
	// them reviewed / changes a label / differs from the newest prediction
	// (false: those without); null = either.
	Reviewed  *bool  `json:"reviewed,omitempty"`
	Corrected *bool  `json:"corrected,omitempty"`
	Disagrees *bool  `json:"disagrees,omitempty"`
	Cursor    string `json:"cursor,omitempty"`
	Limit     int    `json:"limit,omitempty"` // 0 = 50, at most 500
}

// SearchPage is one page of search results, newest first.
type SearchPage struct {
	Items      []DocumentSummary `json:"items"`
	NextCursor string            `json:"next_cursor,omitempty"` // "" on the last page
	// Total counts the matching documents, on the first page (no cursor)
	// only: exactly up to TotalLimit, when TotalExact; otherwise there
	// are more than Total (= TotalLimit).
	Total      *int64 `json:"total,omitempty"`
	TotalExact bool   `json:"total_exact"`
}

// DocumentSummary is one row of the history table.
type DocumentSummary struct {
	ID             int64     `json:"id"`
	Snippet        string    `json:"snippet"` // matching text with [[…]] around hits when q is set
	Text           string    `json:"text"`    // first 300 characters
	Source         string    `json:"source,omitempty"`
	Line           int       `json:"line,omitempty"`
	SentimentLabel string    `json:"sentiment_label,omitempty"`
	SentimentScore float64   `json:"sentiment_score,omitempty"`
	EntityCount    int       `json:"entity_count"`
	Model          string    `json:"model,omitempty"`
	Reviewed       bool      `json:"reviewed,omitempty"`  // its correction marks it reviewed
	Corrected      bool      `json:"corrected,omitempty"` // its correction changes a label
	CreatedAt      time.Time `json:"created_at"`
	ExtID          string    `json:"ext_id,omitempty"` // the row's id (an import's id column)
	// Metadata are the row's metadata columns (an import's meta_columns).
	Metadata map[string]string `json:"metadata,omitempty"`
	Seen     int               `json:"seen"`    // times the text was stored (see DocumentResult.Seen)
	Imports  []int64           `json:"imports"` // imports it came from, in id order
}

// ImportOptions describe how files are read.
type ImportOptions struct {
	Tasks       []engine.Task `json:"tasks,omitempty"`
	Aggregation Aggregation   `json:"aggregation,omitempty"`
	Unit        string        `json:"unit,omitempty"`        // .txt: "line" (default) or "file"
	Column      string        `json:"column,omitempty"`      // tables (.csv, .tsv, .xlsx, .json): the text column, a name or 1-based index; "" = chosen by content
	Field       string        `json:"field,omitempty"`       // .jsonl: field; "" = "text"
	Encoding    string        `json:"encoding,omitempty"`    // utf-8, utf-16le, utf-16be, windows-1252 (latin-1); "" = sniffed
	Delimiter   string        `json:"delimiter,omitempty"`   // .csv: one character or tab; "" = sniffed
	Sheet       string        `json:"sheet,omitempty"`       // .xlsx: sheet name; "" = the first with data
	IDColumn    string        `json:"id_column,omitempty"`   // tables: a column of row ids kept with each document; "" = none
	DateColumn  string        `json:"date_column,omitempty"` // tables: a column of dates/times kept with each document; "" = none
	// MetaColumns are columns (.json/.jsonl: fields) kept with each
	// document as its metadata, by name or 1-based index; ["*"] = every
	// column besides text, id and date. At most 64; a value over 1 KiB or
	// a row over 16 KiB of them fails that row (in the import's errors).
	MetaColumns []string `json:"meta_columns,omitempty"`
	// KeepDuplicates stores every row as a document of its own; by default
	// a text already stored with the same models and settings counts as
	// one more sighting of that document (ImportStatus.Duplicates).
	KeepDuplicates bool `json:"keep_duplicates,omitempty"`
}

// inputOptions are the reader options of an import.
func (o ImportOptions) inputOptions(maxText int) InputOptions {
	return InputOptions{Unit: o.Unit, Column: o.Column, Field: o.Field, Encoding: o.Encoding, Delimiter: o.Delimiter, Sheet: o.Sheet,
		IDColumn: o.IDColumn, DateColumn: o.DateColumn, MetaColumns: o.MetaColumns, MaxTextBytes: maxText}
}

// ImportPreview is how one file of an import would be read (or why it
// cannot be).
type ImportPreview struct {
	InputMapping
	Error string `json:"error,omitempty"`
}

// ImportStatus is the progress of one import.
type ImportStatus struct {
	ID         string   `json:"id"`
	State      RunState `json:"state"`
	Files      []string `json:"files"`
	Total      int      `json:"total"`       // inputs in the files (a first pass counts them; see TotalExact)
	TotalExact bool     `json:"total_exact"` // false while the first pass is still counting: Total is then a lower bound
	Done       int      `json:"done"`        // texts analysed and stored: New + Duplicates
	New        int      `json:"new"`         // rows stored as new documents
	Duplicates int      `json:"duplicates"`  // rows that matched a stored document (same text, models and settings)
	// Deletes is how many documents deleting the import deletes: those
	// seen in no other import or pasted text (from the record; 0 while running).
	Deletes   int           `json:"deletes"`
	Failed    int           `json:"failed"`
	BadDates  int           `json:"bad_dates"` // rows stored without their date: the date column's value could not be read
	Errors    []InputError  `json:"errors"`    // first 1000
	RatePerS  float64       `json:"rate_per_s"`
	ETASecond float64       `json:"eta_s"` // 0 when unknown
	Started   time.Time     `json:"started"`
	Updated   time.Time     `json:"updated"` // last progress or state change
	Finished  *time.Time    `json:"finished,omitempty"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	// Options are the import's options as given; Mappings how each file is
	// read (InputMapping.String: format, encoding, delimiter, text column).
	Options  ImportOptions `json:"options"`
	Mappings []string      `json:"mappings"`
	// Resumable: an interrupted or cancelled import whose files are still
	// there; ResumeImport continues it after its last stored row.
	Resumable bool `json:"resumable"`
}

// ImportDeleted answers a deletion of an import: how many documents went
// with it.
type ImportDeleted struct {
	ID      string `json:"id"`
	Deleted int64  `json:"deleted"`
}

// InputError is one input that could not be read or analysed.
type InputError struct {
	Source  string `json:"source"`
	Line    int    `json:"line"` // 0 = the whole file
	Message string `json:"message"`
}

// RunState is the state of an import or a load test.
type RunState string

// Run states.
const (
	StateRunning   RunState = "running"
	StateDone      RunState = "done"
	StateFailed    RunState = "failed"
	StateCancelled RunState = "cancelled"
	// StateInterrupted: an import whose process ended before it finished
	// (a crash, kill -9, or a shutdown while it ran).
	StateInterrupted RunState = "interrupted"
)

// Values lists every run state.
func (RunState) Values() []RunState {
	return []RunState{StateRunning, StateDone, StateFailed, StateCancelled, StateInterrupted}
}
