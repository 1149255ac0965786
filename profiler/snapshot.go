package profiler

import (
	"sort"
	"strings"
	"time"
)

// Snapshot is a point-in-time view of every live statistic, small enough to
// push to a UI at 4 Hz. Rolling windows cover the last complete seconds.
type Snapshot struct {
	Time          time.Time          `json:"time"`
	UptimeSeconds float64            `json:"uptime_s"`
	Ops           []SeriesStats      `json:"ops"`    // by name, then source: source "" is all sources (and HTTP routes)
	Stages        []SeriesStats      `json:"stages"` // by name
	Throughput    Throughput         `json:"throughput"`
	QueueDepth    float64            `json:"queue_depth"` // gauge GaugeQueueDepth
	Gauges        map[string]float64 `json:"gauges,omitempty"`
	Batches       BatchStats         `json:"batches"`
	Cache         CacheStats         `json:"cache"`
	Errors        map[string]uint64  `json:"errors"` // since start, by kind
	// Shed counts requests refused for overload (429) since start, by
	// reason: "queue_full", "queue_wait", "inflight_bytes" (ObserveShed).
	Shed   map[string]uint64 `json:"shed"`
	System SystemStats       `json:"system"`
	GPU    GPUStats          `json:"gpu"`
}

// Throughput is requests and texts per second over the rolling windows, and
// totals since start. Requests are the operations other than HTTP routes
// (HTTPOp), which record the same requests a second time.
type Throughput struct {
	RequestsPerSec1s  float64 `json:"requests_per_s_1s"`
	RequestsPerSec10s float64 `json:"requests_per_s_10s"`
	RequestsPerSec60s float64 `json:"requests_per_s_60s"`
	TextsPerSec1s     float64 `json:"texts_per_s_1s"`
	TextsPerSec10s    float64 `json:"texts_per_s_10s"`
	TextsPerSec60s    float64 `json:"texts_per_s_60s"`
	Requests          uint64  `json:"requests"`
	Texts             uint64  `json:"texts"`
	// Sources splits the work by who asked for it (ObserveWork), by name.
	Sources []SourceThroughput `json:"sources"`
}

// SourceThroughput is the analysis work done for one source.
type SourceThroughput struct {
	Source            string  `json:"source"`
	RequestsPerSec1s  float64 `json:"requests_per_s_1s"`
	RequestsPerSec10s float64 `json:"requests_per_s_10s"`
	TextsPerSec1s     float64 `json:"texts_per_s_1s"`
	TextsPerSec10s    float64 `json:"texts_per_s_10s"`
	Requests          uint64  `json:"requests"`
	Texts             uint64  `json:"texts"`
	// Texts10s is the count behind TextsPerSec10s (the last 10 complete
	// seconds), for "n texts in the last 10 s".
	Texts10s uint64 `json:"texts_10s"`
}

// BatchStats describes the engine's flushed batches.
type BatchStats struct {
	Total         uint64  `json:"total"`          // since start
	PerSec10s     float64 `json:"per_s_10s"`      // batches per second
	MeanSize60s   float64 `json:"mean_size_60s"`  // requests per batch
	Efficiency60s float64 `json:"efficiency_60s"` // real / padded tokens, 0..1
	// Sizes is the batch-size distribution over the last 60 s.
	Sizes []BucketCount `json:"sizes"`
}

// BucketCount is one bucket of a distribution: values up to Le (inclusive;
// Le 0 = no upper bound) above the previous bucket's Le.
type BucketCount struct {
	Le    int    `json:"le"`
	Count uint64 `json:"count"`
}

// CacheStats counts result-cache lookups.
type CacheStats struct {
	Hits       uint64  `json:"hits"`
	Misses     uint64  `json:"misses"`
	HitRate    float64 `json:"hit_rate"`     // since start, 0..1
	HitRate60s float64 `json:"hit_rate_60s"` // 0..1, of Hits60s+Misses60s
	Hits60s    uint64  `json:"hits_60s"`     // the last 60 complete seconds
	Misses60s  uint64  `json:"misses_60s"`
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Snapshot returns the current statistics.
func (p *Profiler) Snapshot() Snapshot {
	now := p.cfg.Now()
	sec := p.sec()
	s := Snapshot{
		Time:          now,
		UptimeSeconds: now.Sub(p.start).Seconds(),
		Errors:        map[string]uint64{},
		Shed:          map[string]uint64{},
		Ops:           []SeriesStats{}, // [] before the first request: the API never sends null
		Stages:        []SeriesStats{},
	}
	p.seriesMu.RLock()
	ops, stages := sortedSeries(p.ops), sortedSeries(p.stages)
	p.seriesMu.RUnlock()
	bySource := map[string]*SourceThroughput{}
	for _, o := range ops {
		st := o.stats(sec)
		s.Ops = append(s.Ops, st)
		if strings.HasPrefix(st.Name, httpOpPrefix) {
			continue // the same requests are counted by their operation
		}
		if st.Source != "" { // one source's share of an all-sources series
			src := bySource[st.Source]
			if src == nil {
				src = &SourceThroughput{Source: st.Source}
				bySource[st.Source] = src
			}
			src.Requests += st.Total.Count
			for _, w := range st.Windows {
				switch w.Window {
				case "1s":
					src.RequestsPerSec1s += w.PerSecond
				case "10s":
					src.RequestsPerSec10s += w.PerSecond
				}
			}
			continue
		}
		s.Throughput.Requests += st.Total.Count
		for _, w := range st.Windows {
			switch w.Window {
			case "1s":
				s.Throughput.RequestsPerSec1s += w.PerSecond
			case "10s":
				s.Throughput.RequestsPerSec10s += w.PerSecond
			case "60s":
				s.Throughput.RequestsPerSec60s += w.PerSecond
			}
		}
	}
	for _, st := range stages {
		s.Stages = append(s.Stages, st.stats(sec))
	}

	p.mu.Lock()
	s.Throughput.Texts = p.texts.total
	s.Throughput.TextsPerSec1s = float64(p.texts.sum(sec, 1))
	s.Throughput.TextsPerSec10s = float64(p.texts.sum(sec, 10)) / 10
	s.Throughput.TextsPerSec60s = float64(p.texts.sum(sec, 60)) / 60
	for name, r := range p.textsBy {
		src := bySource[name]
		if src == nil {
			src = &SourceThroughput{Source: name}
			bySource[name] = src
		}
		src.Texts, src.Texts10s = r.total, r.sum(sec, 10)
		src.TextsPerSec1s = float64(r.sum(sec, 1))
		src.TextsPerSec10s = float64(src.Texts10s) / 10
	}
	s.Cache.Hits, s.Cache.Misses = p.cacheHits.total, p.cacheMisses.total
	s.Cache.HitRate = ratio(s.Cache.Hits, s.Cache.Hits+s.Cache.Misses)
	s.Cache.Hits60s, s.Cache.Misses60s = p.cacheHits.sum(sec, 60), p.cacheMisses.sum(sec, 60)
	s.Cache.HitRate60s = ratio(s.Cache.Hits60s, s.Cache.Hits60s+s.Cache.Misses60s)
	s.Batches.Total = p.batches.total
	s.Batches.PerSec10s = float64(p.batches.sum(sec, 10)) / 10
	b60 := p.batches.sum(sec, 60)
	s.Batches.MeanSize60s = ratio(p.batchReqs.sum(sec, 60), b60)
	s.Batches.Efficiency60s = ratio(p.batchTokens.sum(sec, 60), p.batchPadded.sum(sec, 60))
	s.Batches.Sizes = make([]BucketCount, len(batchBuckets))
	for i, le := range batchBuckets {
		s.Batches.Sizes[i] = BucketCount{Le: le, Count: p.batchSizes[i].sum(sec, 60)}
	}
	for k, v := range p.errorKinds {
		s.Errors[k] = v
	}
	for k, v := range p.shed {
		s.Shed[k] = v
	}
	p.mu.Unlock()

	s.Throughput.Sources = make([]SourceThroughput, 0, len(bySource))
	for _, src := range bySource {
		s.Throughput.Sources = append(s.Throughput.Sources, *src)
	}
	sort.Slice(s.Throughput.Sources, func(i, j int) bool { return s.Throughput.Sources[i].Source < s.Throughput.Sources[j].Source })
	s.Gauges = p.readGauges()
	s.QueueDepth = s.Gauges[GaugeQueueDepth]
	p.sysMu.RLock()
	s.System, s.GPU = p.system, p.gpu
	p.sysMu.RUnlock()
	s.System.CPUPerCore = append([]float64{}, s.System.CPUPerCore...)
	s.GPU.Devices = append([]GPUDevice(nil), s.GPU.Devices...)
	return s
}
