package profiler

import (
	"strconv"
	"strings"
	"sync"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// latencyBuckets are the Prometheus histogram bounds, in seconds.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// collector exposes a Profiler to Prometheus. Its metric set changes with
// the operations, stages and gauges seen, so it is an unchecked collector
// (Describe sends nothing).
type collector struct{ p *Profiler }

var _ prometheus.Collector = collector{}

// Collector returns a prometheus.Collector over the same data as Snapshot.
func (p *Profiler) Collector() prometheus.Collector { return collector{p} }

// Registry returns a registry holding Collector plus the Go runtime and
// process collectors; app serves it with promhttp.HandlerFor. The same
// registry is returned on every call.
func (p *Profiler) Registry() *prometheus.Registry {
	p.regOnce.Do(func() {
		p.reg = prometheus.NewRegistry()
		p.reg.MustRegister(p.Collector(),
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	})
	return p.reg
}

func (collector) Describe(chan<- *prometheus.Desc) {}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("nlpscope_"+name, help, labels, nil)
}

var (
	descOpDur      = desc("op_duration_seconds", "Analysis latency since start, by who asked (source) and operation.", "source", "op")
	descOpErrors   = desc("op_errors_total", "Failed analyses since start.", "source", "op")
	descOpTexts    = desc("source_texts_total", "Texts analysed since start, by who asked.", "source")
	descRouteDur   = desc("http_request_duration_seconds", "HTTP route latency since start (the web shell's own table).", "route")
	descRouteErr   = desc("http_request_errors_total", "HTTP answers 5xx and 429 since start.", "route")
	descStageDur   = desc("stage_duration_seconds", "Engine stage latency since start.", "stage")
	descWindow     = desc("latency_window_seconds", "Latency percentile over a rolling window of complete seconds (kind op, stage or route; source for ops).", "kind", "source", "name", "window", "quantile")
	descRate       = desc("op_rate_per_second", "Analyses per second over a rolling window.", "source", "op", "window")
	descTexts      = desc("texts_total", "Texts processed since start.")
	descErrors     = desc("errors_total", "Errors since start by kind.", "kind")
	descShed       = desc("shed_total", "Requests refused for overload (429) since start, by reason.", "reason")
	descCacheHit   = desc("cache_hits_total", "Result cache hits.")
	descCacheMiss  = desc("cache_misses_total", "Result cache misses.")
	descBatchSize  = desc("batch_size", "Requests per flushed batch since start.")
	descBatchTok   = desc("batch_tokens_total", "Real tokens in flushed batches.")
	descBatchPad   = desc("batch_padded_tokens_total", "Padded tokens (longest x size) in flushed batches.")
	descCPU        = desc("system_cpu_percent", "System CPU utilisation, all cores, 0..100.")
	descCPUCore    = desc("system_cpu_core_percent", "CPU utilisation per core, 0..100.", "core")
	descMemTotal   = desc("system_memory_total_bytes", "Physical memory.")
	descMemUsed    = desc("system_memory_used_bytes", "Used memory.")
	descMemAvail   = desc("system_memory_available_bytes", "Available memory.")
	descRSS        = desc("process_rss_bytes", "Resident set size of this process.")
	descGoroutines = desc("process_goroutines", "Goroutines in this process.")
	descOpenFiles  = desc("process_open_files", "Open file descriptors of this process.")
	descGPUAvail   = desc("gpu_available", "1 when GPU gauges are available.")
	descGPUUtil    = desc("gpu_utilization_percent", "GPU utilisation, 0..100.", "device", "name")
	descGPUMemUsed = desc("gpu_memory_used_bytes", "GPU memory used.", "device", "name")
	descGPUMemTot  = desc("gpu_memory_total_bytes", "GPU memory total.", "device", "name")
	descGPUTemp    = desc("gpu_temperature_celsius", "GPU temperature.", "device", "name")
	descGPUPower   = desc("gpu_power_watts", "GPU power draw.", "device", "name")
)

var quantileLabels = []struct {
	label string
	get   func(Percentiles) float64
}{
	{"0.5", func(p Percentiles) float64 { return p.P50.Seconds() }},
	{"0.9", func(p Percentiles) float64 { return p.P90.Seconds() }},
	{"0.95", func(p Percentiles) float64 { return p.P95.Seconds() }},
	{"0.99", func(p Percentiles) float64 { return p.P99.Seconds() }},
	{"0.999", func(p Percentiles) float64 { return p.P999.Seconds() }},
	{"1", func(p Percentiles) float64 { return p.Max.Seconds() }},
}

func hdrBuckets(h *hdrhistogram.Histogram) map[float64]uint64 {
	out := make(map[float64]uint64, len(latencyBuckets))
	bars := h.Distribution()
	var cum uint64
	i := 0
	for _, b := range latencyBuckets {
		for i < len(bars) && float64(bars[i].To)*histUnit.Seconds() <= b {
			cum += uint64(bars[i].Count)
			i++
		}
		out[b] = cum
	}
	return out
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	p := c.p
	sec := p.sec()
	must := func(m prometheus.Metric, err error) {
		if err == nil {
			ch <- m
		}
	}
	p.seriesMu.RLock()
	ops, stages := sortedSeries(p.ops), sortedSeries(p.stages)
	p.seriesMu.RUnlock()
	emit := func(kind string, list []*series) {
		for _, s := range list {
			n, errs, sum, h := s.totals()
			name, k := s.name, kind
			switch {
			case kind == "stage":
				must(prometheus.NewConstHistogram(descStageDur, n, sum.Seconds(), hdrBuckets(h), name))
			case strings.HasPrefix(name, httpOpPrefix):
				k, name = "route", strings.TrimPrefix(name, httpOpPrefix)
				must(prometheus.NewConstHistogram(descRouteDur, n, sum.Seconds(), hdrBuckets(h), name))
				must(prometheus.NewConstMetric(descRouteErr, prometheus.CounterValue, float64(errs), name))
			case s.source == "":
				continue // all sources: the sum of the sourced series
			default:
				must(prometheus.NewConstHistogram(descOpDur, n, sum.Seconds(), hdrBuckets(h), s.source, name))
				must(prometheus.NewConstMetric(descOpErrors, prometheus.CounterValue, float64(errs), s.source, name))
			}
			for _, w := range s.stats(sec).Windows {
				if k == "op" {
					must(prometheus.NewConstMetric(descRate, prometheus.GaugeValue, w.PerSecond, s.source, name, w.Window))
				}
				if w.Count == 0 {
					continue
				}
				for _, q := range quantileLabels {
					must(prometheus.NewConstMetric(descWindow, prometheus.GaugeValue, q.get(w.Percentiles), k, s.source, name, w.Window, q.label))
				}
			}
		}
	}
	emit("op", ops)
	emit("stage", stages)

	p.mu.Lock()
	texts := p.texts.total
	bySource := make(map[string]uint64, len(p.textsBy))
	for k, r := range p.textsBy {
		bySource[k] = r.total
	}
	hits, misses := p.cacheHits.total, p.cacheMisses.total
	batches, reqs := p.batches.total, p.batchReqs.total
	tok, pad := p.batchTokens.total, p.batchPadded.total
	sizes := map[float64]uint64{}
	var cum uint64
	for i, le := range batchBuckets[:len(batchBuckets)-1] {
		cum += p.batchSizes[i].total
		sizes[float64(le)] = cum
	}
	kinds := make(map[string]uint64, len(p.errorKinds))
	for k, v := range p.errorKinds {
		kinds[k] = v
	}
	shed := make(map[string]uint64, len(p.shed))
	for k, v := range p.shed {
		shed[k] = v
	}
	p.mu.Unlock()
	must(prometheus.NewConstMetric(descTexts, prometheus.CounterValue, float64(texts)))
	for k, v := range bySource {
		must(prometheus.NewConstMetric(descOpTexts, prometheus.CounterValue, float64(v), k))
	}
	must(prometheus.NewConstMetric(descCacheHit, prometheus.CounterValue, float64(hits)))
	must(prometheus.NewConstMetric(descCacheMiss, prometheus.CounterValue, float64(misses)))
	must(prometheus.NewConstHistogram(descBatchSize, batches, float64(reqs), sizes))
	must(prometheus.NewConstMetric(descBatchTok, prometheus.CounterValue, float64(tok)))
	must(prometheus.NewConstMetric(descBatchPad, prometheus.CounterValue, float64(pad)))
	for k, v := range kinds {
		must(prometheus.NewConstMetric(descErrors, prometheus.CounterValue, float64(v), k))
	}
	for k, v := range shed {
		must(prometheus.NewConstMetric(descShed, prometheus.CounterValue, float64(v), k))
	}

	for name, v := range p.readGauges() {
		d := desc(sanitizeName(name), "Application gauge "+strconv.Quote(name)+".")
		must(prometheus.NewConstMetric(d, prometheus.GaugeValue, v))
	}

	p.sysMu.RLock()
	sys, gpu := p.system, p.gpu
	p.sysMu.RUnlock()
	if !sys.SampledAt.IsZero() {
		must(prometheus.NewConstMetric(descCPU, prometheus.GaugeValue, sys.CPUPercent))
		for i, v := range sys.CPUPerCore {
			must(prometheus.NewConstMetric(descCPUCore, prometheus.GaugeValue, v, strconv.Itoa(i)))
		}
		must(prometheus.NewConstMetric(descMemTotal, prometheus.GaugeValue, float64(sys.MemTotalBytes)))
		must(prometheus.NewConstMetric(descMemUsed, prometheus.GaugeValue, float64(sys.MemUsedBytes)))
		must(prometheus.NewConstMetric(descMemAvail, prometheus.GaugeValue, float64(sys.MemAvailableBytes)))
		must(prometheus.NewConstMetric(descRSS, prometheus.GaugeValue, float64(sys.ProcessRSSBytes)))
		must(prometheus.NewConstMetric(descGoroutines, prometheus.GaugeValue, float64(sys.Goroutines)))
		must(prometheus.NewConstMetric(descOpenFiles, prometheus.GaugeValue, float64(sys.OpenFiles)))
	}
	avail := 0.0
	if gpu.Available {
		avail = 1
	}
	must(prometheus.NewConstMetric(descGPUAvail, prometheus.GaugeValue, avail))
	for _, d := range gpu.Devices {
		lv := []string{strconv.Itoa(d.Index), d.Name}
		for _, g := range []struct {
			d *prometheus.Desc
			v float64
		}{
			{descGPUUtil, d.UtilizationPercent}, {descGPUMemUsed, float64(d.MemoryUsedBytes)},
			{descGPUMemTot, float64(d.MemoryTotalBytes)}, {descGPUTemp, d.TemperatureC}, {descGPUPower, d.PowerWatts},
		} {
			if g.v >= 0 {
				must(prometheus.NewConstMetric(g.d, prometheus.GaugeValue, g.v, lv...))
			}
		}
	}
}

// regState is embedded in Profiler.
type regState struct {
	regOnce sync.Once
	reg     *prometheus.Registry
}
