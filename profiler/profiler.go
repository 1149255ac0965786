package profiler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"time"
)

// Operation names used by nlpscope. Any other name is accepted too; HTTP
// routes use HTTPOp.
const (
	OpSentiment = "sentiment"
	OpEntities  = "entities"
	OpAnalyze   = "analyze"
	OpHealth    = "health"
)

// HTTPOp names the operation of an HTTP route, e.g. HTTPOp("POST /v1/analyze").
func HTTPOp(route string) string { return httpOpPrefix + route }

const httpOpPrefix = "http:"

// Engine stage names.
const (
	StageCacheLookup = "cache_lookup" // memory cache, then SQLite
	StageQueueWait   = "queue_wait"
	StageTokenize    = "tokenize"
	StageInference   = "inference"
	StagePostprocess = "postprocess"
	StageStore       = "store"
)

// Sources of analysis work (ObserveWork): every text the Service analyses
// is observed once, with the shell or job that asked for it.
const (
	SourceHTTP     = "http"
	SourceDesktop  = "desktop"
	SourceImport   = "import"
	SourceLoadTest = "loadtest"
	SourceCLI      = "cli"
	SourceAPI      = "api" // a Go caller that named no source
)

// maxSources bounds the distinct sources; later ones count as OtherSeries.
const maxSources = 16

// GaugeQueueDepth is the gauge name Snapshot reports as QueueDepth.
const GaugeQueueDepth = "queue_depth"

// OtherSeries collects observations once Config.MaxSeries names are in use.
const OtherSeries = "other"

// ErrInvalidConfig is returned (wrapped) for a Config or LoadConfig that
// cannot be used.
var ErrInvalidConfig = errors.New("invalid profiler configuration")

// Config configures a Profiler. Zero values take the defaults noted.
type Config struct {
	// SampleInterval is how often Run samples system and GPU gauges;
	// 0 = 1 s, minimum 100 ms.
	SampleInterval time.Duration
	// MaxSeries bounds the number of distinct operation plus stage names
	// (memory is fixed by it); later names are recorded as OtherSeries, one
	// for operations and one for stages. An operation counts once for all
	// sources and once per source. 0 = 128.
	MaxSeries int
	// DisableSystem turns off CPU/memory/process sampling.
	DisableSystem bool
	// GPU is the GPU source; nil = NVML, opened by Run when the driver
	// library is loadable. DisableGPU skips GPUs entirely.
	GPU        GPUSource
	DisableGPU bool
	// ClassifyError names the kind of an error for error counts;
	// nil = ErrorKind.
	ClassifyError func(error) string
	// Now is the clock; nil = time.Now.
	Now func() time.Time
}

func (c *Config) withDefaults() error {
	if c.SampleInterval == 0 {
		c.SampleInterval = time.Second
	}
	if c.SampleInterval < 100*time.Millisecond {
		return fmt.Errorf("%w: sample interval %v is under 100ms", ErrInvalidConfig, c.SampleInterval)
	}
	if c.MaxSeries == 0 {
		c.MaxSeries = 128
	}
	if c.MaxSeries < 0 {
		return fmt.Errorf("%w: max series %d is negative", ErrInvalidConfig, c.MaxSeries)
	}
	if c.ClassifyError == nil {
		c.ClassifyError = ErrorKind
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Profiler keeps live statistics. All methods are safe for concurrent use;
// the Observe methods take a short lock and never block on I/O.
type Profiler struct {
	cfg   Config
	log   *slog.Logger
	start time.Time

	seriesMu sync.RWMutex
	ops      map[string]*series
	stages   map[string]*series

	mu          sync.Mutex // counters below
	texts       *counterRing
	textsBy     map[string]*counterRing // by source
	cacheHits   *counterRing
	cacheMisses *counterRing
	batches     *counterRing
	batchTokens *counterRing
	batchPadded *counterRing
	batchReqs   *counterRing
	batchSizes  [len(batchBuckets)]*counterRing
	errorKinds  map[string]uint64
	shed        map[string]uint64 // by reason

	gaugeMu sync.RWMutex
	gauges  map[string]func() float64

	sysMu  sync.RWMutex
	system SystemStats
	gpu    GPUStats
	sys    systemSampler

	regState

	sampleMu sync.Mutex // serialises Sample
	gpuMu    sync.Mutex // guards the GPU source against Close
	gpuSrc   GPUSource
	gpuTried bool     // OpenNVML was attempted
	gpuNone  GPUStats // state while no source is open
}

// New returns a Profiler. It starts no goroutine; call Run to sample gauges.
func New(cfg Config, log *slog.Logger) (*Profiler, error) {
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Profiler{
		cfg:         cfg,
		log:         log,
		start:       cfg.Now(),
		ops:         map[string]*series{},
		stages:      map[string]*series{},
		texts:       newCounterRing(),
		textsBy:     map[string]*counterRing{},
		cacheHits:   newCounterRing(),
		cacheMisses: newCounterRing(),
		batches:     newCounterRing(),
		batchTokens: newCounterRing(),
		batchPadded: newCounterRing(),
		batchReqs:   newCounterRing(),
		errorKinds:  map[string]uint64{},
		shed:        map[string]uint64{},
		gauges:      map[string]func() float64{},
		gpuSrc:      cfg.GPU,
	}
	for i := range p.batchSizes {
		p.batchSizes[i] = newCounterRing()
	}
	p.gpu = GPUStats{Reason: "not sampled yet"}
	if cfg.DisableGPU {
		p.gpu = GPUStats{Reason: "GPU monitoring disabled"}
	}
	return p, nil
}

// sec returns the current second since start.
func (p *Profiler) sec() int64 {
	d := p.cfg.Now().Sub(p.start)
	if d < 0 {
		return 0
	}
	return int64(d / time.Second)
}

func (p *Profiler) seriesFor(m map[string]*series, name string) *series {
	return p.sourceSeries(m, "", name)
}

// sourceSeries is the series of name done by source (key source NUL name).
func (p *Profiler) sourceSeries(m map[string]*series, source, name string) *series {
	key := name
	if source != "" {
		key = source + "\x00" + name
	}
	p.seriesMu.RLock()
	s := m[key]
	p.seriesMu.RUnlock()
	if s != nil {
		return s
	}
	p.seriesMu.Lock()
	defer p.seriesMu.Unlock()
	if s = m[key]; s != nil {
		return s
	}
	if len(p.ops)+len(p.stages) >= p.cfg.MaxSeries {
		if s = m[OtherSeries]; s != nil {
			return s
		}
		key, name, source = OtherSeries, OtherSeries, ""
	}
	s = newSeries(name)
	s.source = source
	m[key] = s
	return s
}

// ObserveOp records one completed operation of duration d; a non-nil err
// counts as an error of kind Config.ClassifyError(err).
func (p *Profiler) ObserveOp(op string, d time.Duration, err error) {
	if !strings.HasPrefix(op, httpOpPrefix) {
		p.ObserveWork(SourceAPI, op, d, 0, err)
		return
	}
	p.seriesFor(p.ops, op).record(p.sec(), d, err != nil)
	if err != nil {
		p.ObserveError(p.cfg.ClassifyError(err))
	}
}

// ObserveWork records one analysis request of texts texts, done for source
// (SourceHTTP, SourceImport, …; "" = SourceAPI) as operation op, that took
// d. It is the one measurement point of analysis work: throughput, texts
// and the per-source series all come from it, whoever asked. A non-nil err
// counts as an error and the texts as not processed.
func (p *Profiler) ObserveWork(source, op string, d time.Duration, texts int, err error) {
	if source == "" {
		source = SourceAPI
	}
	sec := p.sec()
	p.sourceSeries(p.ops, source, op).record(sec, d, err != nil)
	p.seriesFor(p.ops, op).record(sec, d, err != nil) // all sources: the dashboard's default view
	if err != nil {
		p.ObserveError(p.cfg.ClassifyError(err))
		return
	}
	if texts > 0 {
		p.addTexts(source, texts)
	}
}

// ObserveStage records the duration of one engine stage of one request.
func (p *Profiler) ObserveStage(stage string, d time.Duration) {
	p.seriesFor(p.stages, stage).record(p.sec(), d, false)
}

// ObserveShed counts one request refused for overload, by reason (e.g.
// "queue_wait"); at most 16 reasons are kept apart. It is safe for
// concurrent use.
func (p *Profiler) ObserveShed(reason string) {
	p.mu.Lock()
	if _, ok := p.shed[reason]; ok || len(p.shed) < 16 {
		p.shed[reason]++
	} else {
		p.shed[OtherSeries]++
	}
	p.mu.Unlock()
}

// ObserveError counts one error of the given kind (e.g. "overloaded").
func (p *Profiler) ObserveError(kind string) {
	if kind == "" {
		kind = "error"
	}
	p.mu.Lock()
	if _, ok := p.errorKinds[kind]; ok || len(p.errorKinds) < 64 {
		p.errorKinds[kind]++
	} else {
		p.errorKinds[OtherSeries]++
	}
	p.mu.Unlock()
}

// ObserveTexts counts n texts processed for SourceAPI (a batch request
// counts its texts); ObserveWork counts them with their request.
func (p *Profiler) ObserveTexts(n int) {
	if n <= 0 {
		return
	}
	p.addTexts(SourceAPI, n)
}

func (p *Profiler) addTexts(source string, n int) {
	sec := p.sec()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.texts.add(sec, uint64(n))
	r := p.textsBy[source]
	if r == nil {
		if len(p.textsBy) >= maxSources {
			source = OtherSeries
			r = p.textsBy[source]
		}
		if r == nil {
			r = newCounterRing()
			p.textsBy[source] = r
		}
	}
	r.add(sec, uint64(n))
}

// ObserveCache counts one cache lookup.
func (p *Profiler) ObserveCache(hit bool) {
	sec := p.sec()
	p.mu.Lock()
	if hit {
		p.cacheHits.add(sec, 1)
	} else {
		p.cacheMisses.add(sec, 1)
	}
	p.mu.Unlock()
}

// batchBuckets are the inclusive upper bounds of the batch-size buckets; the
// last bucket is open-ended.
var batchBuckets = [...]int{1, 2, 4, 8, 16, 32, 64, 128, 0}

func batchBucket(size int) int {
	for i, b := range batchBuckets[:len(batchBuckets)-1] {
		if size <= b {
			return i
		}
	}
	return len(batchBuckets) - 1
}

// ObserveBatch records one flushed batch: size requests holding tokens real
// tokens, paddedTokens after padding (longest × size).
func (p *Profiler) ObserveBatch(size, tokens, paddedTokens int) {
	if size <= 0 {
		return
	}
	sec := p.sec()
	p.mu.Lock()
	p.batches.add(sec, 1)
	p.batchReqs.add(sec, uint64(size))
	p.batchTokens.add(sec, uint64(max(tokens, 0)))
	p.batchPadded.add(sec, uint64(max(paddedTokens, 0)))
	p.batchSizes[batchBucket(size)].add(sec, 1)
	p.mu.Unlock()
}

// SetGaugeFunc registers f as gauge name (e.g. GaugeQueueDepth); f is called
// on every Snapshot and scrape and must be fast and safe for concurrent use.
// A nil f removes the gauge.
func (p *Profiler) SetGaugeFunc(name string, f func() float64) {
	p.gaugeMu.Lock()
	defer p.gaugeMu.Unlock()
	if f == nil {
		delete(p.gauges, name)
		return
	}
	p.gauges[name] = f
}

func (p *Profiler) readGauges() map[string]float64 {
	p.gaugeMu.RLock()
	defer p.gaugeMu.RUnlock()
	out := make(map[string]float64, len(p.gauges))
	for n, f := range p.gauges {
		out[n] = f()
	}
	return out
}

// Run samples system and GPU gauges every Config.SampleInterval until ctx
// ends. It returns nil when ctx is cancelled.
func (p *Profiler) Run(ctx context.Context) error {
	p.Sample(ctx)
	t := time.NewTicker(p.cfg.SampleInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			p.Sample(ctx)
		}
	}
}

// Sample takes one sample of the system and GPU gauges now. Run calls it;
// it is exported for tests and one-shot tools.
func (p *Profiler) Sample(ctx context.Context) {
	p.sampleMu.Lock()
	defer p.sampleMu.Unlock()
	if !p.cfg.DisableSystem {
		st := p.sys.sample(ctx)
		st.SampledAt = p.cfg.Now()
		p.sysMu.Lock()
		p.system = st
		p.sysMu.Unlock()
	}
	if !p.cfg.DisableGPU {
		g := p.sampleGPU()
		p.sysMu.Lock()
		p.gpu = g
		p.sysMu.Unlock()
	}
}

func (p *Profiler) sampleGPU() GPUStats {
	p.gpuMu.Lock()
	defer p.gpuMu.Unlock()
	if p.gpuSrc == nil {
		if p.gpuTried {
			return p.gpuNone
		}
		p.gpuTried = true
		src, err := OpenNVML()
		if err != nil {
			// Logged once: a machine without a driver is a normal state.
			p.log.Info("GPU gauges off", slog.String("reason", err.Error()))
			p.gpuNone = GPUStats{Reason: err.Error()}
			return p.gpuNone
		}
		p.gpuSrc = src
	}
	return ReadGPU(p.gpuSrc)
}

// Close releases the GPU source. It is safe to call more than once.
func (p *Profiler) Close() error {
	p.gpuMu.Lock()
	defer p.gpuMu.Unlock()
	src := p.gpuSrc
	p.gpuSrc, p.gpuTried = nil, true
	p.gpuNone = GPUStats{Reason: "profiler closed"}
	if src != nil {
		return src.Close()
	}
	return nil
}

// ErrorKind is the default error classifier: "" for nil, "canceled",
// "timeout", "http_<status>" for an *HTTPStatusError, "network" for other
// network errors, and "error" otherwise.
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var hs *HTTPStatusError
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &hs):
		return fmt.Sprintf("http_%d", hs.StatusCode)
	case errors.As(err, &ne):
		if ne.Timeout() {
			return "timeout"
		}
		return "network"
	}
	return "error"
}

func sortedSeries(m map[string]*series) []*series {
	out := make([]*series, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].name != out[j].name {
			return out[i].name < out[j].name
		}
		return out[i].source < out[j].source
	})
	return out
}

func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
